//! Prints every record of a topic, from the beginning to its end at the time of the call, one a
//! line: `TIMESTAMP_MS<TAB>PARTITION<TAB>OFFSET<TAB>KEY<TAB>VALUE`, with the record's own timestamp
//! (the producer's create time), `null` for a missing key or value, and backslash, tab, newline
//! and carriage return escaped as `\\`, `\t`, `\n`, `\r`. The benchmarks read ferry's status topic
//! with it to see when each status was written, independently of ferry's REST API.
//!
//! `dump_topic --brokers B --topic T [--timeout-s 60]`

use std::error::Error;
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use clap::Parser;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

#[derive(Parser)]
#[command(about = "Print every record of a topic with its timestamp")]
struct Args {
    /// bootstrap servers, host:port[,host:port...]
    #[arg(long)]
    brokers: String,
    #[arg(long)]
    topic: String,
    /// give up (exit 1) when the end was not reached after this long
    #[arg(long, default_value_t = 60)]
    timeout_s: u64,
}

fn escaped(bytes: Option<&[u8]>) -> String {
    let Some(bytes) = bytes else {
        return "null".into();
    };
    let mut out = String::new();
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let timeout = Duration::from_secs(30);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &args.brokers)
        .set(
            "group.id",
            format!("ferry-bench-dump-{}", std::process::id()),
        )
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    let metadata = consumer.fetch_metadata(Some(&args.topic), timeout)?;
    let topic = metadata
        .topics()
        .iter()
        .find(|t| t.name() == args.topic)
        .ok_or_else(|| format!("no topic {}", args.topic))?;
    if topic.partitions().is_empty() {
        return Err(format!("topic {} has no partitions", args.topic).into());
    }
    let mut assignment = TopicPartitionList::new();
    let mut ends = Vec::new();
    for p in topic.partitions() {
        let (low, high) = consumer.fetch_watermarks(&args.topic, p.id(), timeout)?;
        assignment.add_partition_offset(&args.topic, p.id(), Offset::Offset(low))?;
        ends.push((p.id(), low, high));
    }
    consumer.assign(&assignment)?;
    // the next offset to read, per partition
    let mut next: Vec<(i32, i64, i64)> = ends;
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let deadline = Instant::now() + Duration::from_secs(args.timeout_s);
    while next.iter().any(|(_, at, end)| at < end) {
        if Instant::now() > deadline {
            return Err(format!(
                "could not read {} to its end within {} s",
                args.topic, args.timeout_s
            )
            .into());
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(m)) => {
                if let Some(entry) = next.iter_mut().find(|(p, _, _)| *p == m.partition()) {
                    entry.1 = m.offset() + 1;
                }
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    m.timestamp().to_millis().unwrap_or(-1),
                    m.partition(),
                    m.offset(),
                    escaped(m.key()),
                    escaped(m.payload())
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

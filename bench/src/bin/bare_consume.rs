//! Reference consumer for the standalone-worker benchmark: joins a new consumer group
//! (unique id, `auto.offset.reset=earliest`), subscribes to a topic and writes each record
//! value followed by a newline to a file through a `BufWriter`, until `--count` records are
//! written; then flushes the file.
//!
//! Prints `{"records":N,"seconds":S,"records_per_sec":R,"first_record_seconds":F,
//! "peak_rss_kb":K,"cpu_seconds":C}` on one line; the clock starts before the consumer is created
//! (so the group join is included, as it is for ferry); `first_record_seconds` is when the first
//! record arrived, `peak_rss_kb` the process's `VmHWM` and `cpu_seconds` its user + system CPU
//! time (`/proc/self/stat`), both at the end.

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

/// The consumer settings besides `bootstrap.servers` and `group.id`
/// (librdkafka defaults apart from these).
const CONSUMER_SETTINGS: &[(&str, &str)] = &[("auto.offset.reset", "earliest")];

#[derive(Parser)]
#[command(about = "Consume a topic into a file with a bare librdkafka consumer")]
struct Args {
    /// bootstrap servers, host:port[,host:port...]
    #[arg(long)]
    brokers: String,
    #[arg(long)]
    topic: String,
    /// output file, one record value per line
    #[arg(long)]
    file: String,
    /// stop after this many records
    #[arg(long)]
    count: u64,
    /// consumer group id (default: a new unique one)
    #[arg(long)]
    group: Option<String>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let start = Instant::now();

    let group = match args.group {
        Some(group) => group,
        None => {
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
            format!("bare-consume-{}-{nanos}", std::process::id())
        }
    };
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &args.brokers);
    config.set("group.id", &group);
    for (key, value) in CONSUMER_SETTINGS {
        config.set(*key, *value);
    }
    let consumer: BaseConsumer = config.create()?;
    consumer.subscribe(&[&args.topic])?;

    let file = File::create(&args.file).map_err(|e| format!("cannot create {}: {e}", args.file))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut written: u64 = 0;
    let mut first_record: Option<f64> = None;
    while written < args.count {
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(message)) => {
                first_record.get_or_insert_with(|| start.elapsed().as_secs_f64());
                out.write_all(message.payload().unwrap_or_default())?;
                out.write_all(b"\n")?;
                written += 1;
            }
            Some(Err(err)) => return Err(format!("consume failed: {err}").into()),
        }
    }
    // flushed to the file (not fsynced), the same point at which ferry's sink is seen as done
    out.flush()?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"records\":{written},\"seconds\":{seconds:.3},\"records_per_sec\":{:.0},\"first_record_seconds\":{:.3},\"peak_rss_kb\":{},\"cpu_seconds\":{:.2}}}",
        written as f64 / seconds,
        first_record.unwrap_or(0.0),
        ferry_bench::peak_rss_kb(),
        ferry_bench::cpu_seconds()
    );
    Ok(())
}

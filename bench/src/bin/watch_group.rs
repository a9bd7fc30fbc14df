//! Watches a consumer group's committed offsets against a topic's end offsets (both summed over
//! the topic's partitions) from outside the group: it only asks the group coordinator for the
//! committed offsets (OffsetFetch), it never joins the group. Prints, one a line (times in
//! microseconds since the epoch; a group without a committed offset counts as 0):
//!
//! - `ready US COMMITTED END` once both were read a first time;
//! - `at US COMMITTED END` at most every `--progress-ms` (0: never);
//! - `done US COMMITTED END` when the lag is 0 (COMMITTED >= END, END > 0); then it exits.
//!
//! `watch_group --brokers B --group G --topic T [--interval-ms 100] [--timeout-s 600] [--progress-ms 0]`

use std::error::Error;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

#[derive(Parser)]
#[command(about = "Time when a consumer group has committed a topic's end offsets")]
struct Args {
    /// bootstrap servers, host:port[,host:port...]
    #[arg(long)]
    brokers: String,
    #[arg(long)]
    group: String,
    #[arg(long)]
    topic: String,
    #[arg(long, default_value_t = 100)]
    interval_ms: u64,
    /// give up (exit 1) after this long
    #[arg(long, default_value_t = 600)]
    timeout_s: u64,
    #[arg(long, default_value_t = 0)]
    progress_ms: u64,
}

fn epoch_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let timeout = Duration::from_secs(10);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &args.brokers)
        .set("group.id", &args.group)
        .set("enable.auto.commit", "false")
        .create()?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_s);
    let interval = Duration::from_millis(args.interval_ms);
    let partitions: Vec<i32> = loop {
        let found = consumer
            .fetch_metadata(Some(&args.topic), timeout)
            .ok()
            .and_then(|m| {
                m.topics()
                    .iter()
                    .find(|t| t.name() == args.topic && t.error().is_none())
                    .map(|t| t.partitions().iter().map(|p| p.id()).collect::<Vec<_>>())
                    .filter(|p| !p.is_empty())
            });
        if let Some(p) = found {
            break p;
        }
        if Instant::now() > deadline {
            return Err(format!("no metadata for {}", args.topic).into());
        }
        std::thread::sleep(interval);
    };
    let mut tpl = TopicPartitionList::new();
    for p in &partitions {
        tpl.add_partition(&args.topic, *p);
    }
    let read = || -> Result<(i64, i64), Box<dyn Error>> {
        let mut end = 0;
        for p in &partitions {
            end += consumer.fetch_watermarks(&args.topic, *p, timeout)?.1;
        }
        let committed = consumer.committed_offsets(tpl.clone(), timeout)?;
        let sum = committed
            .elements()
            .iter()
            .map(|e| match e.offset() {
                Offset::Offset(o) => o,
                _ => 0,
            })
            .sum();
        Ok((sum, end))
    };
    let out = std::io::stdout();
    let mut out = out.lock();
    let mut ready = false;
    let progress = Duration::from_millis(args.progress_ms);
    let mut last_progress = Instant::now();
    loop {
        match read() {
            Ok((committed, end)) => {
                let at = epoch_us();
                if !ready {
                    ready = true;
                    writeln!(out, "ready {at} {committed} {end}")?;
                    out.flush()?;
                }
                if end > 0 && committed >= end {
                    writeln!(out, "done {at} {committed} {end}")?;
                    out.flush()?;
                    return Ok(());
                }
                if args.progress_ms > 0 && last_progress.elapsed() >= progress {
                    last_progress = Instant::now();
                    writeln!(out, "at {at} {committed} {end}")?;
                    out.flush()?;
                }
            }
            Err(err) => {
                if Instant::now() > deadline {
                    return Err(format!("offsets of {} / {}: {err}", args.group, args.topic).into());
                }
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the group {} did not reach the end of {} in {} s",
                args.group, args.topic, args.timeout_s
            )
            .into());
        }
        std::thread::sleep(interval);
    }
}

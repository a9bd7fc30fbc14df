//! Watches a topic's end offsets (the high watermarks, summed over its partitions) from outside
//! the program that writes to it, so that every kind of writer — a bare producer, ferry, Kafka
//! Connect — is timed by the same observer. Prints, one a line, each as it happens (times in
//! microseconds since the epoch, END the summed end offset):
//!
//! - `ready US END` once the first watermarks were read (start the writer after this line);
//! - `first US END` when the end first moved past where it was at `ready`;
//! - `done US END` when it moved `--count` records past it; then the program exits;
//! - with `--progress-ms P`, also `at US END` at most every P ms in between (how far it got, e.g.
//!   to see that a writer stalled).
//!
//! `watch_topic --brokers B --topic T --count N [--interval-ms 10] [--timeout-s 600] [--progress-ms 0]`

use std::error::Error;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

#[derive(Parser)]
#[command(about = "Time when records arrive in a topic, by polling its end offsets")]
struct Args {
    /// bootstrap servers, host:port[,host:port...]
    #[arg(long)]
    brokers: String,
    #[arg(long)]
    topic: String,
    /// done once this many records were added after `ready`
    #[arg(long)]
    count: i64,
    /// how often the end offsets are read
    #[arg(long, default_value_t = 10)]
    interval_ms: u64,
    /// give up (exit 1) after this long
    #[arg(long, default_value_t = 600)]
    timeout_s: u64,
    /// print `at US END` at most this often (0: never)
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
        .set(
            "group.id",
            format!("ferry-bench-watch-{}", std::process::id()),
        )
        .set("enable.auto.commit", "false")
        .create()?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_s);
    let interval = Duration::from_millis(args.interval_ms);
    // A topic just created may have no leader yet: its metadata and end offsets are asked for
    // again until they answer (or the deadline passes).
    let retry = |what: &str, err: Box<dyn Error>| -> Result<(), Box<dyn Error>> {
        if Instant::now() > deadline {
            return Err(format!("{what} of {}: {err}", args.topic).into());
        }
        std::thread::sleep(interval);
        Ok(())
    };
    let partitions: Vec<i32> = loop {
        let found: Result<Vec<i32>, Box<dyn Error>> = consumer
            .fetch_metadata(Some(&args.topic), timeout)
            .map_err(Into::into)
            .and_then(|metadata| {
                let partitions: Vec<i32> = metadata
                    .topics()
                    .iter()
                    .find(|t| t.name() == args.topic && t.error().is_none())
                    .map(|t| t.partitions().iter().map(|p| p.id()).collect())
                    .unwrap_or_default();
                if partitions.is_empty() {
                    Err("no such topic yet, or no partitions".into())
                } else {
                    Ok(partitions)
                }
            });
        match found {
            Ok(partitions) => break partitions,
            Err(err) => retry("metadata", err)?,
        }
    };
    let end = || -> Result<i64, Box<dyn Error>> {
        let mut sum = 0;
        for p in &partitions {
            sum += consumer.fetch_watermarks(&args.topic, *p, timeout)?.1;
        }
        Ok(sum)
    };
    let end_retrying = || -> Result<i64, Box<dyn Error>> {
        loop {
            match end() {
                Ok(sum) => return Ok(sum),
                Err(err) => retry("end offsets", err)?,
            }
        }
    };
    let out = std::io::stdout();
    let mut out = out.lock();
    let start = end_retrying()?;
    writeln!(out, "ready {} {start}", epoch_us())?;
    out.flush()?;
    let mut first_seen = false;
    let progress = Duration::from_millis(args.progress_ms);
    let mut last_progress = Instant::now();
    loop {
        let now = end_retrying()?;
        let at = epoch_us();
        if args.progress_ms > 0 && last_progress.elapsed() >= progress {
            last_progress = Instant::now();
            writeln!(out, "at {at} {now}")?;
            out.flush()?;
        }
        if !first_seen && now > start {
            first_seen = true;
            writeln!(out, "first {at} {now}")?;
            out.flush()?;
        }
        if now - start >= args.count {
            writeln!(out, "done {at} {now}")?;
            out.flush()?;
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} of {} records in {} after {} s",
                now - start,
                args.count,
                args.topic,
                args.timeout_s
            )
            .into());
        }
        std::thread::sleep(interval);
    }
}

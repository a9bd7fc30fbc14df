//! Reference producer for the standalone-worker benchmark: reads a file line by line and
//! produces each line (without its newline) as the value of a record without a key, with a
//! bare librdkafka `BaseProducer`, then waits until every record has been acknowledged.
//!
//! Prints `{"records":N,"seconds":S,"records_per_sec":R,"peak_rss_kb":K,"cpu_seconds":C}`; the
//! clock starts before the producer is created, so it covers the same work as ferry's run
//! (connect, read, send, acknowledgement); `peak_rss_kb` is the process's `VmHWM` and
//! `cpu_seconds` its user + system CPU time (`/proc/self/stat`), both at the end.

use std::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::util::Timeout;
use rdkafka::ClientContext;

/// The producer settings; keep them equal to the ones ferry's source tasks use
/// (librdkafka defaults apart from these).
const PRODUCER_SETTINGS: &[(&str, &str)] = &[
    ("enable.idempotence", "true"),
    ("acks", "all"),
    ("partitioner", "murmur2_random"),
    ("linger.ms", "5"),
    ("message.timeout.ms", "2147483647"),
];

#[derive(Parser)]
#[command(about = "Produce every line of a file to a topic with a bare librdkafka producer")]
struct Args {
    /// bootstrap servers, host:port[,host:port...]
    #[arg(long)]
    brokers: String,
    #[arg(long)]
    topic: String,
    /// input file, one record per line
    #[arg(long)]
    file: String,
}

#[derive(Default)]
struct Counting {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl ClientContext for Counting {}

impl ProducerContext for Counting {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((err, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = self.first_error.lock() {
                    first.get_or_insert_with(|| err.to_string());
                }
            }
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let start = Instant::now();

    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &args.brokers);
    for (key, value) in PRODUCER_SETTINGS {
        config.set(*key, *value);
    }
    let producer: BaseProducer<Counting> = config.create_with_context(Counting::default())?;

    let file = File::open(&args.file).map_err(|e| format!("cannot open {}: {e}", args.file))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(256);
    let mut sent: u64 = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        let mut record = BaseRecord::<(), [u8]>::to(&args.topic).payload(&line[..]);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(10));
                }
                Err((err, _)) => return Err(format!("produce failed: {err}").into()),
            }
        }
        sent += 1;
        if sent % 256 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Timeout::Never)?;
    // serve the last delivery reports
    producer.poll(Duration::ZERO);
    let seconds = start.elapsed().as_secs_f64();

    let ctx = producer.context();
    let delivered = ctx.delivered.load(Ordering::Relaxed);
    let failed = ctx.failed.load(Ordering::Relaxed);
    if failed > 0 || delivered != sent {
        let first = ctx.first_error.lock().ok().and_then(|e| e.clone());
        return Err(format!(
            "sent {sent}, delivered {delivered}, failed {failed} (first error: {})",
            first.unwrap_or_else(|| "none".into())
        )
        .into());
    }
    println!(
        "{{\"records\":{sent},\"seconds\":{seconds:.3},\"records_per_sec\":{:.0},\"peak_rss_kb\":{},\"cpu_seconds\":{:.2}}}",
        sent as f64 / seconds,
        ferry_bench::peak_rss_kb(),
        ferry_bench::cpu_seconds()
    );
    Ok(())
}

//! Writes the JDBC sink benchmark's input (bench/jdbc-sink.sh): `--count` Debezium-style change
//! events of a table `bench.public.items` into a topic, as Debezium's PostgreSQL connector with
//! the JsonConverter (`schemas.enable=true`, keys and values) would write them, and the table's
//! final state as a file for PostgreSQL's `COPY ... FROM STDIN` (text format: tab-separated,
//! `\N` for null) in the column order of `--columns` (below).
//!
//! The events: every tenth (the 10th, 20th, ...) is an update (`op` `u`, `before` = the row as
//! it stood) of an id created earlier, picked by a fixed hash; all others create (`op` `c`) the
//! next id, 1, 2, 3, ...; the very last event is always a create, of the highest id, so that a
//! sink that applies the events in order has applied all of them once that id is in its table.
//! No deletes. The row of an id written by event number `v` (0-based) is a function of the id and
//! `v`, so the final state is each id's row of its last event.
//!
//! Columns (the key is `id`, struct `bench.public.items.Key`): `id` int32; `counter` int64; `name`
//! string of 50 characters (non-ASCII letters and quotes among them); `score` float64 (optional);
//! `active` boolean (optional); `price` `org.apache.kafka.connect.data.Decimal` (bytes, scale 2,
//! precision 10; some negative); `updated_at` `io.debezium.time.MicroTimestamp` (int64); `day`
//! `io.debezium.time.Date` (int32, optional, null in one row of 20).
//!
//! Prints `{"events":N,"creates":C,"updates":U,"rows":C,"last_id":C,"bytes":B,"seconds":S}`.
//!
//! `gen_changes --brokers B --topic T --count N --copy-file FILE [--every 10]`

use std::error::Error;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::util::Timeout;
use rdkafka::ClientContext;

#[derive(Parser)]
#[command(
    about = "Produce Debezium-style change events of a table and write its final state for COPY"
)]
struct Args {
    /// bootstrap servers, host:port[,host:port...]
    #[arg(long)]
    brokers: String,
    #[arg(long)]
    topic: String,
    /// change events to produce
    #[arg(long)]
    count: u64,
    /// the table's final state, for COPY (text format)
    #[arg(long)]
    copy_file: String,
    /// one event in this many is an update (0: none)
    #[arg(long, default_value_t = 10)]
    every: u64,
}

#[derive(Default)]
struct Counting {
    failed: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}
impl ClientContext for Counting {}
impl ProducerContext for Counting {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        if let Err((err, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first_error.lock() {
                first.get_or_insert_with(|| err.to_string());
            }
        }
    }
}

/// 2025-01-01T00:00:00Z in microseconds and in days since the epoch
const BASE_US: i64 = 1_735_689_600_000_000;
const BASE_DAY: i32 = 20_089;

/// One row of the table, as written by event number `ver`.
struct Row {
    id: i32,
    counter: i64,
    name: String,
    score: f64,
    active: bool,
    price_unscaled: i64,
    updated_at_us: i64,
    day: Option<i32>,
}

fn row(id: u64, ver: u64) -> Row {
    let mut name = format!("item-{id:07} v{ver:07} Zürich «naïve» 'q' \"dq\" ");
    const FILLER: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    let mut i = (id % 26) as usize;
    while name.chars().count() < 50 {
        name.push(FILLER.as_bytes()[i % FILLER.len()] as char);
        i += 1;
    }
    let mut price = ((id * 7919 + ver * 13) % 1_000_000_000) as i64;
    if id % 17 == 0 {
        price = -price;
    }
    Row {
        id: id as i32,
        counter: id as i64 * 1_000_003 + ver as i64,
        name,
        score: id as f64 * 1.25 + ver as f64 / 1000.0,
        active: (id + ver) % 3 == 0,
        price_unscaled: price,
        updated_at_us: BASE_US + id as i64 * 1_000_003 + ver as i64 * 7,
        day: if (id + ver) % 20 == 0 {
            None
        } else {
            Some(BASE_DAY + (id % 3650) as i32)
        },
    }
}

/// Connect's Decimal: the unscaled value as big-endian two's complement in the fewest bytes
fn decimal_bytes(v: i64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (cur, next) = (b[start], b[start + 1]);
        if (cur == 0 && next & 0x80 == 0) || (cur == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    b[start..].to_vec()
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let v = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= n {
                out.push(T[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn row_json(out: &mut String, r: &Row) {
    let _ = write!(out, "{{\"id\":{},\"counter\":{},\"name\":", r.id, r.counter);
    json_str(out, &r.name);
    let _ = write!(
        out,
        ",\"score\":{:?},\"active\":{},\"price\":\"{}\",\"updated_at\":{},\"day\":",
        r.score,
        r.active,
        base64(&decimal_bytes(r.price_unscaled)),
        r.updated_at_us
    );
    match r.day {
        Some(d) => {
            let _ = write!(out, "{d}}}");
        }
        None => out.push_str("null}"),
    }
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil_from_days)
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn copy_line(out: &mut String, r: &Row) {
    let p = r.price_unscaled;
    let (y, mo, d) = civil(r.updated_at_us.div_euclid(86_400_000_000));
    let in_day = r.updated_at_us.rem_euclid(86_400_000_000);
    let _ = write!(
        out,
        "{}\t{}\t{}\t{:?}\t{}\t{}{}.{:02}\t{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}.{:06}\t",
        r.id,
        r.counter,
        r.name,
        r.score,
        if r.active { "t" } else { "f" },
        if p < 0 { "-" } else { "" },
        p.abs() / 100,
        p.abs() % 100,
        in_day / 3_600_000_000,
        in_day / 60_000_000 % 60,
        in_day / 1_000_000 % 60,
        in_day % 1_000_000
    );
    match r.day {
        Some(days) => {
            let (y, m, d) = civil(days as i64);
            let _ = writeln!(out, "{y:04}-{m:02}-{d:02}");
        }
        None => out.push_str("\\N\n"),
    }
}

const ROW_FIELDS: &str = r#"[{"type":"int32","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"counter"},{"type":"string","optional":false,"field":"name"},{"type":"double","optional":true,"field":"score"},{"type":"boolean","optional":true,"field":"active"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"10"},"field":"price"},{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"updated_at"},{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"day"}]"#;

fn value_schema() -> String {
    format!(
        concat!(
            r#"{{"type":"struct","fields":["#,
            r#"{{"type":"struct","fields":{f},"optional":true,"name":"bench.public.items.Value","field":"before"}},"#,
            r#"{{"type":"struct","fields":{f},"optional":true,"name":"bench.public.items.Value","field":"after"}},"#,
            r#"{{"type":"struct","fields":[{{"type":"string","optional":false,"field":"version"}},{{"type":"string","optional":false,"field":"connector"}},{{"type":"string","optional":false,"field":"name"}},{{"type":"int64","optional":false,"field":"ts_ms"}},{{"type":"string","optional":false,"field":"db"}},{{"type":"string","optional":false,"field":"schema"}},{{"type":"string","optional":false,"field":"table"}}],"optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"}},"#,
            r#"{{"type":"string","optional":false,"field":"op"}},"#,
            r#"{{"type":"int64","optional":true,"field":"ts_ms"}}"#,
            r#"],"optional":false,"name":"bench.public.items.Envelope","version":2}}"#
        ),
        f = ROW_FIELDS
    )
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let start = Instant::now();
    let producer: BaseProducer<Counting> = ClientConfig::new()
        .set("bootstrap.servers", &args.brokers)
        .set("acks", "all")
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("message.timeout.ms", "2147483647")
        .create_with_context(Counting::default())?;

    let key_schema = r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"bench.public.items.Key"}"#;
    let value_schema = value_schema();
    // versions[id - 1]: the event number that last wrote the id
    let mut versions: Vec<u64> = Vec::with_capacity(args.count as usize);
    let (mut updates, mut bytes) = (0u64, 0u64);
    let mut key = String::with_capacity(256);
    let mut value = String::with_capacity(8192);
    for ver in 0..args.count {
        let is_update = args.every > 0
            && ver % args.every == args.every - 1
            && ver + 1 < args.count
            && !versions.is_empty();
        let (id, before) = if is_update {
            let id = (ver.wrapping_mul(2_654_435_761) % versions.len() as u64) + 1;
            let prev = versions[id as usize - 1];
            versions[id as usize - 1] = ver;
            updates += 1;
            (id, Some(row(id, prev)))
        } else {
            versions.push(ver);
            (versions.len() as u64, None)
        };
        key.clear();
        let _ = write!(key, r#"{{"schema":{key_schema},"payload":{{"id":{id}}}}}"#);
        value.clear();
        let _ = write!(value, r#"{{"schema":{value_schema},"payload":{{"before":"#);
        match &before {
            Some(b) => row_json(&mut value, b),
            None => value.push_str("null"),
        }
        value.push_str(",\"after\":");
        row_json(&mut value, &row(id, ver));
        let ts_ms = BASE_US / 1000 + ver as i64;
        let _ = write!(
            value,
            r#","source":{{"version":"3.6.1.Final","connector":"postgresql","name":"bench","ts_ms":{ts_ms},"db":"bench","schema":"public","table":"items"}},"op":"{}","ts_ms":{ts_ms}}}}}"#,
            if is_update { "u" } else { "c" }
        );
        bytes += (key.len() + value.len()) as u64;
        let mut record = BaseRecord::<str, str>::to(&args.topic)
            .key(&key)
            .payload(&value);
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
        if ver % 256 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Timeout::Never)?;
    producer.poll(Duration::ZERO);
    let ctx = producer.context();
    let failed = ctx.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let first = ctx
            .first_error
            .lock()
            .ok()
            .and_then(|e| e.clone())
            .unwrap_or_default();
        return Err(format!("{failed} records were not delivered: {first}").into());
    }

    let file = File::create(&args.copy_file)
        .map_err(|e| format!("cannot create {}: {e}", args.copy_file))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut line = String::with_capacity(256);
    for (i, ver) in versions.iter().enumerate() {
        line.clear();
        copy_line(&mut line, &row(i as u64 + 1, *ver));
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    let creates = versions.len();
    println!(
        "{{\"events\":{},\"creates\":{creates},\"updates\":{updates},\"rows\":{creates},\"last_id\":{creates},\"bytes\":{bytes},\"seconds\":{:.3}}}",
        args.count,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

//! The JDBC sink under faults, and configured as Confluent's sink: its PostgreSQL and MariaDB
//! connections killed by the database while records stream, a database that cannot be reached,
//! a missing table with `auto.create=false`, the `kafka` key mode, and tombstones of flat
//! records. Records are produced by a plain rdkafka producer; the tables are read with `psql`
//! and `mysql`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_e2e::{free_port, unique, wait_for, Broker, Ferry, Json, MySql, Postgres};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;
use serde_json::json;

const DEBEZIUM: &str = "io.debezium.connector.jdbc.JdbcSinkConnector";
const CONFLUENT: &str = "io.confluent.connect.jdbc.JdbcSinkConnector";

// --- helpers -------------------------------------------------------------------------------------

fn create(ferry: &Ferry, name: &str, config: Json) {
    let (code, body) = ferry.call("PUT", &format!("/connectors/{name}/config"), Some(config));
    assert!(code == 201 || code == 200, "{name}: {code} {body}");
}

fn status(ferry: &Ferry, name: &str) -> Json {
    ferry.get(&format!("/connectors/{name}/status")).1
}

fn wait_running(ferry: &Ferry, name: &str) {
    wait_for(&format!("{name} RUNNING"), Duration::from_secs(60), || {
        let s = status(ferry, name);
        assert_ne!(
            s["tasks"][0]["state"],
            "FAILED",
            "{name} failed: {s}\nworker output (end):\n{}",
            tail(&ferry.output(), 60)
        );
        (s["tasks"][0]["state"] == "RUNNING").then_some(())
    });
}

/// The trace of the connector's first task once it is FAILED.
fn wait_task_failed(ferry: &Ferry, name: &str, timeout: Duration) -> String {
    wait_for(&format!("{name}'s task FAILED"), timeout, || {
        let s = status(ferry, name);
        (s["tasks"][0]["state"] == "FAILED").then(|| {
            s["tasks"][0]["trace"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Waits until `query()` answers `want`; panics with the last answer and the worker's output.
fn wait_answer(
    what: &str,
    timeout: Duration,
    want: &str,
    ferry: &Ferry,
    query: impl Fn() -> Result<String, String>,
) {
    let deadline = Instant::now() + timeout;
    loop {
        let got = query();
        if got.as_deref() == Ok(want) {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "{what}: expected {want:?} after {timeout:?}, the database answers {got:?}\nworker output (end):\n{}",
                tail(&ferry.output(), 80)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Writes `(key, value)` records to partition 0 of `topic` in order with a plain rdkafka
/// producer; a `None` value is a null payload (a tombstone).
fn produce_keyed(address: &str, topic: &str, records: &[(String, Option<String>)]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", address)
        .set("enable.idempotence", "true")
        .create()
        .expect("producer");
    for (key, value) in records {
        let mut record = BaseRecord::<str, str>::to(topic)
            .partition(0)
            .key(key.as_str());
        if let Some(value) = value {
            record = record.payload(value.as_str());
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(10));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// The schema of the flat records of the streaming tests.
fn item_schema() -> Json {
    json!({"type": "struct", "name": "item", "optional": false, "fields": [
        {"field": "id", "type": "int32", "optional": false},
        {"field": "name", "type": "string", "optional": true},
        {"field": "qty", "type": "int64", "optional": true}]})
}

/// A record keyed by its id as text, its value the row with its schema.
fn item(id: u64, name: &str, qty: u64) -> (String, Option<String>) {
    let value = json!({"schema": item_schema(), "payload": {"id": id, "name": name, "qty": qty}});
    (id.to_string(), Some(value.to_string()))
}

/// The streaming tests' records, in waves of 4,000: ids 1..=16,000 with qty = id, then the
/// first 4,000 ids again with qty = 10 * id and the name `updated`: 20,000 records.
fn waves() -> Vec<Vec<(String, Option<String>)>> {
    let mut waves: Vec<Vec<(String, Option<String>)>> = (0..4u64)
        .map(|w| {
            (w * 4000 + 1..=(w + 1) * 4000)
                .map(|id| item(id, &format!("item {id}"), id))
                .collect()
        })
        .collect();
    waves.push((1..=4000).map(|id| item(id, "updated", 10 * id)).collect());
    waves
}

/// What the table holds after the waves: `count(*) sum(qty) count(updated)`.
fn expected_totals() -> String {
    let sum: u64 = (1..=16_000u64).sum::<u64>() + (1..=4000u64).map(|id| 9 * id).sum::<u64>();
    format!("16000\t{sum}\t4000\n")
}

/// Produces the waves on a thread of its own, each in slices with pauses, so that the sink
/// writes many batches over several seconds; `done` is set at the end.
fn produce_waves(
    broker: &Broker,
    topic: &str,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let address = broker.address.clone();
    let topic = topic.to_string();
    std::thread::spawn(move || {
        for wave in waves() {
            for slice in wave.chunks(500) {
                produce_keyed(&address, &topic, slice);
                std::thread::sleep(Duration::from_millis(100));
            }
            std::thread::sleep(Duration::from_millis(1000));
        }
        done.store(true, Ordering::SeqCst);
    })
}

/// The Debezium-style configuration of the streaming tests: flat records keyed by their `id`.
fn streaming_config(url: &str, user: &str, password: &str, topic: &str) -> Json {
    json!({
        "connector.class": DEBEZIUM,
        "connection.url": url,
        "connection.username": user,
        "connection.password": password,
        "insert.mode": "upsert",
        "primary.key.mode": "record_value",
        "primary.key.fields": "id",
        "schema.evolution": "basic",
        "collection.name.format": "items",
        "topics": topic,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "true",
    })
}

/// Kills the sink's connections with `kill` every 1.5 s while the waves are produced, then once
/// more when they are all in the table; how many connections were killed.
fn kill_while_streaming(
    ferry: &Ferry,
    name: &str,
    done: &AtomicBool,
    kill: impl Fn() -> usize,
) -> usize {
    let mut killed = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the waves were not produced within a minute"
        );
        std::thread::sleep(Duration::from_millis(1500));
        killed += kill();
        let s = status(ferry, name);
        assert_ne!(
            s["tasks"][0]["state"],
            "FAILED",
            "the sink failed after {killed} killed connection(s): {s}\nworker output (end):\n{}",
            tail(&ferry.output(), 80)
        );
    }
    killed
}

// --- 1. lost connections, PostgreSQL ---------------------------------------------------------------

/// The sink's backends in `database` terminated; how many.
fn terminate_sink_backends(pg: &Postgres, database: &str) -> usize {
    pg.try_sql_in(
        &pg.database,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'ferry-jdbc-sink' AND datname = '{database}'"
        ),
    )
    .map(|out| out.lines().filter(|l| l.trim() == "t").count())
    .unwrap_or(0)
}

#[test]
fn postgres_connections_terminated_while_20000_records_stream() {
    let broker = Broker::shared();
    let pg = Postgres::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique("sink-pg");
    let target = unique("jdbcfpg").replace('-', "_");
    pg.fresh_database(&target);
    let topic = unique("faults-pg");
    broker.create_topic(&topic, 1);

    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    create(
        &ferry,
        &name,
        streaming_config(&pg.jdbc_url(&target), &pg.user, &pg.password, &topic),
    );
    wait_running(&ferry, &name);

    let done = Arc::new(AtomicBool::new(false));
    let producer = produce_waves(&broker, &topic, done.clone());
    let totals = || {
        pg.try_sql_in(
            &target,
            "SELECT count(*), coalesce(sum(qty), 0), count(*) FILTER (WHERE name = 'updated') FROM items",
        )
    };
    let mut killed = kill_while_streaming(&ferry, &name, &done, || {
        terminate_sink_backends(&pg, &target)
    });
    producer.join().expect("the producer thread");
    // Once more while it is idle (or finishing): the next write finds the connection gone.
    killed += terminate_sink_backends(&pg, &target);
    assert!(
        killed >= 3,
        "only {killed} of the sink's connections were terminated: the test did not test much\n{}",
        tail(&ferry.output(), 40)
    );
    wait_answer(
        "20,000 records across terminated connections",
        Duration::from_secs(60),
        &expected_totals(),
        &ferry,
        totals,
    );
    assert_eq!(
        pg.sql_in(
            &target,
            "SELECT count(DISTINCT id), min(id), max(id) FROM items"
        ),
        "16000\t1\t16000\n"
    );
    let s = status(&ferry, &name);
    assert_eq!(s["tasks"][0]["state"], "RUNNING", "{s}");
    let output = ferry.output();
    let reconnections = output
        .lines()
        .filter(|l| l.contains("connected to the database again"))
        .count();
    eprintln!("{killed} connection(s) killed, {reconnections} reconnection(s) logged");
    assert!(
        output.contains("connected to the database again")
            || output.contains("will try again on a new connection"),
        "the worker log does not mention the reconnection:\n{}",
        tail(&output, 80)
    );
    drop(ferry);
    let _ = pg.try_sql_in(
        &pg.database,
        &format!("DROP DATABASE IF EXISTS {target} WITH (FORCE)"),
    );
}

// --- 2. lost connections, MariaDB -----------------------------------------------------------------

/// The sink's connections to `database` killed; how many.
fn kill_sink_connections(db: &MySql, database: &str) -> usize {
    let ids = db
        .try_sql(&format!(
            "SELECT id FROM information_schema.processlist \
             WHERE db = '{database}' AND id <> CONNECTION_ID()"
        ))
        .unwrap_or_default();
    ids.lines()
        .filter(|id| !id.trim().is_empty())
        .filter(|id| db.try_sql(&format!("KILL {}", id.trim())).is_ok())
        .count()
}

#[test]
fn mariadb_connections_killed_while_20000_records_stream() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique("sink-my");
    let target = unique("jdbcfmy").replace('-', "_");
    db.sql(&format!("CREATE DATABASE {target}"));
    let topic = unique("faults-my");
    broker.create_topic(&topic, 1);

    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let url = format!("jdbc:mariadb://{}:{}/{target}", db.host, db.port);
    create(
        &ferry,
        &name,
        streaming_config(&url, &db.user, &db.password, &topic),
    );
    wait_running(&ferry, &name);

    let done = Arc::new(AtomicBool::new(false));
    let producer = produce_waves(&broker, &topic, done.clone());
    let totals = || {
        db.try_sql(&format!(
            "SELECT count(*), coalesce(sum(qty), 0), sum(name = 'updated') FROM {target}.items"
        ))
        .map(|out| out.replace("\tNULL", "\t0"))
    };
    let mut killed =
        kill_while_streaming(&ferry, &name, &done, || kill_sink_connections(&db, &target));
    producer.join().expect("the producer thread");
    killed += kill_sink_connections(&db, &target);
    assert!(
        killed >= 3,
        "only {killed} of the sink's connections were killed: the test did not test much\n{}",
        tail(&ferry.output(), 40)
    );
    wait_answer(
        "20,000 records across killed connections",
        Duration::from_secs(60),
        &expected_totals(),
        &ferry,
        totals,
    );
    assert_eq!(
        db.try_sql(&format!(
            "SELECT count(DISTINCT id), min(id), max(id) FROM {target}.items"
        ))
        .expect("the table reads"),
        "16000\t1\t16000\n"
    );
    let s = status(&ferry, &name);
    assert_eq!(s["tasks"][0]["state"], "RUNNING", "{s}");
    let output = ferry.output();
    let reconnections = output
        .lines()
        .filter(|l| l.contains("connected to the database again"))
        .count();
    eprintln!("{killed} connection(s) killed, {reconnections} reconnection(s) logged");
    assert!(
        output.contains("connected to the database again")
            || output.contains("will try again on a new connection"),
        "the worker log does not mention the reconnection:\n{}",
        tail(&output, 80)
    );
    drop(ferry);
    db.sql(&format!("DROP DATABASE {target}"));
}

// --- 3. unreachable database ----------------------------------------------------------------------

#[test]
fn a_database_that_cannot_be_reached_fails_the_task_and_validate_names_the_url() {
    let broker = Broker::shared();
    let pg = Postgres::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique("closed");
    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let port = free_port();
    let topic = unique("faults-closed");
    broker.create_topic(&topic, 1);
    let config = json!({
        "name": name,
        "connector.class": DEBEZIUM,
        "connection.url": format!("jdbc:postgresql://127.0.0.1:{port}/nowhere"),
        "connection.username": pg.user,
        "connection.password": pg.password,
        "insert.mode": "upsert",
        "primary.key.mode": "record_value",
        "primary.key.fields": "id",
        "schema.evolution": "basic",
        "flush.max.retries": "1",
        "flush.retry.delay.ms": "100",
        "topics": topic,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    });

    let started = Instant::now();
    let (code, body) = ferry.call(
        "PUT",
        &format!("/connector-plugins/{DEBEZIUM}/config/validate"),
        Some(config.clone()),
    );
    assert_eq!(code, 200, "{body}");
    let url_errors = body["configs"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["value"]["name"] == "connection.url"))
        .map(|c| c["value"]["errors"].clone())
        .unwrap_or(Json::Null);
    let texts: Vec<&str> = url_errors
        .as_array()
        .map(|e| e.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    assert!(
        texts
            .iter()
            .any(|e| e.contains("cannot connect") && e.contains(&format!("127.0.0.1:{port}"))),
        "validate does not report the unreachable database on connection.url: {body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "validate took {:?} for a closed port",
        started.elapsed()
    );
    let other_errors: Vec<String> = body["configs"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter(|c| c["value"]["name"] != "connection.url")
                .filter(|c| {
                    c["value"]["errors"]
                        .as_array()
                        .is_some_and(|e| !e.is_empty())
                })
                .map(|c| c.to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(other_errors.is_empty(), "{other_errors:?}");

    create(&ferry, &name, config);
    let trace = wait_task_failed(&ferry, &name, Duration::from_secs(30));
    assert!(
        trace.contains("cannot connect") && trace.contains(&format!("127.0.0.1:{port}")),
        "the task's trace: {trace}"
    );
    // The worker goes on answering.
    let (code, list) = ferry.get("/connectors");
    assert_eq!(code, 200, "{list}");
    assert!(
        list.as_array()
            .is_some_and(|l| l.iter().any(|n| n == &name)),
        "{list}"
    );
    let (code, _) = ferry.get("/");
    assert_eq!(code, 200);
    let (code, body) = ferry.call("DELETE", &format!("/connectors/{name}"), None);
    assert!(code == 204 || code == 200, "{code} {body}");
}

// --- 4. Confluent's configuration ------------------------------------------------------------------

#[test]
fn confluent_kafka_key_mode_needs_auto_create_for_a_missing_table() {
    let broker = Broker::shared();
    let pg = Postgres::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let nocreate = unique("nocreate");
    let created = unique("create");
    let target = unique("jdbcfcfl").replace('-', "_");
    pg.fresh_database(&target);
    let topic = unique("faults-cfl");
    broker.create_topic(&topic, 1);
    let schema = json!({"type": "struct", "name": "order", "fields": [
        {"field": "id", "type": "int32", "optional": false},
        {"field": "name", "type": "string", "optional": true}]});
    let names = ["ann", "bob", "cy", "dee", "ed"];
    let records: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"schema": schema, "payload": {"id": 100 + i, "name": name}}).to_string()
        })
        .collect();
    broker.produce(&topic, &records);

    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let config = |auto_create: bool| {
        json!({
            "connector.class": CONFLUENT,
            "connection.url": pg.jdbc_url(&target),
            "connection.user": pg.user,
            "connection.password": pg.password,
            "topics": topic,
            "table.name.format": "orders",
            "pk.mode": "kafka",
            "auto.create": auto_create.to_string(),
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        })
    };

    create(&ferry, &nocreate, config(false));
    let trace = wait_task_failed(&ferry, &nocreate, Duration::from_secs(60));
    assert!(
        trace.contains("auto.create=true") && trace.contains("orders"),
        "the task's trace: {trace}"
    );
    assert_eq!(
        pg.sql_in(
            &target,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'orders'"
        ),
        "0\n",
        "the table was created with auto.create=false"
    );
    let (code, body) = ferry.call("DELETE", &format!("/connectors/{nocreate}"), None);
    assert!(code == 204 || code == 200, "{code} {body}");

    create(&ferry, &created, config(true));
    wait_running(&ferry, &created);
    let want: String = names
        .iter()
        .enumerate()
        .map(|(i, name)| format!("{topic}\t0\t{i}\t{}\t{name}\n", 100 + i))
        .collect();
    wait_answer(
        "the rows with their Kafka coordinates",
        Duration::from_secs(60),
        &want,
        &ferry,
        || {
            pg.try_sql_in(
                &target,
                "SELECT __connect_topic, __connect_partition, __connect_offset, id, name \
                 FROM orders ORDER BY __connect_offset",
            )
        },
    );
    assert_eq!(
        pg.sql_in(
            &target,
            "SELECT column_name || ' ' || data_type FROM information_schema.columns \
             WHERE table_name = 'orders' ORDER BY ordinal_position"
        )
        .lines()
        .collect::<Vec<_>>(),
        [
            "__connect_topic text",
            "__connect_partition integer",
            "__connect_offset bigint",
            "id integer",
            "name text",
        ],
        "the columns of the table the sink created"
    );
    assert_eq!(
        pg.sql_in(
            &target,
            "SELECT kcu.column_name FROM information_schema.table_constraints tc \
             JOIN information_schema.key_column_usage kcu \
               ON kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name \
             WHERE tc.table_name = 'orders' AND tc.constraint_type = 'PRIMARY KEY' \
             ORDER BY kcu.ordinal_position"
        )
        .lines()
        .collect::<Vec<_>>(),
        ["__connect_topic", "__connect_partition", "__connect_offset"],
        "the primary key of the table the sink created"
    );
    let s = status(&ferry, &created);
    assert_eq!(s["tasks"][0]["state"], "RUNNING", "{s}");
    drop(ferry);
    let _ = pg.try_sql_in(
        &pg.database,
        &format!("DROP DATABASE IF EXISTS {target} WITH (FORCE)"),
    );
}

// --- 5. tombstones of flat records -----------------------------------------------------------------

#[test]
fn tombstones_of_flat_records_delete_their_rows() {
    let broker = Broker::shared();
    let pg = Postgres::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let name = unique("sink-tomb");
    let target = unique("jdbcftomb").replace('-', "_");
    pg.fresh_database(&target);
    let topic = unique("faults-tomb");
    broker.create_topic(&topic, 1);
    let key = |id: u32| {
        json!({"schema": {"type": "struct", "name": "person_key", "optional": false, "fields": [
                {"field": "id", "type": "int32", "optional": false}]},
               "payload": {"id": id}})
        .to_string()
    };
    let value_schema = json!({"type": "struct", "name": "person", "optional": false, "fields": [
        {"field": "id", "type": "int32", "optional": false},
        {"field": "name", "type": "string", "optional": true},
        {"field": "qty", "type": "int32", "optional": true}]});
    let row = |id: u32, name: &str| {
        (
            key(id),
            Some(
                json!({"schema": value_schema, "payload": {"id": id, "name": name, "qty": id * 10}})
                    .to_string(),
            ),
        )
    };
    let tombstone = |id: u32| (key(id), None);

    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    create(
        &ferry,
        &name,
        json!({
            "connector.class": DEBEZIUM,
            "connection.url": pg.jdbc_url(&target),
            "connection.username": pg.user,
            "connection.password": pg.password,
            "insert.mode": "upsert",
            "primary.key.mode": "record_key",
            "delete.enabled": "true",
            "schema.evolution": "basic",
            "collection.name.format": "people",
            "topics": topic,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable": "true",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "true",
        }),
    );
    wait_running(&ferry, &name);
    let rows = || pg.try_sql_in(&target, "SELECT id, name, qty FROM people ORDER BY id");

    // Ten rows, written.
    let first: Vec<_> = (1..=10).map(|id| row(id, &format!("p{id}"))).collect();
    produce_keyed(&broker.address, &topic, &first);
    let all: String = (1..=10)
        .map(|id| format!("{id}\tp{id}\t{}\n", id * 10))
        .collect();
    wait_answer("the ten rows", Duration::from_secs(60), &all, &ferry, rows);

    // Tombstones of rows in the table; in one batch with them, a row written and deleted, a
    // row deleted and written again, and a tombstone of a key that never had a row.
    produce_keyed(
        &broker.address,
        &topic,
        &[
            tombstone(2),
            tombstone(5),
            tombstone(7),
            row(11, "brief"),
            tombstone(11),
            tombstone(3),
            row(3, "back"),
            tombstone(12),
        ],
    );
    let want = "1\tp1\t10\n3\tback\t30\n4\tp4\t40\n6\tp6\t60\n8\tp8\t80\n9\tp9\t90\n10\tp10\t100\n";
    wait_answer(
        "the rows after the tombstones",
        Duration::from_secs(60),
        want,
        &ferry,
        rows,
    );

    // Tombstones alone, each in a batch of its own, after the rows are in.
    produce_keyed(&broker.address, &topic, &[tombstone(1)]);
    wait_answer(
        "row 1 deleted",
        Duration::from_secs(30),
        &want.replacen("1\tp1\t10\n", "", 1),
        &ferry,
        rows,
    );
    produce_keyed(&broker.address, &topic, &[tombstone(10)]);
    let last = "3\tback\t30\n4\tp4\t40\n6\tp6\t60\n8\tp8\t80\n9\tp9\t90\n";
    wait_answer(
        "row 10 deleted",
        Duration::from_secs(30),
        last,
        &ferry,
        rows,
    );
    let s = status(&ferry, &name);
    assert_eq!(s["tasks"][0]["state"], "RUNNING", "{s}");
    drop(ferry);
    let _ = pg.try_sql_in(
        &pg.database,
        &format!("DROP DATABASE IF EXISTS {target} WITH (FORCE)"),
    );
}

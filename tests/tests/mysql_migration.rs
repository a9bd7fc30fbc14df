//! A MariaDB change data capture connector moved from real Debezium 3.6.1
//! (`io.debezium.connector.mariadb.MariaDbConnector` on Apache Kafka Connect 4.4.0) to ferry and
//! back to Debezium, on the same group and internal topics (config, offsets, status): ferry takes
//! over Debezium's offsets without a new snapshot, Debezium takes over ferry's, and the topic holds
//! every change exactly once, in order per key. Each worker stops cleanly (so everything sent was
//! committed) after a transaction whose last change is a row of a multi-row event, so the stored
//! offset counts events and rows inside it, which the next worker must skip exactly. A column is
//! added while ferry runs: Debezium, back, must know it (from the schema history topic). The
//! records are read back with an independent consumer, not with ferry's code.
//!
//! Debezium's plugin folder comes from `compat/debezium/fetch.sh` (`scripts/test.sh` runs it);
//! `FERRY_TEST_DEBEZIUM_PLUGINS` names the folder holding `mariadb/`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferry_e2e::cluster::*;
use ferry_e2e::mysql::{debezium_plugins, mariadb_plugin_path};
use ferry_e2e::*;
use serde_json::json;

const NAME: &str = "mariadb-mig";

/// One change as the test compares it: `op` (`r`, `c`, `u`, `d`, or `tombstone`), the key's
/// `id`, and `after.n` (`None` for a delete or a tombstone).
type Change = (String, i64, Option<i64>);

fn change(op: &str, id: i64, n: Option<i64>) -> Change {
    (op.to_string(), id, n)
}

/// The records of `topic` as changes, in the topic's order (one partition), reading until
/// `expected` are read or `wait` passes.
fn changes(broker: &Broker, topic: &str, expected: usize, wait: Duration) -> Vec<Change> {
    broker
        .consume_records(topic, expected, wait)
        .into_iter()
        .map(|(k, v)| {
            let parse = |t: Option<String>| {
                t.map(|t| serde_json::from_str::<Json>(&t).expect("JSON"))
                    .unwrap_or(Json::Null)
            };
            let (key, value) = (parse(k), parse(v));
            let id = key["payload"]["id"].as_i64().unwrap_or(-1);
            let op = value["payload"]["op"].as_str().unwrap_or("tombstone");
            let n = value["payload"]["after"]["n"].as_i64();
            change(op, id, n)
        })
        .collect()
}

/// The whole value of the first record of `topic` with `op` and key `id` (its schema and payload).
fn record_value(broker: &Broker, topic: &str, expected: usize, op: &str, id: i64) -> Json {
    broker
        .consume_records(topic, expected, Duration::from_secs(10))
        .into_iter()
        .filter_map(|(_, v)| v.and_then(|v| serde_json::from_str::<Json>(&v).ok()))
        .find(|v| v["payload"]["op"] == op && v["payload"]["after"]["id"] == id)
        .unwrap_or(Json::Null)
}

/// The connector's status on `w`, failing the test at once when the connector or its task FAILED.
fn check_not_failed(w: &Ferry, leg: &str) -> Json {
    let s = status(w, NAME);
    let failed = s["connector"]["state"] == "FAILED"
        || s["tasks"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["state"] == "FAILED"));
    assert!(
        !failed,
        "{leg}: the connector FAILED on the {:?} worker: {s:#}",
        w.kind
    );
    s
}

/// Waits until the connector and its one task are RUNNING on `w`.
fn wait_running(w: &Ferry, leg: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let s = check_not_failed(w, leg);
        if all_running(&s, 1) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{leg}: the connector is not RUNNING on the {:?} worker after 90 s: {s:#}",
            w.kind
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Whether `segment` holds every change of `wanted` (as many times as `wanted` has it).
fn holds_all(segment: &[Change], wanted: &[Change]) -> bool {
    wanted.iter().all(|ch| {
        let count = |list: &[Change]| list.iter().filter(|c| *c == ch).count();
        count(segment) >= count(wanted)
    })
}

/// Waits until the records of `topic` after the first `seen` hold every change of `wanted`,
/// watching the connector on `w`; notes in `problems` when they are not exactly `wanted` (a
/// change twice, or out of order), so that the later legs still run and show what they do.
/// Moves `seen` past what was read.
fn wait_changes(
    broker: &Broker,
    w: &Ferry,
    topic: &str,
    seen: &mut usize,
    wanted: &[Change],
    leg: &str,
    problems: &mut Vec<String>,
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut target = *seen + wanted.len();
    loop {
        let got = changes(broker, topic, target, Duration::from_secs(3));
        let segment = &got[(*seen).min(got.len())..];
        if holds_all(segment, wanted) {
            if segment != wanted {
                problems.push(format!(
                    "{leg}: the topic's new records are not the changes made, once each, in \
                     order:\n  got    {segment:?}\n  wanted {wanted:?}"
                ));
            }
            *seen = got.len();
            return;
        }
        check_not_failed(w, leg);
        assert!(
            Instant::now() < deadline,
            "{leg}: the changes made are not all in {topic} after 90 s:\n  got    {segment:?}\n  \
             wanted {wanted:?}\nearlier problems: {problems:#?}"
        );
        target = target.max(got.len() + 1);
    }
}

/// The connector's offsets as `w` shows them (`GET /connectors/NAME/offsets`).
fn offsets(w: &Ferry) -> Json {
    let (code, body) = w.get(&format!("/connectors/{NAME}/offsets"));
    assert_eq!(code, 200, "GET offsets on the {:?} worker: {body}", w.kind);
    body
}

/// The one offset of `offsets`, checked to belong to the connector's server partition.
fn the_offset<'a>(offsets: &'a Json, prefix: &str, leg: &str) -> &'a Json {
    let list = offsets["offsets"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{leg}: one offset: {offsets:#}");
    assert_eq!(
        offsets["offsets"][0]["partition"],
        json!({"server": prefix}),
        "{leg}: {offsets:#}"
    );
    &offsets["offsets"][0]["offset"]
}

#[test]
fn debezium_to_ferry_and_back_without_losing_or_repeating_a_change() {
    let started = Instant::now();
    let debezium = debezium_plugins();
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = mariadb_plugin_path(&debezium, dir.path());

    let database = unique("mig").replace('-', "_");
    let table = format!("{database}.items");
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR(50), n INT);
         INSERT INTO {table} VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30);"
    ));
    let prefix = unique("mig");
    let topic = format!("{prefix}.{table}");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let server_id = 100_000 + (std::process::id() % 1000) * 1000 + nanos % 1000;
    let config = json!({
        "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
        "tasks.max": "1",
        "database.hostname": db.host,
        "database.port": db.port,
        "database.user": db.user,
        "database.password": db.password,
        "database.server.id": server_id.to_string(),
        "topic.prefix": prefix,
        "database.include.list": database,
        "table.include.list": table,
        "snapshot.mode": "initial",
        "schema.history.internal.kafka.bootstrap.servers": broker.address,
        "schema.history.internal.kafka.topic": format!("{prefix}-history"),
        "schema.history.internal.store.only.captured.tables.ddl": "true",
    });

    // Both kinds of worker: JSON with schemas for keys and values, Debezium on the plugin path
    // (ferry accepts the key and has the connector built in).
    let json_converter = "org.apache.kafka.connect.json.JsonConverter".to_string();
    let mut c = cluster_of(
        &broker,
        &[Kind::Java],
        &[
            ("key.converter", json_converter.clone()),
            ("value.converter", json_converter),
            ("key.converter.schemas.enable", "true".into()),
            ("value.converter.schemas.enable", "true".into()),
            ("plugin.path", plugins.display().to_string()),
            // Debezium ships its manifests; a reflective scan of its jars only costs time.
            ("plugin.discovery", "service_load".into()),
        ],
    );
    eprintln!(
        "Kafka Connect up after {:?}; group {}, database {database}, topic {topic}",
        started.elapsed(),
        c.group
    );
    // What went wrong in a leg that the next legs can still run after; checked at the end.
    let mut problems: Vec<String> = Vec::new();
    // Every change made, in order, and how many records of the topic the legs have read.
    let mut expected: Vec<Change> = Vec::new();
    let mut seen = 0;

    // ---- 1. Debezium on Kafka Connect: the snapshot, then changes.
    let leg = "leg 1 (Debezium)";
    let java = &c.workers[0];
    let (code, body) = java.call_retrying(
        "POST",
        "/connectors",
        Some(json!({"name": NAME, "config": config})),
    );
    assert_eq!(code, 201, "create the connector on Kafka Connect: {body}");
    wait_running(java, leg);
    let snapshot = [
        change("r", 1, Some(10)),
        change("r", 2, Some(20)),
        change("r", 3, Some(30)),
    ];
    wait_changes(
        &broker,
        java,
        &topic,
        &mut seen,
        &snapshot,
        leg,
        &mut problems,
    );
    expected.extend(snapshot);
    eprintln!(
        "{leg}: the snapshot is in the topic after {:?}",
        started.elapsed()
    );
    db.sql(&format!(
        "INSERT INTO {table} VALUES (4, 'd', 40);
         UPDATE {table} SET n = 11 WHERE id = 1;
         DELETE FROM {table} WHERE id = 2;
         BEGIN;
         INSERT INTO {table} VALUES (5, 'e', 50), (6, 'f', 60);
         UPDATE {table} SET n = n + 1 WHERE id IN (3, 4);
         COMMIT;"
    ));
    let leg1 = [
        change("c", 4, Some(40)),
        change("u", 1, Some(11)),
        change("d", 2, None),
        change("tombstone", 2, None),
        change("c", 5, Some(50)),
        change("c", 6, Some(60)),
        change("u", 3, Some(31)),
        change("u", 4, Some(41)),
    ];
    wait_changes(&broker, java, &topic, &mut seen, &leg1, leg, &mut problems);
    expected.extend(leg1);
    // Let a periodic commit pass (offset.flush.interval.ms=500), then stop: the last commit.
    std::thread::sleep(Duration::from_secs(2));
    let java_offsets = offsets(java);
    let code = c.workers[0].terminate();
    assert_eq!(code, Some(143), "Kafka Connect stops cleanly on SIGTERM");
    eprintln!(
        "{leg}: done after {:?}; Debezium's offsets: {java_offsets}",
        started.elapsed()
    );

    // ---- 2. ferry on the same group and topics: Debezium's offsets, no new snapshot, streaming.
    let leg = "leg 2 (ferry)";
    let f = c.add(Kind::Ferry);
    let ferry = &c.workers[f];
    wait_running(ferry, leg);
    let ferry_view = offsets(ferry);
    let (theirs, ours) = (
        the_offset(&java_offsets, &prefix, "Debezium's offsets"),
        the_offset(&ferry_view, &prefix, leg),
    );
    assert!(
        theirs["file"].is_string() && theirs["pos"].is_u64(),
        "Debezium's offset has file and pos: {theirs}"
    );
    if (&ours["file"], &ours["pos"]) != (&theirs["file"], &theirs["pos"]) {
        problems.push(format!(
            "{leg}: ferry does not show Debezium's binlog position: ferry {ferry_view}, \
             Debezium {java_offsets}"
        ));
    }
    db.sql(&format!(
        "INSERT INTO {table} VALUES (7, 'g', 70);
         UPDATE {table} SET n = 12 WHERE id = 1;
         DELETE FROM {table} WHERE id = 3;
         ALTER TABLE {table} ADD COLUMN note VARCHAR(20);
         BEGIN;
         INSERT INTO {table} VALUES (8, 'h', 80, 'eight'), (9, 'i', 90, 'nine');
         UPDATE {table} SET n = n + 1 WHERE id IN (5, 6);
         DELETE FROM {table} WHERE id = 4;
         COMMIT;"
    ));
    let leg2 = [
        change("c", 7, Some(70)),
        change("u", 1, Some(12)),
        change("d", 3, None),
        change("tombstone", 3, None),
        change("c", 8, Some(80)),
        change("c", 9, Some(90)),
        change("u", 5, Some(51)),
        change("u", 6, Some(61)),
        change("d", 4, None),
        change("tombstone", 4, None),
    ];
    wait_changes(&broker, ferry, &topic, &mut seen, &leg2, leg, &mut problems);
    expected.extend(leg2);
    // ferry's events have Debezium's schema (ferry's create of id 7 against Debezium's of id 4).
    let debezium_value = record_value(&broker, &topic, seen, "c", 4);
    let ferry_value = record_value(&broker, &topic, seen, "c", 7);
    if ferry_value["schema"] != debezium_value["schema"] {
        problems.push(format!(
            "{leg}: ferry's value schema is not Debezium's:\n  ferry    {}\n  Debezium {}",
            ferry_value["schema"], debezium_value["schema"]
        ));
    }
    if ferry_value["payload"]["source"]["connector"] != "mariadb" {
        problems.push(format!(
            "{leg}: ferry's source is not mariadb: {ferry_value}"
        ));
    }
    // After the ALTER, ferry's events carry the new column.
    let after_alter = record_value(&broker, &topic, seen, "c", 8);
    if after_alter["payload"]["after"]["note"] != "eight" {
        problems.push(format!(
            "{leg}: ferry's create of id 8 after ADD COLUMN note lacks note = eight: {after_alter}"
        ));
    }
    std::thread::sleep(Duration::from_secs(2));
    let ferry_offsets = offsets(ferry);
    let code = c.workers[f].terminate();
    assert_eq!(code, Some(0), "ferry stops cleanly on SIGTERM");
    eprintln!(
        "{leg}: done after {:?}; ferry's offsets: {ferry_offsets}",
        started.elapsed()
    );
    // A change while no worker runs: the next one must find it in the binlog.
    db.sql(&format!("UPDATE {table} SET n = 13 WHERE id = 1;"));

    // ---- 3. Debezium again: it continues where ferry stopped.
    let leg = "leg 3 (Debezium again)";
    let j = c.add(Kind::Java);
    let java = &c.workers[j];
    wait_running(java, leg);
    db.sql(&format!(
        "INSERT INTO {table} VALUES (10, 'j', 100, 'ten');
         UPDATE {table} SET n = 14 WHERE id = 1;
         DELETE FROM {table} WHERE id = 5;"
    ));
    let leg3 = [
        change("u", 1, Some(13)),
        change("c", 10, Some(100)),
        change("u", 1, Some(14)),
        change("d", 5, None),
        change("tombstone", 5, None),
    ];
    wait_changes(&broker, java, &topic, &mut seen, &leg3, leg, &mut problems);
    expected.extend(leg3);
    // Debezium knows the column added while ferry ran (from the schema history topic).
    let after_alter = record_value(&broker, &topic, seen, "c", 10);
    if after_alter["payload"]["after"]["note"] != "ten" {
        problems.push(format!(
            "{leg}: Debezium's create of id 10 lacks note = ten (the column added while ferry \
             ran): {after_alter}"
        ));
    }
    eprintln!("{leg}: done after {:?}", started.elapsed());

    // ---- The whole topic: every change exactly once, in order per key, one snapshot.
    let all = changes(
        &broker,
        &topic,
        seen.max(expected.len()) + 1,
        Duration::from_secs(5),
    );
    let by_key = |list: &[Change]| {
        let mut keys: BTreeMap<i64, Vec<Change>> = BTreeMap::new();
        for ch in list {
            keys.entry(ch.1).or_default().push(ch.clone());
        }
        keys
    };
    for p in &problems {
        eprintln!("PROBLEM {p}");
    }
    assert_eq!(
        by_key(&all),
        by_key(&expected),
        "each key's changes, once each, in order; problems: {problems:#?}"
    );
    assert_eq!(
        all, expected,
        "the topic holds every change once, in order; problems: {problems:#?}"
    );
    assert_eq!(
        all.iter().filter(|ch| ch.0 == "r").count(),
        3,
        "one snapshot only"
    );
    assert!(problems.is_empty(), "problems: {problems:#?}");
    let code = c.workers[j].terminate();
    assert_eq!(code, Some(143), "Kafka Connect stops cleanly on SIGTERM");
    db.sql(&format!("DROP DATABASE {database};"));
    eprintln!("all legs done after {:?}", started.elapsed());
}

//! ferry's MariaDB change events against Debezium 3.6.1's own (`compat/debezium/golden/mariadb`,
//! recorded by `compat/debezium/run.sh` from real Debezium on Kafka Connect 4.4.0): the same
//! `setup.sql` (the snapshot) and `stream.sql` (the binlog) run against MariaDB with the same
//! connector configuration, and every event of the two captured tables compared with Debezium's —
//! key and value, schema and payload — but for what changes from run to run: timestamps, binlog
//! positions, GTIDs' sequence numbers and the server id. Each difference is reported with the event it is in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_e2e::*;
use serde_json::{json, Value as Json};

fn compat() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../compat/debezium")
}

/// Debezium's events of one topic, as recorded for `variant` (`golden/VARIANT/`); none when
/// Debezium wrote no such topic.
fn golden(variant: &str, topic: &str) -> Vec<(Json, Json)> {
    let path = compat().join(format!("golden/{variant}/{topic}.jsonl"));
    if !path.exists() {
        return Vec::new();
    }
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| {
            let r: Json = serde_json::from_str(l).expect("golden JSON");
            (r["key"].clone(), r["value"].clone())
        })
        .collect()
}

/// The headers of Debezium's records of one topic, as recorded.
fn golden_headers(variant: &str, topic: &str) -> Vec<Json> {
    let path = compat().join(format!("golden/{variant}/{topic}.jsonl"));
    if !path.exists() {
        return Vec::new();
    }
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).expect("golden JSON")["headers"].clone())
        .collect()
}

/// Headers with what differs from run to run made steady: the run id (a UUIDv7 either way) and
/// the logical name (the topic prefix).
fn steady_headers(headers: &Json, prefix: &str) -> Json {
    let mut out = serde_json::Map::new();
    for (k, v) in headers.as_object().into_iter().flatten() {
        let v = match k.as_str() {
            "__debezium.context.runId" => {
                let text = v.as_str().unwrap_or_default();
                json!(text.len() == 36 && text.chars().nth(14) == Some('7'))
            }
            "__debezium.context.connectorLogicalName" if v == prefix => json!("golden"),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Json::Object(out)
}

/// What differs from run to run, taken out of an event before comparing.
fn steady(mut value: Json, prefix: &str) -> Json {
    if let Some(p) = value.get_mut("payload").and_then(Json::as_object_mut) {
        for k in ["ts_ms", "ts_us", "ts_ns"] {
            p.remove(k);
        }
        if let Some(s) = p.get_mut("source").and_then(Json::as_object_mut) {
            for k in [
                "ts_ms",
                "ts_us",
                "ts_ns",
                "file",
                "pos",
                "server_id",
                "name",
            ] {
                s.remove(k);
            }
            // A GTID's sequence differs from run to run; whether there is one does not.
            if let Some(g) = s.get_mut("gtid") {
                *g = json!(g.is_string());
            }
        }
    }
    // Schema names carry the topic prefix, which is this run's own.
    let text = value
        .to_string()
        .replace(&format!("\"{prefix}."), "\"golden.");
    serde_json::from_str(&text).expect("JSON")
}

/// The differences between two JSON values, as `path: debezium != ferry`.
fn differences(path: &str, want: &Json, got: &Json, out: &mut Vec<String>) {
    match (want, got) {
        (Json::Object(w), Json::Object(g)) => {
            let keys: std::collections::BTreeSet<&String> = w.keys().chain(g.keys()).collect();
            for k in keys {
                differences(
                    &format!("{path}.{k}"),
                    w.get(k).unwrap_or(&Json::Null),
                    g.get(k).unwrap_or(&Json::Null),
                    out,
                );
            }
        }
        (Json::Array(w), Json::Array(g)) if w.len() == g.len() => {
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                differences(&format!("{path}[{i}]"), a, b, out);
            }
        }
        (a, b) if a != b => out.push(format!("{path}: Debezium {a} != ferry {b}")),
        _ => {}
    }
}

/// Both variants use the database `compat`: one at a time.
static COMPAT: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn mariadb_events_are_debeziums() {
    compare_with_debezium("mariadb", Runs::Native);
}

/// Debezium's own jar (the MariaDB connector 3.6.1 from `plugin.path`) run by ferry's Java
/// plugin host: its events through ferry's runtime equal its events through Kafka Connect's.
#[test]
fn debeziums_jar_under_ferry_writes_what_it_writes_under_kafka_connect() {
    compare_with_debezium("mariadb", Runs::DebeziumJar);
}

/// `time.precision.mode=connect`, `binary.handling.mode=hex`, `bigint.unsigned.handling.mode=precise`,
/// `decimal.handling.mode=string`, no schema change topic, no tombstones, deletes skipped, a
/// message key of another column, a snapshot of one table with its own SELECT
/// (`connector-mariadb-modes.json`).
#[test]
fn mariadb_events_with_other_type_modes_are_debeziums() {
    compare_with_debezium("mariadb-modes", Runs::Native);
}

/// Which MariaDB connector ferry runs.
#[derive(PartialEq)]
enum Runs {
    /// ferry's own (built in).
    Native,
    /// Debezium's jar, through the Java plugin host.
    DebeziumJar,
}

/// Runs ferry with the configuration Debezium's `variant` was recorded with and compares.
fn compare_with_debezium(variant: &str, runs: Runs) {
    let _compat = COMPAT.lock().unwrap_or_else(|e| e.into_inner());
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = MySql::from_env();
    db.sql_file(&compat().join("setup.sql"));
    let mut worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    if runs == Runs::DebeziumJar {
        let plugins = mysql::mariadb_plugin_path(&mysql::debezium_plugins(), dir.path());
        worker.push(("plugin.path", plugins.display().to_string()));
        worker.push(("plugin.discovery", "service_load".to_string()));
    }
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let prefix = unique("golden").replace('-', "_");
    let template =
        std::fs::read_to_string(compat().join("connector.json")).expect("connector.json");
    let mut connector: Json = serde_json::from_str(&template).expect("connector JSON");
    let config = connector["config"].as_object_mut().expect("config");
    let settings = compat().join(format!("connector-{variant}.json"));
    if settings.exists() {
        let extra: Json = serde_json::from_str(
            &std::fs::read_to_string(&settings).expect("the variant's settings"),
        )
        .expect("the variant's settings as JSON");
        for (k, v) in extra.as_object().into_iter().flatten() {
            config.insert(k.clone(), v.clone());
        }
    }
    config.insert(
        "connector.class".into(),
        json!("io.debezium.connector.mariadb.MariaDbConnector"),
    );
    if runs == Runs::DebeziumJar {
        // The jar's version, not ferry's built-in connector of the same class.
        config.insert("connector.plugin.version".into(), json!("3.6.1.Final"));
    }
    config.insert("topic.prefix".into(), json!(prefix));
    config.insert("database.hostname".into(), json!(db.host));
    config.insert("database.port".into(), json!(db.port));
    config.insert("database.user".into(), json!(db.user));
    config.insert("database.password".into(), json!(db.password));
    config.insert(
        "database.server.id".into(),
        json!(6300 + std::process::id() % 500),
    );
    config.insert(
        "schema.history.internal.kafka.bootstrap.servers".into(),
        json!(broker.address),
    );
    let history_topic = format!("{prefix}-history");
    config.insert(
        "schema.history.internal.kafka.topic".into(),
        json!(history_topic),
    );
    let (code, body) = ferry.call(
        "PUT",
        "/connectors/golden/config",
        Some(connector["config"].clone()),
    );
    assert_eq!(code, 201, "{body}");
    if runs == Runs::DebeziumJar {
        // The jar runs, not ferry's connector of the same class: the status says whose version.
        let status = wait_for("the connector to run", Duration::from_secs(60), || {
            let (_, status) = ferry.get("/connectors/golden/status");
            (status["tasks"][0]["state"] == "RUNNING").then_some(status)
        });
        assert_eq!(status["connector"]["version"], "3.6.1.Final", "{status}");
        // The jar's transforms are listed too, for Java connectors to use.
        let (_, all) = ferry.get("/connector-plugins?connectorsOnly=false");
        assert!(
            all.as_array().into_iter().flatten().any(|p| {
                p["class"] == "io.debezium.transforms.ExtractNewRecordState"
                    && p["type"] == "transformation"
                    && p["version"] == "3.6.1.Final"
            }),
            "{all}"
        );
    }

    let tables = ["golden.compat.all_types", "golden.compat.customers"];
    let expected: BTreeMap<&str, Vec<(Json, Json)>> =
        tables.iter().map(|t| (*t, golden(variant, t))).collect();
    let topic = |t: &str| t.replacen("golden", &prefix, 1);
    let snapshot_size = |events: &Vec<(Json, Json)>| {
        events
            .iter()
            .filter(|(_, v)| v["payload"]["op"] == "r")
            .count()
    };
    for t in tables {
        let n = snapshot_size(&expected[t]);
        let got = broker.consume_records(&topic(t), n, Duration::from_secs(60));
        assert_eq!(
            got.len(),
            n,
            "{t}: the snapshot's events; worker output:\n{}",
            ferry.output()
        );
    }
    db.sql_file(&compat().join("stream.sql"));

    let mut report = Vec::new();
    for t in tables {
        let want = &expected[t];
        // Where Debezium wrote nothing, a few seconds show that ferry writes nothing either.
        let wait = if want.is_empty() { 5 } else { 60 };
        let got: Vec<(Json, Json)> = broker
            .consume_records(&topic(t), want.len().max(1), Duration::from_secs(wait))
            .into_iter()
            .map(|(k, v)| {
                let parse = |t: Option<String>| {
                    t.map(|t| serde_json::from_str(&t).expect("JSON"))
                        .unwrap_or(Json::Null)
                };
                (parse(k), parse(v))
            })
            .collect();
        if got.len() != want.len() {
            report.push(format!(
                "{t}: Debezium wrote {} events, ferry {}",
                want.len(),
                got.len()
            ));
        }
        for (i, ((wk, wv), (gk, gv))) in want.iter().zip(&got).enumerate() {
            let mut diffs = Vec::new();
            differences(
                "key",
                &steady(wk.clone(), "golden"),
                &steady(gk.clone(), &prefix),
                &mut diffs,
            );
            differences(
                "value",
                &steady(wv.clone(), "golden"),
                &steady(gv.clone(), &prefix),
                &mut diffs,
            );
            for d in diffs {
                report.push(format!("{t} event {i} ({}): {d}", wv["payload"]["op"]));
            }
        }
    }
    // The schema change topic: the snapshot's DDL, then the ALTER TABLE of stream.sql.
    let want = golden(variant, "golden");
    // Where Debezium wrote none, a few seconds show that ferry writes none either.
    let wait = if want.is_empty() { 5 } else { 60 };
    let got = broker.consume_records(&prefix, want.len().max(1), Duration::from_secs(wait));
    if got.len() != want.len() {
        report.push(format!(
            "schema changes: Debezium wrote {} events, ferry {}",
            want.len(),
            got.len()
        ));
    }
    for (i, ((wk, wv), (gk, gv))) in want.iter().zip(&got).enumerate() {
        let parse = |t: &Option<String>| {
            t.as_deref()
                .map(|t| serde_json::from_str(t).expect("JSON"))
                .unwrap_or(Json::Null)
        };
        let mut diffs = Vec::new();
        differences("key", wk, &parse(gk), &mut diffs);
        differences(
            "value",
            &steady(wv.clone(), "golden"),
            &steady(parse(gv), &prefix),
            &mut diffs,
        );
        for d in diffs {
            report.push(format!("schema change {i}: {d}"));
        }
    }
    // The schema history: the same records but for times and positions, whose keys must match.
    let history_steady = |mut v: Json, server: &str| {
        if let Some(o) = v.as_object_mut() {
            o.remove("ts_ms");
            o.insert("source".into(), json!({"server": server}));
            if let Some(p) = o.get_mut("position").and_then(Json::as_object_mut) {
                for (_, value) in p.iter_mut() {
                    if *value != json!("INITIAL") {
                        *value = json!("…");
                    }
                }
            }
        }
        v
    };
    let want = golden(variant, "schema-history-golden");
    let got = broker.consume_records(&history_topic, want.len(), Duration::from_secs(60));
    if got.len() != want.len() {
        report.push(format!(
            "schema history: Debezium wrote {} records, ferry {}",
            want.len(),
            got.len()
        ));
    }
    for (i, ((_, wv), (_, gv))) in want.iter().zip(&got).enumerate() {
        let gv: Json = serde_json::from_str(gv.as_deref().unwrap_or("null")).expect("JSON");
        let mut diffs = Vec::new();
        differences(
            "history",
            &history_steady(wv.clone(), "golden"),
            &history_steady(gv, "golden"),
            &mut diffs,
        );
        for d in diffs {
            report.push(format!("schema history record {i}: {d}"));
        }
    }
    // Headers: Debezium's context on every change and schema change event, and the keys of a
    // primary-key change.
    for (golden_topic, ferry_topic) in tables
        .iter()
        .map(|t| (t.to_string(), topic(t)))
        .chain([("golden".to_string(), prefix.clone())])
    {
        let want = golden_headers(variant, &golden_topic);
        let got = broker.consume_with_headers(&ferry_topic, want.len(), Duration::from_secs(60));
        if got.len() != want.len() {
            report.push(format!(
                "{golden_topic}: {} records with headers from Debezium, {} from ferry",
                want.len(),
                got.len()
            ));
        }
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            let g: serde_json::Map<String, Json> = g
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().map(Json::String).unwrap_or(Json::Null)))
                .collect();
            let mut diffs = Vec::new();
            differences(
                "headers",
                &steady_headers(w, "golden"),
                &steady_headers(&Json::Object(g), &prefix),
                &mut diffs,
            );
            for d in diffs {
                report.push(format!("{golden_topic} record {i}: {d}"));
            }
        }
    }
    assert!(
        report.is_empty(),
        "{} differences from Debezium 3.6.1's events:\n{}\nworker output:\n{}",
        report.len(),
        report.join("\n"),
        ferry.output()
    );
}

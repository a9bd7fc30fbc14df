//! A stored binlog position the server has purged: the task fails saying so and what to do, and
//! with `snapshot.mode=when_needed` the connector takes a new snapshot instead. It purges the
//! shared MariaDB's old binlog files, so it lives in its own test binary: `cargo test` runs test
//! binaries one after another (and `.config/nextest.toml` gives it every thread under nextest).

use std::time::Duration;

use ferry_e2e::mysql::streaming_offset;
use ferry_e2e::*;
use serde_json::{json, Value as Json};

#[test]
fn a_purged_binlog_position_fails_the_task_unless_a_snapshot_is_allowed_when_needed() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = unique("cdcpurged").replace('-', "_");
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.t (id INT PRIMARY KEY, v VARCHAR(10));
         INSERT INTO {database}.t VALUES (1, 'a');"
    ));
    let mut ferry = Ferry::standalone_on(&broker, dir.path());
    let prefix = unique("purged");
    let mut config = db.cdc_config(&broker, &prefix, &database);
    let (code, body) = ferry.call("PUT", "/connectors/purged/config", Some(config.clone()));
    assert_eq!(code, 201, "{body}");
    let topic = format!("{prefix}.{database}.t");
    assert_eq!(broker.consume(&topic, 1, Duration::from_secs(60)).len(), 1);
    db.sql(&format!("INSERT INTO {database}.t VALUES (2, 'b');"));
    assert_eq!(broker.consume(&topic, 2, Duration::from_secs(60)).len(), 2);
    let stored = streaming_offset(&ferry, "purged");
    ferry.terminate();
    // The server moves to new binlog files and drops the one the offset names.
    db.sql(&format!(
        "INSERT INTO {database}.t VALUES (3, 'c'); FLUSH BINARY LOGS; FLUSH BINARY LOGS;"
    ));
    let current = db
        .try_sql("SHOW MASTER STATUS")
        .expect("the current binlog file");
    let current = current
        .split_whitespace()
        .next()
        .expect("a file name")
        .to_string();
    let file = stored["file"].as_str().unwrap_or_default().to_string();
    // The server keeps a file a replica connection still reads (the stopped worker's may take a
    // moment to go): purge until it is gone.
    wait_for(
        "the stored binlog file purged",
        Duration::from_secs(60),
        || {
            db.sql(&format!("PURGE BINARY LOGS TO '{current}';"));
            let files = db.try_sql("SHOW BINARY LOGS").expect("the binlog files");
            (!files.contains(&file)).then_some(())
        },
    );

    ferry.start_again();
    // A standalone worker keeps no connector made over REST across a restart: it is made again.
    let (code, body) = ferry.call("PUT", "/connectors/purged/config", Some(config.clone()));
    assert!(code == 200 || code == 201, "{code} {body}");
    let status = wait_for("the task FAILED", Duration::from_secs(60), || {
        let (_, s) = ferry.get("/connectors/purged/status");
        (s["tasks"][0]["state"] == "FAILED").then_some(s)
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains(&file)
            && trace.contains("no longer available")
            && trace.contains("when_needed"),
        "{trace}"
    );

    config["snapshot.mode"] = json!("when_needed");
    let (code, body) = ferry.call("PUT", "/connectors/purged/config", Some(config));
    assert_eq!(code, 200, "{body}");
    // The new snapshot reads the table as it is now: all three rows.
    let values = broker.consume(&topic, 5, Duration::from_secs(60));
    let reads: Vec<Json> = values[2..]
        .iter()
        .map(|v| serde_json::from_str::<Json>(v).expect("JSON"))
        .map(|v| json!([v["op"], v["after"]["id"]]))
        .collect();
    assert_eq!(
        reads,
        vec![json!(["r", 1]), json!(["r", 2]), json!(["r", 3])],
        "{}",
        ferry.output()
    );
    db.sql(&format!("DROP DATABASE {database};"));
}

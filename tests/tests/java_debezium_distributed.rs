//! Debezium's MariaDB jar 3.6.1 in a ferry cluster, run by the workers' Java plugin hosts: the
//! worker running its task is killed (-9) while changes are written; the task moves to the other
//! worker and, from the offsets the cluster committed, every change arrives, in order per key.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ferry_e2e::cluster::*;
use ferry_e2e::mysql::{debezium_plugins, mariadb_plugin_path, streaming_offset};
use ferry_e2e::*;
use serde_json::json;

#[test]
fn debeziums_jar_fails_over_in_a_cluster_with_every_change() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let plugins_dir = tempfile::tempdir().expect("temp dir");
    let plugins = mariadb_plugin_path(&debezium_plugins(), plugins_dir.path());
    let json_converter = "org.apache.kafka.connect.json.JsonConverter".to_string();
    let mut c = cluster_with(
        &broker,
        2,
        &[
            ("plugin.path", plugins.display().to_string()),
            ("plugin.discovery", "service_load".to_string()),
            ("key.converter", json_converter.clone()),
            ("value.converter", json_converter),
        ],
    );
    let database = unique("cdcjar").replace('-', "_");
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.counter (id INT PRIMARY KEY, n INT NOT NULL);"
    ));
    let prefix = unique("jar");
    let mut config = db.cdc_config(&broker, &prefix, &database);
    config["connector.plugin.version"] = json!("3.6.1.Final");
    let name = unique("debezium-jar");
    let (code, body) =
        c.workers[0].call_retrying("PUT", &format!("/connectors/{name}/config"), Some(config));
    assert!(code == 201 || code == 200, "{code} {body}");
    let s = wait_for("the jar's task RUNNING", Duration::from_secs(120), || {
        let s = status(&c.workers[0], &name);
        all_running(&s, 1).then_some(s)
    });
    assert_eq!(s["connector"]["version"], "3.6.1.Final", "{s}");

    // Its schema change events come once the snapshot's transaction has begun: every change
    // made from then on is streamed, none read by the snapshot.
    assert!(
        !broker
            .consume(&prefix, 1, Duration::from_secs(60))
            .is_empty(),
        "the snapshot's schema change events"
    );
    // 50 keys, 40 rounds of updates; the worker with the task is killed in the middle.
    let (keys, rounds) = (50, 40);
    let round = |r: i64| -> String {
        let body: String = (0..keys)
            .map(|k| {
                if r == 0 {
                    format!("INSERT INTO {database}.counter VALUES ({k}, 0);")
                } else {
                    format!("UPDATE {database}.counter SET n = {r} WHERE id = {k};")
                }
            })
            .collect();
        format!("START TRANSACTION; {body} COMMIT;")
    };
    let first: Vec<String> = (0..rounds / 2).map(round).collect();
    db.sql(&first.join("\n"));
    let owner = s["tasks"][0]["worker_id"]
        .as_str()
        .expect("worker id")
        .to_string();
    let victim = c.index_of(&owner).expect("the task runs on one of ours");
    let survivor = 1 - victim;
    streaming_offset(&c.workers[survivor], &name);
    c.workers[victim].kill9();
    let second: Vec<String> = (rounds / 2..rounds).map(round).collect();
    db.sql(&second.join("\n"));
    wait_for(
        "the task RUNNING on the other worker",
        Duration::from_secs(120),
        || {
            let s = status(&c.workers[survivor], &name);
            (all_running(&s, 1) && s["tasks"][0]["worker_id"] != owner.as_str()).then_some(())
        },
    );

    let topic = format!("{prefix}.{database}.counter");
    let total = (keys * rounds) as usize;
    // Duplicates may come after the failover: read until every change was seen.
    let changes = |events: &[(Option<String>, Option<String>)]| -> Vec<(i64, i64)> {
        events
            .iter()
            .map(|(key, value)| {
                let key: Json =
                    serde_json::from_str(key.as_deref().unwrap_or("null")).expect("key");
                let value: Json =
                    serde_json::from_str(value.as_deref().unwrap_or("null")).expect("value");
                // the connector's converters write JSON without schemas
                (
                    key["id"].as_i64().expect("id"),
                    value["after"]["n"].as_i64().expect("n"),
                )
            })
            .collect()
    };
    let events = wait_for("every change", Duration::from_secs(120), || {
        let events = broker.consume_records(&topic, 2 * total, Duration::from_secs(10));
        let distinct: BTreeSet<(i64, i64)> = changes(&events).into_iter().collect();
        (distinct.len() >= total).then_some(events)
    });
    let mut seen: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut last: BTreeMap<i64, i64> = BTreeMap::new();
    for (id, n) in changes(&events) {
        let previous = last.insert(id, n).unwrap_or(-1);
        // at least once: a change may come again after the failover, never out of order
        assert!(
            n == previous + 1 || n <= previous,
            "key {id}: {n} after {previous}"
        );
        seen.insert((id, n));
    }
    assert_eq!(seen.len(), total, "every change is in the topic");
    db.sql(&format!("DROP DATABASE {database};"));
}

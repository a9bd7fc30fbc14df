//! Progress of long work in the status API (`?progress=true`, a ferry extension): a source's
//! committed offsets, a sink's lag, a MySQL snapshot's tables and rows; asked of any worker of a
//! cluster; and Kafka's status shape, without the `progress` key, when not asked for.

use std::time::Duration;

use ferry_e2e::cluster::*;
use ferry_e2e::*;
use serde_json::json;

/// The progress of task 0 in the connector's status, when there is one.
fn progress(w: &Ferry, name: &str) -> Option<Json> {
    let (code, s) = w.get(&format!("/connectors/{name}/status?progress=true"));
    assert_eq!(code, 200, "{s}");
    s["tasks"][0].get("progress").cloned()
}

fn scrape(w: &Ferry) -> String {
    ureq::get(&format!("{}/metrics", w.rest))
        .call()
        .expect("GET /metrics answers")
        .into_string()
        .expect("text")
}

/// Kafka's shape: no task carries `progress` unless asked.
fn assert_no_progress_key(w: &Ferry, name: &str) {
    let (_, s) = w.get(&format!("/connectors/{name}/status"));
    for t in s["tasks"].as_array().expect("tasks") {
        assert!(t.get("progress").is_none(), "{s}");
    }
    let (_, t) = w.get(&format!("/connectors/{name}/tasks/0/status"));
    assert!(t.get("progress").is_none(), "{t}");
    let (_, s) = w.get(&format!("/connectors/{name}/status?progress=false"));
    assert!(s["tasks"][0].get("progress").is_none(), "{s}");
}

#[test]
fn a_file_source_reports_its_committed_position_and_a_sink_its_lag() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let topic = unique("progress");
    broker.create_topic(&topic, 2);
    let input = dir.path().join("in.txt");
    let lines: Vec<String> = (0..300).map(|i| format!("line {i}")).collect();
    append_lines(&input, &lines);
    let length = std::fs::metadata(&input).expect("input file").len();
    let source = json!({
        "connector.class": "FileStreamSource",
        "file": input.display().to_string(),
        "topic": topic,
    });
    let (code, body) = ferry.call("PUT", "/connectors/prog-src/config", Some(source));
    assert_eq!(code, 201, "{body}");

    // The position of the last committed offset is where the file ends.
    let offsets = wait_for(
        "the committed position at the end of the file",
        Duration::from_secs(60),
        || {
            let p = progress(&ferry, "prog-src")?;
            let offsets = p["source_offsets"].clone();
            (offsets[0]["offset"]["position"] == json!(length)).then_some(offsets)
        },
    );
    assert_eq!(
        offsets,
        json!([{"partition": {"filename": input.display().to_string()}, "offset": {"position": length}}])
    );
    let (code, task) = ferry.get("/connectors/prog-src/tasks/0/status?progress=true");
    assert_eq!(code, 200, "{task}");
    assert_eq!(task["state"], "RUNNING");
    assert_eq!(task["progress"]["source_offsets"], offsets);
    assert!(task["progress"].get("snapshot").is_none(), "{task}");
    assert!(task["progress"].get("sink_lag").is_none(), "{task}");
    let n = lines.len();
    assert_eq!(
        task["progress"]["records"],
        json!({"polled": n, "written": n}),
        "{task}"
    );
    assert_no_progress_key(&ferry, "prog-src");

    // The sink catches up: no lag left, and its positions add up to the records of the topic.
    let sink = json!({
        "connector.class": "FileStreamSink",
        "file": dir.path().join("out.txt").display().to_string(),
        "topics": topic,
    });
    let (code, body) = ferry.call("PUT", "/connectors/prog-sink/config", Some(sink));
    assert_eq!(code, 201, "{body}");
    let lag = wait_for(
        "the sink caught up, with its lag reported",
        Duration::from_secs(60),
        || {
            let lag = progress(&ferry, "prog-sink")?["sink_lag"].clone();
            let positions: i64 = lag["partitions"]
                .as_array()?
                .iter()
                .filter_map(|p| p["position"].as_i64())
                .sum();
            (lag["total"] == 0 && positions == lines.len() as i64).then_some(lag)
        },
    );
    // A partition appears once the consumer has a position in it (one that never had a
    // record may not).
    let partitions = lag["partitions"].as_array().expect("partitions");
    for p in partitions {
        assert_eq!(p["topic"], json!(topic), "{lag}");
        assert!(p["partition"] == 0 || p["partition"] == 1, "{lag}");
        assert_eq!(p["lag"], 0, "{lag}");
    }
    let sum: i64 = partitions.iter().filter_map(|p| p["lag"].as_i64()).sum();
    assert_eq!(json!(sum), lag["total"], "{lag}");
    wait_for(
        "the sink's records counted",
        Duration::from_secs(30),
        || {
            let records = progress(&ferry, "prog-sink")?["records"].clone();
            (records == json!({"read": n, "put": n})).then_some(())
        },
    );
    assert_no_progress_key(&ferry, "prog-sink");

    // `?expand=status&progress=true` carries the same.
    let (_, all) = ferry.get("/connectors?expand=status&progress=true");
    assert_eq!(
        all["prog-src"]["status"]["tasks"][0]["progress"]["source_offsets"],
        offsets
    );
    let (_, all) = ferry.get("/connectors?expand=status");
    assert!(
        all["prog-src"]["status"]["tasks"][0]
            .get("progress")
            .is_none(),
        "{all}"
    );
}

#[test]
fn a_mysql_snapshot_reports_its_tables_rows_and_binlog_position() {
    mysql_snapshot_reports_its_progress(false);
}

/// Debezium's own connector, as a jar under the plugin host: its snapshot metrics (JMX) become
/// the same progress.
#[test]
fn debeziums_jar_reports_its_snapshot_through_the_plugin_host() {
    mysql_snapshot_reports_its_progress(true);
}

fn mysql_snapshot_reports_its_progress(jar: bool) {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = unique("prog").replace('-', "_");
    // Three tables of 120, 30 and no rows.
    let values = |n: usize| {
        (1..=n)
            .map(|i| format!("({i}, 'row {i}')"))
            .collect::<Vec<_>>()
            .join(",")
    };
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.customers (id INT PRIMARY KEY, name VARCHAR(50));
         CREATE TABLE {database}.orders (id INT PRIMARY KEY, name VARCHAR(50));
         CREATE TABLE {database}.returns (id INT PRIMARY KEY, name VARCHAR(50));
         INSERT INTO {database}.customers VALUES {};
         INSERT INTO {database}.orders VALUES {};",
        values(120),
        values(30)
    ));
    let counts: Vec<(String, u64)> = ["customers", "orders", "returns"]
        .iter()
        .map(|t| {
            let n = db
                .try_sql(&format!("SELECT COUNT(*) FROM {database}.{t}"))
                .expect("count")
                .trim()
                .parse()
                .expect("a number");
            (format!("{database}.{t}"), n)
        })
        .collect();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 150);
    let mut worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    if jar {
        let plugins = mysql::mariadb_plugin_path(&mysql::debezium_plugins(), dir.path());
        worker.push(("plugin.path", plugins.display().to_string()));
        worker.push(("plugin.discovery", "service_load".to_string()));
    }
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let prefix = unique("prog");
    let mut config = json!({
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "database.hostname": db.host,
        "database.port": db.port,
        "database.user": db.user,
        "database.password": db.password,
        "database.server.id": 6000 + (std::process::id() % 1000),
        "topic.prefix": prefix,
        "database.include.list": database,
        "schema.history.internal.kafka.bootstrap.servers": broker.address,
        "schema.history.internal.kafka.topic": format!("{prefix}-history"),
        "snapshot.mode": "initial",
        // Only this database's structure is read: other tests may drop theirs meanwhile.
        "schema.history.internal.store.only.captured.tables.ddl": true,
        // Small batches: the rows are reported batch by batch.
        "max.batch.size": "16",
    });
    if jar {
        config["connector.class"] = json!("io.debezium.connector.mariadb.MariaDbConnector");
        config["connector.plugin.version"] = json!("3.6.1.Final");
    }
    let (code, body) = ferry.call("PUT", "/connectors/prog-cdc/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let p = wait_for(
        "the snapshot COMPLETED and an offset committed",
        Duration::from_secs(90),
        || {
            let p = progress(&ferry, "prog-cdc")?;
            (p["snapshot"]["state"] == "COMPLETED" && p.get("source_offsets").is_some())
                .then_some(p)
        },
    );
    let snapshot = &p["snapshot"];
    assert_eq!(snapshot["tables_total"], 3, "{p}");
    assert_eq!(snapshot["tables_done"], 3, "{p}");
    assert_eq!(snapshot["current_table"], Json::Null, "{p}");
    assert_eq!(snapshot["rows_done"], 150, "{p}");
    let mut tables: Vec<(String, u64, bool)> = snapshot["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap_or_default().to_string(),
                t["rows_done"].as_u64().unwrap_or(u64::MAX),
                t["done"] == true,
            )
        })
        .collect();
    tables.sort();
    let expected: Vec<(String, u64, bool)> =
        counts.iter().map(|(t, n)| (t.clone(), *n, true)).collect();
    assert_eq!(tables, expected, "{p}");
    // ferry's connector reads the database's estimates; Debezium's metrics have none.
    for t in snapshot["tables"].as_array().expect("tables") {
        assert_eq!(t["rows_estimated"].is_u64(), !jar, "{p}");
    }
    // The position streaming continues from: Debezium's binlog offset.
    let offsets = p["source_offsets"].as_array().expect("offsets");
    assert_eq!(offsets.len(), 1, "{p}");
    assert_eq!(offsets[0]["partition"], json!({"server": prefix}), "{p}");
    assert!(offsets[0]["offset"]["file"].is_string(), "{p}");
    assert!(offsets[0]["offset"]["pos"].is_u64(), "{p}");
    assert_no_progress_key(&ferry, "prog-cdc");

    // The same in Debezium's snapshot metrics.
    let text = scrape(&ferry);
    let labels = "connector=\"prog-cdc\",task=\"0\"";
    let mut wanted = vec![
        format!("debezium_snapshot_running{{{labels}}} 0"),
        format!("debezium_snapshot_completed{{{labels}}} 1"),
        format!("debezium_snapshot_aborted{{{labels}}} 0"),
        format!("debezium_snapshot_total_table_count{{{labels}}} 3"),
        format!("debezium_snapshot_remaining_table_count{{{labels}}} 0"),
    ];
    for (table, n) in &counts {
        wanted.push(format!(
            "debezium_snapshot_rows_scanned{{{labels},table=\"{table}\"}} {n}"
        ));
    }
    for line in wanted {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }
}

#[test]
fn any_worker_of_a_cluster_answers_with_the_progress_of_a_task_another_runs() {
    let broker = Broker::shared();
    let mut c = cluster(&broker, 2);
    let data = tempfile::tempdir().expect("temp dir");
    let input = data.path().join("in.txt");
    let lines: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
    append_lines(&input, &lines);
    let length = std::fs::metadata(&input).expect("input file").len();
    let topic = unique("prog-dist");
    broker.create_topic(&topic, 1);
    let name = unique("prog-dist-src");
    let source = json!({"name": name, "config": {"connector.class": "FileStreamSource", "file": input.display().to_string(), "topic": topic}});
    let (code, body) = c.workers[0].call_retrying("POST", "/connectors", Some(source));
    assert_eq!(code, 201, "{body}");
    let runner = wait_for("the task RUNNING", Duration::from_secs(60), || {
        let s = status(&c.workers[0], &name);
        if !all_running(&s, 1) {
            return None;
        }
        c.index_of(s["tasks"][0]["worker_id"].as_str()?)
    });
    let other = &c.workers[1 - runner];
    let offsets = wait_for(
        "the position from the worker not running the task",
        Duration::from_secs(60),
        || {
            let offsets = progress(other, &name)?["source_offsets"].clone();
            (offsets[0]["offset"]["position"] == json!(length)).then_some(offsets)
        },
    );
    assert_eq!(
        progress(&c.workers[runner], &name).expect("local")["source_offsets"],
        offsets
    );
    let (code, task) = other.get(&format!("/connectors/{name}/tasks/0/status?progress=true"));
    assert_eq!(code, 200, "{task}");
    assert_eq!(task["progress"]["source_offsets"], offsets);
    assert_no_progress_key(other, &name);

    // Each worker timed its rebalances, and none is under way.
    for w in &c.workers {
        let text = scrape(w);
        for name in [
            "kafka_connect_worker_rebalance_avg_time_ms",
            "kafka_connect_worker_rebalance_max_time_ms",
            "kafka_connect_worker_time_since_last_rebalance_ms",
        ] {
            let value: f64 = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} in:\n{text}"));
            assert!(value >= 0.0, "{name} {value}");
        }
        assert!(
            text.lines()
                .any(|l| l == "kafka_connect_worker_rebalancing 0"),
            "{text}"
        );
    }

    // The worker running the task is gone: the status still answers, promptly, and the task
    // has no progress until it runs elsewhere.
    c.workers[runner].kill9();
    let other = &c.workers[1 - runner];
    let asked = std::time::Instant::now();
    let (code, s) = other.get(&format!("/connectors/{name}/status?progress=true"));
    assert_eq!(code, 200, "{s}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    if s["tasks"][0]["worker_id"] != json!(worker_id_of(other)) {
        assert!(s["tasks"][0].get("progress").is_none(), "{s}");
    }
}

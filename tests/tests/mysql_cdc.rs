//! MySQL/MariaDB change data capture with the seed's Debezium connector configuration (local host
//! and credentials): existing rows arrive as `op: r`, then inserts, updates (a primary key change
//! as a delete and a create), deletes with their tombstones, as Debezium's envelopes read by an
//! independent consumer; after a restart the connector continues from its offset without sending
//! anything twice. The database is changed with the `mysql` command-line client.

use std::time::Duration;

use ferry_e2e::mysql::streaming_offset;
use ferry_e2e::*;
use serde_json::{json, Value as Json};

/// The events of a topic as (key, value) JSON, `Json::Null` for a tombstone.
fn events(broker: &Broker, topic: &str, expected: usize) -> Vec<(Json, Json)> {
    events_within(broker, topic, expected, Duration::from_secs(60))
}

fn events_within(
    broker: &Broker,
    topic: &str,
    expected: usize,
    wait: Duration,
) -> Vec<(Json, Json)> {
    broker
        .consume_records(topic, expected, wait)
        .into_iter()
        .map(|(k, v)| {
            let parse = |t: Option<String>| {
                t.map(|t| serde_json::from_str(&t).expect("JSON"))
                    .unwrap_or(Json::Null)
            };
            (parse(k), parse(v))
        })
        .collect()
}

fn op(event: &(Json, Json)) -> String {
    event.1["payload"]["op"]
        .as_str()
        .unwrap_or("tombstone")
        .to_string()
}

#[test]
fn the_seeds_connector_snapshots_then_streams_changes_as_debezium_events() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = unique("cdc").replace('-', "_");
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.customers (
           id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, balance DECIMAL(10,2),
           joined DATE, seen DATETIME(3), kind ENUM('retail','business'), vip BIT(1), note TEXT);
         INSERT INTO {database}.customers VALUES
           (1, 'Ada', 10.50, '2024-01-02', '2024-01-02 03:04:05.678', 'retail', b'1', NULL),
           (2, 'Brendan', -3.25, NULL, NULL, 'business', b'0', 'hello'),
           (3, 'Chen', 0.00, '1999-12-31', '1999-12-31 23:59:59.000', NULL, NULL, 'x');"
    ));
    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let mut ferry = Ferry::start(dir.path(), &worker, &[]);
    let prefix = unique("seed");
    let server_id = 5000 + (std::process::id() % 1000);
    let config = json!({
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "database.user": db.user,
        "database.server.id": server_id,
        "schema.history.internal.kafka.bootstrap.servers": broker.address,
        "column.include.list": format!("{database}.customers.id,{database}.customers.name,{database}.customers.balance,{database}.customers.joined,{database}.customers.seen,{database}.customers.kind,{database}.customers.vip"),
        "database.port": db.port,
        "schema.history.internal.store.only.captured.tables.ddl": true,
        "inconsistent.schema.handling.mode": "warn",
        "topic.prefix": prefix,
        "schema.history.internal.kafka.topic": format!("{prefix}-history"),
        "database.hostname": db.host,
        "database.password": db.password,
        "table.include.list": format!("{database}.customers"),
        "database.include.list": database,
        "snapshot.mode": "initial",
        "heartbeat.interval.ms": 1000
    });
    let (code, body) = ferry.call("PUT", "/connectors/cdc/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let topic = format!("{prefix}.{database}.customers");

    let snapshot = events(&broker, &topic, 3);
    assert_eq!(
        snapshot.len(),
        3,
        "the snapshot's three rows; worker output:\n{}",
        ferry.output()
    );
    let (key, value) = &snapshot[0];
    assert_eq!(key["payload"], json!({"id": 1}));
    assert_eq!(
        key["schema"]["name"],
        json!(format!("{prefix}.{database}.customers.Key"))
    );
    let payload = &value["payload"];
    assert_eq!(payload["op"], "r");
    assert_eq!(payload["before"], Json::Null);
    assert_eq!(
        payload["after"],
        json!({"id": 1, "name": "Ada", "balance": "BBo=", "joined": 19724,
               "seen": 1_704_164_645_678i64, "kind": "retail", "vip": true}),
        "column.include.list leaves `note` out"
    );
    assert_eq!(payload["source"]["snapshot"], "first");
    assert_eq!(payload["source"]["db"], json!(database));
    assert_eq!(payload["source"]["table"], "customers");
    assert_eq!(payload["source"]["connector"], "mysql");
    assert_eq!(snapshot[2].1["payload"]["source"]["snapshot"], "last");
    assert_eq!(
        value["schema"]["name"],
        json!(format!("{prefix}.{database}.customers.Envelope"))
    );

    db.sql(&format!(
        "INSERT INTO {database}.customers (id, name, balance) VALUES (4, 'Dana', 1.00);
         UPDATE {database}.customers SET name = 'Brenda' WHERE id = 2;
         DELETE FROM {database}.customers WHERE id = 3;
         UPDATE {database}.customers SET id = 10 WHERE id = 1;"
    ));
    // c(4), u(2), d(3) + tombstone, d(1) + tombstone + c(10)
    let all = events(&broker, &topic, 3 + 7);
    let streamed = &all[3..];
    let ops: Vec<String> = streamed.iter().map(op).collect();
    assert_eq!(
        ops,
        ["c", "u", "d", "tombstone", "d", "tombstone", "c"],
        "worker output:\n{}",
        ferry.output()
    );
    assert_eq!(streamed[0].1["payload"]["after"]["name"], "Dana");
    assert_eq!(streamed[1].1["payload"]["before"]["name"], "Brendan");
    assert_eq!(streamed[1].1["payload"]["after"]["name"], "Brenda");
    assert_eq!(streamed[2].1["payload"]["before"]["id"], 3);
    assert_eq!(
        streamed[3].0["payload"],
        json!({"id": 3}),
        "the tombstone's key"
    );
    assert_eq!(streamed[6].0["payload"], json!({"id": 10}));
    assert_eq!(streamed[1].1["payload"]["source"]["snapshot"], "false");
    assert!(streamed[1].1["payload"]["source"]["file"]
        .as_str()
        .is_some_and(|f| !f.is_empty()));

    // MariaDB's transactions carry GTIDs, in the events and in the offset.
    assert!(
        streamed[1].1["payload"]["source"]["gtid"].is_string(),
        "{}",
        streamed[1].1["payload"]["source"]
    );
    let (_, offsets) = ferry.get("/connectors/cdc/offsets");
    let offset = &offsets["offsets"][0];
    assert!(offset["offset"]["gtids"].is_string(), "{offsets}");
    assert_eq!(offset["partition"], json!({"server": prefix}), "{offsets}");
    assert!(
        offset["offset"]["file"].is_string() && offset["offset"]["pos"].is_u64(),
        "{offsets}"
    );

    // Heartbeats carry the offset while the tables are quiet, on Debezium's topic and key.
    let beats = events(&broker, &format!("__debezium-heartbeat.{prefix}"), 1);
    assert_eq!(
        beats.first().map(|b| b.0["payload"].clone()),
        Some(json!({"serverName": prefix}))
    );
    assert!(beats[0].1["payload"]["ts_ms"].is_i64());

    // A restart continues after the last event: nothing twice.
    ferry.terminate();
    db.sql(&format!(
        "INSERT INTO {database}.customers (id, name) VALUES (5, 'Eve');"
    ));
    ferry.start_again();
    let after_restart = events(&broker, &topic, 3 + 7 + 1);
    let everything = events_within(&broker, &topic, 3 + 7 + 2, Duration::from_secs(5));
    assert_eq!(
        everything.len(),
        11,
        "exactly one more event after the restart; worker output:\n{}",
        ferry.output()
    );
    assert_eq!(after_restart[10].1["payload"]["after"]["name"], "Eve");
    assert_eq!(op(&after_restart[10]), "c");
    db.sql(&format!("DROP DATABASE {database};"));
}

#[test]
fn wrong_credentials_fail_the_task_with_the_servers_answer_while_the_worker_goes_on() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let config = json!({
        "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
        "database.hostname": db.host,
        "database.port": db.port,
        "database.user": db.user,
        "database.password": "not-the-password",
        "database.server.id": 6001,
        "topic.prefix": unique("badcreds"),
        "schema.history.internal.kafka.bootstrap.servers": broker.address,
        "schema.history.internal.kafka.topic": unique("badcreds-history"),
    });
    // Validate reaches the server and says what is wrong, on database.hostname as Debezium does.
    let mut named = config.clone();
    named["name"] = json!("badcreds");
    let (code, answer) = ferry.call(
        "PUT",
        "/connector-plugins/MariaDbConnector/config/validate",
        Some(named),
    );
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["error_count"], 1, "{answer}");
    let host = answer["configs"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["value"]["name"] == "database.hostname"))
        .expect("database.hostname in the answer");
    assert!(
        host["value"]["errors"][0]
            .as_str()
            .is_some_and(|e| e.contains("Access denied")),
        "{host}"
    );
    // A value the connector cannot take is refused at create, naming the key (as Kafka refuses
    // what Debezium's validation reports).
    let mut bogus = config.clone();
    bogus["snapshot.mode"] = json!("sometimes");
    let (code, body) = ferry.call("PUT", "/connectors/bogus/config", Some(bogus));
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"].to_string().contains("snapshot.mode"),
        "{body}"
    );
    let (code, body) = ferry.call("PUT", "/connectors/badcreds/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let status = wait_for("the task FAILED", Duration::from_secs(60), || {
        let (_, s) = ferry.get("/connectors/badcreds/status");
        (s["tasks"][0]["state"] == "FAILED").then_some(s)
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("cannot connect") && trace.contains("Access denied"),
        "the trace says why: {trace}"
    );
    let (code, _) = ferry.get("/connectors");
    assert_eq!(code, 200, "the worker goes on");
}

#[test]
fn a_worker_killed_mid_stream_resumes_with_every_change_in_order() {
    killed_mid_stream_resumes(false);
}

/// The same with Debezium's MariaDB jar 3.6.1 run by ferry's Java plugin host: ferry keeps its
/// offsets, and they bring it back where it was.
#[test]
fn debeziums_jar_under_a_worker_killed_mid_stream_resumes_with_every_change_in_order() {
    killed_mid_stream_resumes(true);
}

fn killed_mid_stream_resumes(jar: bool) {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = unique("cdckill").replace('-', "_");
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.counter (id INT PRIMARY KEY, n INT NOT NULL);"
    ));
    let mut worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    if jar {
        let plugins = mysql::mariadb_plugin_path(&mysql::debezium_plugins(), dir.path());
        worker.push(("plugin.path", plugins.display().to_string()));
        worker.push(("plugin.discovery", "service_load".to_string()));
    }
    let mut ferry = Ferry::start(dir.path(), &worker, &[]);
    let prefix = unique("kill");
    let mut config = db.cdc_config(&broker, &prefix, &database);
    if jar {
        config["connector.plugin.version"] = json!("3.6.1.Final");
    }
    let (code, body) = ferry.call("PUT", "/connectors/killed/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let status = wait_for("the connector RUNNING", Duration::from_secs(60), || {
        let (_, s) = ferry.get("/connectors/killed/status");
        (s["tasks"][0]["state"] == "RUNNING").then_some(s)
    });
    if jar {
        assert_eq!(status["connector"]["version"], "3.6.1.Final", "{status}");
    }
    // Its schema change events come once the snapshot's transaction has begun: every change
    // made from then on is streamed, none read by the snapshot.
    assert!(
        !broker
            .consume(&prefix, 1, Duration::from_secs(60))
            .is_empty(),
        "the snapshot's schema change events; worker output:\n{}",
        ferry.output()
    );
    // 10,000 changes: 100 keys, each updated 99 times after its insert, in transactions of 100.
    let keys = 100;
    let rounds = 100;
    let statements: Vec<String> = (0..rounds)
        .map(|round| {
            let body: String = (0..keys)
                .map(|k| {
                    if round == 0 {
                        format!("INSERT INTO {database}.counter VALUES ({k}, 0);")
                    } else {
                        format!("UPDATE {database}.counter SET n = {round} WHERE id = {k};")
                    }
                })
                .collect();
            format!("START TRANSACTION; {body} COMMIT;")
        })
        .collect();
    let (first, second) = statements.split_at(rounds / 2);
    // Killed while the first half is being written and streamed; the second half is written
    // while it is down.
    let writer = {
        let first = first.join("\n");
        std::thread::spawn(move || MySql::from_env().sql(&first))
    };
    // Killed once an offset of the stream has been committed (with none, a restart would take
    // a new snapshot, as Debezium's does).
    streaming_offset(&ferry, "killed");
    ferry.kill9();
    writer.join().expect("the first half is written");
    db.sql(&second.join("\n"));
    ferry.start_again();

    let topic = format!("{prefix}.{database}.counter");
    let total = keys * rounds;
    // Read until every change is there: duplicates after the restart make the count unknown.
    let mut wanted = total;
    let events = loop {
        let events = broker.consume_records(&topic, wanted, Duration::from_secs(60));
        let distinct: std::collections::BTreeSet<String> = events
            .iter()
            .map(|(k, v)| {
                let value: Json =
                    serde_json::from_str(v.as_deref().unwrap_or("null")).expect("value");
                format!("{} {}", k.as_deref().unwrap_or(""), value["after"])
            })
            .collect();
        if distinct.len() >= total || events.len() < wanted {
            break events;
        }
        wanted = events.len() + total - distinct.len();
    };
    let mut last: std::collections::BTreeMap<i64, i64> = Default::default();
    let mut seen: std::collections::BTreeSet<(i64, i64)> = Default::default();
    for (key, value) in &events {
        let key: Json = serde_json::from_str(key.as_deref().unwrap_or("null")).expect("key");
        let value: Json = serde_json::from_str(value.as_deref().unwrap_or("null")).expect("value");
        let id = key["id"].as_i64().expect("id");
        let n = value["after"]["n"].as_i64().expect("n");
        let previous = last.insert(id, n).unwrap_or(-1);
        // At least once: after a restart a change may come again, never out of order.
        assert!(
            n == previous + 1 || n <= previous,
            "key {id}: {n} came after {previous}; worker output:\n{}",
            ferry.output()
        );
        seen.insert((id, n));
    }
    assert_eq!(
        seen.len(),
        total,
        "every one of the {total} changes is in the topic ({} events read); worker output:\n{}",
        events.len(),
        ferry.output()
    );
    db.sql(&format!("DROP DATABASE {database};"));
}

#[test]
fn after_a_restart_each_change_decodes_with_the_structure_it_was_written_with() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = unique("cdcalter").replace('-', "_");
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.items (id INT PRIMARY KEY, name VARCHAR(20));
         INSERT INTO {database}.items VALUES (1, 'a');"
    ));
    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let mut ferry = Ferry::start(dir.path(), &worker, &[]);
    let prefix = unique("alter");
    let config = db.cdc_config(&broker, &prefix, &database);
    let (code, body) = ferry.call("PUT", "/connectors/alter/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let topic = format!("{prefix}.{database}.items");
    assert_eq!(events(&broker, &topic, 1).len(), 1, "{}", ferry.output());
    db.sql(&format!("INSERT INTO {database}.items VALUES (2, 'b');"));
    assert_eq!(events(&broker, &topic, 2).len(), 2, "{}", ferry.output());
    streaming_offset(&ferry, "alter");
    // While the worker is down the table changes twice: each change must come out with the
    // columns the table had when it was made, not with today's.
    ferry.terminate();
    db.sql(&format!(
        "INSERT INTO {database}.items VALUES (3, 'c');
         ALTER TABLE {database}.items ADD COLUMN qty INT NOT NULL DEFAULT 7;
         INSERT INTO {database}.items VALUES (4, 'd', 5);
         ALTER TABLE {database}.items DROP COLUMN name;
         INSERT INTO {database}.items VALUES (5, 9);"
    ));
    ferry.start_again();
    let all = events(&broker, &topic, 5);
    let after: Vec<Json> = all.iter().map(|(_, v)| v["after"].clone()).collect();
    assert_eq!(
        after,
        vec![
            json!({"id": 1, "name": "a"}),
            json!({"id": 2, "name": "b"}),
            json!({"id": 3, "name": "c"}),
            json!({"id": 4, "name": "d", "qty": 5}),
            json!({"id": 5, "qty": 9}),
        ],
        "worker output:\n{}",
        ferry.output()
    );
    // The schema change topic has both statements, after the snapshot's.
    let changes = broker.consume_records(&prefix, 20, Duration::from_secs(10));
    let ddl: Vec<String> = changes
        .iter()
        .filter_map(|(_, v)| {
            let v: Json = serde_json::from_str(v.as_deref()?).ok()?;
            Some(v["ddl"].as_str()?.to_string())
        })
        .filter(|d| d.starts_with("ALTER"))
        .collect();
    assert_eq!(ddl.len(), 2, "{ddl:?}");
    db.sql(&format!("DROP DATABASE {database};"));
}

#[test]
fn a_user_who_may_not_read_the_binlog_is_told_which_grant_is_missing() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let user = format!("low{}", std::process::id());
    db.sql(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY 'low'; GRANT SELECT ON *.* TO '{user}'@'%';
         CREATE USER '{user}'@'localhost' IDENTIFIED BY 'low'; GRANT SELECT ON *.* TO '{user}'@'localhost';"
    ));
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let prefix = unique("lowpriv");
    let config = json!({
        "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
        "database.hostname": db.host,
        "database.port": db.port,
        "database.user": user,
        "database.password": "low",
        "database.server.id": 9100 + (std::process::id() % 500),
        "topic.prefix": prefix,
        "schema.history.internal.kafka.bootstrap.servers": broker.address,
        "schema.history.internal.kafka.topic": format!("{prefix}-history"),
    });
    let mut named = config.clone();
    named["name"] = json!("lowpriv");
    let (code, answer) = ferry.call(
        "PUT",
        "/connector-plugins/MariaDbConnector/config/validate",
        Some(named),
    );
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["error_count"], 1, "{answer}");
    let errors = answer["configs"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["value"]["name"] == "database.hostname"))
        .map(|c| c["value"]["errors"].to_string())
        .unwrap_or_default();
    assert!(
        errors.contains("REPLICATION SLAVE") && errors.contains("REPLICATION CLIENT"),
        "{errors}"
    );
    let (code, body) = ferry.call("PUT", "/connectors/lowpriv/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let status = wait_for("the task FAILED", Duration::from_secs(60), || {
        let (_, s) = ferry.get("/connectors/lowpriv/status");
        (s["tasks"][0]["state"] == "FAILED").then_some(s)
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(trace.contains("GRANT REPLICATION SLAVE"), "{trace}");
    db.sql(&format!(
        "DROP USER '{user}'@'%'; DROP USER '{user}'@'localhost';"
    ));
}

#[test]
fn a_lost_schema_history_fails_the_task_until_recovery_rebuilds_it() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = unique("cdcrecover").replace('-', "_");
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.t (id INT PRIMARY KEY, v VARCHAR(10));
         INSERT INTO {database}.t VALUES (1, 'a');"
    ));
    let mut ferry = Ferry::standalone_on(&broker, dir.path());
    let prefix = unique("recover");
    let mut config = db.cdc_config(&broker, &prefix, &database);
    let (code, body) = ferry.call("PUT", "/connectors/recover/config", Some(config.clone()));
    assert_eq!(code, 201, "{body}");
    let topic = format!("{prefix}.{database}.t");
    assert_eq!(broker.consume(&topic, 1, Duration::from_secs(60)).len(), 1);
    db.sql(&format!("INSERT INTO {database}.t VALUES (2, 'b');"));
    assert_eq!(broker.consume(&topic, 2, Duration::from_secs(60)).len(), 2);
    streaming_offset(&ferry, "recover");
    ferry.terminate();
    // The history is lost: the connector now names an empty topic.
    config["schema.history.internal.kafka.topic"] = json!(format!("{prefix}-history-lost"));
    db.sql(&format!("INSERT INTO {database}.t VALUES (3, 'c');"));
    ferry.start_again();
    // A standalone worker keeps no connector made over REST across a restart: it is made again.
    let (code, body) = ferry.call("PUT", "/connectors/recover/config", Some(config.clone()));
    assert!(code == 200 || code == 201, "{code} {body}");
    let status = wait_for("the task FAILED", Duration::from_secs(60), || {
        let (_, s) = ferry.get("/connectors/recover/status");
        (s["tasks"][0]["state"] == "FAILED").then_some(s)
    });
    let trace = status["tasks"][0]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("history") && trace.contains("snapshot.mode=recovery"),
        "{trace}"
    );
    config["snapshot.mode"] = json!("recovery");
    let (code, body) = ferry.call("PUT", "/connectors/recover/config", Some(config));
    assert_eq!(code, 200, "{body}");
    // From the stored offset: the change made meanwhile, once, and no new snapshot.
    let values = broker.consume(&topic, 3, Duration::from_secs(60));
    let after: Vec<Json> = values
        .iter()
        .map(|v| serde_json::from_str::<Json>(v).expect("JSON")["after"]["id"].clone())
        .collect();
    assert_eq!(
        after,
        vec![json!(1), json!(2), json!(3)],
        "{}",
        ferry.output()
    );
    let history = broker.consume(
        &format!("{prefix}-history-lost"),
        1,
        Duration::from_secs(30),
    );
    assert!(
        !history.is_empty(),
        "recovery wrote the tables' structure to the new history"
    );
    db.sql(&format!("DROP DATABASE {database};"));
}

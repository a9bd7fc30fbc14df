//! The JDBC sink end to end: MariaDB's changes, captured by ferry's MariaDB connector into
//! Apache Kafka, applied by ferry's JDBC sink to PostgreSQL and to another MariaDB database, and
//! the target compared with the source row for row, in SQL, with the databases' own clients.

use std::time::Duration;

use ferry_e2e::{free_port, unique, wait_for, Broker, Ferry, Json, MySql, Postgres};
use serde_json::json;

/// The columns both sides are compared on, in an order and form both clients print alike.
const COLUMNS: &str = "id, name, qty, price, day, flag";

/// A MariaDB database with a table `items` holding `rows` rows, whose changes a connector
/// named `source` streams with JSON schemas (what the sink needs) under `prefix`.
fn source_database(db: &MySql, rows: usize) -> String {
    let database = unique("jdbcsrc").replace('-', "_");
    let values: Vec<String> = (1..=rows)
        .map(|i| {
            format!(
                "({i}, 'item {i}', {i}, {i}.25, '2024-01-{:02}', {})",
                i % 28 + 1,
                i % 2
            )
        })
        .collect();
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.items (
           id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, qty INT, price DECIMAL(10,2),
           day DATE, flag BOOLEAN);
         INSERT INTO {database}.items VALUES {};",
        values.join(", ")
    ));
    database
}

fn source_config(db: &MySql, broker: &Broker, prefix: &str, database: &str) -> Json {
    let mut config = db.cdc_config(broker, prefix, database);
    config["key.converter.schemas.enable"] = json!("true");
    config["value.converter.schemas.enable"] = json!("true");
    config
}

/// Debezium's JDBC sink configuration for the classic pipeline.
fn sink_config(url: &str, user: &str, password: &str, topic: &str) -> Json {
    json!({
        "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
        "connection.url": url,
        "connection.username": user,
        "connection.password": password,
        "insert.mode": "upsert",
        "primary.key.mode": "record_key",
        "delete.enabled": "true",
        "schema.evolution": "basic",
        "collection.name.format": "${source.table}",
        "topics": topic,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    })
}

fn create(ferry: &Ferry, name: &str, config: Json) {
    let (code, body) = ferry.call("PUT", &format!("/connectors/{name}/config"), Some(config));
    assert!(code == 201 || code == 200, "{name}: {code} {body}");
}

fn wait_running(ferry: &Ferry, name: &str) {
    wait_for(&format!("{name} RUNNING"), Duration::from_secs(60), || {
        let (_, s) = ferry.get(&format!("/connectors/{name}/status"));
        assert_ne!(s["tasks"][0]["state"], "FAILED", "{name} failed: {s}");
        (s["tasks"][0]["state"] == "RUNNING").then_some(())
    });
}

/// The source rows as MariaDB's client prints them.
fn source_rows(db: &MySql, database: &str, columns: &str) -> String {
    db.try_sql(&format!(
        "SELECT {columns} FROM {database}.items ORDER BY id"
    ))
    .expect("source rows")
}

/// Waits until `target()` prints what the source holds; panics with both after the timeout.
fn wait_equal(
    what: &str,
    timeout: Duration,
    source: impl Fn() -> String,
    target: impl Fn() -> Result<String, String>,
    ferry: &Ferry,
) {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let want = source();
        let got = target();
        if got.as_deref() == Ok(want.as_str()) {
            return;
        }
        if std::time::Instant::now() > deadline {
            let got = got.unwrap_or_else(|e| format!("(error: {e})"));
            let want_lines: Vec<&str> = want.lines().collect();
            let got_lines: Vec<&str> = got.lines().collect();
            let first_difference = want_lines
                .iter()
                .zip(&got_lines)
                .position(|(a, b)| a != b)
                .unwrap_or(want_lines.len().min(got_lines.len()));
            panic!(
                "{what}: the target does not equal the source after {timeout:?}: source {} rows, target {} rows; first difference at line {first_difference}: source {:?}, target {:?}\nworker output (end):\n{}",
                want_lines.len(),
                got_lines.len(),
                want_lines.get(first_difference),
                got_lines.get(first_difference),
                tail(&ferry.output(), 60)
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Inserts, updates and deletes, `count` statements in transactions of 100, over ids 1..=keys.
fn changes(database: &str, from: usize, count: usize, keys: usize) -> Vec<String> {
    (from..from + count)
        .collect::<Vec<_>>()
        .chunks(100)
        .map(|chunk| {
            let body: String = chunk
                .iter()
                .map(|&i| {
                    let id = (i * 7919) % keys + 1;
                    match i % 10 {
                        0 | 5 => format!("DELETE FROM {database}.items WHERE id = {id};"),
                        1 | 4 | 7 => format!(
                            "INSERT INTO {database}.items (id, name, qty, price, day, flag) VALUES ({id}, 'new {i}', {i}, {i}.50, '2024-02-{:02}', {}) \
                             ON DUPLICATE KEY UPDATE name = 'again {i}', qty = {i};",
                            i % 28 + 1,
                            i % 2
                        ),
                        _ => format!(
                            "UPDATE {database}.items SET qty = {i}, price = price + 1, flag = NOT flag WHERE id = {id};"
                        ),
                    }
                })
                .collect();
            format!("START TRANSACTION; {body} COMMIT;")
        })
        .collect()
}

#[test]
fn mariadb_changes_applied_to_postgres_stay_equal_across_a_kill9_and_a_new_column() {
    pipeline_across_a_kill9_and_a_new_column(false);
}

/// The same pipeline with Debezium's own jars (the MariaDB source 3.6.1 and the JDBC sink 3.6.0)
/// run by ferry's Java plugin host.
#[test]
fn debeziums_jars_under_ferry_stay_equal_across_a_kill9_and_a_new_column() {
    pipeline_across_a_kill9_and_a_new_column(true);
}

fn pipeline_across_a_kill9_and_a_new_column(jars: bool) {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let pg = Postgres::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = source_database(&db, 500);
    let target = unique("jdbcpg").replace('-', "_");
    pg.fresh_database(&target);
    let prefix = unique("jdbc");
    let topic = format!("{prefix}.{database}.items");

    let sink = unique("jdbc-pg-sink");
    let mut worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let mut source = source_config(&db, &broker, &prefix, &database);
    let mut sink_settings = sink_config(&pg.jdbc_url(&target), &pg.user, &pg.password, &topic);
    if jars {
        let debezium = ferry_e2e::mysql::debezium_plugins();
        let plugins = ferry_e2e::mysql::mariadb_plugin_path(&debezium, dir.path());
        std::os::unix::fs::symlink(debezium.join("jdbc"), plugins.join("jdbc"))
            .expect("link to the JDBC sink");
        worker.push(("plugin.path", plugins.display().to_string()));
        worker.push(("plugin.discovery", "service_load".to_string()));
        source["connector.plugin.version"] = json!("3.6.1.Final");
        sink_settings["connector.plugin.version"] = json!("3.6.0.Final");
    }
    let mut ferry = Ferry::start(dir.path(), &worker, &[]);
    create(&ferry, "source", source);
    create(&ferry, &sink, sink_settings);
    wait_running(&ferry, "source");
    wait_running(&ferry, &sink);
    if jars {
        let (_, s) = ferry.get(&format!("/connectors/{sink}/status"));
        assert_eq!(s["connector"]["version"], "3.6.0.Final", "{s}");
        let (_, s) = ferry.get("/connectors/source/status");
        assert_eq!(s["connector"]["version"], "3.6.1.Final", "{s}");
    }
    // The snapshot arrives: the sink created the table and wrote the 500 rows.
    let pg_rows = |columns: &str| {
        let pg = Postgres::from_env();
        let target = target.clone();
        let columns = columns.to_string();
        move || pg.try_sql_in(&target, &format!("SELECT {columns} FROM items ORDER BY id"))
    };
    // PostgreSQL prints booleans kept as smallint as 0/1 and NULL as NULL, as MariaDB does.
    let pg_columns = "id, name, coalesce(qty::text, 'NULL'), coalesce(price::text, 'NULL'), coalesce(day::text, 'NULL'), coalesce(flag::text, 'NULL')";
    wait_equal(
        "the snapshot",
        Duration::from_secs(90),
        || source_rows(&db, &database, COLUMNS),
        pg_rows(pg_columns),
        &ferry,
    );

    // 10,000 changes over 1,000 keys; the worker is killed (-9) while the first half streams,
    // the second half is written while it is down, with a new column at the source.
    let keys = 1000;
    let first = changes(&database, 0, 5000, keys);
    let second = changes(&database, 5000, 5000, keys);
    let writer = {
        let first = first.join("\n");
        std::thread::spawn(move || MySql::from_env().sql(&first))
    };
    wait_for(
        "rows of the stream in PostgreSQL",
        Duration::from_secs(60),
        || {
            let n = pg
                .try_sql_in(
                    &target,
                    "SELECT count(*) FROM items WHERE name LIKE 'new%' OR name LIKE 'again%'",
                )
                .ok()?;
            (n.trim().parse::<u64>().ok()? > 0).then_some(())
        },
    );
    ferry.kill9();
    writer.join().expect("the first half is written");
    db.sql(&format!(
        "ALTER TABLE {database}.items ADD COLUMN color VARCHAR(20) NULL;
         UPDATE {database}.items SET color = CONCAT('c', id % 5) WHERE id % 3 = 0;"
    ));
    db.sql(&second.join("\n"));
    ferry.start_again();
    wait_running(&ferry, &sink);

    let with_color = format!("{COLUMNS}, color");
    wait_equal(
        "10,000 changes, a kill -9 and a new column",
        Duration::from_secs(180),
        || source_rows(&db, &database, &with_color),
        pg_rows(&format!("{pg_columns}, coalesce(color, 'NULL')")),
        &ferry,
    );
    let ddl = pg.sql_in(
        &target,
        "SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position",
    );
    assert_eq!(
        ddl.lines().collect::<Vec<_>>(),
        [
            "id integer NO",
            "name text NO",
            "qty integer YES",
            "price numeric YES",
            "day date YES",
            "flag smallint YES",
            "color text YES",
        ],
        "the table the sink created and widened"
    );
    ferry.terminate();
    db.sql(&format!("DROP DATABASE {database}"));
}

#[test]
fn into_mariadb_with_the_mysql_dialect_and_the_seeds_rebuild_recipe() {
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = source_database(&db, 200);
    let target = unique("jdbcmy").replace('-', "_");
    db.sql(&format!("CREATE DATABASE {target}"));
    let prefix = unique("jdbcmy");
    let topic = format!("{prefix}.{database}.items");

    let sink = unique("jdbc-my-sink");
    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    create(
        &ferry,
        "source",
        source_config(&db, &broker, &prefix, &database),
    );
    let url = format!("jdbc:mariadb://{}:{}/{target}", db.host, db.port);
    create(
        &ferry,
        &sink,
        sink_config(&url, &db.user, &db.password, &topic),
    );
    wait_running(&ferry, &sink);
    db.sql(&changes(&database, 0, 2000, 300).join("\n"));
    // A primary-key change: a delete of the old key and a create of the new one.
    db.sql(&format!("UPDATE {database}.items SET id = 100000 WHERE id = (SELECT min(id) FROM (SELECT id FROM {database}.items) k)"));
    let target_rows = || {
        let db = MySql::from_env();
        let target = target.clone();
        move || db.try_sql(&format!("SELECT {COLUMNS} FROM {target}.items ORDER BY id"))
    };
    wait_equal(
        "2,000 changes into MariaDB",
        Duration::from_secs(120),
        || source_rows(&db, &database, COLUMNS),
        target_rows(),
        &ferry,
    );

    // The seed's recipe to rebuild a sink's table: stop, offsets back to 0, resume.
    db.sql(&format!("DELETE FROM {target}.items"));
    let (code, body) = ferry.call("PUT", &format!("/connectors/{sink}/stop"), None);
    assert_eq!(code, 204, "{body}");
    wait_for("the sink STOPPED", Duration::from_secs(30), || {
        let (_, s) = ferry.get(&format!("/connectors/{sink}/status"));
        (s["connector"]["state"] == "STOPPED").then_some(())
    });
    // Right after the stop the group may still hold the task's member for a moment: the
    // worker waits for it to leave rather than answer 500 as Kafka Connect does.
    let (code, body) = ferry.call(
        "PATCH",
        &format!("/connectors/{sink}/offsets"),
        Some(json!({"offsets": [{
            "partition": {"kafka_topic": topic, "kafka_partition": 0},
            "offset": {"kafka_offset": 0}
        }]})),
    );
    assert_eq!(code, 200, "{body}");
    let (code, body) = ferry.call("PUT", &format!("/connectors/{sink}/resume"), None);
    assert_eq!(code, 202, "{body}");
    wait_equal(
        "the table rebuilt from offset 0",
        Duration::from_secs(120),
        || source_rows(&db, &database, COLUMNS),
        target_rows(),
        &ferry,
    );
    db.sql(&format!(
        "DROP DATABASE {database}; DROP DATABASE {target};"
    ));
}

#[test]
fn bad_configs_are_refused_with_the_reason_and_unwritable_records_follow_the_tolerance() {
    let broker = Broker::shared();
    let pg = Postgres::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let target = unique("jdbcbad").replace('-', "_");
    pg.fresh_database(&target);
    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);

    // A wrong password: validate names connection.url with the server's reason.
    let mut config = sink_config(&pg.jdbc_url(&target), &pg.user, "wrong", "t");
    config["name"] = json!("bad");
    let (code, body) = ferry.call(
        "PUT",
        "/connector-plugins/io.debezium.connector.jdbc.JdbcSinkConnector/config/validate",
        Some(config.clone()),
    );
    assert_eq!(code, 200, "{body}");
    let url_errors = body["configs"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["value"]["name"] == "connection.url"))
        .map(|c| c["value"]["errors"].clone())
        .unwrap_or(Json::Null);
    assert!(
        url_errors
            .to_string()
            .contains("password authentication failed"),
        "{body}"
    );
    // Contradictions: validate names the keys and why, and a create is refused with them.
    config["connection.password"] = json!(pg.password);
    config["primary.key.mode"] = json!("none");
    let (code, body) = ferry.call(
        "PUT",
        "/connector-plugins/io.debezium.connector.jdbc.JdbcSinkConnector/config/validate",
        Some(config.clone()),
    );
    assert_eq!(code, 200, "{body}");
    let errors = |key: &str| {
        body["configs"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["value"]["name"] == key))
            .map(|c| c["value"]["errors"].to_string())
            .unwrap_or_default()
    };
    assert!(
        errors("primary.key.mode").contains("insert.mode=upsert needs a primary key"),
        "{body}"
    );
    assert!(errors("delete.enabled").contains("record_key"), "{body}");
    let (code, body) = ferry.call("PUT", "/connectors/bad/config", Some(config));
    assert_eq!(code, 400, "a create is refused as Kafka refuses it: {body}");
    assert!(
        body["message"].to_string().contains("primary.key.mode"),
        "{body}"
    );

    // Flat records (Confluent's configuration) into a table whose name column is too short
    // for one of them: with errors.tolerance=all that record is skipped and the rest written.
    pg.sql_in(
        &target,
        "CREATE TABLE people (id integer PRIMARY KEY, name varchar(5))",
    );
    let topic = unique("people");
    broker.create_topic(&topic, 1);
    let schema = json!({"type": "struct", "name": "person", "fields": [
        {"field": "id", "type": "int32", "optional": false},
        {"field": "name", "type": "string", "optional": true}]});
    let records: Vec<String> = [(1, "ann"), (2, "far too long"), (3, "cy")]
        .iter()
        .map(|(id, name)| {
            json!({"schema": schema, "payload": {"id": id, "name": name}}).to_string()
        })
        .collect();
    broker.produce(&topic, &records);
    let confluent = |name: &str, tolerance: &str| {
        json!({
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "connection.url": pg.jdbc_url(&target),
            "connection.user": pg.user,
            "connection.password": pg.password,
            "topics": topic,
            "table.name.format": "people",
            "pk.mode": "record_value",
            "pk.fields": "id",
            "insert.mode": "upsert",
            "errors.tolerance": tolerance,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "name": name,
        })
    };
    let dlq = format!("{topic}-dlq");
    let mut tolerant = confluent("tolerant", "all");
    tolerant["errors.deadletterqueue.topic.name"] = json!(dlq);
    tolerant["errors.deadletterqueue.topic.replication.factor"] = json!("1");
    tolerant["errors.deadletterqueue.context.headers.enable"] = json!("true");
    let tolerant_name = unique("jdbc-tolerant");
    tolerant["name"] = json!(tolerant_name);
    create(&ferry, &tolerant_name, tolerant);
    wait_for("the two good rows", Duration::from_secs(60), || {
        let rows = pg
            .try_sql_in(&target, "SELECT id, name FROM people ORDER BY id")
            .ok()?;
        (rows == "1\tann\n3\tcy\n").then_some(())
    });
    let (_, status) = ferry.get(&format!("/connectors/{tolerant_name}/status"));
    assert_eq!(status["tasks"][0]["state"], "RUNNING", "{status}");
    // The refused record is in the dead letter queue, as the converter writes it back, with
    // Kafka's headers saying where and why.
    let dead = broker.consume_with_headers(&dlq, 1, Duration::from_secs(30));
    assert_eq!(dead.len(), 1, "one record in the dead letter queue");
    let value: Json =
        serde_json::from_str(dead[0].value.as_deref().unwrap_or("null")).expect("JSON");
    assert_eq!(value["payload"], json!({"id": 2, "name": "far too long"}));
    let header = |key: &str| {
        dead[0]
            .headers
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(header("__connect.errors.stage"), "TASK_PUT");
    assert_eq!(header("__connect.errors.offset"), "1");
    assert_eq!(header("__connect.errors.topic"), topic);
    assert!(
        header("__connect.errors.exception.message").contains("value too long"),
        "{:?}",
        dead[0].headers
    );

    // With errors.tolerance=none the same record fails the task, naming it and the reason.
    pg.sql_in(&target, "DELETE FROM people");
    let strict_name = unique("jdbc-strict");
    create(&ferry, &strict_name, confluent(&strict_name, "none"));
    let trace = wait_for("the strict sink FAILED", Duration::from_secs(60), || {
        let (_, s) = ferry.get(&format!("/connectors/{strict_name}/status"));
        (s["tasks"][0]["state"] == "FAILED").then(|| s["tasks"][0]["trace"].to_string())
    });
    assert!(
        trace.contains("offset 1") && trace.contains("value too long"),
        "{trace}"
    );
    let (code, _) = ferry.get("/connectors");
    assert_eq!(code, 200, "the worker goes on");
}

//! MySQL/MariaDB change data capture across a restart of the database server: MariaDB is shut
//! down and started again while a writer changes a table and ferry streams its binlog. Every
//! change the database committed reaches the topic exactly once, in order per key, and the task
//! is still RUNNING at the end.
//!
//! The restart cuts off every client of the server, so this test lives in a test binary of its
//! own with a single test. `cargo test --workspace` (scripts/test.sh without nextest) runs test
//! binaries one after another, never two at once, so no other MariaDB test runs meanwhile; under
//! cargo-nextest (scripts/test.sh when it is installed), which runs tests of different binaries
//! in parallel, .config/nextest.toml gives this binary every test thread, so it runs alone too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_e2e::*;
use serde_json::{json, Value as Json};

/// Keys the writer changes (1..=KEYS; key 0 is a row the snapshot reads).
const KEYS: i64 = 30;
/// Each key is inserted with n = 0, then updated to n = 1, 2, ... ROUNDS - 1.
const ROUNDS: i64 = 100;
/// Keys per transaction.
const CHUNK: usize = 10;
/// Changes streamed before the server is restarted.
const BEFORE_RESTART: usize = 600;

/// What the writer did.
#[derive(Default)]
struct Progress {
    /// Row changes committed (each counted once, however often its transaction was tried).
    committed: AtomicUsize,
    /// Attempts that failed (the server was going down, down or coming up).
    failed_attempts: AtomicUsize,
    /// Of those, transactions found committed after all when the connection had failed.
    committed_unanswered: AtomicUsize,
}

/// Writes every round, a transaction of CHUNK keys at a time, going on across the restart: a
/// transaction that fails is tried again, unless it is found committed (its rows all hold the
/// round's value; a transaction applies all of its rows or none), so none is applied twice.
fn write_all(db: &MySql, database: &str, progress: &Progress) {
    let keys: Vec<i64> = (1..=KEYS).collect();
    for round in 0..ROUNDS {
        for chunk in keys.chunks(CHUNK) {
            let body: String = chunk
                .iter()
                .map(|k| {
                    if round == 0 {
                        format!("INSERT INTO {database}.counter VALUES ({k}, 0);")
                    } else {
                        format!("UPDATE {database}.counter SET n = {round} WHERE id = {k};")
                    }
                })
                .collect();
            let transaction = format!("START TRANSACTION; {body} COMMIT;");
            let ids = chunk
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let check = format!(
                "SELECT COUNT(*) FROM {database}.counter WHERE id IN ({ids}) AND n = {round};"
            );
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut last_error;
            loop {
                match db.try_sql(&transaction) {
                    Ok(_) => break,
                    Err(e) => last_error = e,
                }
                progress.failed_attempts.fetch_add(1, Ordering::SeqCst);
                // Did the server commit it before the connection went? Ask once it answers.
                let applied = loop {
                    match db.try_sql(&check) {
                        Ok(count) => {
                            let count: usize = count.trim().parse().expect("a count");
                            assert!(
                                count == 0 || count == chunk.len(),
                                "round {round}, keys {ids}: {count} rows of a transaction applied"
                            );
                            break count == chunk.len();
                        }
                        Err(e) => last_error = e,
                    }
                    assert!(
                        Instant::now() < deadline,
                        "the writer could not reach MariaDB for 60 s: {last_error}"
                    );
                    std::thread::sleep(Duration::from_millis(100));
                };
                if applied {
                    progress.committed_unanswered.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the writer could not commit round {round}, keys {ids} for 60 s: {last_error}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            progress.committed.fetch_add(chunk.len(), Ordering::SeqCst);
            // Paced, so that the restart falls in the middle of the writing.
            std::thread::sleep(Duration::from_millis(15));
        }
    }
}

/// The binlog file the server writes to now.
fn binlog_file(db: &MySql) -> String {
    let status = db
        .try_sql("SHOW MASTER STATUS;")
        .expect("SHOW MASTER STATUS");
    status
        .split('\t')
        .next()
        .filter(|f| !f.trim().is_empty())
        .unwrap_or_else(|| panic!("no binlog file in SHOW MASTER STATUS: {status:?}"))
        .trim()
        .to_string()
}

/// Values as runs, for messages: `[0, 1, 2, 5, 5]` is "0..=2, 5, 5".
fn runs(ns: &[i64]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ns.len() {
        let mut j = i;
        while j + 1 < ns.len() && ns[j + 1] == ns[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}..={}", ns[i], ns[j])
        } else {
            ns[i].to_string()
        });
        i = j + 1;
    }
    format!("[{}]", parts.join(", "))
}

/// A change event as JSON (no schemas): key and value.
fn parse(record: &(Option<String>, Option<String>)) -> (Json, Json) {
    let parse = |t: &Option<String>| {
        t.as_deref()
            .map(|t| serde_json::from_str(t).expect("JSON"))
            .unwrap_or(Json::Null)
    };
    (parse(&record.0), parse(&record.1))
}

#[test]
fn a_database_restart_mid_stream_loses_and_duplicates_nothing() {
    let started = Instant::now();
    let broker = Broker::shared();
    let db = MySql::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = unique("dbrestart").replace('-', "_");
    // Key 0 is there before the connector: the snapshot reads it, so the writer starts once the
    // snapshot is over (its changes all come from the binlog).
    db.sql(&format!(
        "CREATE DATABASE {database};
         CREATE TABLE {database}.counter (id INT PRIMARY KEY, n INT NOT NULL);
         INSERT INTO {database}.counter VALUES (0, 0);"
    ));
    let worker = Ferry::json_worker_props(&broker, dir.path(), free_port());
    let ferry = Ferry::start(dir.path(), &worker, &[]);
    let prefix = unique("dbrestart");
    let config = db.cdc_config(&broker, &prefix, &database);
    let (code, body) = ferry.call("PUT", "/connectors/dbrestart/config", Some(config));
    assert_eq!(code, 201, "{body}");
    let topic = format!("{prefix}.{database}.counter");
    let snapshot = broker.consume_records(&topic, 1, Duration::from_secs(60));
    assert_eq!(
        snapshot.len(),
        1,
        "the snapshot's one row; worker output:\n{}",
        ferry.output()
    );

    let progress = Arc::new(Progress::default());
    let writer = {
        let progress = progress.clone();
        let database = database.clone();
        std::thread::spawn(move || write_all(&MySql::from_env(), &database, &progress))
    };
    let streamed = broker.consume_records(&topic, 1 + BEFORE_RESTART, Duration::from_secs(60));
    assert_eq!(
        streamed.len(),
        1 + BEFORE_RESTART,
        "changes streamed before the restart; worker output:\n{}",
        ferry.output()
    );
    let total = (KEYS * ROUNDS) as usize;
    let committed_at_restart = progress.committed.load(Ordering::SeqCst);
    let file_before = binlog_file(&db);
    let restart_began = Instant::now();
    db.restart_server();
    let restart_took = restart_began.elapsed();
    let writer_result = writer.join();
    let committed = progress.committed.load(Ordering::SeqCst);
    let failed_attempts = progress.failed_attempts.load(Ordering::SeqCst);
    let committed_unanswered = progress.committed_unanswered.load(Ordering::SeqCst);
    eprintln!(
        "MariaDB restarted in {restart_took:?} after {committed_at_restart} of {total} changes; \
         the writer committed {committed}, {failed_attempts} attempts failed, \
         {committed_unanswered} transactions committed without an answer"
    );
    assert!(writer_result.is_ok(), "the writer failed (see above)");
    assert_eq!(committed, total, "the writer committed every change");
    assert!(
        committed_at_restart < total && failed_attempts > 0,
        "the restart fell in the middle of the writing ({committed_at_restart} of {total} \
         committed when it began, {failed_attempts} failed attempts)"
    );
    // A server begins a new binlog file when it starts: what came after is in that one.
    let file_after = binlog_file(&db);
    assert_ne!(
        file_before, file_after,
        "the restarted server writes a new binlog file"
    );
    // What the database holds now: every key at its last round.
    let finals = db
        .try_sql(&format!(
            "SELECT COUNT(*) FROM {database}.counter WHERE id > 0 AND n = {};",
            ROUNDS - 1
        ))
        .expect("the final state");
    assert_eq!(finals.trim(), KEYS.to_string());

    // Wait until every change is in, then read the whole topic (duplicates show as extras).
    let expected = 1 + committed;
    broker.consume_records(&topic, expected, Duration::from_secs(60));
    let records = broker.consume_records(&topic, expected + 1000, Duration::from_secs(5));
    let events: Vec<(Json, Json)> = records.iter().map(parse).collect();

    let mut sequences: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut files: BTreeSet<String> = BTreeSet::new();
    let mut problems: Vec<String> = Vec::new();
    for (key, value) in &events {
        let id = key["id"].as_i64().expect("id in the key");
        let n = value["after"]["n"].as_i64().expect("after.n");
        let op = value["op"].as_str().unwrap_or_default();
        let want_op = match (id, n) {
            (0, _) => "r",
            (_, 0) => "c",
            _ => "u",
        };
        if op != want_op {
            problems.push(format!("key {id}, n = {n}: op {op}, expected {want_op}"));
        }
        if let Some(file) = value["source"]["file"].as_str() {
            if id > 0 {
                files.insert(file.to_string());
            }
        }
        sequences.entry(id).or_default().push(n);
    }
    // Per key, one line saying everything that is wrong with its sequence.
    for id in 0..=KEYS {
        let ns: &[i64] = sequences.get(&id).map(Vec::as_slice).unwrap_or_default();
        let (want, last) = if id == 0 {
            (vec![0], 0)
        } else {
            ((0..ROUNDS).collect::<Vec<i64>>(), ROUNDS - 1)
        };
        let mut wrong: Vec<String> = Vec::new();
        if let Some(w) = ns.windows(2).find(|w| w[1] <= w[0]) {
            wrong.push(format!("{} after {} (not strictly increasing)", w[1], w[0]));
        }
        if ns.last() != Some(&last) {
            wrong.push(format!("ends at {:?}, not {last}", ns.last()));
        }
        let missing: Vec<i64> = want.iter().filter(|n| !ns.contains(n)).copied().collect();
        if !missing.is_empty() {
            wrong.push(format!("missing {}", runs(&missing)));
        }
        if !wrong.is_empty() {
            problems.push(format!("key {id}: {}; got {}", wrong.join("; "), runs(ns)));
        }
    }
    let distinct: BTreeSet<(i64, i64)> = sequences
        .iter()
        .flat_map(|(id, ns)| ns.iter().map(move |n| (*id, *n)))
        .collect();
    if distinct.len() != expected || events.len() != expected {
        problems.push(format!(
            "{} events, {} distinct changes; the database committed {expected} \
             (the snapshot's row and {committed} written)",
            events.len(),
            distinct.len()
        ));
    }
    // Changes and offsets name the file they were read from: the last change was written after
    // the restart, to the new file (a resume from an offset naming the old one would fail).
    let last_file = events.last().map(|(_, v)| v["source"]["file"].clone());
    if last_file != Some(json!(file_after)) {
        problems.push(format!(
            "the last change names binlog file {last_file:?}, but the server wrote it to \
             {file_after} (the files named by changes: {files:?}; before the restart the server \
             wrote to {file_before})"
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let offset = loop {
        let (_, o) = ferry.get("/connectors/dbrestart/offsets");
        let offset = o["offsets"][0]["offset"].clone();
        if offset["file"] == json!(file_after) || Instant::now() > deadline {
            break offset;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    if offset["file"] != json!(file_after) {
        problems.push(format!(
            "the connector's offset names binlog file {}, not {file_after}: {offset}",
            offset["file"]
        ));
    }
    let (_, status) = ferry.get("/connectors/dbrestart/status");
    if status["connector"]["state"] != "RUNNING" || status["tasks"][0]["state"] != "RUNNING" {
        problems.push(format!("the connector is not RUNNING: {status}"));
    }
    if !problems.is_empty() {
        // Where the connector stands, and whether it is still reading the server's binlog.
        let (_, offsets) = ferry.get("/connectors/dbrestart/offsets");
        let dumps = db
            .try_sql("SELECT id, host, time, state FROM information_schema.PROCESSLIST WHERE command LIKE 'Binlog Dump%';")
            .unwrap_or_else(|e| e);
        problems.push(format!(
            "the connector's offsets: {offsets}\nbinlog readers connected to the server \
             (id, host, seconds, state):\n{dumps}"
        ));
    }
    assert!(
        problems.is_empty(),
        "{}\nworker output:\n{}",
        problems.join("\n"),
        ferry.output()
    );
    db.sql(&format!("DROP DATABASE {database};"));
    eprintln!(
        "{} events, binlog files {files:?}, in {:?}",
        events.len(),
        started.elapsed()
    );
}

//! A Java connector from `plugin.path` in distributed mode: the custom counting source of
//! `tests/java/` in a ferry cluster; a second worker joins while it produces, the tasks spread
//! over both workers, and no record is lost.

use std::collections::BTreeSet;
use std::time::Duration;

use ferry_e2e::cluster::*;
use ferry_e2e::java_plugins::*;
use ferry_e2e::*;
use serde_json::json;

#[test]
fn a_java_source_in_a_cluster_rebalances_onto_a_joining_worker_without_loss() {
    let broker = Broker::shared();
    let mut c = cluster_with(&broker, 1, &java_worker_extra());
    let topic = unique("java-dist");
    broker.create_topic(&topic, 1);
    let name = unique("count-dist");
    // Two partitions of 10,000 records, 100 per poll of ~100 ms: about 10 s of work per task.
    let count = 10_000i64;
    let count_text = count.to_string();
    let config = counting_source(
        &name,
        &topic,
        &[
            ("count", count_text.as_str()),
            ("partitions", "2"),
            ("tasks.max", "2"),
        ],
    );
    let (code, body) =
        c.workers[0].call_retrying("POST", "/connectors", Some(create_body(&config)));
    assert_eq!(code, 201, "{body}");
    let first = &c.workers[0];
    let s = wait_until(
        first,
        "the connector and its two tasks RUNNING",
        Duration::from_secs(120),
        || {
            let s = status(first, &name);
            if all_running(&s, 2) {
                Ok(s)
            } else {
                Err(s.to_string())
            }
        },
    );
    assert_eq!(s["connector"]["version"], CUSTOM_VERSION, "{s}");

    // The first 1,000 records arrive from the one worker.
    let early = counting_keys(0..2, 500);
    let records = keyed_records_to_end(&broker, &topic, &early, Duration::from_secs(120));
    let keys: BTreeSet<String> = records.into_iter().map(|(k, _)| k).collect();
    assert!(
        early.is_subset(&keys),
        "the first 1,000 records did not arrive: missing e.g. {:?}\n{}",
        early.difference(&keys).take(5).collect::<Vec<_>>(),
        output_tail(first, 100)
    );

    // A second worker joins: the two tasks end up on two workers, both RUNNING.
    let second = c.add(Kind::Ferry);
    let owners = wait_until(
        &c.workers[second],
        "the two tasks RUNNING on two workers",
        Duration::from_secs(120),
        || {
            let s = status(&c.workers[second], &name);
            let owners: BTreeSet<String> = s["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["worker_id"].as_str().map(str::to_string))
                .collect();
            if all_running(&s, 2) && owners.len() == 2 {
                Ok(owners)
            } else {
                Err(s.to_string())
            }
        },
    );
    println!("tasks run on {owners:?}");

    // Nothing lost (duplicates allowed: a task that moved starts from its committed offset).
    let expected = counting_keys(0..2, count);
    let records = keyed_records_to_end(&broker, &topic, &expected, Duration::from_secs(180));
    let keys: BTreeSet<String> = records.iter().map(|(k, _)| k.clone()).collect();
    assert!(
        keys == expected,
        "{} of {} records arrived, missing e.g. {:?}\n----- worker 0 -----\n{}\n----- worker 1 -----\n{}",
        keys.len(),
        expected.len(),
        expected.difference(&keys).take(10).collect::<Vec<_>>(),
        output_tail(&c.workers[0], 80),
        output_tail(&c.workers[second], 80)
    );
    println!("{} records for {} keys", records.len(), expected.len());
    let want = json!({"offsets": [
        {"partition": {"p": 0}, "offset": {"n": count - 1}},
        {"partition": {"p": 1}, "offset": {"n": count - 1}},
    ]});
    wait_until(
        &c.workers[0],
        "the offsets of both partitions at the end",
        Duration::from_secs(60),
        || {
            let (_, mut got) = c.workers[0].get(&format!("/connectors/{name}/offsets"));
            if let Some(list) = got["offsets"].as_array_mut() {
                list.sort_by_key(|o| o["partition"].to_string());
            }
            if got == want {
                Ok(())
            } else {
                Err(got.to_string())
            }
        },
    );
}

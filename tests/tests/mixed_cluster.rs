//! ferry and Apache Kafka Connect 4.4.0 workers in one group, on the same internal topics: the
//! rolling migration a user does one worker at a time. Work is spread over both kinds whichever
//! leads, REST calls to either kind are carried out, and the work of a killed worker of either
//! kind moves to the others.

use std::collections::BTreeSet;
use std::time::Duration;

use ferry_e2e::cluster::*;
use ferry_e2e::file_source::{wait_state, Source};
use ferry_e2e::*;
use serde_json::json;

/// The kinds of the workers that run the connectors and their tasks, once all are RUNNING as
/// the worker `w` reports them.
fn owner_kinds(c: &Cluster, w: usize, names: &[&str]) -> Option<BTreeSet<Kind>> {
    let mut kinds = BTreeSet::new();
    for name in names {
        let s = status(&c.workers[w], name);
        if !all_running(&s, 1) {
            return None;
        }
        for id in [&s["connector"]["worker_id"], &s["tasks"][0]["worker_id"]] {
            let owner = c.index_of(id.as_str()?)?;
            kinds.insert(c.workers[owner].kind);
        }
    }
    Some(kinds)
}

/// Waits until every connector runs, as each of the workers `up` reports, on workers among
/// `allowed`, with the kinds in `wanted` all among the owners.
fn wait_spread(c: &Cluster, up: &[usize], names: &[&str], allowed: &[usize], wanted: &[Kind]) {
    let allowed_ids: BTreeSet<&str> = allowed
        .iter()
        .map(|&i| worker_id_of(&c.workers[i]))
        .collect();
    wait_for(
        &format!("every connector RUNNING on workers {allowed:?}, spread over {wanted:?}"),
        Duration::from_secs(120),
        || {
            up.iter()
                .all(|&w| {
                    owner_kinds(c, w, names).is_some_and(|kinds| {
                        wanted.iter().all(|k| kinds.contains(k))
                            && names.iter().all(|n| {
                                let s = status(&c.workers[w], n);
                                [&s["connector"]["worker_id"], &s["tasks"][0]["worker_id"]]
                                    .iter()
                                    .all(|id| {
                                        id.as_str().is_some_and(|id| allowed_ids.contains(id))
                                    })
                            })
                    })
                })
                .then_some(())
        },
    );
}

fn call_ok(w: &Ferry, method: &str, path: &str, body: Option<Json>) -> Json {
    let (code, answer) = w.call_retrying(method, path, body);
    assert!(
        (200..300).contains(&code),
        "{method} {path} through the {:?} worker: {code} {answer}",
        w.kind
    );
    answer
}

/// Appends `n` lines to every source and waits until each topic has all its lines.
fn feed(broker: &Broker, sources: &mut [Source], n: usize) {
    for s in sources.iter_mut() {
        s.append(n);
    }
    for s in sources.iter() {
        s.wait_delivered(broker);
    }
}

#[test]
fn ferry_and_java_workers_share_one_cluster() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    // Java starts first and leads.
    let mut c = cluster_of(&broker, &[Kind::Java, Kind::Ferry], &[]);
    let (java, ferry) = (0, 1);
    let mut sources: Vec<Source> = (0..4)
        .map(|i| {
            // Created through both kinds: a follower forwards to the leader.
            let via = &c.workers[i % 2];
            Source::create(&broker, via, dir.path(), &format!("mixed-{i}"))
        })
        .collect();
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    wait_spread(
        &c,
        &[java, ferry],
        &names,
        &[java, ferry],
        &[Kind::Java, Kind::Ferry],
    );
    feed(&broker, &mut sources, 50);

    // Target states and restarts through either kind, carried out by whichever runs the work.
    let target = &names[0];
    call_ok(
        &c.workers[ferry],
        "PUT",
        &format!("/connectors/{target}/pause"),
        None,
    );
    wait_state(&c.workers[java], target, "PAUSED");
    call_ok(
        &c.workers[java],
        "PUT",
        &format!("/connectors/{target}/resume"),
        None,
    );
    wait_state(&c.workers[ferry], target, "RUNNING");
    call_ok(
        &c.workers[ferry],
        "POST",
        &format!("/connectors/{target}/restart?includeTasks=true"),
        None,
    );
    wait_state(&c.workers[java], target, "RUNNING");

    // The offsets API across kinds: stopped through Java, read through both, reset through
    // ferry; resumed, the source reads its file again from the start.
    call_ok(
        &c.workers[java],
        "PUT",
        &format!("/connectors/{target}/stop"),
        None,
    );
    wait_state(&c.workers[ferry], target, "STOPPED");
    let offsets = |w: usize| {
        call_ok(
            &c.workers[w],
            "GET",
            &format!("/connectors/{target}/offsets"),
            None,
        )
    };
    wait_for(
        "both kinds to show the same offsets",
        Duration::from_secs(30),
        || (offsets(java) == offsets(ferry)).then_some(()),
    );
    assert_eq!(
        offsets(ferry)["offsets"][0]["offset"]["position"],
        json!(std::fs::metadata(&sources[0].input).expect("input").len()),
        "the stopped source's offset is the end of its file"
    );
    call_ok(
        &c.workers[ferry],
        "DELETE",
        &format!("/connectors/{target}/offsets"),
        None,
    );
    wait_for(
        "the offsets to be gone on the Java worker",
        Duration::from_secs(30),
        || (offsets(java)["offsets"] == json!([])).then_some(()),
    );
    call_ok(
        &c.workers[java],
        "PUT",
        &format!("/connectors/{target}/resume"),
        None,
    );
    wait_state(&c.workers[ferry], target, "RUNNING");
    let twice: Vec<String> = sources[0]
        .lines
        .iter()
        .chain(&sources[0].lines)
        .cloned()
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let values = broker.values_to_end(&sources[0].topic, &twice, Duration::from_secs(30));
        if values == twice {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reset source reads its file again, once: {values:?}"
        );
    }
    // From here on the re-read lines count as repeats: first occurrences are still the input.

    // The Java leader killed: its work moves to ferry, which now leads.
    c.workers[java].kill9();
    wait_spread(&c, &[ferry], &names, &[ferry], &[Kind::Ferry]);
    feed(&broker, &mut sources, 20);

    // A new Java worker joins under ferry's lead and is given work.
    let java2 = c.add(Kind::Java);
    wait_spread(
        &c,
        &[ferry, java2],
        &names,
        &[ferry, java2],
        &[Kind::Java, Kind::Ferry],
    );
    feed(&broker, &mut sources, 20);

    // The ferry leader killed: its work moves to Java.
    c.workers[ferry].kill9();
    wait_spread(&c, &[java2], &names, &[java2], &[Kind::Java]);
    feed(&broker, &mut sources, 20);
}

//! The web console at `/ui`, driven in Debian's headless Chromium by Playwright
//! (`tests/browser/console.mjs`) against a two-worker distributed cluster on the real broker:
//! it lists connectors and filters them by keyboard, pauses one, shows a FAILED task's trace,
//! creates a connector through the form after showing the plugin's validation error and edits
//! it, resets a stopped connector's offsets after a confirmation, shows what runs on which
//! worker, and stays readable on a phone. The outcome is checked again here through the REST API. Screenshots of
//! each page are kept under `target/tmp/console-screenshots/`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use ferry_e2e::cluster::{cluster, status, worker_id_of};
use ferry_e2e::{unique, wait_for, Broker, Ferry, Json};
use serde_json::json;

fn env_or_panic(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| {
        panic!("{key} is not set: scripts/test.sh sets it (scripts/lib.sh ensure_browser installs Chromium and playwright-core)")
    })
}

fn create(w: &Ferry, name: &str, config: Json) {
    let (code, body) = w.call_retrying("PUT", &format!("/connectors/{name}/config"), Some(config));
    assert!(code == 201 || code == 200, "creating {name}: {code} {body}");
}

fn task_state(w: &Ferry, name: &str) -> Option<String> {
    status(w, name)["tasks"][0]["state"]
        .as_str()
        .map(str::to_string)
}

#[test]
fn an_operator_runs_the_cluster_from_the_console_in_a_real_browser() {
    let chromium = env_or_panic("FERRY_TEST_CHROMIUM");
    let node_modules = env_or_panic("FERRY_TEST_NODE_MODULES");
    let broker = Broker::shared();
    let cluster = cluster(&broker, 2);
    let w = &cluster.workers[0];
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "one\ntwo\nthree\n").expect("input file");

    let paused = unique("console-pause");
    let failed = unique("console-failed");
    let stopped = unique("console-stopped");
    let created = unique("console-created");
    let topic = unique("console-topic");
    broker.create_topic(&topic, 1);
    let source = |t: &str| {
        json!({
            "connector.class": "FileStreamSource",
            "file": input.display().to_string(),
            "topic": t,
            "tasks.max": "1",
        })
    };
    create(w, &paused, source(&topic));
    create(w, &stopped, source(&topic));
    // A sink that cannot open its file fails its task; its config carries a secret and a
    // config provider placeholder, which the console must hide and show respectively.
    let secret = "hunter2-do-not-show";
    let placeholder = "${file:/etc/ferry/secrets.properties:password}";
    create(
        w,
        &failed,
        json!({
            "connector.class": "FileStreamSink",
            "file": "/nonexistent-dir/for/sure/out.txt",
            "topics": topic,
            "tasks.max": "1",
            "database.password": secret,
            "vault.password": placeholder,
        }),
    );
    wait_for(
        "the tasks RUNNING and FAILED",
        Duration::from_secs(60),
        || {
            (task_state(w, &paused).as_deref() == Some("RUNNING")
                && task_state(w, &stopped).as_deref() == Some("RUNNING")
                && task_state(w, &failed).as_deref() == Some("FAILED"))
            .then_some(())
        },
    );
    // The stopped connector has moved its three lines and committed where it is.
    wait_for("offsets committed", Duration::from_secs(30), || {
        let (_, o) = w.get(&format!("/connectors/{stopped}/offsets"));
        o["offsets"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
            .then_some(())
    });
    let (code, body) = w.call("PUT", &format!("/connectors/{stopped}/stop"), None);
    assert_eq!(code, 204, "{body}");
    wait_for("STOPPED", Duration::from_secs(30), || {
        (status(w, &stopped)["connector"]["state"] == "STOPPED").then_some(())
    });
    let (_, kept) = w.get(&format!("/connectors/{stopped}/offsets"));
    assert!(
        kept["offsets"].as_array().is_some_and(|a| !a.is_empty()),
        "offsets after stop: {kept}"
    );

    // Every worker of the group, also one that runs nothing, from any worker (`GET /workers`).
    let workers: Vec<String> = cluster
        .workers
        .iter()
        .map(|w| worker_id_of(w).to_string())
        .collect();
    let mut expected: Vec<&str> = workers.iter().map(String::as_str).collect();
    expected.sort();
    // Stable, and each task where its status says it runs (a rebalance may still settle).
    let group = wait_for(
        "GET /workers agreeing with the statuses",
        Duration::from_secs(30),
        || {
            let (code, group) = cluster.workers[1].get("/workers");
            assert_eq!(code, 200, "{group}");
            let listed = group["workers"].as_array()?;
            let mut ids: Vec<&str> = listed
                .iter()
                .filter_map(|w| w["worker_id"].as_str())
                .collect();
            ids.sort();
            let placed = [&paused, &failed].iter().all(|name| {
                let s = status(w, name);
                let runner = s["tasks"][0]["worker_id"].as_str();
                let by_group = listed
                    .iter()
                    .find(|w| {
                        w["tasks"]
                            .as_array()
                            .is_some_and(|t| t.contains(&json!({"connector": name, "task": 0})))
                    })
                    .and_then(|w| w["worker_id"].as_str());
                runner.is_some() && by_group == runner
            });
            (group["state"] == "Stable" && ids == expected && placed).then_some(group)
        },
    );
    assert_eq!(group["group"], cluster.group.as_str(), "{group}");
    let leaders = group["workers"]
        .as_array()
        .map_or(0, |l| l.iter().filter(|w| w["leader"] == true).count());
    assert_eq!(leaders, 1, "{group}");

    // The list with progress, asked of either worker, carries the progress of every running
    // task wherever it runs (each other worker asked once for all of its tasks).
    for asked in &cluster.workers {
        wait_for(
            "the list's progress from every worker",
            Duration::from_secs(30),
            || {
                let (_, all) = asked.get("/connectors?expand=status&progress=true");
                let records = &all[paused.as_str()]["status"]["tasks"][0]["progress"]["records"];
                (records == &json!({"polled": 3, "written": 3})).then_some(())
            },
        );
    }

    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);
    let created_file = dir.path().join("created-in.txt");
    std::fs::write(&created_file, "a\nb\n").expect("input file");
    let edited_file = dir.path().join("edited-in.txt");
    std::fs::write(&edited_file, "c\n").expect("input file");
    let mut all = vec![paused.clone(), failed.clone(), stopped.clone()];
    all.sort();
    let scenario = json!({
        "all": all,
        "paused": paused,
        "paused_position": 14,
        "paused_lines": 3,
        "failed": failed,
        "failed_trace_contains": "nonexistent-dir",
        "secret_value": secret,
        "placeholder": placeholder,
        "stopped": stopped,
        "created": created,
        "created_class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "created_file": created_file.display().to_string(),
        "created_topic": topic,
        "edited_file": edited_file.display().to_string(),
        "workers": workers,
    });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser/console.mjs");
    let out = Command::new("node")
        .arg(&script)
        .env("FERRY_URL", &w.rest)
        .env("FERRY_SCREENSHOTS", &screenshots)
        .env("FERRY_TEST_CHROMIUM", chromium)
        .env("FERRY_TEST_NODE_MODULES", node_modules)
        .env("FERRY_CONSOLE_SCENARIO", scenario.to_string())
        .output()
        .expect("node runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{said}");
    assert!(out.status.success(), "the browser session failed:\n{said}");

    // What the browser did, as the REST API sees it.
    assert_eq!(status(w, &paused)["connector"]["state"], "PAUSED");
    // The created connector was edited, then deleted from outside the page; its last config
    // is in the config topic's history, so it is checked through the browser's steps alone.
    let (code, _) = w.get(&format!("/connectors/{created}/config"));
    assert_eq!(code, 404, "deleted at the end of the browser session");
    let (_, reset) = w.get(&format!("/connectors/{stopped}/offsets"));
    assert_eq!(reset["offsets"], json!([]), "{reset}");
    let shots: Vec<String> = std::fs::read_dir(&screenshots)
        .expect("screenshots folder")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    for page in [
        "01-connectors.png",
        "03-connector-paused.png",
        "04-failed-task-trace.png",
        "05-form-validation-error.png",
        "06-connector-created.png",
        "08-offsets-reset.png",
        "09-workers.png",
        "10-phone-connectors.png",
    ] {
        assert!(shots.iter().any(|s| s == page), "no {page} in {shots:?}");
    }
}

#[test]
fn a_standalone_worker_has_no_group_to_list() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let (code, body) = ferry.get("/workers");
    assert_eq!(code, 404, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("distributed mode")),
        "{body}"
    );
}

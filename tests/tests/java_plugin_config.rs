//! A Java connector's configuration as the REST API shows and checks it, against Kafka Connect
//! 4.4.0 running the same jar: `GET /connector-plugins/{p}/config` gives the connector's own
//! keys as its `ConfigDef` defines them, and `PUT .../config/validate` finds the same problems.

use ferry_e2e::java_plugins::*;
use ferry_e2e::*;
use serde_json::json;

const PLUGIN: &str = "com.example.connect.CountingSourceConnector";
const OWN_KEYS: &[&str] = &[
    "topic",
    "count",
    "partitions",
    "fail.at",
    "exit.at",
    "reconfigure.to",
];

fn own_keys(config: &Json) -> Vec<Json> {
    let mut keys: Vec<Json> = config
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| OWN_KEYS.contains(&k["name"].as_str().unwrap_or_default()))
        .map(|k| {
            json!({
                "name": k["name"],
                "type": k["type"],
                "required": k["required"],
                "default_value": k["default_value"],
                "importance": k["importance"],
                "documentation": k["documentation"],
            })
        })
        .collect();
    keys.sort_by_key(|k| k["name"].as_str().unwrap_or_default().to_string());
    keys
}

/// The errors validation reports, per key, for the connector's own keys and `name`.
fn errors(infos: &Json) -> Vec<(String, Json)> {
    let mut out: Vec<(String, Json)> = infos["configs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            let name = c["value"]["name"].as_str().unwrap_or_default();
            OWN_KEYS.contains(&name) || name == "name"
        })
        .map(|c| {
            (
                c["value"]["name"].as_str().unwrap_or_default().to_string(),
                c["value"]["errors"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn a_java_connectors_config_and_validation_answer_as_kafka_connect_does() {
    let broker = Broker::shared();
    let (java_dir, ferry_dir) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let java_props = java_worker_props(&broker, java_dir.path(), free_port());
    let java_path = java_dir.path().to_path_buf();
    let java = std::thread::spawn(move || Ferry::java_standalone(&java_path, &java_props, &[]));
    let ferry = Ferry::start(
        ferry_dir.path(),
        &java_worker_props(&broker, ferry_dir.path(), free_port()),
        &[],
    );
    let java = java.join().expect("Kafka Connect started");

    let path = format!("/connector-plugins/{PLUGIN}/config");
    let (ferry_code, ferry_config) = ferry.get(&path);
    let (java_code, java_config) = java.call_retrying("GET", &path, None);
    assert_eq!(
        (ferry_code, java_code),
        (200, 200),
        "{ferry_config} {java_config}"
    );
    let ours = own_keys(&ferry_config);
    assert_eq!(ours.len(), OWN_KEYS.len(), "{ferry_config}");
    assert_eq!(
        ours,
        own_keys(&java_config),
        "the keys as the ConfigDef defines them"
    );

    // No topic, a count that is not a number, too few partitions.
    let validate = format!("/connector-plugins/{PLUGIN}/config/validate");
    let body = json!({
        "connector.class": PLUGIN,
        "name": "v",
        "count": "many",
        "partitions": "0",
    });
    let (ferry_code, ferry_infos) = ferry.call("PUT", &validate, Some(body.clone()));
    let (java_code, java_infos) = java.call_retrying("PUT", &validate, Some(body));
    assert_eq!(
        (ferry_code, java_code),
        (200, 200),
        "{ferry_infos} {java_infos}"
    );
    let ferry_errors = errors(&ferry_infos);
    assert!(
        ferry_errors
            .iter()
            .any(|(k, e)| k == "topic" && !e.as_array().is_none_or(Vec::is_empty)),
        "a missing topic is an error: {ferry_infos}"
    );
    assert_eq!(
        ferry_errors,
        errors(&java_infos),
        "the same problems, in the same words"
    );

    // A configuration without problems: none reported by either, and ferry creates it.
    let good = json!({"connector.class": PLUGIN, "name": "v", "topic": "t", "count": "5"});
    let (_, ferry_infos) = ferry.call("PUT", &validate, Some(good.clone()));
    let (_, java_infos) = java.call_retrying("PUT", &validate, Some(good));
    assert_eq!(ferry_infos["error_count"], 0, "{ferry_infos}");
    assert_eq!(java_infos["error_count"], 0, "{java_infos}");

    // A create the connector's checks refuse is a 400 naming the key, as with Kafka Connect.
    let bad = json!({"name": "refused", "config": {
        "connector.class": PLUGIN, "topic": "t", "partitions": "0"}});
    let (ferry_code, ferry_body) = ferry.call("POST", "/connectors", Some(bad.clone()));
    let (java_code, java_body) = java.call_retrying("POST", "/connectors", Some(bad));
    assert_eq!(
        (ferry_code, java_code),
        (400, 400),
        "{ferry_body} {java_body}"
    );
    assert!(
        ferry_body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Invalid value 0 for configuration partitions")),
        "{ferry_body}"
    );
}

//! The REST API side by side with Apache Kafka Connect 4.4.0: the same calls — every endpoint of
//! the user documents, their error cases included — sent to a Kafka Connect standalone worker and
//! to a ferry standalone worker on the same broker, with FileStream connectors. Their answers must
//! agree on status codes, JSON shapes (keys and value types), values where they are not
//! legitimately the worker's own (worker ids, versions, traces, timestamps), and error messages
//! where clients read them.
//!
//! Where ferry answers differently on purpose, the step names a `Known` difference; each is
//! written down in docs/compatibility.md ("REST API"), and the test checks that the difference is
//! exactly the one documented.

use std::collections::BTreeSet;
use std::time::Duration;

use ferry_e2e::*;
use serde_json::json;

/// Values that are each worker's own: compared by type only.
const VOLATILE: &[&str] = &["worker_id", "version", "commit", "trace", "last_modified"];

/// Keys that Kafka Connect 4.4.0 declares for every connector of a kind and ferry does not
/// (it does not implement them yet): `GET /connector-plugins/{p}/config` and validation list
/// them in Kafka only.
const KAFKA_ONLY_SOURCE_KEYS: &[&str] = &[
    "tasks.max.enforce",
    "key.converter.plugin.version",
    "value.converter.plugin.version",
    "header.converter.plugin.version",
    "exactly.once.support",
    "transaction.boundary",
    "transaction.boundary.interval.ms",
    "offsets.storage.topic",
];
const KAFKA_ONLY_SINK_KEYS: &[&str] = &[
    "tasks.max.enforce",
    "key.converter.plugin.version",
    "value.converter.plugin.version",
    "header.converter.plugin.version",
    "errors.deadletterqueue.topic.replication.factor",
    "errors.deadletterqueue.context.headers.enable",
];

/// The differences the test tolerates, each documented in docs/compatibility.md.
#[derive(Debug, Clone, Copy)]
enum Known {
    /// A body that is not JSON, or not the JSON expected: Kafka 500 (Jackson's error), ferry 400.
    MalformedBodyIs400,
    /// `GET /connectors/{name}/tasks-config` was removed in Kafka 4.0; ferry keeps it.
    TasksConfigKept,
    /// Restart, stop and task restart of an unknown connector: Kafka's standalone herder fails
    /// with 500 (a NullPointerException or a ConnectException), ferry answers 404.
    UnknownConnectorIs404,
    /// `POST /connectors` without `config`: Kafka 500 (NullPointerException), ferry 400.
    MissingConfigIs400,
    /// Validation against an unknown plugin: Kafka 500 (a wrapped BadRequestException), ferry 400.
    UnknownPluginIs400,
    /// Validation of a config without `connector.class`: Kafka 500, ferry takes the class from
    /// the path and validates.
    ValidateTakesClassFromPath,
    /// `restart?includeTasks=true` of a STOPPED connector: Kafka marks it RESTARTING and starts
    /// tasks that fail, ferry leaves a stopped connector stopped (202 with its status).
    StoppedConnectorNotRestarted,
    /// Logger lists: Kafka lists every log4j logger it created, ferry the ones that were set.
    LoggerNames,
}

/// How the answers of one step are compared.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Same status, shape and values (volatile values by type only).
    Same,
    /// Same status and shape; values may differ (data-dependent or plugin lists).
    Shape,
    /// `GET /connector-plugins`: every connector Kafka lists, listed alike by ferry; ferry's
    /// other entries are its own built-in connectors (the Java worker here has no Debezium).
    Plugins,
    /// Same status and error code; the messages agree as `Msg` says.
    Message(Msg),
    /// `GET /connector-plugins/{p}/config`: the same definitions for every key both declare.
    PluginConfig,
    /// `PUT .../config/validate`: the same keys in error and the same definitions.
    Validate,
    Known(Known),
}

#[derive(Debug, Clone, Copy)]
enum Msg {
    /// Equal up to Kafka's closing line naming the validate endpoint, where Kafka prints its
    /// placeholder `{connectorType}` and ferry the connector class.
    UpToEndpoint,
    /// Both contain this text (Kafka words some messages differently from run to run, or
    /// repeats an error).
    Contains(&'static str),
}

enum Body {
    None,
    Json(Json),
    Raw(&'static str),
}

/// One worker, with the names, files and topic of its own run.
struct Side {
    worker: Ferry,
    tag: String,
    dir: String,
}

impl Side {
    fn new(worker: Ferry, tag: String) -> Side {
        let dir = worker.dir.display().to_string();
        Side { worker, tag, dir }
    }

    /// A template with this side's names: {src}, {snk}, {stp}, {psd}, {nope}, {in}, {out},
    /// {topic}.
    fn fill(&self, template: &str) -> String {
        template
            .replace("{src}", &format!("src-{}", self.tag))
            .replace("{psd}", &format!("psd-{}", self.tag))
            .replace("{snk}", &format!("snk-{}", self.tag))
            .replace("{stp}", &format!("stp-{}", self.tag))
            .replace("{nope}", &format!("nope-{}", self.tag))
            .replace("{in}", &format!("{}/in.txt", self.dir))
            .replace("{out}", &format!("{}/out.txt", self.dir))
            .replace("{topic}", &format!("topic-{}", self.tag))
    }

    fn fill_json(&self, v: &Json) -> Json {
        match v {
            Json::String(s) => Json::String(self.fill(s)),
            Json::Array(a) => Json::Array(a.iter().map(|v| self.fill_json(v)).collect()),
            Json::Object(o) => Json::Object(
                o.iter()
                    .map(|(k, v)| (self.fill(k), self.fill_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// An answer with this side's own names put back as placeholders, string lists sorted.
    fn normalise(&self, v: &Json) -> Json {
        let text = |s: &str| s.replace(&self.dir, "<DIR>").replace(&self.tag, "<TAG>");
        match v {
            Json::String(s) => Json::String(text(s)),
            Json::Array(a) => {
                let mut items: Vec<Json> = a.iter().map(|v| self.normalise(v)).collect();
                if items.iter().all(Json::is_string) {
                    items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
                Json::Array(items)
            }
            Json::Object(o) => Json::Object(
                o.iter()
                    .map(|(k, v)| (text(k), self.normalise(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn send(&self, method: &str, path: &str, body: &Body) -> (u16, Json) {
        let path = self.fill(path);
        match body {
            Body::None => self.worker.call(method, &path, None),
            Body::Json(j) => self.worker.call(method, &path, Some(self.fill_json(j))),
            Body::Raw(r) => self.worker.call_raw(method, &path, r),
        }
    }

    fn state(&self, name: &str) -> (String, Vec<String>) {
        let (_, s) = self.send("GET", &format!("/connectors/{name}/status"), &Body::None);
        let tasks = s["tasks"]
            .as_array()
            .map(|t| {
                t.iter()
                    .map(|t| t["state"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        let connector = s["connector"]["state"].as_str().unwrap_or("").to_string();
        (connector, tasks)
    }
}

struct SideBySide {
    java: Side,
    ferry: Side,
    failures: Vec<String>,
}

impl SideBySide {
    fn both(&self) -> [&Side; 2] {
        [&self.java, &self.ferry]
    }

    /// Sends the call to both workers and compares their answers.
    fn check(&mut self, label: &str, method: &str, path: &str, body: Body, expect: Expect) {
        let (jc, jb) = self.java.send(method, path, &body);
        let (fc, fb) = self.ferry.send(method, path, &body);
        let (jb, fb) = (self.java.normalise(&jb), self.ferry.normalise(&fb));
        let outcome = compare(expect, (jc, &jb), (fc, &fb));
        let mark = if outcome.is_ok() { "ok  " } else { "DIFF" };
        println!("{mark} {label:<34} {method:<6} {path:<58} kafka {jc} ferry {fc}");
        if let Err(why) = outcome {
            self.failures.push(format!(
                "{label}: {method} {path} ({expect:?}): {why}\n  kafka {jc}: {}\n  ferry {fc}: {}",
                cut(&jb),
                cut(&fb)
            ));
        }
    }

    fn get(&mut self, label: &str, path: &str, expect: Expect) {
        self.check(label, "GET", path, Body::None, expect);
    }

    /// Waits until the connector and its tasks are in the given states on both workers.
    fn wait_state(&self, name: &str, connector: &str, tasks: &[&str]) {
        for side in self.both() {
            wait_for(
                &format!(
                    "{name} to be {connector} {tasks:?} on {:?}",
                    side.worker.kind
                ),
                Duration::from_secs(60),
                || {
                    let (c, t) = side.state(name);
                    (c == connector && t == tasks).then_some(())
                },
            );
        }
    }

    /// Waits until the connector has committed offsets on both workers.
    fn wait_offsets(&self, name: &str) {
        for side in self.both() {
            wait_for(
                &format!("offsets of {name} on {:?}", side.worker.kind),
                Duration::from_secs(60),
                || {
                    let (_, o) =
                        side.send("GET", &format!("/connectors/{name}/offsets"), &Body::None);
                    o["offsets"]
                        .as_array()
                        .is_some_and(|a| !a.is_empty())
                        .then_some(())
                },
            );
        }
    }
}

fn cut(v: &Json) -> String {
    let text = v.to_string();
    match text.char_indices().nth(1500) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

fn compare(expect: Expect, (jc, jb): (u16, &Json), (fc, fb): (u16, &Json)) -> Result<(), String> {
    match expect {
        Expect::Same => {
            same_code(jc, fc)?;
            same_shape(jb, fb, "")?;
            same_values(&without_volatile(jb), &without_volatile(fb), "")
        }
        Expect::Shape => {
            same_code(jc, fc)?;
            same_shape(jb, fb, "")
        }
        Expect::Plugins => {
            same_code(jc, fc)?;
            let classes: Vec<&Json> = jb
                .as_array()
                .map(|a| a.iter().map(|p| &p["class"]).collect())
                .unwrap_or_default();
            let (common, extra): (Vec<Json>, Vec<Json>) = fb
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .partition(|p| classes.contains(&&p["class"]));
            let built_in = [
                "io.debezium.connector.mysql.MySqlConnector",
                "io.debezium.connector.mariadb.MariaDbConnector",
                "io.debezium.connector.jdbc.JdbcSinkConnector",
                "io.confluent.connect.jdbc.JdbcSinkConnector",
            ];
            if let Some(other) = extra
                .iter()
                .find(|p| !built_in.iter().any(|b| p["class"] == *b))
            {
                return Err(format!("ferry lists a connector Kafka does not: {other}"));
            }
            let common = Json::Array(common);
            same_shape(jb, &common, "")?;
            same_values(&without_volatile(jb), &without_volatile(&common), "")
        }
        Expect::Message(msg) => {
            same_code(jc, fc)?;
            same_shape(jb, fb, "")?;
            same_values(&jb["error_code"], &fb["error_code"], "error_code")?;
            let (jm, fm) = (message(jb), message(fb));
            let agree = match msg {
                Msg::UpToEndpoint => {
                    let head = |m: &str| {
                        m.split("\nYou can also find")
                            .next()
                            .unwrap_or("")
                            .to_string()
                    };
                    head(jm) == head(fm)
                }
                Msg::Contains(text) => jm.contains(text) && fm.contains(text),
            };
            agree
                .then_some(())
                .ok_or_else(|| format!("messages differ ({msg:?})"))
        }
        Expect::PluginConfig => {
            same_code(jc, fc)?;
            let (java, ferry) = (by_name(jb, |k| k), by_name(fb, |k| k));
            same_definitions(&java, &ferry)
        }
        Expect::Validate => {
            same_code(jc, fc)?;
            same_shape(jb, fb, "")?;
            let (java, ferry) = (
                by_name(&jb["configs"], |c| &c["definition"]),
                by_name(&fb["configs"], |c| &c["definition"]),
            );
            same_definitions(&java, &ferry)?;
            let in_error = |v: &Json| -> BTreeSet<String> {
                v["configs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| {
                        c["value"]["errors"]
                            .as_array()
                            .is_some_and(|e| !e.is_empty())
                    })
                    .filter_map(|c| c["value"]["name"].as_str().map(str::to_string))
                    .collect()
            };
            let (je, fe) = (in_error(jb), in_error(fb));
            (je == fe)
                .then_some(())
                .ok_or_else(|| format!("keys in error: kafka {je:?}, ferry {fe:?}"))
        }
        Expect::Known(known) => tolerated(known, (jc, jb), (fc, fb)),
    }
}

/// The one difference a `Known` allows, and nothing else.
fn tolerated(known: Known, (jc, jb): (u16, &Json), (fc, fb): (u16, &Json)) -> Result<(), String> {
    let expect = |ok: bool, what: &str| ok.then_some(()).ok_or_else(|| what.to_string());
    match known {
        Known::MalformedBodyIs400 => {
            expect(jc == 500 && is_error(jb, 500), "kafka should answer 500")?;
            expect(fc == 400 && is_error(fb, 400), "ferry should answer 400")
        }
        Known::TasksConfigKept => {
            expect(
                jc == 404 && message(jb) == "HTTP 404 Not Found",
                "kafka 4.4 has no tasks-config",
            )?;
            expect(
                (fc == 200 && fb.is_object()) || (fc == 404 && is_error(fb, 404)),
                "ferry answers tasks-config like Kafka 3.9",
            )
        }
        Known::UnknownConnectorIs404 => {
            expect(jc == 500 && is_error(jb, 500), "kafka should fail with 500")?;
            expect(fc == 404 && is_error(fb, 404), "ferry should answer 404")
        }
        Known::MissingConfigIs400 => {
            expect(jc == 500 && is_error(jb, 500), "kafka should fail with 500")?;
            expect(
                fc == 400 && message(fb) == "Connector config contains no connector type",
                "ferry should answer 400, no connector type",
            )
        }
        Known::UnknownPluginIs400 => {
            let words = "Failed to find any class that implements Connector";
            expect(
                jc == 500 && message(jb).contains(words),
                "kafka should fail with 500",
            )?;
            expect(
                fc == 400 && message(fb).contains(words),
                "ferry should answer 400",
            )
        }
        Known::ValidateTakesClassFromPath => {
            expect(
                jc == 500 && message(jb).contains("Connector config contains no connector type"),
                "kafka should fail with 500",
            )?;
            expect(
                fc == 200 && fb["configs"].is_array(),
                "ferry should validate",
            )
        }
        Known::StoppedConnectorNotRestarted => {
            same_code(jc, fc)?;
            same_shape(jb, fb, "")?;
            expect(
                jb["connector"]["state"] == "RESTARTING",
                "kafka restarts a stopped connector",
            )?;
            expect(
                fb["connector"]["state"] == "STOPPED" && fb["tasks"] == json!([]),
                "ferry leaves it stopped",
            )
        }
        Known::LoggerNames => {
            same_code(jc, fc)?;
            match (jb, fb) {
                // GET /admin/loggers: both name root; every level has the shape of root's.
                (Json::Object(j), Json::Object(f)) => {
                    expect(
                        j.contains_key("root") && f.contains_key("root"),
                        "both list root",
                    )?;
                    for (name, level) in j.iter().chain(f) {
                        same_shape(&jb["root"], level, name)?;
                    }
                    Ok(())
                }
                // PUT /admin/loggers/{name}: the loggers changed; Kafka adds every descendant
                // it has created.
                (Json::Array(j), Json::Array(f)) => expect(
                    f.is_empty() == j.is_empty()
                        && f.iter().all(|n| n.is_string() && j.contains(n)),
                    "ferry's changed loggers are among Kafka's",
                ),
                _ => same_shape(jb, fb, ""),
            }
        }
    }
}

fn same_code(java: u16, ferry: u16) -> Result<(), String> {
    (java == ferry)
        .then_some(())
        .ok_or_else(|| format!("status {java} in kafka, {ferry} in ferry"))
}

fn is_error(body: &Json, code: u16) -> bool {
    body["error_code"] == code && body["message"].is_string()
}

fn message(body: &Json) -> &str {
    body["message"].as_str().unwrap_or("")
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// The same keys and value types; `null` goes with any type (a value one side has not set),
/// and the elements of each array have the shape of the other's first.
fn same_shape(java: &Json, ferry: &Json, at: &str) -> Result<(), String> {
    match (java, ferry) {
        (Json::Null, _) | (_, Json::Null) => Ok(()),
        (Json::Object(j), Json::Object(f)) => {
            let jk: BTreeSet<&String> = j.keys().collect();
            let fk: BTreeSet<&String> = f.keys().collect();
            if jk != fk {
                return Err(format!(
                    "keys at '{at}': only kafka {:?}, only ferry {:?}",
                    jk.difference(&fk).collect::<Vec<_>>(),
                    fk.difference(&jk).collect::<Vec<_>>()
                ));
            }
            for k in jk {
                same_shape(&j[k], &f[k], &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        (Json::Array(j), Json::Array(f)) => {
            if let (Some(j0), Some(f0)) = (j.first(), f.first()) {
                for v in j {
                    same_shape(v, f0, &format!("{at}[]"))?;
                }
                for v in f {
                    same_shape(j0, v, &format!("{at}[]"))?;
                }
            }
            Ok(())
        }
        (j, f) if kind_of(j) == kind_of(f) => Ok(()),
        (j, f) => Err(format!(
            "at '{at}': kafka has {}, ferry {}",
            kind_of(j),
            kind_of(f)
        )),
    }
}

fn without_volatile(v: &Json) -> Json {
    match v {
        Json::Object(o) => Json::Object(
            o.iter()
                .map(|(k, v)| {
                    let v = if VOLATILE.contains(&k.as_str()) {
                        Json::Null
                    } else {
                        without_volatile(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(without_volatile).collect()),
        other => other.clone(),
    }
}

fn same_values(java: &Json, ferry: &Json, at: &str) -> Result<(), String> {
    match (java, ferry) {
        (Json::Object(j), Json::Object(f)) => {
            for (k, v) in j {
                same_values(v, &f[k], &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        (Json::Array(j), Json::Array(f)) if j.len() == f.len() => {
            for (i, (a, b)) in j.iter().zip(f).enumerate() {
                same_values(a, b, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (j, f) if j == f => Ok(()),
        (j, f) => Err(format!("at '{at}': kafka {}, ferry {}", cut(j), cut(f))),
    }
}

/// Config key definitions by name.
fn by_name(list: &Json, definition: fn(&Json) -> &Json) -> Vec<(String, Json)> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(definition)
        .filter_map(|d| Some((d["name"].as_str()?.to_string(), d.clone())))
        .collect()
}

/// Every key ferry declares, Kafka declares with the same shape, type, default, importance and
/// group; Kafka declares no other key than those ferry does not implement.
fn same_definitions(java: &[(String, Json)], ferry: &[(String, Json)]) -> Result<(), String> {
    for (name, f) in ferry {
        let Some((_, j)) = java.iter().find(|(n, _)| n == name) else {
            return Err(format!("ferry declares {name}, kafka does not"));
        };
        same_shape(j, f, name)?;
        for field in ["type", "required", "importance", "group"] {
            same_values(&j[field], &f[field], &format!("{name}/{field}"))?;
        }
    }
    let extra: BTreeSet<&str> = java
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !ferry.iter().any(|(f, _)| f == n))
        .collect();
    let allowed: BTreeSet<&str> = KAFKA_ONLY_SOURCE_KEYS
        .iter()
        .chain(KAFKA_ONLY_SINK_KEYS)
        .copied()
        .collect();
    let unexpected: Vec<&&str> = extra.difference(&allowed).collect();
    unexpected
        .is_empty()
        .then_some(())
        .ok_or_else(|| format!("kafka declares keys ferry does not: {unexpected:?}"))
}

fn source_config() -> Json {
    json!({"connector.class": "FileStreamSource", "file": "{in}", "topic": "{topic}", "tasks.max": "1"})
}

fn sink_config() -> Json {
    json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "file": "{out}",
        "topics": "{topic}",
        "tasks.max": "1",
    })
}

fn with(mut config: Json, key: &str, value: Json) -> Json {
    config[key] = value;
    config
}

/// Both workers, started at the same time (Kafka Connect takes several seconds).
fn start_both(
    broker: &Broker,
    java_dir: &std::path::Path,
    ferry_dir: &std::path::Path,
) -> (Ferry, Ferry) {
    let java_props = Ferry::worker_props(broker, java_dir, free_port());
    let java_dir = java_dir.to_path_buf();
    let java = std::thread::spawn(move || Ferry::java_standalone(&java_dir, &java_props, &[]));
    let ferry = Ferry::start(
        ferry_dir,
        &Ferry::worker_props(broker, ferry_dir, free_port()),
        &[],
    );
    let java = java.join().expect("the Kafka Connect worker did not start");
    // The FileStream connectors on Kafka's plugin.path must be able to run on 4.4.0.
    let (code, body) = java.call(
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        Some(json!({"connector.class": "FileStreamSource", "topic": "t"})),
    );
    assert_eq!(
        code,
        200,
        "Kafka Connect cannot validate with its FileStream connectors ({body}): rebuild them with \
         scripts/lib.sh's ensure_connect_file (KAFKA_PLUGINS: {})",
        kafka_plugins().display()
    );
    (java, ferry)
}

#[test]
fn the_rest_api_answers_as_kafka_connect_does() {
    use Expect::{Message, PluginConfig, Plugins, Same, Shape, Validate};
    let broker = Broker::shared();
    let java_dir = tempfile::tempdir().unwrap();
    let ferry_dir = tempfile::tempdir().unwrap();
    let (java, ferry) = start_both(&broker, java_dir.path(), ferry_dir.path());
    let run = unique("sbs").replace('-', "");
    let mut t = SideBySide {
        java: Side::new(java, format!("{run}k")),
        ferry: Side::new(ferry, format!("{run}f")),
        failures: Vec::new(),
    };
    for side in t.both() {
        append_lines(
            std::path::Path::new(&side.fill("{in}")),
            &["a".to_string(), "b".to_string(), "c".to_string()],
        );
    }
    let k = |known| Expect::Known(known);
    let json = Body::Json;

    // The worker and its plugins.
    t.get("server info", "/", Same);
    t.get("health", "/health", Same);
    t.get("no connectors", "/connectors", Same);
    t.get("connector plugins", "/connector-plugins", Plugins);
    t.get(
        "all plugins",
        "/connector-plugins?connectorsOnly=false",
        Shape,
    );
    t.get(
        "plugin config by alias",
        "/connector-plugins/FileStreamSource/config",
        PluginConfig,
    );
    t.get(
        "plugin config by class",
        "/connector-plugins/org.apache.kafka.connect.file.FileStreamSinkConnector/config",
        PluginConfig,
    );
    t.get(
        "plugin config, unknown",
        "/connector-plugins/NoSuchConnector/config",
        Same,
    );
    let validate = "/connector-plugins/FileStreamSourceConnector/config/validate";
    t.check(
        "validate, good",
        "PUT",
        validate,
        json(source_config()),
        Validate,
    );
    t.check(
        "validate, bad",
        "PUT",
        validate,
        json(json!({"connector.class": "FileStreamSource", "file": "{in}", "tasks.max": "abc"})),
        Validate,
    );
    t.check(
        "validate sink without topics",
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        json(json!({"connector.class": "FileStreamSink"})),
        Validate,
    );
    t.check(
        "validate, other class",
        "PUT",
        validate,
        json(json!({"connector.class": "FileStreamSink", "topics": "x"})),
        Same,
    );
    t.check(
        "validate, unknown plugin",
        "PUT",
        "/connector-plugins/NoSuch/config/validate",
        json(json!({"connector.class": "NoSuch"})),
        k(Known::UnknownPluginIs400),
    );
    t.check(
        "validate without connector.class",
        "PUT",
        validate,
        json(json!({"topic": "x"})),
        k(Known::ValidateTakesClassFromPath),
    );
    t.check(
        "validate, malformed",
        "PUT",
        validate,
        Body::Raw("{bad"),
        k(Known::MalformedBodyIs400),
    );

    // Creating connectors, and the requests that create nothing.
    let create = |name: &str, config: Json| json!({"name": name, "config": config});
    t.check(
        "create",
        "POST",
        "/connectors",
        json(create("{src}", source_config())),
        Same,
    );
    t.check(
        "create again",
        "POST",
        "/connectors",
        json(create("{src}", source_config())),
        Same,
    );
    t.check(
        "create, malformed",
        "POST",
        "/connectors",
        Body::Raw("{not json"),
        k(Known::MalformedBodyIs400),
    );
    t.check(
        "create without connector.class",
        "POST",
        "/connectors",
        json(create(
            "{nope}",
            json!({"file": "{in}", "topic": "{topic}"}),
        )),
        Same,
    );
    t.check(
        "create, unknown class",
        "POST",
        "/connectors",
        json(create("{nope}", json!({"connector.class": "NoSuchConnector", "topic": "{topic}"}))),
        Message(Msg::Contains(
            "Failed to find any class that implements Connector and which name matches NoSuchConnector, available connectors are: ",
        )),
    );
    t.check(
        "create, tasks.max not a number",
        "POST",
        "/connectors",
        json(create(
            "{nope}",
            with(source_config(), "tasks.max", json!("abc")),
        )),
        Message(Msg::Contains(
            "Invalid value abc for configuration tasks.max: Not a number of type INT",
        )),
    );
    t.check(
        "create, tasks.max 0",
        "POST",
        "/connectors",
        json(create(
            "{nope}",
            with(source_config(), "tasks.max", json!("0")),
        )),
        Message(Msg::UpToEndpoint),
    );
    t.check(
        "create without name",
        "POST",
        "/connectors",
        json(json!({"config": source_config()})),
        Message(Msg::UpToEndpoint),
    );
    t.check(
        "create without config",
        "POST",
        "/connectors",
        json(json!({"name": "{nope}"})),
        k(Known::MissingConfigIs400),
    );
    t.check(
        "create, unknown initial_state",
        "POST",
        "/connectors",
        json(json!({"name": "{nope}", "config": source_config(), "initial_state": "BOGUS"})),
        k(Known::MalformedBodyIs400),
    );
    t.check(
        "put config, creating",
        "PUT",
        "/connectors/{snk}/config",
        json(sink_config()),
        Same,
    );
    t.check(
        "put config, updating",
        "PUT",
        "/connectors/{snk}/config",
        json(sink_config()),
        Same,
    );
    t.check(
        "put config, other name",
        "PUT",
        "/connectors/{snk}/config",
        json(with(sink_config(), "name", json!("other"))),
        Same,
    );
    t.check(
        "put config, invalid",
        "PUT",
        "/connectors/{snk}/config",
        json(with(sink_config(), "tasks.max", json!("-3"))),
        Message(Msg::UpToEndpoint),
    );
    t.check(
        "put config without topics",
        "PUT",
        "/connectors/{nope}/config",
        json(json!({"connector.class": "FileStreamSink"})),
        Message(Msg::Contains(
            "Must configure one of topics or topics.regex",
        )),
    );
    t.check(
        "patch config",
        "PATCH",
        "/connectors/{snk}/config",
        json(json!({"batch.size": "100"})),
        Same,
    );
    t.check(
        "create stopped",
        "POST",
        "/connectors",
        json(json!({"name": "{stp}", "config": source_config(), "initial_state": "STOPPED"})),
        Same,
    );
    t.wait_state("{src}", "RUNNING", &["RUNNING"]);
    t.wait_state("{snk}", "RUNNING", &["RUNNING"]);
    t.wait_offsets("{src}");
    t.wait_offsets("{snk}");

    // Reading them.
    t.get("list", "/connectors", Same);
    t.get("list with status", "/connectors?expand=status", Same);
    t.get("list with info", "/connectors?expand=info", Same);
    t.get(
        "list with both",
        "/connectors?expand=status&expand=info",
        Same,
    );
    t.get("connector", "/connectors/{src}", Same);
    t.get("config", "/connectors/{src}/config", Same);
    t.get("status", "/connectors/{src}/status", Same);
    t.get("tasks", "/connectors/{src}/tasks", Same);
    t.get(
        "tasks-config",
        "/connectors/{src}/tasks-config",
        k(Known::TasksConfigKept),
    );
    t.get("task status", "/connectors/{src}/tasks/0/status", Same);
    t.get(
        "task status, no such task",
        "/connectors/{src}/tasks/7/status",
        Same,
    );
    t.get(
        "task status, not a number",
        "/connectors/{src}/tasks/x/status",
        Same,
    );
    t.get("source topics", "/connectors/{src}/topics", Same);
    t.get("sink topics", "/connectors/{snk}/topics", Same);
    t.get("created stopped, status", "/connectors/{stp}/status", Same);
    t.get("created stopped, tasks", "/connectors/{stp}/tasks", Same);
    t.get(
        "source offsets, running",
        "/connectors/{src}/offsets",
        Shape,
    );
    t.get("sink offsets, running", "/connectors/{snk}/offsets", Shape);

    // Pause, resume, restart, stop; offsets only when STOPPED.
    let position = |p: Json| json!({"offsets": [{"partition": {"filename": "{in}"}, "offset": {"position": p}}]});
    t.check(
        "reset offsets, running",
        "DELETE",
        "/connectors/{src}/offsets",
        Body::None,
        Same,
    );
    t.check(
        "alter offsets, running",
        "PATCH",
        "/connectors/{src}/offsets",
        json(position(json!(2))),
        Same,
    );
    t.check("pause", "PUT", "/connectors/{src}/pause", Body::None, Same);
    t.wait_state("{src}", "PAUSED", &["PAUSED"]);
    t.get("status, paused", "/connectors/{src}/status", Same);
    t.check(
        "reset offsets, paused",
        "DELETE",
        "/connectors/{src}/offsets",
        Body::None,
        Same,
    );
    t.check(
        "restart, paused",
        "POST",
        "/connectors/{src}/restart",
        Body::None,
        Same,
    );
    t.wait_state("{src}", "PAUSED", &["PAUSED"]);
    t.check(
        "resume",
        "PUT",
        "/connectors/{src}/resume",
        Body::None,
        Same,
    );
    t.wait_state("{src}", "RUNNING", &["RUNNING"]);
    t.check(
        "restart",
        "POST",
        "/connectors/{src}/restart",
        Body::None,
        Same,
    );
    t.wait_state("{src}", "RUNNING", &["RUNNING"]);
    t.check(
        "restart with tasks",
        "POST",
        "/connectors/{src}/restart?includeTasks=true",
        Body::None,
        Same,
    );
    t.wait_state("{src}", "RUNNING", &["RUNNING"]);
    t.check(
        "restart failed with tasks",
        "POST",
        "/connectors/{src}/restart?includeTasks=true&onlyFailed=true",
        Body::None,
        Same,
    );
    t.check(
        "restart failed",
        "POST",
        "/connectors/{src}/restart?onlyFailed=true",
        Body::None,
        Same,
    );
    t.check(
        "restart, flag not a boolean",
        "POST",
        "/connectors/{src}/restart?includeTasks=maybe",
        Body::None,
        Same,
    );
    t.wait_state("{src}", "RUNNING", &["RUNNING"]);
    t.check(
        "restart task",
        "POST",
        "/connectors/{src}/tasks/0/restart",
        Body::None,
        Same,
    );
    t.wait_state("{src}", "RUNNING", &["RUNNING"]);
    t.check(
        "reset topics",
        "PUT",
        "/connectors/{src}/topics/reset",
        Body::None,
        Same,
    );
    t.get("topics after reset", "/connectors/{src}/topics", Same);
    t.check("stop", "PUT", "/connectors/{src}/stop", Body::None, Same);
    t.wait_state("{src}", "STOPPED", &[]);
    t.get("status, stopped", "/connectors/{src}/status", Same);
    t.get("connector, stopped", "/connectors/{src}", Same);
    t.get("tasks, stopped", "/connectors/{src}/tasks", Same);
    t.get("source offsets, stopped", "/connectors/{src}/offsets", Same);
    let offsets = "/connectors/{src}/offsets";
    t.check(
        "alter source offsets",
        "PATCH",
        offsets,
        json(position(json!(2))),
        Same,
    );
    t.get("source offsets, altered", offsets, Same);
    t.check(
        "alter, position not a number",
        "PATCH",
        offsets,
        json(position(json!("x"))),
        Same,
    );
    t.check(
        "alter, offset without position",
        "PATCH",
        offsets,
        json(json!({"offsets": [{"partition": {"filename": "{in}"}, "offset": {"pos": 1}}]})),
        Same,
    );
    t.check(
        "alter, partition without filename",
        "PATCH",
        offsets,
        json(json!({"offsets": [{"partition": {"file": "{in}"}, "offset": {"position": 1}}]})),
        Same,
    );
    t.check(
        "alter, negative position",
        "PATCH",
        offsets,
        json(position(json!(-1))),
        Same,
    );
    t.check(
        "alter, no offsets",
        "PATCH",
        offsets,
        json(json!({"offsets": []})),
        Same,
    );
    t.check("alter, empty body", "PATCH", offsets, json(json!({})), Same);
    t.check(
        "alter, malformed",
        "PATCH",
        offsets,
        Body::Raw("{x"),
        k(Known::MalformedBodyIs400),
    );
    t.check("reset source offsets", "DELETE", offsets, Body::None, Same);
    t.get("source offsets, reset", offsets, Same);

    t.check(
        "stop sink",
        "PUT",
        "/connectors/{snk}/stop",
        Body::None,
        Same,
    );
    t.wait_state("{snk}", "STOPPED", &[]);
    let offsets = "/connectors/{snk}/offsets";
    let kafka = |partition: Json, offset: Json| json!({"offsets": [{"partition": {"kafka_topic": "{topic}", "kafka_partition": partition}, "offset": {"kafka_offset": offset}}]});
    t.get("sink offsets, stopped", offsets, Same);
    t.check(
        "alter sink offsets",
        "PATCH",
        offsets,
        json(kafka(json!(0), json!(1))),
        Same,
    );
    t.check(
        "alter sink offsets as text",
        "PATCH",
        offsets,
        json(kafka(json!("0"), json!("2"))),
        Same,
    );
    t.get("sink offsets, altered", offsets, Same);
    t.check(
        "alter sink, no partition key",
        "PATCH",
        offsets,
        json(json!({"offsets": [{"partition": {"kafka_topic": "{topic}"}, "offset": {"kafka_offset": 1}}]})),
        Same,
    );
    t.check(
        "alter sink, offset not a number",
        "PATCH",
        offsets,
        json(kafka(json!(0), json!("abc"))),
        Same,
    );
    t.check("reset sink offsets", "DELETE", offsets, Body::None, Same);
    t.get("sink offsets, reset", offsets, Same);

    t.check(
        "resume stopped",
        "PUT",
        "/connectors/{src}/resume",
        Body::None,
        Same,
    );
    t.wait_state("{src}", "RUNNING", &["RUNNING"]);
    t.get("status, resumed", "/connectors/{src}/status", Same);
    t.check(
        "create paused",
        "POST",
        "/connectors",
        json(json!({
            "name": "{psd}",
            "config": with(sink_config(), "file", json!("{out}-paused")),
            "initial_state": "PAUSED",
        })),
        Same,
    );
    t.wait_state("{psd}", "PAUSED", &[]);
    t.get("created paused, status", "/connectors/{psd}/status", Same);
    t.check(
        "resume created paused",
        "PUT",
        "/connectors/{psd}/resume",
        Body::None,
        Same,
    );
    t.wait_state("{psd}", "RUNNING", &["RUNNING"]);
    t.get("created paused, resumed", "/connectors/{psd}", Same);
    t.check(
        "restart a stopped connector",
        "POST",
        "/connectors/{stp}/restart?includeTasks=true",
        Body::None,
        k(Known::StoppedConnectorNotRestarted),
    );

    // Log levels.
    let logger = "/admin/loggers/org.apache.kafka.connect.file";
    t.get("loggers", "/admin/loggers", k(Known::LoggerNames));
    t.get("root logger", "/admin/loggers/root", Same);
    t.get("unknown logger", "/admin/loggers/no.such.logger", Same);
    t.check(
        "set a level",
        "PUT",
        logger,
        json(json!({"level": "DEBUG"})),
        k(Known::LoggerNames),
    );
    t.get("logger after set", logger, Same);
    t.check(
        "set, unknown level",
        "PUT",
        logger,
        json(json!({"level": "NOPE"})),
        Same,
    );
    t.check("set, no level", "PUT", logger, json(json!({})), Same);
    t.check(
        "set for the cluster",
        "PUT",
        &format!("{logger}?scope=cluster"),
        json(json!({"level": "INFO"})),
        Same,
    );
    t.check(
        "set back",
        "PUT",
        logger,
        json(json!({"level": "INFO"})),
        k(Known::LoggerNames),
    );

    // An unknown connector, and other errors.
    for (what, path) in [
        ("unknown connector", "/connectors/{nope}"),
        ("unknown config", "/connectors/{nope}/config"),
        ("unknown status", "/connectors/{nope}/status"),
        ("unknown tasks", "/connectors/{nope}/tasks"),
        ("unknown topics", "/connectors/{nope}/topics"),
        ("unknown offsets", "/connectors/{nope}/offsets"),
    ] {
        t.get(what, path, Same);
    }
    t.get(
        "unknown tasks-config",
        "/connectors/{nope}/tasks-config",
        k(Known::TasksConfigKept),
    );
    t.check(
        "pause unknown",
        "PUT",
        "/connectors/{nope}/pause",
        Body::None,
        Same,
    );
    t.check(
        "resume unknown",
        "PUT",
        "/connectors/{nope}/resume",
        Body::None,
        Same,
    );
    t.check(
        "stop unknown",
        "PUT",
        "/connectors/{nope}/stop",
        Body::None,
        k(Known::UnknownConnectorIs404),
    );
    t.check(
        "restart unknown",
        "POST",
        "/connectors/{nope}/restart",
        Body::None,
        k(Known::UnknownConnectorIs404),
    );
    t.check(
        "restart task of unknown",
        "POST",
        "/connectors/{nope}/tasks/0/restart",
        Body::None,
        k(Known::UnknownConnectorIs404),
    );
    t.check(
        "delete unknown",
        "DELETE",
        "/connectors/{nope}",
        Body::None,
        Same,
    );
    t.check(
        "reset topics of unknown",
        "PUT",
        "/connectors/{nope}/topics/reset",
        Body::None,
        Same,
    );
    t.check(
        "reset offsets of unknown",
        "DELETE",
        "/connectors/{nope}/offsets",
        Body::None,
        Same,
    );
    t.check(
        "patch unknown",
        "PATCH",
        "/connectors/{nope}/config",
        json(json!({"a": "b"})),
        Same,
    );
    t.check("fence", "PUT", "/connectors/{src}/fence", Body::None, Same);
    t.check(
        "method not allowed",
        "DELETE",
        "/connectors",
        Body::None,
        Same,
    );
    t.get("no such path", "/no/such/path", Same);

    // Last: Kafka's standalone worker answers 404 here but keeps a FAILED task 7 in the status.
    t.check(
        "restart, no such task",
        "POST",
        "/connectors/{src}/tasks/7/restart",
        Body::None,
        Same,
    );
    for name in ["{src}", "{snk}", "{stp}", "{psd}"] {
        t.check(
            "delete",
            "DELETE",
            &format!("/connectors/{name}"),
            Body::None,
            Same,
        );
    }
    t.get("deleted", "/connectors/{src}", Same);
    t.get("none left", "/connectors", Same);

    assert!(
        t.failures.is_empty(),
        "{} answers differ from Kafka Connect 4.4.0's:\n\n{}",
        t.failures.len(),
        t.failures.join("\n\n")
    );
}

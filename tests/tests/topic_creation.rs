//! Topics a source creates (KIP-158): `topic.creation.default.*` and a group with its own
//! partitions and topic config, checked with an independent admin client.

use std::time::Duration;

use ferry_e2e::*;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use serde_json::json;

fn partitions_of(broker: &Broker, topic: &str) -> usize {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &broker.address)
        .create()
        .expect("client");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .map_or(0, |t| t.partitions().len())
}

fn config_of(broker: &Broker, topic: &str, key: &str) -> Option<String> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &broker.address)
        .create()
        .expect("admin");
    let resource = ResourceSpecifier::Topic(topic);
    let described = block_on(admin.describe_configs([&resource], &AdminOptions::new()));
    described
        .ok()?
        .into_iter()
        .next()?
        .ok()?
        .get(key)
        .and_then(|e| e.value.clone())
}

#[test]
fn a_source_creates_its_topics_by_its_groups() {
    let broker = Broker::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let ferry = Ferry::standalone_on(&broker, dir.path());
    let input = dir.path().join("in.txt");
    append_lines(&input, &["one".to_string(), "two".to_string()]);
    let kept = unique("kept-made");
    let plain = unique("plain-made");
    for (name, topic) in [("to-kept", &kept), ("to-plain", &plain)] {
        let config = json!({
            "connector.class": "FileStreamSource",
            "file": input.display().to_string(),
            "topic": topic,
            "topic.creation.groups": "kept",
            "topic.creation.default.replication.factor": "1",
            "topic.creation.default.partitions": "3",
            "topic.creation.kept.include": "kept-.*",
            "topic.creation.kept.partitions": "2",
            "topic.creation.kept.retention.ms": "123456789",
        });
        let (code, body) = ferry.call("PUT", &format!("/connectors/{name}/config"), Some(config));
        assert_eq!(code, 201, "{body}");
    }
    for topic in [&kept, &plain] {
        let got = broker.consume(topic, 2, Duration::from_secs(60));
        assert_eq!(got.len(), 2, "{topic}: {}", ferry.output());
    }
    assert_eq!(partitions_of(&broker, &kept), 2, "the group's partitions");
    assert_eq!(
        config_of(&broker, &kept, "retention.ms").as_deref(),
        Some("123456789"),
        "the group's topic config"
    );
    assert_eq!(
        partitions_of(&broker, &plain),
        3,
        "the default's partitions"
    );
    assert_eq!(
        config_of(&broker, &plain, "retention.ms").as_deref(),
        Some("604800000"),
        "the broker's default config"
    );
}

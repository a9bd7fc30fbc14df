//! The sink task's consumer: what it subscribes to and how it is configured.

use std::collections::BTreeMap;

use ferry_api::{ConnectError, Props};

use crate::config::client_overrides;
use crate::config::connector::{TOPICS, TOPICS_REGEX};
use crate::config::worker::WorkerConfig;

/// What the consumer subscribes to: a list of topics or a pattern.
pub(super) enum Subscription {
    Topics(Vec<String>),
    Pattern(String),
}

impl Subscription {
    pub(super) fn from_config(props: &Props) -> Result<Subscription, ConnectError> {
        let regex = props
            .get(TOPICS_REGEX)
            .map(|r| r.trim())
            .filter(|r| !r.is_empty());
        if let Some(pattern) = regex {
            regex::Regex::new(pattern).map_err(|e| {
                ConnectError::Config(format!(
                    "topics.regex '{pattern}' is not a valid regular expression: {e}"
                ))
            })?;
            // librdkafka treats a subscription starting with '^' as a pattern; Kafka matches whole names.
            return Ok(Subscription::Pattern(format!("^({pattern})$")));
        }
        let topics = props
            .get(TOPICS)
            .map(|t| ferry_api::config::split_list(t))
            .unwrap_or_default();
        if topics.is_empty() {
            return Err(ConnectError::Config(
                "Must configure one of topics or topics.regex".into(),
            ));
        }
        Ok(Subscription::Topics(topics))
    }
}

pub(super) fn consumer_props(
    worker: &WorkerConfig,
    connector: &str,
    connector_props: &Props,
    task: u32,
) -> BTreeMap<String, String> {
    let mut props = BTreeMap::from([
        ("group.id".to_string(), format!("connect-{connector}")),
        ("enable.auto.commit".to_string(), "false".to_string()),
        ("auto.offset.reset".to_string(), "earliest".to_string()),
        (
            "client.id".to_string(),
            format!("connector-consumer-{connector}-{task}"),
        ),
        // librdkafka prefetches until 100,000 records wait locally, then holds fetching for a
        // second (`fetch.queue.backoff.ms`): a sink that is busier than a bare consumer sat
        // idle for most of that second. Fetch again as soon as there is room, and keep fewer
        // records waiting (a sink hands them on in batches anyway): 4x the throughput at half
        // the memory on a one-partition backlog. `consumer.*` keys still override both.
        ("fetch.queue.backoff.ms".to_string(), "10".to_string()),
        ("queued.min.messages".to_string(), "20000".to_string()),
    ]);
    props.extend(worker.client_props("consumer."));
    props.extend(client_overrides::overrides(connector_props, "consumer"));
    props
}

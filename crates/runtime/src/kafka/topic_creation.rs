//! How a source's new topics are created (KIP-158): `topic.creation.default.*` and the groups of
//! `topic.creation.groups`, each with `include`/`exclude` patterns, `replication.factor`,
//! `partitions` and any other key as a topic config.

use std::collections::BTreeMap;

use ferry_api::config::split_list;
use ferry_api::Props;
use regex::Regex;

const PREFIX: &str = "topic.creation.";
const GROUPS: &str = "topic.creation.groups";
const DEFAULT: &str = "default";

/// How to create one topic: `-1` asks the broker for its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopicSpec {
    pub partitions: i32,
    pub replication: i32,
    pub configs: BTreeMap<String, String>,
}

impl NewTopicSpec {
    /// The broker's defaults, as `auto.create.topics.enable` would create.
    pub fn broker_defaults() -> NewTopicSpec {
        NewTopicSpec {
            partitions: -1,
            replication: -1,
            configs: BTreeMap::new(),
        }
    }
}

/// One group: which topics it takes and how they are made.
#[derive(Debug, Clone)]
struct Group {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    spec: NewTopicSpec,
}

/// A connector's topic creation rules.
#[derive(Debug, Clone, Default)]
pub struct TopicCreation {
    /// The groups in the order `topic.creation.groups` names them, then `default`; empty when
    /// the connector does not ask for topic creation (no `topic.creation.default.*`).
    groups: Vec<Group>,
}

impl TopicCreation {
    /// The rules of a source connector configuration. As in Kafka, they apply only when the
    /// worker allows topic creation (`topic.creation.enable`, default true) and the connector
    /// sets `topic.creation.default.replication.factor` and `.partitions`.
    pub fn from_config(worker_enabled: bool, props: &Props) -> Result<TopicCreation, String> {
        let default_keys = ["replication.factor", "partitions"]
            .map(|k| props.contains_key(&format!("{PREFIX}{DEFAULT}.{k}")));
        if !worker_enabled || !default_keys.iter().all(|set| *set) {
            return Ok(TopicCreation::default());
        }
        let names = props.get(GROUPS).map(|g| split_list(g)).unwrap_or_default();
        let default = group(props, DEFAULT, None)?;
        let mut groups = Vec::new();
        for name in names.iter().filter(|n| *n != DEFAULT) {
            groups.push(group(props, name, Some(&default.spec))?);
        }
        groups.push(default);
        Ok(TopicCreation { groups })
    }

    /// How to create `topic`: the first group that includes and does not exclude it, else the
    /// default group; the broker's defaults when the connector set no rules.
    pub fn spec_for(&self, topic: &str) -> NewTopicSpec {
        let matches = |patterns: &[Regex]| patterns.iter().any(|p| p.is_match(topic));
        self.groups
            .iter()
            .find(|g| matches(&g.include) && !matches(&g.exclude))
            .or_else(|| self.groups.last())
            .map(|g| g.spec.clone())
            .unwrap_or_else(NewTopicSpec::broker_defaults)
    }
}

/// One group's rules from `topic.creation.NAME.*`; a group other than `default` takes the
/// default's partitions and replication factor where it sets none.
fn group(props: &Props, name: &str, default: Option<&NewTopicSpec>) -> Result<Group, String> {
    let prefix = format!("{PREFIX}{name}.");
    let own: BTreeMap<&str, &String> = props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k, v)))
        .collect();
    let number = |key: &str, fallback: i32| -> Result<i32, String> {
        match own.get(key) {
            Some(v) => {
                let n: i32 = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{prefix}{key}: {v} is not a number"))?;
                if n == 0 || n < -1 {
                    return Err(format!(
                        "{prefix}{key}: {n} is neither a positive number nor -1 (the broker's default)"
                    ));
                }
                Ok(n)
            }
            None => Ok(fallback),
        }
    };
    let patterns = |key: &str| -> Result<Vec<Regex>, String> {
        own.get(key)
            .map(|v| {
                split_list(v)
                    .into_iter()
                    .map(|p| {
                        Regex::new(&format!("^(?:{p})$"))
                            .map_err(|e| format!("{prefix}{key}: {p} is not a valid pattern: {e}"))
                    })
                    .collect()
            })
            .unwrap_or_else(|| Ok(Vec::new()))
    };
    let spec = NewTopicSpec {
        partitions: number("partitions", default.map_or(-1, |d| d.partitions))?,
        replication: number("replication.factor", default.map_or(-1, |d| d.replication))?,
        configs: own
            .iter()
            .filter(|(k, _)| {
                !["include", "exclude", "partitions", "replication.factor"].contains(*k)
            })
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    Ok(Group {
        include: patterns("include")?,
        exclude: patterns("exclude")?,
        spec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use ferry_api::config::props_of as props;

    #[test]
    fn groups_take_their_topics_in_order_and_the_default_takes_the_rest() {
        let rules = TopicCreation::from_config(
            true,
            &props(&[
                ("topic.creation.groups", "compacted,orders"),
                ("topic.creation.default.replication.factor", "1"),
                ("topic.creation.default.partitions", "3"),
                ("topic.creation.compacted.include", "status-.*,.*-state"),
                ("topic.creation.compacted.exclude", "status-old"),
                ("topic.creation.compacted.cleanup.policy", "compact"),
                ("topic.creation.orders.include", "orders.*"),
                ("topic.creation.orders.partitions", "12"),
                ("topic.creation.orders.compression.type", "lz4"),
            ]),
        )
        .expect("rules");
        let compacted = rules.spec_for("status-now");
        assert_eq!((compacted.partitions, compacted.replication), (3, 1));
        assert_eq!(compacted.configs["cleanup.policy"], "compact");
        let orders = rules.spec_for("orders-eu");
        assert_eq!((orders.partitions, orders.replication), (12, 1));
        assert_eq!(orders.configs["compression.type"], "lz4");
        let default = rules.spec_for("status-old");
        assert_eq!((default.partitions, default.replication), (3, 1));
        assert!(default.configs.is_empty());
    }

    #[test]
    fn without_default_rules_or_when_the_worker_disables_it_the_broker_decides() {
        let only_partitions = props(&[("topic.creation.default.partitions", "3")]);
        let rules = TopicCreation::from_config(true, &only_partitions).expect("rules");
        assert_eq!(rules.spec_for("t"), NewTopicSpec::broker_defaults());
        let full = props(&[
            ("topic.creation.default.partitions", "3"),
            ("topic.creation.default.replication.factor", "1"),
        ]);
        let disabled = TopicCreation::from_config(false, &full).expect("rules");
        assert_eq!(disabled.spec_for("t"), NewTopicSpec::broker_defaults());
    }

    #[test]
    fn bad_numbers_and_patterns_name_their_key() {
        let e = TopicCreation::from_config(
            true,
            &props(&[
                ("topic.creation.default.partitions", "0"),
                ("topic.creation.default.replication.factor", "1"),
            ]),
        )
        .expect_err("zero partitions");
        assert!(e.contains("topic.creation.default.partitions"), "{e}");
        let e = TopicCreation::from_config(
            true,
            &props(&[
                ("topic.creation.groups", "g"),
                ("topic.creation.default.partitions", "1"),
                ("topic.creation.default.replication.factor", "1"),
                ("topic.creation.g.include", "(unclosed"),
            ]),
        )
        .expect_err("bad pattern");
        assert!(e.contains("topic.creation.g.include"), "{e}");
    }
}

//! The keys every connector has (`name`, `connector.class`, `tasks.max`, converters, ...), and the
//! check that a connector configuration can be run before anything is created.

use ferry_api::config::validators;
use ferry_api::{
    ConfigDef, ConfigType, ConnectorKind, ConnectorPlugin, Converter, HeaderConverter, Importance,
    ParsedConfig, Props,
};

use crate::config::worker::{WorkerConfig, HEADER_CONVERTER, KEY_CONVERTER, VALUE_CONVERTER};
use crate::plugins::{self, Plugins};

pub const NAME: &str = "name";
pub const CONNECTOR_CLASS: &str = "connector.class";
/// Which version of the connector's plugin runs (KIP-891).
pub const CONNECTOR_PLUGIN_VERSION: &str = "connector.plugin.version";
pub const TASKS_MAX: &str = "tasks.max";
pub const TOPICS: &str = "topics";
pub const TOPICS_REGEX: &str = "topics.regex";
pub const TRANSFORMS: &str = "transforms";

/// Kafka's words for a configuration without `connector.class`.
pub const NO_CONNECTOR_TYPE: &str = "Connector config contains no connector type";

/// The keys common to all connectors of a kind.
pub fn common_def(kind: ConnectorKind) -> ConfigDef {
    let def = ConfigDef::new()
        .required(
            NAME,
            ConfigType::String,
            Importance::High,
            "Globally unique name to use for this connector.",
        )
        .validate_with(validators::non_empty_string())
        .in_group("Common", "Connector name")
        .required(
            CONNECTOR_CLASS,
            ConfigType::String,
            Importance::High,
            "Name or alias of the class for this connector.",
        )
        .in_group("Common", "Connector class")
        .optional(
            CONNECTOR_PLUGIN_VERSION,
            ConfigType::String,
            None,
            Importance::Medium,
            "Version of the connector plugin to run when several answer to its class (a Java \
             plugin in plugin.path beside a connector built into ferry, say): a version, or a \
             Maven range such as [4.4.0]. Unset runs the built-in connector when there is one, \
             else the latest version.",
        )
        .in_group("Common", "Connector version")
        .optional(
            TASKS_MAX,
            ConfigType::Int,
            Some("1"),
            Importance::High,
            "Maximum number of tasks to use for this connector.",
        )
        .validate_with(validators::at_least(1))
        .in_group("Common", "Tasks max")
        .optional(
            KEY_CONVERTER,
            ConfigType::Class,
            None,
            Importance::Low,
            "Converter class for record keys; overrides the worker's.",
        )
        .in_group("Common", "Key converter class")
        .optional(
            VALUE_CONVERTER,
            ConfigType::Class,
            None,
            Importance::Low,
            "Converter class for record values; overrides the worker's.",
        )
        .in_group("Common", "Value converter class")
        .optional(
            HEADER_CONVERTER,
            ConfigType::Class,
            None,
            Importance::Low,
            "HeaderConverter class for record headers; overrides the worker's.",
        )
        .in_group("Common", "Header converter class")
        .optional(
            TRANSFORMS,
            ConfigType::List,
            Some(""),
            Importance::Low,
            "Aliases for the transformations to be applied to records.",
        )
        .in_group("Transforms", "Transforms")
        .optional(
            "predicates",
            ConfigType::List,
            Some(""),
            Importance::Low,
            "Aliases for the predicates used by transformations.",
        )
        .in_group("Predicates", "Predicates")
        .optional(
            "config.action.reload",
            ConfigType::String,
            Some("restart"),
            Importance::Low,
            "What to do when configuration from a provider changes: none or restart.",
        )
        .validate_with(validators::one_of(&["none", "restart"]))
        .in_group("Common", "Reload Action")
        .optional(
            "errors.retry.timeout",
            ConfigType::Long,
            Some("0"),
            Importance::Medium,
            "Maximum duration in milliseconds that a failed operation will be reattempted.",
        )
        .in_group("Error Handling", "Retry Timeout for Errors")
        .optional(
            "errors.retry.delay.max.ms",
            ConfigType::Long,
            Some("60000"),
            Importance::Medium,
            "Maximum duration in milliseconds between consecutive retry attempts.",
        )
        .in_group("Error Handling", "Maximum Delay Between Retries for Errors")
        .optional(
            "errors.tolerance",
            ConfigType::String,
            Some("none"),
            Importance::Medium,
            "Behavior for tolerating errors: none fails the task, all skips problematic records.",
        )
        .validate_with(validators::one_of(&["none", "all"]))
        .in_group("Error Handling", "Error Tolerance")
        .optional(
            "errors.log.enable",
            ConfigType::Boolean,
            Some("false"),
            Importance::Medium,
            "Log the details of each error and failed operation.",
        )
        .in_group("Error Handling", "Log Errors")
        .optional(
            "errors.log.include.messages",
            ConfigType::Boolean,
            Some("false"),
            Importance::Medium,
            "Include the record that caused a failure in the log.",
        )
        .in_group("Error Handling", "Log Error Details");
    match kind {
        ConnectorKind::Sink => def
            .optional(
                TOPICS,
                ConfigType::List,
                Some(""),
                Importance::High,
                "List of topics to consume, separated by commas.",
            )
            .in_group("Common", "Topics")
            .optional(
                TOPICS_REGEX,
                ConfigType::String,
                Some(""),
                Importance::High,
                "Regular expression giving topics to consume.",
            )
            .in_group("Common", "Topics regex")
            .optional(
                "errors.deadletterqueue.topic.name",
                ConfigType::String,
                Some(""),
                Importance::Medium,
                "The name of the topic to be used as the dead letter queue.",
            )
            .in_group("Error Handling", "Dead Letter Queue Topic Name")
            .optional(
                "errors.deadletterqueue.topic.replication.factor",
                ConfigType::Short,
                Some("3"),
                Importance::Medium,
                "Replication factor used to create the dead letter queue topic when it doesn't already exist.",
            )
            .in_group("Error Handling", "Dead Letter Queue Topic Replication Factor")
            .optional(
                "errors.deadletterqueue.context.headers.enable",
                ConfigType::Boolean,
                Some("false"),
                Importance::Medium,
                "If true, add headers containing error context to the messages written to the dead letter queue.",
            )
            .in_group("Error Handling", "Enable Error Context Headers"),
        ConnectorKind::Source => def
            .optional(
                "topic.creation.groups",
                ConfigType::List,
                Some(""),
                Importance::Low,
                "Groups of configurations for topics created by source connectors.",
            )
            .in_group("Topic Creation", "Topic Creation Groups"),
    }
}

/// A connector configuration that passed every check.
pub struct ValidConnectorConfig {
    pub plugin: ConnectorPlugin,
    pub parsed: ParsedConfig,
}

impl ValidConnectorConfig {
    pub fn name(&self) -> &str {
        self.parsed.string(NAME).unwrap_or_default()
    }

    pub fn tasks_max(&self) -> usize {
        self.parsed.int(TASKS_MAX).unwrap_or(1).max(1) as usize
    }
}

/// Checks a connector configuration; returns every problem found, in words a user can act on.
pub fn validate(plugins: &Plugins, props: &Props) -> Result<ValidConnectorConfig, Vec<String>> {
    if !props.contains_key(CONNECTOR_CLASS) {
        return Err(vec![NO_CONNECTOR_TYPE.to_string()]);
    }
    let Some(plugin) = plugins.connector_of(props).cloned() else {
        return Err(vec![plugins.unknown_connector_of(props)]);
    };
    let def = common_def(plugin.kind).merge(&(plugin.create)().config_def());
    let mut problems: Vec<String> = match def.parse(props) {
        Ok(parsed) => {
            let mut problems = extra_checks(&plugin, &parsed);
            if problems.is_empty() {
                problems.extend(
                    (plugin.create)()
                        .check_config(props)
                        .into_iter()
                        .map(|p| p.message),
                );
            }
            if problems.is_empty() {
                return Ok(ValidConnectorConfig { plugin, parsed });
            }
            problems
        }
        Err(problems) => problems.into_iter().map(|p| p.message).collect(),
    };
    problems.dedup();
    Err(problems)
}

/// `validate`, and the worker's `connector.client.config.override.policy` applied to the
/// connector's client overrides (KIP-458): what a create or update is checked against.
pub fn validate_on(
    worker: &WorkerConfig,
    plugins: &Plugins,
    props: &Props,
) -> Result<ValidConnectorConfig, Vec<String>> {
    let refused = worker.override_policy().refusals(props);
    match validate(plugins, props) {
        Ok(valid) if refused.is_empty() => Ok(valid),
        Ok(_) => Err(refused),
        Err(mut problems) => {
            problems.extend(refused);
            Err(problems)
        }
    }
}

/// The problems of the transforms and predicates a configuration asks for (unknown classes,
/// invalid keys, a predicate that is not declared), each naming its key.
pub fn transform_problems(props: &Props) -> Vec<ferry_api::config::ConfigProblem> {
    ferry_transforms::TransformChain::validate(props)
}

/// A sink names its topics exactly one way: a list or a pattern.
pub fn topics_problem(has_topics: bool, has_regex: bool) -> Option<&'static str> {
    match (has_topics, has_regex) {
        (false, false) => Some("Must configure one of topics or topics.regex"),
        (true, true) => {
            Some("topics and topics.regex are mutually exclusive options, but both are set.")
        }
        _ => None,
    }
}

fn extra_checks(plugin: &ConnectorPlugin, parsed: &ParsedConfig) -> Vec<String> {
    // A Java connector's transforms are Java classes, checked by the plugin host.
    let mut problems: Vec<String> = if plugin.runs_in_java {
        Vec::new()
    } else {
        transform_problems(parsed.originals())
            .into_iter()
            .map(|p| p.message)
            .collect()
    };
    if plugin.kind == ConnectorKind::Sink {
        let topics = !parsed.list(TOPICS).is_empty();
        let regex = parsed.string(TOPICS_REGEX).is_some_and(|r| !r.is_empty());
        problems.extend(topics_problem(topics, regex).map(str::to_string));
    }
    problems
}

/// The transform chain of a task, from its connector's configuration.
pub fn transform_chain(
    connector: &Props,
) -> Result<ferry_transforms::TransformChain, ferry_api::ConnectError> {
    ferry_transforms::TransformChain::from_config(connector).map_err(|problems| {
        ferry_api::ConnectError::Config(
            problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The converters of one task: the connector's own choice where it names one, else the worker's.
pub struct TaskConverters {
    pub key: Box<dyn Converter>,
    pub value: Box<dyn Converter>,
    pub header: Box<dyn HeaderConverter>,
    /// The configured classes, to name the one that failed.
    pub key_class: String,
    pub value_class: String,
    pub header_class: String,
}

impl TaskConverters {
    pub fn new(
        worker: &WorkerConfig,
        connector: &Props,
    ) -> Result<TaskConverters, ferry_api::ConnectError> {
        let source = |key: &str| -> (String, Props) {
            let from = if connector.contains_key(key) {
                connector
            } else {
                worker.originals()
            };
            let class = from.get(key).cloned().unwrap_or_else(|| {
                "org.apache.kafka.connect.storage.SimpleHeaderConverter".to_string()
            });
            let prefix = format!("{key}.");
            let props = from
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone())))
                .collect();
            (class, props)
        };
        let (key_class, key_props) = source(KEY_CONVERTER);
        let (value_class, value_props) = source(VALUE_CONVERTER);
        let (header_class, header_props) = source(HEADER_CONVERTER);
        Ok(TaskConverters {
            key: plugins::converter(&key_class, &key_props, true)?,
            value: plugins::converter(&value_class, &value_props, false)?,
            header: plugins::header_converter(&header_class, &header_props)?,
            key_class,
            value_class,
            header_class,
        })
    }

    /// Bytes in, bytes out: for Java tasks, whose plugin host runs the configured converters.
    pub fn bytes() -> Result<TaskConverters, ferry_api::ConnectError> {
        let class = "org.apache.kafka.connect.converters.ByteArrayConverter";
        let props = Props::new();
        Ok(TaskConverters {
            key: plugins::converter(class, &props, true)?,
            value: plugins::converter(class, &props, false)?,
            header: plugins::header_converter(class, &props)?,
            key_class: class.to_string(),
            value_class: class.to_string(),
            header_class: class.to_string(),
        })
    }
}

/// Keys of a connector configuration that ferry accepts but does not act on yet, each with why:
/// said as a warning whenever the connector starts, never silently dropped.
pub fn accepted_but_ignored(kind: ConnectorKind, props: &Props) -> Vec<String> {
    let mut ignored = Vec::new();
    let set = |key: &str| props.get(key).is_some_and(|v| !v.trim().is_empty());
    if kind == ConnectorKind::Source && set("errors.deadletterqueue.topic.name") {
        ignored.push(
            "errors.deadletterqueue.topic.name: a dead letter queue is for sinks (Kafka ignores it on a source too)".to_string(),
        );
    }
    // Debezium removed these in 3.2; 3.6 ignores them, which changes what a config written for
    // an older Debezium does.
    let transforms = props
        .get(TRANSFORMS)
        .map(|t| ferry_api::config::split_list(t))
        .unwrap_or_default();
    for alias in transforms {
        let is_unwrap = props
            .get(&format!("transforms.{alias}.type"))
            .is_some_and(|t| t.trim().ends_with("ExtractNewRecordState"));
        for (old, now) in [
            ("drop.tombstones", "delete.tombstone.handling.mode"),
            ("delete.handling.mode", "delete.tombstone.handling.mode"),
        ] {
            let key = format!("transforms.{alias}.{old}");
            if is_unwrap && props.contains_key(&key) {
                ignored.push(format!(
                    "{key}: removed in Debezium 3.2 and ignored, as Debezium 3.6 ignores it; use transforms.{alias}.{now}"
                ));
            }
        }
    }
    let creation_keys = props.keys().any(|k| k.starts_with("topic.creation."));
    let creation_on = ["partitions", "replication.factor"]
        .iter()
        .all(|k| props.contains_key(&format!("topic.creation.default.{k}")));
    if kind == ConnectorKind::Source && creation_keys && !creation_on {
        ignored.push(
            "topic.creation.*: without both topic.creation.default.replication.factor and topic.creation.default.partitions, new topics get the broker's defaults (as in Kafka, the groups apply only with both set)".to_string(),
        );
    }
    ignored
}

#[cfg(test)]
mod tests {
    use super::*;

    use ferry_api::config::props_of as props;

    #[test]
    fn keys_debezium_removed_are_warned_about() {
        let config = props(&[
            ("transforms", "unwrap,route"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            ("transforms.unwrap.drop.tombstones", "false"),
            (
                "transforms.unwrap.delete.tombstone.handling.mode",
                "rewrite",
            ),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.drop.tombstones", "x"),
        ]);
        let warnings = accepted_but_ignored(ConnectorKind::Sink, &config);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("transforms.unwrap.drop.tombstones: removed in Debezium 3.2")
        );
    }

    #[test]
    fn retries_are_no_longer_warned_about() {
        let config = props(&[("errors.retry.timeout", "30000")]);
        assert!(accepted_but_ignored(ConnectorKind::Sink, &config).is_empty());
    }
}

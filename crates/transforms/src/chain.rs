//! A connector's chain of transforms, each with its optional predicate, built from the
//! connector configuration as Kafka's `ConnectorConfig.transformationStages` reads it:
//! `transforms=a,b`, `transforms.a.type=CLASS`, `transforms.a.KEY=...`,
//! `transforms.a.predicate=p`, `transforms.a.negate=true`, `predicates=p`,
//! `predicates.p.type=CLASS`, `predicates.p.KEY=...`.

use ferry_api::config::ConfigProblem;
use ferry_api::{ConnectError, ConnectRecord, Predicate, Props, Result, Transformation};

/// One transform of the chain.
struct Stage {
    alias: String,
    /// The transform's class, to name it when it fails.
    class: &'static str,
    transform: Box<dyn Transformation>,
    /// The index of its predicate in the chain's predicates, and whether it is negated.
    predicate: Option<(usize, bool)>,
}

/// The transforms a connector configuration asks for, in order, ready to run.
#[derive(Default)]
pub struct TransformChain {
    stages: Vec<Stage>,
    predicates: Vec<Box<dyn Predicate>>,
}

fn list(props: &Props, key: &str) -> Vec<String> {
    props
        .get(key)
        .map(|v| ferry_api::config::split_list(v))
        .unwrap_or_default()
}

fn problem(key: String, message: String) -> ConfigProblem {
    ConfigProblem { key, message }
}

/// A plugin's configuration error, with its keys named as the connector config writes them.
fn configure_problem(
    prefix: &str,
    type_key: &str,
    e: &ConnectError,
    keys: &[String],
) -> ConfigProblem {
    let mut message = match e {
        ConnectError::Config(m) => m.clone(),
        other => other.to_string(),
    };
    let mut key = type_key.to_string();
    for k in keys {
        let full = format!("{prefix}{k}");
        let named = [
            format!("configuration {k}:"),
            format!("configuration \"{k}\""),
        ];
        if named.iter().any(|n| message.contains(n.as_str())) {
            message = message
                .replace(&named[0], &format!("configuration {full}:"))
                .replace(&named[1], &format!("configuration \"{full}\""));
            if key == type_key {
                key = full;
            }
        }
    }
    problem(key, message)
}

impl TransformChain {
    /// An empty chain: every record passes unchanged.
    pub fn empty() -> Self {
        TransformChain::default()
    }

    /// Builds and configures the chain; every problem is reported with the key it concerns.
    pub fn from_config(props: &Props) -> std::result::Result<Self, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let mut chain = TransformChain::default();

        let predicate_aliases = list(props, "predicates");
        for alias in &predicate_aliases {
            let prefix = format!("predicates.{alias}.");
            let type_key = format!("{prefix}type");
            let Some(class) = props.get(&type_key).map(|s| s.trim().to_string()) else {
                problems.push(problem(
                    type_key.clone(),
                    format!(
                        "Missing required configuration \"{type_key}\" which has no default value."
                    ),
                ));
                chain.predicates.push(Box::new(Never));
                continue;
            };
            let Some(plugin) = crate::find_predicate(&class) else {
                problems.push(problem(
                    type_key.clone(),
                    format!("Invalid value {class} for configuration {type_key}: Class {class} could not be found."),
                ));
                chain.predicates.push(Box::new(Never));
                continue;
            };
            let mut p = (plugin.create)();
            let own = ferry_api::config::with_prefix(props, &prefix);
            if let Err(e) = p.configure(&own) {
                let keys: Vec<String> = (plugin.config_def)()
                    .keys()
                    .iter()
                    .map(|k| k.name.clone())
                    .collect();
                problems.push(configure_problem(&prefix, &type_key, &e, &keys));
            }
            chain.predicates.push(p);
        }

        for alias in list(props, "transforms") {
            let prefix = format!("transforms.{alias}.");
            let type_key = format!("{prefix}type");
            let predicate_key = format!("{prefix}predicate");
            let negate_key = format!("{prefix}negate");
            if props.contains_key(&negate_key) && !props.contains_key(&predicate_key) {
                // Kafka reports it on the type key.
                problems.push(problem(
                    type_key.clone(),
                    format!("Config '{negate_key}' was provided but there is no config '{predicate_key}' defining a predicate to be negated."),
                ));
            }
            let predicate = match props.get(&predicate_key).map(|s| s.trim()) {
                None | Some("") => None,
                Some(name) => match predicate_aliases.iter().position(|a| a == name) {
                    Some(i) => {
                        let negate = match props
                            .get(&negate_key)
                            .map(|s| s.trim().to_ascii_lowercase())
                        {
                            None => false,
                            Some(v) if v == "true" => true,
                            Some(v) if v == "false" => false,
                            Some(v) => {
                                problems.push(problem(
                                    negate_key.clone(),
                                    format!("Invalid value {v} for configuration {negate_key}: Expected value to be either true or false"),
                                ));
                                false
                            }
                        };
                        Some((i, negate))
                    }
                    None => {
                        let key = format!("{prefix}predicate");
                        problems.push(problem(
                            key.clone(),
                            format!("Invalid value {name} for configuration {key}: Predicate '{name}' is not one of the configured predicates (predicates={})", predicate_aliases.join(",")),
                        ));
                        None
                    }
                },
            };
            let Some(class) = props.get(&type_key).map(|s| s.trim().to_string()) else {
                problems.push(problem(
                    type_key.clone(),
                    format!(
                        "Missing required configuration \"{type_key}\" which has no default value."
                    ),
                ));
                continue;
            };
            let Some(plugin) = crate::find_transformation(&class) else {
                problems.push(problem(
                    type_key.clone(),
                    format!("Invalid value {class} for configuration {type_key}: Class {class} could not be found."),
                ));
                continue;
            };
            let mut t = (plugin.create)();
            let own = ferry_api::config::with_prefix(props, &prefix);
            if let Err(e) = t.configure(&own) {
                let keys: Vec<String> = (plugin.config_def)()
                    .keys()
                    .iter()
                    .map(|k| k.name.clone())
                    .collect();
                problems.push(configure_problem(&prefix, &type_key, &e, &keys));
                continue;
            }
            chain.stages.push(Stage {
                alias,
                class: plugin.class,
                transform: t,
                predicate,
            });
        }
        if problems.is_empty() {
            Ok(chain)
        } else {
            Err(problems)
        }
    }

    /// The problems of a connector configuration's transforms and predicates; none when valid.
    pub fn validate(props: &Props) -> Vec<ConfigProblem> {
        match TransformChain::from_config(props) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Runs the record through every transform whose predicate holds; `None` once one drops it.
    /// An error names the transform that failed.
    pub fn apply(
        &mut self,
        mut record: ConnectRecord,
    ) -> std::result::Result<Option<ConnectRecord>, TransformFailure> {
        for stage in &mut self.stages {
            if let Some((i, negate)) = stage.predicate {
                let holds = self.predicates.get(i).is_some_and(|p| p.test(&record));
                if holds == negate {
                    continue;
                }
            }
            match stage.transform.apply(record) {
                Ok(Some(r)) => record = r,
                Ok(None) => return Ok(None),
                Err(error) => {
                    return Err(TransformFailure {
                        alias: stage.alias.clone(),
                        class: stage.class,
                        error,
                    })
                }
            }
        }
        Ok(Some(record))
    }
}

/// A transform that failed on a record: which one, and why.
#[derive(Debug)]
pub struct TransformFailure {
    /// Its alias in `transforms`.
    pub alias: String,
    /// Its Java class name.
    pub class: &'static str,
    pub error: ConnectError,
}

impl std::fmt::Display for TransformFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transform '{}' ({}) failed", self.alias, self.class)
    }
}

impl std::error::Error for TransformFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<TransformFailure> for ConnectError {
    fn from(f: TransformFailure) -> Self {
        ConnectError::Other(ferry_api::error::error_chain(&f))
    }
}

impl Drop for TransformChain {
    fn drop(&mut self) {
        for s in &mut self.stages {
            s.transform.close();
        }
        for p in &mut self.predicates {
            p.close();
        }
    }
}

/// Stands in for a predicate that could not be created, so indices stay right.
struct Never;

impl Predicate for Never {
    fn configure(&mut self, _: &Props) -> Result<()> {
        Ok(())
    }

    fn test(&self, _: &ConnectRecord) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::Value;

    #[test]
    fn runs_in_order_with_predicates() {
        let p = props(&[
            ("transforms", "hoist,insert,route,drop"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "line"),
            ("transforms.insert.type", "InsertField$Value"),
            ("transforms.insert.static.field", "origin"),
            ("transforms.insert.static.value", "ferry"),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.regex", "(.*)"),
            ("transforms.route.replacement", "$1-out"),
            (
                "transforms.drop.type",
                "org.apache.kafka.connect.transforms.Filter",
            ),
            ("transforms.drop.predicate", "isTest"),
            ("transforms.drop.negate", "true"),
            ("predicates", "isTest"),
            (
                "predicates.isTest.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("predicates.isTest.pattern", "test-out"),
        ]);
        let mut chain = TransformChain::from_config(&p).unwrap();
        let out = chain
            .apply(source(None, Value::from("hello")))
            .unwrap()
            .unwrap();
        assert_eq!(out.topic(), "test-out");
        assert_eq!(
            out.value(),
            &map(&[
                ("line", Value::from("hello")),
                ("origin", Value::from("ferry"))
            ])
        );
        let mut other = source(None, Value::from("x"));
        other.set_topic("other");
        assert!(chain.apply(other).unwrap().is_none());
    }

    #[test]
    fn problems_name_their_keys() {
        let p = props(&[
            ("transforms", "a,b,c,d"),
            ("transforms.a.type", "com.example.Nope"),
            (
                "transforms.c.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.c.regex", "("),
            ("transforms.c.replacement", "x"),
            ("transforms.d.type", "Filter"),
            ("transforms.d.predicate", "missing"),
            ("predicates", "p"),
            ("predicates.p.type", "HasHeaderKey"),
        ]);
        let problems = TransformChain::validate(&p);
        let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "predicates.p.name",
                "transforms.a.type",
                "transforms.b.type",
                "transforms.c.regex",
                "transforms.d.predicate"
            ],
            "{problems:?}"
        );
        assert_eq!(
            problems[1].message,
            "Invalid value com.example.Nope for configuration transforms.a.type: Class com.example.Nope could not be found."
        );
        assert!(problems[0]
            .message
            .contains("Missing required configuration \"predicates.p.name\""));
        assert!(problems[3]
            .message
            .starts_with("Invalid value ( for configuration transforms.c.regex"));
    }

    #[test]
    fn negate_without_a_predicate_is_refused_as_kafka_refuses_it() {
        let p = props(&[
            ("transforms", "f"),
            ("transforms.f.type", "Filter"),
            ("transforms.f.negate", "true"),
        ]);
        let problems = TransformChain::validate(&p);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "transforms.f.type");
        assert_eq!(
            problems[0].message,
            "Config 'transforms.f.negate' was provided but there is no config 'transforms.f.predicate' defining a predicate to be negated."
        );
    }

    #[test]
    fn errors_name_the_transform_and_no_config_is_empty() {
        let chain = TransformChain::from_config(&props(&[])).unwrap();
        assert!(chain.is_empty());
        let mut chain = TransformChain::from_config(&props(&[
            ("transforms", "x"),
            ("transforms.x.type", "InsertField$Value"),
            ("transforms.x.topic.field", "t"),
        ]))
        .unwrap();
        let e = chain.apply(source(None, Value::Int32(1))).unwrap_err();
        assert_eq!(
            e.class,
            "org.apache.kafka.connect.transforms.InsertField$Value"
        );
        let e = ConnectError::from(e).to_string();
        assert!(
            e.starts_with("transform 'x' (org.apache.kafka.connect.transforms.InsertField$Value) failed\nCaused by: data error: Only Map objects"),
            "{e}"
        );
    }
}

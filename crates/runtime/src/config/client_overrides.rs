//! Per-connector client settings (KIP-458): `producer.override.*` for a source's producer,
//! `consumer.override.*` for a sink's consumer, `admin.override.*` for their admin clients, laid
//! over the worker's `producer.*`/`consumer.*`/`admin.*`, as far as the worker's
//! `connector.client.config.override.policy` allows.

use ferry_api::Props;

pub const POLICY: &str = "connector.client.config.override.policy";

/// Which overrides a connector may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverridePolicy {
    /// Any client setting (Kafka's default since 3.0).
    All,
    /// None at all.
    None,
    /// Only who the client is: `sasl.jaas.config`, `sasl.mechanism`, `security.protocol`.
    Principal,
}

const PRINCIPAL_KEYS: &[&str] = &["sasl.jaas.config", "sasl.mechanism", "security.protocol"];
const PREFIXES: &[&str] = &[
    "producer.override.",
    "consumer.override.",
    "admin.override.",
];

impl OverridePolicy {
    /// The policy a worker property names, by Kafka's class name or its alias.
    pub fn parse(value: Option<&str>) -> Result<OverridePolicy, String> {
        let name = value.map(str::trim).unwrap_or("All");
        let simple = name
            .rsplit('.')
            .next()
            .unwrap_or(name)
            .trim_end_matches("ConnectorClientConfigOverridePolicy");
        match simple {
            "All" => Ok(OverridePolicy::All),
            "None" => Ok(OverridePolicy::None),
            "Principal" => Ok(OverridePolicy::Principal),
            _ => Err(format!(
                "{POLICY}: {name} is not a policy ferry has (All, None or Principal)"
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            OverridePolicy::All => "All",
            OverridePolicy::None => "None",
            OverridePolicy::Principal => "Principal",
        }
    }

    /// The overrides of a connector configuration this policy refuses, in Kafka's words.
    pub fn refusals(self, connector: &Props) -> Vec<String> {
        connector
            .keys()
            .filter_map(|k| PREFIXES.iter().find_map(|p| k.strip_prefix(p)))
            .filter(|key| match self {
                OverridePolicy::All => false,
                OverridePolicy::None => true,
                OverridePolicy::Principal => !PRINCIPAL_KEYS.contains(key),
            })
            .map(|key| {
                format!(
                    "The '{}' policy does not allow '{key}' to be overridden in the connector configuration.",
                    self.name()
                )
            })
            .collect()
    }
}

/// The connector's overrides for one kind of client (`producer`, `consumer` or `admin`), with
/// the prefix taken off.
pub fn overrides(connector: &Props, client: &str) -> Props {
    ferry_api::config::with_prefix(connector, &format!("{client}.override."))
}

#[cfg(test)]
mod tests {
    use super::*;

    use ferry_api::config::props_of as props;

    #[test]
    fn policies_are_named_as_kafka_names_them() {
        assert_eq!(OverridePolicy::parse(None), Ok(OverridePolicy::All));
        assert_eq!(
            OverridePolicy::parse(Some(
                "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy"
            )),
            Ok(OverridePolicy::None)
        );
        assert_eq!(
            OverridePolicy::parse(Some("Principal")),
            Ok(OverridePolicy::Principal)
        );
        assert!(OverridePolicy::parse(Some("Sometimes")).is_err());
    }

    #[test]
    fn overrides_are_taken_for_their_client_and_checked_against_the_policy() {
        let c = props(&[
            ("producer.override.linger.ms", "5"),
            ("consumer.override.sasl.jaas.config", "x"),
            ("topic", "t"),
        ]);
        assert_eq!(overrides(&c, "producer"), props(&[("linger.ms", "5")]));
        assert!(overrides(&c, "admin").is_empty());
        assert!(OverridePolicy::All.refusals(&c).is_empty());
        assert_eq!(
            OverridePolicy::Principal.refusals(&c),
            vec!["The 'Principal' policy does not allow 'linger.ms' to be overridden in the connector configuration."]
        );
        assert_eq!(OverridePolicy::None.refusals(&c).len(), 2);
    }
}

//! The configuration keys of each converter, declared once as Kafka declares them.

use ferry_api::config::validators;
use ferry_api::{ConfigDef, ConfigType, ConnectError, Importance, ParsedConfig, Props, Result};

/// `converter.type`: how the converter is used (`key`, `value` or `header`); the worker sets it.
pub const TYPE_CONFIG: &str = "converter.type";
/// StringConverter: the character set of the bytes.
pub const ENCODING_CONFIG: &str = "converter.encoding";
/// JsonConverter: whether records carry the `{"schema":..,"payload":..}` envelope.
pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
/// JsonConverter: how many schemas to remember in each direction.
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
/// JsonConverter: `BASE64` or `NUMERIC` for Decimal values.
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
/// JsonConverter: whether a null with a schema default is written / read as the default.
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

/// The keys every converter has (Kafka's `ConverterConfig`).
pub fn converter_config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            TYPE_CONFIG,
            ConfigType::String,
            Importance::Low,
            "How this converter will be used.",
        )
        .validate_with(validators::one_of(&["key", "value", "header"]))
}

/// StringConverter's keys.
pub fn string_config_def() -> ConfigDef {
    converter_config_def().optional(
        ENCODING_CONFIG,
        ConfigType::String,
        Some("UTF-8"),
        Importance::High,
        "The name of the Java character set to use for encoding strings as byte arrays.",
    )
}

/// JsonConverter's keys.
pub fn json_config_def() -> ConfigDef {
    converter_config_def()
        .optional(
            SCHEMAS_ENABLE_CONFIG,
            ConfigType::Boolean,
            Some("true"),
            Importance::High,
            "Include schemas within each of the serialized values and keys.",
        )
        .in_group("Schemas", "Enable Schemas")
        .optional(
            SCHEMAS_CACHE_SIZE_CONFIG,
            ConfigType::Int,
            Some("1000"),
            Importance::High,
            "The maximum number of schemas that can be cached in this converter instance.",
        )
        .in_group("Schemas", "Schema Cache Size")
        .optional(
            DECIMAL_FORMAT_CONFIG,
            ConfigType::String,
            Some("BASE64"),
            Importance::Low,
            "Controls which format this converter will serialize decimals in. This value is case \
             insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
        )
        .validate_with(validators::one_of(&["BASE64", "NUMERIC"]))
        .in_group("Serialization", "Decimal Format")
        .optional(
            REPLACE_NULL_WITH_DEFAULT_CONFIG,
            ConfigType::Boolean,
            Some("true"),
            Importance::Low,
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        )
        .in_group("Serialization", "Replace null with default")
}

/// SimpleHeaderConverter has no keys.
pub fn simple_header_config_def() -> ConfigDef {
    ConfigDef::new()
}

/// Parses `props` with `def`, with `converter.type` set to how the converter is used (as Kafka
/// does, whatever the props say).
pub(crate) fn parse(def: &ConfigDef, props: &Props, usage: &str) -> Result<ParsedConfig> {
    let mut with_type = props.clone();
    with_type.insert(TYPE_CONFIG.to_string(), usage.to_string());
    def.parse(&with_type).map_err(|problems| {
        ConnectError::Config(
            problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// `key` or `value`, as `converter.type` spells it.
pub(crate) fn usage(is_key: bool) -> &'static str {
    if is_key {
        "key"
    } else {
        "value"
    }
}

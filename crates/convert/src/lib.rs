//! Converters: String, ByteArray, Json (with and without schemas), the numeric converters and the
//! simple header converter.
//!
//! Each converter implements `ferry_api::Converter` and, like its Kafka counterpart, also
//! `ferry_api::HeaderConverter`. Look one up by the class name a worker or connector config
//! gives (`org.apache.kafka.connect.json.JsonConverter`, `JsonConverter` or `Json`) with
//! [`converter_by_name`] / [`header_converter_by_name`], then `configure` it with its own keys
//! (prefix removed, e.g. `schemas.enable` from `value.converter.schemas.enable`).

pub mod as_header;
pub mod bytearray;
pub mod config;
pub mod header;
pub mod json;
pub mod number;
pub mod string;

use ferry_api::{ConfigDef, Converter, HeaderConverter};

pub use as_header::{AsHeaderConverter, ConfigureAs};
pub use bytearray::ByteArrayConverter;
pub use header::SimpleHeaderConverter;
pub use json::{DecimalFormat, JsonConverter};
pub use number::{
    BooleanConverter, DoubleConverter, FloatConverter, IntegerConverter, LongConverter,
    ShortConverter,
};
pub use string::StringConverter;

/// The version these converters report in the plugin listing: the Apache Kafka release whose
/// behaviour they reproduce, as Kafka's own converters report their Kafka version.
pub const KAFKA_VERSION: &str = "4.4.0";

struct Entry {
    class: &'static str,
    make: fn() -> Box<dyn Converter>,
    make_header: fn() -> Box<dyn HeaderConverter>,
    config: fn() -> ConfigDef,
}

fn boxed<T: Converter + Default + 'static>() -> Box<dyn Converter> {
    Box::new(T::default())
}

fn boxed_header<T: Converter + ConfigureAs + Default + 'static>() -> Box<dyn HeaderConverter> {
    Box::new(AsHeaderConverter(T::default()))
}

/// Every key/value converter, in the order the plugin listing shows them.
const CONVERTERS: &[Entry] = &[
    Entry {
        class: BooleanConverter::CLASS,
        make: boxed::<BooleanConverter>,
        make_header: boxed_header::<BooleanConverter>,
        config: config::converter_config_def,
    },
    Entry {
        class: ByteArrayConverter::CLASS,
        make: boxed::<ByteArrayConverter>,
        make_header: boxed_header::<ByteArrayConverter>,
        config: config::converter_config_def,
    },
    Entry {
        class: DoubleConverter::CLASS,
        make: boxed::<DoubleConverter>,
        make_header: boxed_header::<DoubleConverter>,
        config: config::converter_config_def,
    },
    Entry {
        class: FloatConverter::CLASS,
        make: boxed::<FloatConverter>,
        make_header: boxed_header::<FloatConverter>,
        config: config::converter_config_def,
    },
    Entry {
        class: IntegerConverter::CLASS,
        make: boxed::<IntegerConverter>,
        make_header: boxed_header::<IntegerConverter>,
        config: config::converter_config_def,
    },
    Entry {
        class: LongConverter::CLASS,
        make: boxed::<LongConverter>,
        make_header: boxed_header::<LongConverter>,
        config: config::converter_config_def,
    },
    Entry {
        class: ShortConverter::CLASS,
        make: boxed::<ShortConverter>,
        make_header: boxed_header::<ShortConverter>,
        config: config::converter_config_def,
    },
    Entry {
        class: JsonConverter::CLASS,
        make: boxed::<JsonConverter>,
        make_header: boxed_header::<JsonConverter>,
        config: config::json_config_def,
    },
    Entry {
        class: StringConverter::CLASS,
        make: boxed::<StringConverter>,
        make_header: boxed_header::<StringConverter>,
        config: config::string_config_def,
    },
];

/// The simple class name and its alias without the `suffix` (`JsonConverter`, `Json`).
fn matches(class: &'static str, name: &str, suffix: &str) -> bool {
    let simple = class.rsplit('.').next().unwrap_or(class);
    let pruned = match simple.rfind(suffix) {
        Some(pos) if pos > 0 => &simple[..pos],
        _ => simple,
    };
    name == class || name == simple || name == pruned
}

fn find(name: &str, suffix: &str) -> Option<&'static Entry> {
    let name = name.trim();
    CONVERTERS.iter().find(|e| matches(e.class, name, suffix))
}

/// A new, unconfigured converter for a class name: the full Java class
/// (`org.apache.kafka.connect.storage.StringConverter`), the simple name (`StringConverter`) or
/// the alias without `Converter` (`String`).
pub fn converter_by_name(name: &str) -> Option<Box<dyn Converter>> {
    find(name, "Converter").map(|e| (e.make)())
}

/// A new, unconfigured header converter for a class name: `SimpleHeaderConverter` (or `Simple`),
/// or any of the converters, which Kafka also accepts as header converters.
pub fn header_converter_by_name(name: &str) -> Option<Box<dyn HeaderConverter>> {
    if matches(SimpleHeaderConverter::CLASS, name.trim(), "HeaderConverter") {
        return Some(Box::new(SimpleHeaderConverter::new()));
    }
    find(name, "Converter").map(|e| (e.make_header)())
}

/// The configuration keys of a converter or header converter, for the plugin config endpoint.
pub fn converter_config_def(name: &str) -> Option<ConfigDef> {
    if matches(SimpleHeaderConverter::CLASS, name.trim(), "HeaderConverter") {
        return Some(config::simple_header_config_def());
    }
    find(name, "Converter").map(|e| (e.config)())
}

/// Every converter class with its version, for `GET /connector-plugins?connectorsOnly=false`.
pub fn converter_classes() -> Vec<(&'static str, &'static str)> {
    CONVERTERS
        .iter()
        .map(|e| (e.class, KAFKA_VERSION))
        .collect()
}

/// Every header converter class with its version (the converters plus SimpleHeaderConverter).
pub fn header_converter_classes() -> Vec<(&'static str, &'static str)> {
    let mut all = converter_classes();
    all.push((SimpleHeaderConverter::CLASS, KAFKA_VERSION));
    all.sort_unstable();
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::{Props, Schema, Value};

    #[test]
    fn lookup_by_any_name() {
        for name in [
            "org.apache.kafka.connect.json.JsonConverter",
            "JsonConverter",
            "Json",
            " org.apache.kafka.connect.storage.StringConverter ",
            "StringConverter",
            "org.apache.kafka.connect.converters.ByteArrayConverter",
            "ByteArray",
            "org.apache.kafka.connect.converters.IntegerConverter",
            "LongConverter",
            "FloatConverter",
            "DoubleConverter",
            "ShortConverter",
            "BooleanConverter",
        ] {
            assert!(converter_by_name(name).is_some(), "{name}");
            assert!(header_converter_by_name(name).is_some(), "{name}");
            assert!(converter_config_def(name).is_some(), "{name}");
        }
        assert!(
            converter_by_name("org.apache.kafka.connect.storage.SimpleHeaderConverter").is_none()
        );
        assert!(converter_by_name("io.confluent.connect.avro.AvroConverter").is_none());
        assert!(converter_by_name("").is_none());
        for name in [
            "org.apache.kafka.connect.storage.SimpleHeaderConverter",
            "SimpleHeaderConverter",
            "Simple",
        ] {
            assert!(header_converter_by_name(name).is_some(), "{name}");
        }
    }

    #[test]
    fn registry_gives_working_converters() {
        let mut c = converter_by_name("org.apache.kafka.connect.json.JsonConverter").unwrap();
        let props: Props = [("schemas.enable".to_string(), "false".to_string())]
            .into_iter()
            .collect();
        c.configure(&props, false).unwrap();
        let out = c
            .from_connect("t", Some(&Schema::string()), Some(&Value::from("x")))
            .unwrap();
        assert_eq!(out.as_deref(), Some(&b"\"x\""[..]));
        let mut h = header_converter_by_name("SimpleHeaderConverter").unwrap();
        h.configure(&Props::new()).unwrap();
        let back = h.to_connect_header("t", "k", Some(b"42")).unwrap();
        assert_eq!(back.value, Some(Value::Int8(42)));
    }

    #[test]
    fn plugin_listing() {
        let classes = converter_classes();
        assert_eq!(classes.len(), 9);
        assert!(classes.contains(&("org.apache.kafka.connect.json.JsonConverter", "4.4.0")));
        let headers = header_converter_classes();
        assert_eq!(headers.len(), 10);
        assert!(headers
            .iter()
            .any(|(c, _)| *c == "org.apache.kafka.connect.storage.SimpleHeaderConverter"));
        let json = converter_config_def("JsonConverter").unwrap();
        assert!(json.key("schemas.enable").is_some());
        assert!(json.key("converter.type").is_some());
    }
}

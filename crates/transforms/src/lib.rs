//! Single message transforms and predicates, with Apache Kafka Connect's class names and
//! behaviour on records with and without schemas, and Debezium's two transforms for its change
//! events (`ExtractNewRecordState`, `ByLogicalTableRouter`).
//!
//! [`transformations`] and [`predicates`] list every plugin; [`chain::TransformChain`] builds the
//! chain a connector configuration asks for (`transforms`, `predicates`) and runs it.

use ferry_api::{Predicate, PredicatePlugin, Transformation, TransformationPlugin};

pub mod by_logical_table_router;
pub mod cast;
pub mod chain;
mod debezium;
pub mod extract_field;
pub mod extract_new_record_state;
pub mod filter;
pub mod flatten;
pub mod headers;
pub mod hoist_field;
pub mod insert_field;
pub mod mask_field;
pub mod predicates;
pub mod regex_router;
pub mod replace_field;
pub mod set_schema_metadata;
pub mod timestamp_converter;
pub mod timestamp_router;
mod util;
pub mod value_to_key;

#[cfg(test)]
mod test_util;

pub use chain::{TransformChain, TransformFailure};
pub use util::Target;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A transform with `$Key` and `$Value` variants.
macro_rules! keyed {
    ($out:ident, $simple:literal, $ty:ident, $def:path) => {
        $out.push(TransformationPlugin {
            class: concat!("org.apache.kafka.connect.transforms.", $simple, "$Key"),
            aliases: &[concat!($simple, "$Key")],
            version: VERSION,
            config_def: $def,
            create: || -> Box<dyn Transformation> { Box::new($ty::new(Target::Key)) },
        });
        $out.push(TransformationPlugin {
            class: concat!("org.apache.kafka.connect.transforms.", $simple, "$Value"),
            aliases: &[concat!($simple, "$Value")],
            version: VERSION,
            config_def: $def,
            create: || -> Box<dyn Transformation> { Box::new($ty::new(Target::Value)) },
        });
    };
}

/// A transform of the whole record (no `$Key`/`$Value`), in Kafka's package unless another is
/// given.
macro_rules! whole {
    ($out:ident, $simple:literal, $ty:ident, $def:path) => {
        whole!(
            $out,
            "org.apache.kafka.connect.transforms.",
            $simple,
            $ty,
            $def
        )
    };
    ($out:ident, $package:literal, $simple:literal, $ty:ident, $def:path) => {
        $out.push(TransformationPlugin {
            class: concat!($package, $simple),
            aliases: &[$simple],
            version: VERSION,
            config_def: $def,
            create: || -> Box<dyn Transformation> { Box::new($ty::new()) },
        });
    };
}

/// Every transform, in Kafka's (and Debezium's) class names.
pub fn transformations() -> Vec<TransformationPlugin> {
    use self::{
        by_logical_table_router::ByLogicalTableRouter, cast::Cast, extract_field::ExtractField,
        extract_new_record_state::ExtractNewRecordState, filter::Filter, flatten::Flatten,
        headers::*, hoist_field::HoistField, insert_field::InsertField, mask_field::MaskField,
        regex_router::RegexRouter, replace_field::ReplaceField,
        set_schema_metadata::SetSchemaMetadata, timestamp_converter::TimestampConverter,
        timestamp_router::TimestampRouter, value_to_key::ValueToKey,
    };
    let mut out = Vec::new();
    keyed!(out, "InsertField", InsertField, insert_field::config_def);
    keyed!(out, "ReplaceField", ReplaceField, replace_field::config_def);
    whole!(out, "RegexRouter", RegexRouter, regex_router::config_def);
    whole!(out, "ValueToKey", ValueToKey, value_to_key::config_def);
    keyed!(out, "ExtractField", ExtractField, extract_field::config_def);
    keyed!(out, "HoistField", HoistField, hoist_field::config_def);
    keyed!(out, "MaskField", MaskField, mask_field::config_def);
    whole!(out, "Filter", Filter, filter::config_def);
    whole!(out, "DropHeaders", DropHeaders, headers::drop_headers_def);
    whole!(
        out,
        "InsertHeader",
        InsertHeader,
        headers::insert_header_def
    );
    keyed!(out, "HeaderFrom", HeaderFrom, headers::header_from_def);
    whole!(
        out,
        "TimestampRouter",
        TimestampRouter,
        timestamp_router::config_def
    );
    keyed!(
        out,
        "SetSchemaMetadata",
        SetSchemaMetadata,
        set_schema_metadata::config_def
    );
    keyed!(
        out,
        "TimestampConverter",
        TimestampConverter,
        timestamp_converter::config_def
    );
    keyed!(out, "Flatten", Flatten, flatten::config_def);
    keyed!(out, "Cast", Cast, cast::config_def);
    whole!(
        out,
        "io.debezium.transforms.",
        "ExtractNewRecordState",
        ExtractNewRecordState,
        extract_new_record_state::config_def
    );
    whole!(
        out,
        "io.debezium.transforms.",
        "ByLogicalTableRouter",
        ByLogicalTableRouter,
        by_logical_table_router::config_def
    );
    out
}

/// Every predicate.
pub fn predicates() -> Vec<PredicatePlugin> {
    use predicates::*;
    macro_rules! predicate {
        ($simple:literal, $ty:ident, $def:ident) => {
            PredicatePlugin {
                class: concat!("org.apache.kafka.connect.transforms.predicates.", $simple),
                aliases: &[$simple],
                version: VERSION,
                config_def: $def,
                create: || -> Box<dyn Predicate> { Box::new($ty::new()) },
            }
        };
    }
    vec![
        predicate!("HasHeaderKey", HasHeaderKey, has_header_key_def),
        predicate!(
            "RecordIsTombstone",
            RecordIsTombstone,
            record_is_tombstone_def
        ),
        predicate!("TopicNameMatches", TopicNameMatches, topic_name_matches_def),
    ]
}

/// The transform a `transforms.NAME.type` names: its class or an alias.
pub fn find_transformation(name: &str) -> Option<TransformationPlugin> {
    transformations().into_iter().find(|p| p.answers_to(name))
}

/// The predicate a `predicates.NAME.type` names.
pub fn find_predicate(name: &str) -> Option<PredicatePlugin> {
    predicates().into_iter().find(|p| p.answers_to(name))
}

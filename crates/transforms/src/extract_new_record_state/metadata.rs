//! The envelope fields `add.fields` and `add.headers` copy onto the unwrapped record: how a
//! list entry names one (`op`, `source.ts_ms`, `lsn:LSN`) and where it is found.

use std::sync::Arc;

use ferry_api::data::{Schema, Struct, Value};
use ferry_api::{Header, Result};

use crate::debezium::{OP, OP_DELETE, SOURCE, TRANSACTION};
use crate::util;

const UPDATE_DESCRIPTION: &str = "updateDescription";

/// One entry of `add.fields` or `add.headers`: a field of the envelope or of one of its structs,
/// and the name it is copied under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldReference {
    /// The envelope struct holding the field (`source`, `transaction`); `None` for `op`,
    /// `ts_ms`, `ts_us` and `ts_ns`, which are the envelope's own.
    parent: Option<String>,
    field: String,
    /// The name on the unwrapped record: the prefix and `field` or `parent_field`, or the prefix
    /// and the name given after `:`.
    new_name: String,
}

impl FieldReference {
    /// Reads `[parent.]field[:new_name]`. A field named without its struct is looked for where
    /// Debezium puts it: `id`, `total_order` and `data_collection_order` in `transaction`, the
    /// timestamps and `op` in the envelope, anything else in `source`.
    pub fn parse(prefix: &str, entry: &str) -> std::result::Result<FieldReference, String> {
        let (path, renamed) = match entry.split_once(':') {
            Some((_, n)) if n.contains(':') => {
                return Err(format!("Unexpected field name: {entry}"));
            }
            Some((p, n)) => (p.trim(), Some(n.trim())),
            None => (entry.trim(), None),
        };
        let (parent, field, qualified) = match path.split_once('.') {
            Some((p, f)) => (Some(p.to_string()), f, true),
            None => (Self::home_of(path), path, false),
        };
        if field.is_empty() || field.contains('.') || parent.as_deref() == Some("") {
            return Err(format!("Unexpected field name: {entry}"));
        }
        let new_name = match renamed {
            Some("") => return Err(format!("Unexpected field name: {entry}")),
            Some(n) => format!("{prefix}{n}"),
            None if qualified => format!("{prefix}{}_{field}", parent.as_deref().unwrap_or("")),
            None => format!("{prefix}{field}"),
        };
        Ok(FieldReference {
            parent,
            field: field.to_string(),
            new_name,
        })
    }

    /// The entries of a list key, each parsed.
    pub fn parse_all(prefix: &str, entries: &[String]) -> std::result::Result<Vec<Self>, String> {
        entries
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| FieldReference::parse(prefix, e))
            .collect()
    }

    fn home_of(field: &str) -> Option<String> {
        match field {
            "id" | "total_order" | "data_collection_order" => Some(TRANSACTION.to_string()),
            "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
            UPDATE_DESCRIPTION => Some(UPDATE_DESCRIPTION.to_string()),
            _ => Some(SOURCE.to_string()),
        }
    }

    /// The referenced field's schema in the envelope schema: in its struct, else (a field another
    /// transform added to the envelope) in the envelope itself; `None` when it is in neither.
    pub fn schema_in<'a>(&self, envelope: &'a Schema) -> Option<&'a Arc<Schema>> {
        self.parent
            .as_deref()
            .and_then(|p| envelope.field(p))
            .and_then(|p| p.schema.field(&self.field))
            .or_else(|| envelope.field(&self.field))
            .map(|f| &f.schema)
    }

    /// The referenced field's value, as set (no default): `Null` when its struct is null.
    pub fn value_in(&self, envelope: &Struct) -> Value {
        let parent = match self.parent.as_deref() {
            Some(p) if envelope.schema().field(p).is_some() => {
                match envelope.get_without_default(p) {
                    Some(Value::Struct(s)) => Some(s),
                    _ => return Value::Null,
                }
            }
            _ => None,
        };
        match parent {
            Some(s) if s.schema().field(&self.field).is_some() => {
                util::field_value(s, &self.field, false)
            }
            _ => util::field_value(envelope, &self.field, false),
        }
    }
}

/// The schema a copied field gets: the original's, optional and without default.
pub fn optional_copy(schema: &Schema) -> Arc<Schema> {
    let mut copy = schema.clone();
    copy.optional = true;
    copy.default = None;
    Arc::new(copy)
}

/// The headers `add.headers` asks for. A tombstone (`envelope` is `None`) gets only `op`, as
/// `d`; an event gets every referenced field its envelope has, null ones included.
pub fn headers(refs: &[FieldReference], envelope: Option<&Struct>) -> Vec<Header> {
    let mut out = Vec::new();
    for r in refs {
        match envelope {
            None if r.field == OP => out.push(Header {
                key: r.new_name.clone(),
                schema: Some(Arc::new(Schema::string())),
                value: Value::from(OP_DELETE),
            }),
            None => {}
            Some(env) => {
                if let Some(s) = r.schema_in(env.schema()) {
                    out.push(Header {
                        key: r.new_name.clone(),
                        schema: Some(optional_copy(s)),
                        value: r.value_in(env),
                    });
                }
            }
        }
    }
    out
}

/// The unwrapped row's schema with the fields `add.fields` asks for appended (those the envelope
/// has). The copy is a required struct with the row schema's name, version, doc and parameters,
/// as Debezium makes it even when nothing is added.
pub fn schema_with_fields(
    refs: &[FieldReference],
    row: &Schema,
    envelope: &Schema,
) -> Result<Arc<Schema>> {
    let mut b = util::struct_basics(row);
    for f in &row.fields {
        b = b.field(f.name.clone(), f.schema.clone());
    }
    for r in refs {
        if let Some(s) = r.schema_in(envelope) {
            b = b.field(r.new_name.clone(), optional_copy(s));
        }
    }
    util::build(b)
}

/// The unwrapped row with the added fields' values, for a schema from [`schema_with_fields`].
pub fn row_with_fields(
    refs: &[FieldReference],
    row: Struct,
    envelope: &Struct,
    schema: Arc<Schema>,
) -> Result<Struct> {
    let mut values = row.into_values();
    for r in refs {
        if r.schema_in(envelope.schema()).is_some() {
            values.push(r.value_in(envelope));
        }
    }
    Struct::from_values(schema, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(prefix: &str, entry: &str) -> FieldReference {
        FieldReference::parse(prefix, entry).unwrap()
    }

    fn reference(parent: Option<&str>, field: &str, new_name: &str) -> FieldReference {
        FieldReference {
            parent: parent.map(str::to_string),
            field: field.to_string(),
            new_name: new_name.to_string(),
        }
    }

    #[test]
    fn entries_name_their_struct_and_new_name() {
        assert_eq!(parsed("__", "op"), reference(None, "op", "__op"));
        assert_eq!(parsed("__", "ts_ms"), reference(None, "ts_ms", "__ts_ms"));
        assert_eq!(
            parsed("__", "lsn"),
            reference(Some("source"), "lsn", "__lsn")
        );
        assert_eq!(
            parsed("__", "source.ts_ms"),
            reference(Some("source"), "ts_ms", "__source_ts_ms")
        );
        assert_eq!(
            parsed("__", "id"),
            reference(Some("transaction"), "id", "__id")
        );
        assert_eq!(
            parsed("prefix.", "transaction.total_order"),
            reference(
                Some("transaction"),
                "total_order",
                "prefix.transaction_total_order"
            )
        );
        assert_eq!(
            parsed("", " source.lsn:source_lsn "),
            reference(Some("source"), "lsn", "source_lsn")
        );
        for bad in ["a:b:c", "a.b.c", "source.", ".x", "op:"] {
            assert!(FieldReference::parse("__", bad).is_err(), "{bad}");
        }
        let all = FieldReference::parse_all("__", &["op".into(), "".into(), "lsn".into()]);
        assert_eq!(all.unwrap().len(), 2);
    }

    #[test]
    fn optional_copy_drops_the_default() {
        let s = ferry_api::data::SchemaBuilder::int16()
            .default_value(0i16)
            .name("n")
            .build()
            .unwrap();
        let c = optional_copy(&s);
        assert!(c.optional);
        assert_eq!(c.default, None);
        assert_eq!(c.name.as_deref(), Some("n"));
    }
}

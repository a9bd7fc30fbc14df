//! Which table a record goes to: `collection.name.format` / `table.name.format` filled in from
//! the record's topic and (for Debezium change events) its `source` block.

use ferry_api::{Struct, Value};

use crate::config::{Flavor, SinkConfig};

/// A table, with the schema (PostgreSQL) or database (MySQL) it is in when the name gave one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableRef {
    pub schema: Option<String>,
    pub name: String,
}

impl std::fmt::Display for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl TableRef {
    /// The table the format names for a record of `topic`. Debezium's naming turns the dots of
    /// the topic into underscores; Confluent's keeps them, so `db.table` names a table in
    /// another schema. Either way a dot left in the result separates schema and table.
    pub fn from_format(
        config: &SinkConfig,
        topic: &str,
        source: Option<&Struct>,
    ) -> Result<TableRef, String> {
        let topic_part = match config.flavor {
            Flavor::Debezium => topic.replace('.', "_"),
            Flavor::Confluent => topic.to_string(),
        };
        let mut name = config.table_format.replace("${topic}", &topic_part);
        while let Some(start) = name.find("${source.") {
            let end = name[start..].find('}').map(|e| start + e).ok_or_else(|| {
                format!(
                    "the table name format {} has an unclosed ${{",
                    config.table_format
                )
            })?;
            let field = &name[start + "${source.".len()..end];
            let source = source.ok_or_else(|| {
                format!(
                    "the table name format {} uses ${{source.{field}}}, but the record is not a Debezium change event",
                    config.table_format
                )
            })?;
            let value = match source.get(field) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => {
                    return Err(format!(
                        "the table name format {} uses ${{source.{field}}}, which this record's source block does not have",
                        config.table_format
                    ))
                }
                Some(other) => format!("{other:?}"),
            };
            name.replace_range(start..=end, &value);
        }
        Ok(TableRef::parse(&name))
    }

    /// `table`, `schema.table` or `catalog.schema.table` (the catalog is not used).
    pub fn parse(name: &str) -> TableRef {
        let parts: Vec<&str> = name.split('.').collect();
        match parts.as_slice() {
            [.., schema, table] if !schema.is_empty() => TableRef {
                schema: Some(schema.to_string()),
                name: table.to_string(),
            },
            _ => TableRef {
                schema: None,
                name: name.trim_start_matches('.').to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SinkConfig;
    use ferry_api::config::props_of;
    use ferry_api::{Schema, SchemaBuilder};
    use std::sync::Arc;

    fn config(flavor: Flavor, format: &str) -> SinkConfig {
        let key = match flavor {
            Flavor::Debezium => "collection.name.format",
            Flavor::Confluent => "table.name.format",
        };
        SinkConfig::parse(
            flavor,
            &props_of(&[("connection.url", "jdbc:postgresql://h/db"), (key, format)]),
        )
        .expect("valid")
    }

    #[test]
    fn debezium_turns_the_topics_dots_into_underscores() {
        let t = TableRef::from_format(
            &config(Flavor::Debezium, "${topic}"),
            "srv.inv.customers",
            None,
        )
        .expect("name");
        assert_eq!(
            t,
            TableRef {
                schema: None,
                name: "srv_inv_customers".into()
            }
        );
        let t = TableRef::from_format(
            &config(Flavor::Debezium, "archive.${topic}_v2"),
            "a.b",
            None,
        )
        .expect("name");
        assert_eq!(
            t,
            TableRef {
                schema: Some("archive".into()),
                name: "a_b_v2".into()
            }
        );
    }

    #[test]
    fn confluent_reads_dots_as_schema_and_table() {
        let t = TableRef::from_format(
            &config(Flavor::Confluent, "${topic}"),
            "srv.inv.customers",
            None,
        )
        .expect("name");
        assert_eq!(
            t,
            TableRef {
                schema: Some("inv".into()),
                name: "customers".into()
            }
        );
    }

    #[test]
    fn source_fields_fill_the_format() {
        let schema = Arc::new(
            SchemaBuilder::struct_()
                .field("db", Schema::string())
                .field("table", Schema::optional_string())
                .build()
                .expect("schema"),
        );
        let mut source = Struct::new(schema);
        source.put("db", "inv").expect("put");
        source.put("table", "orders").expect("put");
        let c = config(Flavor::Debezium, "${source.db}_${source.table}");
        let t = TableRef::from_format(&c, "x.y", Some(&source)).expect("name");
        assert_eq!(t.name, "inv_orders");
        let err = TableRef::from_format(
            &config(Flavor::Debezium, "${source.schema}"),
            "x",
            Some(&source),
        )
        .expect_err("missing");
        assert!(err.contains("source.schema"), "{err}");
        assert!(TableRef::from_format(&c, "x", None).is_err());
    }
}

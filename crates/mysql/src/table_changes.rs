//! Debezium's description of a table's structure (`tableChanges`): each column's JDBC type, type
//! name, length, scale, position, optionality, default. It is written in two forms — JSON in the
//! schema history topic, a Connect struct in schema change events — and read back from the
//! history topic to rebuild the tables after a restart, as Debezium rebuilds them.

use std::sync::Arc;

use ferry_api::{Result, Schema, SchemaBuilder, SchemaType, Struct, Value};
use serde_json::{json, Value as Json};

use crate::ddl::ChangeKind;
use crate::table::{enum_values, Column, Table};

/// One table's change in a DDL statement; `table` is its structure afterwards (none when dropped).
#[derive(Debug, Clone)]
pub struct TableChange {
    pub kind: ChangeKind,
    pub db: String,
    pub name: String,
    pub table: Option<Table>,
}

impl TableChange {
    /// Debezium's table id: `"db"."table"`.
    pub fn id(&self) -> String {
        format!("\"{}\".\"{}\"", self.db, self.name)
    }
}

/// `java.sql.Types` of a column type, as Debezium's MySQL DDL parser resolves it.
fn jdbc_type(data_type: &str) -> i32 {
    match data_type {
        "bit" => -7,
        "tinyint" | "smallint" => 5,
        "mediumint" | "int" | "integer" | "year" => 4,
        "bigint" => -5,
        "float" => 6,
        "double" | "double precision" => 8,
        "real" => 7,
        "decimal" | "dec" | "fixed" => 3,
        "numeric" => 2,
        "bool" | "boolean" => 16,
        "date" => 91,
        "time" => 92,
        "datetime" => 93,
        "timestamp" => 2014,
        "char" | "enum" | "set" => 1,
        "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => 12,
        "binary" => -2,
        "varbinary" => -3,
        "tinyblob" | "blob" | "mediumblob" | "longblob" => 2004,
        _ => 1111,
    }
}

/// The type's name as Debezium writes it: upper case, with UNSIGNED and ZEROFILL.
pub fn type_name(column: &Column) -> String {
    let mut name = column.data_type.to_ascii_uppercase();
    let declared = column.column_type.to_ascii_lowercase();
    if declared.contains(" unsigned") {
        name.push_str(" UNSIGNED");
    }
    if declared.contains(" zerofill") {
        name.push_str(" ZEROFILL");
    }
    name
}

/// Length and scale as the DDL declares them: `int(11)` → 11, `decimal(10,2)` → (10, 2),
/// `time(3)` → 3. ENUM has length 1, SET one per value and comma.
pub fn dimensions(column: &Column) -> (Option<i64>, Option<i64>) {
    match column.data_type.as_str() {
        "enum" => return (Some(1), None),
        "set" => return (Some((column.values.len() as i64 * 2 - 1).max(0)), None),
        _ => {}
    }
    let Some(open) = column.column_type.find('(') else {
        return (None, None);
    };
    let inner = &column.column_type[open + 1..];
    let inner = &inner[..inner.find(')').unwrap_or(inner.len())];
    let mut numbers = inner.split(',').map(|n| n.trim().parse::<i64>().ok());
    (numbers.next().flatten(), numbers.next().flatten())
}

/// The default as Debezium writes `defaultValueExpression`: the literal without its quotes; a
/// default computed from the current time is the epoch.
fn default_expression(column: &Column) -> Option<String> {
    let declared = column.default.as_deref()?.trim();
    if declared
        .to_ascii_lowercase()
        .starts_with("current_timestamp")
    {
        return Some("1970-01-01 00:00:00".into());
    }
    Some(
        match declared
            .strip_prefix('\'')
            .and_then(|d| d.strip_suffix('\''))
        {
            Some(quoted) => quoted.replace("''", "'"),
            None => declared.to_string(),
        },
    )
}

fn quoted_values(column: &Column) -> Vec<String> {
    column
        .values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect()
}

/// A column in the history topic's JSON: absent optional fields are left out, as Debezium's
/// serializer leaves them out.
fn column_json(column: &Column) -> Json {
    let (length, scale) = dimensions(column);
    let mut c = serde_json::Map::new();
    c.insert("name".into(), json!(column.name));
    c.insert("jdbcType".into(), json!(jdbc_type(&column.data_type)));
    let name = type_name(column);
    c.insert("typeName".into(), json!(name));
    c.insert("typeExpression".into(), json!(name));
    c.insert("charsetName".into(), json!(column.charset));
    if let Some(l) = length {
        c.insert("length".into(), json!(l));
    }
    if let Some(s) = scale {
        c.insert("scale".into(), json!(s));
    }
    c.insert("position".into(), json!(column.position));
    c.insert("optional".into(), json!(column.nullable));
    c.insert("autoIncremented".into(), json!(column.auto_increment));
    c.insert("generated".into(), json!(column.auto_increment));
    c.insert("comment".into(), json!(column.comment));
    c.insert(
        "hasDefaultValue".into(),
        json!(column.nullable || column.default.is_some()),
    );
    if let Some(d) = default_expression(column) {
        c.insert("defaultValueExpression".into(), json!(d));
    }
    c.insert("enumValues".into(), json!(quoted_values(column)));
    Json::Object(c)
}

fn key_names(table: &Table) -> Vec<String> {
    table
        .primary_key
        .iter()
        .filter_map(|&i| table.columns.get(i).map(|c| c.name.clone()))
        .collect()
}

/// A change as the history topic keeps it.
pub fn history_json(change: &TableChange) -> Json {
    let mut c = serde_json::Map::new();
    c.insert("type".into(), json!(change.kind.name()));
    c.insert("id".into(), json!(change.id()));
    if let Some(table) = &change.table {
        let mut t = serde_json::Map::new();
        t.insert("defaultCharsetName".into(), json!(table.charset));
        t.insert("primaryKeyColumnNames".into(), json!(key_names(table)));
        t.insert(
            "columns".into(),
            Json::Array(table.columns.iter().map(column_json).collect()),
        );
        t.insert("attributes".into(), json!([]));
        if let Some(comment) = &table.comment {
            t.insert("comment".into(), json!(comment));
        }
        c.insert("table".into(), Json::Object(t));
        c.insert("comment".into(), Json::Null);
    }
    Json::Object(c)
}

/// A default as `information_schema` would write it, from Debezium's `defaultValueExpression`.
fn declared_default(expression: &str) -> String {
    if expression.parse::<f64>().is_ok() || expression.starts_with("b'") {
        expression.to_string()
    } else {
        format!("'{}'", expression.replace('\'', "''"))
    }
}

/// A table rebuilt from its history JSON (written by Debezium or by ferry). `captured` says
/// which columns events carry.
pub fn table_from_history(
    db: &str,
    name: &str,
    json: &Json,
    captured: impl Fn(&str) -> bool,
) -> Option<Table> {
    let mut columns = Vec::new();
    for c in json.get("columns")?.as_array()? {
        let column_name = c.get("name")?.as_str()?.to_string();
        let type_name = c.get("typeName")?.as_str()?.to_ascii_lowercase();
        let unsigned = type_name.contains(" unsigned");
        let data_type = type_name
            .replace(" unsigned", "")
            .replace(" zerofill", "")
            .trim()
            .to_string();
        let length = c.get("length").and_then(Json::as_i64);
        let scale = c.get("scale").and_then(Json::as_i64);
        let values: Vec<String> = c
            .get("enumValues")
            .and_then(Json::as_array)
            .map(|vs| {
                vs.iter()
                    .filter_map(Json::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .map(|joined| enum_values(&format!("({joined})")))
            .unwrap_or_default();
        let mut column_type = data_type.clone();
        if data_type == "enum" || data_type == "set" {
            let quoted: Vec<String> = values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect();
            column_type = format!("{data_type}({})", quoted.join(","));
        } else if let Some(l) = length {
            column_type = match scale {
                Some(s) => format!("{data_type}({l},{s})"),
                None => format!("{data_type}({l})"),
            };
        }
        if unsigned {
            column_type.push_str(" unsigned");
        }
        let temporal = matches!(data_type.as_str(), "time" | "datetime" | "timestamp");
        let decimal = matches!(data_type.as_str(), "decimal" | "numeric" | "dec" | "fixed");
        let has_default = c
            .get("hasDefaultValue")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        let default = c
            .get("defaultValueExpression")
            .and_then(Json::as_str)
            .filter(|_| has_default || c.get("hasDefaultValue").is_none())
            .map(declared_default);
        columns.push(Column {
            captured: captured(&column_name),
            nullable: c.get("optional").and_then(Json::as_bool).unwrap_or(true),
            unsigned,
            precision: if decimal {
                length.map(|l| l as u32)
            } else {
                None
            },
            scale: scale.map(|s| s as u32),
            fsp: if temporal {
                length.unwrap_or(0) as u32
            } else {
                0
            },
            // As `information_schema` gives it: BIT's width, the declared length of strings.
            length: if matches!(
                data_type.as_str(),
                "bit" | "char" | "varchar" | "binary" | "varbinary"
            ) {
                length.map(|l| l as u64)
            } else {
                None
            },
            charset: c
                .get("charsetName")
                .and_then(Json::as_str)
                .map(str::to_string),
            values,
            default,
            position: c
                .get("position")
                .and_then(Json::as_u64)
                .unwrap_or(columns.len() as u64 + 1) as u32,
            auto_increment: c
                .get("autoIncremented")
                .and_then(Json::as_bool)
                .unwrap_or(false),
            comment: c.get("comment").and_then(Json::as_str).map(str::to_string),
            name: column_name,
            data_type,
            column_type,
        });
    }
    columns.sort_by_key(|c| c.position);
    let primary_key = json
        .get("primaryKeyColumnNames")
        .and_then(Json::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Json::as_str)
                .filter_map(|n| columns.iter().position(|c| c.name == n))
                .collect()
        })
        .unwrap_or_default();
    Some(Table {
        db: db.to_string(),
        name: name.to_string(),
        columns,
        primary_key,
        charset: json
            .get("defaultCharsetName")
            .and_then(Json::as_str)
            .map(str::to_string),
        comment: json
            .get("comment")
            .and_then(Json::as_str)
            .map(str::to_string),
    })
}

/// The Connect schemas of `tableChanges` in schema change events.
pub struct ChangeSchemas {
    pub change: Arc<Schema>,
    table: Arc<Schema>,
    column: Arc<Schema>,
}

impl ChangeSchemas {
    pub fn new() -> Result<ChangeSchemas> {
        let opt = |kind: SchemaType| Schema::new(kind).optional();
        let strings = || Schema::array(Schema::string());
        let column = SchemaBuilder::new(SchemaType::Struct)
            .name("io.debezium.connector.schema.Column")
            .version(1)
            .field("name", Schema::string())
            .field("jdbcType", Schema::new(SchemaType::Int32))
            .field("nativeType", opt(SchemaType::Int32))
            .field("typeName", Schema::string())
            .field("typeExpression", opt(SchemaType::String))
            .field("charsetName", opt(SchemaType::String))
            .field("length", opt(SchemaType::Int32))
            .field("scale", opt(SchemaType::Int32))
            .field("position", Schema::new(SchemaType::Int32))
            .field("optional", opt(SchemaType::Boolean))
            .field("autoIncremented", opt(SchemaType::Boolean))
            .field("generated", opt(SchemaType::Boolean))
            .field("comment", opt(SchemaType::String))
            .field("defaultValueExpression", opt(SchemaType::String))
            .field(
                "enumValues",
                SchemaBuilder::array(Schema::string()).optional().build()?,
            )
            .build_arc()?;
        let table = SchemaBuilder::new(SchemaType::Struct)
            .name("io.debezium.connector.schema.Table")
            .version(1)
            .field("defaultCharsetName", opt(SchemaType::String))
            .field(
                "primaryKeyColumnNames",
                SchemaBuilder::from_schema(strings()).optional().build()?,
            )
            .field("columns", Schema::array(column.clone()))
            .field("comment", opt(SchemaType::String))
            .optional()
            .build_arc()?;
        let change = SchemaBuilder::new(SchemaType::Struct)
            .name("io.debezium.connector.schema.Change")
            .version(1)
            .field("type", Schema::string())
            .field("id", Schema::string())
            .field("table", table.clone())
            .build_arc()?;
        Ok(ChangeSchemas {
            change,
            table,
            column,
        })
    }

    fn column(&self, column: &Column) -> Value {
        let (length, scale) = dimensions(column);
        let text = |t: Option<String>| t.map(Value::String).unwrap_or(Value::Null);
        let name = type_name(column);
        let values = quoted_values(column);
        Value::Struct(Struct::from_values_unchecked(
            self.column.clone(),
            vec![
                Value::String(column.name.clone()),
                Value::Int32(jdbc_type(&column.data_type)),
                Value::Null,
                Value::String(name.clone()),
                Value::String(name),
                text(column.charset.clone()),
                length
                    .map(|l| Value::Int32(l as i32))
                    .unwrap_or(Value::Null),
                scale.map(|s| Value::Int32(s as i32)).unwrap_or(Value::Null),
                Value::Int32(column.position as i32),
                Value::Boolean(column.nullable),
                Value::Boolean(column.auto_increment),
                Value::Boolean(column.auto_increment),
                text(column.comment.clone()),
                text(default_expression(column)),
                if values.is_empty() {
                    Value::Null
                } else {
                    Value::Array(values.into_iter().map(Value::String).collect())
                },
            ],
        ))
    }

    /// A change as a schema change event carries it.
    pub fn to_value(&self, change: &TableChange) -> Value {
        let table = match &change.table {
            None => Value::Null,
            Some(t) => Value::Struct(Struct::from_values_unchecked(
                self.table.clone(),
                vec![
                    t.charset.clone().map(Value::String).unwrap_or(Value::Null),
                    Value::Array(key_names(t).into_iter().map(Value::String).collect()),
                    Value::Array(t.columns.iter().map(|c| self.column(c)).collect()),
                    t.comment.clone().map(Value::String).unwrap_or(Value::Null),
                ],
            )),
        };
        Value::Struct(Struct::from_values_unchecked(
            self.change.clone(),
            vec![
                Value::String(change.kind.name().into()),
                Value::String(change.id()),
                table,
            ],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, column_type: &str, data_type: &str) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            column_type: column_type.into(),
            nullable: true,
            unsigned: column_type.contains("unsigned"),
            precision: None,
            scale: None,
            fsp: 0,
            length: None,
            charset: None,
            values: enum_values(column_type),
            captured: true,
            default: None,
            position: 1,
            auto_increment: false,
            comment: None,
        }
    }

    #[test]
    fn columns_are_described_as_debeziums_history_describes_them() {
        let mut id = column("id", "int(11)", "int");
        id.nullable = false;
        id.auto_increment = true;
        assert_eq!(
            column_json(&id),
            json!({"name":"id","jdbcType":4,"typeName":"INT","typeExpression":"INT","charsetName":null,"length":11,"position":1,"optional":false,"autoIncremented":true,"generated":true,"comment":null,"hasDefaultValue":false,"enumValues":[]})
        );
        let mut price = column("price", "decimal(10,2)", "decimal");
        price.position = 12;
        assert_eq!(column_json(&price)["scale"], json!(2));
        assert_eq!(column_json(&price)["jdbcType"], json!(3));
        let set = column("s", "set('red','green','blue')", "set");
        assert_eq!(column_json(&set)["length"], json!(5));
        assert_eq!(
            column_json(&set)["enumValues"],
            json!(["'red'", "'green'", "'blue'"])
        );
        let mut ts = column("t", "timestamp", "timestamp");
        ts.nullable = false;
        ts.default = Some("current_timestamp()".into());
        assert_eq!(
            column_json(&ts)["defaultValueExpression"],
            json!("1970-01-01 00:00:00")
        );
        let u = column("u", "bigint(20) unsigned", "bigint");
        assert_eq!(column_json(&u)["typeName"], json!("BIGINT UNSIGNED"));
    }

    #[test]
    fn a_table_comes_back_from_its_history_json() {
        let mut id = column("id", "int(11)", "int");
        id.nullable = false;
        let mut name = column("name", "varchar(50)", "varchar");
        name.position = 2;
        name.default = Some("'n/a'".into());
        name.charset = Some("utf8mb4".into());
        name.length = Some(50);
        let mut kind = column("kind", "enum('a','it''s')", "enum");
        kind.position = 3;
        let mut when = column("at", "datetime(6)", "datetime");
        when.position = 4;
        when.fsp = 6;
        let mut price = column("price", "decimal(10,2) unsigned", "decimal");
        price.position = 5;
        price.precision = Some(10);
        price.scale = Some(2);
        let table = Table {
            db: "shop".into(),
            name: "t".into(),
            columns: vec![id, name, kind, when, price],
            primary_key: vec![0],
            charset: Some("utf8mb4".into()),
            comment: None,
        };
        let change = TableChange {
            kind: ChangeKind::Create,
            db: "shop".into(),
            name: "t".into(),
            table: Some(table.clone()),
        };
        let json = history_json(&change);
        assert_eq!(json["id"], json!("\"shop\".\"t\""));
        let back = table_from_history("shop", "t", &json["table"], |_| true).expect("a table");
        assert_eq!(back, table);
    }
}

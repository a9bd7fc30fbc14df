//! The Connect data model: schemas, values and structs.
//!
//! Logical types (Decimal, Date, Time, Timestamp) are carried as their physical value plus a schema
//! name, exactly as Kafka puts them on the wire; `logical` has helpers to build and read them.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The physical type of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

impl SchemaType {
    /// The lower-case name JsonConverter writes in `"type"`.
    pub fn json_name(self) -> &'static str {
        match self {
            SchemaType::Int8 => "int8",
            SchemaType::Int16 => "int16",
            SchemaType::Int32 => "int32",
            SchemaType::Int64 => "int64",
            SchemaType::Float32 => "float",
            SchemaType::Float64 => "double",
            SchemaType::Boolean => "boolean",
            SchemaType::String => "string",
            SchemaType::Bytes => "bytes",
            SchemaType::Array => "array",
            SchemaType::Map => "map",
            SchemaType::Struct => "struct",
        }
    }
}

/// A field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: Arc<Schema>,
}

/// A Connect schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub kind: SchemaType,
    pub optional: bool,
    pub default: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    pub parameters: BTreeMap<String, String>,
    /// Struct fields, in order.
    pub fields: Vec<Field>,
    /// Map key schema.
    pub key_schema: Option<Arc<Schema>>,
    /// Map value schema, or array element schema.
    pub value_schema: Option<Arc<Schema>>,
}

impl Schema {
    pub fn new(kind: SchemaType) -> Self {
        Schema {
            kind,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: BTreeMap::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }

    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    pub fn string() -> Self {
        Schema::new(SchemaType::String)
    }

    pub fn optional_string() -> Self {
        Schema::new(SchemaType::String).optional()
    }

    pub fn bytes() -> Self {
        Schema::new(SchemaType::Bytes)
    }

    pub fn optional_bytes() -> Self {
        Schema::new(SchemaType::Bytes).optional()
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A Connect value. A logical value is its physical value; its schema names the logical type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    Boolean(bool),
    String(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    /// Entries in insertion order; keys may be any value, as in Kafka.
    Map(Vec<(Value, Value)>),
    Struct(Struct),
}

/// A struct value: a schema and one value per field, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: Arc<Schema>,
    values: Vec<Value>,
}

impl Struct {
    pub fn new(schema: Arc<Schema>) -> Self {
        let values = vec![Value::Null; schema.fields.len()];
        Struct { schema, values }
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    pub fn get(&self, field: &str) -> Option<&Value> {
        self.schema.field(field).map(|f| &self.values[f.index])
    }
}

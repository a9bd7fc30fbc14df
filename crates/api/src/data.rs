//! The Connect data model: schemas, values and structs.
//!
//! Logical types (Decimal, Date, Time, Timestamp) are carried as their physical value plus a schema
//! name, exactly as Kafka puts them on the wire; `logical` has helpers to build and read them.
//!
//! Schemas are built either from the ready-made constructors (`Schema::int32()`,
//! `Schema::optional_string()`, `Schema::array(..)`, ...) or, when a name, a default, parameters or
//! struct fields are needed, with a [`SchemaBuilder`]:
//!
//! ```
//! use ferry_api::data::{Schema, SchemaBuilder, Struct, Value};
//! use std::sync::Arc;
//!
//! let schema = Arc::new(
//!     SchemaBuilder::struct_()
//!         .name("record")
//!         .field("id", Schema::int32())
//!         .field("name", Schema::optional_string())
//!         .build()
//!         .unwrap(),
//! );
//! let mut row = Struct::new(schema);
//! row.put("id", 1).unwrap().put("name", "a").unwrap();
//! assert!(row.validate().is_ok());
//! assert_eq!(row.get("id"), Some(&Value::Int32(1)));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::error::{ConnectError, Result};

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

    /// The type for a JsonConverter `"type"` name (`"int32"`, `"float"`, `"double"`, ...).
    pub fn from_json_name(name: &str) -> Option<SchemaType> {
        Some(match name {
            "int8" => SchemaType::Int8,
            "int16" => SchemaType::Int16,
            "int32" => SchemaType::Int32,
            "int64" => SchemaType::Int64,
            "float" => SchemaType::Float32,
            "double" => SchemaType::Float64,
            "boolean" => SchemaType::Boolean,
            "string" => SchemaType::String,
            "bytes" => SchemaType::Bytes,
            "array" => SchemaType::Array,
            "map" => SchemaType::Map,
            "struct" => SchemaType::Struct,
            _ => return None,
        })
    }

    /// The upper-case name Kafka uses in messages (`INT32`, `FLOAT64`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SchemaType::Int8 => "INT8",
            SchemaType::Int16 => "INT16",
            SchemaType::Int32 => "INT32",
            SchemaType::Int64 => "INT64",
            SchemaType::Float32 => "FLOAT32",
            SchemaType::Float64 => "FLOAT64",
            SchemaType::Boolean => "BOOLEAN",
            SchemaType::String => "STRING",
            SchemaType::Bytes => "BYTES",
            SchemaType::Array => "ARRAY",
            SchemaType::Map => "MAP",
            SchemaType::Struct => "STRUCT",
        }
    }

    /// Whether this type holds a single value (not an array, map or struct).
    pub fn is_primitive(self) -> bool {
        !matches!(
            self,
            SchemaType::Array | SchemaType::Map | SchemaType::Struct
        )
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: Arc<Schema>,
}

impl Field {
    pub fn new(name: impl Into<String>, index: usize, schema: impl Into<Arc<Schema>>) -> Self {
        Field {
            name: name.into(),
            index,
            schema: schema.into(),
        }
    }
}

/// A Connect schema.
///
/// Two schemas are equal when every attribute is equal, as in Kafka; comparing a schema with
/// itself (or two `Arc`s of the same schema) is immediate.
#[derive(Debug, Clone)]
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

impl PartialEq for Schema {
    fn eq(&self, other: &Schema) -> bool {
        // Same object: nested `Arc<Schema>` comparisons land here and stay cheap.
        if std::ptr::eq(self, other) {
            return true;
        }
        self.kind == other.kind
            && self.optional == other.optional
            && self.name == other.name
            && self.version == other.version
            && self.doc == other.doc
            && self.parameters == other.parameters
            && self.fields == other.fields
            && self.key_schema == other.key_schema
            && self.value_schema == other.value_schema
            && self.default == other.default
    }
}

macro_rules! primitive_constructors {
    ($($(#[$m:meta])* $req:ident, $opt:ident => $kind:ident;)*) => {
        $(
            $(#[$m])*
            pub fn $req() -> Self {
                Schema::new(SchemaType::$kind)
            }

            $(#[$m])*
            /// (optional)
            pub fn $opt() -> Self {
                Schema::new(SchemaType::$kind).optional()
            }
        )*
    };
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

    /// The same schema, not optional.
    pub fn required(mut self) -> Self {
        self.optional = false;
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

    primitive_constructors! {
        /// An 8-bit signed integer schema.
        int8, optional_int8 => Int8;
        /// A 16-bit signed integer schema.
        int16, optional_int16 => Int16;
        /// A 32-bit signed integer schema.
        int32, optional_int32 => Int32;
        /// A 64-bit signed integer schema.
        int64, optional_int64 => Int64;
        /// A 32-bit floating point schema (JSON `"float"`).
        float32, optional_float32 => Float32;
        /// A 64-bit floating point schema (JSON `"double"`).
        float64, optional_float64 => Float64;
        /// A boolean schema.
        boolean, optional_boolean => Boolean;
    }

    /// A (required) array of `element`.
    pub fn array(element: impl Into<Arc<Schema>>) -> Self {
        let mut s = Schema::new(SchemaType::Array);
        s.value_schema = Some(element.into());
        s
    }

    /// A (required) map from `key` to `value`.
    pub fn map(key: impl Into<Arc<Schema>>, value: impl Into<Arc<Schema>>) -> Self {
        let mut s = Schema::new(SchemaType::Map);
        s.key_schema = Some(key.into());
        s.value_schema = Some(value.into());
        s
    }

    /// A builder that starts from a copy of this schema.
    pub fn to_builder(&self) -> SchemaBuilder {
        SchemaBuilder::from_schema(self.clone())
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether this schema carries the given (logical type) name.
    pub fn has_name(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }

    /// A short description for messages: `Schema{INT32}` or `Schema{name:INT32}`, as Kafka prints it.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("Schema{{{n}:{}}}", self.kind),
            None => format!("Schema{{{}}}", self.kind),
        }
    }

    /// Checks that `value` fits this schema (see [`Value::validate`]).
    pub fn validate_value(&self, value: &Value) -> Result<()> {
        value.validate(self)
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Builds a schema with a name, version, doc, parameters, default or struct fields.
///
/// Mistakes (a duplicate field name, a field on a non-struct schema, a default value that does
/// not fit the schema) are reported by [`SchemaBuilder::build`], so a chain never panics.
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    schema: Schema,
    error: Option<String>,
}

macro_rules! builder_constructors {
    ($($(#[$m:meta])* $f:ident => $kind:ident;)*) => {
        $(
            $(#[$m])*
            pub fn $f() -> Self {
                SchemaBuilder::new(SchemaType::$kind)
            }
        )*
    };
}

impl SchemaBuilder {
    pub fn new(kind: SchemaType) -> Self {
        SchemaBuilder {
            schema: Schema::new(kind),
            error: None,
        }
    }

    /// A builder that starts from an existing schema (e.g. to derive an optional copy).
    pub fn from_schema(schema: Schema) -> Self {
        SchemaBuilder {
            schema,
            error: None,
        }
    }

    builder_constructors! {
        int8 => Int8;
        int16 => Int16;
        int32 => Int32;
        int64 => Int64;
        float32 => Float32;
        float64 => Float64;
        boolean => Boolean;
        string => String;
        bytes => Bytes;
        /// A struct schema; add fields with [`SchemaBuilder::field`].
        struct_ => Struct;
    }

    pub fn array(element: impl Into<Arc<Schema>>) -> Self {
        SchemaBuilder::from_schema(Schema::array(element))
    }

    pub fn map(key: impl Into<Arc<Schema>>, value: impl Into<Arc<Schema>>) -> Self {
        SchemaBuilder::from_schema(Schema::map(key, value))
    }

    pub fn optional(mut self) -> Self {
        self.schema.optional = true;
        self
    }

    pub fn required(mut self) -> Self {
        self.schema.optional = false;
        self
    }

    /// The default value; `Value::Null` means no default. Checked against the schema in `build`.
    pub fn default_value(mut self, value: impl Into<Value>) -> Self {
        let value = value.into();
        self.schema.default = if value.is_null() { None } else { Some(value) };
        self
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.schema.name = Some(name.into());
        self
    }

    pub fn version(mut self, version: i32) -> Self {
        self.schema.version = Some(version);
        self
    }

    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.schema.doc = Some(doc.into());
        self
    }

    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.schema.parameters.insert(key.into(), value.into());
        self
    }

    pub fn parameters<K, V>(mut self, params: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        for (k, v) in params {
            self.schema.parameters.insert(k.into(), v.into());
        }
        self
    }

    /// Appends a field to a struct schema.
    pub fn field(mut self, name: impl Into<String>, schema: impl Into<Arc<Schema>>) -> Self {
        let name = name.into();
        if self.error.is_some() {
            return self;
        }
        if self.schema.kind != SchemaType::Struct {
            self.error = Some(format!("Cannot create fields on type {}", self.schema.kind));
        } else if name.is_empty() {
            self.error = Some("fieldName cannot be null.".to_string());
        } else if self.schema.field(&name).is_some() {
            self.error = Some(format!(
                "Cannot create field because of field name duplication {name}"
            ));
        } else {
            let index = self.schema.fields.len();
            self.schema.fields.push(Field::new(name, index, schema));
        }
        self
    }

    /// The schema built so far, unchecked.
    pub fn peek(&self) -> &Schema {
        &self.schema
    }

    /// The schema, or the first mistake made while building it.
    pub fn build(self) -> Result<Schema> {
        if let Some(e) = self.error {
            return Err(ConnectError::Data(e));
        }
        if let Some(default) = &self.schema.default {
            let checked = if matches!(default, Value::Struct(_)) {
                // A struct default was built with this schema before the default was set.
                let mut bare = self.schema.clone();
                bare.default = None;
                default.validate(&bare)
            } else {
                default.validate(&self.schema)
            };
            checked.map_err(|e| {
                ConnectError::Data(format!("Invalid default value: {}", strip_data_prefix(&e)))
            })?;
        }
        Ok(self.schema)
    }

    /// Like `build`, in an `Arc` as records and fields hold schemas.
    pub fn build_arc(self) -> Result<Arc<Schema>> {
        self.build().map(Arc::new)
    }
}

fn strip_data_prefix(e: &ConnectError) -> String {
    match e {
        ConnectError::Data(m) => m.clone(),
        other => other.to_string(),
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

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The physical type of this value; `None` for `Null`.
    pub fn schema_type(&self) -> Option<SchemaType> {
        Some(match self {
            Value::Null => return None,
            Value::Int8(_) => SchemaType::Int8,
            Value::Int16(_) => SchemaType::Int16,
            Value::Int32(_) => SchemaType::Int32,
            Value::Int64(_) => SchemaType::Int64,
            Value::Float32(_) => SchemaType::Float32,
            Value::Float64(_) => SchemaType::Float64,
            Value::Boolean(_) => SchemaType::Boolean,
            Value::String(_) => SchemaType::String,
            Value::Bytes(_) => SchemaType::Bytes,
            Value::Array(_) => SchemaType::Array,
            Value::Map(_) => SchemaType::Map,
            Value::Struct(_) => SchemaType::Struct,
        })
    }

    /// `NULL` or the physical type name, for messages.
    pub fn type_name(&self) -> &'static str {
        self.schema_type().map_or("NULL", SchemaType::name)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// Any integer value, widened to `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int8(v) => Some(i64::from(*v)),
            Value::Int16(v) => Some(i64::from(*v)),
            Value::Int32(v) => Some(i64::from(*v)),
            Value::Int64(v) => Some(*v),
            _ => None,
        }
    }

    /// Any numeric value as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float32(v) => Some(f64::from(*v)),
            Value::Float64(v) => Some(*v),
            other => other.as_i64().map(|i| i as f64),
        }
    }

    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Checks this value against `schema` as Kafka's `ConnectSchema.validateValue` does: the
    /// physical type must match, `Null` only where the schema is optional, array elements and map
    /// keys and values recursively, and a struct must carry an equal schema and be valid itself.
    pub fn validate(&self, schema: &Schema) -> Result<()> {
        validate_at(schema, self, &Location::Value)
    }
}

/// Where a value sits, for error messages in Kafka's words.
enum Location<'a> {
    Value,
    Field(&'a str),
    Element(&'a Location<'a>),
    Key(&'a Location<'a>),
    MapValue(&'a Location<'a>),
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Value => f.write_str("value"),
            Location::Field(name) => write!(f, "field: \"{name}\""),
            Location::Element(l) => write!(f, "element of array {l}"),
            Location::Key(l) => write!(f, "key of map {l}"),
            Location::MapValue(l) => write!(f, "value of map {l}"),
        }
    }
}

fn validate_at(schema: &Schema, value: &Value, location: &Location<'_>) -> Result<()> {
    let found = match value.schema_type() {
        None => {
            if schema.optional {
                return Ok(());
            }
            return Err(ConnectError::Data(format!(
                "Invalid value: null used for required {location}, schema type: {}",
                schema.kind
            )));
        }
        Some(t) => t,
    };
    if found != schema.kind {
        let name = match &schema.name {
            Some(n) => format!(" \"{n}\""),
            None => String::new(),
        };
        return Err(ConnectError::Data(format!(
            "Invalid value for schema{name} with type {}: {found} for {location}",
            schema.kind
        )));
    }
    match value {
        Value::Struct(s) => {
            if *s.schema.as_ref() != *schema {
                return Err(ConnectError::Data(
                    "Struct schemas do not match.".to_string(),
                ));
            }
            s.validate()
        }
        Value::Array(items) => {
            let loc = Location::Element(location);
            let elem = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| ConnectError::Data(format!("No schema defined for {loc}")))?;
            items.iter().try_for_each(|v| validate_at(elem, v, &loc))
        }
        Value::Map(entries) => {
            let key_loc = Location::Key(location);
            let value_loc = Location::MapValue(location);
            let key_schema = schema
                .key_schema
                .as_deref()
                .ok_or_else(|| ConnectError::Data(format!("No schema defined for {key_loc}")))?;
            let value_schema = schema
                .value_schema
                .as_deref()
                .ok_or_else(|| ConnectError::Data(format!("No schema defined for {value_loc}")))?;
            entries.iter().try_for_each(|(k, v)| {
                validate_at(key_schema, k, &key_loc)?;
                validate_at(value_schema, v, &value_loc)
            })
        }
        _ => Ok(()),
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),* $(,)?) => {
        $(
            impl From<$t> for Value {
                fn from(v: $t) -> Self {
                    Value::$variant(v)
                }
            }
        )*
    };
}

value_from! {
    i8 => Int8,
    i16 => Int16,
    i32 => Int32,
    i64 => Int64,
    f32 => Float32,
    f64 => Float64,
    bool => Boolean,
    String => String,
    Vec<u8> => Bytes,
    Vec<Value> => Array,
    Struct => Struct,
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_string())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A struct value: a schema and one value per field, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: Arc<Schema>,
    values: Vec<Value>,
}

impl Struct {
    /// An empty struct (every field `Null`) of a struct schema.
    pub fn new(schema: Arc<Schema>) -> Self {
        let values = vec![Value::Null; schema.fields.len()];
        Struct { schema, values }
    }

    /// A struct from one value per field, each checked against its field schema.
    pub fn from_values(schema: Arc<Schema>, values: Vec<Value>) -> Result<Self> {
        if schema.kind != SchemaType::Struct {
            return Err(ConnectError::Data(format!(
                "Not a struct schema: {}",
                schema.describe()
            )));
        }
        if values.len() != schema.fields.len() {
            return Err(ConnectError::Data(format!(
                "Struct has {} fields but {} values were given",
                schema.fields.len(),
                values.len()
            )));
        }
        for (field, value) in schema.fields.iter().zip(&values) {
            validate_at(&field.schema, value, &Location::Field(&field.name))?;
        }
        Ok(Struct { schema, values })
    }

    /// A struct from one value per field, trusting the caller that they fit (converters use this
    /// for values they built from the schema itself). Missing values are `Null`, extra ones dropped.
    pub fn from_values_unchecked(schema: Arc<Schema>, mut values: Vec<Value>) -> Self {
        values.resize(schema.fields.len(), Value::Null);
        Struct { schema, values }
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// The raw values, in field order (`Null` where unset; defaults not applied).
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The raw values, in field order.
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// A field's value; an unset field gives the field's default, if any, as in Kafka.
    /// `None` when there is no such field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        let f = self.schema.field(field)?;
        let v = self.values.get(f.index)?;
        if v.is_null() {
            if let Some(d) = &f.schema.default {
                return Some(d);
            }
        }
        Some(v)
    }

    /// A field's value as set, without falling back to the default.
    pub fn get_without_default(&self, field: &str) -> Option<&Value> {
        let f = self.schema.field(field)?;
        self.values.get(f.index)
    }

    /// Fields paired with their raw values, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (&Field, &Value)> {
        self.schema.fields.iter().zip(self.values.iter())
    }

    /// Sets a field after checking the value against the field's schema (type, `Null` only for an
    /// optional field, nested values); chains: `s.put("a", 1)?.put("b", "x")?;`.
    pub fn put(&mut self, field: &str, value: impl Into<Value>) -> Result<&mut Self> {
        let index = self
            .schema
            .field(field)
            .map(|f| f.index)
            .ok_or_else(|| ConnectError::Data(format!("{field} is not a valid field name")))?;
        self.put_index(index, value)
    }

    /// Like `put`, by field position.
    pub fn put_index(&mut self, index: usize, value: impl Into<Value>) -> Result<&mut Self> {
        let value = value.into();
        let field = self
            .schema
            .fields
            .get(index)
            .ok_or_else(|| ConnectError::Data(format!("no field at index {index}")))?;
        validate_at(&field.schema, &value, &Location::Field(&field.name))?;
        if let Some(slot) = self.values.get_mut(index) {
            *slot = value;
        }
        Ok(self)
    }

    /// Like `put`, by value: `Struct::new(s).with("a", 1)?.with("b", "x")?`.
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Result<Self> {
        self.put(field, value)?;
        Ok(self)
    }

    /// Checks that every field that is neither optional nor defaulted is set, and that every set
    /// value fits its field schema.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in self.iter() {
            if value.is_null() && (field.schema.optional || field.schema.default.is_some()) {
                continue;
            }
            validate_at(&field.schema, value, &Location::Field(&field.name))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Arc<Schema> {
        SchemaBuilder::struct_()
            .name("person")
            .field("id", Schema::int32())
            .field("name", Schema::optional_string())
            .field(
                "score",
                SchemaBuilder::int64().default_value(7i64).build().unwrap(),
            )
            .build_arc()
            .unwrap()
    }

    #[test]
    fn constructors_set_type_and_optionality() {
        assert_eq!(Schema::int8().kind, SchemaType::Int8);
        assert!(!Schema::int16().optional);
        assert!(Schema::optional_float64().optional);
        assert_eq!(Schema::optional_boolean().kind, SchemaType::Boolean);
        let a = Schema::array(Schema::string());
        assert_eq!(a.value_schema.as_deref(), Some(&Schema::string()));
        let m = Schema::map(Schema::string(), Schema::int64());
        assert_eq!(
            m.key_schema.as_deref().map(|s| s.kind),
            Some(SchemaType::String)
        );
        assert_eq!(
            m.value_schema.as_deref().map(|s| s.kind),
            Some(SchemaType::Int64)
        );
    }

    #[test]
    fn builder_sets_metadata() {
        let s = SchemaBuilder::string()
            .optional()
            .name("n")
            .version(3)
            .doc("d")
            .parameter("k", "v")
            .default_value("x")
            .build()
            .unwrap();
        assert!(s.optional);
        assert_eq!(s.name.as_deref(), Some("n"));
        assert_eq!(s.version, Some(3));
        assert_eq!(s.doc.as_deref(), Some("d"));
        assert_eq!(s.parameters.get("k").map(String::as_str), Some("v"));
        assert_eq!(s.default, Some(Value::String("x".into())));
    }

    #[test]
    fn builder_reports_mistakes() {
        let dup = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("a", Schema::int32())
            .build();
        assert!(dup.unwrap_err().to_string().contains("duplication"));
        let not_struct = SchemaBuilder::int32().field("a", Schema::int32()).build();
        assert!(not_struct.is_err());
        let bad_default = SchemaBuilder::int32().default_value("x").build();
        assert!(bad_default
            .unwrap_err()
            .to_string()
            .contains("Invalid default value"));
    }

    #[test]
    fn fields_are_indexed_in_order() {
        let s = person();
        let names: Vec<_> = s
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.index))
            .collect();
        assert_eq!(names, vec![("id", 0), ("name", 1), ("score", 2)]);
        assert_eq!(s.field("name").map(|f| f.index), Some(1));
        assert!(s.field("nope").is_none());
    }

    #[test]
    fn struct_put_validates() {
        let mut s = Struct::new(person());
        s.put("id", 1).unwrap().put("name", "a").unwrap();
        assert_eq!(s.get("id"), Some(&Value::Int32(1)));
        // wrong type
        let e = s.put("id", "one").unwrap_err().to_string();
        assert!(e.contains("INT32") && e.contains("STRING"), "{e}");
        // null into a required field
        let e = s.put("id", Value::Null).unwrap_err().to_string();
        assert!(e.contains("null used for required field: \"id\""), "{e}");
        // null into an optional field
        s.put("name", Value::Null).unwrap();
        // unknown field
        assert!(s.put("zzz", 1).is_err());
    }

    #[test]
    fn struct_validate_checks_required_fields() {
        let s = Struct::new(person());
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("\"id\""), "{e}");
        let s = s.with("id", 5).unwrap();
        s.validate().unwrap();
        // the defaulted field reads as its default
        assert_eq!(s.get("score"), Some(&Value::Int64(7)));
        assert_eq!(s.get_without_default("score"), Some(&Value::Null));
    }

    #[test]
    fn nested_values_are_validated() {
        let inner = person();
        let outer = SchemaBuilder::struct_()
            .field("p", inner.clone())
            .field("tags", Schema::array(Schema::string()))
            .field("m", Schema::map(Schema::string(), Schema::optional_int32()))
            .build_arc()
            .unwrap();
        let mut o = Struct::new(outer);
        // an invalid nested struct is rejected
        let e = o.put("p", Struct::new(inner.clone())).unwrap_err();
        assert!(e.to_string().contains("\"id\""));
        let p = Struct::new(inner).with("id", 1).unwrap();
        o.put("p", p).unwrap();
        // a struct of another schema is rejected
        let other = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .build_arc()
            .unwrap();
        let q = Struct::new(other).with("id", 1).unwrap();
        assert!(o.put("p", q).is_err());
        // array elements
        let bad = Value::Array(vec!["a".into(), Value::Int32(1)]);
        let e = o.put("tags", bad).unwrap_err().to_string();
        assert!(e.contains("element of array field: \"tags\""), "{e}");
        o.put("tags", vec![Value::from("a")]).unwrap();
        // map values may be null (optional), keys not
        o.put("m", Value::Map(vec![("k".into(), Value::Null)]))
            .unwrap();
        assert!(o
            .put("m", Value::Map(vec![(Value::Null, Value::Int32(1))]))
            .is_err());
        o.validate().unwrap();
    }

    #[test]
    fn value_validate_top_level() {
        assert!(Value::Null.validate(&Schema::optional_int32()).is_ok());
        assert!(Value::Null.validate(&Schema::int32()).is_err());
        assert!(Value::Int64(1).validate(&Schema::int32()).is_err());
        assert!(Value::Bytes(vec![1]).validate(&Schema::bytes()).is_ok());
    }

    #[test]
    fn schema_equality() {
        let a = person();
        let b = person();
        assert_eq!(*a, *b);
        let c = SchemaBuilder::from_schema((*a).clone())
            .optional()
            .build()
            .unwrap();
        assert_ne!(*a, c);
        assert_eq!(a.describe(), "Schema{person:STRUCT}");
    }

    #[test]
    fn value_accessors() {
        assert_eq!(Value::from(3i16).as_i64(), Some(3));
        assert_eq!(Value::from(1.5f32).as_f64(), Some(1.5));
        assert_eq!(Value::from("x").as_str(), Some("x"));
        assert_eq!(Value::from(None::<i32>), Value::Null);
        assert_eq!(Value::Null.type_name(), "NULL");
        assert_eq!(Value::from(true).type_name(), "BOOLEAN");
    }
}

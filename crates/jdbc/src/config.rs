//! The sink's configuration under either of the two names it answers to: Debezium's JDBC sink
//! (`connection.username`, `primary.key.mode`, `schema.evolution`, `collection.name.format`) and
//! Confluent's (`connection.user`, `pk.mode`, `auto.create`/`auto.evolve`, `table.name.format`),
//! each with its own defaults, parsed once into one typed [`SinkConfig`].

use std::time::Duration;

use ferry_api::config::{choice, ConfigProblem};
use ferry_api::{ConfigDef, ConfigType, ConnectError, Importance, Props, Result};

use crate::url::JdbcUrl;

/// Whose configuration keys and defaults a connector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `io.debezium.connector.jdbc.JdbcSinkConnector`: reads Debezium's change events natively.
    Debezium,
    /// `io.confluent.connect.jdbc.JdbcSinkConnector`: flat records only.
    Confluent,
}

/// `insert.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    Insert,
    Upsert,
    Update,
}

/// `primary.key.mode` / `pk.mode`: where a row's primary key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    None,
    /// The record's coordinates: `__connect_topic`, `__connect_partition`, `__connect_offset`.
    Kafka,
    RecordKey,
    RecordValue,
}

/// How identifiers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// Quoted as given, case kept.
    Always,
    /// As an unquoted identifier would be: PostgreSQL folds it to lower case. ferry still quotes
    /// the folded name, so that reserved words and odd characters cannot break a statement.
    Folded,
}

/// The configuration, checked and typed.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub flavor: Flavor,
    pub url: JdbcUrl,
    pub user: String,
    pub password: String,
    pub insert_mode: InsertMode,
    pub key_mode: KeyMode,
    pub key_fields: Vec<String>,
    pub delete_enabled: bool,
    pub truncate_enabled: bool,
    /// Missing tables are created (`schema.evolution=basic`, `auto.create`).
    pub auto_create: bool,
    /// Missing columns are added (`schema.evolution=basic`, `auto.evolve`).
    pub auto_evolve: bool,
    /// `collection.name.format` / `table.name.format`.
    pub table_format: String,
    pub batch_size: usize,
    pub quoting: Quoting,
    /// `errors.tolerance=all`: a record that cannot be written is skipped, not fatal.
    pub tolerate_all: bool,
    /// How long writes failing for want of a connection are tried again.
    pub retry_budget: Duration,
    /// The first pause between those tries (doubling, at most 10 s).
    pub retry_delay: Duration,
}

pub const URL: &str = "connection.url";
const DBZ_USER: &str = "connection.username";
const CFL_USER: &str = "connection.user";
const PASSWORD: &str = "connection.password";
const INSERT_MODE: &str = "insert.mode";
const DBZ_KEY_MODE: &str = "primary.key.mode";
const CFL_KEY_MODE: &str = "pk.mode";
const DBZ_KEY_FIELDS: &str = "primary.key.fields";
const CFL_KEY_FIELDS: &str = "pk.fields";
const DELETE_ENABLED: &str = "delete.enabled";
const TRUNCATE_ENABLED: &str = "truncate.enabled";
const SCHEMA_EVOLUTION: &str = "schema.evolution";
const AUTO_CREATE: &str = "auto.create";
const AUTO_EVOLVE: &str = "auto.evolve";
const COLLECTION_FORMAT: &str = "collection.name.format";
const TABLE_FORMAT: &str = "table.name.format";
const BATCH_SIZE: &str = "batch.size";
const REDUCTION_BUFFER: &str = "use.reduction.buffer";
const QUOTE_IDENTIFIERS: &str = "quote.identifiers";
const QUOTE_SQL_IDENTIFIERS: &str = "quote.sql.identifiers";
const FLUSH_MAX_RETRIES: &str = "flush.max.retries";
const FLUSH_RETRY_DELAY: &str = "flush.retry.delay.ms";
const MAX_RETRIES: &str = "max.retries";
const RETRY_BACKOFF: &str = "retry.backoff.ms";
const DBZ_TIME_ZONE: &str = "database.time_zone";
const CFL_TIME_ZONE: &str = "db.timezone";

/// Keys either sink accepts that ferry does not act on (yet): each is warned about when set.
const NOT_ACTED_ON: &[&str] = &[
    "field.include.list",
    "field.exclude.list",
    "fields.whitelist",
    "collection.naming.strategy",
    "table.naming.strategy",
    "column.naming.strategy",
    "dialect.postgres.postgis.schema",
    "dialect.sqlserver.identity.insert",
    "dialect.name",
    "table.types",
    "connection.provider",
    "connection.attempts",
    "connection.backoff.ms",
    "connection.pool.min_size",
    "connection.pool.max_size",
    "connection.pool.acquire_increment",
    "connection.pool.timeout",
    "connection.restart.on.errors",
    "sql.quote.identifiers",
];

/// Keys that every connector has, which the runtime reads.
fn is_common_key(key: &str) -> bool {
    const EXACT: &[&str] = &[
        "name",
        "connector.class",
        "tasks.max",
        "topics",
        "topics.regex",
        "key.converter",
        "value.converter",
        "header.converter",
        "transforms",
        "predicates",
        "config.action.reload",
        "task.class",
    ];
    const PREFIXES: &[&str] = &[
        "key.converter.",
        "value.converter.",
        "header.converter.",
        "transforms.",
        "predicates.",
        "errors.",
        "consumer.override.",
        "producer.override.",
        "admin.override.",
    ];
    EXACT.contains(&key) || PREFIXES.iter().any(|p| key.starts_with(p))
}

pub fn config_def(flavor: Flavor) -> ConfigDef {
    let def = ConfigDef::new().required(
        URL,
        ConfigType::String,
        Importance::High,
        "JDBC connection URL of the target database: jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db or jdbc:mariadb://host:port/db.",
    );
    match flavor {
        Flavor::Debezium => def
            .optional(DBZ_USER, ConfigType::String, None, Importance::High, "Name of the database user to connect as.")
            .optional(PASSWORD, ConfigType::Password, None, Importance::High, "Password of the database user.")
            .optional(INSERT_MODE, ConfigType::String, Some("insert"), Importance::High, "How rows are written: insert, upsert (insert or update by primary key) or update.")
            .optional(DBZ_KEY_MODE, ConfigType::String, Some("none"), Importance::High, "Where the primary key of the target table comes from: none, kafka, record_key or record_value.")
            .optional(DBZ_KEY_FIELDS, ConfigType::List, Some(""), Importance::Medium, "The fields that make up the primary key (with record_value, required; with record_key, a subset of the key's fields).")
            .optional(DELETE_ENABLED, ConfigType::Boolean, Some("false"), Importance::Medium, "Whether delete events and tombstones delete the row with that key; needs primary.key.mode=record_key.")
            .optional(TRUNCATE_ENABLED, ConfigType::Boolean, Some("false"), Importance::Medium, "Whether truncate events empty the table.")
            .optional(SCHEMA_EVOLUTION, ConfigType::String, Some("none"), Importance::Medium, "none: tables and columns must exist; basic: missing tables are created and missing columns added.")
            .optional(COLLECTION_FORMAT, ConfigType::String, Some("${topic}"), Importance::Medium, "The target table's name: ${topic} (dots become underscores), ${source.db}, ${source.schema}, ${source.table} and literal text.")
            .optional(BATCH_SIZE, ConfigType::Int, Some("500"), Importance::Medium, "How many records are gathered before they are written in one transaction.")
            .optional(REDUCTION_BUFFER, ConfigType::Boolean, Some("false"), Importance::Low, "Whether only the last change per primary key of a batch is written (ferry always does so when there is a key; the result is the same).")
            .optional(QUOTE_IDENTIFIERS, ConfigType::Boolean, Some("false"), Importance::Medium, "Whether table and column names are quoted (kept as written) rather than folded as the database folds unquoted names.")
            .optional(FLUSH_MAX_RETRIES, ConfigType::Int, Some("5"), Importance::Low, "How many times a write that failed for want of a connection is tried again.")
            .optional(FLUSH_RETRY_DELAY, ConfigType::Long, Some("1000"), Importance::Low, "The pause before such a write is tried again, in milliseconds.")
            .optional(DBZ_TIME_ZONE, ConfigType::String, Some("UTC"), Importance::Low, "Time zone of the session; ferry writes every time in UTC.")
            .optional(TABLE_FORMAT, ConfigType::String, None, Importance::Low, "The older name of collection.name.format."),
        Flavor::Confluent => def
            .optional(CFL_USER, ConfigType::String, None, Importance::High, "JDBC connection user.")
            .optional(PASSWORD, ConfigType::Password, None, Importance::High, "JDBC connection password.")
            .optional(INSERT_MODE, ConfigType::String, Some("insert"), Importance::High, "The insertion mode to use: insert, upsert or update.")
            .optional(CFL_KEY_MODE, ConfigType::String, Some("none"), Importance::High, "The primary key mode: none, kafka, record_key or record_value.")
            .optional(CFL_KEY_FIELDS, ConfigType::List, Some(""), Importance::Medium, "List of comma-separated primary key field names; its meaning depends on pk.mode.")
            .optional(DELETE_ENABLED, ConfigType::Boolean, Some("false"), Importance::Medium, "Whether to treat null record values as deletes. Requires pk.mode to be record_key.")
            .optional(AUTO_CREATE, ConfigType::Boolean, Some("false"), Importance::Medium, "Whether to automatically create the destination table based on record schema if it is found to be missing.")
            .optional(AUTO_EVOLVE, ConfigType::Boolean, Some("false"), Importance::Medium, "Whether to automatically add columns in the table schema when found to be missing relative to the record schema.")
            .optional(TABLE_FORMAT, ConfigType::String, Some("${topic}"), Importance::Medium, "A format string for the destination table name, which may contain ${topic}.")
            .optional(BATCH_SIZE, ConfigType::Int, Some("3000"), Importance::Medium, "Specifies how many records to attempt to batch together for insertion into the destination table.")
            .optional(QUOTE_SQL_IDENTIFIERS, ConfigType::String, Some("always"), Importance::Medium, "When to quote table names, column names, and other identifiers: always or never.")
            .optional(MAX_RETRIES, ConfigType::Int, Some("10"), Importance::Medium, "The maximum number of times to retry on errors before failing the task.")
            .optional(RETRY_BACKOFF, ConfigType::Int, Some("3000"), Importance::Medium, "The time in milliseconds to wait following an error before a retry attempt is made.")
            .optional(CFL_TIME_ZONE, ConfigType::String, Some("UTC"), Importance::Medium, "Name of the JDBC timezone; ferry writes every time in UTC."),
    }
}

fn problem(key: &str, value: &str, why: &str) -> ConfigProblem {
    ConfigProblem {
        key: key.to_string(),
        message: format!("Invalid value {value} for configuration {key}: {why}"),
    }
}

impl SinkConfig {
    /// The configuration, or every problem found, each on its key.
    pub fn check(
        flavor: Flavor,
        props: &Props,
    ) -> std::result::Result<SinkConfig, Vec<ConfigProblem>> {
        let parsed = config_def(flavor).parse(props)?;
        let text = |key: &str| parsed.string(key).unwrap_or_default().to_string();
        let flag = |key: &str| parsed.boolean(key).unwrap_or(false);
        let mut problems = Vec::new();
        let url = JdbcUrl::parse(&text(URL))
            .map_err(|e| {
                problems.push(ConfigProblem {
                    key: URL.into(),
                    message: e.to_string(),
                })
            })
            .ok();
        let (user_key, key_mode_key, key_fields_key) = match flavor {
            Flavor::Debezium => (DBZ_USER, DBZ_KEY_MODE, DBZ_KEY_FIELDS),
            Flavor::Confluent => (CFL_USER, CFL_KEY_MODE, CFL_KEY_FIELDS),
        };
        let insert_mode = choice(
            INSERT_MODE,
            &text(INSERT_MODE),
            &[
                ("insert", InsertMode::Insert),
                ("upsert", InsertMode::Upsert),
                ("update", InsertMode::Update),
            ],
        )
        .map_err(|p| problems.push(p))
        .ok();
        let key_mode = choice(
            key_mode_key,
            &text(key_mode_key),
            &[
                ("none", KeyMode::None),
                ("kafka", KeyMode::Kafka),
                ("record_key", KeyMode::RecordKey),
                ("record_value", KeyMode::RecordValue),
            ],
        )
        .map_err(|p| problems.push(p))
        .ok();
        let key_fields = parsed.list(key_fields_key);
        let delete_enabled = flag(DELETE_ENABLED);
        if delete_enabled && key_mode.is_some_and(|m| m != KeyMode::RecordKey) {
            problems.push(problem(
                DELETE_ENABLED,
                "true",
                &format!(
                    "deletes need {key_mode_key}=record_key, to know which row a delete names"
                ),
            ));
        }
        if key_mode == Some(KeyMode::None)
            && matches!(insert_mode, Some(InsertMode::Upsert | InsertMode::Update))
        {
            problems.push(problem(
                key_mode_key,
                "none",
                &format!("insert.mode={} needs a primary key: set {key_mode_key} to record_key, record_value or kafka", text(INSERT_MODE)),
            ));
        }
        if key_mode == Some(KeyMode::RecordValue)
            && key_fields.is_empty()
            && flavor == Flavor::Debezium
        {
            problems.push(problem(
                key_fields_key,
                "",
                &format!(
                    "{key_mode_key}=record_value needs the fields of the key in {key_fields_key}"
                ),
            ));
        }
        if key_mode == Some(KeyMode::Kafka) && !key_fields.is_empty() && key_fields.len() != 3 {
            problems.push(problem(
                key_fields_key,
                &key_fields.join(","),
                "with the kafka key mode, name three columns (topic, partition, offset) or none for __connect_topic, __connect_partition, __connect_offset",
            ));
        }
        let (auto_create, auto_evolve) = match flavor {
            Flavor::Debezium => {
                let evolution = choice(
                    SCHEMA_EVOLUTION,
                    &text(SCHEMA_EVOLUTION),
                    &[("none", false), ("basic", true)],
                )
                .map_err(|p| problems.push(p))
                .unwrap_or(false);
                (evolution, evolution)
            }
            Flavor::Confluent => (flag(AUTO_CREATE), flag(AUTO_EVOLVE)),
        };
        let table_format = match flavor {
            Flavor::Debezium => match props.get(COLLECTION_FORMAT) {
                Some(f) => f.clone(),
                None => props
                    .get(TABLE_FORMAT)
                    .cloned()
                    .unwrap_or_else(|| "${topic}".into()),
            },
            Flavor::Confluent => text(TABLE_FORMAT),
        };
        if table_format.trim().is_empty() {
            problems.push(problem(
                COLLECTION_FORMAT,
                "",
                "the table name format is empty",
            ));
        }
        let batch_size = parsed.int(BATCH_SIZE).unwrap_or(500);
        if batch_size < 1 {
            problems.push(problem(
                BATCH_SIZE,
                &batch_size.to_string(),
                "Value must be at least 1",
            ));
        }
        let quoting = match flavor {
            Flavor::Debezium if flag(QUOTE_IDENTIFIERS) => Quoting::Always,
            Flavor::Debezium => Quoting::Folded,
            Flavor::Confluent => choice(
                QUOTE_SQL_IDENTIFIERS,
                &text(QUOTE_SQL_IDENTIFIERS),
                &[("always", Quoting::Always), ("never", Quoting::Folded)],
            )
            .map_err(|p| problems.push(p))
            .unwrap_or(Quoting::Always),
        };
        let (retries, delay_ms) = match flavor {
            Flavor::Debezium => (
                parsed.int(FLUSH_MAX_RETRIES).unwrap_or(5),
                parsed.long(FLUSH_RETRY_DELAY).unwrap_or(1000),
            ),
            Flavor::Confluent => (
                parsed.int(MAX_RETRIES).unwrap_or(10),
                i64::from(parsed.int(RETRY_BACKOFF).unwrap_or(3000)),
            ),
        };
        // errors.retry.timeout, when longer, also bounds the retries (Kafka's key for it).
        let errors_timeout_ms = props
            .get("errors.retry.timeout")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0);
        let retry_budget_ms =
            (i64::from(retries.max(0)) * delay_ms.max(0)).max(if errors_timeout_ms < 0 {
                i64::MAX / 4
            } else {
                errors_timeout_ms
            });
        let url_user = url.as_ref().and_then(|u| u.properties.get("user").cloned());
        let url_password = url
            .as_ref()
            .and_then(|u| u.properties.get("password").cloned());
        if !problems.is_empty() {
            return Err(problems);
        }
        let (Some(url), Some(insert_mode), Some(key_mode)) = (url, insert_mode, key_mode) else {
            return Err(problems);
        };
        Ok(SinkConfig {
            flavor,
            url,
            user: parsed
                .string(user_key)
                .map(str::to_string)
                .or(url_user)
                .unwrap_or_default(),
            password: parsed
                .string(PASSWORD)
                .map(str::to_string)
                .or(url_password)
                .unwrap_or_default(),
            insert_mode,
            key_mode,
            key_fields,
            delete_enabled,
            truncate_enabled: flavor == Flavor::Debezium && flag(TRUNCATE_ENABLED),
            auto_create,
            auto_evolve,
            table_format,
            batch_size: batch_size.max(1) as usize,
            quoting,
            tolerate_all: props
                .get("errors.tolerance")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("all")),
            retry_budget: Duration::from_millis(retry_budget_ms.max(0) as u64),
            retry_delay: Duration::from_millis(delay_ms.clamp(10, 10_000) as u64),
        })
    }

    /// [`check`](Self::check) with its problems as one configuration error.
    pub fn parse(flavor: Flavor, props: &Props) -> Result<SinkConfig> {
        SinkConfig::check(flavor, props).map_err(|problems| {
            ConnectError::Config(
                problems
                    .into_iter()
                    .map(|p| p.message)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
    }

    /// The keys set that ferry accepts but does not act on, and keys it does not know at all.
    pub fn ignored_keys(flavor: Flavor, props: &Props) -> Vec<(String, &'static str)> {
        let def = config_def(flavor);
        let mut out = Vec::new();
        for key in props.keys() {
            if NOT_ACTED_ON.contains(&key.as_str()) || key.starts_with("hibernate.") {
                out.push((
                    key.clone(),
                    "accepted but not acted on by ferry's JDBC sink",
                ));
            } else if key == REDUCTION_BUFFER {
                // Acted on always: see its documentation.
            } else if def.key(key).is_none() && !is_common_key(key) {
                out.push((key.clone(), "not a key of this connector; it is ignored"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::config::props_of;

    #[test]
    fn debezium_defaults() {
        let c = SinkConfig::parse(
            Flavor::Debezium,
            &props_of(&[(URL, "jdbc:postgresql://h/db")]),
        )
        .expect("valid");
        assert_eq!(
            (c.insert_mode, c.key_mode, c.batch_size),
            (InsertMode::Insert, KeyMode::None, 500)
        );
        assert!(!c.auto_create && !c.delete_enabled);
        assert_eq!(c.table_format, "${topic}");
        assert_eq!(c.quoting, Quoting::Folded);
        assert_eq!(c.retry_budget, Duration::from_secs(5));
    }

    #[test]
    fn confluent_keys_and_defaults() {
        let c = SinkConfig::parse(
            Flavor::Confluent,
            &props_of(&[
                (URL, "jdbc:mysql://h:3306/db"),
                ("connection.user", "u"),
                ("pk.mode", "record_key"),
                ("auto.create", "true"),
                ("delete.enabled", "true"),
            ]),
        )
        .expect("valid");
        assert_eq!(
            (c.user.as_str(), c.batch_size, c.key_mode),
            ("u", 3000, KeyMode::RecordKey)
        );
        assert!(c.auto_create && !c.auto_evolve && c.delete_enabled);
        assert_eq!(c.quoting, Quoting::Always);
    }

    #[test]
    fn contradictions_are_refused_on_their_key() {
        let problems = SinkConfig::check(
            Flavor::Debezium,
            &props_of(&[
                (URL, "jdbc:postgresql://h/db"),
                ("insert.mode", "upsert"),
                ("delete.enabled", "true"),
                ("primary.key.mode", "none"),
            ]),
        )
        .expect_err("invalid");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert!(
            keys.contains(&"delete.enabled") && keys.contains(&"primary.key.mode"),
            "{keys:?}"
        );
        let problems = SinkConfig::check(
            Flavor::Debezium,
            &props_of(&[(URL, "jdbc:postgresql://h/db"), ("insert.mode", "merge")]),
        )
        .expect_err("invalid");
        assert!(
            problems[0].message.contains("insert, upsert, update"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn keys_not_acted_on_are_named() {
        let props = props_of(&[
            (URL, "jdbc:postgresql://h/db"),
            ("field.include.list", "a"),
            ("hibernate.c3p0.max_size", "3"),
            ("no.such.key", "x"),
            ("topics", "t"),
            ("errors.tolerance", "all"),
        ]);
        let keys: Vec<String> = SinkConfig::ignored_keys(Flavor::Debezium, &props)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "field.include.list",
                "hibernate.c3p0.max_size",
                "no.such.key"
            ]
        );
    }
}

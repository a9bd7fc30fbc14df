//! The connector's configuration, with Debezium's key names and defaults, parsed once into typed
//! values the snapshot and the binlog reader use.

use ferry_api::config::validators;
use ferry_api::{ConfigDef, ConfigType, ConnectError, Importance, ParsedConfig, Props, Result};

use std::collections::BTreeMap;

use regex::Regex;

use crate::filters::{self, Filters};
use crate::history::HistoryStore;

pub const HOSTNAME: &str = "database.hostname";
pub const PORT: &str = "database.port";
pub const USER: &str = "database.user";
pub const PASSWORD: &str = "database.password";
pub const SERVER_ID: &str = "database.server.id";
pub const TOPIC_PREFIX: &str = "topic.prefix";
pub const SNAPSHOT_MODE: &str = "snapshot.mode";
pub const TOMBSTONES_ON_DELETE: &str = "tombstones.on.delete";
pub const DECIMAL_HANDLING_MODE: &str = "decimal.handling.mode";
pub const TIME_PRECISION_MODE: &str = "time.precision.mode";
pub const BINARY_HANDLING_MODE: &str = "binary.handling.mode";
pub const BIGINT_UNSIGNED_HANDLING_MODE: &str = "bigint.unsigned.handling.mode";
pub const SNAPSHOT_FETCH_SIZE: &str = "snapshot.fetch.size";
pub const MAX_BATCH_SIZE: &str = "max.batch.size";
pub const HEARTBEAT_INTERVAL_MS: &str = "heartbeat.interval.ms";
pub const CONNECT_TIMEOUT_MS: &str = "connect.timeout.ms";
pub const HEARTBEAT_TOPICS_PREFIX: &str = "heartbeat.topics.prefix";
pub const HISTORY: &str = "schema.history.internal";
pub const HISTORY_BOOTSTRAP: &str = "schema.history.internal.kafka.bootstrap.servers";
pub const HISTORY_TOPIC: &str = "schema.history.internal.kafka.topic";
pub const HISTORY_CAPTURED_ONLY: &str = "schema.history.internal.store.only.captured.tables.ddl";
pub const INCLUDE_SCHEMA_CHANGES: &str = "include.schema.changes";
pub const INCONSISTENT_SCHEMA: &str = "inconsistent.schema.handling.mode";
pub const EVENT_FAILURE: &str = "event.processing.failure.handling.mode";
pub const SKIPPED_OPERATIONS: &str = "skipped.operations";
pub const MESSAGE_KEY_COLUMNS: &str = "message.key.columns";
pub const SNAPSHOT_SELECT_OVERRIDES: &str = "snapshot.select.statement.overrides";
pub const SNAPSHOT_INCLUDE: &str = "snapshot.include.collection.list";
pub const PROPAGATE_SOURCE_TYPE: &str = "column.propagate.source.type";

const KAFKA_HISTORY: &str = "io.debezium.storage.kafka.history.KafkaSchemaHistory";
const MEMORY_HISTORY: &str = "io.debezium.relational.history.MemorySchemaHistory";

/// The Debezium keys ferry accepts but does not act on yet; each is warned about when set.
pub const NOT_YET: &[&str] = &[
    "signal.data.collection",
    "snapshot.locking.mode",
    "incremental.snapshot.chunk.size",
    "provide.transaction.metadata",
    "include.query",
    "datatype.propagate.source.type",
    "database.ssl.mode",
    "gtid.source.includes",
    "gtid.source.excludes",
    "database.initial.statements",
    "enable.time.adjuster",
    "converters",
];

/// What the connector does at start (`snapshot.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// A snapshot when there is no offset, then the binlog.
    Initial,
    /// A snapshot when there is no offset, and nothing more.
    InitialOnly,
    /// The tables' structure only, then the binlog from the current position.
    NoData,
    /// A snapshot when there is no offset or the offset's binlog is gone.
    WhenNeeded,
    /// Never a snapshot: the binlog from where the offset says, or from the current position.
    Never,
    /// The tables' structure written anew to a lost or damaged schema history, then the binlog
    /// from the stored offset.
    Recovery,
}

/// What to do with a problem event: a row event of a captured table whose structure is unknown
/// (`inconsistent.schema.handling.mode`) or that cannot be decoded
/// (`event.processing.failure.handling.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    Fail,
    Warn,
    Skip,
}

impl SnapshotMode {
    fn parse(value: &str) -> Option<SnapshotMode> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "initial" => SnapshotMode::Initial,
            "initial_only" => SnapshotMode::InitialOnly,
            "no_data" | "schema_only" => SnapshotMode::NoData,
            "when_needed" => SnapshotMode::WhenNeeded,
            "never" => SnapshotMode::Never,
            "recovery" | "schema_only_recovery" => SnapshotMode::Recovery,
            _ => return None,
        })
    }

    /// Whether rows are read when the connector has no offset yet.
    pub fn reads_rows(self) -> bool {
        matches!(
            self,
            SnapshotMode::Initial | SnapshotMode::InitialOnly | SnapshotMode::WhenNeeded
        )
    }
}

/// `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMode {
    Precise,
    Double,
    String,
}

/// `time.precision.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePrecision {
    /// Debezium's types at the column's precision; TIME always in microseconds.
    AdaptiveTimeMicroseconds,
    /// Kafka Connect's Date, Time and Timestamp (milliseconds).
    Connect,
}

/// `binary.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryMode {
    Bytes,
    Base64,
    Base64UrlSafe,
    Hex,
}

/// `bigint.unsigned.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BigintUnsigned {
    /// `int64`: values above 2^63-1 wrap, as Debezium's do.
    Long,
    /// `Decimal` with scale 0.
    Precise,
}

/// How column types are represented in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeModes {
    pub decimal: DecimalMode,
    pub time: TimePrecision,
    pub binary: BinaryMode,
    pub bigint_unsigned: BigintUnsigned,
}

impl Default for TypeModes {
    fn default() -> Self {
        TypeModes {
            decimal: DecimalMode::Precise,
            time: TimePrecision::AdaptiveTimeMicroseconds,
            binary: BinaryMode::Bytes,
            bigint_unsigned: BigintUnsigned::Long,
        }
    }
}

/// `message.key.columns`: `DB.TABLE:COL,COL;DB.TABLE:COL`, each table a regular expression.
fn key_columns(list: &str) -> Result<Vec<(Regex, Vec<String>)>> {
    list.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let (table, columns) = entry.rsplit_once(':').ok_or_else(|| {
                bad(
                    MESSAGE_KEY_COLUMNS,
                    list,
                    &format!("{entry} is not of the form <table>:<column>,<column>"),
                )
            })?;
            let pattern = filters::patterns(MESSAGE_KEY_COLUMNS, table)?
                .into_iter()
                .next()
                .ok_or_else(|| bad(MESSAGE_KEY_COLUMNS, list, "a table pattern is empty"))?;
            let columns: Vec<String> = columns
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            Ok((pattern, columns))
        })
        .collect()
}

/// One of `options`, by its name in any case, or why not.
fn choice<T: Copy>(key: &str, value: &str, options: &[(&str, T)]) -> Result<T> {
    ferry_api::config::choice(key, value, options).map_err(|p| ConnectError::Config(p.message))
}

/// Which Debezium connector the configuration names; it decides the `source` block's schema name
/// and `connector` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    MySql,
    MariaDb,
}

impl Flavor {
    /// The `connector` field of the `source` block.
    pub fn connector_name(self) -> &'static str {
        match self {
            Flavor::MySql => "mysql",
            Flavor::MariaDb => "mariadb",
        }
    }

    /// The name of the `source` block's schema.
    pub fn source_schema_name(self) -> &'static str {
        match self {
            Flavor::MySql => "io.debezium.connector.mysql.Source",
            Flavor::MariaDb => "io.debezium.connector.mariadb.Source",
        }
    }
}

/// The configuration, checked and typed.
#[derive(Debug, Clone)]
pub struct MySqlConfig {
    pub flavor: Flavor,
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub server_id: u32,
    pub topic_prefix: String,
    pub snapshot_mode: SnapshotMode,
    pub tombstones_on_delete: bool,
    /// How column types are represented.
    pub types: TypeModes,
    pub filters: Filters,
    pub fetch_size: usize,
    pub max_batch: usize,
    pub heartbeat_interval_ms: u64,
    pub heartbeat_topics_prefix: String,
    pub connect_timeout_ms: u64,
    pub history: HistoryStore,
    /// `schema.history.internal.store.only.captured.tables.ddl`.
    pub history_captured_only: bool,
    pub include_schema_changes: bool,
    pub inconsistent_schema: Handling,
    /// `event.processing.failure.handling.mode`.
    pub event_failure: Handling,
    /// `skipped.operations`: the `op` codes (`c`, `u`, `d`, `t`) not sent.
    pub skipped_operations: Vec<char>,
    /// `message.key.columns`: for the tables a pattern matches, the columns of the events' keys.
    pub key_columns: Vec<(Regex, Vec<String>)>,
    /// `snapshot.select.statement.overrides`: the query reading a table (`DB.TABLE`) in a snapshot.
    pub snapshot_selects: BTreeMap<String, String>,
    /// `snapshot.include.collection.list`: the tables whose rows a snapshot reads (all captured
    /// tables when unset).
    pub snapshot_tables: Option<Vec<Regex>>,
    /// `column.propagate.source.type`: the columns (`DB.TABLE.COLUMN`) whose schemas carry
    /// their database type.
    pub source_type_columns: Vec<Regex>,
}

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            HOSTNAME,
            ConfigType::String,
            Importance::High,
            "Resolvable hostname or IP address of the database server.",
        )
        .validate_with(validators::non_empty_string())
        .optional(
            PORT,
            ConfigType::Int,
            Some("3306"),
            Importance::High,
            "Port of the database server.",
        )
        .required(
            USER,
            ConfigType::String,
            Importance::High,
            "Name of the database user to be used when connecting to the database.",
        )
        .optional(
            PASSWORD,
            ConfigType::Password,
            None,
            Importance::High,
            "Password of the database user to be used when connecting to the database.",
        )
        .required(
            SERVER_ID,
            ConfigType::Long,
            Importance::High,
            "A numeric ID of this database client, which must be unique across all currently-running database processes in the cluster.",
        )
        .validate_with(validators::at_least(1))
        .required(
            TOPIC_PREFIX,
            ConfigType::String,
            Importance::High,
            "Topic prefix that identifies and provides a namespace for the particular database server/cluster is capturing changes. The topic prefix should be unique across all other connectors, since it is used as a prefix for all Kafka topic names that receive events emitted by this connector. Only alphanumeric characters, hyphens, dots and underscores must be accepted.",
        )
        .validate_with(validators::non_empty_string())
        .optional(
            SNAPSHOT_MODE,
            ConfigType::String,
            Some("initial"),
            Importance::Low,
            "The criteria for running a snapshot upon startup of the connector. Select one of the following snapshot options: 'initial' (default), 'initial_only', 'no_data', 'when_needed', 'never', 'recovery'.",
        )
        .optional(
            TOMBSTONES_ON_DELETE,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether delete operations should be represented by a delete event and a subsequent tombstone event (true) or only by a delete event (false).",
        )
        .optional(
            DECIMAL_HANDLING_MODE,
            ConfigType::String,
            Some("precise"),
            Importance::Medium,
            "Specify how DECIMAL and NUMERIC columns should be represented in change events, including: 'precise' (the default) uses java.math.BigDecimal to represent values, which are encoded in the change events using a binary representation and Kafka Connect's 'org.apache.kafka.connect.data.Decimal' type; 'string' uses string to represent values; 'double' represents values using Java's 'double'.",
        )
        .optional(
            TIME_PRECISION_MODE,
            ConfigType::String,
            Some("adaptive_time_microseconds"),
            Importance::Medium,
            "Time, date and timestamps can be represented with different kinds of precisions, including: 'adaptive_time_microseconds': the precision of date and timestamp values is based the database column's precision; but time fields always use microseconds precision; 'connect': always represents time, date and timestamp values using Kafka Connect's built-in representations for Time, Date, and Timestamp, which uses millisecond precision regardless of the database columns' precision.",
        )
        .optional(
            BINARY_HANDLING_MODE,
            ConfigType::String,
            Some("bytes"),
            Importance::Low,
            "Specify how binary (blob, binary, etc.) columns should be represented in change events, including: 'bytes' represents binary data as byte array (default); 'base64' represents binary data as base64-encoded string; 'base64-url-safe' represents binary data as base64-url-safe-encoded string; 'hex' represents binary data as hex-encoded (base16) string",
        )
        .optional(
            BIGINT_UNSIGNED_HANDLING_MODE,
            ConfigType::String,
            Some("long"),
            Importance::Medium,
            "Specify how BIGINT UNSIGNED columns should be represented in change events, including: 'precise' uses java.math.BigDecimal to represent values, which are encoded in the change events using a binary representation and Kafka Connect's 'org.apache.kafka.connect.data.Decimal' type; 'long' (the default) represents values using Java's 'long', which may not offer the precision but will be far easier to use in consumers.",
        )
        .optional(
            "database.include.list",
            ConfigType::String,
            None,
            Importance::High,
            "The databases for which changes are to be captured",
        )
        .optional(
            "database.exclude.list",
            ConfigType::String,
            None,
            Importance::High,
            "A comma-separated list of regular expressions that match database names to be excluded from monitoring",
        )
        .optional(
            "table.include.list",
            ConfigType::String,
            None,
            Importance::High,
            "The tables for which changes are to be captured",
        )
        .optional(
            "table.exclude.list",
            ConfigType::String,
            None,
            Importance::Medium,
            "A comma-separated list of regular expressions that match the fully-qualified names of tables to be excluded from monitoring",
        )
        .optional(
            "column.include.list",
            ConfigType::String,
            None,
            Importance::Medium,
            "Regular expressions matching columns to include in change events",
        )
        .optional(
            "column.exclude.list",
            ConfigType::String,
            None,
            Importance::Medium,
            "Regular expressions matching columns to exclude from change events",
        )
        .optional(
            SNAPSHOT_FETCH_SIZE,
            ConfigType::Int,
            Some("10000"),
            Importance::Medium,
            "The maximum number of records that should be loaded into memory while performing a snapshot.",
        )
        .optional(
            MAX_BATCH_SIZE,
            ConfigType::Int,
            Some("2048"),
            Importance::Medium,
            "Maximum size of each batch of source records. Defaults to 2048.",
        )
        .validate_with(validators::at_least(1))
        .optional(
            HEARTBEAT_INTERVAL_MS,
            ConfigType::Int,
            Some("0"),
            Importance::Medium,
            "Length of an interval in milli-seconds in in which the connector periodically sends heartbeat messages to a heartbeat topic. Use 0 to disable heartbeat messages. Disabled by default.",
        )
        .optional(
            HEARTBEAT_TOPICS_PREFIX,
            ConfigType::String,
            Some("__debezium-heartbeat"),
            Importance::Low,
            "The prefix that is used to name heartbeat topics.Defaults to __debezium-heartbeat.",
        )
        .optional(
            HISTORY,
            ConfigType::String,
            Some(KAFKA_HISTORY),
            Importance::Low,
            "The name of the SchemaHistory class that should be used to store and recover database schema changes.",
        )
        .optional(
            HISTORY_BOOTSTRAP,
            ConfigType::String,
            None,
            Importance::High,
            "A list of host/port pairs that the connector will use for establishing the initial connection to the Kafka cluster for retrieving database schema history previously stored by the connector. This should point to the same Kafka cluster used by the Kafka Connect process.",
        )
        .optional(
            HISTORY_TOPIC,
            ConfigType::String,
            None,
            Importance::High,
            "The name of the topic for the database schema history",
        )
        .optional(
            HISTORY_CAPTURED_ONLY,
            ConfigType::Boolean,
            Some("false"),
            Importance::Low,
            "Controls what DDL will Debezium store in database schema history. By default (false) Debezium will store all incoming DDL statements. If set to true, then only DDL that manipulates a captured table will be stored.",
        )
        .optional(
            INCLUDE_SCHEMA_CHANGES,
            ConfigType::Boolean,
            Some("true"),
            Importance::Medium,
            "Whether the connector should publish changes in the database schema to a Kafka topic with the same name as the database server ID. Each schema change will be recorded using a key that contains the database name and whose value include logical description of the new schema and optionally the DDL statement(s). The default is 'true'. This is independent of how the connector internally records database schema history.",
        )
        .optional(
            INCONSISTENT_SCHEMA,
            ConfigType::String,
            Some("fail"),
            Importance::Medium,
            "Specify how binlog events that belong to a table missing from internal schema representation (i.e. internal representation is not consistent with database) should be handled, including: 'fail' (the default) an exception indicating the problematic event and its binlog position is raised, causing the connector to be stopped; 'warn' the problematic event and its binlog position will be logged and the event will be skipped; 'skip' the problematic event will be skipped.",
        )
        .optional(
            EVENT_FAILURE,
            ConfigType::String,
            Some("fail"),
            Importance::Medium,
            "Specify how failures during processing of events (i.e. when encountering a corrupted event) should be handled, including: 'fail' (the default) an exception indicating the problematic event and its position is raised, causing the connector to be stopped; 'warn' the problematic event and its position will be logged and the event will be skipped; 'skip' the problematic event will be skipped.",
        )
        .optional(
            SKIPPED_OPERATIONS,
            ConfigType::String,
            Some("t"),
            Importance::Low,
            "The comma-separated list of operations to skip during streaming, defined as: 'c' for inserts/create; 'u' for updates; 'd' for deletes, 't' for truncates, and 'none' to indicate nothing skipped. By default, only truncate operations will be skipped.",
        )
        .optional(
            MESSAGE_KEY_COLUMNS,
            ConfigType::String,
            None,
            Importance::Low,
            "A semicolon-separated list of expressions that match fully-qualified tables and column(s) to be used as message key. Each expression must match the pattern '<fully-qualified table name>:<key columns>', where the table names could be defined as (DB_NAME.TABLE_NAME) or (SCHEMA_NAME.TABLE_NAME), depending on the specific connector, and the key columns are a comma-separated list of columns representing the custom key. For any table without an explicit key configuration the table's primary key column(s) will be used as message key. Example: dbserver1.inventory.orderlines:orderId,orderLineId;dbserver1.inventory.orders:id",
        )
        .optional(
            SNAPSHOT_SELECT_OVERRIDES,
            ConfigType::String,
            None,
            Importance::Medium,
            "This property contains a comma-separated list of fully-qualified tables (DB_NAME.TABLE_NAME) or (SCHEMA_NAME.TABLE_NAME), depending on the specific connectors. Select statements for the individual tables are specified in further configuration properties, one for each table, identified by the id 'snapshot.select.statement.overrides.[DB_NAME].[TABLE_NAME]' or 'snapshot.select.statement.overrides.[SCHEMA_NAME].[TABLE_NAME]', respectively. The value of those properties is the select statement to use when retrieving data from the specific table during snapshotting. A possible use case for large append-only tables is setting a specific point where to start (resume) snapshotting, in case a previous snapshotting was interrupted.",
        )
        .optional(
            SNAPSHOT_INCLUDE,
            ConfigType::String,
            None,
            Importance::Medium,
            "This setting must be set to specify a list of tables/collections whose snapshot must be taken on creating or restarting the connector.",
        )
        .optional(
            PROPAGATE_SOURCE_TYPE,
            ConfigType::String,
            None,
            Importance::Low,
            "A comma-separated list of regular expressions matching fully-qualified names of columns that adds the columns original type and original length as parameters to the corresponding field schemas in the emitted change records.",
        )
        .optional(
            CONNECT_TIMEOUT_MS,
            ConfigType::Long,
            Some("30000"),
            Importance::Medium,
            "Maximum time to wait after trying to connect to the database before timing out, given in milliseconds. Defaults to 30 seconds (30,000 ms).",
        )
}

fn bad(key: &str, value: &str, why: &str) -> ConnectError {
    ConnectError::Config(format!(
        "Invalid value {value} for configuration {key}: {why}"
    ))
}

/// What is wrong with the schema history's keys, by key (for validation).
pub fn history_problems(props: &Props) -> Vec<ferry_api::config::ConfigProblem> {
    let class = props
        .get(HISTORY)
        .map(String::as_str)
        .unwrap_or(KAFKA_HISTORY);
    match history_store(props, class) {
        Ok(_) => Vec::new(),
        Err(e) => {
            let message = e.to_string();
            let key = [HISTORY_BOOTSTRAP, HISTORY_TOPIC]
                .into_iter()
                .find(|k| message.contains(k))
                .unwrap_or(HISTORY);
            vec![ferry_api::config::ConfigProblem {
                key: key.to_string(),
                message,
            }]
        }
    }
}

/// Where the schema history is kept: the Kafka topic (both keys required, as Debezium requires
/// them), or memory.
fn history_store(props: &Props, class: &str) -> Result<HistoryStore> {
    let class = class.trim();
    if class == MEMORY_HISTORY || class == "MemorySchemaHistory" {
        return Ok(HistoryStore::Memory);
    }
    if class != KAFKA_HISTORY && class != "KafkaSchemaHistory" {
        return Err(bad(
            HISTORY,
            class,
            &format!("ferry keeps the schema history in Kafka ({KAFKA_HISTORY}) or in memory ({MEMORY_HISTORY})"),
        ));
    }
    let required = |key: &str| {
        props
            .get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ConnectError::Config(format!(
                    "Missing required configuration \"{key}\" which has no default value: the schema history topic keeps the structure of the captured tables across restarts"
                ))
            })
    };
    let with_prefix = |prefix: &str| -> Props {
        props
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone())))
            .collect()
    };
    Ok(HistoryStore::Kafka {
        bootstrap: required(HISTORY_BOOTSTRAP)?,
        topic: required(HISTORY_TOPIC)?,
        producer: with_prefix("schema.history.internal.producer."),
        consumer: with_prefix("schema.history.internal.consumer."),
    })
}

impl MySqlConfig {
    /// The configuration of a connector of the given flavor, or why it cannot be used.
    pub fn parse(flavor: Flavor, props: &Props) -> Result<MySqlConfig> {
        let parsed: ParsedConfig = config_def().parse(props).map_err(|problems| {
            ConnectError::Config(
                problems
                    .into_iter()
                    .map(|p| p.message)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        let text = |key: &str| parsed.string(key).unwrap_or_default().to_string();
        let snapshot = text(SNAPSHOT_MODE);
        let snapshot_mode = SnapshotMode::parse(&snapshot).ok_or_else(|| {
            bad(
                SNAPSHOT_MODE,
                &snapshot,
                "The value must be one of initial, initial_only, no_data, when_needed, never, recovery",
            )
        })?;
        let types = TypeModes {
            decimal: choice(
                DECIMAL_HANDLING_MODE,
                &text(DECIMAL_HANDLING_MODE),
                &[
                    ("precise", DecimalMode::Precise),
                    ("double", DecimalMode::Double),
                    ("string", DecimalMode::String),
                ],
            )?,
            time: match text(TIME_PRECISION_MODE)
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "adaptive" => {
                    return Err(bad(
                        TIME_PRECISION_MODE,
                        "adaptive",
                        "The 'adaptive' time.precision.mode is no longer supported",
                    ))
                }
                other => choice(
                    TIME_PRECISION_MODE,
                    other,
                    &[
                        (
                            "adaptive_time_microseconds",
                            TimePrecision::AdaptiveTimeMicroseconds,
                        ),
                        ("connect", TimePrecision::Connect),
                    ],
                )?,
            },
            binary: choice(
                BINARY_HANDLING_MODE,
                &text(BINARY_HANDLING_MODE),
                &[
                    ("bytes", BinaryMode::Bytes),
                    ("base64", BinaryMode::Base64),
                    ("base64-url-safe", BinaryMode::Base64UrlSafe),
                    ("hex", BinaryMode::Hex),
                ],
            )?,
            bigint_unsigned: choice(
                BIGINT_UNSIGNED_HANDLING_MODE,
                &text(BIGINT_UNSIGNED_HANDLING_MODE),
                &[
                    ("long", BigintUnsigned::Long),
                    ("precise", BigintUnsigned::Precise),
                ],
            )?,
        };
        let port = parsed.int(PORT).unwrap_or(3306);
        let port =
            u16::try_from(port).map_err(|_| bad(PORT, &port.to_string(), "not a TCP port"))?;
        let server_id = parsed.long(SERVER_ID).unwrap_or(0);
        let server_id = u32::try_from(server_id).map_err(|_| {
            bad(
                SERVER_ID,
                &server_id.to_string(),
                "must be between 1 and 4294967295",
            )
        })?;
        let filters = Filters::from_config(props)?;
        let history = history_store(props, &text(HISTORY))?;
        let skipped = text(SKIPPED_OPERATIONS);
        let mut skipped_operations = Vec::new();
        for op in skipped.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            match op.to_ascii_lowercase().as_str() {
                "none" => {}
                "c" | "u" | "d" | "t" => skipped_operations.extend(op.to_ascii_lowercase().chars()),
                _ => {
                    return Err(bad(
                        SKIPPED_OPERATIONS,
                        &skipped,
                        "The value must be a list of c, u, d, t, or none",
                    ))
                }
            }
        }
        let key_columns = match props.get(MESSAGE_KEY_COLUMNS).map(|v| v.trim()) {
            Some(list) if !list.is_empty() => key_columns(list)?,
            _ => Vec::new(),
        };
        let snapshot_selects = match props.get(SNAPSHOT_SELECT_OVERRIDES) {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    let key = format!("{SNAPSHOT_SELECT_OVERRIDES}.{t}");
                    props
                        .get(&key)
                        .map(|select| (t.to_string(), select.clone()))
                        .ok_or_else(|| {
                            bad(
                                SNAPSHOT_SELECT_OVERRIDES,
                                list,
                                &format!("names {t}, but {key} is not set"),
                            )
                        })
                })
                .collect::<Result<_>>()?,
            None => BTreeMap::new(),
        };
        let snapshot_tables = match props.get(SNAPSHOT_INCLUDE).map(|v| v.trim()) {
            Some(list) if !list.is_empty() => Some(filters::patterns(SNAPSHOT_INCLUDE, list)?),
            _ => None,
        };
        let event_failure = choice(
            EVENT_FAILURE,
            &text(EVENT_FAILURE),
            &[
                ("fail", Handling::Fail),
                ("warn", Handling::Warn),
                ("skip", Handling::Skip),
                ("ignore", Handling::Skip),
            ],
        )?;
        let inconsistent_schema = choice(
            INCONSISTENT_SCHEMA,
            &text(INCONSISTENT_SCHEMA),
            &[
                ("fail", Handling::Fail),
                ("warn", Handling::Warn),
                ("skip", Handling::Skip),
                ("ignore", Handling::Skip),
            ],
        )?;
        Ok(MySqlConfig {
            flavor,
            hostname: text(HOSTNAME),
            port,
            user: text(USER),
            password: props.get(PASSWORD).cloned().unwrap_or_default(),
            server_id,
            topic_prefix: text(TOPIC_PREFIX),
            snapshot_mode,
            tombstones_on_delete: parsed.boolean(TOMBSTONES_ON_DELETE).unwrap_or(true),
            types,
            filters,
            fetch_size: parsed.int(SNAPSHOT_FETCH_SIZE).unwrap_or(10_000).max(1) as usize,
            max_batch: parsed.int(MAX_BATCH_SIZE).unwrap_or(2048).max(1) as usize,
            heartbeat_interval_ms: parsed.int(HEARTBEAT_INTERVAL_MS).unwrap_or(0).max(0) as u64,
            heartbeat_topics_prefix: text(HEARTBEAT_TOPICS_PREFIX),
            connect_timeout_ms: parsed.long(CONNECT_TIMEOUT_MS).unwrap_or(30_000).max(1) as u64,
            history,
            history_captured_only: parsed.boolean(HISTORY_CAPTURED_ONLY).unwrap_or(false),
            include_schema_changes: parsed.boolean(INCLUDE_SCHEMA_CHANGES).unwrap_or(true),
            inconsistent_schema,
            event_failure,
            skipped_operations,
            key_columns,
            snapshot_selects,
            snapshot_tables,
            source_type_columns: match props.get(PROPAGATE_SOURCE_TYPE).map(|v| v.trim()) {
                Some(list) if !list.is_empty() => filters::patterns(PROPAGATE_SOURCE_TYPE, list)?,
                _ => Vec::new(),
            },
        })
    }

    /// The keys set that ferry does not act on yet, for a warning.
    pub fn not_yet_acted_on(props: &Props) -> Vec<&'static str> {
        NOT_YET
            .iter()
            .copied()
            .filter(|k| props.contains_key(*k))
            .collect()
    }
}

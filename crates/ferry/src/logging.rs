//! Logging: to the console and to `$LOG_DIR/connect.log` (default `logs/`), rolled hourly.
//!
//! The level filter sits behind a reload handle so the REST API can change levels at run time.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, reload, EnvFilter, Registry};

use crate::rolling_log::HourlyFile;

pub type FilterHandle = reload::Handle<EnvFilter, Registry>;

/// Keeps the file writer alive; dropping it flushes the last lines.
pub struct Logging {
    _file_guard: Option<WorkerGuard>,
    pub filter: FilterHandle,
}

/// `RUST_LOG` if set, else `info`.
fn initial_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

pub fn init() -> Logging {
    let (filter, handle) = reload::Layer::new(initial_filter());
    let dir = PathBuf::from(std::env::var("LOG_DIR").unwrap_or_else(|_| "logs".into()));
    let (file_layer, guard) = match HourlyFile::open(dir.clone(), "connect.log") {
        Ok(file) => {
            let (writer, guard) = tracing_appender::non_blocking(file);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        Err(e) => {
            eprintln!(
                "cannot write logs to {}: {e}; logging to the console only",
                dir.join("connect.log").display()
            );
            (None, None)
        }
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .with_writer(std::io::stdout),
        )
        .with(file_layer)
        .init();
    Logging {
        _file_guard: guard,
        filter: handle,
    }
}

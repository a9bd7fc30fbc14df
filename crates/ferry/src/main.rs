//! `ferry`: a Kafka Connect worker.
//!
//! `ferry standalone WORKER.properties [CONNECTOR.properties ...]` runs a standalone worker, as
//! `connect-standalone.sh` does.

mod distributed;
mod logging;
mod plugins;
mod rolling_log;
mod standalone;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Records are small, short-lived allocations made and freed on different threads; mimalloc keeps
// that fast and keeps the resident set small where glibc's per-thread arenas grow.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ferry", version, about = "A Kafka Connect worker")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a standalone worker with the connectors given as properties files.
    Standalone {
        /// The worker configuration, e.g. config/connect-standalone.properties.
        worker: PathBuf,
        /// Connector configurations, one properties file each.
        connectors: Vec<PathBuf>,
    },
    /// Run a worker of a distributed cluster, as connect-distributed.sh does.
    Distributed {
        /// The worker configuration, e.g. config/connect-distributed.properties.
        worker: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let logging = logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Standalone { worker, connectors } => {
            runtime.block_on(standalone::run(worker, connectors, logging.filter.clone()))
        }
        Command::Distributed { worker } => {
            runtime.block_on(distributed::run(worker, logging.filter.clone()))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("ferry: {e:#}");
            ExitCode::FAILURE
        }
    }
}

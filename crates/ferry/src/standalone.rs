//! Wiring of a standalone worker: configuration, stores, worker, REST API, signals.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ferry_runtime::config::properties;
use ferry_runtime::config::worker::WorkerConfig;
use ferry_runtime::herder::standalone::StandaloneHerder;
use ferry_runtime::herder::Herder;
use ferry_runtime::kafka::TopicCreator;
use ferry_runtime::storage::connector_store::ConnectorStore;
use ferry_runtime::storage::offsets_file::FileOffsetStore;
use ferry_runtime::worker::{Worker, WorkerContext};
use tokio::signal::unix::{signal, SignalKind};

use crate::logging::{FilterHandle, LogLevels};

pub async fn run(
    worker_file: PathBuf,
    connector_files: Vec<PathBuf>,
    filter: FilterHandle,
) -> Result<()> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "ferry standalone worker starting"
    );
    let props = properties::load(&worker_file)?;
    let config = Arc::new(
        WorkerConfig::new(props).with_context(|| format!("in {}", worker_file.display()))?,
    );
    config.warn_about_ignored_keys();
    let connector_props = connector_files
        .iter()
        .map(|f| properties::load(f))
        .collect::<Result<Vec<_>, _>>()?;

    let offsets = Arc::new(FileOffsetStore::open(config.offset_file())?);
    let topics = Arc::new(
        TopicCreator::new(&config.client_props("admin."))
            .context("cannot create the Kafka admin client")?,
    );
    let worker_id = config.worker_id();
    let worker = Arc::new(Worker::new(WorkerContext {
        config: config.clone(),
        offsets,
        topics: topics.clone(),
        worker_id: worker_id.clone(),
    }));
    worker.follow_connector_requests();
    let plugins = Arc::new(crate::plugins::load(&config).await);
    let store = ConnectorStore::beside(Path::new(config.offset_file()));
    let herder = Arc::new(StandaloneHerder::new(worker, plugins, store));

    let listeners = ferry_rest::bind(&config.listeners).await?;
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let loggers = Arc::new(LogLevels::new(filter));
    let rest = tokio::spawn(ferry_rest::serve(
        listeners,
        herder.clone() as Arc<dyn Herder>,
        loggers,
        shutdown_rx,
    ));
    tracing::info!(
        worker_id,
        advertised = config.advertised_url(),
        "REST API ready"
    );

    let cluster_id_herder = herder.clone();
    tokio::spawn(async move {
        loop {
            if let Some(id) = topics.cluster_id().await {
                tracing::info!(
                    kafka_cluster_id = id,
                    bootstrap = config.bootstrap_servers(),
                    "connected to the Kafka cluster"
                );
                cluster_id_herder.set_cluster_id(id);
                break;
            }
            tracing::warn!(
                bootstrap = config.bootstrap_servers(),
                "cannot reach the Kafka cluster yet; retrying"
            );
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    });

    let restored = herder.restore().await?;
    if restored > 0 {
        tracing::info!(restored, "connectors kept by an earlier run are back");
    }
    for (file, props) in connector_files.iter().zip(connector_props) {
        if let Err(e) = herder.put_from_file(props).await {
            herder.stop().await;
            bail!("cannot create the connector of {}: {e}", file.display());
        }
    }
    herder.set_ready();

    wait_for_shutdown_signal().await?;
    tracing::info!("shutting down: stopping connectors, flushing data and committing offsets");
    herder.stop().await;
    let _ = shutdown_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), rest).await;
    tracing::info!("ferry stopped");
    Ok(())
}

pub async fn wait_for_shutdown_signal() -> Result<()> {
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::select! {
        _ = term.recv() => tracing::info!("received SIGTERM"),
        _ = int.recv() => tracing::info!("received SIGINT"),
    }
    Ok(())
}

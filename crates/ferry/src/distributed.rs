//! Wiring of a distributed worker: configuration, internal topics, group membership, REST API.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use ferry_runtime::config::properties;
use ferry_runtime::config::worker::WorkerConfig;
use ferry_runtime::distributed::herder::{DistributedHerder, InternalTopics};
use ferry_runtime::distributed::settings::DistributedSettings;
use ferry_runtime::herder::Herder;
use ferry_runtime::kafka::TopicCreator;
use ferry_runtime::storage::offset_store::KafkaOffsetStore;
use ferry_runtime::worker::{Worker, WorkerContext};

use crate::logging::{FilterHandle, LogLevels};
use crate::standalone::wait_for_shutdown_signal;

pub async fn run(worker_file: PathBuf, filter: FilterHandle) -> Result<()> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        "ferry distributed worker starting"
    );
    let props = properties::load(&worker_file)?;
    let config = Arc::new(
        WorkerConfig::new(props).with_context(|| format!("in {}", worker_file.display()))?,
    );
    let settings = DistributedSettings::new(&config)
        .with_context(|| format!("in {}", worker_file.display()))?;
    config.warn_about_ignored_keys();
    // Signals are heard from the start: a worker still waiting for its broker stops when asked.
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let signals = tokio::spawn(async move {
        let heard = wait_for_shutdown_signal().await;
        let _ = shutdown_tx.send(true);
        heard
    });
    let topics = loop {
        let Some(opened) =
            until_stopped(&shutdown_rx, InternalTopics::open(&config, &settings)).await
        else {
            return stopped_before_start();
        };
        match opened {
            Ok(t) => break t,
            Err(e) => {
                tracing::warn!("cannot open the internal topics yet, retrying: {e}");
                let pause = tokio::time::sleep(Duration::from_secs(3));
                if until_stopped(&shutdown_rx, pause).await.is_none() {
                    return stopped_before_start();
                }
            }
        }
    };
    let offsets = Arc::new(
        KafkaOffsetStore::new(&config, topics.offsets)
            .context("cannot create the offsets producer")?,
    );
    while let Err(e) = offsets.refresh().await {
        tracing::warn!("cannot read the offsets topic yet, retrying: {e}");
        let pause = tokio::time::sleep(Duration::from_secs(2));
        if until_stopped(&shutdown_rx, pause).await.is_none() {
            return stopped_before_start();
        }
    }
    let admin = Arc::new(
        TopicCreator::new(&config.client_props("admin."))
            .context("cannot create the Kafka admin client")?,
    );
    let worker_id = config.worker_id();
    let worker = Arc::new(Worker::new(WorkerContext {
        config: config.clone(),
        offsets: offsets.clone(),
        topics: admin.clone(),
        worker_id: worker_id.clone(),
    }));
    let plugins = Arc::new(crate::plugins::load(&config).await);
    let herder = Arc::new(DistributedHerder::new(
        worker,
        plugins,
        settings.clone(),
        topics.config,
        topics.status,
        offsets,
    ));

    let listeners = ferry_rest::bind(&config.listeners).await?;
    let loggers = Arc::new(LogLevels::new(filter));
    let rest = tokio::spawn(ferry_rest::serve(
        listeners,
        herder.clone() as Arc<dyn Herder>,
        loggers,
        shutdown_rx.clone(),
    ));
    tracing::info!(
        worker_id,
        group = settings.group_id,
        advertised = config.advertised_url(),
        "REST API ready"
    );

    let id_herder = herder.clone();
    tokio::spawn(async move {
        while !id_herder.ready() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if let Some(id) = admin.cluster_id().await {
            id_herder.set_cluster_id(id);
        }
    });

    let group = tokio::spawn(herder.clone().run(shutdown_rx));
    signals.await??;
    tracing::info!("shutting down: stopping connectors and tasks, leaving the group");
    let _ = tokio::time::timeout(Duration::from_secs(30), group).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), rest).await;
    tracing::info!("ferry stopped");
    Ok(())
}

/// `work`'s outcome, or `None` if a shutdown was asked for first.
async fn until_stopped<T>(
    shutdown: &tokio::sync::watch::Receiver<bool>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    let mut shutdown = shutdown.clone();
    tokio::select! {
        done = work => Some(done),
        _ = shutdown.wait_for(|stop| *stop) => None,
    }
}

fn stopped_before_start() -> Result<()> {
    tracing::info!("ferry stopped before it could start");
    Ok(())
}

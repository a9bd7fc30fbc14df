//! The standalone herder: one worker, connectors from the command line and the REST API, source
//! offsets in a file, and (unlike Kafka) connectors kept across restarts beside that file.

use std::collections::BTreeMap;

use std::sync::Arc;

use async_trait::async_trait;
use ferry_api::Props;
use tokio::sync::Mutex;

use crate::config::connector::{self, ValidConnectorConfig, NAME};
use crate::herder::offsets::{require_stopped, Offsets};
use crate::herder::{
    invalid_config, no_status, not_found, unknown_connector, unknown_connector_to_restart,
    with_name, ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, Created, Herder, HerderError,
    RestartRequest, ServerInfo, TargetState, TaskInfo, WorkerState,
};
use crate::plugins::Plugins;
use crate::storage::connector_store::{ConnectorStore, StoredConnector};
use crate::worker::Worker;

/// The Kafka version whose Connect REST API ferry follows.
pub const KAFKA_API_VERSION: &str = "4.4.0";

pub struct StandaloneHerder {
    worker: Arc<Worker>,
    plugins: Arc<Plugins>,
    store: ConnectorStore,
    /// What is persisted; its lock also serialises every change to connectors.
    stored: Mutex<BTreeMap<String, StoredConnector>>,
    state: WorkerState,
}

impl StandaloneHerder {
    pub fn new(
        worker: Arc<Worker>,
        plugins: Arc<Plugins>,
        store: ConnectorStore,
    ) -> StandaloneHerder {
        StandaloneHerder {
            worker,
            plugins,
            store,
            stored: Mutex::new(BTreeMap::new()),
            state: WorkerState::default(),
        }
    }

    pub fn set_cluster_id(&self, id: String) {
        self.state.set_cluster_id(id);
    }

    /// Start-up is over: `/health` answers healthy.
    pub fn set_ready(&self) {
        self.state.set_ready();
    }

    /// Starts the connectors a previous run kept. One that no longer validates is reported and skipped.
    pub async fn restore(
        &self,
    ) -> Result<usize, crate::storage::connector_store::ConnectorStoreError> {
        let saved = self.store.load()?;
        let mut stored = self.stored.lock().await;
        for (name, connector) in saved {
            match connector::validate(&self.plugins, &connector.config) {
                Ok(valid) => {
                    tracing::info!(connector = %name, state = ?connector.target_state, "restoring connector kept by an earlier run");
                    self.worker.restore_connector(valid, connector.target_state);
                    stored.insert(name, connector);
                }
                Err(problems) => tracing::error!(
                    connector = %name,
                    "a kept connector is no longer valid and is not started: {}",
                    problems.join("; ")
                ),
            }
        }
        Ok(stored.len())
    }

    /// Creates or replaces a connector from a properties file of the command line.
    pub async fn put_from_file(&self, config: Props) -> Result<ConnectorInfo, HerderError> {
        let name = config.get(NAME).cloned().ok_or_else(|| {
            HerderError::BadRequest("Connector config is missing the required \"name\" key".into())
        })?;
        if self.worker.config(&name).as_ref() == Some(&config) {
            // Kept from an earlier run with the same configuration: already running.
            return self.worker.info(&name).ok_or_else(|| not_found(&name));
        }
        Ok(self.put_connector_config(&name, config).await?.value)
    }

    pub async fn stop(&self) {
        self.worker.stop_all().await;
    }

    fn check(&self, props: &Props) -> Result<ValidConnectorConfig, HerderError> {
        connector::validate_on(&self.worker.context().config, &self.plugins, props)
            .map_err(|problems| invalid_config(&problems, props))
    }

    fn persist(&self, stored: &BTreeMap<String, StoredConnector>) -> Result<(), HerderError> {
        self.store
            .save(stored)
            .map_err(|e| HerderError::Internal(e.to_string()))
    }

    /// A fresh instance of a connector's plugin, to ask it about its offsets.
    /// The connector's offsets, if it exists.
    fn offsets_of<'a>(
        &'a self,
        name: &'a str,
        config: &'a Props,
    ) -> Result<Offsets<'a>, HerderError> {
        Ok(Offsets {
            name,
            kind: self.worker.kind(name).ok_or_else(|| not_found(name))?,
            config,
            store: self.worker.context().offsets.as_ref(),
            worker: &self.worker.context().config,
        })
    }
}

#[async_trait]
impl Herder for StandaloneHerder {
    fn server_info(&self) -> ServerInfo {
        self.state.server_info()
    }

    fn ready(&self) -> bool {
        self.state.ready()
    }

    async fn connectors(&self) -> Vec<String> {
        self.worker.connector_names()
    }

    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        self.worker.info(name).ok_or_else(|| not_found(name))
    }

    async fn connector_config(&self, name: &str) -> Result<Props, HerderError> {
        self.worker.config(name).ok_or_else(|| not_found(name))
    }

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        self.worker.status(name).ok_or_else(|| no_status(name))
    }

    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        self.worker.task_infos(name).ok_or_else(|| not_found(name))
    }

    async fn create_connector(
        &self,
        name: &str,
        config: Props,
        initial: TargetState,
    ) -> Result<ConnectorInfo, HerderError> {
        let config = with_name(name, config)?;
        let mut stored = self.stored.lock().await;
        if self.worker.contains(name) {
            return Err(HerderError::Conflict(format!(
                "Connector {name} already exists"
            )));
        }
        let valid = self.check(&config)?;
        self.worker.add_connector(valid, initial);
        stored.insert(
            name.to_string(),
            StoredConnector {
                config,
                target_state: initial,
            },
        );
        self.persist(&stored)?;
        self.worker.info(name).ok_or_else(|| not_found(name))
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
    ) -> Result<Created<ConnectorInfo>, HerderError> {
        let config = with_name(name, config)?;
        let mut stored = self.stored.lock().await;
        let valid = self.check(&config)?;
        let created = !self.worker.contains(name);
        let target = if created {
            self.worker.add_connector(valid, TargetState::Started);
            TargetState::Started
        } else {
            self.worker.reconfigure(valid).await;
            self.worker
                .target_state(name)
                .unwrap_or(TargetState::Started)
        };
        stored.insert(
            name.to_string(),
            StoredConnector {
                config,
                target_state: target,
            },
        );
        self.persist(&stored)?;
        let value = self.worker.info(name).ok_or_else(|| not_found(name))?;
        Ok(Created { created, value })
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError> {
        let mut config = self.worker.config(name).ok_or_else(|| not_found(name))?;
        for (key, value) in patch {
            match value {
                Some(v) => config.insert(key, v),
                None => config.remove(&key),
            };
        }
        Ok(self.put_connector_config(name, config).await?.value)
    }

    async fn delete_connector(&self, name: &str) -> Result<(), HerderError> {
        let mut stored = self.stored.lock().await;
        if !self.worker.contains(name) {
            return Err(not_found(name));
        }
        self.worker.remove_connector(name).await;
        stored.remove(name);
        self.persist(&stored)
    }

    async fn set_target_state(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        let mut stored = self.stored.lock().await;
        if !self.worker.contains(name) {
            return Err(unknown_connector(name));
        }
        self.worker.set_target(name, target).await;
        if let Some(s) = stored.get_mut(name) {
            s.target_state = target;
        }
        self.persist(&stored)
    }

    async fn restart_connector(
        &self,
        name: &str,
        request: RestartRequest,
    ) -> Result<ConnectorStateInfo, HerderError> {
        let _serialised = self.stored.lock().await;
        self.worker
            .restart(name, request)
            .await
            .ok_or_else(|| unknown_connector_to_restart(name))
    }

    async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError> {
        let _serialised = self.stored.lock().await;
        if !self.worker.contains(name) {
            return Err(unknown_connector_to_restart(name));
        }
        if self.worker.restart_task(name, task).await {
            Ok(())
        } else {
            // Kafka's standalone worker words it so (its distributed one says "Unknown task").
            Err(HerderError::NotFound(format!(
                "Task {name}-{task} not found"
            )))
        }
    }

    async fn offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        let config = self.worker.config(name).unwrap_or_default();
        self.offsets_of(name, &config)?.read()
    }

    async fn alter_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<String, HerderError> {
        let _serialised = self.stored.lock().await;
        let config = self.worker.config(name).unwrap_or_default();
        let target = self.offsets_of(name, &config)?;
        require_stopped(
            name,
            self.worker
                .target_state(name)
                .unwrap_or(TargetState::Started),
        )?;
        target.alter_checked(self.plugins.connector_for(&config)?.as_ref(), offsets)
    }

    async fn reset_offsets(&self, name: &str) -> Result<String, HerderError> {
        let _serialised = self.stored.lock().await;
        let config = self.worker.config(name).unwrap_or_default();
        let target = self.offsets_of(name, &config)?;
        require_stopped(
            name,
            self.worker
                .target_state(name)
                .unwrap_or(TargetState::Started),
        )?;
        target
            .reset_checked(self.plugins.connector_for(&config)?.as_ref())
            .await
    }

    async fn fence_zombies(&self, _name: &str) -> Result<(), HerderError> {
        Err(HerderError::Internal(
            "Kafka Connect in standalone mode does not support exactly-once source connectors."
                .into(),
        ))
    }

    async fn active_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        Ok(self
            .worker
            .active_topics(name)
            .ok_or_else(|| not_found(name))?
            .list())
    }

    async fn reset_active_topics(&self, name: &str) -> Result<(), HerderError> {
        self.worker
            .active_topics(name)
            .ok_or_else(|| not_found(name))?
            .clear();
        Ok(())
    }

    fn plugins(&self) -> &Plugins {
        &self.plugins
    }
}

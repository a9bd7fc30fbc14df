//! A Java connector, run by the plugin host on its own connection: ferry's `Connector` calls
//! become requests, and the connector's context calls come back as events.

use std::sync::Arc;

use ferry_api::config::ConfigProblem;
use ferry_api::{
    ConfigDef, ConnectError, Connector, ConnectorContext, ConnectorKind, OffsetMap, Props, Result,
    Task,
};
use serde_json::{json, Value};

use crate::calls::blocking;
use crate::config_def;
use crate::running_connector::RunningConnector;
use crate::sink_task::JavaSinkTask;
use crate::source_task::JavaSourceTask;
use crate::wire::msg;
use crate::worker_host::{WorkerHost, CONFIG_CALL_TIMEOUT};

/// Which Java plugin: its class and version, and where it runs.
#[derive(Clone)]
pub struct JavaPluginRef {
    pub host: Arc<WorkerHost>,
    pub class: String,
    pub version: String,
    pub kind: ConnectorKind,
}

impl JavaPluginRef {
    /// The version range that pins this plugin, for the host's loader.
    pub fn version_range(&self) -> Option<String> {
        (self.version != "undefined").then(|| format!("[{}]", self.version))
    }
}

pub struct JavaConnector {
    plugin: JavaPluginRef,
    context: Option<ConnectorContext>,
    running: Option<Arc<RunningConnector>>,
}

impl JavaConnector {
    pub fn new(plugin: JavaPluginRef) -> JavaConnector {
        JavaConnector {
            plugin,
            context: None,
            running: None,
        }
    }

    fn running(&self) -> Result<&Arc<RunningConnector>> {
        self.running
            .as_ref()
            .ok_or_else(|| ConnectError::Other("the Java connector is not started".into()))
    }
}

impl Connector for JavaConnector {
    fn initialize(&mut self, context: ConnectorContext) {
        self.context = Some(context);
    }

    fn kind(&self) -> ConnectorKind {
        self.plugin.kind
    }

    fn version(&self) -> String {
        self.plugin.version.clone()
    }

    fn config_def(&self) -> ConfigDef {
        let range = self.plugin.version_range();
        match blocking(|| {
            self.plugin
                .host
                .describe(&self.plugin.class, range.as_deref())
        }) {
            Ok(answer) => config_def::from_describe(&answer),
            Err(e) => {
                tracing::warn!(
                    class = %self.plugin.class,
                    error = %e,
                    "the plugin host could not describe this Java connector's configuration; \
                     only the common keys are checked"
                );
                ConfigDef::new()
            }
        }
    }

    fn validate(&self, props: &Props) -> Vec<ConfigProblem> {
        let question = json!({
            "class": self.plugin.class,
            "version": self.plugin.version_range(),
            "config": props,
        });
        match blocking(|| self.plugin.host.ask(msg::VALIDATE, question)) {
            Ok(answer) => config_def::problems_from_validate(&answer),
            Err(e) => vec![ConfigProblem {
                key: "connector.class".into(),
                message: format!("the Java connector could not validate this configuration: {e}"),
            }],
        }
    }

    /// Kafka refuses to create a connector whose `validate` reports problems; so does ferry,
    /// with the Java connector's own checks.
    fn check_config(&self, props: &Props) -> Vec<ConfigProblem> {
        self.validate(props)
    }

    fn start(&mut self, props: &Props) -> Result<()> {
        let plugin = self.plugin.clone();
        let context = self.context.clone();
        self.running = Some(blocking(|| {
            RunningConnector::start(plugin, props, context)
        })?);
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Props>> {
        let running = self.running()?;
        let body = json!({ "max_tasks": max_tasks }).to_string().into_bytes();
        let reply = blocking(|| running.call(msg::TASK_CONFIGS, &body))?;
        #[derive(serde::Deserialize)]
        struct Tasks {
            tasks: Vec<Props>,
        }
        let tasks: Tasks = serde_json::from_slice(&reply).map_err(|e| {
            ConnectError::Other(format!(
                "the plugin host's task configurations are unreadable: {e}"
            ))
        })?;
        let task_class = running.task_class();
        Ok(tasks
            .tasks
            .into_iter()
            .map(|mut config| {
                if let Some(class) = &task_class {
                    config.insert("task.class".into(), class.clone());
                }
                config
            })
            .collect())
    }

    fn stop(&mut self) -> Result<()> {
        match self.running.take() {
            Some(running) => Ok(blocking(|| running.stop())?),
            None => Ok(()),
        }
    }

    /// Kafka asks a stopped connector's class whether it takes offsets a user alters: a fresh
    /// instance in the host answers (`alterOffsets`), and its exception refuses the request.
    fn alter_offsets(
        &self,
        config: &Props,
        offsets: &[(OffsetMap, Option<OffsetMap>)],
    ) -> Result<bool> {
        let mut config = config.clone();
        // the jar this plugin is, whatever the stored configuration pins
        if let Some(range) = self.plugin.version_range() {
            config.insert("connector.plugin.version".into(), range);
        }
        let offsets: Vec<Value> = offsets
            .iter()
            .map(|(partition, offset)| json!({ "partition": partition, "offset": offset }))
            .collect();
        let host = &self.plugin.host;
        let body = host.first_message(json!({
            "class": self.plugin.class,
            "version": self.plugin.version_range(),
            "config": config,
            "offsets": offsets,
        }));
        let reply = blocking(|| {
            let lane = host.lane("alter-offsets", Arc::new(crate::lane::NoQuestions))?;
            lane.call_last(msg::ALTER_OFFSETS, &body, Some(CONFIG_CALL_TIMEOUT))
        })?;
        let reply: Value = serde_json::from_slice(&reply).unwrap_or(Value::Null);
        Ok(reply
            .get("altered")
            .and_then(Value::as_bool)
            .unwrap_or(false))
    }

    fn create_task(&self) -> Task {
        self.create_task_for(&Props::new(), 0)
    }

    fn create_task_for(&self, connector_config: &Props, task_id: u32) -> Task {
        let plugin = self.plugin.clone();
        match plugin.kind {
            ConnectorKind::Source => Task::Source(Box::new(JavaSourceTask::new(
                plugin,
                connector_config.clone(),
                task_id,
            ))),
            ConnectorKind::Sink => Task::Sink(Box::new(JavaSinkTask::new(
                plugin,
                connector_config.clone(),
                task_id,
            ))),
        }
    }
}

//! A Java connector, run by the plugin host on its own connection: ferry's `Connector` calls
//! become requests, and the connector's context calls come back as events.

use std::sync::Arc;
use std::time::Duration;

use ferry_api::config::ConfigProblem;
use ferry_api::{
    ConfigDef, ConnectError, Connector, ConnectorContext, ConnectorKind, OffsetMap, Props, Result,
    Task,
};
use serde_json::{json, Value};

use crate::calls::blocking;
use crate::config_def;
use crate::error::{HostError, JavaError};
use crate::lane::{Lane, LaneHandler};
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
    lane: Option<Lane>,
    task_class: Option<String>,
}

impl JavaConnector {
    pub fn new(plugin: JavaPluginRef) -> JavaConnector {
        JavaConnector {
            plugin,
            context: None,
            lane: None,
            task_class: None,
        }
    }

    fn lane(&self) -> Result<&Lane> {
        self.lane
            .as_ref()
            .ok_or_else(|| ConnectError::Other("the Java connector is not started".into()))
    }
}

/// The connector context's calls, sent by the host as events on the connector's connection.
struct ContextEvents {
    context: Option<ConnectorContext>,
}

impl LaneHandler for ContextEvents {
    fn event(&self, ty: u16, body: &[u8]) {
        let Some(context) = &self.context else {
            return;
        };
        match ty {
            msg::REQUEST_TASK_RECONFIGURATION => context.request_task_reconfiguration(),
            msg::RAISE_ERROR => {
                let error = serde_json::from_slice::<JavaError>(body)
                    .map(|e| HostError::Java(e).into())
                    .unwrap_or_else(|_| {
                        ConnectError::Other(String::from_utf8_lossy(body).into_owned())
                    });
                context.raise_error(error);
            }
            other => tracing::warn!(ty = other, "unknown event from a Java connector; ignored"),
        }
    }

    /// A connector whose host died cannot go on: it fails, with the host's end as the trace.
    fn lost(&self, why: String) {
        if let Some(context) = &self.context {
            context.raise_error(ConnectError::Other(why));
        }
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

    fn start(&mut self, props: &Props) -> Result<()> {
        let name = props.get("name").cloned().unwrap_or_default();
        let handler = Arc::new(ContextEvents {
            context: self.context.clone(),
        });
        let host = &self.plugin.host;
        let body = host.first_message(json!({
            "name": name,
            "class": self.plugin.class,
            "version": self.plugin.version_range(),
            "config": props,
        }));
        let lane = blocking(|| host.lane(&format!("connector-{name}"), handler))?;
        let reply = blocking(|| lane.call(msg::START_CONNECTOR, &body, Some(CONFIG_CALL_TIMEOUT)))?;
        let reply: Value = serde_json::from_slice(&reply).unwrap_or(Value::Null);
        self.task_class = reply
            .get("task_class")
            .and_then(Value::as_str)
            .map(str::to_string);
        tracing::info!(
            connector = %name,
            class = %self.plugin.class,
            version = %self.plugin.version,
            "started the Java connector in the plugin host"
        );
        self.lane = Some(lane);
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Props>> {
        let lane = self.lane()?;
        let body = json!({ "max_tasks": max_tasks }).to_string().into_bytes();
        let reply = blocking(|| lane.call(msg::TASK_CONFIGS, &body, Some(CONFIG_CALL_TIMEOUT)))?;
        #[derive(serde::Deserialize)]
        struct Tasks {
            tasks: Vec<Props>,
        }
        let tasks: Tasks = serde_json::from_slice(&reply).map_err(|e| {
            ConnectError::Other(format!(
                "the plugin host's task configurations are unreadable: {e}"
            ))
        })?;
        Ok(tasks
            .tasks
            .into_iter()
            .map(|mut config| {
                if let Some(class) = &self.task_class {
                    config.insert("task.class".into(), class.clone());
                }
                config
            })
            .collect())
    }

    fn stop(&mut self) -> Result<()> {
        let Some(lane) = self.lane.take() else {
            return Ok(());
        };
        let stopped =
            blocking(|| lane.call_last(msg::STOP_CONNECTOR, &[], Some(Duration::from_secs(30))));
        stopped.map(|_| ()).map_err(ConnectError::from)
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

//! A started Java connector: its connection to the host, the context calls that come back on it,
//! and a start again on a new host when the host died of something other than this connector.

use std::sync::{Arc, Mutex, Weak};

use ferry_api::{ConnectError, ConnectorContext, Props};
use serde_json::{json, Value};

use crate::connector::JavaPluginRef;
use crate::error::{HostError, JavaError};
use crate::lane::{Lane, LaneHandler};
use crate::wire::msg;
use crate::worker_host::CONFIG_CALL_TIMEOUT;

pub struct RunningConnector {
    plugin: JavaPluginRef,
    name: String,
    props: Props,
    context: Option<ConnectorContext>,
    lane: Mutex<Option<Arc<Lane>>>,
    task_class: Mutex<Option<String>>,
}

impl RunningConnector {
    /// Starts the connector in the host (blocking).
    pub fn start(
        plugin: JavaPluginRef,
        props: &Props,
        context: Option<ConnectorContext>,
    ) -> Result<Arc<RunningConnector>, HostError> {
        let connector = Arc::new(RunningConnector {
            plugin,
            name: props.get("name").cloned().unwrap_or_default(),
            props: props.clone(),
            context,
            lane: Mutex::new(None),
            task_class: Mutex::new(None),
        });
        connector.open()?;
        Ok(connector)
    }

    fn open(self: &Arc<Self>) -> Result<(), HostError> {
        let host = &self.plugin.host;
        let handler = Arc::new(ContextEvents {
            connector: Arc::downgrade(self),
        });
        let lane = host.lane(&format!("connector-{}", self.name), handler)?;
        let body = host.first_message(json!({
            "name": self.name,
            "class": self.plugin.class,
            "version": self.plugin.version_range(),
            "config": self.props,
        }));
        let reply = lane.call(msg::START_CONNECTOR, &body, Some(CONFIG_CALL_TIMEOUT))?;
        let reply: Value = serde_json::from_slice(&reply).unwrap_or(Value::Null);
        *self.task_class.lock().unwrap_or_else(|p| p.into_inner()) = reply
            .get("task_class")
            .and_then(Value::as_str)
            .map(str::to_string);
        *self.lane.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(lane));
        tracing::info!(
            connector = %self.name,
            class = %self.plugin.class,
            version = %self.plugin.version,
            "started the Java connector in the plugin host"
        );
        Ok(())
    }

    pub fn task_class(&self) -> Option<String> {
        self.task_class
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A call on the connector's connection (blocking).
    pub fn call(&self, ty: u16, body: &[u8]) -> Result<Vec<u8>, HostError> {
        let lane = self
            .lane
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| {
                HostError::Host(format!("the Java connector {} is not running", self.name))
            })?;
        lane.call(ty, body, Some(CONFIG_CALL_TIMEOUT))
    }

    /// `StopConnector`, the connection's last call (blocking).
    pub fn stop(&self) -> Result<(), HostError> {
        let lane = self.lane.lock().unwrap_or_else(|p| p.into_inner()).take();
        match lane {
            Some(lane) => lane
                .call_last(
                    msg::STOP_CONNECTOR,
                    &[],
                    Some(std::time::Duration::from_secs(30)),
                )
                .map(|_| ()),
            None => Ok(()),
        }
    }

    fn raise_error(&self, error: ConnectError) {
        if let Some(context) = &self.context {
            context.raise_error(error);
        }
    }

    /// The host died under the connector: it starts again on a new one unless its own code
    /// brought the host down (or the host keeps dying), else it fails with the host's end.
    fn host_lost(self: Arc<Self>, why: HostError) {
        let HostError::HostDied(end) = why else {
            self.raise_error(why.into());
            return;
        };
        let spawned = std::thread::Builder::new()
            .name(format!("java-restart-{}", self.name))
            .spawn(move || self.recover(end));
        if let Err(e) = spawned {
            tracing::error!("cannot start a thread to restart a Java connector: {e}");
        }
    }

    /// Starts the connector again on a new host unless its own code brought the host down or
    /// the host keeps dying; a new host dying while the connector starts counts as one more death.
    fn recover(self: Arc<Self>, mut end: crate::host::HostEnd) {
        loop {
            if !self.plugin.host.may_recover(&end, &self.name) {
                self.raise_error(HostError::HostDied(end).into());
                return;
            }
            tracing::warn!(
                connector = %self.name,
                "{}; this connector did not cause it and starts again on a new plugin host",
                end.text.lines().next().unwrap_or_default()
            );
            match self.open() {
                Ok(()) => return,
                Err(HostError::HostDied(again)) => end = again,
                Err(e) => {
                    self.raise_error(e.into());
                    return;
                }
            }
        }
    }
}

/// The connector context's calls, sent by the host as events on the connector's connection.
struct ContextEvents {
    connector: Weak<RunningConnector>,
}

impl LaneHandler for ContextEvents {
    fn event(&self, ty: u16, body: &[u8]) {
        let Some(connector) = self.connector.upgrade() else {
            return;
        };
        let Some(context) = &connector.context else {
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

    fn lost(&self, why: HostError) {
        if let Some(connector) = self.connector.upgrade() {
            connector.host_lost(why);
        }
    }
}

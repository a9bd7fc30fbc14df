//! The runtime's side of a connector's [`ConnectorContext`]: what connectors ask for (new task
//! configurations, or to fail) is noted here and acted on by the herder between its steps, never
//! inside the connector's call.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use ferry_api::{ConnectError, ConnectorContext, ConnectorRequests};
use tokio::sync::Notify;

#[derive(Default)]
struct Pending {
    reconfigure: BTreeSet<String>,
    failures: Vec<(String, ConnectError)>,
}

/// Requests of every connector of a worker, until the herder takes them.
#[derive(Default)]
pub struct ConnectorRequestLog {
    pending: Mutex<Pending>,
    arrived: Notify,
}

/// What the herder takes from the log.
pub struct Requests {
    /// Connectors that asked to be asked for their task configurations again.
    pub reconfigure: BTreeSet<String>,
    /// Connectors that failed on their own, with why.
    pub failures: Vec<(String, ConnectError)>,
}

impl ConnectorRequestLog {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The context handed to the connector `name`.
    pub fn context_for(self: &Arc<Self>, name: &str) -> ConnectorContext {
        ConnectorContext::new(Arc::new(ForConnector {
            name: name.to_string(),
            log: Arc::clone(self),
        }))
    }

    pub fn take(&self) -> Requests {
        let pending = std::mem::take(&mut *self.pending());
        Requests {
            reconfigure: pending.reconfigure,
            failures: pending.failures,
        }
    }

    /// Returns once a request arrived since the last call (at once if one is waiting).
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }
}

struct ForConnector {
    name: String,
    log: Arc<ConnectorRequestLog>,
}

impl ConnectorRequests for ForConnector {
    fn request_task_reconfiguration(&self) {
        self.log.pending().reconfigure.insert(self.name.clone());
        self.log.arrived.notify_one();
    }

    fn raise_error(&self, error: ConnectError) {
        self.log.pending().failures.push((self.name.clone(), error));
        self.log.arrived.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_wait_for_the_herder_and_wake_it() {
        let log = Arc::new(ConnectorRequestLog::default());
        let context = log.context_for("c1");
        context.request_task_reconfiguration();
        context.request_task_reconfiguration();
        context.raise_error(ConnectError::Other("the source is gone".into()));
        // Already notified: returns at once.
        tokio::time::timeout(std::time::Duration::from_secs(1), log.arrived())
            .await
            .expect("woken");
        let taken = log.take();
        assert_eq!(taken.reconfigure, BTreeSet::from(["c1".to_string()]));
        assert_eq!(taken.failures.len(), 1);
        assert_eq!(taken.failures[0].0, "c1");
        assert!(log.take().reconfigure.is_empty());
    }
}

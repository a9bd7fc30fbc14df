//! Heartbeats to the group coordinator on their own tokio task, as Kafka's heartbeat thread
//! does: a worker busy starting tasks or waiting on a slow broker must not miss its session
//! timeout and be thrown out of the group for it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;

use super::membership::{Beat, GroupError, GroupMember};

/// Why the stable phase of a generation ended.
#[derive(Debug)]
pub enum Interruption {
    Beat(Beat),
    Lost(GroupError),
}

/// The heartbeat task of one generation.
pub struct Heartbeats {
    stop: watch::Sender<bool>,
    outcome: watch::Receiver<Option<Arc<Interruption>>>,
    task: JoinHandle<()>,
}

impl Heartbeats {
    /// Starts beating every `interval` until something other than `Beat::Stable` comes back.
    pub fn start(member: Arc<Mutex<GroupMember>>, interval: Duration) -> Heartbeats {
        let (stop, mut stop_rx) = watch::channel(false);
        let (outcome_tx, outcome) = watch::channel(None);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = stop_rx.changed() => return,
                }
                // Not cancelled mid-request: a half-read answer would spoil the connection.
                let beat = member.lock().await.heartbeat().await;
                let interruption = match beat {
                    Ok(Beat::Stable) => continue,
                    Ok(Beat::Rebalance) => {
                        // Beating on while the worker finishes what it was doing and rejoins:
                        // a heartbeat during a rebalance still keeps the session alive, as
                        // Kafka's heartbeat thread relies on. Stopping here would get a worker
                        // busy for a session timeout (a slow leader answering it) thrown out.
                        if outcome_tx.borrow().is_none() {
                            let rebalance = Interruption::Beat(Beat::Rebalance);
                            let _ = outcome_tx.send(Some(Arc::new(rebalance)));
                        }
                        continue;
                    }
                    Ok(other) => Interruption::Beat(other),
                    Err(e) => Interruption::Lost(e),
                };
                let _ = outcome_tx.send(Some(Arc::new(interruption)));
                return;
            }
        });
        Heartbeats {
            stop,
            outcome,
            task,
        }
    }

    /// Waits until the heartbeats report an interruption.
    pub async fn interrupted(&mut self) -> Arc<Interruption> {
        loop {
            if let Some(i) = self.outcome.borrow_and_update().clone() {
                return i;
            }
            if self.outcome.changed().await.is_err() {
                // The task ended without a word: it was stopped.
                return Arc::new(Interruption::Beat(Beat::Rebalance));
            }
        }
    }

    /// Stops the task, letting a heartbeat in flight finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

//! Calling the host from ferry's code: sync trait methods block their thread in a way tokio
//! tolerates; async ones hand the blocking call to tokio's blocking pool.

use std::sync::Arc;
use std::time::Duration;

use crate::error::HostError;
use crate::lane::Lane;

/// Runs a blocking call from a synchronous method that may be called on a tokio worker thread.
pub fn blocking<T>(call: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(call)
        }
        _ => call(),
    }
}

/// A call on a lane, awaited without holding a tokio worker thread.
pub async fn call(
    lane: &Arc<Lane>,
    ty: u16,
    body: Vec<u8>,
    timeout: Option<Duration>,
) -> Result<Vec<u8>, HostError> {
    let lane = lane.clone();
    run(move || lane.call(ty, &body, timeout)).await
}

/// Any blocking work on the host, awaited.
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, HostError> + Send + 'static,
) -> Result<T, HostError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HostError::Host(format!("a call to the plugin host did not finish: {e}")))?
}

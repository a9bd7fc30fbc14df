//! The Kafka Connect REST API. Handlers are thin: every answer comes from the `Herder`.

mod console;
mod error;
mod forward;
pub mod loggers;
mod metrics;
mod metrics_tasks;
mod progress;
mod routes;

pub use error::ApiError;
pub use loggers::{LoggerLevel, Loggers, LoggersError};
pub use routes::router;

use std::sync::Arc;

use ferry_runtime::config::worker::Listener;
use ferry_runtime::herder::Herder;
use tokio::net::TcpListener;

/// Binds every listener; fails if one cannot be bound, so start-up can report it.
pub async fn bind(listeners: &[Listener]) -> std::io::Result<Vec<TcpListener>> {
    let mut bound = Vec::new();
    for l in listeners {
        let addr = format!("{}:{}", l.bind_host(), l.port);
        let listener = TcpListener::bind(&addr).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {addr} for the REST API: {e}"),
            )
        })?;
        tracing::info!("REST API listening on http://{}", listener.local_addr()?);
        bound.push(listener);
    }
    Ok(bound)
}

/// Serves the API on every bound listener until `shutdown` resolves.
pub async fn serve(
    listeners: Vec<TcpListener>,
    herder: Arc<dyn Herder>,
    loggers: Arc<dyn Loggers>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let app = router(herder, loggers);
    let mut servers = tokio::task::JoinSet::new();
    for listener in listeners {
        let app = app.clone();
        let mut stop = shutdown.clone();
        servers.spawn(async move {
            let graceful = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(graceful)
                .await
            {
                tracing::error!("REST server stopped: {e}");
            }
        });
    }
    while servers.join_next().await.is_some() {}
}

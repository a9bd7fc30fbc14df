//! Paths, methods and JSON shapes of the Kafka Connect 3.9 REST API.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use ferry_api::Props;
use ferry_runtime::herder::{
    ConnectorInfo, ConnectorStateInfo, Herder, PluginInfo, ServerInfo, TaskInfo,
};

use crate::error::ApiError;

type AppState = Arc<dyn Herder>;
type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn router(herder: Arc<dyn Herder>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/connectors", get(list_connectors))
        .route("/connectors/{name}", get(connector_info))
        .route("/connectors/{name}/config", get(connector_config))
        .route("/connectors/{name}/status", get(connector_status))
        .route("/connectors/{name}/tasks", get(task_configs))
        .route("/connector-plugins", get(connector_plugins))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(herder)
}

async fn root(State(h): State<AppState>) -> Json<ServerInfo> {
    Json(h.server_info())
}

async fn list_connectors(State(h): State<AppState>) -> Json<Vec<String>> {
    Json(h.connectors().await)
}

async fn connector_info(
    State(h): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<ConnectorInfo> {
    Ok(Json(h.connector_info(&name).await?))
}

async fn connector_config(State(h): State<AppState>, Path(name): Path<String>) -> ApiResult<Props> {
    Ok(Json(h.connector_config(&name).await?))
}

async fn connector_status(
    State(h): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<ConnectorStateInfo> {
    Ok(Json(h.connector_status(&name).await?))
}

async fn task_configs(
    State(h): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Vec<TaskInfo>> {
    Ok(Json(h.task_configs(&name).await?))
}

async fn connector_plugins(State(h): State<AppState>) -> Json<Vec<PluginInfo>> {
    Json(h.connector_plugins())
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "HTTP 405 Method Not Allowed",
    )
}

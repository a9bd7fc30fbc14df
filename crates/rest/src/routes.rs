//! Paths, methods, query parameters and JSON shapes of the Kafka Connect 3.9 REST API.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use ferry_api::Props;
use ferry_runtime::distributed::session_key;
use ferry_runtime::herder::{
    ConnectorOffsets, ConnectorStateInfo, Herder, HerderError, InitialState, InternalSignature,
    RestartRequest, TargetState, TaskState,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value as JsonValue};

use crate::error::ApiError;
use crate::loggers::{Loggers, LoggersError};

#[derive(Clone)]
pub struct AppState {
    pub herder: Arc<dyn Herder>,
    pub loggers: Arc<dyn Loggers>,
}

type ApiResult<T = Response> = Result<T, ApiError>;

pub fn router(herder: Arc<dyn Herder>, loggers: Arc<dyn Loggers>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/workers", get(group_workers))
        .route("/connectors", get(list_connectors).post(create_connector))
        .route(
            "/connectors/{name}",
            get(connector_info).delete(delete_connector),
        )
        .route(
            "/connectors/{name}/config",
            get(connector_config).put(put_config).patch(patch_config),
        )
        .route("/connectors/{name}/status", get(connector_status))
        .route(
            "/connectors/{name}/tasks",
            get(task_configs).post(put_task_configs),
        )
        .route("/connectors/{name}/tasks-config", get(tasks_config))
        .route("/connectors/{name}/tasks/{task}/status", get(task_status))
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(restart_task),
        )
        .route("/connectors/{name}/restart", post(restart_connector))
        .route("/connectors/{name}/pause", put(pause))
        .route("/connectors/{name}/resume", put(resume))
        .route("/connectors/{name}/stop", put(stop))
        .route("/connectors/{name}/fence", put(fence))
        .route(
            "/connectors/{name}/offsets",
            get(offsets).patch(alter_offsets).delete(reset_offsets),
        )
        .route("/connectors/{name}/topics", get(active_topics))
        .route("/connectors/{name}/topics/reset", put(reset_topics))
        .route("/connector-plugins", get(connector_plugins))
        .route("/connector-plugins/{plugin}/config", get(plugin_config))
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(validate_config),
        )
        .route("/admin/loggers", get(list_loggers))
        .route("/admin/loggers/{logger}", get(get_logger).put(set_logger))
        .merge(crate::console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(
            crate::forward::forward_when_asked,
        ))
        .with_state(AppState { herder, loggers })
}

/// A JSON request body. Any content type is accepted, as curl users often send none; a body that
/// is not the expected JSON is a 400 with the parser's reason.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        serde_json::from_slice(&bytes).map(Body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("Cannot parse the request body as JSON: {e}"),
            )
        })
    }
}

/// Connector configs arrive as JSON objects; Kafka accepts numbers and booleans as values and
/// treats them as their text.
fn props_from_json(map: BTreeMap<String, JsonValue>) -> Result<Props, ApiError> {
    map.into_iter()
        .filter_map(|(k, v)| match v {
            JsonValue::Null => None,
            JsonValue::String(s) => Some(Ok((k, s))),
            JsonValue::Number(n) => Some(Ok((k, n.to_string()))),
            JsonValue::Bool(b) => Some(Ok((k, b.to_string()))),
            other => Some(Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("The value of configuration {k} must be a string, not {other}"),
            ))),
        })
        .collect()
}

/// The values of one query parameter (which may repeat, as `expand` does).
fn query_values(query: &Option<String>, key: &str) -> Vec<String> {
    query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
        .collect()
}

/// A boolean query parameter as Kafka reads it (`Boolean.parseBoolean`): `true` in any case is
/// true, anything else false.
fn query_flag(query: &Option<String>, key: &str) -> bool {
    query_values(query, key)
        .last()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// A task id in a path; anything but a number matches no resource, as in Kafka.
fn task_number(raw: &str) -> Result<u32, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "HTTP 404 Not Found"))
}

/// The version of a connector's plugin, which Kafka 4 shows beside every state of a connector or
/// task that was started (KIP-891). ferry has one version of each plugin: the one it runs.
async fn plugin_version(s: &AppState, name: &str) -> Option<String> {
    let config = s.herder.connector_config(name).await.ok()?;
    let plugin = s.herder.plugins().connector_of(&config)?;
    Some(plugin.version.to_string())
}

/// A state as JSON, with the plugin version when the state is one a started plugin reports.
fn state_json(state: impl serde::Serialize, version: Option<&str>) -> JsonValue {
    let mut value = json!(state);
    if let (Some(object), Some(version)) = (value.as_object_mut(), version) {
        if object.get("state").and_then(JsonValue::as_str) != Some("UNASSIGNED") {
            object.insert("version".into(), json!(version));
        }
    }
    value
}

/// Whether a status answer carries each task's progress (`?progress=true`, a ferry extension),
/// and whether only from this worker (a request another worker sent on, marked
/// `forward=false`, is never passed further).
#[derive(Clone, Copy)]
struct Progress {
    wanted: bool,
    local_only: bool,
}

impl Progress {
    const NONE: Progress = Progress {
        wanted: false,
        local_only: true,
    };

    fn of(query: &Option<String>) -> Progress {
        Progress {
            wanted: query_flag(query, "progress"),
            local_only: query_values(query, "forward").iter().any(|v| v == "false"),
        }
    }
}

/// `GET /connectors/{name}/status` and the other answers carrying it.
async fn status_json(s: &AppState, status: ConnectorStateInfo, progress: Progress) -> JsonValue {
    let version = plugin_version(s, &status.name).await;
    let version = version.as_deref();
    let mut tasks: Vec<JsonValue> = status
        .tasks
        .iter()
        .map(|t: &TaskState| state_json(t, version))
        .collect();
    if progress.wanted {
        crate::progress::attach(&status.name, &status.tasks, &mut tasks, progress.local_only).await;
    }
    json!({
        "name": status.name,
        "connector": state_json(&status.connector, version),
        "tasks": tasks,
        "type": status.kind,
    })
}

async fn root(State(s): State<AppState>) -> Response {
    Json(s.herder.server_info()).into_response()
}

async fn health(State(s): State<AppState>) -> Response {
    if s.herder.ready() {
        let body = json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."});
        (StatusCode::OK, Json(body)).into_response()
    } else {
        let body = json!({"status": "starting", "message": "Worker is still starting up."});
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

/// `GET /workers` (a ferry extension): the group's workers and what each runs; a standalone
/// worker has no group to describe.
async fn group_workers(State(s): State<AppState>) -> ApiResult {
    match s.herder.workers().await? {
        Some(workers) => Ok(Json(workers).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "a standalone worker has no group of workers: GET /workers answers in distributed mode",
        )),
    }
}

async fn list_connectors(State(s): State<AppState>, RawQuery(query): RawQuery) -> ApiResult {
    let expand = query_values(&query, "expand");
    let progress = Progress::of(&query);
    let names = s.herder.connectors().await;
    if expand.is_empty() {
        return Ok(Json(names).into_response());
    }
    // Progress of tasks on other workers comes afterwards, one request per worker for all of
    // its tasks, rather than one per task.
    let here_first = Progress {
        local_only: true,
        ..progress
    };
    let mut out = serde_json::Map::new();
    for name in names {
        let mut entry = serde_json::Map::new();
        if expand.iter().any(|e| e == "status") {
            if let Ok(status) = s.herder.connector_status(&name).await {
                entry.insert("status".into(), status_json(&s, status, here_first).await);
            }
        }
        if expand.iter().any(|e| e == "info") {
            if let Ok(info) = s.herder.connector_info(&name).await {
                entry.insert("info".into(), json!(info));
            }
        }
        out.insert(name, JsonValue::Object(entry));
    }
    if progress.wanted && !progress.local_only {
        crate::progress::attach_from_other_workers(&mut out).await;
    }
    Ok(Json(out).into_response())
}

#[derive(Deserialize)]
struct CreateConnectorRequest {
    name: Option<String>,
    #[serde(default)]
    config: Option<BTreeMap<String, JsonValue>>,
    initial_state: Option<InitialState>,
}

async fn create_connector(
    State(s): State<AppState>,
    Body(req): Body<CreateConnectorRequest>,
) -> ApiResult {
    let config = props_from_json(req.config.unwrap_or_default())?;
    let name = req
        .name
        .or_else(|| config.get("name").cloned())
        .map(|n| n.trim().to_string())
        .unwrap_or_default();
    let initial = req
        .initial_state
        .map(TargetState::from)
        .unwrap_or(TargetState::Started);
    let info = s.herder.create_connector(&name, config, initial).await?;
    let location = format!("/connectors/{}", info.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(info),
    )
        .into_response())
}

async fn connector_info(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.herder.connector_info(&name).await?).into_response())
}

async fn delete_connector(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    s.herder.delete_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn connector_config(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.herder.connector_config(&name).await?).into_response())
}

async fn put_config(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Body(config): Body<BTreeMap<String, JsonValue>>,
) -> ApiResult {
    let result = s
        .herder
        .put_connector_config(&name, props_from_json(config)?)
        .await?;
    let status = if result.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(result.value)).into_response())
}

async fn patch_config(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Body(patch): Body<BTreeMap<String, JsonValue>>,
) -> ApiResult {
    let mut changes = BTreeMap::new();
    for (key, value) in patch {
        let value = match value {
            JsonValue::Null => None,
            other => props_from_json(BTreeMap::from([(key.clone(), other)]))?.remove(&key),
        };
        changes.insert(key, value);
    }
    Ok(Json(s.herder.patch_connector_config(&name, changes).await?).into_response())
}

async fn connector_status(
    State(s): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let status = s.herder.connector_status(&name).await?;
    Ok(Json(status_json(&s, status, Progress::of(&query)).await).into_response())
}

async fn task_configs(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.herder.task_configs(&name).await?).into_response())
}

/// Internal: a worker hands the leader the task configurations of a connector it runs.
async fn put_task_configs(
    State(s): State<AppState>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let signature = InternalSignature {
        signature: header(session_key::SIGNATURE_HEADER),
        algorithm: header(session_key::ALGORITHM_HEADER),
    };
    s.herder.put_task_configs(&name, &body, signature).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn tasks_config(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let tasks = s.herder.task_configs(&name).await?;
    let by_id: BTreeMap<String, Props> = tasks
        .into_iter()
        .map(|t| (format!("{}-{}", t.id.connector, t.id.task), t.config))
        .collect();
    Ok(Json(by_id).into_response())
}

async fn task_status(
    State(s): State<AppState>,
    Path((name, task)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let task = task_number(&task)?;
    let state = s.herder.task_status(&name, task).await?;
    let version = plugin_version(&s, &name).await;
    let mut out = [state_json(&state, version.as_deref())];
    let progress = Progress::of(&query);
    if progress.wanted {
        crate::progress::attach(&name, &[state], &mut out, progress.local_only).await;
    }
    let [out] = out;
    Ok(Json(out).into_response())
}

async fn restart_task(
    State(s): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> ApiResult {
    let task = task_number(&task)?;
    s.herder.restart_task(&name, task).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn restart_connector(
    State(s): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let request = RestartRequest {
        include_tasks: query_flag(&query, "includeTasks"),
        only_failed: query_flag(&query, "onlyFailed"),
    };
    let status = s.herder.restart_connector(&name, request).await?;
    if request.is_plain() {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok((
            StatusCode::ACCEPTED,
            Json(status_json(&s, status, Progress::NONE).await),
        )
            .into_response())
    }
}

async fn pause(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    s.herder.pause_connector(&name).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn resume(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    s.herder.resume_connector(&name).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn stop(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    s.herder.stop_connector(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn fence(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    s.herder.fence_zombies(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn offsets(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(Json(s.herder.offsets(&name).await?).into_response())
}

async fn alter_offsets(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Body(offsets): Body<ConnectorOffsets>,
) -> ApiResult {
    let message = s.herder.alter_offsets(&name, offsets).await?;
    Ok(Json(json!({ "message": message })).into_response())
}

async fn reset_offsets(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let message = s.herder.reset_offsets(&name).await?;
    Ok(Json(json!({ "message": message })).into_response())
}

/// Kafka answers the topics of any name, known or not, from the topic records it keeps: a name
/// it has none for has no topics, not a 404.
async fn active_topics(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let topics = match s.herder.active_topics(&name).await {
        Err(HerderError::NotFound(_)) => Vec::new(),
        other => other?,
    };
    Ok(Json(json!({ name: { "topics": topics } })).into_response())
}

/// Like `active_topics`, resetting the topics of an unknown name is accepted and does nothing.
async fn reset_topics(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult {
    match s.herder.reset_active_topics(&name).await {
        Err(HerderError::NotFound(_)) => {}
        other => other?,
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn connector_plugins(State(s): State<AppState>, RawQuery(query): RawQuery) -> ApiResult {
    let connectors_only = match query_values(&query, "connectorsOnly").last() {
        None => true,
        Some(_) => query_flag(&query, "connectorsOnly"),
    };
    Ok(Json(s.herder.connector_plugins(connectors_only)).into_response())
}

async fn plugin_config(State(s): State<AppState>, Path(plugin): Path<String>) -> ApiResult {
    Ok(Json(s.herder.plugin_config(&plugin)?).into_response())
}

async fn validate_config(
    State(s): State<AppState>,
    Path(plugin): Path<String>,
    Body(config): Body<BTreeMap<String, JsonValue>>,
) -> ApiResult {
    let config = props_from_json(config)?;
    Ok(Json(s.herder.validate_config(&plugin, config).await?).into_response())
}

async fn list_loggers(State(s): State<AppState>) -> ApiResult {
    Ok(Json(s.loggers.levels()).into_response())
}

async fn get_logger(State(s): State<AppState>, Path(logger): Path<String>) -> ApiResult {
    let levels = s.loggers.levels();
    match levels.get(&logger) {
        Some(level) => Ok(Json(level).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("Logger {logger} not found."),
        )),
    }
}

#[derive(Deserialize)]
struct LevelRequest {
    level: Option<String>,
}

async fn set_logger(
    State(s): State<AppState>,
    Path(logger): Path<String>,
    RawQuery(query): RawQuery,
    Body(req): Body<LevelRequest>,
) -> ApiResult {
    let Some(level) = req.level else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Desired 'level' parameter was not specified in request.",
        ));
    };
    // The cluster scope answers 204 without the list, as Kafka does; ferry applies it to this
    // worker (a distributed cluster of ferry workers does not pass it on yet).
    let cluster = match query_values(&query, "scope")
        .last()
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("worker") => false,
        Some("cluster") => true,
        Some(other) => {
            tracing::warn!("unknown logger scope {other}; using worker");
            false
        }
    };
    match s.loggers.set_level(&logger, &level) {
        Ok(_) if cluster => Ok(StatusCode::NO_CONTENT.into_response()),
        Ok(changed) => Ok(Json(changed).into_response()),
        Err(e @ LoggersError::UnknownLevel(_)) => {
            Err(ApiError::new(StatusCode::NOT_FOUND, e.to_string()))
        }
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )),
    }
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

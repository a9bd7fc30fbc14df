//! Requests that another worker must handle (writes go to the leader in distributed mode) are
//! sent on to it, and its answer is returned as is — the caller never needs to know the leader.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use ferry_runtime::distributed::session_key::{ALGORITHM_HEADER, SIGNATURE_HEADER};

use crate::error::{ApiError, FORWARD_HEADER};

const MAX_BODY: usize = 16 * 1024 * 1024;

pub async fn forward_when_asked(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {e}"),
            )
            .into_response()
        }
    };
    // A forwarded request carries `forward=false`, as Kafka marks it: it is never forwarded twice.
    let already_forwarded = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == "forward=false"));
    let signature: Vec<(String, String)> = [SIGNATURE_HEADER, ALGORITHM_HEADER]
        .iter()
        .filter_map(|h| {
            let v = parts.headers.get(*h)?.to_str().ok()?;
            Some((h.to_string(), v.to_string()))
        })
        .collect();
    let method = parts.method.clone();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    let Some(target) = response
        .headers()
        .get(FORWARD_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return response;
    };
    if already_forwarded {
        return ApiError::new(
            StatusCode::CONFLICT,
            "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
        )
        .into_response();
    }
    let separator = if path.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{}{}forward=false",
        target.trim_end_matches('/'),
        path,
        separator
    );
    tracing::debug!(%url, "forwarding the request");
    let sent = tokio::task::spawn_blocking(move || {
        call_worker(method.as_str(), &url, &signature, &bytes, None)
    })
    .await;
    match sent {
        Ok(Ok((status, text))) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let has_body = !text.is_empty();
            let mut response = (status, text).into_response();
            if has_body {
                response
                    .headers_mut()
                    .insert("content-type", HeaderValue::from_static("application/json"));
            }
            response
        }
        Ok(Err(e)) => unreachable_leader(&e),
        Err(e) => unreachable_leader(&e.to_string()),
    }
}

/// Sends a request to another worker's REST API and returns its status and body, whatever the
/// status; `Err` when no answer came (within `timeout`, if given). Blocking: call it from
/// `spawn_blocking`.
pub fn call_worker(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Option<Duration>,
) -> Result<(u16, String), String> {
    let mut request = ureq::request(method, url).set("Content-Type", "application/json");
    if let Some(timeout) = timeout {
        request = request.timeout(timeout);
    }
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = if body.is_empty() {
        request.call()
    } else {
        request.send_bytes(body)
    };
    match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => {
            let status = r.status();
            let text = r.into_string().unwrap_or_default();
            Ok((status, text))
        }
        Err(e) => Err(e.to_string()),
    }
}

fn unreachable_leader(e: &str) -> Response {
    ApiError::new(
        StatusCode::CONFLICT,
        format!("Cannot complete request because the leader could not be reached: {e}"),
    )
    .into_response()
}

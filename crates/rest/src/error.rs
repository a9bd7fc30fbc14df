//! The error body of Kafka Connect: `{"error_code": N, "message": "..."}`, for every failure.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ferry_runtime::herder::HerderError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The worker that must handle this request instead (distributed mode's leader).
    pub forward_to: Option<String>,
}

/// Marks a response whose request must be sent on to another worker (see `forward`).
pub const FORWARD_HEADER: &str = "x-ferry-forward-to";

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: u16,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            forward_to: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error_code: self.status.as_u16(),
            message: &self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(url) = self.forward_to.as_deref().and_then(|u| u.parse().ok()) {
            response.headers_mut().insert(FORWARD_HEADER, url);
        }
        response
    }
}

impl From<HerderError> for ApiError {
    fn from(e: HerderError) -> ApiError {
        let status = match &e {
            HerderError::NotFound(_) => StatusCode::NOT_FOUND,
            HerderError::Conflict(_) => StatusCode::CONFLICT,
            HerderError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HerderError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HerderError::Forbidden(_) => StatusCode::FORBIDDEN,
            HerderError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HerderError::NotLeader(url) => {
                let mut error = ApiError::new(StatusCode::CONFLICT, e.to_string());
                error.forward_to = Some(url.clone());
                return error;
            }
        };
        ApiError::new(status, e.to_string())
    }
}

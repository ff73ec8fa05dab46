//! How an [`ApiError`] is answered over HTTP:
//! `{"error": {"code": "snake_case", "message": "human sentence"}}` with its
//! status, plus any extra fields such as `problems`; and that body's shape
//! for the OpenAPI document.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use crate::error::{ApiError, ApiResult};

/// The JSON body of every error, for the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and sentence.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "error": {"code": self.error.code, "message": self.error.message}
        });
        for (key, value) in self.extra {
            body[key] = value;
        }
        (self.status, Json(body)).into_response()
    }
}

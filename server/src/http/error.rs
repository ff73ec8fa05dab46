//! How an [`ApiError`] is answered over HTTP:
//! `{"error": {"code": "snake_case", "message": "human sentence"}}` with its
//! status, plus any extra fields such as `problems`; and that body's shape
//! for the OpenAPI document. Also the answer when received events could
//! not be stored.

use app::model::ErrorCode;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::engine::ingest::IngestError;

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
        let mut res = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The answer when events could not be stored: 503 with `Retry-After`
/// while the writer's queue is full, 500 when the database failed.
/// Nothing was acknowledged, so the sender retries.
pub fn ingest_refused(e: IngestError) -> Response {
    match e {
        IngestError::Busy => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Busy,
            "Too many events are waiting to be stored. Try again in a second.",
        )
        .retry_after(std::time::Duration::from_secs(1))
        .into_response(),
        IngestError::Failed => ApiError::internal(&e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_events_are_retried_later_not_lost() {
        let busy = ingest_refused(IngestError::Busy);
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "1");
        let failed = ingest_refused(IngestError::Failed);
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(failed.headers().get(header::RETRY_AFTER).is_none());
    }
}

//! The one error type services and handlers return: a stable
//! [`ErrorCode`], a sentence for people and the HTTP status it answers
//! with. Internal failures are logged here and reach the client only as an
//! opaque `internal` error. How it is written on the wire is the HTTP
//! layer's business ([`crate::http::error`]).

use app::model::{AppError, ErrorCode};
use axum::http::StatusCode;

use crate::store::StoreError;

/// An error with its HTTP status.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The status to answer with.
    pub status: StatusCode,
    /// The code and sentence.
    pub error: AppError,
    /// More fields for the body beside `error`, such as `problems`.
    pub extra: Vec<(&'static str, serde_json::Value)>,
    /// Seconds after which a retry may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with any status.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error: AppError::new(code, message),
            extra: Vec::new(),
            retry_after: None,
        }
    }

    /// Says when to try again: `Retry-After`, in whole seconds rounded up.
    pub fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        self
    }

    /// Adds a field beside `error` in the body.
    pub fn with(mut self, key: &'static str, value: serde_json::Value) -> Self {
        self.extra.push((key, value));
        self
    }

    /// 400: the body is not what the route takes.
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422: well-formed but unacceptable input.
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 404, worded for the kind of thing (`"bot"`). Also the answer for
    /// another tenant's objects.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("No such {what} in this workspace."),
        )
    }

    /// 409.
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 401.
    pub fn unauthenticated() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            error: AppError::unauthenticated(),
            extra: Vec::new(),
            retry_after: None,
        }
    }

    /// 403: signed in, but the role does not allow it.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// 500; the cause is logged, never sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: AppError::internal(),
            extra: Vec::new(),
            retry_after: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::internal(&err)
    }
}

impl From<AppError> for ApiError {
    /// Validation errors from the shared core are 422s.
    fn from(error: AppError) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            error,
            extra: Vec::new(),
            retry_after: None,
        }
    }
}

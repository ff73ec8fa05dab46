//! Contacts and the CSV exports.

use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// This area's routes under `/api/v1`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
}

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths())]
pub(super) struct Doc;

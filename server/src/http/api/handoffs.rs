//! The inbox settings: the handoff notification webhook and the echo
//! pause. (Resuming the bot is with the other conversation routes, in
//! `desk`.)

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use crate::http::auth::Auth;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::ApiJson;
use crate::service::{self, InboxSettings, InboxSettingsRequest};
use crate::state::AppState;

/// This area's routes under `/api/v1`.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/settings/inbox", get(get_settings).put(put_settings))
}

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(get_settings, put_settings))]
pub(super) struct Doc;

#[utoipa::path(get, path = "/api/v1/settings/inbox", tag = "inbox",
    responses((status = 200, description = "The notification webhook (never its secret), the echo pause and the latest deliveries", body = InboxSettings)))]
pub(super) async fn get_settings(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Json<InboxSettings>> {
    Ok(Json(service::get_inbox_settings(&state, &p).await?))
}

#[utoipa::path(put, path = "/api/v1/settings/inbox", tag = "inbox",
    request_body = InboxSettingsRequest,
    responses(
        (status = 200, description = "Saved; `secret` is present once, when made or rotated", body = InboxSettings),
        (status = 403, description = "Only editors and owners", body = ErrorBody),
        (status = 422, description = "Not an https address, a private address, or a pause out of range", body = ErrorBody),
    ))]
pub(super) async fn put_settings(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<InboxSettingsRequest>,
) -> ApiResult<Json<InboxSettings>> {
    Ok(Json(service::set_inbox_settings(&state, &p, req).await?))
}

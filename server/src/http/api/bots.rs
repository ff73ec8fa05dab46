//! Bots.

use app::model::BotSummary;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::auth::Auth;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, PathId};
use crate::service::{self, CreateBotRequest, RenameBotRequest};
use crate::state::AppState;
use crate::store::BotId;

/// A list of bots.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BotList {
    /// The bots, most recently changed first.
    pub bots: Vec<BotSummary>,
}

#[utoipa::path(get, path = "/api/v1/bots", tag = "bots",
    responses((status = 200, description = "Bots of the workspace", body = BotList)))]
pub(super) async fn list_bots(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Json<BotList>> {
    Ok(Json(BotList {
        bots: service::list_bots(&state, &p).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/bots", tag = "bots",
    request_body = CreateBotRequest,
    responses(
        (status = 201, description = "Created with an empty draft", body = BotSummary),
        (status = 403, description = "Viewers cannot create bots", body = ErrorBody),
        (status = 422, description = "Invalid name or unknown template", body = ErrorBody),
    ))]
pub(super) async fn create_bot(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<CreateBotRequest>,
) -> ApiResult<(StatusCode, Json<BotSummary>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_bot(&state, &p, req).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/bots/{id}", tag = "bots",
    params(("id" = i64, Path, description = "Bot id")),
    responses(
        (status = 200, description = "The bot", body = BotSummary),
        (status = 404, description = "No such bot in this workspace", body = ErrorBody),
    ))]
pub(super) async fn get_bot(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
) -> ApiResult<Json<BotSummary>> {
    Ok(Json(service::get_bot(&state, &p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/bots/{id}", tag = "bots",
    params(("id" = i64, Path, description = "Bot id")),
    request_body = RenameBotRequest,
    responses(
        (status = 200, description = "Renamed", body = BotSummary),
        (status = 404, description = "No such bot in this workspace", body = ErrorBody),
    ))]
pub(super) async fn rename_bot(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
    ApiJson(req): ApiJson<RenameBotRequest>,
) -> ApiResult<Json<BotSummary>> {
    Ok(Json(service::rename_bot(&state, &p, id, req).await?))
}

#[utoipa::path(delete, path = "/api/v1/bots/{id}", tag = "bots",
    params(("id" = i64, Path, description = "Bot id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such bot in this workspace", body = ErrorBody),
    ))]
pub(super) async fn delete_bot(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
) -> ApiResult<StatusCode> {
    service::delete_bot(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

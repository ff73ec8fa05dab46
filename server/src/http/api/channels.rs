//! Channel connections and conversations.

use app::views::ChannelView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::auth::Auth;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, PathId};
use crate::service::{self, ConnectRequest, UpdateChannel};
use crate::state::AppState;
use crate::store::ChannelId;

/// The workspace's channels.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelList {
    /// Oldest first.
    pub channels: Vec<ChannelView>,
}

#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, description = "Connected channels", body = ChannelList)))]
pub(super) async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Json<ChannelList>> {
    Ok(Json(ChannelList {
        channels: service::list_channels(&state, &p).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/channels", tag = "channels",
    request_body = ConnectRequest,
    responses(
        (status = 201, description = "Connected; a web widget comes with its key and script tag", body = ChannelView),
        (status = 404, description = "No such bot", body = ErrorBody),
        (status = 409, description = "That page or number is already connected", body = ErrorBody),
        (status = 422, description = "Invalid ids, token or origins", body = ErrorBody),
    ))]
pub(super) async fn connect(
    State(state): State<AppState>,
    Auth(p): Auth,
    ApiJson(req): ApiJson<ConnectRequest>,
) -> ApiResult<(StatusCode, Json<ChannelView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::connect(&state, &p, req).await?),
    ))
}

#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = i64, Path, description = "Channel id")),
    request_body = UpdateChannel,
    responses(
        (status = 200, description = "Changed; a new access token makes a stopped channel work again", body = ChannelView),
        (status = 404, description = "No such channel", body = ErrorBody),
        (status = 422, description = "Invalid name, token or origins", body = ErrorBody),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ChannelId>,
    ApiJson(req): ApiJson<UpdateChannel>,
) -> ApiResult<Json<ChannelView>> {
    Ok(Json(service::update_channel(&state, &p, id, req).await?))
}

#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = i64, Path, description = "Channel id")),
    responses(
        (status = 204, description = "Disconnected; conversations stay"),
        (status = 404, description = "No such channel", body = ErrorBody),
    ))]
pub(super) async fn disconnect(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ChannelId>,
) -> ApiResult<StatusCode> {
    service::disconnect(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

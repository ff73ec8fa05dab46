//! Drafts, validation, publishing, versions, templates and simulation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::auth::Auth;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, PathId, PathIds};
use crate::service::{
    self, Draft, SaveDraftRequest, SavedDraft, SimulateRequest, SimulateResponse, TemplateSummary,
    Validation, VersionDetail, VersionSummary,
};
use crate::state::AppState;
use crate::store::BotId;

/// The built-in templates.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateList {
    /// The templates.
    pub templates: Vec<TemplateSummary>,
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "flows",
    responses((status = 200, description = "Built-in templates", body = TemplateList)))]
pub(super) async fn templates(_auth: Auth) -> Json<TemplateList> {
    Json(TemplateList {
        templates: service::list_templates(),
    })
}

#[utoipa::path(get, path = "/api/v1/flow.schema.json", tag = "flows",
    responses((status = 200, description = "JSON Schema of flow documents", body = Object)))]
pub(super) async fn flow_schema() -> Json<serde_json::Value> {
    Json(service::flow_schema())
}

#[utoipa::path(get, path = "/api/v1/bots/{id}/draft", tag = "flows",
    params(("id" = i64, Path, description = "Bot id")),
    responses(
        (status = 200, description = "The draft and its revision", body = Draft),
        (status = 404, description = "No such bot", body = ErrorBody),
    ))]
pub(super) async fn get_draft(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
) -> ApiResult<Json<Draft>> {
    Ok(Json(service::get_draft(&state, &p, id).await?))
}

#[utoipa::path(put, path = "/api/v1/bots/{id}/draft", tag = "flows",
    params(("id" = i64, Path, description = "Bot id")),
    request_body = SaveDraftRequest,
    responses(
        (status = 200, description = "Saved; the new revision and the flow's problems", body = SavedDraft),
        (status = 409, description = "Saved elsewhere meanwhile: the revision is stale", body = ErrorBody),
        (status = 413, description = "The body is larger than a draft may be", body = ErrorBody),
        (status = 422, description = "Not a flow document (`invalid_document`), or beyond a size bound such as 1000 steps (`too_large`); nothing is stored", body = ErrorBody),
    ))]
pub(super) async fn put_draft(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
    ApiJson(req): ApiJson<SaveDraftRequest>,
) -> ApiResult<Json<SavedDraft>> {
    Ok(Json(service::save_draft(&state, &p, id, req).await?))
}

#[utoipa::path(post, path = "/api/v1/bots/{id}/validate", tag = "flows",
    params(("id" = i64, Path, description = "Bot id")),
    responses((status = 200, description = "The draft's problems, each tied to a node", body = Validation)))]
pub(super) async fn validate(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
) -> ApiResult<Json<Validation>> {
    Ok(Json(service::validate_draft(&state, &p, id).await?))
}

/// The new version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Published {
    /// Its number.
    pub version: i64,
    /// Who published it.
    pub author: String,
    /// When, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// A note, for restores.
    pub note: String,
}

fn published(v: VersionSummary) -> (StatusCode, Json<Published>) {
    (
        StatusCode::CREATED,
        Json(Published {
            version: v.number,
            author: v.author,
            created_at: v.created_at,
            note: v.note,
        }),
    )
}

#[utoipa::path(post, path = "/api/v1/bots/{id}/publish", tag = "flows",
    params(("id" = i64, Path, description = "Bot id")),
    responses(
        (status = 201, description = "Published as a new version", body = Published),
        (status = 422, description = "The draft has errors; `problems` lists them", body = ErrorBody),
    ))]
pub(super) async fn publish(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
) -> ApiResult<(StatusCode, Json<Published>)> {
    Ok(published(service::publish(&state, &p, id).await?))
}

/// A bot's version history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionList {
    /// Newest first.
    pub versions: Vec<VersionSummary>,
}

#[utoipa::path(get, path = "/api/v1/bots/{id}/versions", tag = "flows",
    params(("id" = i64, Path, description = "Bot id")),
    responses((status = 200, description = "Published versions, newest first", body = VersionList)))]
pub(super) async fn versions(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
) -> ApiResult<Json<VersionList>> {
    Ok(Json(VersionList {
        versions: service::versions(&state, &p, id).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/bots/{id}/versions/{n}", tag = "flows",
    params(("id" = i64, Path, description = "Bot id"), ("n" = i64, Path, description = "Version number")),
    responses(
        (status = 200, description = "The version and its document", body = VersionDetail),
        (status = 404, description = "No such version", body = ErrorBody),
    ))]
pub(super) async fn version(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathIds(id, n): PathIds<BotId>,
) -> ApiResult<Json<VersionDetail>> {
    Ok(Json(service::version(&state, &p, id, n).await?))
}

#[utoipa::path(post, path = "/api/v1/bots/{id}/versions/{n}/restore", tag = "flows",
    params(("id" = i64, Path, description = "Bot id"), ("n" = i64, Path, description = "Version number")),
    responses(
        (status = 201, description = "That document published again as a new version", body = Published),
        (status = 404, description = "No such version", body = ErrorBody),
        (status = 422, description = "That version does not pass today's validation; `problems` lists why", body = ErrorBody),
    ))]
pub(super) async fn restore(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathIds(id, n): PathIds<BotId>,
) -> ApiResult<(StatusCode, Json<Published>)> {
    Ok(published(service::restore(&state, &p, id, n).await?))
}

#[utoipa::path(post, path = "/api/v1/bots/{id}/simulate", tag = "flows",
    params(("id" = i64, Path, description = "Bot id")),
    request_body = SimulateRequest,
    responses(
        (status = 200, description = "The transcript; nothing is stored", body = SimulateResponse),
        (status = 404, description = "No such bot or version", body = ErrorBody),
    ))]
pub(super) async fn simulate(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<BotId>,
    ApiJson(req): ApiJson<SimulateRequest>,
) -> ApiResult<Json<SimulateResponse>> {
    Ok(Json(service::simulate_bot(&state, &p, id, req).await?))
}

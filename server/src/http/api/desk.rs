//! The inbox: conversations listed, read, answered, assigned, closed,
//! reopened and handed back to the bot, and the live stream of changes.

use std::convert::Infallible;
use std::time::Duration;

use app::views::{ConversationDetail, ConversationPage, InboxCounts, TranscriptEntry};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use crate::http::auth::Auth;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, PathId};
use crate::http::webchat::async_stream;
use crate::service::{self, AssignRequest, InboxQuery, ReplyRequest, ResumeRequest};
use crate::state::AppState;
use crate::store::{ConversationId, WorkspaceId};

/// This area's routes under `/api/v1`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list))
        .route("/conversations/{id}", get(detail))
        .route("/conversations/{id}/messages", post(reply))
        .route("/conversations/{id}/assign", post(assign))
        .route("/conversations/{id}/close", post(close))
        .route("/conversations/{id}/reopen", post(reopen))
        .route("/conversations/{id}/resume", post(resume))
        .route("/inbox/counts", get(counts))
        .route("/inbox/stream", get(stream))
}

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list, detail, reply, assign, close, reopen, resume, counts, stream))]
pub(super) struct Doc;

#[utoipa::path(get, path = "/api/v1/conversations", tag = "inbox",
    params(InboxQuery),
    responses(
        (status = 200, description = "One page of conversations, newest activity first; pass `next_cursor` as `cursor` for the next", body = ConversationPage),
        (status = 422, description = "A filter or the cursor is not understood", body = ErrorBody),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(query): Query<InboxQuery>,
) -> ApiResult<Json<ConversationPage>> {
    Ok(Json(service::list_conversations(&state, &p, &query).await?))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "inbox",
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "Transcript (messages and actions), orders and the reply window; a member opening it reads it", body = ConversationDetail),
        (status = 404, description = "No such conversation", body = ErrorBody),
    ))]
pub(super) async fn detail(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ConversationId>,
) -> ApiResult<Json<ConversationDetail>> {
    Ok(Json(service::get_conversation(&state, &p, id).await?))
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "inbox",
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = ReplyRequest,
    responses(
        (status = 202, description = "Queued in the channel's outbox; the bot stays silent until resumed", body = TranscriptEntry),
        (status = 403, description = "Viewers cannot answer", body = ErrorBody),
        (status = 404, description = "No such conversation or product", body = ErrorBody),
        (status = 422, description = "Empty or invalid message, or the platform's window is closed (`window_closed`)", body = ErrorBody),
    ))]
pub(super) async fn reply(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ConversationId>,
    ApiJson(req): ApiJson<ReplyRequest>,
) -> ApiResult<(StatusCode, Json<TranscriptEntry>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(service::reply(&state, &p, id, req).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/assign", tag = "inbox",
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = AssignRequest,
    responses(
        (status = 200, description = "Assigned (or unassigned)", body = ConversationDetail),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "Not a member of this workspace", body = ErrorBody),
    ))]
pub(super) async fn assign(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ConversationId>,
    ApiJson(req): ApiJson<AssignRequest>,
) -> ApiResult<Json<ConversationDetail>> {
    Ok(Json(
        service::assign_conversation(&state, &p, id, req).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/close", tag = "inbox",
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "Closed; the bot answers the shopper's next message", body = ConversationDetail),
        (status = 404, description = "No such conversation", body = ErrorBody),
    ))]
pub(super) async fn close(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ConversationId>,
) -> ApiResult<Json<ConversationDetail>> {
    Ok(Json(service::close_conversation(&state, &p, id).await?))
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/reopen", tag = "inbox",
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "Open again", body = ConversationDetail),
        (status = 404, description = "No such conversation", body = ErrorBody),
    ))]
pub(super) async fn reopen(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ConversationId>,
) -> ApiResult<Json<ConversationDetail>> {
    Ok(Json(service::reopen_conversation(&state, &p, id).await?))
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/resume", tag = "inbox",
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = ResumeRequest,
    responses(
        (status = 200, description = "The bot goes on at the step chosen", body = ConversationDetail),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "No such step in the conversation's flow", body = ErrorBody),
    ))]
pub(super) async fn resume(
    State(state): State<AppState>,
    Auth(p): Auth,
    PathId(id): PathId<ConversationId>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ConversationDetail>> {
    // The body is optional: none resumes where the conversation left off.
    let req: ResumeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ResumeRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            crate::http::error::ApiError::bad_request(
                app::model::ErrorCode::MalformedJson,
                format!("The body is not the JSON this route takes: {e}"),
            )
        })?
    };
    Ok(Json(
        service::resume_conversation(&state, &p, id, req).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/inbox/counts", tag = "inbox",
    responses((status = 200, description = "Unread and waiting conversations", body = InboxCounts)))]
pub(super) async fn counts(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Json<InboxCounts>> {
    Ok(Json(service::inbox_counts(&state, &p).await?))
}

#[utoipa::path(get, path = "/api/v1/inbox/stream", tag = "inbox",
    responses((status = 200, description = "Server-sent events: `counts` with the inbox counts whenever a conversation of the workspace changes", content_type = "text/event-stream")))]
pub(super) async fn stream(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>> {
    let first = service::inbox_counts(&state, &p).await?;
    let ws = WorkspaceId(p.workspace_id);
    let events = async_stream(move |tx| async move {
        let mut watch = state.engine.live().subscribe_workspace(ws);
        let mut counts = Some(first);
        loop {
            if let Some(c) = counts.take() {
                let event = Event::default()
                    .event("counts")
                    .json_data(c)
                    .unwrap_or_default();
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            // Woken by a change on this instance; the timeout catches
            // changes other instances made (PostgreSQL). A closed page
            // frees the stream at once.
            tokio::select! {
                _ = tokio::time::timeout(Duration::from_secs(10), watch.recv()) => {}
                _ = tx.closed() => return,
            }
            // Changes come in bursts: one event for each burst.
            tokio::time::sleep(Duration::from_millis(100)).await;
            while watch.woken() {}
            counts = service::inbox_counts(&state, &p).await.ok();
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

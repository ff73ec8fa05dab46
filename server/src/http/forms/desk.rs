//! The inbox's forms: reply, assign, close, reopen, resume. Each calls the
//! same service function as the REST API and comes back to the
//! conversation with a confirmation or the error.

use axum::response::Response;
use axum::routing::{MethodRouter, post};

use super::{Fields, Post, done, reply as finish};
use crate::http::extract::PathId;
use crate::service::{self, AssignRequest, ReplyRequest, ResumeRequest};
use crate::state::AppState;
use crate::store::ConversationId;

/// This area's form routes.
pub(super) fn route_table() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/conversations/{id}/reply", post(reply)),
        ("/conversations/{id}/assign", post(assign)),
        ("/conversations/{id}/close", post(close)),
        ("/conversations/{id}/reopen", post(reopen)),
        ("/conversations/{id}/resume", post(resume)),
        ("/settings/inbox", post(inbox_settings)),
    ]
}

async fn inbox_settings(Post { state, session, p }: Post, f: Fields) -> Response {
    let minutes = filled(&f, "echo_pause_minutes");
    let req = service::InboxSettingsRequest {
        notify_url: Some(f.get("notify_url")),
        // Not a number: out of range, and said so.
        echo_pause_minutes: minutes.map(|m| m.trim().parse().unwrap_or(-1)),
        rotate_secret: filled(&f, "rotate_secret").is_some(),
    };
    let r = service::set_inbox_settings(&state, &p, req).await;
    finish(&session, r, "/settings", |s| {
        super::Next::Done(
            "/settings".into(),
            app::model::Flash {
                notice: Some("Inbox settings saved.".into()),
                new_webhook_secret: s.secret,
                ..app::model::Flash::default()
            },
        )
    })
    .await
}

fn filled(f: &Fields, name: &str) -> Option<String> {
    Some(f.get(name)).filter(|v| !v.trim().is_empty())
}

async fn reply(
    Post { state, session, p }: Post,
    PathId(id): PathId<ConversationId>,
    f: Fields,
) -> Response {
    let back = format!("/conversations/{id}");
    // The first of text, picture and product that is filled in.
    let req = match (
        filled(&f, "text"),
        filled(&f, "image_url"),
        filled(&f, "product_id"),
    ) {
        (Some(text), _, _) => ReplyRequest {
            text: Some(text),
            ..ReplyRequest::default()
        },
        (None, Some(url), _) => ReplyRequest {
            image_url: Some(url),
            ..ReplyRequest::default()
        },
        (None, None, Some(product)) => ReplyRequest {
            // Not a number: no product has that id.
            product_id: Some(product.trim().parse().unwrap_or(-1)),
            ..ReplyRequest::default()
        },
        (None, None, None) => ReplyRequest {
            text: Some(String::new()),
            ..ReplyRequest::default()
        },
    };
    let r = service::reply(&state, &p, id, req).await;
    finish(&session, r, &back, |_| {
        done(back.clone(), "Sent.".to_string())
    })
    .await
}

async fn assign(
    Post { state, session, p }: Post,
    PathId(id): PathId<ConversationId>,
    f: Fields,
) -> Response {
    let back = format!("/conversations/{id}");
    let member = match filled(&f, "member_id").as_deref() {
        None => None,
        Some("me") => p.user_id,
        // Not a number: nobody in the workspace has that id.
        Some(m) => Some(m.trim().parse().unwrap_or(-1)),
    };
    let r = service::assign_conversation(&state, &p, id, AssignRequest { member_id: member }).await;
    finish(&session, r, &back, |c| {
        let to = c
            .summary
            .assignee
            .clone()
            .map_or("Unassigned.".to_string(), |a| format!("Assigned to {a}."));
        done(back.clone(), to)
    })
    .await
}

async fn close(Post { state, session, p }: Post, PathId(id): PathId<ConversationId>) -> Response {
    let back = format!("/conversations/{id}");
    let r = service::close_conversation(&state, &p, id).await;
    finish(&session, r, &back, |_| {
        done(
            back.clone(),
            "Closed. The bot answers the shopper's next message.".to_string(),
        )
    })
    .await
}

async fn reopen(Post { state, session, p }: Post, PathId(id): PathId<ConversationId>) -> Response {
    let back = format!("/conversations/{id}");
    let r = service::reopen_conversation(&state, &p, id).await;
    finish(&session, r, &back, |_| {
        done(back.clone(), "Reopened.".to_string())
    })
    .await
}

async fn resume(
    Post { state, session, p }: Post,
    PathId(id): PathId<ConversationId>,
    f: Fields,
) -> Response {
    let back = format!("/conversations/{id}");
    let req = ResumeRequest {
        step: filled(&f, "step"),
    };
    let r = service::resume_conversation(&state, &p, id, req).await;
    finish(&session, r, &back, |_| {
        done(back.clone(), "The bot is answering again.".to_string())
    })
    .await
}

//! Form posts for bots: create, rename, delete, publish and restore a
//! version.

use axum::response::Response;

use super::{Fields, Post, done, reply};
use crate::http::extract::{PathId, PathIds};
use crate::service::{self};
use crate::store::BotId;

pub(super) async fn create_bot(Post { state, session, p }: Post, f: Fields) -> Response {
    let template = f.get("template");
    let req = service::CreateBotRequest {
        name: f.get("name"),
        template: (!template.is_empty()).then_some(template),
    };
    let r = service::create_bot(&state, &p, req).await;
    reply(&session, r, "/dashboard", |b| {
        done(
            format!("/bots/{}/edit", b.id),
            format!(
                "Bot “{}” created. Add and connect steps here, try them under “Try it”, then publish.",
                b.name
            ),
        )
    }).await
}

pub(super) async fn rename_bot(
    Post { state, session, p }: Post,
    PathId(id): PathId<BotId>,
    f: Fields,
) -> Response {
    let req = service::RenameBotRequest {
        name: f.get("name"),
    };
    let r = service::rename_bot(&state, &p, id, req).await;
    reply(&session, r, "/dashboard", |b| {
        done("/dashboard", format!("Bot renamed to “{}”.", b.name))
    })
    .await
}

pub(super) async fn delete_bot(
    Post { state, session, p }: Post,
    PathId(id): PathId<BotId>,
) -> Response {
    let r = service::delete_bot(&state, &p, id).await;
    reply(&session, r, "/dashboard", |()| {
        done("/dashboard", "Bot deleted.")
    })
    .await
}

pub(super) async fn publish_bot(
    Post { state, session, p }: Post,
    PathId(id): PathId<BotId>,
) -> Response {
    let back = format!("/bots/{id}");
    let r = service::publish(&state, &p, id).await;
    reply(&session, r, &back, |v| {
        done(
            back.clone(),
            format!(
                "Published as version {}. Shoppers now talk to this flow.",
                v.number
            ),
        )
    })
    .await
}

pub(super) async fn restore_version(
    Post { state, session, p }: Post,
    PathIds(id, n): PathIds<BotId>,
) -> Response {
    let back = format!("/bots/{id}");
    let r = service::restore(&state, &p, id, n).await;
    reply(&session, r, &back, |v| {
        done(
            back.clone(),
            format!("Version {n} is live again, as version {}.", v.number),
        )
    })
    .await
}

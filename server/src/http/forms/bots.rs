//! Form posts for bots: create, rename, delete, publish and restore a
//! version.

use axum::extract::State;
use axum::response::Response;
use tower_sessions::Session;

use super::{Fields, Next, finish, notice, result};
use crate::http::auth::SignedIn;
use crate::http::extract::{PathId, PathIds};
use crate::service::{self};
use crate::state::AppState;
use crate::store::BotId;

pub(super) async fn create_bot(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    f: Fields,
) -> Response {
    let template = f.get("template");
    let req = service::CreateBotRequest {
        name: f.get("name"),
        template: (!template.is_empty()).then_some(template),
    };
    let r = service::create_bot(&state, &p, req).await;
    let outcome = result(r, "/dashboard", |b| {
        Next::Done(
            format!("/bots/{}/edit", b.id),
            notice(format!(
                "Bot “{}” created. Add and connect steps here, try them under “Try it”, then publish.",
                b.name
            )),
        )
    });
    finish(&session, outcome).await
}

pub(super) async fn rename_bot(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    PathId(id): PathId<BotId>,
    f: Fields,
) -> Response {
    let req = service::RenameBotRequest {
        name: f.get("name"),
    };
    let r = service::rename_bot(&state, &p, id, req).await;
    let outcome = result(r, "/dashboard", |b| {
        Next::Done(
            "/dashboard".into(),
            notice(format!("Bot renamed to “{}”.", b.name)),
        )
    });
    finish(&session, outcome).await
}

pub(super) async fn delete_bot(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    PathId(id): PathId<BotId>,
) -> Response {
    let r = service::delete_bot(&state, &p, id).await;
    let outcome = result(r, "/dashboard", |()| {
        Next::Done("/dashboard".into(), notice("Bot deleted.".into()))
    });
    finish(&session, outcome).await
}

pub(super) async fn publish_bot(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    PathId(id): PathId<BotId>,
) -> Response {
    let back = format!("/bots/{id}");
    let r = service::publish(&state, &p, id).await;
    let outcome = result(r, &back, |v| {
        Next::Done(
            back.clone(),
            notice(format!(
                "Published as version {}. Shoppers now talk to this flow.",
                v.number
            )),
        )
    });
    finish(&session, outcome).await
}

pub(super) async fn restore_version(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    PathIds(id, n): PathIds<BotId>,
) -> Response {
    let back = format!("/bots/{id}");
    let r = service::restore(&state, &p, id, n).await;
    let outcome = result(r, &back, |v| {
        Next::Done(
            back.clone(),
            notice(format!(
                "Version {n} is live again, as version {}.",
                v.number
            )),
        )
    });
    finish(&session, outcome).await
}

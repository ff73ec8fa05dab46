//! Form posts for channels: connect, disconnect and replace a token.

use app::channel::Channel;
use app::model::ErrorCode;
use axum::extract::State;
use axum::response::Response;
use tower_sessions::Session;

use super::{Fields, Next, finish, notice, result};
use crate::http::auth::SignedIn;
use crate::http::error::ApiError;
use crate::http::extract::PathId;
use crate::service::{self};
use crate::state::AppState;
use crate::store::{BotId, ChannelId};

pub(super) async fn connect_channel(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    f: Fields,
) -> Response {
    let bot_id = BotId(f.get("bot_id").trim().parse::<i64>().unwrap_or(0));
    let req = match Channel::parse(&f.get("kind")) {
        Some(Channel::Messenger) => Ok(service::ConnectRequest::Messenger {
            bot_id,
            page_id: f.get("page_id"),
            access_token: f.get("access_token"),
            name: None,
        }),
        Some(Channel::Whatsapp) => Ok(service::ConnectRequest::Whatsapp {
            bot_id,
            phone_number_id: f.get("phone_number_id"),
            access_token: f.get("access_token"),
            waba_id: None,
            catalog_id: None,
            name: None,
        }),
        Some(Channel::Web) => Ok(service::ConnectRequest::Web {
            bot_id,
            allowed_origins: f
                .get("allowed_origins")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            name: None,
        }),
        _ => Err(ApiError::invalid(
            ErrorCode::InvalidChannel,
            "Choose Messenger, WhatsApp or web chat.",
        )),
    };
    let r = match req {
        Ok(req) => service::connect(&state, &p, req).await,
        Err(e) => Err(e),
    };
    let outcome = result(r, "/channels", |c| {
        Next::Done(
            "/channels".into(),
            notice(format!("{} is connected.", c.name)),
        )
    });
    finish(&session, outcome).await
}

pub(super) async fn disconnect_channel(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    PathId(id): PathId<ChannelId>,
) -> Response {
    let r = service::disconnect(&state, &p, id).await;
    let outcome = result(r, "/channels", |()| {
        Next::Done(
            "/channels".into(),
            notice("Channel disconnected. Its conversations are kept.".into()),
        )
    });
    finish(&session, outcome).await
}

pub(super) async fn replace_channel_token(
    State(state): State<AppState>,
    session: Session,
    SignedIn(p): SignedIn,
    PathId(id): PathId<ChannelId>,
    f: Fields,
) -> Response {
    let req = service::UpdateChannel {
        access_token: Some(f.get("access_token")),
        ..Default::default()
    };
    let r = service::update_channel(&state, &p, id, req).await;
    let outcome = result(r, "/channels", |c| {
        Next::Done(
            "/channels".into(),
            notice(format!(
                "The new token is saved; {} is working again.",
                c.name
            )),
        )
    });
    finish(&session, outcome).await
}

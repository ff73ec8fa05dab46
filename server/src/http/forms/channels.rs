//! Form posts for channels: connect, disconnect and replace a token.

use app::channel::Channel;
use app::model::ErrorCode;
use axum::response::Response;

use super::{Fields, Post, done, reply};
use crate::http::error::ApiError;
use crate::http::extract::PathId;
use crate::service::{self};
use crate::store::{BotId, ChannelId};

pub(super) async fn connect_channel(Post { state, session, p }: Post, f: Fields) -> Response {
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
    reply(&session, r, "/channels", |c| {
        done("/channels", format!("{} is connected.", c.name))
    })
    .await
}

pub(super) async fn disconnect_channel(
    Post { state, session, p }: Post,
    PathId(id): PathId<ChannelId>,
) -> Response {
    let r = service::disconnect(&state, &p, id).await;
    reply(&session, r, "/channels", |()| {
        done(
            "/channels",
            "Channel disconnected. Its conversations are kept.",
        )
    })
    .await
}

pub(super) async fn replace_channel_token(
    Post { state, session, p }: Post,
    PathId(id): PathId<ChannelId>,
    f: Fields,
) -> Response {
    let req = service::UpdateChannel {
        access_token: Some(f.get("access_token")),
        ..Default::default()
    };
    let r = service::update_channel(&state, &p, id, req).await;
    reply(&session, r, "/channels", |c| {
        done(
            "/channels",
            format!("The new token is saved; {} is working again.", c.name),
        )
    })
    .await
}

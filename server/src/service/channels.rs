//! Channel connections and conversations.

use app::channel::Channel;
use app::model::ErrorCode;
use app::model::{Principal, Role};
use app::views::{ChannelView, TranscriptEntry};
use base64::Engine;
use serde::Deserialize;
use utoipa::ToSchema;

use super::ownership::prove_owner;
use super::{require, tenant, workspace};
use crate::crypto::token_context;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{BotId, ChannelId, ChannelRow, StoreError};

/// `POST /api/v1/channels`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectRequest {
    /// A Facebook page.
    Messenger {
        /// The bot that answers.
        #[schema(value_type = i64)]
        bot_id: BotId,
        /// The page's numeric id.
        page_id: String,
        /// A page access token with `pages_messaging`.
        access_token: String,
        /// A name for people.
        #[serde(default)]
        name: Option<String>,
    },
    /// A WhatsApp Business number.
    Whatsapp {
        /// The bot that answers.
        #[schema(value_type = i64)]
        bot_id: BotId,
        /// The number's `phone_number_id` (not the phone number itself).
        phone_number_id: String,
        /// A system-user access token with `whatsapp_business_messaging`.
        access_token: String,
        /// The WhatsApp Business Account id.
        #[serde(default)]
        waba_id: Option<String>,
        /// A Meta catalog connected to the account.
        #[serde(default)]
        catalog_id: Option<String>,
        /// A name for people.
        #[serde(default)]
        name: Option<String>,
    },
    /// The web-chat widget.
    Web {
        /// The bot that answers.
        #[schema(value_type = i64)]
        bot_id: BotId,
        /// Sites allowed to embed the widget, such as `https://shop.example`.
        allowed_origins: Vec<String>,
        /// A name for people.
        #[serde(default)]
        name: Option<String>,
    },
}

/// An origin in canonical form (`https://shop.example`, `http://localhost:8080`).
pub fn parse_origin(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_end_matches('/').to_lowercase();
    let (scheme, rest) = raw.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => (h, Some(p)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok());
    (host_ok && port_ok && !rest.contains('/')).then_some(raw)
}

fn settings_json(row: &ChannelRow) -> serde_json::Value {
    serde_json::from_str(&row.settings).unwrap_or_default()
}

/// The allowed origins of a web channel.
pub fn allowed_origins(row: &ChannelRow) -> Vec<String> {
    settings_json(row)["allowed_origins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.as_str().map(str::to_string))
        .collect()
}

/// The API's view of a channel.
pub fn channel_view(state: &AppState, row: &ChannelRow) -> ChannelView {
    let web = row.kind == Channel::Web;
    ChannelView {
        id: row.id.0,
        kind: row.kind.to_string(),
        bot_id: row.bot_id.0,
        name: row.name.clone(),
        external_id: row.external_id.clone(),
        health: row.health.clone(),
        created_at: row.created_at,
        webhook_url: (!web).then(|| format!("{}/webhooks/{}", state.public_url, row.kind)),
        widget_key: web.then(|| row.external_id.clone()),
        allowed_origins: allowed_origins(row),
        script_tag: web.then(|| {
            format!(
                "<script src=\"{}/widget.js\" data-botme-key=\"{}\" async></script>",
                state.public_url, row.external_id
            )
        }),
    }
}

fn meta_id(raw: &str, what: &str) -> ApiResult<String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid(
            ErrorCode::InvalidChannel,
            format!("The {what} is the number Meta shows for it, like 106540352242922."),
        ));
    }
    Ok(id.to_string())
}

fn token(raw: &str) -> ApiResult<String> {
    let t = raw.trim();
    if t.len() < 10 || t.len() > 2000 || t.chars().any(char::is_whitespace) {
        return Err(ApiError::invalid(
            ErrorCode::InvalidChannel,
            "Paste the whole access token from Meta's settings (it has no spaces).",
        ));
    }
    Ok(t.to_string())
}

/// Connects a channel to a bot of the workspace.
pub async fn connect(
    state: &AppState,
    p: &Principal,
    req: ConnectRequest,
) -> ApiResult<ChannelView> {
    require(p, Role::Editor, "connect channels")?;
    let new = NewChannel::parse(req)?;
    let given = new
        .name
        .as_deref()
        .map(|n| app::account::parse_name(n, "channel name"))
        .transpose()?;
    tenant(state, p)
        .bot(new.bot)
        .await?
        .ok_or_else(|| ApiError::not_found("bot"))?;
    // Only a token that acts for the page or number connects it. This is
    // checked before anything else is said about the id, even whether
    // another workspace has it.
    let mut meta_name = None;
    if let Some(secret) = &new.secret {
        meta_name = prove_owner(state, new.kind, &new.external_id, secret).await?;
    }
    // Unnamed, it takes the name Meta shows for it (when that is a usable
    // name), or a plain one.
    let name = given
        .or_else(|| meta_name.and_then(|n| app::account::parse_name(&n, "channel name").ok()))
        .unwrap_or_else(|| new.default_name());
    let sealed = new.secret.map(|t| {
        state
            .sealer
            .seal(&t, &token_context(new.kind, &new.external_id))
    });
    match tenant(state, p)
        .create_channel(
            new.bot,
            new.kind,
            &new.external_id,
            &name,
            sealed.as_deref(),
            &new.settings.to_string(),
        )
        .await
    {
        Ok(row) => Ok(channel_view(state, &row)),
        Err(StoreError::Conflict(_)) => Err(ApiError::conflict(
            ErrorCode::ChannelTaken,
            "That page or number is already connected to a Botme bot. Disconnect it there first.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// A channel to connect, checked and with its defaults filled in.
struct NewChannel {
    bot: BotId,
    kind: Channel,
    /// The page id, phone number id or widget key.
    external_id: String,
    /// The name the merchant gave, if any.
    name: Option<String>,
    /// The access token to seal (Meta's channels only).
    secret: Option<String>,
    settings: serde_json::Value,
}

impl NewChannel {
    /// The name of a channel nobody named.
    fn default_name(&self) -> String {
        match self.kind {
            Channel::Messenger => format!("Facebook page {}", self.external_id),
            Channel::Whatsapp => format!("WhatsApp number {}", self.external_id),
            Channel::Web => "Web chat".into(),
        }
    }

    fn parse(req: ConnectRequest) -> ApiResult<NewChannel> {
        Ok(match req {
            ConnectRequest::Messenger {
                bot_id,
                page_id,
                access_token,
                name,
            } => {
                let page = meta_id(&page_id, "page id")?;
                NewChannel {
                    bot: bot_id,
                    kind: Channel::Messenger,
                    name,
                    external_id: page,
                    secret: Some(token(&access_token)?),
                    settings: serde_json::json!({}),
                }
            }
            ConnectRequest::Whatsapp {
                bot_id,
                phone_number_id,
                access_token,
                waba_id,
                catalog_id,
                name,
            } => {
                let number = meta_id(&phone_number_id, "phone number id")?;
                NewChannel {
                    bot: bot_id,
                    kind: Channel::Whatsapp,
                    name,
                    external_id: number,
                    secret: Some(token(&access_token)?),
                    settings: serde_json::json!({"waba_id": waba_id, "catalog_id": catalog_id}),
                }
            }
            ConnectRequest::Web {
                bot_id,
                allowed_origins,
                name,
            } => {
                let origins = parse_origins(&allowed_origins)?;
                let key_bytes: [u8; 16] = rand::random();
                NewChannel {
                    bot: bot_id,
                    kind: Channel::Web,
                    external_id: format!(
                        "wk_{}",
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key_bytes)
                    ),
                    name,
                    secret: None,
                    settings: serde_json::json!({"allowed_origins": origins}),
                }
            }
        })
    }
}

/// The sites a widget may be shown on: 1 to 20 origins, deduplicated.
fn parse_origins(raw: &[String]) -> ApiResult<Vec<String>> {
    let mut origins = Vec::new();
    for o in raw {
        match parse_origin(o) {
            Some(o) if !origins.contains(&o) => origins.push(o),
            Some(_) => {}
            None => {
                return Err(ApiError::invalid(
                    ErrorCode::InvalidChannel,
                    format!("“{o}” is not a site address like https://shop.example."),
                ));
            }
        }
    }
    if origins.is_empty() || origins.len() > 20 {
        return Err(ApiError::invalid(
            ErrorCode::InvalidChannel,
            "List between 1 and 20 sites that may show the chat widget, like https://shop.example.",
        ));
    }
    Ok(origins)
}

/// `PATCH /api/v1/channels/{id}`: what to change; absent fields stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannel {
    /// A name for people.
    #[serde(default)]
    pub name: Option<String>,
    /// A new access token (Messenger and WhatsApp). A channel stopped by an
    /// invalid token works again, and the messages waiting on it go out.
    #[serde(default)]
    pub access_token: Option<String>,
    /// The sites that may show the widget (web chat).
    #[serde(default)]
    pub allowed_origins: Option<Vec<String>>,
}

/// Renames a channel, replaces its access token or its allowed sites.
pub async fn update_channel(
    state: &AppState,
    p: &Principal,
    id: ChannelId,
    req: UpdateChannel,
) -> ApiResult<ChannelView> {
    require(p, Role::Editor, "change channels")?;
    let ws = workspace(p);
    let row = state
        .store
        .workspace(ws)
        .channel(id)
        .await?
        .ok_or_else(|| ApiError::not_found("channel"))?;
    let web = row.kind == Channel::Web;
    if web && req.access_token.is_some() {
        return Err(ApiError::invalid(
            ErrorCode::InvalidChannel,
            "A web chat has no access token.",
        ));
    }
    if !web && req.allowed_origins.is_some() {
        return Err(ApiError::invalid(
            ErrorCode::InvalidChannel,
            "Only a web chat has a list of allowed sites.",
        ));
    }
    let name = req
        .name
        .as_deref()
        .map(|n| app::account::parse_name(n, "channel name"))
        .transpose()?;
    let new_token = req.access_token.as_deref().map(token).transpose()?;
    if let Some(t) = &new_token {
        prove_owner(state, row.kind, &row.external_id, t).await?;
    }
    let sealed = new_token.map(|t| {
        state
            .sealer
            .seal(&t, &token_context(row.kind, &row.external_id))
    });
    let settings = match req.allowed_origins {
        Some(raw) => {
            let mut settings = settings_json(&row);
            settings["allowed_origins"] = serde_json::json!(parse_origins(&raw)?);
            Some(settings.to_string())
        }
        None => None,
    };
    let updated = state
        .store
        .workspace(ws)
        .update_channel(
            row.id,
            name.as_deref(),
            sealed.as_deref(),
            settings.as_deref(),
        )
        .await?
        .ok_or_else(|| ApiError::not_found("channel"))?;
    if sealed.is_some() {
        // Messages parked on a stopped channel may go now.
        state.engine.wake().outbox.notify_one();
    }
    Ok(channel_view(state, &updated))
}

/// The workspace's channels.
pub async fn list_channels(state: &AppState, p: &Principal) -> ApiResult<Vec<ChannelView>> {
    Ok(tenant(state, p)
        .channels()
        .await?
        .iter()
        .map(|r| channel_view(state, r))
        .collect())
}

/// Disconnects a channel; its conversations stay.
pub async fn disconnect(state: &AppState, p: &Principal, id: ChannelId) -> ApiResult<()> {
    require(p, Role::Editor, "disconnect channels")?;
    if tenant(state, p).delete_channel(id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("channel"))
    }
}

fn entry(m: crate::store::MessageRow) -> TranscriptEntry {
    TranscriptEntry {
        id: m.id,
        direction: m.direction.to_string(),
        text: m.preview,
        body: serde_json::from_str(&m.body).unwrap_or_default(),
        status: m.status.to_string(),
        error: m.error,
        at: m.created_at,
        author: m.author,
    }
}

/// The transcript of a conversation after a cursor.
pub fn transcript_entries(rows: Vec<crate::store::MessageRow>) -> Vec<TranscriptEntry> {
    rows.into_iter().map(entry).collect()
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn origins_are_checked_and_normalised() {
        assert_eq!(
            parse_origin("https://Shop.Example/").as_deref(),
            Some("https://shop.example")
        );
        assert_eq!(
            parse_origin("http://localhost:8080").as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        for bad in [
            "shop.example",
            "ftp://x",
            "https://",
            "https://a/b",
            "https://a:99999",
            "javascript:alert(1)",
        ] {
            assert_eq!(parse_origin(bad), None, "{bad}");
        }
    }
}

//! Handoffs: the inbox settings of a workspace, that is the notification
//! webhook told of every handoff (its URL and signing secret) and how long
//! a reply sent outside Botme pauses the bot.

use app::model::{ErrorCode, Principal, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{require, tenant, workspace};
use crate::engine::alerts::secret_context;
use crate::engine::http_steps::check_target;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The longest echo pause, in minutes (a week).
const MAX_PAUSE_MINUTES: i64 = 7 * 24 * 60;

/// A workspace's inbox settings. The signing secret is shown only when it
/// is made (`secret`); afterwards only whether there is one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboxSettings {
    /// Where handoffs are POSTed (empty: nowhere).
    pub notify_url: String,
    /// Whether a signing secret exists.
    pub has_secret: bool,
    /// The signing secret, only in the answer that created or rotated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// How long a reply sent from Meta's inbox pauses the bot, in minutes
    /// (0: not at all).
    pub echo_pause_minutes: i64,
    /// The latest notifications: `[{id, status, attempts, last_error, created_at}]`.
    #[schema(value_type = Vec<Object>)]
    pub recent: Vec<serde_json::Value>,
}

/// `PUT /api/v1/settings/inbox`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct InboxSettingsRequest {
    /// Where to POST handoffs: an `https` address (empty: nowhere).
    pub notify_url: Option<String>,
    /// Minutes, 0 to 10,080.
    pub echo_pause_minutes: Option<i64>,
    /// Make a new signing secret (one is made with the first URL).
    #[serde(default)]
    pub rotate_secret: bool,
}

/// The workspace's inbox settings.
pub async fn get_inbox_settings(state: &AppState, p: &Principal) -> ApiResult<InboxSettings> {
    let t = tenant(state, p);
    let s = t.inbox_settings().await?;
    let recent = t.recent_notifications(10).await?;
    Ok(InboxSettings {
        notify_url: s.notify_url,
        has_secret: !s.notify_secret.is_empty(),
        secret: None,
        echo_pause_minutes: s.echo_pause_minutes,
        recent: recent
            .into_iter()
            .map(|n| {
                serde_json::json!({
                    "id": n.id, "status": n.status, "attempts": n.attempts,
                    "last_error": n.last_error, "created_at": n.created_at,
                })
            })
            .collect(),
    })
}

/// Changes the inbox settings (editors and owners).
pub async fn set_inbox_settings(
    state: &AppState,
    p: &Principal,
    req: InboxSettingsRequest,
) -> ApiResult<InboxSettings> {
    require(p, Role::Editor, "change the inbox settings")?;
    let t = tenant(state, p);
    let mut s = t.inbox_settings().await?;
    if let Some(url) = req.notify_url {
        let url = url.trim().to_string();
        if !url.is_empty() {
            let parsed = reqwest::Url::parse(&url).map_err(|_| {
                ApiError::invalid(
                    ErrorCode::InvalidBody,
                    "notify_url must be a full https address, like https://hooks.example.com/botme.",
                )
            })?;
            let allow_private = state.workers.http_steps.allow_private;
            if parsed.scheme() != "https" && !allow_private {
                return Err(ApiError::invalid(
                    ErrorCode::InvalidBody,
                    "notify_url must use https: handoffs carry your shoppers' names.",
                ));
            }
            check_target(&parsed, allow_private).map_err(|e| {
                ApiError::invalid(ErrorCode::InvalidBody, format!("notify_url: {e}."))
            })?;
            if url.len() > 2000 {
                return Err(ApiError::invalid(
                    ErrorCode::InvalidBody,
                    "notify_url is longer than 2,000 characters.",
                ));
            }
        }
        s.notify_url = url;
    }
    if let Some(minutes) = req.echo_pause_minutes {
        if !(0..=MAX_PAUSE_MINUTES).contains(&minutes) {
            return Err(ApiError::invalid(
                ErrorCode::InvalidBody,
                format!("echo_pause_minutes must be from 0 to {MAX_PAUSE_MINUTES}."),
            ));
        }
        s.echo_pause_minutes = minutes;
    }
    let mut secret = None;
    if req.rotate_secret || (s.notify_secret.is_empty() && !s.notify_url.is_empty()) {
        let plain = format!("whsec_{}", hex::encode(rand::random::<[u8; 24]>()));
        s.notify_secret = state.sealer.seal(&plain, &secret_context(workspace(p).0));
        secret = Some(plain);
    }
    t.save_inbox_settings(&s).await?;
    let mut out = get_inbox_settings(state, p).await?;
    out.secret = secret;
    Ok(out)
}

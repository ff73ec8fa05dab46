//! Proof that a Messenger page or WhatsApp number belongs to whoever
//! connects it. Page ids are public, so an id alone proves nothing: the
//! Graph API is asked whose the pasted access token is, and a token that
//! cannot act for the account is refused. The first tenant to type a shop's
//! page id therefore does not receive that shop's shoppers.

use std::time::Duration;

use app::channel::Channel;
use app::model::ErrorCode;
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long the Graph API may take to answer the check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Graph API error code of an invalid or expired access token.
const INVALID_TOKEN: i64 = 190;

/// Checks with the Graph API that `token` can act for `account` (a page id
/// or a phone number id). Returns the name Meta gives the account, for a
/// channel the merchant did not name.
///
/// - Messenger: `GET /me?fields=id,name` with the page token answers the
///   page the token belongs to.
/// - WhatsApp: `GET /{phone_number_id}` answers the number only to a token
///   of the business that owns it (error 100 otherwise).
pub async fn prove_owner(
    state: &AppState,
    kind: Channel,
    account: &str,
    token: &str,
) -> ApiResult<Option<String>> {
    let settings = &state.workers.sender;
    let url = match kind {
        Channel::Messenger => format!("{}/me?fields=id,name", settings.graph_url),
        Channel::Whatsapp => format!(
            "{}/{account}?fields=id,display_phone_number,verified_name",
            settings.graph_url
        ),
        Channel::Web => return Ok(None),
    };
    let answer = settings
        .http
        .get(&url)
        .bearer_auth(token)
        .timeout(CHECK_TIMEOUT)
        .send()
        .await;
    let res = match answer {
        Ok(res) => res,
        Err(e) => {
            tracing::warn!(error = %e, "could not reach the Graph API to check an access token");
            return Err(unreachable());
        }
    };
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    let error = &body["error"];
    if status.is_success() && error.is_null() {
        let id = body["id"].as_str().unwrap_or_default();
        let name = match kind {
            Channel::Messenger => body["name"].as_str().map(str::to_string),
            _ => whatsapp_name(&body),
        };
        if id == account {
            return Ok(name);
        }
        return Err(match kind {
            Channel::Messenger => refused(format!(
                "This access token belongs to another Facebook page ({}), not to page {account}. \
                 Create a page access token for page {account} and paste it here.",
                name.as_deref().unwrap_or(id)
            )),
            _ => refused(format!(
                "This access token does not manage WhatsApp phone number id {account}."
            )),
        });
    }
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        tracing::warn!(%status, "the Graph API failed while checking an access token");
        return Err(unreachable());
    }
    let code = error["code"].as_i64();
    tracing::info!(%status, code, "Meta refused an access token offered for a channel");
    Err(match (code, kind) {
        (Some(INVALID_TOKEN), _) => refused(
            "Meta says this access token is invalid or has expired. Create a new one in Meta's settings and paste it here."
                .to_string(),
        ),
        (_, Channel::Messenger) => refused(format!(
            "Meta did not accept this access token for page {account}. Use a page access token of that page."
        )),
        _ => refused(format!(
            "This access token cannot manage WhatsApp phone number id {account}. Use a system-user token \
             of the WhatsApp Business Account that owns the number."
        )),
    })
}

/// "Shop (+1 555 078 3881)" from a phone number's verified name and number.
fn whatsapp_name(body: &Value) -> Option<String> {
    let name = body["verified_name"].as_str().filter(|s| !s.is_empty());
    let number = body["display_phone_number"]
        .as_str()
        .filter(|s| !s.is_empty());
    match (name, number) {
        (Some(n), Some(p)) => Some(format!("{n} ({p})")),
        (Some(n), None) => Some(n.to_string()),
        (None, Some(p)) => Some(format!("WhatsApp {p}")),
        (None, None) => None,
    }
}

fn refused(message: String) -> ApiError {
    ApiError::invalid(ErrorCode::InvalidChannel, message)
}

fn unreachable() -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        ErrorCode::MetaUnavailable,
        "Botme could not reach Meta to check the access token. Nothing was saved; try again in a minute.",
    )
}

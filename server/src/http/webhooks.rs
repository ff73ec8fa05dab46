//! Meta's webhooks: `GET` answers the `hub.*` handshake; `POST` checks
//! `X-Hub-Signature-256` over the raw bytes, parses every event of the
//! batch and hands them to the ingest writer, which resolves each to its
//! tenant by page id or `phone_number_id` and stores messages in the
//! durable inbox and receipts in their table, in a group commit with other
//! deliveries (see [`crate::engine::ingest`]). The handler answers 200 once
//! that is committed; the pipeline applies them.
//!
//! A bad signature is the only refusal (401, nothing stored). A body that
//! verifies but cannot be used (malformed, another product, an unknown
//! page) is acknowledged and dropped: Meta would otherwise retry it for
//! days.

use app::model::ErrorCode;
use std::collections::HashMap;

use app::channel::Channel;
use app::inbound::{InboundError, InboundEvent, parse_messenger, parse_whatsapp};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::engine::ingest::Parcel;
use crate::http::error::{ApiError, ingest_refused};
use crate::state::AppState;

/// WhatsApp payloads can be up to 3 MB.
pub const MAX_WEBHOOK_BYTES: usize = 4 * 1024 * 1024;

/// The webhook routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/messenger", get(handshake).post(messenger))
        .route("/webhooks/whatsapp", get(handshake).post(whatsapp))
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
}

/// `GET`: Meta checks the callback URL with `hub.mode=subscribe`, our
/// verify token and a challenge to echo.
async fn handshake(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let expected = state.meta_verify_token.as_deref().unwrap_or_default();
    let given = q
        .get("hub.verify_token")
        .map(String::as_str)
        .unwrap_or_default();
    let ok = q.get("hub.mode").map(String::as_str) == Some("subscribe")
        && !expected.is_empty()
        && bool::from(given.as_bytes().ct_eq(expected.as_bytes()));
    match (ok, q.get("hub.challenge")) {
        (true, Some(challenge)) => (StatusCode::OK, challenge.clone()).into_response(),
        _ => {
            if expected.is_empty() {
                tracing::warn!("webhook handshake refused: META_VERIFY_TOKEN is not set");
            }
            (StatusCode::FORBIDDEN, "verification failed").into_response()
        }
    }
}

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the raw body, in
/// constant time.
pub fn signature_ok(secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// The signature of a body, as Meta computes it (tests and tools use this).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn messenger(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    receive(&state, Channel::Messenger, &headers, &body, parse_messenger).await
}

async fn whatsapp(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    receive(&state, Channel::Whatsapp, &headers, &body, parse_whatsapp).await
}

fn ack() -> Response {
    (StatusCode::OK, "EVENT_RECEIVED").into_response()
}

async fn receive(
    state: &AppState,
    channel: Channel,
    headers: &HeaderMap,
    body: &[u8],
    parse: fn(&[u8]) -> Result<Vec<InboundEvent>, InboundError>,
) -> Response {
    let kind = channel.as_str();
    let Some(secret) = state.meta_app_secret.as_deref() else {
        tracing::error!(
            "webhook refused: META_APP_SECRET is not set, signatures cannot be checked"
        );
        return unauthorized();
    };
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !signature_ok(secret, header, body) {
        metrics::counter!("webhook_rejected_total", "channel" => kind, "reason" => "signature")
            .increment(1);
        return unauthorized();
    }
    let events = match parse(body) {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(channel = kind, error = %e, "webhook body acknowledged and dropped");
            metrics::counter!("webhook_dropped_total", "channel" => kind, "reason" => "malformed")
                .increment(1);
            return ack();
        }
    };
    metrics::counter!("webhook_events_total", "channel" => kind).increment(events.len() as u64);
    match state
        .engine
        .ingest(Parcel::Webhook { channel, events })
        .await
    {
        Ok(_) => ack(),
        // Not acknowledged: Meta retries, and the inbox deduplicates.
        Err(e) => ingest_refused(e),
    }
}

fn unauthorized() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::BadSignature,
        "The X-Hub-Signature-256 header is missing or does not match the body.",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_over_the_raw_bytes() {
        let body = br#"{"object":"page","entry":[{"id":"1","messaging":[]}],"note":"\u00e4"}"#;
        let sig = sign("app-secret", body);
        assert!(signature_ok("app-secret", Some(&sig), body));
        assert!(!signature_ok("other-secret", Some(&sig), body));
        assert!(!signature_ok(
            "app-secret",
            Some(&sig),
            br#"{"object":"page"}"#
        ));
        assert!(!signature_ok("app-secret", None, body));
        assert!(!signature_ok("app-secret", Some("sha1=abc"), body));
        assert!(!signature_ok("app-secret", Some("sha256=zz"), body));
        // Re-serialising the JSON changes the bytes, so it no longer verifies.
        let reparsed =
            serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(body).unwrap())
                .unwrap();
        assert!(!signature_ok("app-secret", Some(&sig), &reparsed));
    }
}

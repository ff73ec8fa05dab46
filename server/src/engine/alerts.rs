//! The handoff notification webhook: each queued notification is POSTed as
//! JSON to the workspace's URL, signed with its secret, and retried with
//! exponential backoff for a day until it is answered with a 2xx.
//!
//! The signature header is `Botme-Signature: t=<unix seconds>,v1=<hex>`,
//! where the hex is HMAC-SHA256 over `"<t>.<body>"` with the workspace's
//! signing secret, so a receiver can check both who sent it and when.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Engine;
use crate::crypto::Sealer;
use crate::store::{NotificationRow, now_ms};

/// Notifications sent at once by one instance.
const AT_ONCE: i64 = 8;
/// How long one POST may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// After this long a notification is given up.
const GIVE_UP_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest wait between attempts.
const MAX_BACKOFF_MS: i64 = 60 * 60 * 1000;

/// The sealing context of a workspace's signing secret.
pub fn secret_context(workspace: i64) -> String {
    format!("inbox-webhook:{workspace}")
}

/// The `Botme-Signature` header of `body` sent at `t` (Unix seconds).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `attempts + 1`: `base_ms` doubling, at most an
/// hour.
fn backoff_ms(base_ms: i64, attempts: i64) -> i64 {
    (base_ms.max(1) << attempts.clamp(0, 20)).min(MAX_BACKOFF_MS)
}

/// Starts the notification sender. `allow_private` lets it reach private
/// addresses (tests and local development), like the HTTP steps.
/// Retries wait `retry_base_ms` (the sender's setting), doubling.
pub fn spawn(engine: Engine, sealer: Sealer, allow_private: bool, retry_base_ms: i64) {
    let http = super::http_steps::client(allow_private);
    tokio::spawn(async move {
        loop {
            let claimed = engine
                .store()
                .queue()
                .claim_notifications(engine.instance(), AT_ONCE)
                .await;
            match claimed {
                Ok(rows) if !rows.is_empty() => {
                    let sends = rows
                        .into_iter()
                        .map(|row| send(&engine, &sealer, &http, row, retry_base_ms));
                    futures_util::future::join_all(sends).await;
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not claim notifications"),
            }
            let woken = engine.wake().notify.notified();
            let _ = tokio::time::timeout(Duration::from_secs(2), woken).await;
        }
    });
}

async fn send(
    engine: &Engine,
    sealer: &Sealer,
    http: &reqwest::Client,
    row: NotificationRow,
    retry_base_ms: i64,
) {
    let outcome = match sealer.open(&row.secret, &secret_context(row.workspace_id.0)) {
        Err(_) => Err(
            "the signing secret cannot be read with this server key; rotate it in Settings"
                .to_string(),
        ),
        Ok(secret) => {
            let t = now_ms() / 1000;
            let answer = http
                .post(&row.url)
                .timeout(TIMEOUT)
                .header("content-type", "application/json")
                .header("botme-signature", signature(&secret, t, &row.body))
                .body(row.body.clone())
                .send()
                .await;
            match answer {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("the webhook answered {}", r.status())),
                Err(e) if e.is_timeout() => Err("the webhook did not answer in time".to_string()),
                Err(e) => Err(format!("the webhook could not be reached: {e}")),
            }
        }
    };
    let q = engine.store().queue();
    let result = match outcome {
        Ok(()) => {
            metrics::counter!("notifications_total", "outcome" => "delivered").increment(1);
            q.notification_attempted(row.id, true, None, None).await
        }
        Err(error) => {
            let next = now_ms() + backoff_ms(retry_base_ms, row.attempts);
            let retry = (next - row.created_at < GIVE_UP_MS).then_some(next);
            metrics::counter!("notifications_total", "outcome" => if retry.is_some() { "retry" } else { "failed" }).increment(1);
            q.notification_attempted(row.id, false, Some(&error), retry)
                .await
        }
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, id = row.id, "could not record a notification attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::{backoff_ms, signature};

    #[test]
    fn signatures_cover_time_and_body() {
        let a = signature("whsec_1", 1_700_000_000, "{}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("whsec_1", 1_700_000_001, "{}"));
        assert_ne!(a, signature("whsec_2", 1_700_000_000, "{}"));
        assert_ne!(a, signature("whsec_1", 1_700_000_000, "{ }"));
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(5_000, 0), 5_000);
        assert_eq!(backoff_ms(5_000, 1), 10_000);
        assert_eq!(backoff_ms(5_000, 30), 60 * 60 * 1000);
    }
}

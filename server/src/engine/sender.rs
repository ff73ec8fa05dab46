//! The outbox worker: delivers queued messages to Messenger and WhatsApp
//! through the one HTTP client and `META_GRAPH_URL`.
//!
//! - Each conversation's messages go out in order: only the oldest unsent
//!   message of a conversation is ever in flight.
//! - A token bucket per page or phone number, and WhatsApp's per-recipient
//!   pair rate, pace the calls.
//! - Retryable failures (429, 5xx, timeouts, Meta's throttling codes) are
//!   retried with exponential backoff and jitter; terminal ones (a closed
//!   24-hour window, an unreachable user, a bad request, an invalid token)
//!   are recorded and not retried. A free-form message outside the window is
//!   not attempted at all.
//! - Platforms take no idempotency key. Each part carries a tag naming it
//!   (Messenger's `metadata`, WhatsApp's `biz_opaque_callback_data`), which
//!   Meta hands back on the echo or `sent` status. After an ambiguous
//!   failure (a timeout or a 5xx: Meta may have taken the message), the
//!   part is not sent again until that proof has had [`Settings::echo_wait`]
//!   to arrive; if it does, the message goes on with its next part. Only a
//!   crash between a send and its commit, or an echo later than that wait,
//!   can repeat a part, and no other.

use std::sync::Arc;
use std::time::Duration;

use app::channel::render::{self, MessengerPart};
use app::channel::{Channel, Outbound, SendTag, window};
use serde_json::{Value, json};

use super::ratelimit::Buckets;
use super::{Engine, InFlight};
use crate::crypto::{Sealer, token_context};
use crate::store::{MessageStatus, OutboxRow, now_ms};

/// The platforms' customer-service window.
pub const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
/// Attempts before a message is given up on.
pub const MAX_ATTEMPTS: i64 = 10;
/// Longest wait between retries.
const MAX_BACKOFF_MS: i64 = 5 * 60 * 1000;
/// How long one call to Meta may take, unless configured otherwise.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// What to do after a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again later; `after_ms` when Meta says how long to wait.
    Retry {
        /// Why.
        reason: String,
        /// A wait Meta asked for, in milliseconds.
        after_ms: Option<i64>,
    },
    /// Do not retry this message.
    Terminal {
        /// Why, for the transcript.
        reason: String,
    },
    /// The channel itself is broken (the token is invalid): stop it.
    Channel {
        /// Why.
        reason: String,
    },
}

/// Classifies a Graph API answer. `status` 0 means no HTTP answer (timeout,
/// connection refused). Codes: `platforms.md` §6.
pub fn classify(status: u16, body: &Value, attempt: i64) -> Failure {
    let err = &body["error"];
    let code = err["code"].as_i64();
    let subcode = err["error_subcode"].as_i64();
    let message = err["message"].as_str().unwrap_or("").to_string();
    let reason = |what: &str| match code {
        Some(c) => format!(
            "{what} (Meta error {c}{}: {message})",
            subcode.map(|s| format!("/{s}")).unwrap_or_default()
        ),
        None => format!("{what} (HTTP {status})"),
    };
    match code {
        Some(131056) => Failure::Retry {
            reason: reason("Too many messages to this person"),
            // Meta asks for 4^X seconds: 1, 4, 16, …
            after_ms: Some(4_i64.saturating_pow((attempt.clamp(1, 6) - 1) as u32) * 1000),
        },
        Some(1 | 2 | 4 | 613 | 80007 | 130429 | 131000 | 131016) => Failure::Retry {
            reason: reason("Meta asked to slow down or was briefly unavailable"),
            after_ms: None,
        },
        Some(10) if subcode == Some(2018278) => Failure::Terminal {
            reason: reason("The 24-hour messaging window has closed"),
        },
        // One person, not the channel: the page may not message them.
        Some(10) if subcode == Some(2018108) => Failure::Terminal {
            reason: reason("This person cannot be messaged by the page"),
        },
        Some(10) if subcode == Some(1893063) => Failure::Retry {
            reason: reason("Meta has temporarily restricted the page"),
            after_ms: Some(MAX_BACKOFF_MS),
        },
        Some(131047) => Failure::Terminal {
            reason: reason("The 24-hour messaging window has closed"),
        },
        Some(551) | Some(131026) => Failure::Terminal {
            reason: reason("This person cannot be reached"),
        },
        Some(190) => Failure::Channel {
            reason: reason("The access token is no longer valid; reconnect the channel"),
        },
        Some(0 | 10 | 200..=299) => Failure::Channel {
            reason: reason("The app lacks permission to message on this channel"),
        },
        Some(368 | 131031) => Failure::Channel {
            reason: reason("The account is blocked or locked by Meta"),
        },
        // An unlisted code on a server error is an outage, not a refusal.
        Some(_) if status >= 500 => Failure::Retry {
            reason: reason("Meta was briefly unavailable"),
            after_ms: None,
        },
        Some(_) => Failure::Terminal {
            reason: reason("Meta refused the message"),
        },
        None if status == 0 || status == 429 || status >= 500 => Failure::Retry {
            reason: reason("Meta did not answer in time or was unavailable"),
            after_ms: None,
        },
        None => Failure::Terminal {
            reason: reason("Meta refused the message"),
        },
    }
}

/// Exponential backoff with jitter: about `base · 2^(attempt-1)`, between
/// half and one and a half times that, capped at five minutes.
pub fn backoff_ms(base_ms: i64, attempt: i64) -> i64 {
    let exp = base_ms
        .saturating_mul(1_i64 << attempt.clamp(1, 20).saturating_sub(1))
        .min(MAX_BACKOFF_MS);
    let jitter: f64 = rand::random::<f64>() + 0.5;
    ((exp as f64) * jitter) as i64
}

/// Whether a person's reply goes with Messenger's `HUMAN_AGENT` tag: the
/// shopper's last message is 24 hours old or more.
fn needs_human_agent_tag(row: &OutboxRow, now: i64) -> bool {
    row.kind == Channel::Messenger && row.last_inbound_at.is_some_and(|t| now - t >= WINDOW_MS)
}

/// The request bodies of one outbound message, recipient included.
pub fn bodies(kind: Channel, recipient: &str, recipient_kind: &str, msg: &Outbound) -> Vec<Value> {
    match kind {
        Channel::Messenger => render::messenger(msg)
            .into_iter()
            .map(|part| match part {
                MessengerPart::Message(m) => json!({
                    "recipient": {"id": recipient},
                    "messaging_type": "RESPONSE",
                    "message": m,
                }),
                MessengerPart::Action(a) => {
                    json!({"recipient": {"id": recipient}, "sender_action": a})
                }
            })
            .collect(),
        Channel::Whatsapp => render::whatsapp(msg)
            .into_iter()
            .map(|mut part| {
                part["messaging_product"] = json!("whatsapp");
                part["recipient_type"] = json!("individual");
                // A business-scoped user id goes in `recipient`: in `to` it is
                // accepted and then silently dropped.
                if recipient_kind == "bsuid" {
                    part["recipient"] = json!(recipient);
                } else {
                    part["to"] = json!(recipient);
                }
                part
            })
            .collect(),
        Channel::Web => Vec::new(),
    }
}

/// Marks one request body with the tag that names its part, where the
/// platform hands it back: a Messenger message's `metadata` (sender actions
/// have no echo), every WhatsApp message's `biz_opaque_callback_data`.
/// Answers whether the body was marked.
pub fn tag(kind: Channel, body: &mut Value, tag: SendTag) -> bool {
    match kind {
        Channel::Messenger => match body.get_mut("message").and_then(Value::as_object_mut) {
            Some(message) => {
                message.insert("metadata".into(), json!(tag.to_string()));
                true
            }
            None => false,
        },
        Channel::Whatsapp => {
            body["biz_opaque_callback_data"] = json!(tag.to_string());
            true
        }
        Channel::Web => false,
    }
}

/// The outbox worker's settings.
#[derive(Clone)]
pub struct Settings {
    /// The one outbound HTTP client.
    pub http: reqwest::Client,
    /// Base URL of the Graph API, without a trailing slash.
    pub graph_url: Arc<str>,
    /// Calls per page or number.
    pub account_rate: Arc<Buckets>,
    /// Messages per WhatsApp recipient.
    pub pair_rate: Arc<Buckets>,
    /// First retry delay of failed sends.
    pub retry_base_ms: i64,
    /// How long one call to the Graph API may take.
    pub timeout: Duration,
    /// After an ambiguous failure, how long to wait for the echo or status
    /// that proves the part arrived before sending it again.
    pub echo_wait: Duration,
}

/// What one send needs: the engine, the key that opens channel tokens, and
/// the settings.
#[derive(Clone)]
struct Sender {
    engine: Engine,
    sealer: Sealer,
    settings: Settings,
}

/// How often the outcome of a send is written before it is given up on:
/// with the wait doubling to 5 s, about ten minutes.
const PERSIST_ATTEMPTS: u32 = 120;

/// Writes the outcome of a send, again and again while the database refuses
/// it (a lock held past the busy timeout, a PostgreSQL restart). The call
/// to Meta happened: a message left `sending` under this live instance's
/// claim would wait for a restart and then go twice. Meanwhile the send
/// keeps its place among those in flight, which slows the sender down as
/// the database would anyway.
async fn persist<F, Fut>(what: &str, mut write: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::store::Result<()>>,
{
    let mut wait = Duration::from_millis(50);
    for attempt in 1..=PERSIST_ATTEMPTS {
        match write().await {
            Ok(()) => return,
            Err(e) if attempt == PERSIST_ATTEMPTS => {
                tracing::error!(error = %e, "could not record {what}; giving up until a restart");
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, "could not record {what}; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Messages being sent at once by one instance.
const SENDS_IN_FLIGHT: usize = 64;

/// Starts the worker. Messages a stopped process left half sent come back
/// through [`crate::engine::claims`].
pub fn spawn(engine: Engine, sealer: Sealer, settings: Settings) {
    let sender = Sender {
        engine,
        sealer,
        settings,
    };
    tokio::spawn(async move {
        let in_flight = InFlight::new(SENDS_IN_FLIGHT);
        loop {
            let store = sender.engine.store();
            let mut room = in_flight.room().await;
            let woken = sender.engine.wake().outbox.notified();
            match store
                .queue()
                .claim_outbox(sender.engine.instance(), room.size as i64)
                .await
            {
                Ok(rows) if !rows.is_empty() => {
                    for row in rows {
                        let slot = room.take();
                        let sender = sender.clone();
                        tokio::spawn(async move {
                            sender.guarded(row).await;
                            drop(slot);
                        });
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the outbox"),
            }
            // Sleep until the next retry is due (new messages wake it
            // sooner); look again at least every second for work queued by
            // other instances.
            let wait = match store.queue().next_outbox_due().await {
                Ok(Some(due)) => Duration::from_millis((due - now_ms()).clamp(10, 1000) as u64),
                _ => Duration::from_secs(1),
            };
            let _ = tokio::time::timeout(wait, woken).await;
        }
    });
}

impl Sender {
    /// Sends one message; a panic puts it back in line instead of leaving
    /// it stuck as `sending`.
    async fn guarded(self, row: OutboxRow) {
        let id = row.id;
        let attempts = row.attempts;
        let inner = {
            let this = self.clone();
            tokio::spawn(async move { this.send(row).await })
        };
        if inner.await.is_err() {
            // A bug, not the platform.
            tracing::error!(message = id, "sending a message panicked");
            let at = now_ms() + backoff_ms(self.settings.retry_base_ms, attempts + 1);
            persist("a failed send", || {
                self.engine.store().queue().outbox_retry(
                    id,
                    attempts + 1,
                    at,
                    "Sending failed unexpectedly; it will be tried again.",
                )
            })
            .await;
        }
        // The conversation's next message may go now.
        self.engine.wake().outbox.notify_one();
    }

    /// Parks a message until its channel works again (the merchant replaces
    /// the access token): it stays in line, and nothing more is sent there.
    async fn stop_channel(&self, row: &OutboxRow, reason: &str) {
        tracing::error!(channel = row.channel_id.0, %reason, "channel stopped");
        let s = self.engine.store();
        persist("a stopped channel", || {
            s.queue().set_channel_health(row.channel_id, reason)
        })
        .await;
        let note = format!("Waiting for the channel to be reconnected: {reason}");
        persist("a parked message", || {
            s.queue()
                .outbox_retry(row.id, row.attempts, now_ms(), &note)
        })
        .await;
    }

    /// What must hold before a message is sent: it is readable, it goes to
    /// a Meta channel, the 24-hour window is open and the token opens.
    /// Answers the message and the token, or closes the row and answers
    /// `None`.
    async fn prepare(&self, row: &OutboxRow) -> Option<(Outbound, String)> {
        let s = self.engine.store();
        let msg: Outbound = match serde_json::from_str(&row.body) {
            Ok(m) => m,
            Err(e) => {
                let note = format!("unreadable message: {e}");
                persist("an unreadable message", || {
                    s.queue()
                        .outbox_closed(row.id, MessageStatus::Failed, &note)
                })
                .await;
                return None;
            }
        };
        if !row.kind.is_meta() {
            persist("a sent message", || s.queue().outbox_sent(row.id)).await;
            return None;
        }
        // Free-form messages are allowed within 24 hours of the shopper's last
        // message only (a person's reply on Messenger within 7 days, with
        // the `HUMAN_AGENT` tag); outside it, Meta refuses them anyway.
        let window = if row.human != 0 && row.kind == Channel::Messenger {
            window::HUMAN_AGENT_WINDOW_MS
        } else {
            WINDOW_MS
        };
        if row.last_inbound_at.is_none_or(|t| now_ms() - t > window) {
            persist("a skipped message", || {
                s.queue().outbox_closed(
                    row.id,
                    MessageStatus::Skipped,
                    "Not sent: more than 24 hours have passed since the shopper's last message, so the platform does not allow free-form messages.",
                )
            })
            .await;
            metrics::counter!("outbox_skipped_total", "reason" => "window").increment(1);
            return None;
        }
        let token = row
            .token_ciphertext
            .as_deref()
            .map(|t| self.sealer.open(t, &token_context(row.kind, &row.account)));
        match token {
            Some(Ok(t)) => Some((msg, t)),
            _ => {
                let reason = "The channel's access token cannot be read with this server key; reconnect the channel.";
                self.stop_channel(row, reason).await;
                None
            }
        }
    }

    /// One call to the Graph API: the status (0 for no answer), the JSON
    /// answer and a `Retry-After` in seconds.
    async fn call(&self, row: &OutboxRow, url: &str, token: &str, body: &Value) -> Answer {
        let started = std::time::Instant::now();
        let result = self
            .settings
            .http
            .post(url)
            .bearer_auth(token)
            .json(body)
            .timeout(self.settings.timeout)
            .send()
            .await;
        let answer = match result {
            Ok(res) => {
                let status = res.status().as_u16();
                let retry_after = res
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i64>().ok());
                let json: Value = res.json().await.unwrap_or(Value::Null);
                Answer {
                    status,
                    json,
                    retry_after,
                    ambiguous: status >= 500,
                }
            }
            Err(e) => {
                tracing::info!(error = %e, "send to Meta failed without an answer");
                Answer {
                    status: 0,
                    json: Value::Null,
                    retry_after: None,
                    // A refused connection sent nothing; a timeout or a cut
                    // answer may follow a message Meta took.
                    ambiguous: !e.is_connect(),
                }
            }
        };
        metrics::histogram!("graph_call_seconds", "channel" => row.kind.as_str())
            .record(started.elapsed().as_secs_f64());
        answer
    }

    async fn send(&self, row: OutboxRow) {
        let Some((msg, token)) = self.prepare(&row).await else {
            return;
        };
        let s = self.engine.store();
        let mut bodies = bodies(row.kind, &row.recipient, &row.recipient_kind, &msg);
        if row.human != 0 && needs_human_agent_tag(&row, now_ms()) {
            for body in &mut bodies {
                if body.get("messaging_type").is_some() {
                    body["messaging_type"] = json!("MESSAGE_TAG");
                    body["tag"] = json!("HUMAN_AGENT");
                }
            }
        }
        let url = format!("{}/{}/messages", self.settings.graph_url, row.account);
        let pair_key = format!("{}:{}", row.account, row.recipient);
        let parts = bodies.len();
        // The last part's id, recorded with the message's end.
        let mut last: Option<(i64, String)> = None;
        for (i, mut body) in bodies
            .into_iter()
            .enumerate()
            .skip(row.parts_sent.max(0) as usize)
        {
            let tagged = tag(
                row.kind,
                &mut body,
                SendTag {
                    message: row.id,
                    part: i as i64,
                },
            );
            self.settings.account_rate.acquire(&row.account).await;
            if row.kind == Channel::Whatsapp {
                self.settings.pair_rate.acquire(&pair_key).await;
            }
            let answer = self.call(&row, &url, &token, &body).await;
            if (200..300).contains(&answer.status) {
                let json = &answer.json;
                let id = json["message_id"]
                    .as_str()
                    .or(json["messages"][0]["id"].as_str())
                    .unwrap_or_default()
                    .to_string();
                if i + 1 == parts {
                    last = Some((i as i64 + 1, id));
                } else {
                    persist("a sent part", || {
                        s.queue().outbox_progress(row.id, i as i64 + 1, &id)
                    })
                    .await;
                }
                metrics::counter!("graph_calls_total", "channel" => row.kind.as_str(), "outcome" => "ok").increment(1);
                continue;
            }
            self.failed(&row, answer, tagged.then_some(i as i64)).await;
            return;
        }
        persist("a sent message", || async {
            match &last {
                Some((parts, id)) => s.queue().outbox_delivered(row.id, *parts, id).await,
                // Every part had gone before (an echo proved the last one).
                None => s.queue().outbox_sent(row.id).await,
            }
        })
        .await;
        metrics::histogram!("outbox_latency_seconds", "channel" => row.kind.as_str())
            .record(((now_ms() - row.created_at).max(0) as f64) / 1000.0);
    }

    /// Records a failed call of part `tagged` (when it carried its tag): a
    /// retry later, a failed message, or a stopped channel.
    async fn failed(&self, row: &OutboxRow, answer: Answer, tagged: Option<i64>) {
        let s = self.engine.store();
        let attempt = row.attempts + 1;
        // The part Meta may have taken: tagged, so its echo can prove it.
        let unconfirmed = tagged.filter(|_| answer.ambiguous);
        match (classify(answer.status, &answer.json, attempt), unconfirmed) {
            (Failure::Retry { reason, .. }, Some(part)) if attempt < MAX_ATTEMPTS => {
                // Meta may have taken it: wait for the proof before
                // sending it again.
                metrics::counter!("graph_calls_total", "channel" => row.kind.as_str(), "outcome" => "unconfirmed").increment(1);
                let wait = (self.settings.echo_wait.as_millis() as i64)
                    .max(backoff_ms(self.settings.retry_base_ms, attempt));
                let note = format!(
                    "{reason}; waiting up to {} s for Meta to confirm delivery before sending again",
                    (wait + 999) / 1000
                );
                let at = now_ms() + wait;
                persist("an unconfirmed send", || {
                    s.queue()
                        .outbox_unconfirmed(row.id, attempt, part, at, &note)
                })
                .await;
            }
            (Failure::Retry { reason, after_ms }, _) if attempt < MAX_ATTEMPTS => {
                metrics::counter!("graph_calls_total", "channel" => row.kind.as_str(), "outcome" => "retry").increment(1);
                let wait = after_ms
                    .or(answer
                        .retry_after
                        .map(|s| s.saturating_mul(1000).clamp(0, MAX_BACKOFF_MS)))
                    .unwrap_or_else(|| backoff_ms(self.settings.retry_base_ms, attempt));
                let at = now_ms() + wait;
                persist("a send to retry", || {
                    s.queue().outbox_retry(row.id, attempt, at, &reason)
                })
                .await;
            }
            (Failure::Retry { reason, .. } | Failure::Terminal { reason }, _) => {
                metrics::counter!("graph_calls_total", "channel" => row.kind.as_str(), "outcome" => "failed").increment(1);
                persist("a failed message", || {
                    s.queue()
                        .outbox_closed(row.id, MessageStatus::Failed, &reason)
                })
                .await;
            }
            (Failure::Channel { reason }, _) => {
                metrics::counter!("graph_calls_total", "channel" => row.kind.as_str(), "outcome" => "channel").increment(1);
                self.stop_channel(row, &reason).await;
            }
        }
    }
}

/// The Graph API's answer to one call.
struct Answer {
    /// The HTTP status; 0 when no answer came.
    status: u16,
    /// The JSON body, or null.
    json: Value,
    /// A `Retry-After` header, in seconds.
    retry_after: Option<i64>,
    /// Whether Meta may have taken the message despite the failure (a
    /// timeout, a cut answer, a 5xx).
    ambiguous: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_error(code: i64, sub: Option<i64>) -> Value {
        json!({"error": {"message": "x", "type": "OAuthException", "code": code, "error_subcode": sub}})
    }

    #[test]
    fn meta_errors_are_classified() {
        assert!(matches!(
            classify(429, &Value::Null, 1),
            Failure::Retry { .. }
        ));
        assert!(matches!(
            classify(503, &Value::Null, 1),
            Failure::Retry { .. }
        ));
        assert!(matches!(
            classify(0, &Value::Null, 1),
            Failure::Retry { .. }
        ));
        assert!(matches!(
            classify(400, &Value::Null, 1),
            Failure::Terminal { .. }
        ));
        for code in [1, 2, 4, 613, 80007, 130429, 131000, 131016] {
            assert!(
                matches!(
                    classify(400, &graph_error(code, None), 1),
                    Failure::Retry { .. }
                ),
                "{code}"
            );
        }
        // Meta's 4^X seconds: 1, 4, 16 …
        for (attempt, wait) in [(1, 1_000), (2, 4_000), (3, 16_000)] {
            assert_eq!(
                classify(400, &graph_error(131056, None), attempt),
                Failure::Retry {
                    reason: "Too many messages to this person (Meta error 131056: x)".into(),
                    after_ms: Some(wait)
                }
            );
        }
        // An unlisted code on a 5xx is an outage; on a 4xx a refusal.
        assert!(matches!(
            classify(500, &graph_error(987654, None), 1),
            Failure::Retry { .. }
        ));
        assert!(matches!(
            classify(400, &graph_error(987654, None), 1),
            Failure::Terminal { .. }
        ));
        // Code 10 is about one person or about the page, by subcode.
        assert!(matches!(
            classify(400, &graph_error(10, Some(2018108)), 1),
            Failure::Terminal { .. }
        ));
        assert!(matches!(
            classify(400, &graph_error(10, Some(1893063)), 1),
            Failure::Retry { .. }
        ));
        assert!(matches!(
            classify(403, &graph_error(10, None), 1),
            Failure::Channel { .. }
        ));
        for (code, sub) in [
            (10, Some(2018278)),
            (131047, None),
            (551, None),
            (131026, None),
            (100, None),
            (131051, None),
            (132000, None),
        ] {
            assert!(
                matches!(
                    classify(400, &graph_error(code, sub), 1),
                    Failure::Terminal { .. }
                ),
                "{code}"
            );
        }
        assert!(matches!(
            classify(400, &graph_error(190, None), 1),
            Failure::Channel { .. }
        ));
        let Failure::Terminal { reason } = classify(400, &graph_error(131047, None), 1) else {
            panic!()
        };
        assert!(reason.contains("24-hour"), "{reason}");
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        for attempt in 1..8 {
            let b = backoff_ms(100, attempt);
            let nominal = 100 * (1 << (attempt - 1));
            assert!(b >= nominal / 2 && b <= nominal * 3 / 2, "{attempt}: {b}");
        }
        assert!(backoff_ms(1000, 30) <= MAX_BACKOFF_MS * 3 / 2);
    }

    #[test]
    fn whatsapp_bodies_address_numbers_and_bsuids_differently() {
        let msg = Outbound::Text { text: "hi".into() };
        let to = bodies(Channel::Whatsapp, "16505551234", "wa_phone", &msg);
        assert_eq!(to[0]["to"], "16505551234");
        assert!(to[0].get("recipient").is_none());
        assert_eq!(to[0]["messaging_product"], "whatsapp");
        let bsuid = bodies(Channel::Whatsapp, "US.77", "bsuid", &msg);
        assert_eq!(bsuid[0]["recipient"], "US.77");
        assert!(bsuid[0].get("to").is_none());
        let fb = bodies(Channel::Messenger, "PSID", "psid", &msg);
        assert_eq!(fb[0]["recipient"]["id"], "PSID");
        assert_eq!(fb[0]["messaging_type"], "RESPONSE");
        assert_eq!(fb[0]["message"]["text"], "hi");
    }
}

//! The inbox worker: applies stored events to conversations, one shopper at
//! a time and in platform-timestamp order, each in one transaction with its
//! replies, orders and the inbox row itself (see [`crate::engine::turns`]).
//!
//! It wakes when a webhook or the web chat stores an event, and every few
//! seconds anyway, so work left by a crash or by another instance is picked
//! up. An event older than the configured maximum age (a backlog Meta
//! replays after an outage) is recorded in the transcript and skipped, not
//! answered as if it were fresh.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::flow::interpreter::Input;

use super::Engine;
use super::turns::{Delivery, Turn, TurnError};
use crate::store::{ChannelId, ChannelRow, InboxRow, InboxStatus, now_ms};

/// Attempts at an event before it is set aside as failed.
const MAX_ATTEMPTS: i64 = 5;

/// The inbox worker's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Events older than this are recorded, not answered.
    pub max_event_age_ms: i64,
}

/// Starts the worker.
pub fn spawn(engine: Engine, settings: Settings) {
    tokio::spawn(async move {
        let busy: Arc<Mutex<HashSet<(ChannelId, String)>>> = Arc::default();
        loop {
            let woken = engine.wake().inbox.notified();
            match engine.store().queue().pending_inbox_groups(64).await {
                Ok(groups) => {
                    for group in groups {
                        let fresh = busy
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(group.clone());
                        if fresh {
                            let engine = engine.clone();
                            let settings = settings.clone();
                            let busy = busy.clone();
                            tokio::spawn(async move {
                                drain(&engine, &settings, &group.0, &group.1).await;
                                busy.lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .remove(&group);
                                // Anything that arrived meanwhile gets a look.
                                engine.wake().inbox.notify_one();
                            });
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not read the inbox"),
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), woken).await;
        }
    });
}

/// Applies one shopper's pending events until none are left.
async fn drain(engine: &Engine, settings: &Settings, channel: &ChannelId, user_key: &str) {
    let queue = engine.store().queue();
    loop {
        let rows = match queue.pending_inbox(*channel, user_key, 50).await {
            Ok(rows) if !rows.is_empty() => rows,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not read pending events");
                return;
            }
        };
        let Some(ch) = queue.channel_by_id(*channel).await.ok().flatten() else {
            return;
        };
        for row in rows {
            if apply_row(engine, settings, &ch, &row).await == Next::Wait {
                break;
            }
        }
    }
}

/// After one event: go on with the shopper's next, or stop and look again
/// later (the event failed and will be retried first, to keep the order).
#[derive(PartialEq)]
enum Next {
    Go,
    Wait,
}

/// Applies one stored event, or closes its inbox row when it cannot be.
async fn apply_row(engine: &Engine, settings: &Settings, ch: &ChannelRow, row: &InboxRow) -> Next {
    let queue = engine.store().queue();
    let input: Input = match serde_json::from_str(&row.input) {
        Ok(i) => i,
        Err(e) => {
            let why = format!("unreadable event: {e}");
            let _ = queue.close_inbox(row.id, InboxStatus::Failed, &why).await;
            return Next::Go;
        }
    };
    let age = now_ms() - row.platform_ts;
    let answer = row.platform_ts <= 0 || age <= settings.max_event_age_ms;
    if !answer {
        metrics::counter!("inbox_skipped_old_total", "channel" => ch.kind.as_str()).increment(1);
        tracing::info!(event = %row.external_id, age_s = age / 1000, "event too old to answer: recorded, not answered");
    }
    let user = format!("{}:{}", ch.id, row.user_key);
    let turn = Turn {
        workspace: row.workspace_id,
        bot: ch.bot_id,
        channel: ch.kind,
        user: &user,
        display_name: &row.display_name,
        event_id: &row.external_id,
        input,
    };
    let via = Delivery {
        channel_id: ch.id,
        recipient: &row.recipient,
        recipient_kind: &row.recipient_kind,
        inbox_id: row.id,
        platform_ts: row.platform_ts,
        answer,
    };
    let started = std::time::Instant::now();
    match engine.apply_delivered(turn, via).await {
        Ok(_) => {
            metrics::histogram!("inbox_apply_seconds").record(started.elapsed().as_secs_f64());
            Next::Go
        }
        Err(TurnError::NotPublished) => {
            let why = "The bot has not been published yet.";
            let _ = queue.close_inbox(row.id, InboxStatus::Skipped, why).await;
            Next::Go
        }
        Err(e) => {
            tracing::warn!(error = %e, event = %row.external_id, "could not apply an event; will retry");
            let attempts = queue
                .inbox_attempt_failed(row.id, &e.to_string())
                .await
                .unwrap_or(MAX_ATTEMPTS);
            if attempts >= MAX_ATTEMPTS {
                let _ = queue
                    .close_inbox(row.id, InboxStatus::Failed, &e.to_string())
                    .await;
            } else {
                // Keep the order: later events of this shopper wait too.
                tokio::time::sleep(Duration::from_millis(200 * attempts as u64)).await;
            }
            Next::Wait
        }
    }
}

//! The inbox worker: applies stored events to conversations, one shopper at
//! a time and in platform-timestamp order, each in one transaction with its
//! replies, orders and the inbox row itself (see [`crate::runner`]).
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

use crate::AppState;
use crate::runner::{RunError, Turn, Via};
use crate::store::{ChannelId, now_ms};

/// Attempts at an event before it is set aside as failed.
const MAX_ATTEMPTS: i64 = 5;

/// Starts the worker.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let busy: Arc<Mutex<HashSet<(ChannelId, String)>>> = Arc::default();
        loop {
            let work = state.runner.inbox_work.clone();
            let woken = work.notified();
            match state.store.pending_inbox_groups(64).await {
                Ok(groups) => {
                    for group in groups {
                        let fresh = busy
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(group.clone());
                        if fresh {
                            let state = state.clone();
                            let busy = busy.clone();
                            tokio::spawn(async move {
                                drain(&state, &group.0, &group.1).await;
                                busy.lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .remove(&group);
                                // Anything that arrived meanwhile gets a look.
                                state.runner.inbox_work.notify_one();
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
async fn drain(state: &AppState, channel: &ChannelId, user_key: &str) {
    loop {
        let rows = match state.store.pending_inbox(*channel, user_key, 50).await {
            Ok(rows) if !rows.is_empty() => rows,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not read pending events");
                return;
            }
        };
        let Some(ch) = state.store.channel_by_id(*channel).await.ok().flatten() else {
            return;
        };
        for row in rows {
            let input: Input = match serde_json::from_str(&row.input) {
                Ok(i) => i,
                Err(e) => {
                    let _ = state
                        .store
                        .close_inbox(row.id, "failed", &format!("unreadable event: {e}"))
                        .await;
                    continue;
                }
            };
            let age = now_ms() - row.platform_ts;
            let answer = row.platform_ts <= 0 || age <= state.max_event_age_ms;
            if !answer {
                metrics::counter!("inbox_skipped_old_total", "channel" => ch.kind.clone())
                    .increment(1);
                tracing::info!(event = %row.external_id, age_s = age / 1000, "event too old to answer: recorded, not answered");
            }
            let user = format!("{}:{}", ch.id, row.user_key);
            let turn = Turn {
                workspace: row.workspace_id,
                bot: ch.bot_id,
                channel: &ch.kind,
                user: &user,
                display_name: &row.display_name,
                event_id: &row.external_id,
                input,
            };
            let via = Via {
                channel_id: ch.id,
                recipient: &row.recipient,
                recipient_kind: &row.recipient_kind,
                inbox_id: row.id,
                platform_ts: row.platform_ts,
                answer,
            };
            let started = std::time::Instant::now();
            match state.runner.run_with(turn, Some(via)).await {
                Ok(_) => {
                    metrics::histogram!("inbox_apply_seconds")
                        .record(started.elapsed().as_secs_f64());
                }
                Err(RunError::NotPublished) => {
                    let _ = state
                        .store
                        .close_inbox(row.id, "skipped", "The bot has not been published yet.")
                        .await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, event = %row.external_id, "could not apply an event; will retry");
                    let attempts = state
                        .store
                        .inbox_attempt_failed(row.id, &e.to_string())
                        .await
                        .unwrap_or(MAX_ATTEMPTS);
                    if attempts >= MAX_ATTEMPTS {
                        let _ = state
                            .store
                            .close_inbox(row.id, "failed", &e.to_string())
                            .await;
                    } else {
                        // Keep the order: later events of this shopper wait too.
                        tokio::time::sleep(Duration::from_millis(200 * attempts as u64)).await;
                    }
                    break;
                }
            }
        }
    }
}

//! The inbox worker: applies stored events to conversations in batches.
//! It claims the oldest waiting events (a walk of a partial index, so the
//! claim costs the same whatever the backlog), sorts each shopper's events
//! into platform-timestamp order, and applies each workspace's part of the
//! batch in one transaction with the replies, orders and inbox rows it
//! causes (see [`crate::engine::turns`]). When a batch fails it is applied
//! again one event at a time, so one bad event holds up only its shopper,
//! whose later events wait behind it with a growing backoff.
//!
//! It wakes when a webhook or the web chat stores an event, and every few
//! seconds anyway, so work left by a crash or by another instance is picked
//! up. An event older than the configured maximum age (a backlog Meta
//! replays after an outage) is recorded in the transcript and skipped, not
//! answered as if it were fresh.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::flow::interpreter::Input;

use super::Engine;
use super::turns::{Delivery, Turn, TurnError};
use crate::store::{ChannelId, ChannelRow, InboxRow, InboxStatus, WorkspaceId, now_ms};

/// Attempts at an event before it is set aside as failed.
const MAX_ATTEMPTS: i64 = 5;
/// Events claimed per batch: the oldest waiting, whoever they belong to.
const BATCH: i64 = 128;
/// How long the worker sleeps when nothing is waiting (a wake-up comes
/// sooner when an event is stored).
const IDLE: Duration = Duration::from_secs(2);

/// The inbox worker's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Events older than this are recorded, not answered.
    pub max_event_age_ms: i64,
}

/// A shopper on a channel: their events apply one at a time, in order.
type Shopper = (ChannelId, String);

/// Stored events with the channel each arrived on.
type Events = Vec<(Arc<ChannelRow>, InboxRow)>;

/// Starts the worker.
pub fn spawn(engine: Engine, settings: Settings) {
    tokio::spawn(async move {
        // Shoppers whose event failed, and when to try it again; their
        // later events wait too, to keep the order.
        let mut backoff: HashMap<Shopper, Instant> = HashMap::new();
        loop {
            let woken = engine.wake().inbox.notified();
            let applied = match engine
                .store()
                .queue()
                .claim_inbox(engine.instance(), BATCH)
                .await
            {
                Ok(rows) => run_batch(&engine, &settings, rows, &mut backoff).await,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the inbox");
                    0
                }
            };
            if applied > 0 {
                continue;
            }
            // Nothing to do now: wait for a new event, the next retry or
            // the periodic look (work left by a crash or another instance).
            let now = Instant::now();
            backoff.retain(|_, at| *at > now);
            let wait = backoff
                .values()
                .map(|at| *at - now)
                .min()
                .unwrap_or(IDLE)
                .min(IDLE);
            let _ = tokio::time::timeout(wait, woken).await;
        }
    });
}

/// Applies a claimed batch: each workspace's shoppers in one transaction,
/// each shopper's events in platform-timestamp order. Returns how many
/// events were handled (applied, skipped or set aside).
async fn run_batch(
    engine: &Engine,
    settings: &Settings,
    rows: Vec<InboxRow>,
    backoff: &mut HashMap<Shopper, Instant>,
) -> usize {
    let now = Instant::now();
    // Shoppers in the order of their oldest event; each one's events in
    // their platform order.
    let mut order: Vec<Shopper> = Vec::new();
    let mut by_shopper: HashMap<Shopper, Vec<InboxRow>> = HashMap::new();
    for row in rows {
        let key = (row.event.channel_id, row.event.user_key.clone());
        if backoff.get(&key).is_some_and(|at| *at > now) {
            continue;
        }
        by_shopper
            .entry(key.clone())
            .or_insert_with(|| {
                order.push(key);
                Vec::new()
            })
            .push(row);
    }
    let mut channels: HashMap<ChannelId, Option<Arc<ChannelRow>>> = HashMap::new();
    let mut workspaces: Vec<(WorkspaceId, Events)> = Vec::new();
    for key in order {
        let Some(mut rows) = by_shopper.remove(&key) else {
            continue;
        };
        rows.sort_by_key(|r| (r.event.platform_ts, r.id));
        if let std::collections::hash_map::Entry::Vacant(slot) = channels.entry(key.0) {
            let ch = engine.store().queue().channel_by_id(key.0).await;
            slot.insert(ch.ok().flatten().map(Arc::new));
        }
        // The channel was removed meanwhile: its events went with it.
        let Some(Some(ch)) = channels.get(&key.0) else {
            continue;
        };
        let ws = rows[0].event.workspace_id;
        let group = match workspaces.iter_mut().find(|(w, _)| *w == ws) {
            Some((_, group)) => group,
            None => {
                workspaces.push((ws, Vec::new()));
                &mut workspaces.last_mut().expect("just pushed").1
            }
        };
        group.extend(rows.into_iter().map(|r| (ch.clone(), r)));
    }
    let mut handled = 0;
    for (ws, group) in workspaces {
        handled += apply_group(engine, settings, ws, &group, backoff).await;
    }
    handled
}

/// Applies one workspace's part of a batch in one transaction; when that
/// fails, one event at a time, so only the failing event's shopper waits.
async fn apply_group(
    engine: &Engine,
    settings: &Settings,
    ws: WorkspaceId,
    group: &Events,
    backoff: &mut HashMap<Shopper, Instant>,
) -> usize {
    let queue = engine.store().queue();
    let started = Instant::now();
    let mut turns = Vec::with_capacity(group.len());
    let users: Vec<String> = group.iter().map(|(ch, row)| user(ch, row)).collect();
    let mut handled = 0;
    for ((ch, row), user) in group.iter().zip(&users) {
        match prepare(settings, ch, row, user) {
            Ok(pair) => turns.push(((&**ch, row), pair)),
            Err(why) => {
                let _ = queue.close_inbox(row.id, InboxStatus::Failed, &why).await;
                handled += 1;
            }
        }
    }
    let (rows, pairs): (Vec<(&ChannelRow, &InboxRow)>, Vec<_>) = turns.into_iter().unzip();
    let count = rows.len();
    match engine.apply_batch(ws, pairs).await {
        Ok(results) => {
            // A batch's turns either applied or met an unpublished bot.
            for ((_, row), result) in rows.iter().zip(results) {
                settle(engine, row, result.map(drop)).await;
            }
            metrics::histogram!("inbox_batch_seconds").record(started.elapsed().as_secs_f64());
            metrics::histogram!("inbox_batch_size").record(count as f64);
            handled + count
        }
        Err(e) => {
            tracing::warn!(error = %e, events = count, "a batch of events failed; applying them one at a time");
            let mut stopped: HashSet<Shopper> = HashSet::new();
            for (ch, row) in rows {
                let key = (row.event.channel_id, row.event.user_key.clone());
                if stopped.contains(&key) {
                    continue;
                }
                if apply_row(engine, settings, ch, row).await == Next::Wait {
                    backoff.insert(
                        key.clone(),
                        Instant::now() + Duration::from_millis(200 * (row.attempts as u64 + 1)),
                    );
                    stopped.insert(key);
                } else {
                    handled += 1;
                }
            }
            handled
        }
    }
}

/// The turn of a stored event, or why it cannot be applied.
fn prepare<'a>(
    settings: &Settings,
    ch: &'a ChannelRow,
    row: &'a InboxRow,
    user: &'a str,
) -> Result<(Turn<'a>, Delivery<'a>), String> {
    let input: Input =
        serde_json::from_str(&row.event.input).map_err(|e| format!("unreadable event: {e}"))?;
    let age = now_ms() - row.event.platform_ts;
    let answer = row.event.platform_ts <= 0 || age <= settings.max_event_age_ms;
    if !answer {
        metrics::counter!("inbox_skipped_old_total", "channel" => ch.kind.as_str()).increment(1);
        tracing::info!(event = %row.event.external_id, age_s = age / 1000, "event too old to answer: recorded, not answered");
    }
    let turn = Turn {
        workspace: row.event.workspace_id,
        bot: ch.bot_id,
        channel: ch.kind,
        user,
        display_name: &row.event.display_name,
        event_id: &row.event.external_id,
        input,
    };
    let via = Delivery {
        channel_id: ch.id,
        recipient: &row.event.recipient,
        recipient_kind: &row.event.recipient_kind,
        inbox_id: row.id,
        platform_ts: row.event.platform_ts,
        answer,
    };
    Ok((turn, via))
}

/// After one event: go on with the shopper's next, or stop and look again
/// later (the event failed and will be retried first, to keep the order).
#[derive(PartialEq)]
enum Next {
    Go,
    Wait,
}

/// Applies one stored event alone, or closes its inbox row when it cannot
/// be.
async fn apply_row(engine: &Engine, settings: &Settings, ch: &ChannelRow, row: &InboxRow) -> Next {
    let user = user(ch, row);
    let (turn, via) = match prepare(settings, ch, row, &user) {
        Ok(pair) => pair,
        Err(why) => {
            let queue = engine.store().queue();
            let _ = queue.close_inbox(row.id, InboxStatus::Failed, &why).await;
            return Next::Go;
        }
    };
    settle(
        engine,
        row,
        engine.apply_delivered(turn, via).await.map(drop),
    )
    .await
}

/// The conversation's user id of a stored event: its channel and shopper.
fn user(ch: &ChannelRow, row: &InboxRow) -> String {
    format!("{}:{}", ch.id, row.event.user_key)
}

/// Records how applying a stored event went: done, skipped for a bot that
/// was never published, or a failed attempt (set aside after
/// [`MAX_ATTEMPTS`]; before that the shopper's later events wait).
async fn settle(engine: &Engine, row: &InboxRow, result: Result<(), TurnError>) -> Next {
    let queue = engine.store().queue();
    match result {
        Ok(()) => Next::Go,
        Err(TurnError::NotPublished) => {
            let why = "The bot has not been published yet.";
            let _ = queue.close_inbox(row.id, InboxStatus::Skipped, why).await;
            Next::Go
        }
        Err(e) => {
            tracing::warn!(error = %e, event = %row.event.external_id, "could not apply an event; will retry");
            let attempts = match queue.inbox_attempt_failed(row.id, &e.to_string()).await {
                Ok(n) => n,
                // The database failed, not the event (PostgreSQL restarting
                // cuts every pooled connection in turn): it stays waiting,
                // with its attempts as they were, instead of being set
                // aside by the next connection that works.
                Err(db) => {
                    tracing::warn!(error = %db, event = %row.event.external_id, "could not count a failed attempt; the event waits");
                    return Next::Wait;
                }
            };
            if attempts >= MAX_ATTEMPTS {
                let _ = queue
                    .close_inbox(row.id, InboxStatus::Failed, &e.to_string())
                    .await;
                Next::Go
            } else {
                // Keep the order: later events of this shopper wait too.
                Next::Wait
            }
        }
    }
}

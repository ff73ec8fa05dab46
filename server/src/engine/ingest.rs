//! Group commit for inbound events.
//!
//! A webhook or web-chat request verifies and parses what it received,
//! then hands it to the one ingest writer and waits. The writer takes
//! everything waiting, from many requests, resolves each event to its
//! channel, stores it all in one transaction with multi-row inserts that
//! skip duplicates, commits, and only then releases every waiting request
//! to answer. Nothing is acknowledged before it is durable, and a thousand
//! concurrent deliveries cost a few commits instead of a thousand.
//!
//! The queue in front of the writer is bounded: when it is full a request
//! waits up to [`WAIT_FOR_ROOM`] for room and then answers
//! [`IngestError::Busy`] (a 503 the platform retries), so an overload never
//! loses an event and never grows memory without end.
//!
//! A commit that fails is retried one delivery at a time, so one delivery
//! the database refuses fails alone.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use app::channel::Channel;
use app::inbound::{Delivery, EventKind, InboundEvent};
use tokio::sync::{mpsc, oneshot};

use crate::store::{ChannelRow, NewInbound, NewReceipt, NewWatermark, SentPart, Store};

/// Deliveries that may wait for the writer.
pub const QUEUE_DEPTH: usize = 4096;
/// The most events one commit takes; the rest wait for the next.
pub const MAX_EVENTS_PER_COMMIT: usize = 4096;
/// How long a request waits for room in a full queue before answering 503.
pub const WAIT_FOR_ROOM: Duration = Duration::from_secs(2);

/// What a request hands to the writer.
#[derive(Debug)]
pub enum Parcel {
    /// Parsed webhook events of one platform, resolved to their channels by
    /// the writer (events of accounts no bot is connected to are dropped).
    Webhook {
        /// Messenger or WhatsApp.
        channel: Channel,
        /// The events of the delivery.
        events: Vec<InboundEvent>,
    },
    /// Events already resolved to their channel (the web chat).
    Resolved(Vec<NewInbound>),
}

/// Why a parcel was not stored. Either way nothing of it was acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// The queue stayed full: try again shortly.
    #[error("too many events are waiting to be stored")]
    Busy,
    /// The database refused or failed (logged by the writer).
    #[error("the events could not be stored")]
    Failed,
}

/// What the writer did with a parcel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    /// Events stored for the first time.
    pub new: usize,
    /// Events kept for the inbox (new or already there).
    pub events: usize,
}

pub(super) struct Job {
    parcel: Parcel,
    done: oneshot::Sender<Result<Stored, IngestError>>,
}

/// The handle requests submit through; owned by the engine.
pub struct Ingest {
    tx: mpsc::Sender<Job>,
    /// Parcels handed in and not yet answered.
    pending: Arc<AtomicUsize>,
}

impl Ingest {
    /// The handle, and the queue's far end for [`writer`].
    pub(super) fn new() -> (Ingest, mpsc::Receiver<Job>) {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let pending = Arc::new(AtomicUsize::new(0));
        (Ingest { tx, pending }, rx)
    }

    /// True while a request waits for its events to be stored: the turn
    /// worker then gives the database's writer up between turns, so an
    /// acknowledgement never waits behind a whole batch of turns.
    pub(super) fn pending(&self) -> bool {
        self.pending.load(Ordering::Relaxed) > 0
    }

    /// Stores a parcel durably, together with whatever else is waiting,
    /// and answers once it is committed.
    pub(super) async fn submit(&self, parcel: Parcel) -> Result<Stored, IngestError> {
        let (done, answer) = oneshot::channel();
        let _waiting = Waiting::new(&self.pending);
        match self
            .tx
            .send_timeout(Job { parcel, done }, WAIT_FOR_ROOM)
            .await
        {
            Ok(()) => {}
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                metrics::counter!("ingest_busy_total").increment(1);
                return Err(IngestError::Busy);
            }
            Err(mpsc::error::SendTimeoutError::Closed(_)) => return Err(IngestError::Failed),
        }
        answer.await.unwrap_or(Err(IngestError::Failed))
    }
}

/// Counts a request as pending for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The one writer: takes everything waiting, stores it in one transaction,
/// answers every request of it. It holds the engine weakly and ends with
/// it (the engine owns the queue's sending end).
pub(super) async fn writer(engine: Weak<super::Inner>, mut rx: mpsc::Receiver<Job>) {
    let mut parcels = Vec::new();
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        let Some(inner) = engine.upgrade() else {
            return;
        };
        let engine = super::Engine { inner };
        let mut events = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            events += match &job.parcel {
                Parcel::Webhook { events, .. } => events.len(),
                Parcel::Resolved(events) => events.len(),
            };
            parcels.push(job.parcel);
            waiting.push(job.done);
            if events < MAX_EVENTS_PER_COMMIT {
                next = rx.try_recv().ok();
            }
        }
        metrics::histogram!("ingest_group_size").record(waiting.len() as f64);
        let store = engine.store().clone();
        let group = std::mem::take(&mut parcels);
        let answers = guarded(waiting.len(), async move {
            store_group(&store, group.into_iter()).await
        })
        .await;
        if answers.iter().any(|a| matches!(a, Ok(s) if s.new > 0)) {
            engine.wake().inbox.notify_one();
        }
        for (done, answer) in waiting.drain(..).zip(answers) {
            // A request that gave up waiting no longer listens; what it
            // sent is stored all the same, and its retry is a duplicate.
            let _ = done.send(answer);
        }
    }
}

/// Runs one group commit as a task of its own, so that a bug that panics
/// in it fails that group's `count` requests (the platform retries them)
/// instead of ending the one writer and every later acknowledgement.
async fn guarded(
    count: usize,
    group: impl std::future::Future<Output = Vec<Result<Stored, IngestError>>> + Send + 'static,
) -> Vec<Result<Stored, IngestError>> {
    match tokio::spawn(group).await {
        Ok(answers) => answers,
        Err(e) => {
            tracing::error!(error = %e, "storing inbound events panicked; the platform will retry");
            vec![Err(IngestError::Failed); count]
        }
    }
}

/// Resolves the parcels and stores them in one transaction, or, when that
/// fails, each parcel in its own; one answer per parcel.
async fn store_group(
    store: &Store,
    parcels: impl ExactSizeIterator<Item = Parcel>,
) -> Vec<Result<Stored, IngestError>> {
    let count = parcels.len();
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "could not store inbound events; the platform will retry");
        Err(IngestError::Failed)
    };
    let (all, spans) = match resolve(store, parcels).await {
        Ok(resolved) => resolved,
        Err(e) => return (0..count).map(|_| failed(&e)).collect(),
    };
    match commit(store, &all, &spans).await {
        Ok(answers) => answers,
        Err(e) if spans.len() == 1 => vec![failed(&e)],
        Err(e) => {
            tracing::warn!(error = %e, deliveries = spans.len(), "group commit failed; storing each delivery alone");
            let mut answers = Vec::with_capacity(spans.len());
            for span in spans {
                let one = span.clone().rebased();
                let alone = Batch {
                    events: all.events[span.events].to_vec(),
                    receipts: all.receipts[span.receipts].to_vec(),
                    watermarks: all.watermarks[span.watermarks].to_vec(),
                };
                answers.push(match commit(store, &alone, &[one]).await {
                    Ok(mut one) => one.pop().unwrap_or(Err(IngestError::Failed)),
                    Err(e) => failed(&e),
                });
            }
            answers
        }
    }
}

/// Where one parcel's rows sit in a group's [`Batch`].
#[derive(Debug, Clone)]
struct Span {
    events: Range<usize>,
    receipts: Range<usize>,
    watermarks: Range<usize>,
}

impl Span {
    /// The same lengths from the start: the span of a batch of this parcel
    /// alone.
    fn rebased(self) -> Span {
        Span {
            events: 0..self.events.len(),
            receipts: 0..self.receipts.len(),
            watermarks: 0..self.watermarks.len(),
        }
    }
}

/// Resolves each parcel's events to their channels (each account once) and
/// gathers everything into one batch, noting where each parcel's rows are.
async fn resolve(
    store: &Store,
    parcels: impl Iterator<Item = Parcel>,
) -> Result<(Batch, Vec<Span>), crate::store::StoreError> {
    let mut channels: HashMap<(Channel, String), Option<ChannelRow>> = HashMap::new();
    let mut all = Batch::default();
    let mut spans = Vec::new();
    for parcel in parcels {
        let start = (all.events.len(), all.receipts.len(), all.watermarks.len());
        match parcel {
            Parcel::Webhook { channel, events } => {
                for event in events {
                    let key = (channel, event.account);
                    if !channels.contains_key(&key) {
                        let row = store.channel_by_external(channel, &key.1).await?;
                        channels.insert(key.clone(), row);
                    }
                    let row = channels.get(&key).and_then(Option::as_ref);
                    all.add(channel, &key.1, row, event.kind);
                }
            }
            Parcel::Resolved(events) => all.events.extend(events),
        }
        spans.push(Span {
            events: start.0..all.events.len(),
            receipts: start.1..all.receipts.len(),
            watermarks: start.2..all.watermarks.len(),
        });
    }
    Ok((all, spans))
}

/// Stores a resolved batch in one transaction; one answer per span.
async fn commit(
    store: &Store,
    all: &Batch,
    spans: &[Span],
) -> Result<Vec<Result<Stored, IngestError>>, crate::store::StoreError> {
    let inserted = store
        .queue()
        .ingest_keys(&all.events, &all.receipts, &all.watermarks)
        .await?;
    // Each new row counts for the first delivery that carried it.
    let mut fresh: HashSet<(&str, &str)> = inserted
        .iter()
        .map(|(c, id)| (c.as_str(), id.as_str()))
        .collect();
    let answers = spans
        .iter()
        .map(|span| {
            let events = &all.events[span.events.clone()];
            let new = events
                .iter()
                .filter(|e| fresh.remove(&(e.channel.as_str(), e.external_id.as_str())))
                .count();
            Ok(Stored {
                new,
                events: events.len(),
            })
        })
        .collect();
    metrics::counter!("ingest_events_total").increment(all.events.len() as u64);
    if inserted.len() < all.events.len() {
        metrics::counter!("ingest_duplicates_total")
            .increment((all.events.len() - inserted.len()) as u64);
    }
    Ok(answers)
}

/// What a group commit stores.
#[derive(Default)]
struct Batch {
    /// Shoppers' messages and taps, for the inbox.
    events: Vec<NewInbound>,
    /// Delivery and read statuses of messages we sent.
    receipts: Vec<NewReceipt>,
    /// Messenger's "everything before this was delivered/read".
    watermarks: Vec<NewWatermark>,
}

impl Batch {
    /// Sorts one event of `account` into the batch. `channel` is the
    /// connected channel, if any: events of accounts no bot is connected to
    /// are dropped.
    fn add(
        &mut self,
        kind: Channel,
        account: &str,
        channel: Option<&ChannelRow>,
        event: EventKind,
    ) {
        let name = kind.as_str();
        match event {
            EventKind::Message {
                id,
                shopper,
                timestamp_ms,
                input,
            } => {
                let Some(ch) = channel else {
                    metrics::counter!("webhook_dropped_total", "channel" => name, "reason" => "unknown_account").increment(1);
                    tracing::info!(channel = name, %account, "event for an account no bot is connected to: dropped");
                    return;
                };
                self.events.push(NewInbound {
                    channel: kind,
                    external_id: id,
                    channel_id: ch.id,
                    workspace_id: ch.workspace_id,
                    user_key: shopper.key,
                    recipient: shopper.recipient,
                    recipient_kind: shopper.kind.as_str().to_string(),
                    display_name: shopper.name,
                    platform_ts: timestamp_ms,
                    input: serde_json::to_string(&input).unwrap_or_default(),
                });
            }
            EventKind::Status {
                message_id,
                status,
                timestamp_ms,
                error,
                tag,
            } => {
                if let Some(ch) = channel {
                    // A failed status does not prove the part was accepted.
                    let sent_part = tag
                        .filter(|_| status != Delivery::Failed)
                        .map(|t| SentPart {
                            channel_id: ch.id,
                            message: t.message,
                            part: t.part,
                        });
                    self.receipts.push(NewReceipt {
                        channel: kind,
                        message_id,
                        status: status.into(),
                        error,
                        platform_ts: timestamp_ms,
                        sent_part,
                    });
                }
            }
            EventKind::Watermark {
                psid,
                status,
                watermark_ms,
            } => {
                if let Some(ch) = channel {
                    self.watermarks.push(NewWatermark {
                        channel_id: ch.id,
                        psid,
                        status: status.into(),
                        watermark_ms,
                    });
                }
            }
            EventKind::Ignored { reason } => {
                metrics::counter!("webhook_ignored_total", "channel" => name, "reason" => reason)
                    .increment(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_group_that_panics_fails_its_requests_and_the_writer_goes_on() {
        let failed = guarded(3, async {
            if Stored::default() == Stored::default() {
                panic!("a bug while storing");
            }
            Vec::new()
        })
        .await;
        assert_eq!(failed, vec![Err(IngestError::Failed); 3]);
        let ok = guarded(1, async { vec![Ok(Stored { new: 1, events: 1 })] }).await;
        assert_eq!(ok, vec![Ok(Stored { new: 1, events: 1 })]);
    }
}

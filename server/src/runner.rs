//! The imperative shell around the pure interpreter: load a conversation,
//! step it, and store the session, the orders and the outbound messages in
//! one transaction. Channels feed it events; it never talks to a platform.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::channel::Outbound;
use app::flow::interpreter::{Ctx, Effect, Input, OrderInfo, Session, Status, ValidFlow, step};
use app::flow::simulate::map_texts;
use app::flow::{FlowDoc, text};
use base64::Engine;
use tokio::sync::Notify;

use crate::store::{
    BotId, ChannelId, ConversationId, OrderRow, Store, StoreError, WorkspaceId, now_ms,
};

/// Compiled flows kept in memory; versions never change, so entries never go
/// stale. Bounded so a busy server cannot grow without end.
const FLOW_CACHE_MAX: usize = 512;

/// Why a turn could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The bot has no published version to talk with.
    #[error("this bot has not been published yet")]
    NotPublished,
    /// A stored document no longer parses (should not happen).
    #[error("stored flow version {0} is unreadable: {1}")]
    BadVersion(i64, String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RunError {
    fn from(e: sqlx::Error) -> Self {
        RunError::Store(StoreError::Database(e))
    }
}

/// One event for one shopper.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    /// The tenant.
    pub workspace: WorkspaceId,
    /// The bot the shopper talks to.
    pub bot: BotId,
    /// `messenger`, `whatsapp`, `web` or `test`.
    pub channel: &'a str,
    /// The shopper's id on that channel.
    pub user: &'a str,
    /// The shopper's name, if known.
    pub display_name: &'a str,
    /// The platform's id for this event: a retried delivery carries the same
    /// id and is applied once.
    pub event_id: &'a str,
    /// What happened.
    pub input: Input,
}

/// Where an event came from, for events of a real channel.
#[derive(Debug, Clone, Copy)]
pub struct Via<'a> {
    /// The channel it arrived on.
    pub channel_id: ChannelId,
    /// Where replies go.
    pub recipient: &'a str,
    /// How to address `recipient`.
    pub recipient_kind: &'a str,
    /// The inbox row, marked done in the same transaction.
    pub inbox_id: i64,
    /// The platform's timestamp (the 24-hour window starts here).
    pub platform_ts: i64,
    /// False for an event too old to answer: it is recorded in the
    /// transcript and the inbox, but the flow does not run.
    pub answer: bool,
}

/// Live updates of conversations, for web-chat streams on this instance.
#[derive(Default)]
pub struct Hub {
    channels: Mutex<HashMap<ConversationId, tokio::sync::broadcast::Sender<()>>>,
}

impl Hub {
    /// Notifications of new messages in a conversation.
    pub fn subscribe(&self, conv: ConversationId) -> tokio::sync::broadcast::Receiver<()> {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(conv)
            .or_insert_with(|| tokio::sync::broadcast::channel(16).0)
            .subscribe()
    }

    /// Wakes the streams of a conversation.
    pub fn notify(&self, conv: ConversationId) {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(&conv)
            && tx.send(()).is_err()
        {
            // Nobody listens any more.
            map.remove(&conv);
        }
    }
}

/// What a turn did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The conversation.
    pub conversation: Option<ConversationId>,
    /// True when the event had been applied before; nothing was done.
    pub duplicate: bool,
    /// The outbound messages stored, with their transcript ids.
    pub sent: Vec<(i64, Outbound)>,
    /// Orders this turn created (not ones that already existed).
    pub orders: Vec<OrderRow>,
}

/// Runs turns; shared by every request and worker.
pub struct Runner {
    store: Store,
    public_url: Arc<str>,
    flows: Mutex<HashMap<(BotId, i64), Arc<ValidFlow>>>,
    /// Woken when HTTP calls are queued.
    pub http_work: Arc<Notify>,
    /// Woken when inbound events are stored.
    pub inbox_work: Arc<Notify>,
    /// Woken when outbound messages are queued.
    pub outbox_work: Arc<Notify>,
    /// Live web-chat streams.
    pub hub: Arc<Hub>,
    /// This process's name in work claims (see [`crate::claims`]).
    pub instance: Arc<str>,
}

impl Runner {
    /// A runner over `store`; links in messages use `public_url`.
    pub fn new(store: Store, public_url: Arc<str>) -> Runner {
        Runner {
            store,
            public_url,
            flows: Mutex::new(HashMap::new()),
            http_work: Arc::new(Notify::new()),
            inbox_work: Arc::new(Notify::new()),
            outbox_work: Arc::new(Notify::new()),
            hub: Arc::new(Hub::default()),
            instance: format!("{:016x}", rand::random::<u64>()).into(),
        }
    }

    async fn flow(
        &self,
        txn: &mut crate::store::Txn,
        ws: WorkspaceId,
        bot: BotId,
        version: i64,
    ) -> Result<Arc<ValidFlow>, RunError> {
        if let Some(f) = self
            .flows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(bot, version))
        {
            return Ok(f.clone());
        }
        let json = txn
            .version_document(ws, bot, version)
            .await?
            .ok_or(RunError::NotPublished)?;
        let doc =
            FlowDoc::from_json(&json).map_err(|e| RunError::BadVersion(version, e.to_string()))?;
        // Published versions were validated when published.
        let flow = Arc::new(ValidFlow::unchecked(doc));
        let mut cache = self.flows.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= FLOW_CACHE_MAX {
            cache.clear();
        }
        cache.insert((bot, version), flow.clone());
        Ok(flow)
    }

    /// Applies one event: exactly once per (conversation, event id), in one
    /// transaction with everything it causes.
    pub async fn run(&self, turn: Turn<'_>) -> Result<Outcome, RunError> {
        self.run_with(turn, None).await
    }

    /// [`Runner::run`] for an event of a real channel: the inbox row is
    /// marked in the same transaction, and the conversation learns how to
    /// reach the shopper.
    pub async fn run_with(
        &self,
        turn: Turn<'_>,
        via: Option<Via<'_>>,
    ) -> Result<Outcome, RunError> {
        let latest = self
            .store
            .latest_version(turn.workspace, turn.bot)
            .await?
            .ok_or(RunError::NotPublished)?;
        let catalog = self.store.catalog(turn.workspace).await?;
        let mut txn = self.store.transaction().await?;
        let conv = txn
            .conversation_for_update(
                turn.workspace,
                turn.bot,
                turn.channel,
                turn.user,
                turn.display_name,
                latest.number,
                "{}",
            )
            .await?;
        if let Some(v) = via
            && !txn
                .finish_inbox(v.inbox_id, if v.answer { "done" } else { "skipped" })
                .await?
        {
            txn.rollback().await?;
            return Ok(Outcome {
                conversation: Some(conv.id),
                duplicate: true,
                ..Outcome::default()
            });
        }
        let body = serde_json::to_string(&turn.input).unwrap_or_default();
        let preview = input_preview(&turn.input);
        if !txn
            .record_inbound(turn.workspace, conv.id, turn.event_id, &body, &preview)
            .await?
        {
            // Applied before under this id: an inbox row for it is closed
            // too, or the worker would find it pending again and again.
            if via.is_some() {
                txn.commit().await?;
            } else {
                txn.rollback().await?;
            }
            return Ok(Outcome {
                conversation: Some(conv.id),
                duplicate: true,
                ..Outcome::default()
            });
        }
        if let Some(v) = via {
            let from_shopper = matches!(
                turn.input,
                Input::Start | Input::Text { .. } | Input::Payload { .. } | Input::CartOrder { .. }
            );
            let at = if v.platform_ts > 0 {
                v.platform_ts
            } else {
                now_ms()
            };
            txn.touch_conversation(
                conv.id,
                Some(v.channel_id),
                v.recipient,
                v.recipient_kind,
                from_shopper.then_some(at),
            )
            .await?;
            if !v.answer {
                txn.commit().await?;
                return Ok(Outcome {
                    conversation: Some(conv.id),
                    ..Outcome::default()
                });
            }
        }
        let mut session: Session = serde_json::from_str(&conv.session).unwrap_or_default();
        // A conversation stays on the version it started on; one that ended
        // (or never began) starts its next run on the newest version.
        let version = if matches!(session.status, Status::New | Status::Ended) {
            latest.number
        } else {
            conv.version
        };
        if version != conv.version {
            session.node = None;
        }
        let flow = self
            .flow(&mut txn, turn.workspace, turn.bot, version)
            .await?;
        let orders = txn.orders_of(turn.workspace, conv.id).await?;
        let order_info: Vec<OrderInfo> = orders
            .iter()
            .map(|o| OrderInfo {
                number: o.number.to_string(),
                status: o.status(),
                total: o.total(),
            })
            .collect();
        let conversation = conv.id.0.to_string();
        let ctx = Ctx {
            now_ms: now_ms(),
            conversation: &conversation,
            event_id: turn.event_id,
            catalog: &catalog,
            orders: &order_info,
        };
        let result = step(&flow, session, turn.input, &ctx);

        let mut outcome = Outcome {
            conversation: Some(conv.id),
            ..Outcome::default()
        };
        let status = match turn.channel {
            "messenger" | "whatsapp" => "pending",
            _ => "sent",
        };
        let mut current: Option<OrderRow> = None;
        let mut http = false;
        for effect in result.effects {
            match effect {
                Effect::PlaceOrder { order } => {
                    let (row, created) = txn
                        .place_order(turn.workspace, turn.bot, conv.id, &order, &page_token())
                        .await?;
                    if created {
                        metrics::counter!("orders_placed_total").increment(1);
                        outcome.orders.push(row.clone());
                    }
                    current = Some(row);
                }
                Effect::Send { message } => {
                    let message = fill_order(message, current.as_ref(), &self.public_url);
                    let body = serde_json::to_string(&message).unwrap_or_default();
                    let id = txn
                        .record_outbound(turn.workspace, conv.id, &body, &message.preview(), status)
                        .await?;
                    outcome.sent.push((id, message));
                }
                Effect::CallHttp {
                    request_id,
                    method,
                    url,
                    body,
                } => {
                    let method = serde_json::to_value(method)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_else(|| "GET".into());
                    txn.queue_http_call(
                        turn.workspace,
                        conv.id,
                        &request_id,
                        &method,
                        &url,
                        body.as_deref(),
                    )
                    .await?;
                    http = true;
                }
                Effect::Handoff { .. } => metrics::counter!("handoffs_total").increment(1),
                Effect::Visit { .. } | Effect::End => {}
            }
        }
        let session = serde_json::to_string(&result.session).unwrap_or_else(|_| "{}".into());
        txn.save_session(turn.workspace, conv.id, &session, version)
            .await?;
        txn.announce(conv.id).await?;
        txn.commit().await?;
        self.hub.notify(conv.id);
        if http {
            self.http_work.notify_one();
        }
        if status == "pending" && !outcome.sent.is_empty() {
            self.outbox_work.notify_one();
        }
        Ok(outcome)
    }
}

/// Wakes this instance's web-chat streams when another instance changes
/// their conversation (PostgreSQL). Runs whether or not the workers do:
/// streams are served either way.
pub fn spawn_announcements(state: crate::AppState) {
    tokio::spawn(async move {
        loop {
            let mut listener = match state.store.listen_conversations().await {
                Ok(Some(l)) => l,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for conversation changes; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    continue;
                }
            };
            loop {
                match listener.next().await {
                    Ok(conv) => state.runner.hub.notify(conv),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the conversation listener; reconnecting");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        break;
                    }
                }
            }
        }
    });
}

/// An unguessable token for a hosted order page (256 random bits).
pub fn page_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The hosted order page's address.
pub fn order_url(public_url: &str, token: &str) -> String {
    format!("{public_url}/o/{token}")
}

/// Fills `{{order.number}}` and `{{order.url}}` in every text of a message.
pub fn fill_order(message: Outbound, order: Option<&OrderRow>, public_url: &str) -> Outbound {
    let Some(order) = order else { return message };
    let number = order.number.to_string();
    let url = order_url(public_url, &order.page_token);
    map_texts(message, &|t: &str| {
        text::interpolate(t, |name| match name {
            "order.number" => Some(number.clone()),
            "order.url" => Some(url.clone()),
            other => Some(format!("{{{{{other}}}}}")),
        })
    })
}

/// Readable text for an inbound event.
pub fn input_preview(input: &Input) -> String {
    match input {
        Input::Start => "[started the conversation]".into(),
        Input::Text { text } => text.clone(),
        Input::Payload { payload } => format!("[tapped {payload}]"),
        Input::CartOrder { items } => format!("[sent a cart with {} items]", items.len()),
        Input::PaymentSucceeded { .. } => "[payment received]".into(),
        Input::PaymentFailed { .. } => "[payment failed]".into(),
        Input::HttpResult { status, .. } => format!("[API answered {status}]"),
        Input::Timeout => "[timed out]".into(),
    }
}

//! The imperative shell around the pure interpreter: load a conversation,
//! step it, and store the session, the orders and the outbound messages in
//! one transaction. Channels feed it events; it never talks to a platform.

use std::collections::HashMap;
use std::sync::Arc;

use app::channel::{Channel, Outbound};
use app::commerce::{CatalogView, OrderStatus};
use app::flow::interpreter::{Ctx, Effect, Input, OrderInfo, Session, Status, ValidFlow, step};
use app::flow::simulate::map_texts;
use app::flow::{FlowDoc, text};
use base64::Engine as _;

use super::Engine;
use crate::store::{
    BotId, ChannelId, ConversationId, ConversationRow, InboxStatus, MessageStatus, OrderRow,
    StoreError, Touch, WorkspaceId, WorkspaceTx, now_ms,
};

/// Memory the compiled flows kept in memory may take, estimated from their
/// documents' sizes: versions never change, so entries never go stale, and
/// the bound is in bytes, so a few tenants' 2 MB flows cannot grow the
/// process without end.
pub const FLOW_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// What a compiled flow is reckoned to take in memory, from its document's
/// JSON: the parsed document, its lookups and folded labels.
fn flow_cost(json: &str) -> usize {
    json.len().saturating_mul(3).max(1024)
}

/// Compiled flows by (bot, version), least recently used out first once
/// they would take more than their budget.
pub struct FlowCache {
    budget: usize,
    used: usize,
    clock: u64,
    entries: HashMap<(BotId, i64), CachedFlow>,
}

struct CachedFlow {
    flow: Arc<ValidFlow>,
    cost: usize,
    used_at: u64,
}

impl FlowCache {
    /// An empty cache of at most `budget` bytes.
    pub fn new(budget: usize) -> FlowCache {
        FlowCache {
            budget,
            used: 0,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    /// The flow, if kept; it becomes the most recently used.
    pub fn get(&mut self, key: (BotId, i64)) -> Option<Arc<ValidFlow>> {
        self.clock += 1;
        let e = self.entries.get_mut(&key)?;
        e.used_at = self.clock;
        Some(e.flow.clone())
    }

    /// Keeps `flow`, which costs `cost` bytes, making room by dropping the
    /// least recently used; a flow larger than the whole budget is not kept.
    pub fn insert(&mut self, key: (BotId, i64), flow: Arc<ValidFlow>, cost: usize) {
        if cost > self.budget {
            return;
        }
        if let Some(old) = self.entries.remove(&key) {
            self.used -= old.cost;
        }
        while self.used + cost > self.budget {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used_at)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.used -= e.cost;
            }
        }
        self.clock += 1;
        self.used += cost;
        self.entries.insert(
            key,
            CachedFlow {
                flow,
                cost,
                used_at: self.clock,
            },
        );
    }

    /// Bytes the kept flows are reckoned to take.
    pub fn used(&self) -> usize {
        self.used
    }

    /// How many flows are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// How long a batch of turns keeps the database's writer while webhooks
/// wait for it: what an acknowledgement may wait behind the turn worker.
const SLICE: std::time::Duration = std::time::Duration::from_millis(2);

/// Why a turn could not run.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
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

impl From<sqlx::Error> for TurnError {
    fn from(e: sqlx::Error) -> Self {
        TurnError::Store(StoreError::Database(e))
    }
}

/// One event for one shopper.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    /// The tenant.
    pub workspace: WorkspaceId,
    /// The bot the shopper talks to.
    pub bot: BotId,
    /// The channel the shopper is on.
    pub channel: Channel,
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

/// How an event of a real channel reached us: the stored inbox row and
/// where replies go.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
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

/// What a turn did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The conversation.
    pub conversation: Option<ConversationId>,
    /// True when the event had been applied before; nothing was done.
    pub duplicate: bool,
    /// The outbound messages stored, with their transcript ids.
    pub sent: Vec<(i64, Outbound)>,
    /// Orders this turn created (not ones that already existed).
    pub orders: Vec<OrderRow>,
}

impl Applied {
    fn only(conversation: ConversationId, duplicate: bool) -> Applied {
        Applied {
            conversation: Some(conversation),
            duplicate,
            ..Applied::default()
        }
    }
}

/// What one turn inside a transaction did.
struct Done {
    applied: Applied,
    /// False when the turn's writes are to be rolled back (alone, it ends
    /// its transaction so; in a batch nothing it wrote matters).
    commit: bool,
    /// True when the flow ran: live streams and workers are woken.
    stepped: bool,
    wake: Wakeups,
    /// A web-chat visitor's external user: their streams waiting for a
    /// first conversation are woken too.
    web_user: Option<String>,
}

/// What the effects of one step asked the workers to do after commit.
#[derive(Default)]
struct Wakeups {
    http: bool,
    outbox: bool,
}

impl Engine {
    async fn flow(
        &self,
        txn: &mut WorkspaceTx,
        bot: BotId,
        version: i64,
    ) -> Result<Arc<ValidFlow>, TurnError> {
        let flows = self.flows();
        if let Some(f) = flows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get((bot, version))
        {
            return Ok(f);
        }
        let json = txn
            .version_document(bot, version)
            .await?
            .ok_or(TurnError::NotPublished)?;
        let doc =
            FlowDoc::from_json(&json).map_err(|e| TurnError::BadVersion(version, e.to_string()))?;
        // Published versions were validated when published.
        let flow = Arc::new(ValidFlow::unchecked(doc));
        flows.lock().unwrap_or_else(|p| p.into_inner()).insert(
            (bot, version),
            flow.clone(),
            flow_cost(&json),
        );
        Ok(flow)
    }

    /// Applies one event: exactly once per (conversation, event id), in one
    /// transaction with everything it causes.
    pub async fn apply(&self, turn: Turn<'_>) -> Result<Applied, TurnError> {
        self.apply_inner(turn, None).await
    }

    /// [`Engine::apply`] for an event of a real channel: the inbox row is
    /// marked in the same transaction, and the conversation learns how to
    /// reach the shopper.
    pub async fn apply_delivered(
        &self,
        turn: Turn<'_>,
        delivery: Delivery<'_>,
    ) -> Result<Applied, TurnError> {
        self.apply_inner(turn, Some(delivery)).await
    }

    async fn apply_inner(
        &self,
        turn: Turn<'_>,
        via: Option<Delivery<'_>>,
    ) -> Result<Applied, TurnError> {
        let turn_ws = turn.workspace;
        let tenant = self.store().workspace(turn_ws);
        let latest = tenant
            .latest_version_number(turn.bot)
            .await?
            .ok_or(TurnError::NotPublished)?;
        let catalog = tenant.catalog().await?;
        let mut txn = tenant.transaction().await?;
        let done = self.step_in(&mut txn, turn, via, latest, &catalog).await?;
        if done.commit {
            txn.commit().await?;
            self.committed(turn_ws, &done);
        } else {
            txn.rollback().await?;
        }
        Ok(done.applied)
    }

    /// Applies the stored events of one workspace in one transaction, in
    /// the order given (each shopper's events must be in their order).
    /// The catalog and each bot's newest version are read once for all of
    /// them. Turns of a bot with no published version come back as
    /// [`TurnError::NotPublished`] without touching anything; any other
    /// failure rolls the open transaction back and is returned, and the
    /// caller applies the events one at a time to find the one that fails.
    ///
    /// While webhooks wait to be stored, the batch commits every [`SLICE`]
    /// and lets them have the writer first; the turns committed by then
    /// are duplicates when applied again.
    pub async fn apply_batch(
        &self,
        workspace: WorkspaceId,
        turns: Vec<(Turn<'_>, Delivery<'_>)>,
    ) -> Result<Vec<Result<Applied, TurnError>>, TurnError> {
        let tenant = self.store().workspace(workspace);
        let mut latest: HashMap<BotId, Option<i64>> = HashMap::new();
        for (turn, _) in &turns {
            if let std::collections::hash_map::Entry::Vacant(slot) = latest.entry(turn.bot) {
                slot.insert(tenant.latest_version_number(turn.bot).await?);
            }
        }
        let catalog = tenant.catalog().await?;
        let mut txn = tenant.transaction().await?;
        let total = turns.len();
        let mut done = Vec::with_capacity(total);
        // The turns `done[open..]` are in the open transaction, begun at
        // `since`.
        let mut open = 0;
        let mut since = std::time::Instant::now();
        for (i, (turn, via)) in turns.into_iter().enumerate() {
            debug_assert_eq!(turn.workspace, workspace);
            if let Some(version) = latest.get(&turn.bot).copied().flatten() {
                // An event applied before writes nothing worth keeping (its
                // conversation exists already), so the batch goes on.
                let one = self
                    .step_in(&mut txn, turn, Some(via), version, &catalog)
                    .await?;
                done.push(Ok(one));
            } else {
                done.push(Err(TurnError::NotPublished));
            }
            // Webhooks waiting to be acknowledged go first: after a short
            // slice, commit what is done and give them the database's one
            // writer.
            if i + 1 < total && self.ingest_pending() && since.elapsed() >= SLICE {
                txn.commit().await?;
                self.all_committed(workspace, &done[open..]);
                open = done.len();
                // As long again for the requests: a flood of webhooks gets
                // at least half the time, and turns go on.
                tokio::time::sleep(SLICE).await;
                txn = tenant.transaction().await?;
                since = std::time::Instant::now();
            }
        }
        txn.commit().await?;
        self.all_committed(workspace, &done[open..]);
        Ok(done
            .into_iter()
            .map(|one| one.map(|one| one.applied))
            .collect())
    }

    /// [`Engine::committed`] for each turn of a committed transaction.
    fn all_committed(&self, ws: WorkspaceId, turns: &[Result<Done, TurnError>]) {
        for one in turns.iter().flatten() {
            if one.commit {
                self.committed(ws, one);
            }
        }
    }

    /// Wakes what a committed turn concerns: the conversation's live
    /// streams and the workers with new work.
    fn committed(&self, ws: WorkspaceId, done: &Done) {
        if !done.stepped {
            return;
        }
        if let Some(conv) = done.applied.conversation {
            self.live().notify(conv);
            self.live().notify_workspace(ws);
        }
        if let Some(user) = &done.web_user {
            self.live().notify_user(user);
        }
        if done.wake.http {
            self.wake().http.notify_one();
        }
        if done.wake.outbox {
            self.wake().outbox.notify_one();
        }
    }

    /// One turn inside `txn`: records the event once and, when it is to be
    /// answered, steps the flow (on `latest`, the bot's newest version,
    /// unless the conversation is in the middle of an older one) and
    /// stores what the step caused.
    async fn step_in(
        &self,
        txn: &mut WorkspaceTx,
        turn: Turn<'_>,
        via: Option<Delivery<'_>>,
        latest: i64,
        catalog: &CatalogView,
    ) -> Result<Done, TurnError> {
        // WhatsApp's number is the shopper's phone.
        let phone = match via {
            Some(v) if v.recipient_kind == "wa_phone" && !v.recipient.is_empty() => {
                format!("+{}", v.recipient.trim_start_matches('+'))
            }
            _ => String::new(),
        };
        let shopper = (turn.user, turn.display_name, phone.as_str());
        let (conv, contact) = txn
            .conversation_with_contact(turn.bot, turn.channel, shopper, latest, "{}")
            .await?;
        if let Input::Echo { text } = &turn.input {
            return record_echo(txn, &turn, &conv, via, text).await;
        }
        let touch = match record_event(txn, &turn, &conv, via).await? {
            Recorded::Done { applied, commit } => {
                return Ok(Done {
                    applied,
                    commit,
                    stepped: false,
                    wake: Wakeups::default(),
                    web_user: None,
                });
            }
            Recorded::Fresh(touch) => touch,
        };
        // A person holds the conversation, or a reply typed outside Botme
        // paused the bot: the shopper's message is in the transcript and
        // the inbox, and the bot says nothing. Other inputs (an HTTP step's
        // answer, a payment, a resume) still run.
        let from_shopper = matches!(
            turn.input,
            Input::Start | Input::Text { .. } | Input::Payload { .. } | Input::CartOrder { .. }
        );
        if from_shopper && conv.bot_silent(now_ms()) {
            txn.save_session(conv.id, &conv.session, conv.version, touch.as_ref())
                .await?;
            txn.announce(conv.id, turn.user).await?;
            return Ok(Done {
                applied: Applied::only(conv.id, false),
                commit: true,
                stepped: true,
                wake: Wakeups::default(),
                web_user: (turn.channel == Channel::Web).then(|| turn.user.to_string()),
            });
        }
        let mut session: Session = serde_json::from_str(&conv.session).unwrap_or_default();
        // A conversation stays on the version it started on; one that ended
        // (or never began) starts its next run on the newest version.
        let version = if matches!(session.status, Status::New | Status::Ended) {
            latest
        } else {
            conv.version
        };
        if version != conv.version {
            session.node = None;
        }
        let flow = self.flow(txn, turn.bot, version).await?;
        let conversation = conv.id.0.to_string();
        let now = now_ms();
        // The shopper's orders matter only to a step that lists them: most
        // turns run without reading them, and a turn that entered such a
        // step runs again, from the same session, with them (a step is
        // pure, so nothing of the first run remains).
        let without = Ctx {
            now_ms: now,
            conversation: &conversation,
            event_id: turn.event_id,
            catalog,
            orders: &[],
            contact: contact.as_ref().map(|(_, c)| c),
        };
        let mut result = step(&flow, session.clone(), turn.input.clone(), &without);
        // A rerun with the orders takes the same path: whether the step
        // handed off is known now.
        let handoff = result
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Handoff { .. }))
            .then(|| handoff_reason(&turn.input));
        let resumed = matches!(turn.input, Input::Resume { .. });
        if result.effects.iter().any(|e| match e {
            Effect::Visit { node } => flow.lists_orders_at(node),
            _ => false,
        }) {
            let orders = order_info(&txn.orders_of(conv.id).await?);
            let with = Ctx {
                orders: &orders,
                ..without
            };
            result = step(&flow, session, turn.input, &with);
        }

        if let Some((id, _)) = &contact {
            txn.apply_contact_effects(*id, &result.effects).await?;
        }
        let mut applied = Applied::only(conv.id, false);
        let wake = self
            .store_effects(
                txn,
                turn.bot,
                turn.channel,
                conv.id,
                result.effects,
                &mut applied,
            )
            .await?;
        if resumed {
            txn.set_inbox_state(conv.id, "open", false, conv.assignee_id)
                .await?;
        }
        if let Some(reason) = handoff {
            txn.mark_waiting(conv.id, &reason).await?;
            txn.record_action(conv.id, "handoff", None, &reason).await?;
            // The workspace's webhook hears of it, once per handoff event.
            let body = serde_json::json!({
                "event": "handoff",
                "workspace_id": turn.workspace.0,
                "conversation": {
                    "id": conv.id.0,
                    "shopper": if turn.display_name.is_empty() { turn.user } else { turn.display_name },
                    "channel": turn.channel.as_str(),
                    "reason": reason,
                    "url": format!("{}/conversations/{}", self.inner.public_url, conv.id.0),
                },
                "created_at": now,
            });
            txn.queue_notification(
                conv.id,
                &format!("handoff:{}:{}", conv.id.0, turn.event_id),
                &body.to_string(),
            )
            .await?;
            metrics::counter!("handoffs_total").increment(1);
        }
        let session = serde_json::to_string(&result.session).unwrap_or_else(|_| "{}".into());
        txn.save_session(conv.id, &session, version, touch.as_ref())
            .await?;
        txn.announce(conv.id, turn.user).await?;
        Ok(Done {
            applied,
            commit: true,
            stepped: true,
            wake,
            web_user: (turn.channel == Channel::Web).then(|| turn.user.to_string()),
        })
    }

    /// Stores what one step caused: orders, outbound messages and HTTP
    /// calls, in the turn's transaction.
    async fn store_effects(
        &self,
        txn: &mut WorkspaceTx,
        bot: BotId,
        channel: Channel,
        conv: ConversationId,
        effects: Vec<Effect>,
        applied: &mut Applied,
    ) -> Result<Wakeups, TurnError> {
        // Meta's channels are sent by the outbox worker; the widget reads
        // its messages from the transcript.
        let status = if channel.is_meta() {
            MessageStatus::Pending
        } else {
            MessageStatus::Sent
        };
        let mut current: Option<OrderRow> = None;
        let mut wake = Wakeups::default();
        // Written together after the loop, in order.
        let mut outgoing: Vec<Outbound> = Vec::new();
        for effect in effects {
            match effect {
                Effect::PlaceOrder { order } => {
                    let (row, created) = txn.place_order(bot, conv, &order, &page_token()).await?;
                    if created {
                        metrics::counter!("orders_placed_total").increment(1);
                        applied.orders.push(row.clone());
                    }
                    // Stock ran out since the shopper filled the cart: say
                    // so before anything else about the order.
                    if let Some(text) = shortfall_notice(&row) {
                        outgoing.push(Outbound::Text { text });
                    }
                    current = Some(row);
                }
                Effect::Send { message } => {
                    // An order stock ran out of entirely was not placed:
                    // what the flow says about it (its number, its page)
                    // is not sent.
                    if current
                        .as_ref()
                        .is_some_and(|o| o.status == OrderStatus::Cancelled)
                        && mentions_order(&message)
                    {
                        continue;
                    }
                    outgoing.push(fill_order(
                        message,
                        current.as_ref(),
                        &self.inner.public_url,
                    ));
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
                    txn.queue_http_call(conv, &request_id, &method, &url, body.as_deref())
                        .await?;
                    wake.http = true;
                }
                Effect::Handoff { .. } | Effect::Visit { .. } | Effect::End => {}
                // Written by `apply_contact_effects`.
                Effect::SetContact { .. } | Effect::TagContact { .. } => {}
            }
        }
        let rows: Vec<(String, String)> = outgoing
            .iter()
            .map(|m| (serde_json::to_string(m).unwrap_or_default(), m.summary()))
            .collect();
        let ids = txn.record_outbound_many(conv, status, &rows).await?;
        wake.outbox = status == MessageStatus::Pending && !ids.is_empty();
        applied.sent.extend(ids.into_iter().zip(outgoing));
        Ok(wake)
    }
}

/// What the interpreter may tell a shopper about their orders.
fn order_info(orders: &[OrderRow]) -> Vec<OrderInfo> {
    orders
        .iter()
        .map(|o| OrderInfo {
            number: o.number.to_string(),
            status: o.status,
            total: o.total(),
        })
        .collect()
}

/// Whether a turn goes on after its event was recorded.
enum Recorded<'a> {
    /// The event is new and to be answered: step the flow, then store the
    /// session with what the delivery says of the shopper (in one write).
    Fresh(Option<Touch<'a>>),
    /// The turn ends here, committing or rolling back what was written.
    Done { applied: Applied, commit: bool },
}

/// Records the event in the transcript (and closes its inbox row), once.
/// The turn ends here when the event was applied before, or is too old to
/// answer.
async fn record_event<'a>(
    txn: &mut WorkspaceTx,
    turn: &Turn<'_>,
    conv: &ConversationRow,
    via: Option<Delivery<'a>>,
) -> Result<Recorded<'a>, TurnError> {
    if let Some(v) = via
        && !txn
            .finish_inbox(
                v.inbox_id,
                if v.answer {
                    InboxStatus::Done
                } else {
                    InboxStatus::Skipped
                },
            )
            .await?
    {
        return Ok(Recorded::Done {
            applied: Applied::only(conv.id, true),
            commit: false,
        });
    }
    let body = serde_json::to_string(&turn.input).unwrap_or_default();
    let summary = input_summary(&turn.input);
    if !txn
        .record_inbound(conv.id, turn.event_id, &body, &summary)
        .await?
    {
        // Applied before under this id: an inbox row for it is closed
        // too, or the worker would find it pending again and again.
        return Ok(Recorded::Done {
            applied: Applied::only(conv.id, true),
            commit: via.is_some(),
        });
    }
    let Some(v) = via else {
        return Ok(Recorded::Fresh(None));
    };
    let from_shopper = matches!(
        turn.input,
        Input::Start | Input::Text { .. } | Input::Payload { .. } | Input::CartOrder { .. }
    );
    let at = if v.platform_ts > 0 {
        v.platform_ts
    } else {
        now_ms()
    };
    let touch = Touch {
        channel: Some(v.channel_id),
        recipient: v.recipient,
        recipient_kind: v.recipient_kind,
        inbound_at: from_shopper.then_some(at),
    };
    if !v.answer {
        txn.touch_conversation(conv.id, &touch).await?;
        return Ok(Recorded::Done {
            applied: Applied::only(conv.id, false),
            commit: true,
        });
    }
    Ok(Recorded::Fresh(Some(touch)))
}

/// A reply a person sent outside Botme (Meta's Page Inbox): recorded once
/// in the transcript, and the bot pauses for the workspace's echo pause,
/// counted from when it was sent. The flow is not stepped.
async fn record_echo(
    txn: &mut WorkspaceTx,
    turn: &Turn<'_>,
    conv: &ConversationRow,
    via: Option<Delivery<'_>>,
    text: &str,
) -> Result<Done, TurnError> {
    let not_stepped = |duplicate: bool, commit: bool| Done {
        applied: Applied::only(conv.id, duplicate),
        commit,
        stepped: !duplicate,
        wake: Wakeups::default(),
        web_user: None,
    };
    if let Some(v) = via
        && !txn.finish_inbox(v.inbox_id, InboxStatus::Done).await?
    {
        return Ok(not_stepped(true, false));
    }
    let preview: String = text.chars().take(4096).collect();
    let body = serde_json::to_string(&app::channel::Outbound::Text {
        text: preview.clone(),
    })
    .unwrap_or_default();
    if !txn
        .record_echo(conv.id, turn.event_id, &body, &preview)
        .await?
    {
        return Ok(not_stepped(true, via.is_some()));
    }
    let sent_at = via.map_or_else(now_ms, |v| {
        if v.platform_ts > 0 {
            v.platform_ts
        } else {
            now_ms()
        }
    });
    let pause = txn.echo_pause_ms().await?;
    if pause > 0 && sent_at + pause > now_ms() {
        txn.pause_bot(conv.id, sent_at + pause).await?;
        txn.record_action(
            conv.id,
            "paused",
            None,
            &format!(
                "a reply was sent from outside Botme, so the bot waits {} before answering again",
                app::channel::window::span(pause)
            ),
        )
        .await?;
    }
    Ok(not_stepped(false, true))
}

/// Why a conversation waits for a person, for the inbox: what the shopper
/// said when they asked, or that the flow handed off.
fn handoff_reason(input: &Input) -> String {
    match input {
        Input::Text { text } => {
            let said: String = text.chars().take(200).collect();
            format!("Asked for a person: \u{201c}{said}\u{201d}")
        }
        Input::Payload { .. } => "Chose to talk to a person".into(),
        _ => "The bot handed the conversation to a person".into(),
    }
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
    let total = order.total().to_string();
    let url = order_url(public_url, &order.page_token);
    map_texts(message, &|t: &str| {
        text::interpolate(t, |name| match name {
            "order.number" => Some(number.clone()),
            "order.total" => Some(total.clone()),
            "order.url" => Some(url.clone()),
            other => Some(format!("{{{{{other}}}}}")),
        })
    })
}

/// What the shopper is told when stock ran short of an order's lines, if
/// it did.
fn shortfall_notice(order: &OrderRow) -> Option<String> {
    let short = order.shortfalls();
    if short.is_empty() {
        return None;
    }
    if order.status == OrderStatus::Cancelled {
        let names: Vec<&str> = short.iter().map(|(name, _, _)| name.as_str()).collect();
        return Some(format!(
            "Sorry, {} sold out just before your order went through, so it could not be placed. Nothing is charged.",
            names.join(", ")
        ));
    }
    let lines: Vec<String> = short
        .iter()
        .map(|(name, ordered, got)| format!("{got} of the {ordered} × {name} you asked for"))
        .collect();
    Some(format!(
        "Sorry, stock ran short just before your order went through: we have {}. Your order has what we have, and its total is now {}.",
        lines.join(", "),
        order.total()
    ))
}

/// Whether a message speaks of the order just placed.
fn mentions_order(message: &Outbound) -> bool {
    serde_json::to_string(message).is_ok_and(|json| json.contains("{{order."))
}

/// Readable text for an inbound event.
pub fn input_summary(input: &Input) -> String {
    match input {
        Input::Start => "[started the conversation]".into(),
        Input::Text { text } => text.clone(),
        Input::Payload { payload } => format!("[tapped {payload}]"),
        Input::CartOrder { items } => format!("[sent a cart with {} items]", items.len()),
        Input::PaymentSucceeded { .. } => "[payment received]".into(),
        Input::PaymentFailed { .. } => "[payment failed]".into(),
        Input::HttpResult { status, .. } => format!("[API answered {status}]"),
        Input::Timeout => "[timed out]".into(),
        Input::Resume { .. } => "[handed back to the bot]".into(),
        Input::Echo { text } => text.clone(),
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    fn flow() -> Arc<ValidFlow> {
        Arc::new(ValidFlow::unchecked(app::flow::templates::shop()))
    }

    #[test]
    fn the_flow_cache_keeps_to_its_bytes_and_drops_the_least_recently_used() {
        let mut cache = FlowCache::new(10_000);
        let f = flow();
        for v in 1..=4 {
            cache.insert((BotId(1), v), f.clone(), 3_000);
        }
        // Four would take 12,000: the first is gone.
        assert_eq!(cache.len(), 3);
        assert!(cache.used() <= 10_000);
        assert!(cache.get((BotId(1), 1)).is_none());
        // Using version 2 keeps it; the next insert drops version 3.
        assert!(cache.get((BotId(1), 2)).is_some());
        cache.insert((BotId(2), 1), f.clone(), 3_000);
        assert!(cache.get((BotId(1), 2)).is_some());
        assert!(cache.get((BotId(1), 3)).is_none());
        assert_eq!(cache.used(), 9_000);
        // A flow larger than the whole budget runs but is not kept.
        cache.insert((BotId(3), 1), f.clone(), 20_000);
        assert!(cache.get((BotId(3), 1)).is_none());
        assert_eq!(cache.used(), 9_000);
        // One large flow makes room for itself.
        cache.insert((BotId(4), 1), f, 9_500);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.used(), 9_500);
    }

    #[test]
    fn a_flow_is_reckoned_by_its_document() {
        let json = app::flow::templates::shop().to_json();
        assert!(flow_cost(&json) >= json.len());
        // 2 MB documents: about ten fit the default budget.
        let big = flow_cost(&"x".repeat(app::flow::doc::MAX_DOC_BYTES));
        assert!(
            (5..=20).contains(&(FLOW_CACHE_BYTES / big)),
            "{}",
            FLOW_CACHE_BYTES / big
        );
    }
}

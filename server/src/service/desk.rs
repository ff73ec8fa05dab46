//! The inbox: listing conversations, reading one, and what people do to
//! them: answer, assign, close, reopen, and hand back to the bot.
//!
//! Viewers read; agents, editors and owners act. Every action is kept in
//! the conversation's transcript and wakes the inboxes watching the
//! workspace.

use app::channel::window::{ReplyWindow, reply_window};
use app::channel::{Card, Channel, Outbound};
use app::flow::doc::NodeId;
use app::flow::interpreter::Input;
use app::model::{ErrorCode, Principal, Role};
use app::views::{
    ConversationDetail, ConversationPage, ConversationSummary, InboxCounts, TranscriptEntry,
};
use base64::Engine as _;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{order_summary, require, tenant, transcript_entries, workspace};
use crate::engine::Turn;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{
    ActionRow, AssigneeFilter, BotId, ConversationId, ConversationRow, InboxFilter, InboxListRow,
    MessageStatus, ProductId, UserId, now_ms,
};

/// Rows on an inbox page unless `limit` says otherwise.
const PAGE: i64 = 50;
/// The most rows one page may ask for.
const MAX_PAGE: i64 = 200;
/// The longest reply a person may type (Messenger's limit is 2,000 per
/// message; longer texts are split by the channel).
const MAX_REPLY_CHARS: usize = app::flow::interpreter::MAX_MESSAGE_CHARS;

/// The inbox list's filters, as query parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `waiting` (for a person), `open` or `closed`.
    pub status: Option<String>,
    /// A member id, `me`, or `none` for unassigned.
    pub assignee: Option<String>,
    /// `messenger`, `whatsapp` or `web`.
    pub channel: Option<String>,
    /// A bot id.
    pub bot: Option<String>,
    /// Words in the shopper's name, phone, email or messages, or an
    /// order number.
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Rows per page (default 50, at most 200).
    pub limit: Option<String>,
}

/// A query parameter's value, trimmed; none when empty.
fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::invalid(ErrorCode::InvalidQuery, message)
}

/// The cursor after a row of a keyset-paged list: its sort time and id,
/// opaque to callers.
pub(crate) fn cursor_after(updated_at: i64, id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{updated_at}.{id}"))
}

/// The `(time, id)` of a cursor [`cursor_after`] made, if it is one.
pub(crate) fn parse_cursor(cursor: &str) -> Option<(i64, i64)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (at, id) = text.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

impl InboxQuery {
    /// The store's filter, or a 422 naming what is wrong.
    fn filter(&self, p: &Principal) -> ApiResult<InboxFilter> {
        let status = match some(&self.status) {
            None => None,
            Some("waiting") => Some("waiting"),
            Some("open") => Some("open"),
            Some("closed") => Some("closed"),
            Some(other) => {
                return Err(bad_query(format!(
                    "status must be waiting, open or closed, not \u{201c}{other}\u{201d}."
                )));
            }
        };
        let assignee = match some(&self.assignee) {
            None => None,
            Some("none") => Some(AssigneeFilter::Nobody),
            Some("me") => Some(AssigneeFilter::Member(UserId(p.user_id.ok_or_else(
                || bad_query("assignee=me needs a signed-in member; an API token is nobody."),
            )?))),
            Some(id) => Some(AssigneeFilter::Member(UserId(
                id.parse()
                    .map_err(|_| bad_query("assignee must be a member id, me or none."))?,
            ))),
        };
        let channel = match some(&self.channel) {
            None => None,
            Some(c) => Some(
                Channel::try_from(c.to_string())
                    .ok()
                    .ok_or_else(|| bad_query("channel must be messenger, whatsapp or web."))?,
            ),
        };
        let bot = match some(&self.bot) {
            None => None,
            Some(b) => Some(BotId(
                b.parse().map_err(|_| bad_query("bot must be a bot id."))?,
            )),
        };
        let after = match some(&self.cursor) {
            None => None,
            Some(c) => Some(parse_cursor(c).ok_or_else(|| {
                bad_query("The cursor is not one this list gave; start again without it.")
            })?),
        };
        let limit = match some(&self.limit) {
            None => PAGE,
            Some(l) => l.parse().unwrap_or(0),
        };
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(bad_query(format!("limit must be from 1 to {MAX_PAGE}.")));
        }
        let q = some(&self.q).map(|q| q.chars().take(200).collect());
        Ok(InboxFilter {
            status,
            assignee,
            channel,
            bot,
            q,
            after,
            limit,
        })
    }
}

fn shopper_name(c: &ConversationRow) -> String {
    [&c.display_name, &c.recipient, &c.external_user]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_default()
}

/// A conversation as lists and pages show it.
pub fn conversation_summary(
    c: ConversationRow,
    bot_name: String,
    assignee: Option<String>,
    last: Option<String>,
) -> ConversationSummary {
    ConversationSummary {
        id: c.id.0,
        bot_id: c.bot_id.0,
        channel: c.channel.to_string(),
        shopper: shopper_name(&c),
        version: c.version,
        last_message: last.unwrap_or_default(),
        created_at: c.created_at,
        updated_at: c.updated_at,
        bot_name,
        status: c.status,
        held: c.held != 0,
        paused_until: c.paused_until,
        assignee_id: c.assignee_id.map(|u| u.0),
        assignee,
        handoff_reason: c.handoff_reason,
        handoff_at: c.handoff_at,
        unread: c.unread,
        last_inbound_at: c.last_inbound_at,
    }
}

/// One page of the workspace's conversations, newest activity first.
pub async fn list_conversations(
    state: &AppState,
    p: &Principal,
    query: &InboxQuery,
) -> ApiResult<ConversationPage> {
    let mut filter = query.filter(p)?;
    let limit = filter.limit;
    filter.limit = limit + 1;
    let mut rows = tenant(state, p).inbox_list(&filter).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last()
            .map(|r| cursor_after(r.conversation.updated_at, r.conversation.id.0))
    } else {
        None
    };
    Ok(ConversationPage {
        conversations: rows
            .into_iter()
            .map(|r: InboxListRow| {
                conversation_summary(r.conversation, r.bot_name, r.assignee_email, r.last_message)
            })
            .collect(),
        next_cursor,
    })
}

/// The counts the top bar shows.
pub async fn inbox_counts(state: &AppState, p: &Principal) -> ApiResult<InboxCounts> {
    let c = tenant(state, p).inbox_counts().await?;
    Ok(InboxCounts {
        unread: c.unread,
        waiting: c.waiting,
    })
}

fn action_text(a: &ActionRow) -> String {
    let who = a.actor_email.as_deref().unwrap_or("Botme");
    match a.kind.as_str() {
        "handoff" => format!("Waiting for a person. {}", a.detail),
        "assigned" => format!("{who} assigned it to {}", a.detail),
        "unassigned" => format!("{who} unassigned it"),
        "closed" => format!("{who} closed it"),
        "reopened" => format!("{who} reopened it"),
        "resumed" => format!("{who} handed it back to the bot{}", a.detail),
        "paused" => format!("The bot paused: {}", a.detail),
        other => format!("{who}: {other} {}", a.detail),
    }
}

fn action_entry(a: ActionRow) -> TranscriptEntry {
    TranscriptEntry {
        id: a.id,
        direction: "action".into(),
        text: action_text(&a),
        body: serde_json::json!({"kind": a.kind, "detail": a.detail}),
        status: "done".into(),
        error: None,
        at: a.created_at,
        author: a.actor_email,
    }
}

/// The window a person's reply is in now.
pub fn window_of(c: &ConversationRow) -> ReplyWindow {
    reply_window(c.channel, c.last_inbound_at, now_ms())
}

async fn conversation_row(
    state: &AppState,
    p: &Principal,
    id: ConversationId,
) -> ApiResult<ConversationRow> {
    tenant(state, p)
        .conversation(id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))
}

/// A conversation with its transcript (messages and actions in time
/// order), orders and reply window. A member opening it reads it.
pub async fn get_conversation(
    state: &AppState,
    p: &Principal,
    id: ConversationId,
) -> ApiResult<ConversationDetail> {
    let t = tenant(state, p);
    let mut conv = conversation_row(state, p, id).await?;
    if p.user_id.is_some() && conv.unread > 0 {
        t.mark_read(conv.id).await?;
        state.engine.live().notify_workspace(workspace(p));
        conv.unread = 0;
    }
    let messages = t.transcript(conv.id, 0, 2000).await?;
    let actions = t.conversation_actions(conv.id).await?;
    let orders = t.conversation_orders(conv.id).await?;
    let bot_name = t
        .bot(conv.bot_id)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    let assignee = match conv.assignee_id {
        Some(u) => t
            .members()
            .await?
            .into_iter()
            .find(|m| m.user_id == u)
            .map(|m| m.email),
        None => None,
    };
    let last = messages.last().map(|m| m.preview.clone());
    let mut transcript = transcript_entries(messages);
    transcript.extend(actions.into_iter().map(action_entry));
    // Stable: a message and an action of the same millisecond keep their
    // order of kind (messages first).
    transcript.sort_by_key(|e| e.at);
    let window = window_of(&conv);
    let steps = match t.version(conv.bot_id, conv.version).await? {
        Some(v) => flow_steps(&v.document),
        None => Vec::new(),
    };
    Ok(ConversationDetail {
        transcript,
        orders: orders.iter().map(order_summary).collect(),
        window,
        steps,
        summary: conversation_summary(conv, bot_name, assignee, last),
    })
}

/// The steps of a flow document, `[id, "id (kind)"]`, in document order.
fn flow_steps(document: &str) -> Vec<(String, String)> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(document) else {
        return Vec::new();
    };
    doc["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .filter_map(|n| {
                    let id = n["id"].as_str()?;
                    let kind = n["type"].as_str().unwrap_or("step").replace('_', " ");
                    Some((id.to_string(), format!("{id} ({kind})")))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Wakes what shows a conversation: its live streams and the inboxes.
fn announce(state: &AppState, p: &Principal, conv: ConversationId) {
    state.engine.live().notify(conv);
    state.engine.live().notify_workspace(workspace(p));
}

/// `POST /conversations/{id}/assign`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    /// The member to assign it to; `null` unassigns.
    pub member_id: Option<i64>,
}

/// Assigns a conversation to a member of the workspace, or to nobody.
pub async fn assign_conversation(
    state: &AppState,
    p: &Principal,
    id: ConversationId,
    req: AssignRequest,
) -> ApiResult<ConversationDetail> {
    require(p, Role::Agent, "assign conversations")?;
    let member = req.member_id.map(UserId);
    let mut txn = tenant(state, p).transaction().await?;
    let conv = txn
        .lock_conversation(id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    let email = match member {
        Some(u) => {
            let found = tenant(state, p)
                .members()
                .await?
                .into_iter()
                .find(|m| m.user_id == u)
                .map(|m| m.email);
            Some(found.ok_or_else(|| {
                ApiError::invalid(
                    ErrorCode::UnknownUser,
                    "member_id is not a member of this workspace.",
                )
            })?)
        }
        None => None,
    };
    if conv.assignee_id != member {
        txn.set_inbox_state(id, &conv.status, conv.held != 0, member)
            .await?;
        match &email {
            Some(e) => txn.record_action(id, "assigned", actor(p), e).await?,
            None => txn.record_action(id, "unassigned", actor(p), "").await?,
        }
    }
    txn.commit().await?;
    announce(state, p, id);
    get_conversation(state, p, id).await
}

fn actor(p: &Principal) -> Option<UserId> {
    p.user_id.map(UserId)
}

/// Closes a conversation: it leaves the open lists, nothing is unread,
/// and the bot answers the shopper's next message.
pub async fn close_conversation(
    state: &AppState,
    p: &Principal,
    id: ConversationId,
) -> ApiResult<ConversationDetail> {
    set_status(state, p, id, "closed").await
}

/// Reopens a closed conversation.
pub async fn reopen_conversation(
    state: &AppState,
    p: &Principal,
    id: ConversationId,
) -> ApiResult<ConversationDetail> {
    set_status(state, p, id, "open").await
}

async fn set_status(
    state: &AppState,
    p: &Principal,
    id: ConversationId,
    status: &str,
) -> ApiResult<ConversationDetail> {
    require(
        p,
        Role::Agent,
        if status == "closed" {
            "close conversations"
        } else {
            "reopen conversations"
        },
    )?;
    let mut txn = tenant(state, p).transaction().await?;
    let conv = txn
        .lock_conversation(id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    let change = (conv.status == "closed") != (status == "closed");
    if change {
        // Closing ends a person's hold; reopening keeps whatever holds.
        let held = status != "closed" && conv.held != 0;
        txn.set_inbox_state(id, status, held, conv.assignee_id)
            .await?;
        let kind = if status == "closed" {
            "closed"
        } else {
            "reopened"
        };
        txn.record_action(id, kind, actor(p), "").await?;
    }
    txn.commit().await?;
    if change {
        announce(state, p, id);
    }
    get_conversation(state, p, id).await
}

/// `POST /conversations/{id}/resume`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ResumeRequest {
    /// The step where the bot goes on; by default the handoff step's
    /// `resume` exit, or the start.
    pub step: Option<String>,
}

/// Hands a conversation back to the bot, which goes on at the step chosen.
pub async fn resume_conversation(
    state: &AppState,
    p: &Principal,
    id: ConversationId,
    req: ResumeRequest,
) -> ApiResult<ConversationDetail> {
    require(p, Role::Agent, "hand conversations back to the bot")?;
    let conv = conversation_row(state, p, id).await?;
    let step = req
        .step
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if let Some(step) = &step {
        let doc = tenant(state, p).version(conv.bot_id, conv.version).await?;
        let known = doc
            .and_then(|d| serde_json::from_str::<serde_json::Value>(&d.document).ok())
            .is_some_and(|d| {
                d["nodes"]
                    .as_array()
                    .is_some_and(|n| n.iter().any(|n| n["id"].as_str() == Some(step)))
            });
        if !known {
            return Err(ApiError::invalid(
                ErrorCode::InvalidStep,
                format!("The bot's flow has no step \u{201c}{step}\u{201d}."),
            ));
        }
    }
    let event = format!("resume:{}:{:016x}", id.0, rand::random::<u64>());
    state
        .engine
        .apply(Turn {
            workspace: workspace(p),
            bot: conv.bot_id,
            channel: conv.channel,
            user: &conv.external_user,
            display_name: &conv.display_name,
            event_id: &event,
            input: Input::Resume {
                node: step.clone().map(NodeId),
            },
        })
        .await
        .map_err(|e| {
            ApiError::conflict(
                ErrorCode::InvalidStep,
                format!("The bot could not go on: {e}"),
            )
        })?;
    let mut txn = tenant(state, p).transaction().await?;
    let detail = match &step {
        Some(s) => format!(" at step \u{201c}{s}\u{201d}"),
        None => String::new(),
    };
    txn.record_action(id, "resumed", actor(p), &detail).await?;
    txn.commit().await?;
    announce(state, p, id);
    get_conversation(state, p, id).await
}

/// `POST /conversations/{id}/messages`: what a person sends. Exactly one
/// of `text`, `image_url` and `product_id`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReplyRequest {
    /// Text.
    pub text: Option<String>,
    /// A picture's `https` address.
    pub image_url: Option<String>,
    /// A product of the catalog, sent as its card.
    pub product_id: Option<i64>,
}

/// Sends a person's reply through the channel's outbox: paced, retried
/// and with its statuses, like the bot's. The conversation is then held by
/// a person (the bot stays silent until resumed), no longer waiting, and
/// assigned to whoever answered if it was nobody's.
pub async fn reply(
    state: &AppState,
    p: &Principal,
    id: ConversationId,
    req: ReplyRequest,
) -> ApiResult<TranscriptEntry> {
    require(p, Role::Agent, "answer conversations")?;
    let message = reply_message(state, p, req).await?;
    let mut txn = tenant(state, p).transaction().await?;
    let conv = txn
        .lock_conversation(id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    let window = window_of(&conv);
    if !window.can_send {
        return Err(ApiError::invalid(ErrorCode::WindowClosed, window.note));
    }
    if conv.channel.is_meta() && conv.channel_id.is_none() {
        return Err(ApiError::invalid(
            ErrorCode::WindowClosed,
            "This conversation's channel is disconnected, so nothing can reach the shopper.",
        ));
    }
    let status = if conv.channel.is_meta() {
        MessageStatus::Pending
    } else {
        MessageStatus::Sent
    };
    let author = actor(p);
    let body = serde_json::to_string(&message).unwrap_or_default();
    let preview = message.summary();
    let msg_id = txn
        .record_reply(id, status, &body, &preview, author)
        .await?;
    let assignee = conv.assignee_id.or(author);
    let status_after = if conv.status == "waiting" || conv.status == "closed" {
        "open"
    } else {
        conv.status.as_str()
    };
    txn.set_inbox_state(id, status_after, true, assignee)
        .await?;
    if conv.assignee_id.is_none()
        && let Some(e) = &p.email
        && author.is_some()
    {
        txn.record_action(id, "assigned", author, e).await?;
    }
    txn.commit().await?;
    if status == MessageStatus::Pending {
        state.engine.wake().outbox.notify_one();
    }
    announce(state, p, id);
    if conv.channel == Channel::Web {
        state.engine.live().notify_user(&conv.external_user);
    }
    Ok(TranscriptEntry {
        id: msg_id,
        direction: "out".into(),
        text: preview,
        body: serde_json::to_value(&message).unwrap_or_default(),
        status: status.to_string(),
        error: None,
        at: now_ms(),
        author: Some(p.email.clone().unwrap_or_else(|| "API".into())),
    })
}

/// The message a reply request asks for, or a 4xx saying what is wrong.
async fn reply_message(state: &AppState, p: &Principal, req: ReplyRequest) -> ApiResult<Outbound> {
    let given = [
        req.text.is_some(),
        req.image_url.is_some(),
        req.product_id.is_some(),
    ]
    .into_iter()
    .filter(|g| *g)
    .count();
    if given != 1 {
        return Err(ApiError::invalid(
            ErrorCode::InvalidMessage,
            "Send exactly one of text, image_url and product_id.",
        ));
    }
    if let Some(text) = req.text {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(ApiError::invalid(
                ErrorCode::InvalidMessage,
                "The reply is empty.",
            ));
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(ApiError::invalid(
                ErrorCode::InvalidMessage,
                format!("A reply may have at most {MAX_REPLY_CHARS} characters."),
            ));
        }
        return Ok(Outbound::Text { text });
    }
    if let Some(url) = req.image_url {
        let url = url.trim().to_string();
        let host = url
            .strip_prefix("https://")
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
        let ok = host.is_some_and(|h| !h.is_empty())
            && !url.chars().any(char::is_whitespace)
            && url.len() <= 2000;
        if !ok {
            return Err(ApiError::invalid(
                ErrorCode::InvalidMessage,
                "image_url must be an https address the platforms can fetch.",
            ));
        }
        return Ok(Outbound::Image { url, caption: None });
    }
    let id = ProductId(req.product_id.unwrap_or_default());
    let product = tenant(state, p)
        .product(id)
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?
        .to_product();
    let mut subtitle = product.price.to_string();
    let description = product.description.trim();
    if !description.is_empty() {
        subtitle.push_str(" · ");
        subtitle.push_str(description);
    }
    Ok(Outbound::Cards {
        text: String::new(),
        cards: vec![Card {
            title: product.name,
            subtitle,
            image_url: product.image_url,
            buttons: Vec::new(),
        }],
        choices: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::{cursor_after, parse_cursor};

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = cursor_after(1_800_000_000_123, 42);
        assert_eq!(parse_cursor(&c), Some((1_800_000_000_123, 42)));
        assert_eq!(parse_cursor("not a cursor"), None);
        assert_eq!(parse_cursor(""), None);
    }
}

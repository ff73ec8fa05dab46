//! Conversations, their transcript, and the transaction the runner applies
//! one step in.

use app::channel::Channel;
use app::commerce::NewOrder;
use sqlx::FromRow;

use super::orders::{OrderRow, place_order};
use super::{
    Backend, BotId, ConversationId, Direction, HttpCallStatus, InboxStatus, MessageStatus, Result,
    SqlTx, WorkspaceId, now_ms,
};
use super::{Queue, Workspace};

/// A conversation as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ConversationRow {
    /// Id.
    pub id: ConversationId,
    /// Its bot.
    pub bot_id: BotId,
    /// `messenger`, `whatsapp`, `web` or `test`.
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    /// The shopper's id on that channel.
    pub external_user: String,
    /// The shopper's name, when the channel tells.
    pub display_name: String,
    /// The flow version it is pinned to.
    pub version: i64,
    /// The interpreter session, as JSON.
    pub session: String,
    /// Started at.
    pub created_at: i64,
    /// Last activity at.
    pub updated_at: i64,
    /// The channel it runs on (none for tests and simulations).
    pub channel_id: Option<super::ChannelId>,
    /// Where replies go.
    pub recipient: String,
    /// How to address `recipient`.
    pub recipient_kind: String,
    /// When the shopper last wrote: the platforms' 24-hour window.
    pub last_inbound_at: Option<i64>,
    /// The inbox state: `open`, `waiting` (for a person) or `closed`.
    pub status: String,
    /// 1 while a person holds it: the bot does not answer.
    pub held: i64,
    /// The bot is silent until then, after a reply typed outside Botme.
    pub paused_until: Option<i64>,
    /// The member it is assigned to.
    pub assignee_id: Option<super::UserId>,
    /// Why it waits for a person.
    pub handoff_reason: String,
    /// When it started waiting.
    pub handoff_at: Option<i64>,
    /// The shopper's messages since a member last opened it.
    pub unread: i64,
    /// The shopper's contact (none for a conversation not loaded by a turn
    /// since contacts exist).
    pub contact_id: Option<super::ContactId>,
}

impl ConversationRow {
    /// Whether the bot stays silent at `now`: a person holds the
    /// conversation, or a reply typed outside Botme paused it.
    pub fn bot_silent(&self, now: i64) -> bool {
        self.held != 0 || self.paused_until.is_some_and(|t| t > now)
    }
}

/// A conversation with its contact's parts, as one statement returns them.
#[derive(FromRow)]
struct WithContact {
    #[sqlx(flatten)]
    conversation: ConversationRow,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    contact_tags: Option<String>,
    contact_attributes: Option<String>,
    contact_last_seen: Option<i64>,
}

/// One transcript entry.
#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    /// Id (also the transcript cursor).
    pub id: i64,
    /// From the shopper or from the bot.
    #[sqlx(try_from = "String")]
    pub direction: Direction,
    /// The platform event id of an inbound message.
    pub event_id: Option<String>,
    /// The input or outbound message, as JSON.
    pub body: String,
    /// Readable text.
    pub preview: String,
    /// Delivery status of outbound messages (`Done` for inbound ones).
    #[sqlx(try_from = "String")]
    pub status: MessageStatus,
    /// When.
    pub created_at: i64,
    /// Why sending failed or was skipped.
    pub error: Option<String>,
    /// Who typed it, when a person did: the member's email, or `API` for
    /// an API token (none: the bot or the shopper).
    pub author: Option<String>,
}

/// What a delivery says of its shopper: the channel it came on, how to
/// reach them, and when they last wrote. Empty parts change nothing.
#[derive(Debug, Clone, Default)]
pub struct Touch<'a> {
    /// The channel the event arrived on.
    pub channel: Option<super::ChannelId>,
    /// Where replies go (empty: unchanged).
    pub recipient: &'a str,
    /// How to address `recipient` (empty: unchanged).
    pub recipient_kind: &'a str,
    /// When the shopper wrote, for the 24-hour window.
    pub inbound_at: Option<i64>,
}

/// The assignments of a [`Touch`], its four values bound from `$first`.
/// A shopper's message also counts as unread in the inbox and reopens a
/// closed conversation.
fn touch_sql(first: usize) -> String {
    let [c, r, k, at] = [first, first + 1, first + 2, first + 3];
    format!(
        "channel_id = COALESCE(${c}, channel_id), \
         recipient = CASE WHEN ${r} = '' THEN recipient ELSE ${r} END, \
         recipient_kind = CASE WHEN ${k} = '' THEN recipient_kind ELSE ${k} END, \
         last_inbound_at = COALESCE(${at}, last_inbound_at), \
         unread = unread + CASE WHEN ${at} IS NULL THEN 0 ELSE 1 END, \
         status = CASE WHEN ${at} IS NOT NULL AND status = 'closed' THEN 'open' ELSE status END"
    )
}

pub(super) const CONV_COLUMNS: &str = "id, bot_id, channel, external_user, display_name, version, session, created_at, \
    updated_at, channel_id, recipient, recipient_kind, last_inbound_at, status, held, paused_until, assignee_id, \
    handoff_reason, handoff_at, unread, contact_id";

/// A transaction in one workspace, with the statements a conversation's
/// turn needs; every one of them filters on the workspace.
pub struct WorkspaceTx {
    tx: SqlTx,
    backend: Backend,
    ws: WorkspaceId,
}

impl Workspace<'_> {
    /// Starts a write transaction for a conversation's turn.
    pub async fn transaction(self) -> Result<WorkspaceTx> {
        Ok(WorkspaceTx {
            tx: self.begin().await?,
            backend: self.backend,
            ws: self.ws,
        })
    }
}

impl Workspace<'_> {
    /// A conversation of the workspace.
    pub async fn conversation(self, id: ConversationId) -> Result<Option<ConversationRow>> {
        self.by_id("conversations", CONV_COLUMNS, id).await
    }

    /// The transcript of a conversation after `cursor`, oldest first.
    pub async fn transcript(
        self,
        id: ConversationId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<MessageRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(
            "SELECT m.id, m.direction, m.event_id, m.body, m.preview, m.status, m.created_at, m.error, \
             CASE WHEN m.human = 1 THEN COALESCE(u.email, \
                CASE WHEN m.event_id IS NULL THEN 'API' ELSE 'Meta inbox' END) END AS author \
             FROM messages m LEFT JOIN users u ON u.id = m.author_id \
             WHERE m.workspace_id = $1 AND m.conversation_id = $2 AND m.id > $3 ORDER BY m.id LIMIT $4",
        )
        .bind(ws)
        .bind(id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.readers)
        .await?)
    }

    /// The orders a conversation placed, newest first.
    pub async fn conversation_orders(self, id: ConversationId) -> Result<Vec<OrderRow>> {
        let mut tx = self.transaction().await?;
        let rows = tx.orders_of(id).await?;
        tx.rollback().await?;
        Ok(rows)
    }
}

impl WorkspaceTx {
    /// The transaction's workspace.
    pub(super) fn workspace_id(&self) -> WorkspaceId {
        self.ws
    }

    /// The transaction's connection, for statements of sibling modules.
    pub(super) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Commits.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// The conversation of this shopper with this bot on this channel,
    /// created (pinned to `version`, with `session`) when new, and locked for
    /// the rest of the transaction so its events apply one at a time.
    pub async fn conversation_for_update(
        &mut self,
        bot: BotId,
        channel: Channel,
        external_user: &str,
        display_name: &str,
        version: i64,
        session: &str,
    ) -> Result<ConversationRow> {
        let shopper = (external_user, display_name, "");
        Ok(self
            .conversation_with_contact(bot, channel, shopper, version, session)
            .await?
            .0)
    }

    /// [`WorkspaceTx::conversation_for_update`], with the shopper's
    /// contact, read in the same statement. A new conversation (or one
    /// older than contacts) gets its contact, made when the shopper has
    /// none on this channel. `shopper` is (external user, profile name,
    /// phone); a name or phone that changed is stored, and so is
    /// `last_seen` when it is a minute old (see [`super::contacts`]).
    pub async fn conversation_with_contact(
        &mut self,
        bot: BotId,
        channel: Channel,
        (external_user, display_name, phone): (&str, &str, &str),
        version: i64,
        session: &str,
    ) -> Result<(
        ConversationRow,
        Option<(super::ContactId, app::flow::interpreter::Contact)>,
    )> {
        let ws = self.ws;
        let now = now_ms();
        // One statement: a new conversation, or the existing one (whose
        // row the no-op update locks on PostgreSQL, as FOR UPDATE would),
        // with its contact.
        let contact = |col: &str| {
            format!(
                "(SELECT k.{col} FROM contacts k WHERE k.id = conversations.contact_id) AS contact_{col}"
            )
        };
        let row: WithContact = sqlx::query_as(&format!(
            "INSERT INTO conversations (workspace_id, bot_id, channel, external_user, display_name, version, \
             session, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (bot_id, channel, external_user) DO UPDATE SET updated_at = conversations.updated_at \
             WHERE conversations.workspace_id = excluded.workspace_id \
             RETURNING {CONV_COLUMNS}, {}, {}, {}, {}, {}",
            contact("name"),
            contact("phone"),
            contact("tags"),
            contact("attributes"),
            contact("last_seen"),
        ))
        .bind(ws)
        .bind(bot)
        .bind(channel.as_str())
        .bind(external_user)
        .bind(display_name)
        .bind(version)
        .bind(session)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        let WithContact {
            mut conversation,
            contact_name,
            contact_phone,
            contact_tags,
            contact_attributes,
            contact_last_seen,
        } = row;
        let contact = match (conversation.contact_id, contact_name) {
            (Some(id), Some(name)) => {
                let stored_phone = contact_phone.unwrap_or_default();
                let renamed = (!display_name.is_empty() && display_name != name)
                    || (!phone.is_empty() && phone != stored_phone);
                let stale = contact_last_seen
                    .is_none_or(|at| now - at > super::contacts::LAST_SEEN_STEP_MS);
                if renamed || stale {
                    super::contacts::touch_contact(&mut self.tx, ws, id, display_name, phone)
                        .await?;
                }
                let pick =
                    |new: &str, old: String| if new.is_empty() { old } else { new.to_string() };
                Some((
                    id,
                    super::contacts::flow_contact(
                        channel,
                        pick(display_name, name),
                        pick(phone, stored_phone),
                        contact_tags.as_deref().unwrap_or("[]"),
                        contact_attributes.as_deref().unwrap_or("{}"),
                    ),
                ))
            }
            // New, or older than contacts: made (or found) and attached now.
            _ => {
                let (id, contact) = super::contacts::attach_contact(
                    &mut self.tx,
                    ws,
                    conversation.id,
                    channel,
                    external_user,
                    display_name,
                    phone,
                    conversation.created_at,
                )
                .await?;
                conversation.contact_id = Some(id);
                Some((id, contact))
            }
        };
        Ok((conversation, contact))
    }

    /// Stores the session after a step, with what the delivery that caused
    /// it says of the shopper (see [`WorkspaceTx::touch_conversation`]), in
    /// one write.
    pub async fn save_session(
        &mut self,
        id: ConversationId,
        session: &str,
        version: i64,
        touch: Option<&Touch<'_>>,
    ) -> Result<()> {
        let ws = self.ws;
        let none = Touch::default();
        let t = touch.unwrap_or(&none);
        sqlx::query(&format!(
            "UPDATE conversations SET session = $1, version = $2, updated_at = $3, {} \
             WHERE workspace_id = $8 AND id = $9",
            touch_sql(4)
        ))
        .bind(session)
        .bind(version)
        .bind(now_ms())
        .bind(t.channel)
        .bind(t.recipient)
        .bind(t.recipient_kind)
        .bind(t.inbound_at)
        .bind(ws)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records an inbound event; `false` when this event id was already
    /// recorded for the conversation (a retried delivery).
    pub async fn record_inbound(
        &mut self,
        conv: ConversationId,
        event_id: &str,
        body: &str,
        preview: &str,
    ) -> Result<bool> {
        let ws = self.ws;
        let done = sqlx::query(
            "INSERT INTO messages (workspace_id, conversation_id, direction, event_id, body, preview, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (conversation_id, direction, event_id) DO NOTHING",
        )
        .bind(ws)
        .bind(conv)
        .bind(Direction::In.as_str())
        .bind(event_id)
        .bind(body)
        .bind(preview)
        .bind(MessageStatus::Done.as_str())
        .bind(now_ms())
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Tells every instance, when this transaction commits, that the
    /// conversation of `user` (its external user) changed (PostgreSQL; a
    /// no-op on SQLite).
    pub async fn announce(&mut self, conv: ConversationId, user: &str) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(super::CONVERSATIONS_CHANNEL)
                .bind(format!("{} {user}", conv.0))
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Appends an outbound message with a delivery status.
    pub async fn record_outbound(
        &mut self,
        conv: ConversationId,
        body: &str,
        preview: &str,
        status: MessageStatus,
    ) -> Result<i64> {
        let ws = self.ws;
        Ok(sqlx::query_scalar(
            "INSERT INTO messages (workspace_id, conversation_id, direction, body, preview, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(ws)
        .bind(conv)
        .bind(Direction::Out.as_str())
        .bind(body)
        .bind(preview)
        .bind(status.as_str())
        .bind(now_ms())
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Appends outbound messages (body and preview each), in order, with
    /// one statement per 64; answers their ids in the same order.
    pub async fn record_outbound_many(
        &mut self,
        conv: ConversationId,
        status: MessageStatus,
        messages: &[(String, String)],
    ) -> Result<Vec<i64>> {
        use std::fmt::Write as _;
        let ws = self.ws;
        let now = now_ms();
        let mut ids = Vec::with_capacity(messages.len());
        for chunk in messages.chunks(64) {
            let mut sql = String::from(
                "INSERT INTO messages (workspace_id, conversation_id, direction, body, preview, status, created_at) VALUES ",
            );
            for i in 0..chunk.len() {
                let at = 5 + 2 * i;
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(sql, "{sep}($1, $2, 'out', ${at}, ${}, $3, $4)", at + 1);
            }
            sql.push_str(" RETURNING id");
            let mut q = sqlx::query_scalar::<_, i64>(&sql)
                .bind(ws)
                .bind(conv)
                .bind(status.as_str())
                .bind(now);
            for (body, preview) in chunk {
                q = q.bind(body).bind(preview);
            }
            let mut chunk_ids = q.fetch_all(&mut *self.tx).await?;
            // Ids grow in the order the rows were written.
            chunk_ids.sort_unstable();
            ids.extend(chunk_ids);
        }
        Ok(ids)
    }

    /// Stores an order once per key (see [`place_order`]).
    pub async fn place_order(
        &mut self,
        bot: BotId,
        conv: ConversationId,
        order: &NewOrder,
        page_token: &str,
    ) -> Result<(OrderRow, bool)> {
        let ws = self.ws;
        place_order(&mut self.tx, ws, bot, conv, order, page_token).await
    }

    /// The orders a conversation placed, newest first.
    pub async fn orders_of(&mut self, conv: ConversationId) -> Result<Vec<OrderRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(
            "SELECT id, number, idem_key, bot_id, conversation_id, status, payment, total_minor, currency, \
             lines, details, page_token, created_at, updated_at FROM orders \
             WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY id DESC LIMIT 20",
        )
        .bind(ws)
        .bind(conv)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Queues a call to a merchant's API; a repeated request id is ignored.
    pub async fn queue_http_call(
        &mut self,
        conv: ConversationId,
        request_id: &str,
        method: &str,
        url: &str,
        body: Option<&str>,
    ) -> Result<()> {
        let ws = self.ws;
        sqlx::query(
            "INSERT INTO http_calls (workspace_id, conversation_id, request_id, method, url, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(ws)
        .bind(conv)
        .bind(request_id)
        .bind(method)
        .bind(url)
        .bind(body)
        .bind(now_ms())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Updates how to reach the shopper and when they last wrote.
    pub async fn touch_conversation(&mut self, id: ConversationId, t: &Touch<'_>) -> Result<()> {
        sqlx::query(&format!(
            "UPDATE conversations SET {} WHERE workspace_id = $5 AND id = $6",
            touch_sql(1)
        ))
        .bind(t.channel)
        .bind(t.recipient)
        .bind(t.recipient_kind)
        .bind(t.inbound_at)
        .bind(self.ws)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks an inbox row applied, in this transaction; `false` when it was
    /// not pending any more (another worker applied it).
    pub async fn finish_inbox(&mut self, id: i64, status: InboxStatus) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE inbox SET status = $1, processed_at = $2 WHERE id = $3 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The published flow at `number`.
    pub async fn version_document(&mut self, bot: BotId, number: i64) -> Result<Option<String>> {
        let ws = self.ws;
        Ok(sqlx::query_scalar(
            "SELECT document FROM bot_versions WHERE workspace_id = $1 AND bot_id = $2 AND number = $3",
        )
        .bind(ws)
        .bind(bot)
        .bind(number)
        .fetch_optional(&mut *self.tx)
        .await?)
    }
}

/// A queued call to a merchant's API, with what is needed to feed its
/// answer back into the conversation.
#[derive(Debug, Clone, FromRow)]
pub struct HttpCallRow {
    /// Id.
    pub id: i64,
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The conversation waiting for it.
    pub conversation_id: ConversationId,
    /// The interpreter's request id.
    pub request_id: String,
    /// GET or POST.
    pub method: String,
    /// Address.
    pub url: String,
    /// JSON body.
    pub body: Option<String>,
    /// The conversation's bot.
    pub bot_id: BotId,
    /// Its channel.
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    /// The shopper.
    pub external_user: String,
}

impl Queue<'_> {
    /// Takes up to `limit` pending calls, marking them running, claimed by
    /// `instance`, so another worker does not take them too.
    pub async fn claim_http_calls(self, instance: &str, limit: i64) -> Result<Vec<HttpCallRow>> {
        let mut tx = self.begin().await?;
        let skip = if self.backend == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM http_calls WHERE status = 'pending' ORDER BY id LIMIT $1{skip}"
        ))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut rows = Vec::new();
        for id in ids {
            sqlx::query(
                "UPDATE http_calls SET status = $1, claimed_by = $2, claimed_at = $3 WHERE id = $4",
            )
            .bind(HttpCallStatus::Running.as_str())
            .bind(instance)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let row: HttpCallRow = sqlx::query_as(
                "SELECT h.id, h.workspace_id, h.conversation_id, h.request_id, h.method, h.url, h.body, \
                 c.bot_id, c.channel, c.external_user \
                 FROM http_calls h JOIN conversations c ON c.id = h.conversation_id WHERE h.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            rows.push(row);
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Puts a running call back in line.
    pub async fn requeue_http_call(self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE http_calls SET status = $1, claimed_by = NULL, claimed_at = NULL WHERE id = $2",
        )
        .bind(HttpCallStatus::Pending.as_str())
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Marks a call finished.
    pub async fn finish_http_call(self, id: i64) -> Result<()> {
        sqlx::query("UPDATE http_calls SET status = $1 WHERE id = $2")
            .bind(HttpCallStatus::Done.as_str())
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}

/// A conversation with its latest message, for lists.
#[derive(Debug, Clone, FromRow)]
pub struct ConversationListRow {
    /// The conversation.
    #[sqlx(flatten)]
    pub conversation: ConversationRow,
    /// The latest message's text.
    pub last_message: Option<String>,
}

impl Workspace<'_> {
    /// The workspace's conversations, most recently active first.
    pub async fn conversations(self, limit: i64) -> Result<Vec<(ConversationRow, Option<String>)>> {
        let ws = self.ws;
        let rows: Vec<ConversationListRow> = sqlx::query_as(&format!(
            "SELECT {CONV_COLUMNS}, (SELECT m.preview FROM messages m WHERE m.conversation_id = conversations.id \
             ORDER BY m.id DESC LIMIT 1) AS last_message \
             FROM conversations WHERE workspace_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2"
        ))
        .bind(ws)
        .bind(limit)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.conversation, r.last_message))
            .collect())
    }

    /// The conversation of a shopper with a bot on a channel, if any.
    pub async fn conversation_by_user(
        self,
        bot: BotId,
        channel: Channel,
        external_user: &str,
    ) -> Result<Option<ConversationRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(&format!(
            "SELECT {CONV_COLUMNS} FROM conversations \
             WHERE workspace_id = $1 AND bot_id = $2 AND channel = $3 AND external_user = $4"
        ))
        .bind(ws)
        .bind(bot)
        .bind(channel.as_str())
        .bind(external_user)
        .fetch_optional(&self.readers)
        .await?)
    }
}

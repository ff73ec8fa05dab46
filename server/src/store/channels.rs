//! Channels, web-chat visitors, the inbox of webhook events, delivery
//! receipts and the outbox the senders work through.

use app::channel::Channel;
use sqlx::FromRow;

use super::{
    Backend, BotId, ConversationId, Result, Store, WorkspaceId, conflict_on_unique, now_ms,
};

/// A channel id.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    sqlx::Type,
    serde::Serialize,
    serde::Deserialize,
)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct ChannelId(pub i64);

impl std::fmt::Display for ChannelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A connected channel.
#[derive(Debug, Clone, FromRow)]
pub struct ChannelRow {
    /// Id.
    pub id: ChannelId,
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The bot it talks with.
    pub bot_id: BotId,
    /// `messenger`, `whatsapp` or `web`.
    #[sqlx(try_from = "String")]
    pub kind: Channel,
    /// Page id, phone_number_id or widget key.
    pub external_id: String,
    /// A name for people.
    pub name: String,
    /// The sealed access token (Meta channels).
    pub token_ciphertext: Option<String>,
    /// JSON settings (allowed origins, WABA id, catalog id).
    pub settings: String,
    /// `ok`, or why sending stopped.
    pub health: String,
    /// Connected at.
    pub created_at: i64,
}

const CHANNEL_COLUMNS: &str = "id, workspace_id, bot_id, kind, external_id, name, token_ciphertext, settings, health, created_at";

/// A new inbound event for the inbox.
#[derive(Debug, Clone)]
pub struct NewInbound {
    /// `messenger`, `whatsapp` or `web`.
    pub channel: &'static str,
    /// The platform's id of the event: the deduplication key.
    pub external_id: String,
    /// The channel it arrived on.
    pub channel_id: ChannelId,
    /// Its tenant.
    pub workspace_id: WorkspaceId,
    /// The shopper's stable key.
    pub user_key: String,
    /// Where replies go.
    pub recipient: String,
    /// How to address `recipient`.
    pub recipient_kind: String,
    /// The shopper's name.
    pub display_name: String,
    /// The platform's timestamp, in milliseconds.
    pub platform_ts: i64,
    /// The interpreter input, as JSON.
    pub input: String,
}

/// A delivery or read receipt (or a failure) for one sent message.
#[derive(Debug, Clone)]
pub struct NewReceipt {
    /// `messenger` or `whatsapp`.
    pub channel: &'static str,
    /// The platform's id of the message it is about.
    pub message_id: String,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: &'static str,
    /// Why, for a failure.
    pub error: Option<String>,
    /// The platform's timestamp, in milliseconds.
    pub platform_ts: i64,
}

/// A Messenger watermark: everything sent to a shopper on a channel up to a
/// time was delivered (or read).
#[derive(Debug, Clone)]
pub struct NewWatermark {
    /// The channel.
    pub channel_id: ChannelId,
    /// The shopper's page-scoped id.
    pub psid: String,
    /// `delivered` or `read`.
    pub status: &'static str,
    /// Up to when, in milliseconds.
    pub watermark_ms: i64,
}

/// An inbox row waiting to be applied.
#[derive(Debug, Clone, FromRow)]
pub struct InboxRow {
    /// Id.
    pub id: i64,
    /// `messenger`, `whatsapp` or `web`.
    pub channel: String,
    /// The platform's id.
    pub external_id: String,
    /// The channel.
    pub channel_id: ChannelId,
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The shopper's key.
    pub user_key: String,
    /// Where replies go.
    pub recipient: String,
    /// How to address it.
    pub recipient_kind: String,
    /// The shopper's name.
    pub display_name: String,
    /// Platform time, milliseconds.
    pub platform_ts: i64,
    /// The input, as JSON.
    pub input: String,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// An outbound message ready to send, with what sending needs.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxRow {
    /// The message (transcript) id.
    pub id: i64,
    /// The tenant.
    pub workspace_id: WorkspaceId,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The Outbound message, as JSON.
    pub body: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Parts already delivered to the platform (a message may take several
    /// calls; a retry resumes after them).
    pub parts_sent: i64,
    /// Queued at.
    pub created_at: i64,
    /// The channel.
    pub channel_id: ChannelId,
    /// Its kind.
    #[sqlx(try_from = "String")]
    pub kind: Channel,
    /// Page id or phone_number_id.
    pub account: String,
    /// The sealed token.
    pub token_ciphertext: Option<String>,
    /// Where to send.
    pub recipient: String,
    /// How to address it.
    pub recipient_kind: String,
    /// When the shopper last wrote (the 24-hour window).
    pub last_inbound_at: Option<i64>,
}

/// SQL ranking of delivery statuses, so a status never moves backwards.
const RANK: &str = "CASE status WHEN 'pending' THEN 0 WHEN 'sending' THEN 1 WHEN 'sent' THEN 2 \
                    WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 WHEN 'failed' THEN 5 WHEN 'skipped' THEN 5 ELSE 0 END";

/// How long a claim on work lasts unless its instance renews it.
pub const CLAIM_LEASE_MS: i64 = 30_000;

/// The outbound messages a sender may take: pending, on a channel that
/// works, and first in line in their conversation.
const SENDABLE: &str = "m.direction = 'out' AND m.status = 'pending' AND ch.health = 'ok' \
     AND NOT EXISTS (SELECT 1 FROM messages p WHERE p.conversation_id = m.conversation_id \
         AND p.direction = 'out' AND p.status IN ('pending', 'sending') AND p.id < m.id)";

fn rank(status: &str) -> i64 {
    match status {
        "pending" => 0,
        "sending" => 1,
        "sent" => 2,
        "delivered" => 3,
        "read" => 4,
        _ => 5,
    }
}

/// Applies a receipt to the message it names, if that message has been sent
/// whole. One still being sent (or waiting to retry its next part) keeps its
/// receipts in `receipts` until `outbox_sent`, or it would never finish
/// sending. Statuses never move backwards.
async fn apply_receipt(
    tx: &mut super::Tx,
    message_id: &str,
    status: &str,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE messages SET status = $1, error = COALESCE($2, error) \
         WHERE external_id = $3 AND direction = 'out' AND ({RANK}) BETWEEN 2 AND 4 AND ({RANK}) < $4"
    ))
    .bind(status)
    .bind(error)
    .bind(message_id)
    .bind(rank(status))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Connects a channel; `Conflict("channel")` when that page, number or
    /// key is already connected (in any workspace).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_channel(
        &self,
        ws: WorkspaceId,
        bot: BotId,
        kind: Channel,
        external_id: &str,
        name: &str,
        token_ciphertext: Option<&str>,
        settings: &str,
    ) -> Result<ChannelRow> {
        sqlx::query_as(&format!(
            "INSERT INTO channels (workspace_id, bot_id, kind, external_id, name, token_ciphertext, settings, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {CHANNEL_COLUMNS}"
        ))
        .bind(ws)
        .bind(bot)
        .bind(kind.as_str())
        .bind(external_id)
        .bind(name)
        .bind(token_ciphertext)
        .bind(settings)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| conflict_on_unique(e, "channel"))
    }

    /// The workspace's channels.
    pub async fn channels(&self, ws: WorkspaceId) -> Result<Vec<ChannelRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE workspace_id = $1 ORDER BY id"
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One channel of the workspace.
    pub async fn channel(&self, ws: WorkspaceId, id: ChannelId) -> Result<Option<ChannelRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Disconnects a channel. Its conversations stay; messages still
    /// waiting to go out on it are closed as failed, with the reason, in the
    /// same transaction.
    pub async fn delete_channel(&self, ws: WorkspaceId, id: ChannelId) -> Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE messages SET status = 'failed', error = $1 \
             WHERE direction = 'out' AND status = 'pending' AND workspace_id = $2 \
             AND conversation_id IN (SELECT id FROM conversations WHERE channel_id = $3 AND workspace_id = $2)",
        )
        .bind("Not sent: the channel was disconnected.")
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM channels WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            tx.commit().await?;
            Ok(true)
        } else {
            tx.rollback().await?;
            Ok(false)
        }
    }

    /// Changes a channel's name, its sealed access token (which makes a
    /// stopped channel work again) or its settings; `None` keeps a value.
    pub async fn update_channel(
        &self,
        ws: WorkspaceId,
        id: ChannelId,
        name: Option<&str>,
        token_ciphertext: Option<&str>,
        settings: Option<&str>,
    ) -> Result<Option<ChannelRow>> {
        Ok(sqlx::query_as(&format!(
            "UPDATE channels SET name = COALESCE($1, name), token_ciphertext = COALESCE($2, token_ciphertext), \
             health = CASE WHEN $2 IS NULL THEN health ELSE 'ok' END, settings = COALESCE($3, settings) \
             WHERE workspace_id = $4 AND id = $5 RETURNING {CHANNEL_COLUMNS}"
        ))
        .bind(name)
        .bind(token_ciphertext)
        .bind(settings)
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The channel a webhook or widget belongs to. This lookup finds the
    /// tenant, so it is not scoped by one.
    pub async fn channel_by_external(
        &self,
        kind: Channel,
        external_id: &str,
    ) -> Result<Option<ChannelRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE kind = $1 AND external_id = $2"
        ))
        .bind(kind.as_str())
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A channel by id, for workers (which act across tenants).
    pub async fn channel_by_id(&self, id: ChannelId) -> Result<Option<ChannelRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records why a channel stopped working (or `ok` again).
    pub async fn set_channel_health(&self, id: ChannelId, health: &str) -> Result<()> {
        sqlx::query("UPDATE channels SET health = $1 WHERE id = $2")
            .bind(health)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A new web-chat visitor.
    pub async fn create_visitor(&self, channel: ChannelId, token_hash: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO web_visitors (channel_id, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(channel)
        .bind(token_hash)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?)
    }

    /// The visitor holding this token on this widget.
    pub async fn visitor(&self, channel: ChannelId, token_hash: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM web_visitors WHERE channel_id = $1 AND token_hash = $2",
        )
        .bind(channel)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores a batch of inbound events in one transaction; events already
    /// in the inbox are skipped. Returns how many were new.
    pub async fn insert_inbound(&self, events: &[NewInbound]) -> Result<usize> {
        self.ingest(events, &[], &[]).await
    }

    /// Stores everything one webhook delivered in one transaction: the new
    /// inbound events (those already in the inbox are skipped), delivery
    /// receipts and Messenger watermarks. Returns how many events were new.
    pub async fn ingest(
        &self,
        events: &[NewInbound],
        receipts: &[NewReceipt],
        watermarks: &[NewWatermark],
    ) -> Result<usize> {
        if events.is_empty() && receipts.is_empty() && watermarks.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let now = now_ms();
        let mut new = 0;
        for e in events {
            let done = sqlx::query(
                "INSERT INTO inbox (channel, external_id, channel_id, workspace_id, user_key, recipient, recipient_kind, \
                 display_name, platform_ts, input, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (channel, external_id) DO NOTHING",
            )
            .bind(e.channel)
            .bind(&e.external_id)
            .bind(e.channel_id)
            .bind(e.workspace_id)
            .bind(&e.user_key)
            .bind(&e.recipient)
            .bind(&e.recipient_kind)
            .bind(&e.display_name)
            .bind(e.platform_ts)
            .bind(&e.input)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            new += done.rows_affected() as usize;
        }
        for r in receipts {
            sqlx::query(
                "INSERT INTO receipts (channel, message_id, status, error, platform_ts) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (channel, message_id, status) DO NOTHING",
            )
            .bind(r.channel)
            .bind(&r.message_id)
            .bind(r.status)
            .bind(r.error.as_deref())
            .bind(r.platform_ts)
            .execute(&mut *tx)
            .await?;
            apply_receipt(&mut tx, &r.message_id, r.status, r.error.as_deref()).await?;
        }
        for w in watermarks {
            sqlx::query(&format!(
                "UPDATE messages SET status = $1 WHERE direction = 'out' AND sent_at IS NOT NULL AND sent_at <= $2 \
                 AND ({RANK}) BETWEEN 2 AND 4 AND ({RANK}) < $3 \
                 AND conversation_id IN (SELECT id FROM conversations WHERE channel_id = $4 AND recipient = $5)"
            ))
            .bind(w.status)
            .bind(w.watermark_ms)
            .bind(rank(w.status))
            .bind(w.channel_id)
            .bind(&w.psid)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Shoppers with events waiting, oldest first.
    pub async fn pending_inbox_groups(&self, limit: i64) -> Result<Vec<(ChannelId, String)>> {
        Ok(sqlx::query_as(
            "SELECT channel_id, user_key FROM inbox WHERE status = 'pending' \
             GROUP BY channel_id, user_key ORDER BY MIN(id) LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One shopper's waiting events, in platform-timestamp order.
    pub async fn pending_inbox(
        &self,
        channel: ChannelId,
        user_key: &str,
        limit: i64,
    ) -> Result<Vec<InboxRow>> {
        Ok(sqlx::query_as(
            "SELECT id, channel, external_id, channel_id, workspace_id, user_key, recipient, recipient_kind, \
             display_name, platform_ts, input, attempts FROM inbox \
             WHERE status = 'pending' AND channel_id = $1 AND user_key = $2 ORDER BY platform_ts, id LIMIT $3",
        )
        .bind(channel)
        .bind(user_key)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Closes an inbox row without applying it (`skipped`: too old;
    /// `failed`: could not be applied).
    pub async fn close_inbox(&self, id: i64, status: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE inbox SET status = $1, error = $2, processed_at = $3 WHERE id = $4 AND status = 'pending'",
        )
        .bind(status)
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets inbox rows handled before `before` (milliseconds) and
    /// receipts older than that. Meta stops retrying after 7 days, and an
    /// event delivered again after its row is gone is still applied once:
    /// the transcript keeps its id.
    pub async fn prune_inbox(&self, before: i64) -> Result<u64> {
        let inbox = sqlx::query(
            "DELETE FROM inbox WHERE status <> 'pending' AND COALESCE(processed_at, received_at) < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        let receipts = sqlx::query("DELETE FROM receipts WHERE platform_ts < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(inbox.rows_affected() + receipts.rows_affected())
    }

    /// Counts a failed attempt at an inbox row.
    pub async fn inbox_attempt_failed(&self, id: i64, error: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "UPDATE inbox SET attempts = attempts + 1, error = $1 WHERE id = $2 RETURNING attempts",
        )
        .bind(error)
        .bind(id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Takes the next message of up to `limit` conversations whose turn it
    /// is: pending, due, on a working channel, and with nothing earlier
    /// still unsent in the same conversation (sends stay in order). Marks
    /// them `sending`, claimed by `instance`.
    pub async fn claim_outbox(&self, instance: &str, limit: i64) -> Result<Vec<OutboxRow>> {
        let mut tx = self.begin().await?;
        let skip = if self.backend == Backend::Postgres {
            " FOR UPDATE OF m SKIP LOCKED"
        } else {
            ""
        };
        let now = now_ms();
        let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
            "SELECT m.id, m.workspace_id, m.conversation_id, m.body, m.attempts, m.parts_sent, m.created_at, \
             ch.id AS channel_id, ch.kind, ch.external_id AS account, ch.token_ciphertext, \
             c.recipient, c.recipient_kind, c.last_inbound_at \
             FROM messages m \
             JOIN conversations c ON c.id = m.conversation_id \
             JOIN channels ch ON ch.id = c.channel_id \
             WHERE {SENDABLE} AND m.next_attempt_at <= $1 \
             ORDER BY m.id LIMIT $2{skip}"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            sqlx::query(
                "UPDATE messages SET status = 'sending', claimed_by = $1, claimed_at = $2 WHERE id = $3",
            )
            .bind(instance)
            .bind(now)
            .bind(r.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// The earliest time a message [`Store::claim_outbox`] would take
    /// becomes due, if any: messages waiting behind an earlier one, or on a
    /// stopped channel, do not count.
    pub async fn next_outbox_due(&self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT MIN(m.next_attempt_at) FROM messages m \
             JOIN conversations c ON c.id = m.conversation_id \
             JOIN channels ch ON ch.id = c.channel_id \
             WHERE {SENDABLE}"
        ))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Records that `parts` parts of a message reached the platform; the last
    /// part's platform id is kept for receipts.
    pub async fn outbox_progress(&self, id: i64, parts: i64, external_id: &str) -> Result<()> {
        sqlx::query("UPDATE messages SET parts_sent = $1, external_id = $2 WHERE id = $3")
            .bind(parts)
            .bind(external_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A message fully sent; receipts that arrived first are applied.
    pub async fn outbox_sent(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = 'sent', sent_at = $1, error = NULL, claimed_by = NULL, claimed_at = NULL \
             WHERE id = $2 AND status = 'sending'",
        )
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        let early: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT r.message_id, r.status, r.error FROM receipts r JOIN messages m ON m.external_id = r.message_id \
             WHERE m.id = $1",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        if !early.is_empty() {
            let mut tx = self.begin().await?;
            for (message_id, status, error) in early {
                apply_receipt(&mut tx, &message_id, &status, error.as_deref()).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// A message that will not be sent (`failed`, or `skipped` outside the
    /// messaging window), with the reason.
    pub async fn outbox_closed(&self, id: i64, status: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = $1, error = $2, claimed_by = NULL, claimed_at = NULL WHERE id = $3",
        )
        .bind(status)
        .bind(error)
        .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Puts a message back in line to retry at `at`.
    pub async fn outbox_retry(&self, id: i64, attempts: i64, at: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = 'pending', attempts = $1, next_attempt_at = $2, error = $3, \
             claimed_by = NULL, claimed_at = NULL WHERE id = $4",
        )
            .bind(attempts)
            .bind(at)
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Says that `instance` is alive: its claims on messages being sent
    /// and HTTP steps being performed are renewed.
    pub async fn renew_claims(&self, instance: &str) -> Result<()> {
        let now = now_ms();
        for table in ["messages", "http_calls"] {
            sqlx::query(&format!(
                "UPDATE {table} SET claimed_at = $1 WHERE claimed_by = $2 AND status IN ('sending', 'running')"
            ))
            .bind(now)
            .bind(instance)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Puts back in line the messages being sent and the HTTP steps being
    /// performed by instances other than `instance` that stopped renewing
    /// their claims for [`CLAIM_LEASE_MS`]; with `all_others`, every other
    /// instance's claims (SQLite: only one process serves a database, so
    /// they belong to a process that stopped). Returns how many came back.
    ///
    /// A message whose send reached the platform just before its instance
    /// died may be sent again: the platforms take no idempotency key. An
    /// HTTP step may be called again; its answer is applied once.
    pub async fn release_stale_claims(&self, instance: &str, all_others: bool) -> Result<u64> {
        let before = if all_others {
            i64::MAX
        } else {
            now_ms() - CLAIM_LEASE_MS
        };
        let mut released = 0;
        for (table, busy) in [("messages", "sending"), ("http_calls", "running")] {
            let done = sqlx::query(&format!(
                "UPDATE {table} SET status = 'pending', claimed_by = NULL, claimed_at = NULL \
                 WHERE status = '{busy}' AND (claimed_by IS NULL OR claimed_by <> $1) \
                 AND COALESCE(claimed_at, 0) < $2"
            ))
            .bind(instance)
            .bind(before)
            .execute(&self.pool)
            .await?;
            released += done.rows_affected();
        }
        Ok(released)
    }
}

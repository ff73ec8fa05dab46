//! The outbox: outbound messages waiting for the sender, claimed by one
//! instance at a time and given back when that instance stops.

use app::channel::Channel;
use sqlx::FromRow;

use super::Queue;
use super::{
    Backend, ChannelId, ConversationId, HttpCallStatus, MessageStatus, Result, WorkspaceId, now_ms,
};

use super::inbox::apply_receipt;

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
    /// 1 when a person typed it: it may use Messenger's `HUMAN_AGENT`
    /// window.
    pub human: i64,
}

/// A receipt that arrived before its message was sent whole.
#[derive(Debug, FromRow)]
struct EarlyReceipt {
    message_id: String,
    #[sqlx(try_from = "String")]
    status: MessageStatus,
    error: Option<String>,
}

/// How long a claim on work lasts unless its instance renews it.
pub const CLAIM_LEASE_MS: i64 = 30_000;

/// The outbound messages a sender may take: pending, on a channel that
/// works, and first in line in their conversation.
const SENDABLE: &str = "m.direction = 'out' AND m.status = 'pending' AND ch.health = 'ok' \
     AND NOT EXISTS (SELECT 1 FROM messages p WHERE p.conversation_id = m.conversation_id \
         AND p.direction = 'out' AND p.status IN ('pending', 'sending') AND p.id < m.id)";

impl Queue<'_> {
    /// Takes the next message of up to `limit` conversations whose turn it
    /// is: pending, due, on a working channel, and with nothing earlier
    /// still unsent in the same conversation (sends stay in order). Marks
    /// them `sending`, claimed by `instance`.
    pub async fn claim_outbox(self, instance: &str, limit: i64) -> Result<Vec<OutboxRow>> {
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
             c.recipient, c.recipient_kind, c.last_inbound_at, m.human \
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
        if !rows.is_empty() {
            // One statement for the claim; the ids are numbers, written in,
            // so the statement is not kept in the connection's cache.
            let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
            sqlx::query(&format!(
                "UPDATE messages SET status = $1, claimed_by = $2, claimed_at = $3 WHERE id IN ({})",
                ids.join(", ")
            ))
            .persistent(false)
            .bind(MessageStatus::Sending.as_str())
            .bind(instance)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// The earliest time a message [`Store::claim_outbox`] would take
    /// becomes due, if any: messages waiting behind an earlier one, or on a
    /// stopped channel, do not count.
    pub async fn next_outbox_due(self) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT MIN(m.next_attempt_at) FROM messages m \
             JOIN conversations c ON c.id = m.conversation_id \
             JOIN channels ch ON ch.id = c.channel_id \
             WHERE {SENDABLE}"
        ))
        .fetch_one(&self.readers)
        .await?)
    }

    /// Records that `parts` parts of a message reached the platform; the last
    /// part's platform id is kept for receipts.
    pub async fn outbox_progress(self, id: i64, parts: i64, external_id: &str) -> Result<()> {
        sqlx::query("UPDATE messages SET parts_sent = $1, external_id = $2 WHERE id = $3")
            .bind(parts)
            .bind(external_id)
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// A message fully sent; receipts that arrived first are applied.
    pub async fn outbox_sent(self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = $1, sent_at = $2, error = NULL, claimed_by = NULL, claimed_at = NULL \
             WHERE id = $3 AND status = 'sending'",
        )
        .bind(MessageStatus::Sent.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        self.apply_early_receipts(id).await
    }

    /// [`Queue::outbox_progress`] of the last part and [`Queue::outbox_sent`]
    /// in one write: the message's `parts` reached the platform, the last
    /// as `external_id`.
    pub async fn outbox_delivered(self, id: i64, parts: i64, external_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET parts_sent = $1, external_id = $2, \
             status = CASE WHEN status = 'sending' THEN $3 ELSE status END, \
             sent_at = CASE WHEN status = 'sending' THEN $4 ELSE sent_at END, \
             error = CASE WHEN status = 'sending' THEN NULL ELSE error END, \
             claimed_by = CASE WHEN status = 'sending' THEN NULL ELSE claimed_by END, \
             claimed_at = CASE WHEN status = 'sending' THEN NULL ELSE claimed_at END WHERE id = $5",
        )
        .bind(parts)
        .bind(external_id)
        .bind(MessageStatus::Sent.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        self.apply_early_receipts(id).await
    }

    /// Applies the receipts that arrived before message `id` was sent whole.
    async fn apply_early_receipts(self, id: i64) -> Result<()> {
        let early: Vec<EarlyReceipt> = sqlx::query_as(
            "SELECT r.message_id, r.status, r.error FROM receipts r JOIN messages m ON m.external_id = r.message_id \
             WHERE m.id = $1",
        )
        .bind(id)
        .fetch_all(&self.readers)
        .await?;
        if !early.is_empty() {
            let mut tx = self.begin().await?;
            for r in early {
                apply_receipt(&mut tx, &r.message_id, r.status, r.error.as_deref()).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// A message that will not be sent (`Failed`, or `Skipped` outside the
    /// messaging window), with the reason.
    pub async fn outbox_closed(self, id: i64, status: MessageStatus, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = $1, error = $2, claimed_by = NULL, claimed_at = NULL WHERE id = $3",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Puts a message back in line to retry at `at`.
    pub async fn outbox_retry(self, id: i64, attempts: i64, at: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = $1, attempts = $2, next_attempt_at = $3, error = $4, \
             claimed_by = NULL, claimed_at = NULL WHERE id = $5",
        )
        .bind(MessageStatus::Pending.as_str())
        .bind(attempts)
        .bind(at)
        .bind(error)
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Puts a message back in line after an ambiguous failure of `part`
    /// (Meta may have taken it), to retry at `at` unless the platform's echo
    /// or status proves the part arrived first. When that proof came while
    /// the call was still in flight (the message has moved past `part`), it
    /// goes on at once.
    pub async fn outbox_unconfirmed(
        self,
        id: i64,
        attempts: i64,
        part: i64,
        at: i64,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = $1, attempts = $2, error = $3, claimed_by = NULL, claimed_at = NULL, \
             next_attempt_at = CASE WHEN parts_sent > $4 THEN $5 ELSE $6 END WHERE id = $7",
        )
        .bind(MessageStatus::Pending.as_str())
        .bind(attempts)
        .bind(error)
        .bind(part)
        .bind(now_ms())
        .bind(at)
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Says that `instance` is alive: its claims on messages being sent
    /// and HTTP steps being performed are renewed.
    pub async fn renew_claims(self, instance: &str) -> Result<()> {
        let now = now_ms();
        for table in ["messages", "http_calls"] {
            sqlx::query(&format!(
                "UPDATE {table} SET claimed_at = $1 WHERE claimed_by = $2 AND status IN ('sending', 'running')"
            ))
            .bind(now)
            .bind(instance)
            .execute(&mut *self.write().await?)
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
    /// died may be sent again: the platforms take no idempotency key. So a
    /// message comes back due only `resend_after_ms` later, time for the
    /// echo or status that proves its part arrived (which moves it on
    /// without a second send). An HTTP step may be called again; its answer
    /// is applied once.
    pub async fn release_stale_claims(
        self,
        instance: &str,
        all_others: bool,
        resend_after_ms: i64,
    ) -> Result<u64> {
        let before = if all_others {
            i64::MAX
        } else {
            now_ms() - CLAIM_LEASE_MS
        };
        let mut released = 0;
        let claims = [
            (
                "messages",
                MessageStatus::Sending.as_str(),
                MessageStatus::Pending.as_str(),
                ", next_attempt_at = $4",
            ),
            (
                "http_calls",
                HttpCallStatus::Running.as_str(),
                HttpCallStatus::Pending.as_str(),
                "",
            ),
        ];
        let resend_at = now_ms().saturating_add(resend_after_ms.max(0));
        for (table, busy, waiting, due) in claims {
            let sql = format!(
                "UPDATE {table} SET status = $3, claimed_by = NULL, claimed_at = NULL{due} \
                 WHERE status = '{busy}' AND (claimed_by IS NULL OR claimed_by <> $1) \
                 AND COALESCE(claimed_at, 0) < $2"
            );
            let mut q = sqlx::query(&sql).bind(instance).bind(before).bind(waiting);
            if !due.is_empty() {
                q = q.bind(resend_at);
            }
            released += q.execute(&mut *self.write().await?).await?.rows_affected();
        }
        Ok(released)
    }
}

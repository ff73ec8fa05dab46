//! The inbox: webhook and web-chat events stored durably and deduplicated
//! on the platform's id before they are acknowledged, delivery receipts and
//! read watermarks, and the pending events the pipeline applies in order.

use app::channel::Channel;
use std::sync::LazyLock;

use sqlx::{Connection, Executor, FromRow};

use super::{Backend, Queue};
use super::{ChannelId, InboxStatus, MessageStatus, Result, WorkspaceId, now_ms};

/// A new inbound event for the inbox.
#[derive(Debug, Clone, FromRow)]
pub struct NewInbound {
    /// `messenger`, `whatsapp` or `web`.
    #[sqlx(try_from = "String")]
    pub channel: Channel,
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
    pub channel: Channel,
    /// The platform's id of the message it is about.
    pub message_id: String,
    /// `Sent`, `Delivered`, `Read` or `Failed`.
    pub status: MessageStatus,
    /// Why, for a failure.
    pub error: Option<String>,
    /// The platform's timestamp, in milliseconds.
    pub platform_ts: i64,
    /// The part of a message Botme sent that this receipt proves accepted,
    /// read from the tag the platform handed back.
    pub sent_part: Option<SentPart>,
}

/// One call's worth of an outbound message that the platform accepted, as
/// its echo or status says (the tag named it).
#[derive(Debug, Clone, Copy)]
pub struct SentPart {
    /// The channel the echo or status came on: a tag counts only for
    /// messages of that channel.
    pub channel_id: ChannelId,
    /// The outbound message.
    pub message: i64,
    /// Its part, from 0.
    pub part: i64,
}

/// A Messenger watermark: everything sent to a shopper on a channel up to a
/// time was delivered (or read).
#[derive(Debug, Clone)]
pub struct NewWatermark {
    /// The channel.
    pub channel_id: ChannelId,
    /// The shopper's page-scoped id.
    pub psid: String,
    /// `Delivered` or `Read`.
    pub status: MessageStatus,
    /// Up to when, in milliseconds.
    pub watermark_ms: i64,
}

/// An inbox row waiting to be applied: the stored event, its id and the
/// attempts made at it.
#[derive(Debug, Clone, FromRow)]
pub struct InboxRow {
    /// Id.
    pub id: i64,
    /// The event as it was stored.
    #[sqlx(flatten)]
    pub event: NewInbound,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// The inbox's columns of a stored event, in the order of [`NewInbound`]'s
/// fields: one list for the insert and every read.
macro_rules! event_columns {
    () => {
        "channel, external_id, channel_id, workspace_id, user_key, recipient, recipient_kind, \
         display_name, platform_ts, input"
    };
}

/// The row counts of the inbox's multi-row inserts: a batch goes in as
/// the largest that fit, so each connection prepares (and caches) at most
/// this many statements, whatever the batch sizes.
const CHUNKS: [usize; 4] = [128, 32, 8, 1];

/// The inbox insert for each of [`CHUNKS`], written once.
static INBOX_INSERTS: LazyLock<[String; 4]> = LazyLock::new(|| {
    CHUNKS.map(|rows| {
        format!(
            concat!(
                "INSERT INTO inbox (",
                event_columns!(),
                ", received_at) VALUES {} ON CONFLICT (channel, external_id) DO NOTHING \
                 RETURNING channel, external_id"
            ),
            placeholders(rows, 11)
        )
    })
});

/// How many of `left` (at least one) events the next insert takes, and
/// its statement.
fn inbox_insert(left: usize) -> (usize, &'static str) {
    let i = CHUNKS
        .iter()
        .position(|&n| n <= left)
        .unwrap_or(CHUNKS.len() - 1);
    (CHUNKS[i], &INBOX_INSERTS[i])
}

/// `($1, …, $cols), ($cols+1, …)` for `rows` rows.
fn placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// SQL ranking of delivery statuses, so a status never moves backwards
/// (the same as [`MessageStatus::rank`]).
pub(super) const RANK: &str = "CASE status WHEN 'pending' THEN 0 WHEN 'sending' THEN 1 WHEN 'sent' THEN 2 \
                    WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 WHEN 'failed' THEN 5 WHEN 'skipped' THEN 5 ELSE 0 END";

/// Applies a receipt to the message it names, if that message has been sent
/// whole. One still being sent (or waiting to retry its next part) keeps its
/// receipts in `receipts` until `outbox_sent`, or it would never finish
/// sending. Statuses never move backwards.
pub(super) async fn apply_receipt(
    tx: &mut sqlx::AnyConnection,
    message_id: &str,
    status: MessageStatus,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE messages SET status = $1, error = COALESCE($2, error) \
         WHERE external_id = $3 AND direction = 'out' AND ({RANK}) BETWEEN 2 AND 4 AND ({RANK}) < $4"
    ))
    .bind(status.as_str())
    .bind(error)
    .bind(message_id)
    .bind(status.rank())
    .execute(tx)
    .await?;
    Ok(())
}

/// Records that the platform accepted `part` (its echo or status said so):
/// when that part is the next one the message had to send, it counts as
/// sent, and a message waiting to retry it after an ambiguous failure goes
/// on at once with the next part instead of sending it twice. A message
/// whose call is still in flight only has its progress moved; the sender
/// sees it when the call ends.
async fn confirm_part(
    tx: &mut sqlx::AnyConnection,
    part: SentPart,
    external_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE messages SET parts_sent = $6, external_id = $2, \
         next_attempt_at = CASE WHEN status = 'pending' THEN $3 ELSE next_attempt_at END \
         WHERE id = $4 AND direction = 'out' AND parts_sent = $1 AND status IN ('pending', 'sending') \
         AND conversation_id IN (SELECT id FROM conversations WHERE channel_id = $5)",
    )
    .bind(part.part)
    .bind(external_id)
    .bind(now)
    .bind(part.message)
    .bind(part.channel_id)
    .bind(part.part + 1)
    .execute(tx)
    .await?;
    Ok(())
}

impl Queue<'_> {
    /// Stores a batch of inbound events in one transaction; events already
    /// in the inbox are skipped. Returns how many were new.
    pub async fn insert_inbound(self, events: &[NewInbound]) -> Result<usize> {
        self.ingest(events, &[], &[]).await
    }

    /// Stores everything one webhook delivered in one transaction: the new
    /// inbound events (those already in the inbox are skipped), delivery
    /// receipts and Messenger watermarks. Returns how many events were new.
    pub async fn ingest(
        self,
        events: &[NewInbound],
        receipts: &[NewReceipt],
        watermarks: &[NewWatermark],
    ) -> Result<usize> {
        Ok(self.ingest_keys(events, receipts, watermarks).await?.len())
    }

    /// [`Queue::ingest`], returning the `(channel, external_id)` of each
    /// event that was new: events go in with multi-row inserts that skip
    /// what is already stored (also duplicates within `events`), so a
    /// group commit of many webhook deliveries costs a few statements.
    pub async fn ingest_keys(
        self,
        events: &[NewInbound],
        receipts: &[NewReceipt],
        watermarks: &[NewWatermark],
    ) -> Result<Vec<(String, String)>> {
        if events.is_empty() && receipts.is_empty() && watermarks.is_empty() {
            return Ok(Vec::new());
        }
        // An acknowledged event survives a power cut, not just a crash: on
        // SQLite this commit waits for the disk (`synchronous = FULL`),
        // which also makes every earlier commit durable. The others skip
        // that wait; what they write can be made again from the inbox.
        let _first = (self.backend == Backend::Sqlite).then(|| self.gate.urgent());
        let mut conn = self.writer.acquire().await?;
        if self.backend == Backend::Sqlite {
            conn.execute("PRAGMA synchronous = FULL").await?;
        }
        let stored = self
            .ingest_on(&mut conn, events, receipts, watermarks)
            .await;
        if self.backend == Backend::Sqlite {
            conn.execute("PRAGMA synchronous = NORMAL").await?;
        }
        stored
    }

    async fn ingest_on(
        self,
        conn: &mut sqlx::AnyConnection,
        events: &[NewInbound],
        receipts: &[NewReceipt],
        watermarks: &[NewWatermark],
    ) -> Result<Vec<(String, String)>> {
        let mut tx = match self.backend {
            Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => conn.begin().await?,
        };
        let now = now_ms();
        let mut new = Vec::new();
        let mut rest = events;
        while !rest.is_empty() {
            let (n, sql) = inbox_insert(rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let mut q = sqlx::query_as::<_, (String, String)>(sql);
            for e in chunk {
                q = q
                    .bind(e.channel.as_str())
                    .bind(&e.external_id)
                    .bind(e.channel_id)
                    .bind(e.workspace_id)
                    .bind(&e.user_key)
                    .bind(&e.recipient)
                    .bind(&e.recipient_kind)
                    .bind(&e.display_name)
                    .bind(e.platform_ts)
                    .bind(&e.input)
                    .bind(now);
            }
            new.extend(q.fetch_all(&mut *tx).await?);
        }
        for r in receipts {
            sqlx::query(
                "INSERT INTO receipts (channel, message_id, status, error, platform_ts) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (channel, message_id, status) DO NOTHING",
            )
            .bind(r.channel.as_str())
            .bind(&r.message_id)
            .bind(r.status.as_str())
            .bind(r.error.as_deref())
            .bind(r.platform_ts)
            .execute(&mut *tx)
            .await?;
            apply_receipt(&mut tx, &r.message_id, r.status, r.error.as_deref()).await?;
            if let Some(part) = r.sent_part {
                confirm_part(&mut tx, part, &r.message_id, now).await?;
            }
        }
        for w in watermarks {
            sqlx::query(&format!(
                "UPDATE messages SET status = $1 WHERE direction = 'out' AND sent_at IS NOT NULL AND sent_at <= $2 \
                 AND ({RANK}) BETWEEN 2 AND 4 AND ({RANK}) < $3 \
                 AND conversation_id IN (SELECT id FROM conversations WHERE channel_id = $4 AND recipient = $5)"
            ))
            .bind(w.status.as_str())
            .bind(w.watermark_ms)
            .bind(w.status.rank())
            .bind(w.channel_id)
            .bind(&w.psid)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    /// The oldest `limit` events waiting to be applied, for `instance` to
    /// apply. Walks a partial index of waiting rows, so it costs the same
    /// with a backlog of a million events as with none.
    ///
    /// On PostgreSQL several instances share the inbox. The claim takes
    /// rows no live instance holds (`FOR UPDATE SKIP LOCKED`, so two
    /// claims never wait for each other) and marks them with `instance`
    /// for [`CLAIM_LEASE_MS`]. A shopper whose earlier event another
    /// instance holds is left out, so each shopper's events are applied by
    /// one instance at a time, in order. Claiming again renews the claim.
    ///
    /// [`CLAIM_LEASE_MS`]: super::CLAIM_LEASE_MS
    pub async fn claim_inbox(self, instance: &str, limit: i64) -> Result<Vec<InboxRow>> {
        if self.backend == Backend::Sqlite {
            // One process serves the database: nobody to share with.
            return Ok(sqlx::query_as(concat!(
                "SELECT id, ",
                event_columns!(),
                ", attempts FROM inbox WHERE status = 'pending' ORDER BY id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&self.readers)
            .await?);
        }
        let now = now_ms();
        let mut rows: Vec<InboxRow> = sqlx::query_as(concat!(
            "WITH picked AS ( \
                 SELECT id FROM inbox WHERE status = 'pending' \
                 AND (claimed_by IS NULL OR claimed_by = $1 OR claimed_at < $2) \
                 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE inbox i SET claimed_by = $1, claimed_at = $4 FROM picked \
             WHERE i.id = picked.id AND NOT EXISTS ( \
                 SELECT 1 FROM inbox o WHERE o.status = 'pending' AND o.channel_id = i.channel_id \
                 AND o.user_key = i.user_key AND o.id < i.id AND o.id NOT IN (SELECT id FROM picked)) \
             RETURNING i.id, ",
            event_columns!(),
            ", attempts"
        ))
        .bind(instance)
        .bind(now - super::CLAIM_LEASE_MS)
        .bind(limit)
        .bind(now)
        .fetch_all(&mut *self.write().await?)
        .await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// One shopper's waiting events, in platform-timestamp order.
    pub async fn pending_inbox(
        self,
        channel: ChannelId,
        user_key: &str,
        limit: i64,
    ) -> Result<Vec<InboxRow>> {
        Ok(sqlx::query_as(concat!(
            "SELECT id, ",
            event_columns!(),
            ", attempts FROM inbox WHERE status = 'pending' AND channel_id = $1 AND user_key = $2 \
             ORDER BY platform_ts, id LIMIT $3"
        ))
        .bind(channel)
        .bind(user_key)
        .bind(limit)
        .fetch_all(&self.readers)
        .await?)
    }

    /// Closes an inbox row without applying it (`Skipped`: too old;
    /// `Failed`: could not be applied).
    pub async fn close_inbox(self, id: i64, status: InboxStatus, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE inbox SET status = $1, error = $2, processed_at = $3 WHERE id = $4 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Forgets inbox rows handled before `before` (milliseconds) and
    /// receipts older than that. Meta stops retrying after 7 days, and an
    /// event delivered again after its row is gone is still applied once:
    /// the transcript keeps its id.
    pub async fn prune_inbox(self, before: i64) -> Result<u64> {
        let inbox = sqlx::query(
            "DELETE FROM inbox WHERE status <> 'pending' AND COALESCE(processed_at, received_at) < $1",
        )
        .bind(before)
        .execute(&mut *self.write().await?)
        .await?;
        let receipts = sqlx::query("DELETE FROM receipts WHERE platform_ts < $1")
            .bind(before)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(inbox.rows_affected() + receipts.rows_affected())
    }

    /// Counts a failed attempt at an inbox row.
    pub async fn inbox_attempt_failed(self, id: i64, error: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "UPDATE inbox SET attempts = attempts + 1, error = $1 WHERE id = $2 RETURNING attempts",
        )
        .bind(error)
        .bind(id)
        .fetch_one(&mut *self.write().await?)
        .await?)
    }
}

//! Handoffs: the workspace's inbox settings (the notification webhook and
//! the echo pause) and the queue of notifications the webhook is sent,
//! retried until it answers (issue 12).

use sqlx::FromRow;

use super::{Backend, ConversationId, Queue, Result, Workspace, WorkspaceId, WorkspaceTx, now_ms};

/// A workspace's inbox settings as stored.
#[derive(Debug, Clone, Default, FromRow)]
pub struct InboxSettingsRow {
    /// Where handoffs are POSTed; empty: nowhere.
    pub notify_url: String,
    /// The signing secret, sealed with the server key; empty: none yet.
    pub notify_secret: String,
    /// How long a reply sent outside Botme pauses the bot.
    pub echo_pause_minutes: i64,
}

/// A notification as the sender takes it.
#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    /// Id.
    pub id: i64,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Where to POST.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Queued at.
    pub created_at: i64,
    /// The workspace's sealed signing secret.
    pub secret: String,
}

/// A notification as the settings page lists it.
#[derive(Debug, Clone, FromRow)]
pub struct NotificationSummaryRow {
    /// Id.
    pub id: i64,
    /// `pending`, `sending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Queued at.
    pub created_at: i64,
}

/// The notification queue's claims lapse after this long (a stopped
/// instance's notifications go back in line).
const NOTIFY_LEASE_MS: i64 = 60_000;

impl Workspace<'_> {
    /// The inbox settings (defaults when never saved).
    pub async fn inbox_settings(self) -> Result<InboxSettingsRow> {
        let row: Option<InboxSettingsRow> = sqlx::query_as(
            "SELECT notify_url, notify_secret, echo_pause_minutes FROM inbox_settings WHERE workspace_id = $1",
        )
        .bind(self.ws)
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.unwrap_or(InboxSettingsRow {
            echo_pause_minutes: 30,
            ..InboxSettingsRow::default()
        }))
    }

    /// Saves the inbox settings.
    pub async fn save_inbox_settings(self, s: &InboxSettingsRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO inbox_settings (workspace_id, notify_url, notify_secret, echo_pause_minutes, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id) DO UPDATE SET \
             notify_url = excluded.notify_url, notify_secret = excluded.notify_secret, \
             echo_pause_minutes = excluded.echo_pause_minutes, updated_at = excluded.updated_at",
        )
        .bind(self.ws)
        .bind(&s.notify_url)
        .bind(&s.notify_secret)
        .bind(s.echo_pause_minutes)
        .bind(now_ms())
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// The latest notifications, newest first.
    pub async fn recent_notifications(self, limit: i64) -> Result<Vec<NotificationSummaryRow>> {
        Ok(sqlx::query_as(
            "SELECT id, status, attempts, last_error, created_at FROM notifications \
             WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(self.ws)
        .bind(limit)
        .fetch_all(&self.readers)
        .await?)
    }
}

impl WorkspaceTx {
    /// Queues a handoff notification for the workspace's webhook, once per
    /// `event_key`; nothing when no webhook is set. `true` when queued.
    pub async fn queue_notification(
        &mut self,
        conv: ConversationId,
        event_key: &str,
        body: &str,
    ) -> Result<bool> {
        let ws = self.workspace_id();
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO notifications (workspace_id, conversation_id, event_key, url, body, status, attempts, \
             next_attempt_at, created_at) \
             SELECT $1, $2, $3, notify_url, $4, 'pending', 0, $5, $5 FROM inbox_settings \
             WHERE workspace_id = $1 AND notify_url <> '' \
             ON CONFLICT (workspace_id, event_key) DO NOTHING",
        )
        .bind(ws)
        .bind(conv)
        .bind(event_key)
        .bind(body)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Queue<'_> {
    /// Takes up to `limit` notifications that are due, for `instance`;
    /// claims of a stopped instance lapse after a minute.
    pub async fn claim_notifications(
        self,
        instance: &str,
        limit: i64,
    ) -> Result<Vec<NotificationRow>> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE notifications SET status = 'pending', claimed_by = NULL \
             WHERE status = 'sending' AND claimed_at < $1",
        )
        .bind(now - NOTIFY_LEASE_MS)
        .execute(&mut *tx)
        .await?;
        let skip = if self.backend == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2{skip}"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            sqlx::query(
                "UPDATE notifications SET status = 'sending', claimed_by = $1, claimed_at = $2 WHERE id = $3",
            )
            .bind(instance)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let row: NotificationRow = sqlx::query_as(
                "SELECT n.id, n.workspace_id, n.url, n.body, n.attempts, n.created_at, \
                 COALESCE(s.notify_secret, '') AS secret \
                 FROM notifications n LEFT JOIN inbox_settings s ON s.workspace_id = n.workspace_id \
                 WHERE n.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            rows.push(row);
        }
        tx.commit().await?;
        Ok(rows)
    }

    /// Records an attempt: delivered, due again at `retry_at`, or given up
    /// (`retry_at` none and not delivered).
    pub async fn notification_attempted(
        self,
        id: i64,
        delivered: bool,
        error: Option<&str>,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let status = match (delivered, retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        sqlx::query(
            "UPDATE notifications SET status = $1, attempts = attempts + 1, last_error = $2, \
             next_attempt_at = COALESCE($3, next_attempt_at), claimed_by = NULL WHERE id = $4",
        )
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }
}

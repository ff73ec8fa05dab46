//! Channels: the Messenger pages, WhatsApp numbers and web chats a bot is
//! connected to, and their health.

use app::channel::Channel;
use sqlx::FromRow;

use super::{
    BotId, ChannelId, MessageStatus, Result, Store, WorkspaceId, conflict_on_unique, now_ms,
};
use super::{Queue, Workspace};

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

impl Store {
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
        .fetch_optional(&self.readers)
        .await?)
    }
}

impl Workspace<'_> {
    /// Connects a channel; `Conflict("channel")` when that page, number or
    /// key is already connected (in any workspace).
    pub async fn create_channel(
        self,
        bot: BotId,
        kind: Channel,
        external_id: &str,
        name: &str,
        token_ciphertext: Option<&str>,
        settings: &str,
    ) -> Result<ChannelRow> {
        let ws = self.ws;
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
        .fetch_one(&mut *self.write().await?)
        .await
        .map_err(|e| conflict_on_unique(e, "channel"))
    }

    /// The workspace's channels.
    pub async fn channels(self) -> Result<Vec<ChannelRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE workspace_id = $1 ORDER BY id"
        ))
        .bind(ws)
        .fetch_all(&self.readers)
        .await?)
    }

    /// One channel of the workspace.
    pub async fn channel(self, id: ChannelId) -> Result<Option<ChannelRow>> {
        self.by_id("channels", CHANNEL_COLUMNS, id).await
    }

    /// Disconnects a channel. Its conversations stay; messages still
    /// waiting to go out on it are closed as failed, with the reason, in the
    /// same transaction.
    pub async fn delete_channel(self, id: ChannelId) -> Result<bool> {
        let ws = self.ws;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE messages SET status = $4, error = $1 \
             WHERE direction = 'out' AND status = 'pending' AND workspace_id = $2 \
             AND conversation_id IN (SELECT id FROM conversations WHERE channel_id = $3 AND workspace_id = $2)",
        )
        .bind("Not sent: the channel was disconnected.")
        .bind(ws)
        .bind(id)
        .bind(MessageStatus::Failed.as_str())
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
        self,
        id: ChannelId,
        name: Option<&str>,
        token_ciphertext: Option<&str>,
        settings: Option<&str>,
    ) -> Result<Option<ChannelRow>> {
        let ws = self.ws;
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
        .fetch_optional(&mut *self.write().await?)
        .await?)
    }
}

impl Queue<'_> {
    /// A channel by id, for workers (which act across tenants).
    pub async fn channel_by_id(self, id: ChannelId) -> Result<Option<ChannelRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.readers)
        .await?)
    }

    /// Records why a channel stopped working (or `ok` again).
    pub async fn set_channel_health(self, id: ChannelId, health: &str) -> Result<()> {
        sqlx::query("UPDATE channels SET health = $1 WHERE id = $2")
            .bind(health)
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}

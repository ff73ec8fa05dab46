//! Bots and their draft flow documents.

use sqlx::FromRow;

use super::Workspace;
use super::{BotId, Result, now_ms};

/// A bot as stored, without its draft document.
#[derive(Debug, Clone, FromRow)]
pub struct BotRow {
    /// Id.
    pub id: BotId,
    /// Name.
    pub name: String,
    /// Revision counter of the draft.
    pub draft_revision: i64,
    /// Created at.
    pub created_at: i64,
    /// Updated at.
    pub updated_at: i64,
    /// The newest published version, if any.
    pub published_version: Option<i64>,
}

const BOT_COLUMNS: &str = "id, name, draft_revision, created_at, updated_at, \
    (SELECT MAX(v.number) FROM bot_versions v WHERE v.bot_id = bots.id) AS published_version";

impl Workspace<'_> {
    /// Creates a bot whose draft is `draft` (a JSON document).
    pub async fn create_bot(self, name: &str, draft: &str) -> Result<BotRow> {
        let ws = self.ws;
        let now = now_ms();
        let id: BotId = sqlx::query_scalar(
            "INSERT INTO bots (workspace_id, name, draft, draft_revision, created_at, updated_at) \
             VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
        )
        .bind(ws)
        .bind(name)
        .bind(draft)
        .bind(now)
        .fetch_one(&mut *self.write().await?)
        .await?;
        self.bot(id)
            .await?
            .ok_or(crate::store::StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// The workspace's bots, most recently changed first.
    pub async fn bots(self) -> Result<Vec<BotRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(&format!(
            "SELECT {BOT_COLUMNS} FROM bots WHERE workspace_id = $1 ORDER BY updated_at DESC, id DESC"
        ))
        .bind(ws)
        .fetch_all(&self.readers)
        .await?)
    }

    /// One bot of the workspace.
    pub async fn bot(self, id: BotId) -> Result<Option<BotRow>> {
        self.by_id("bots", BOT_COLUMNS, id).await
    }

    /// Renames a bot; `None` when the workspace has no such bot.
    pub async fn rename_bot(self, id: BotId, name: &str) -> Result<Option<BotRow>> {
        let ws = self.ws;
        let done = sqlx::query(
            "UPDATE bots SET name = $1, updated_at = $2 WHERE workspace_id = $3 AND id = $4",
        )
        .bind(name)
        .bind(now_ms())
        .bind(ws)
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.bot(id).await
    }

    /// Deletes a bot; `false` when the workspace has no such bot.
    pub async fn delete_bot(self, id: BotId) -> Result<bool> {
        let ws = self.ws;
        let done = sqlx::query("DELETE FROM bots WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

//! Drafts and published versions of bots' flows.

use sqlx::FromRow;

use super::Workspace;
use super::{BotId, Result, Store, WorkspaceId, now_ms};

/// A bot's draft document.
#[derive(Debug, Clone, FromRow)]
pub struct DraftRow {
    /// Revision counter; every save increments it.
    pub draft_revision: i64,
    /// The document, as JSON.
    pub draft: String,
    /// Last saved at.
    pub updated_at: i64,
}

/// The outcome of saving a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftSave {
    /// Saved; the new revision.
    Saved(i64),
    /// Someone saved in between; the current revision.
    Stale(i64),
    /// No such bot in the workspace.
    Missing,
}

/// A published version, without its document.
#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    /// v1, v2, …
    pub number: i64,
    /// Who published it.
    pub author: String,
    /// Why ("Restored from version 2").
    pub note: String,
    /// When.
    pub created_at: i64,
}

/// A published version with its document.
#[derive(Debug, Clone, FromRow)]
pub struct VersionDoc {
    /// v1, v2, …
    pub number: i64,
    /// Who published it.
    pub author: String,
    /// Why.
    pub note: String,
    /// When.
    pub created_at: i64,
    /// The document, as JSON.
    pub document: String,
}

impl Store {
    async fn publish_at(
        &self,
        ws: WorkspaceId,
        bot: BotId,
        revision: Option<i64>,
        document: &str,
        author: &str,
        note: &str,
    ) -> Result<Option<VersionRow>> {
        // SQLite's BEGIN IMMEDIATE already holds the write lock.
        let mut tx = self.begin().await?;
        let current: Option<i64> = match self.backend {
            super::Backend::Postgres => sqlx::query_scalar(
                "SELECT draft_revision FROM bots WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
            )
            .bind(ws)
            .bind(bot)
            .fetch_optional(&mut *tx)
            .await?,
            super::Backend::Sqlite => {
                sqlx::query_scalar(
                    "SELECT draft_revision FROM bots WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws)
                .bind(bot)
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let Some(current) = current else {
            return Ok(None);
        };
        if revision.is_some_and(|r| r != current) {
            return Ok(None);
        }
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM bot_versions WHERE bot_id = $1",
        )
        .bind(bot)
        .fetch_one(&mut *tx)
        .await?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO bot_versions (bot_id, workspace_id, number, document, author, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(bot)
        .bind(ws)
        .bind(next)
        .bind(document)
        .bind(author)
        .bind(note)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(VersionRow {
            number: next,
            author: author.to_string(),
            note: note.to_string(),
            created_at: now,
        }))
    }
}

impl Workspace<'_> {
    /// The draft of a bot.
    pub async fn draft(self, bot: BotId) -> Result<Option<DraftRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(
            "SELECT draft_revision, draft, updated_at FROM bots WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws)
        .bind(bot)
        .fetch_optional(&self.readers)
        .await?)
    }

    /// Saves a draft if `expected` is still its revision (compare-and-swap,
    /// so two tabs cannot silently overwrite each other).
    pub async fn save_draft(self, bot: BotId, expected: i64, document: &str) -> Result<DraftSave> {
        let ws = self.ws;
        let saved: Option<i64> = sqlx::query_scalar(
            "UPDATE bots SET draft = $1, draft_revision = draft_revision + 1, updated_at = $2 \
             WHERE workspace_id = $3 AND id = $4 AND draft_revision = $5 RETURNING draft_revision",
        )
        .bind(document)
        .bind(now_ms())
        .bind(ws)
        .bind(bot)
        .bind(expected)
        .fetch_optional(&mut *self.write().await?)
        .await?;
        if let Some(rev) = saved {
            return Ok(DraftSave::Saved(rev));
        }
        Ok(match self.draft(bot).await? {
            Some(d) => DraftSave::Stale(d.draft_revision),
            None => DraftSave::Missing,
        })
    }

    /// Publishes `document` as the bot's next version; `None` when the
    /// workspace has no such bot.
    pub async fn publish(
        self,
        bot: BotId,
        document: &str,
        author: &str,
        note: &str,
    ) -> Result<Option<VersionRow>> {
        let ws = self.ws;
        self.publish_at(ws, bot, None, document, author, note).await
    }

    /// Publishes `document` (the draft as read at `revision`) as the bot's
    /// next version, only while the draft is still at `revision`: the check
    /// and the publish are one transaction, with the bot's row locked, so a
    /// save in between cannot slip past. `None` when the workspace has no
    /// such bot or the draft has moved on.
    pub async fn publish_revision(
        self,
        bot: BotId,
        revision: i64,
        document: &str,
        author: &str,
    ) -> Result<Option<VersionRow>> {
        let ws = self.ws;
        self.publish_at(ws, bot, Some(revision), document, author, "")
            .await
    }

    /// The versions of a bot, newest first.
    pub async fn versions(self, bot: BotId) -> Result<Vec<VersionRow>> {
        let ws = self.ws;
        Ok(sqlx::query_as(
            "SELECT number, author, note, created_at FROM bot_versions \
             WHERE workspace_id = $1 AND bot_id = $2 ORDER BY number DESC",
        )
        .bind(ws)
        .bind(bot)
        .fetch_all(&self.readers)
        .await?)
    }

    /// One version with its document.
    pub async fn version(self, bot: BotId, number: i64) -> Result<Option<VersionDoc>> {
        let ws = self.ws;
        Ok(sqlx::query_as(
            "SELECT number, author, note, created_at, document FROM bot_versions \
             WHERE workspace_id = $1 AND bot_id = $2 AND number = $3",
        )
        .bind(ws)
        .bind(bot)
        .bind(number)
        .fetch_optional(&self.readers)
        .await?)
    }

    /// The number of a bot's newest published version, if any.
    pub async fn latest_version_number(self, bot: BotId) -> Result<Option<i64>> {
        let ws = self.ws;
        Ok(sqlx::query_scalar(
            "SELECT MAX(number) FROM bot_versions WHERE workspace_id = $1 AND bot_id = $2",
        )
        .bind(ws)
        .bind(bot)
        .fetch_one(&self.readers)
        .await?)
    }
}

//! Web-chat visitors: the browser tokens a widget hands out, by channel.

use super::{ChannelId, Result, Store, now_ms};

impl Store {
    /// A new web-chat visitor.
    pub async fn create_visitor(&self, channel: ChannelId, token_hash: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO web_visitors (channel_id, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(channel)
        .bind(token_hash)
        .bind(now_ms())
        .fetch_one(&mut *self.write().await?)
        .await?)
    }

    /// The visitor holding this token on this widget.
    pub async fn visitor(&self, channel: ChannelId, token_hash: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM web_visitors WHERE channel_id = $1 AND token_hash = $2",
        )
        .bind(channel)
        .bind(token_hash)
        .fetch_optional(&self.readers)
        .await?)
    }

    /// Forgets the visitors created before `before` (milliseconds) that
    /// never started a conversation: a widget hands one to every page
    /// view, and most never say anything. Returns how many.
    pub async fn prune_visitors(&self, before: i64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM web_visitors WHERE created_at < $1 AND NOT EXISTS ( \
                 SELECT 1 FROM conversations c WHERE c.channel = 'web' \
                 AND c.bot_id IN (SELECT b.id FROM bots b JOIN channels ch ON ch.workspace_id = b.workspace_id \
                     WHERE ch.id = web_visitors.channel_id) \
                 AND c.external_user = CAST(web_visitors.channel_id AS TEXT) || ':' || CAST(web_visitors.id AS TEXT)) \
             AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.channel_id = web_visitors.channel_id \
                 AND i.user_key = CAST(web_visitors.id AS TEXT))",
        )
        .bind(before)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected())
    }
}

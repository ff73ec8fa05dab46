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
}

//! Settings of the server itself, shared by every instance.

use super::{Result, Store};

impl Store {
    /// Sets `name` to `value` unless it is set already (another instance
    /// may have been first); returns the value it has now.
    pub async fn init_server_setting(&self, name: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO server_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM server_settings WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *self.write().await?)
                .await?,
        )
    }

    /// Sets `name` to `value`.
    pub async fn set_server_setting(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO server_settings (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }
}

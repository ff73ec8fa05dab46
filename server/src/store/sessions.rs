//! Browser sessions for tower-sessions, kept in our own `web_sessions` table
//! so they live in the same database and migrations as everything else.
//!
//! Rows are keyed by the SHA-256 of the session id: a copy of the database
//! does not hand out working session cookies.
//!
//! A session lasts at most [`ABSOLUTE_LIFETIME_MS`] from sign-in, however
//! active it stays, and a request still in flight when its session is
//! deleted (logout) cannot bring it back: saving only updates a row that
//! still exists.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::{Result, Store, now_ms};

/// The [`SessionStore`] over [`Store`].
#[derive(Debug, Clone)]
pub struct SessionStoreImpl {
    store: Store,
}

impl SessionStoreImpl {
    /// Wraps the store.
    pub fn new(store: Store) -> Self {
        SessionStoreImpl { store }
    }
}

/// The longest a session lasts from when it began: 30 days.
pub const ABSOLUTE_LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;

fn key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn expiry_ms(record: &Record) -> i64 {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

impl Store {
    /// Deletes sessions that have expired; returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1 OR created_at <= $2")
                .bind(now_ms())
                .bind(now_ms() - ABSOLUTE_LIFETIME_MS)
                .execute(&mut *self.write().await?)
                .await?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl SessionStore for SessionStoreImpl {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A 128-bit random id practically never collides, but a collision
        // must not hand one visitor another's session: draw again.
        for _ in 0..8 {
            let data = serde_json::to_string(&record.data)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let done = sqlx::query(
                "INSERT INTO web_sessions (id, data, expires_at, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(key(&record.id))
            .bind(data)
            .bind(expiry_ms(record))
            .bind(now_ms())
            .execute(&mut *self.store.write().await.map_err(backend)?)
            .await
            .map_err(backend)?;
            if done.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(backend("could not allocate a unique session id"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        // Only a session that still exists is saved: one deleted meanwhile
        // (a logout) stays deleted.
        sqlx::query("UPDATE web_sessions SET data = $2, expires_at = $3 WHERE id = $1")
            .bind(key(&record.id))
            .bind(data)
            .bind(expiry_ms(record))
            .execute(&mut *self.store.write().await.map_err(backend)?)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM web_sessions WHERE id = $1 AND expires_at > $2 \
             AND created_at > $3",
        )
        .bind(key(id))
        .bind(now_ms())
        .bind(now_ms() - ABSOLUTE_LIFETIME_MS)
        .fetch_optional(&self.store.readers)
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at) * 1_000_000)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE id = $1")
            .bind(key(id))
            .execute(&mut *self.store.write().await.map_err(backend)?)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

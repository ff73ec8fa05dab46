//! All database access. Nothing outside this module writes SQL.
//!
//! One implementation serves SQLite and PostgreSQL through sqlx's `Any`
//! driver: queries use `$1`-style parameters, which both backends accept, and
//! the few statements whose dialect differs branch on [`Backend`]. Each
//! backend has its own migrations under `migrations/`, embedded in the binary
//! and applied by [`Store::connect`].
//!
//! Every function that touches tenant data takes a [`WorkspaceId`] and
//! filters on it, so a row of another workspace is indistinguishable from a
//! missing one.

mod accounts;
mod bots;
mod catalog;
mod channels;
mod contacts;
mod conversations;
mod desk;
mod flows;
mod handoffs;
mod inbox;
mod invitations;
mod orders;
mod outbox;
mod sessions;
mod settings;
mod status;
mod visitors;

use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use accounts::{MemberRow, MembershipRow, NewSignup, TokenAuthRow, TokenRow, UserRow};
pub use bots::BotRow;
pub use catalog::{ProductFilter, ProductRow};
pub use channels::ChannelRow;
pub use contacts::*;
pub use conversations::{ConversationRow, HttpCallRow, MessageRow, Touch, WorkspaceTx};
pub use desk::*;
pub use flows::{DraftRow, DraftSave, VersionDoc, VersionRow};
pub use handoffs::*;
pub use inbox::{InboxRow, NewInbound, NewReceipt, NewWatermark, SentPart};
pub use invitations::{InvitationRow, NewInvitation};
pub use orders::{OrderEventRow, OrderRow, StatusChange};
pub use outbox::{CLAIM_LEASE_MS, OutboxRow};
pub use sessions::{ABSOLUTE_LIFETIME_MS, SessionStoreImpl};
pub use status::{Direction, HttpCallStatus, InboxStatus, MessageStatus, UnknownName};

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite, the default.
    Sqlite,
    /// PostgreSQL, for several instances behind a load balancer.
    Postgres,
}

pub use app::ids::{
    BotId, ChannelId, ContactId, ConversationId, InvitationId, OrderId, ProductId, TokenId, UserId,
    WorkspaceId,
};

/// What can go wrong in the store. Callers map `Conflict` to a 409 and the
/// rest to an opaque, logged 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; nothing was written.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The database failed or is unreachable.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The connection string is not usable.
    #[error("invalid DATABASE_URL: {0}")]
    Config(String),
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// The handle to the database; cheap to clone.
///
/// On SQLite every write goes through one connection (`writer`), so writers
/// queue in the pool, in order, instead of sleeping on the busy timeout, and
/// the `readers`, which cannot write, never block it. On PostgreSQL
/// both are the same pool.
#[derive(Clone, Debug)]
pub struct Store {
    /// Reads.
    readers: AnyPool,
    /// Writes and transactions.
    writer: AnyPool,
    /// Who takes the SQLite writer first.
    gate: std::sync::Arc<Gate>,
    backend: Backend,
    url: Url,
}

/// A connection string, kept for the PostgreSQL listener and never printed.
#[derive(Clone)]
struct Url(std::sync::Arc<str>);

impl std::fmt::Debug for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Url(***)")
    }
}

/// The PostgreSQL channel on which committed turns announce their
/// conversation, so every instance can wake its web-chat streams.
const CONVERSATIONS_CHANNEL: &str = "botme_conversations";

/// Announcements of conversations that changed, from every instance
/// (PostgreSQL only).
pub struct ConversationListener(sqlx::postgres::PgListener);

impl ConversationListener {
    /// The next conversation some instance changed, with its external
    /// user. Reconnects by itself after a lost connection (announcements
    /// made meanwhile are missed; streams also look again every few
    /// seconds).
    pub async fn next(&mut self) -> Result<(ConversationId, String)> {
        loop {
            let n = self.0.recv().await?;
            let (id, user) = n.payload().split_once(' ').unwrap_or((n.payload(), ""));
            if let Ok(id) = id.parse::<i64>() {
                return Ok((ConversationId(id), user.to_string()));
            }
        }
    }
}

/// A transaction on either backend.
pub type SqlTx = sqlx::Transaction<'static, sqlx::Any>;

/// One workspace's data: every statement made through it filters on the
/// workspace, so a row of another tenant is indistinguishable from a
/// missing one. The only way to reach tenant data is
/// [`Store::workspace`]: a function that forgets the workspace does not
/// compile.
#[derive(Clone, Copy)]
pub struct Workspace<'a> {
    store: &'a Store,
    ws: WorkspaceId,
}

/// The work queues the engine's workers take from: stored events, queued
/// messages and HTTP steps, across every workspace. Each item carries its
/// workspace, and what a worker does with it goes through
/// [`Store::workspace`] again.
#[derive(Clone, Copy)]
pub struct Queue<'a> {
    store: &'a Store,
}

impl Store {
    /// The data of workspace `ws`.
    pub fn workspace(&self, ws: WorkspaceId) -> Workspace<'_> {
        Workspace { store: self, ws }
    }

    /// The workers' queues.
    pub fn queue(&self) -> Queue<'_> {
        Queue { store: self }
    }
}

impl Workspace<'_> {
    /// The row of `table` with this id in this workspace, as `columns`.
    async fn by_id<T, I>(self, table: &str, columns: &str, id: I) -> Result<Option<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
        I: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        Ok(sqlx::query_as(&format!(
            "SELECT {columns} FROM {table} WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(self.ws)
        .bind(id)
        .fetch_optional(&self.readers)
        .await?)
    }
}

// Statements are written against the pool and the backend; the handles
// reach them through the store they borrow.
impl std::ops::Deref for Workspace<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store
    }
}

impl std::ops::Deref for Queue<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store
    }
}

/// Milliseconds since the Unix epoch, the unit of every stored timestamp.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating a
    /// SQLite file and its directory when missing, and applies migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url(url)?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::Config(
                "use sqlite://path/to/file.db or postgres://user:password@host/database".into(),
            ));
        };
        let options =
            AnyConnectOptions::from_str(&url).map_err(|e| StoreError::Config(e.to_string()))?;
        let (readers, writer) = match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                POSTGRES_MIGRATIONS.run(&pool).await?;
                (pool.clone(), pool)
            }
            Backend::Sqlite => {
                // WAL lets the readers run beside the one writer. The busy
                // timeout covers another process (a backup, the sqlite3
                // shell) holding the file.
                let writer = sqlite_pool(1, &options, "PRAGMA journal_mode = WAL;").await?;
                SQLITE_MIGRATIONS.run(&writer).await?;
                let readers = if in_memory(&url) {
                    // Each connection would open its own empty database.
                    writer.clone()
                } else {
                    sqlite_pool(4, &options, "PRAGMA query_only = ON;").await?
                };
                (readers, writer)
            }
        };
        Ok(Store {
            readers,
            writer,
            gate: Default::default(),
            backend,
            url: Url(url.into()),
        })
    }

    /// Listens for the conversations other instances (and this one) change;
    /// `None` on SQLite, where one process serves the database.
    pub async fn listen_conversations(&self) -> Result<Option<ConversationListener>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url.0).await?;
        listener.listen(CONVERSATIONS_CHANNEL).await?;
        Ok(Some(ConversationListener(listener)))
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The writing connection pool, for tests that inspect or change rows
    /// directly.
    #[doc(hidden)]
    pub fn pool(&self) -> &AnyPool {
        &self.writer
    }

    /// The reading connection pool, for tests of how it is set up.
    #[doc(hidden)]
    pub fn readers(&self) -> &AnyPool {
        &self.readers
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    /// Closes every connection; used at shutdown.
    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so another process's writer cannot make it fail
    /// halfway when its read lock cannot be upgraded.
    pub async fn begin(&self) -> Result<SqlTx> {
        self.gate.pass().await;
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// A connection for one write outside a transaction, taken after any
    /// urgent writer (see [`Gate`]).
    async fn write(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.gate.pass().await;
        Ok(self.writer.acquire().await?)
    }

    /// Serialises writers of one workspace until `tx` ends. SQLite's
    /// `BEGIN IMMEDIATE` already holds the database-wide write lock.
    async fn lock_workspace(&self, tx: &mut SqlTx, ws: WorkspaceId) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM workspaces WHERE id = $1 FOR UPDATE")
                .bind(ws)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// The order in which work takes SQLite's one writer. Storing webhook
/// events, which their senders wait for, is urgent: while it waits for the
/// writer, other writers wait before they join the line, so an
/// acknowledgement waits for at most the writes already in line, not for
/// every send and turn that arrives meanwhile. Between two urgent commits
/// the others go, so none of them starves.
#[derive(Debug, Default)]
struct Gate {
    urgent: std::sync::atomic::AtomicUsize,
    open: tokio::sync::Notify,
}

impl Gate {
    /// Waits until the urgent writers waiting now are done (not for
    /// those that come after: the next urgent commit waits for this one).
    async fn pass(&self) {
        // Created before the check, so a release in between is seen.
        let open = self.open.notified();
        if self.urgent.load(std::sync::atomic::Ordering::Acquire) > 0 {
            open.await;
        }
    }

    /// Marks an urgent writer until the guard is dropped.
    fn urgent(&self) -> Urgent<'_> {
        self.urgent
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Urgent(self)
    }
}

/// An urgent writer's place in line; see [`Gate`].
struct Urgent<'a>(&'a Gate);

impl Drop for Urgent<'_> {
    fn drop(&mut self) {
        if self
            .0
            .urgent
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel)
            == 1
        {
            self.0.open.notify_waiters();
        }
    }
}

/// A pool of SQLite connections, each set up with `setup` and the settings
/// every connection shares.
async fn sqlite_pool(
    size: u32,
    options: &AnyConnectOptions,
    setup: &'static str,
) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute(setup).await?;
                conn.execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA synchronous = NORMAL;",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await?)
}

/// Whether a SQLite URL names an in-memory database.
fn in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Normalises a SQLite URL so the file (and its directory) are created on
/// first use.
fn sqlite_url(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or_default();
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(StoreError::Config("the SQLite URL names no file".into()));
    }
    let dir = std::path::Path::new(path).parent();
    if path != ":memory:"
        && let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{}", params.join("&")))
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
fn conflict_on_unique(err: sqlx::Error, what: &'static str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(err),
    }
}

#[cfg(test)]
mod tests {
    use super::{Gate, sqlite_url};
    use std::time::Duration;

    #[tokio::test]
    async fn writers_wait_for_an_urgent_one_but_not_for_the_next() {
        let gate = Gate::default();
        // Nobody urgent: straight through.
        tokio::time::timeout(Duration::from_secs(1), gate.pass())
            .await
            .expect("an open gate lets writers by");
        let first = gate.urgent();
        let waiting = gate.pass();
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), waiting.as_mut())
                .await
                .is_err(),
            "a writer waits while an urgent one does"
        );
        drop(first);
        // A second urgent writer coming after does not keep it waiting.
        let _second = gate.urgent();
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("released when the urgent writer it waited for is done");
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/db.sqlite");
        let url = sqlite_url(&format!("sqlite://{}", path.display())).unwrap();
        assert!(url.ends_with("?mode=rwc"), "{url}");
        assert!(path.parent().unwrap().is_dir());
        let kept = sqlite_url(&format!("sqlite://{}?mode=ro", path.display())).unwrap();
        assert!(kept.ends_with("?mode=ro"), "{kept}");
        assert!(sqlite_url("sqlite://").is_err());
    }
}

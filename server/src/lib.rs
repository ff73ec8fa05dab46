//! Botme's server: one axum application that serves the merchant pages
//! (Leptos, server-rendered), the REST API, the platforms' webhooks and the
//! engine that turns their events into conversations.
//!
//! Map, by layer (each depends only on the ones below it):
//! - [`http`]: every route: REST (`api/`), HTML forms, pages, web chat,
//!   webhooks, the order page, the auth middleware, extractors and errors.
//! - [`engine`]: the event pipeline, the turn runner around the pure
//!   interpreter, the sender, HTTP steps, work claims and rate limits, behind
//!   one [`engine::Engine`] handle.
//! - [`service`]: the operations (validation, authorisation, store calls)
//!   shared by the REST API, the HTML forms and the pages.
//! - [`store`]: every SQL statement, for SQLite and PostgreSQL.
//!
//! Beside them:
//! - [`state`]: the [`AppState`] request handlers share.
//! - [`auth`]: password hashing, API tokens and the login throttle.
//! - [`config`]: settings from environment variables and flags.
//! - [`crypto`]: sealing channel tokens with the server key.
//! - [`error`]: the one error type services and handlers return, with its
//!   stable code and HTTP status.
//! - [`ops`]: health, metrics, logging, request tracing and housekeeping.
//!
//! [`router`] builds the whole application from an [`AppState`], so tests
//! drive it without a socket; [`run`] binds the socket and serves it.

pub mod auth;
pub mod config;
pub mod crypto;
pub mod engine;
pub mod error;
pub mod http;
pub mod ops;
pub mod service;
pub mod state;
pub mod store;

use anyhow::Context;

pub use config::Config;
pub use http::{BODY_CEILING_BYTES, router, serve, with_nodelay};
pub use state::AppState;
use store::Store;

/// Connects, migrates, binds and serves until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database at {}", redact(&config.database_url)))?;
    let state = AppState::new(&config, store.clone())?;
    check_server_key(&store, &state.sealer).await?;
    ops::spawn_housekeeping(store.clone());
    engine::live::spawn_announcements(state.engine.clone());
    if config.workers {
        spawn_workers(&state);
    } else {
        tracing::warn!("workers are off: events are stored but not processed");
    }

    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .with_context(|| format!("binding {}", config.site_addr))?;
    tracing::info!(
        addr = %config.site_addr,
        public_url = %state.public_url,
        database = ?store.backend(),
        "Botme is listening on http://{}",
        config.site_addr
    );
    serve(listener, router(state)).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The server setting holding a value sealed with the server key.
const KEY_CHECK: &str = "secret_key_check";
/// What that value is sealed for.
const KEY_CHECK_CONTEXT: &str = "server:secret-key-check";

/// Checks that the server key is the one the database's secrets are sealed
/// with; the first start records it.
///
/// On PostgreSQL, an instance started with another `BOTME_SECRET_KEY`
/// refuses to start: it could open none of the channel tokens the others
/// sealed, and would mark every channel broken for every instance. On
/// SQLite one process owns the database, and a replaced key (a lost
/// `secret.key`) is logged as an error: the channels connected before
/// must be given their tokens again, which the Channels page shows.
pub async fn check_server_key(store: &Store, sealer: &crypto::Sealer) -> anyhow::Result<()> {
    let mine = sealer.seal("botme", KEY_CHECK_CONTEXT);
    let recorded = store.init_server_setting(KEY_CHECK, &mine).await?;
    if sealer.open(&recorded, KEY_CHECK_CONTEXT).is_ok() {
        return Ok(());
    }
    match store.backend() {
        store::Backend::Postgres => anyhow::bail!(
            "BOTME_SECRET_KEY is not the key this database's secrets are sealed with: another \
             instance, or an earlier start, used a different one. Give every instance the same \
             BOTME_SECRET_KEY (the one that was used first); this instance does not start, so \
             that it does not mark every channel broken."
        ),
        store::Backend::Sqlite => {
            tracing::error!(
                "the server key changed since the last start (BOTME_SECRET_KEY, or a lost \
                 secret.key): the access tokens of the Messenger and WhatsApp channels connected \
                 before cannot be opened. Restore the old key, or paste each channel's token again \
                 on the Channels page."
            );
            store.set_server_setting(KEY_CHECK, &mine).await?;
            Ok(())
        }
    }
}

/// Starts the background workers: work claims, the inbox pipeline, the
/// senders and the HTTP-step worker.
pub fn spawn_workers(state: &AppState) {
    engine::spawn_workers(&state.engine, &state.sealer, &state.workers);
}

/// A connection string with its password hidden, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{redact, with_nodelay};

    #[tokio::test]
    async fn accepted_sockets_send_small_segments_at_once() {
        use axum::serve::Listener;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listener = with_nodelay(listener);
        let (accepted, client) =
            tokio::join!(listener.accept(), tokio::net::TcpStream::connect(addr));
        let (io, _) = accepted;
        assert!(io.nodelay().unwrap(), "TCP_NODELAY on the accepted socket");
        // Sockets do not have it by default, so the check means something.
        assert!(!client.unwrap().nodelay().unwrap());
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://botme:s3cret@db:5432/botme"),
            "postgres://botme:***@db:5432/botme"
        );
        assert_eq!(redact("sqlite://data/botme.db"), "sqlite://data/botme.db");
    }
}

//! Botme's server: one axum application that serves the merchant pages
//! (Leptos, server-rendered), the REST API, and operations endpoints.
//!
//! Map:
//! - [`config`]: settings from environment variables and flags.
//! - [`store`]: every SQL statement, for SQLite and PostgreSQL.
//! - [`auth`]: passwords, API tokens, the login throttle, and the middleware
//!   that resolves each request's principal.
//! - [`service`]: the operations (validation, authorisation, store calls)
//!   shared by the REST API, the HTML forms and the pages.
//! - [`api`]: REST handlers under `/api/v1` and the OpenAPI document.
//! - [`forms`]: handlers for the pages' HTML forms.
//! - [`pages`]: the Leptos integration and the data the pages load.
//! - [`ops`]: health, metrics, logging and request tracing.
//!
//! [`router`] builds the whole application from an [`AppState`], so tests
//! drive it without a socket; [`run`] binds the socket and serves it.

pub mod api;
pub mod auth;
pub mod claims;
pub mod config;
pub mod crypto;
pub mod error;
pub mod extract;
pub mod forms;
pub mod http_calls;
pub mod ops;
pub mod order_page;
pub mod pages;
pub mod pipeline;
pub mod ratelimit;
pub mod runner;
pub mod sender;
pub mod service;
pub mod store;
pub mod webchat;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use leptos::config::LeptosOptions;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use config::Config;
use store::{SessionStoreImpl, Store};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Leptos settings: where the site bundle is.
    pub leptos: LeptosOptions,
    /// Password hashing.
    pub passwords: auth::Passwords,
    /// Failed-login limits.
    pub throttle: Arc<auth::LoginThrottle>,
    /// The origin browsers reach the server at, for the Origin check.
    pub public_url: Arc<str>,
    /// Whether cookies carry the Secure flag.
    pub secure_cookies: bool,
    /// The 32-byte server key.
    pub secret_key: Arc<[u8; 32]>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Applies conversation events.
    pub runner: Arc<runner::Runner>,
    /// The one outbound HTTP client (merchants' APIs, Meta's Graph API).
    pub http: reqwest::Client,
    /// Whether flows may call private addresses.
    pub http_allow_private: bool,
    /// Seals channel access tokens with the server key.
    pub sealer: crypto::Sealer,
    /// Meta app secret: verifies webhook signatures.
    pub meta_app_secret: Option<Arc<str>>,
    /// The verify token of Meta's webhook handshake.
    pub meta_verify_token: Option<Arc<str>>,
    /// Base URL of the Graph API, without a trailing slash.
    pub graph_url: Arc<str>,
    /// Events older than this are recorded, not answered.
    pub max_event_age_ms: i64,
    /// Calls per page or number.
    pub account_rate: Arc<ratelimit::Buckets>,
    /// Messages per WhatsApp recipient.
    pub pair_rate: Arc<ratelimit::Buckets>,
    /// First retry delay of failed sends.
    pub retry_base_ms: i64,
    /// How long one call to the Graph API may take.
    pub send_timeout: Duration,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl AppState {
    /// Builds the state from configuration and an open store.
    pub fn new(config: &Config, store: Store) -> anyhow::Result<AppState> {
        let public_url = config.public_url();
        // cargo-leptos writes hash.txt beside the server binary when it
        // fingerprints the bundle; use hashed names exactly when it did.
        let hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
            .is_some_and(|p| p.exists());
        let leptos = LeptosOptions::builder()
            .output_name("botme")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(config.site_addr)
            .hash_files(hash_files)
            .build();
        let key = config.load_secret_key()?;
        Ok(AppState {
            store: store.clone(),
            leptos,
            passwords: auth::Passwords::new()?,
            throttle: Arc::new(auth::LoginThrottle::new(
                5,
                50,
                Duration::from_secs(15 * 60),
            )),
            secure_cookies: public_url.starts_with("https://"),
            runner: Arc::new(runner::Runner::new(
                store.clone(),
                public_url.as_str().into(),
            )),
            public_url: public_url.into(),
            secret_key: Arc::new(key),
            max_body_bytes: config.max_body_bytes,
            http: reqwest::Client::builder()
                .user_agent(concat!("Botme/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(5))
                // A redirect could lead past the private-address check.
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            http_allow_private: config.http_allow_private,
            sealer: crypto::Sealer::new(&key),
            meta_app_secret: config
                .meta_app_secret
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(Into::into),
            meta_verify_token: config
                .meta_verify_token
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(Into::into),
            graph_url: config.meta_graph_url.trim_end_matches('/').into(),
            max_event_age_ms: config.max_event_age_secs.saturating_mul(1000),
            account_rate: Arc::new(ratelimit::Buckets::new(
                config.send_rate,
                config.send_rate.max(1.0),
            )),
            // About one message per six seconds, bursts up to 45 (platforms.md §6).
            pair_rate: Arc::new(ratelimit::Buckets::new(
                config.pair_rate_per_min / 60.0,
                45.0,
            )),
            retry_base_ms: config.retry_base_ms.max(1),
            send_timeout: sender::CALL_TIMEOUT,
        })
    }
}

/// The most any route may accept in a request body, unless
/// `BOTME_MAX_BODY_BYTES` is set higher.
///
/// Body limits come in two tiers:
/// - Every request, however its handler reads the body (extractors, server
///   functions, a raw stream), is cut off at this ceiling by tower-http's
///   `RequestBodyLimitLayer` around the whole router.
/// - Below it, axum's `DefaultBodyLimit` sets each route's own limit:
///   `BOTME_MAX_BODY_BYTES` for all, raised for one route by layering
///   `DefaultBodyLimit::max(n)` onto that route (flow drafts, CSV imports,
///   webhooks do; see `api::routes`, `forms::routes`, `pages::routes`).
///   Leptos server functions read their bodies through it too.
///
/// The ceiling in force is the largest of this, the webhooks' limit and
/// `BOTME_MAX_BODY_BYTES`; any other route that needs more must raise it
/// here as well.
pub const BODY_CEILING_BYTES: usize = 4 * 1024 * 1024;

/// Refuses a body whose declared length is over `ceiling` before anything
/// reads it, with the API's JSON error (tower-http's own answer is plain
/// text). Bodies without a length are cut off as they arrive.
async fn refuse_declared_oversize(
    ceiling: usize,
    req: axum::extract::Request,
    next: Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > ceiling as u64) {
        return extract::too_large().into_response();
    }
    next.run(req).await
}

/// The whole application. Tests call this and drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let ceiling = BODY_CEILING_BYTES
        .max(webhooks::MAX_WEBHOOK_BYTES)
        .max(state.max_body_bytes);
    let sessions = SessionManagerLayer::new(SessionStoreImpl::new(state.store.clone()))
        .with_name("botme_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));

    // Everything that knows who is asking: pages, forms, server functions
    // and the REST API.
    let app = Router::new()
        .nest("/api/v1", api::routes())
        .merge(forms::routes())
        .merge(pages::routes(&state))
        .layer(from_fn(pages::guard))
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn_with_state(state.clone(), auth::check_origin))
        .layer(sessions);

    let pkg_cache = HeaderValue::from_static(if state.leptos.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=0, must-revalidate"
    });
    let pkg = tower::ServiceBuilder::new()
        .map_response(move |mut res: axum::response::Response<_>| {
            // Only a file found may be cached; a 404 must not stick for a
            // year once the file appears.
            let found = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
            let value = if found {
                pkg_cache.clone()
            } else {
                HeaderValue::from_static("no-store")
            };
            res.headers_mut().insert(header::CACHE_CONTROL, value);
            res
        })
        .service(ServeDir::new(
            std::path::Path::new(&*state.leptos.site_root).join("pkg"),
        ));

    Router::new()
        .merge(webhooks::routes())
        .merge(webchat::routes(&state))
        .route("/healthz", axum::routing::get(ops::healthz))
        .route("/metrics", axum::routing::get(ops::metrics))
        .route("/o/{token}", axum::routing::get(order_page::show))
        .nest_service("/pkg", pkg)
        .merge(app)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .route_layer(from_fn(ops::track_metrics))
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(ceiling))
        .layer(from_fn(move |req: axum::extract::Request, next: Next| {
            refuse_declared_oversize(ceiling, req, next)
        }))
        .layer(CompressionLayer::new())
        .layer(ops::trace_layer())
        .with_state(state)
}

/// Connects, migrates, binds and serves until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database at {}", redact(&config.database_url)))?;
    let state = AppState::new(&config, store.clone())?;
    ops::spawn_housekeeping(store.clone());
    runner::spawn_announcements(state.clone());
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

/// Starts the background workers: work claims, the inbox pipeline, the
/// senders and the HTTP-step worker.
pub fn spawn_workers(state: &AppState) {
    claims::spawn(state.clone());
    pipeline::spawn(state.clone());
    sender::spawn(state.clone());
    http_calls::spawn(state.clone());
}

/// Serves `app` on `listener` with TCP_NODELAY until a shutdown signal.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> anyhow::Result<()> {
    axum::serve(
        with_nodelay(listener),
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(ops::shutdown_signal())
    .await
    .context("serving")
}

/// `listener`, setting TCP_NODELAY on every socket it accepts. Without it,
/// Nagle's algorithm meets delayed ACKs and small responses wait ~40 ms
/// each.
pub fn with_nodelay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn nodelay(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    }
    listener.tap_io(nodelay as fn(&mut tokio::net::TcpStream))
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

//! [`AppState`]: what request handlers share, built once from the
//! configuration. Only the HTTP layer and the services take it; the engine's
//! workers are started with the parts they use (see [`crate::engine`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::auth::{LoginThrottle, Passwords};
use crate::config::Config;
use crate::crypto::Sealer;
use crate::engine::ratelimit::Buckets;
use crate::engine::{Engine, Workers, http_steps, pipeline, sender};
use crate::store::Store;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Leptos settings: where the site bundle is.
    pub leptos: LeptosOptions,
    /// Password hashing.
    pub passwords: Passwords,
    /// Failed-login limits.
    pub throttle: Arc<LoginThrottle>,
    /// The origin browsers reach the server at, for the Origin check.
    pub public_url: Arc<str>,
    /// Whether cookies carry the Secure flag.
    pub secure_cookies: bool,
    /// The 32-byte server key.
    pub secret_key: Arc<[u8; 32]>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Applies conversation events, wakes the workers, serves live streams.
    pub engine: Engine,
    /// The background workers' settings.
    pub workers: Workers,
    /// Seals channel access tokens with the server key.
    pub sealer: Sealer,
    /// Meta app secret: verifies webhook signatures.
    pub meta_app_secret: Option<Arc<str>>,
    /// The verify token of Meta's webhook handshake.
    pub meta_verify_token: Option<Arc<str>>,
    /// The bearer token `/metrics` asks for, if any.
    pub metrics_token: Option<Arc<str>>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    /// Sign-ups per client address.
    pub signups: Arc<crate::engine::ratelimit::Buckets>,
    /// The web chat's abuse limits.
    pub webchat: Arc<WebChatLimits>,
}

/// How much one client address, and one widget, may ask of the web chat.
/// Over a limit a request gets 429 with `Retry-After`, and nothing of it
/// is stored.
pub struct WebChatLimits {
    /// New visitors per client address: 20 at once, then one every 30 s.
    pub visitors_per_ip: Buckets,
    /// New visitors per widget: 500 at once, then 20 a second (72,000 new
    /// chats an hour), so many addresses cannot fill the database either.
    pub visitors_per_widget: Buckets,
    /// Messages per client address: 30 at once, then 2 a second (people
    /// type slower; a shared office address still fits).
    pub messages_per_ip: Buckets,
    /// Messages per widget: 2,000 at once, then 200 a second.
    pub messages_per_widget: Buckets,
    /// Live streams open per visitor (a few tabs), and how many are open.
    pub streams_per_visitor: usize,
    /// Open live streams by visitor.
    pub streams: std::sync::Mutex<std::collections::HashMap<i64, usize>>,
}

impl WebChatLimits {
    /// Counts a live stream of `visitor` for as long as the guard lives, or
    /// `None` when the visitor has as many open as allowed.
    pub fn open_stream(self: &Arc<Self>, visitor: i64) -> Option<StreamSlot> {
        let mut open = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(visitor).or_default();
        if *n >= self.streams_per_visitor {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            limits: self.clone(),
            visitor,
        })
    }
}

/// One open live stream of a visitor; see [`WebChatLimits::open_stream`].
pub struct StreamSlot {
    limits: Arc<WebChatLimits>,
    visitor: i64,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self
            .limits
            .streams
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.visitor) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.visitor);
            }
        }
    }
}

impl Default for WebChatLimits {
    fn default() -> Self {
        WebChatLimits {
            visitors_per_ip: Buckets::new(1.0 / 30.0, 20.0),
            visitors_per_widget: Buckets::new(20.0, 500.0),
            messages_per_ip: Buckets::new(2.0, 30.0),
            messages_per_widget: Buckets::new(200.0, 2000.0),
            streams_per_visitor: 5,
            streams: Default::default(),
        }
    }
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
        let key = config.load_secret_key()?;
        let http = crate::engine::client_builder().build()?;
        Ok(AppState {
            store: store.clone(),
            leptos: leptos_options(config),
            passwords: Passwords::new()?,
            throttle: Arc::new(LoginThrottle::new(5, 50, Duration::from_secs(15 * 60))),
            secure_cookies: public_url.starts_with("https://"),
            engine: Engine::new(store, public_url.as_str().into()),
            workers: workers(config, http),
            public_url: public_url.into(),
            secret_key: Arc::new(key),
            max_body_bytes: config.max_body_bytes,
            sealer: Sealer::new(&key),
            meta_app_secret: non_empty(config.meta_app_secret.as_deref()),
            meta_verify_token: non_empty(config.meta_verify_token.as_deref()),
            metrics_token: non_empty(config.metrics_token.as_deref()),
            trusted_proxies: config.trusted_proxy_networks()?.into(),
            webchat: Arc::default(),
            // By default five at once, then one every twelve minutes.
            signups: Arc::new(crate::engine::ratelimit::Buckets::new(
                config.signups_per_hour / 3600.0,
                config.signups_per_hour,
            )),
        })
    }
}

fn non_empty(s: Option<&str>) -> Option<Arc<str>> {
    s.filter(|s| !s.is_empty()).map(Into::into)
}

/// Where the site bundle is, and whether its files are fingerprinted.
fn leptos_options(config: &Config) -> LeptosOptions {
    // cargo-leptos writes hash.txt beside the server binary when it
    // fingerprints the bundle; use hashed names exactly when it did.
    let hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")))
        .is_some_and(|p| p.exists());
    LeptosOptions::builder()
        .output_name("botme")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .hash_files(hash_files)
        .build()
}

/// The workers' settings from the configuration.
fn workers(config: &Config, http: reqwest::Client) -> Workers {
    Workers {
        pipeline: pipeline::Settings {
            max_event_age_ms: config.max_event_age_secs.saturating_mul(1000),
        },
        sender: sender::Settings {
            http,
            graph_url: config.meta_graph_url.trim_end_matches('/').into(),
            account_rate: Arc::new(Buckets::new(config.send_rate, config.send_rate.max(1.0))),
            // About one message per six seconds, bursts up to 45 (platforms.md §6).
            pair_rate: Arc::new(Buckets::new(config.pair_rate_per_min / 60.0, 45.0)),
            retry_base_ms: config.retry_base_ms.max(1),
            timeout: sender::CALL_TIMEOUT,
            echo_wait: std::time::Duration::from_millis(config.echo_wait_ms),
        },
        http_steps: http_steps::Settings {
            allow_private: config.http_allow_private,
        },
    }
}

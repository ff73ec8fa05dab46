//! Configuration: every setting is an environment variable and the CLI flag of
//! the same name, documented by `server --help`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use clap::Parser;

/// Meta's Graph API, at the version Botme is written against.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v25.0";

/// Botme: a visual chatbot builder for conversational commerce.
///
/// Serves the merchant dashboard, the REST API, the channel webhooks and the
/// web-chat widget from one process.
#[derive(Debug, Clone, Parser)]
#[command(name = "server", version, about, long_about = None)]
pub struct Config {
    /// Database connection string: `sqlite://path/to/file.db` (created on
    /// first run) or `postgres://user:password@host:port/database`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/botme.db")]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub site_addr: SocketAddr,

    /// Directory holding the built site (the `pkg/` bundle and static assets),
    /// as produced by `cargo leptos build`.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// 32-byte server key, as 64 hex characters or base64. It encrypts channel
    /// access tokens at rest. When unset, a key is generated once into
    /// `<BOTME_DATA_DIR>/secret.key` and reused.
    #[arg(long, env = "BOTME_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Directory for files the server creates: the generated secret key.
    #[arg(long, env = "BOTME_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// The address shoppers and Meta reach this server at, such as
    /// `https://bots.example.com`. Used in webhook URLs and links; when it is
    /// https, cookies are marked Secure. Defaults to `http://<LEPTOS_SITE_ADDR>`.
    #[arg(long, env = "BOTME_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Meta app secret; verifies `X-Hub-Signature-256` on webhooks.
    #[arg(long, env = "META_APP_SECRET", hide_env_values = true)]
    pub meta_app_secret: Option<String>,

    /// The verify token you type into Meta's webhook settings.
    #[arg(long, env = "META_VERIFY_TOKEN", hide_env_values = true)]
    pub meta_verify_token: Option<String>,

    /// Base URL of Meta's Graph API (tests point it at a local fake).
    #[arg(long, env = "META_GRAPH_URL", default_value = DEFAULT_GRAPH_URL)]
    pub meta_graph_url: String,

    /// Events older than this many seconds (a backlog Meta replays after an
    /// outage) are recorded but not answered.
    #[arg(long, env = "BOTME_MAX_EVENT_AGE_SECS", default_value_t = 6 * 60 * 60)]
    pub max_event_age_secs: i64,

    /// Calls per second to Meta per Facebook page or WhatsApp number.
    #[arg(long, env = "BOTME_SEND_RATE", default_value_t = 50.0)]
    pub send_rate: f64,

    /// Messages per minute to one WhatsApp user (Meta's pair rate; bursts
    /// of up to 45 are allowed).
    #[arg(long, env = "BOTME_PAIR_RATE_PER_MIN", default_value_t = 10.0)]
    pub pair_rate_per_min: f64,

    /// First retry delay for failed sends, in milliseconds; it doubles with
    /// each attempt (with jitter), up to five minutes.
    #[arg(long, env = "BOTME_RETRY_BASE_MS", default_value_t = 1000)]
    pub retry_base_ms: i64,

    /// After a send to Meta fails ambiguously (a timeout or a 5xx, when Meta
    /// may have taken the message), how long to wait for its echo or status
    /// before sending it again, in milliseconds.
    #[arg(long, env = "BOTME_ECHO_WAIT_MS", default_value_t = 30_000)]
    pub echo_wait_ms: u64,

    /// Run the background workers (inbox, senders, HTTP steps). Turning them
    /// off lets webhooks be acknowledged and stored without being processed,
    /// for maintenance.
    #[arg(long, env = "BOTME_WORKERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub workers: bool,

    /// Let flows' HTTP steps call private and loopback addresses (for local
    /// development and tests; keep off in production).
    #[arg(long, env = "BOTME_HTTP_ALLOW_PRIVATE", default_value_t = false)]
    pub http_allow_private: bool,

    /// When set, `/metrics` answers only requests that carry
    /// `Authorization: Bearer <this token>` (401 otherwise). Leave it unset
    /// when only a private network reaches the server.
    #[arg(long, env = "BOTME_METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Reverse proxies in front of the server, as addresses or networks
    /// (`10.0.0.0/8,192.0.2.7`). Only for a request from one of them is
    /// the client's address read from `X-Forwarded-For` (for the sign-up
    /// and login limits); otherwise anyone could claim any address. Empty:
    /// the peer's address is the client's.
    #[arg(long, env = "BOTME_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Accounts one client address may create an hour (and at once). Raise
    /// it for a test suite that signs up from one address.
    #[arg(long, env = "BOTME_SIGNUPS_PER_HOUR", default_value_t = 5.0)]
    pub signups_per_hour: f64,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "BOTME_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Log filter, in `tracing` syntax (`info`, `server=debug,sqlx=warn`).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log: String,
}

impl Config {
    /// [`Config::trusted_proxies`] as networks; a plain address is a
    /// network of one.
    pub fn trusted_proxy_networks(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|raw| raw.trim())
            .filter(|raw| !raw.is_empty())
            .map(|raw| {
                raw.parse::<ipnet::IpNet>()
                    .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "BOTME_TRUSTED_PROXIES: “{raw}” is not an address or a network like 10.0.0.0/8"
                        )
                    })
            })
            .collect()
    }

    /// The public base URL without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.site_addr),
        }
    }

    /// Whether cookies must carry the Secure flag.
    pub fn secure_cookies(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    /// The server key: from `BOTME_SECRET_KEY`, else read from or generated
    /// into the data directory.
    pub fn load_secret_key(&self) -> anyhow::Result<[u8; 32]> {
        match &self.secret_key {
            Some(raw) => parse_key(raw).context("BOTME_SECRET_KEY"),
            None => key_from_file(&self.data_dir.join("secret.key")),
        }
    }
}

/// Parses 32 bytes given as 64 hex characters or as base64.
pub fn parse_key(raw: &str) -> anyhow::Result<[u8; 32]> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(raw)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw))
            .context("the key is neither 64 hex characters nor base64")?
    };
    match <[u8; 32]>::try_from(bytes.as_slice()) {
        Ok(key) => Ok(key),
        Err(_) => bail!("the key must be exactly 32 bytes, got {}", bytes.len()),
    }
}

fn key_from_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    if path.exists() {
        let raw =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return parse_key(&raw).with_context(|| format!("the key in {}", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key: [u8; 32] = rand::random();
    write_private(path, &hex::encode(key))?;
    tracing::info!(path = %path.display(), "generated a new server key");
    Ok(key)
}

/// Writes a file only its owner can read, failing if it already exists so a
/// concurrent start cannot overwrite a key in use.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_hex_and_base64() {
        let hex_key = "00".repeat(31) + "ff";
        assert_eq!(parse_key(&hex_key).unwrap()[31], 0xff);
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(parse_key(&b64).unwrap(), [7u8; 32]);
        assert!(parse_key("abc").is_err());
        assert!(parse_key(&"00".repeat(16)).is_err());
    }

    #[test]
    fn a_generated_key_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/secret.key");
        let first = key_from_file(&path).unwrap();
        let second = key_from_file(&path).unwrap();
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn every_setting_is_documented_in_help() {
        use clap::CommandFactory;
        let help = Config::command().render_long_help().to_string();
        for var in [
            "DATABASE_URL",
            "LEPTOS_SITE_ADDR",
            "LEPTOS_SITE_ROOT",
            "BOTME_SECRET_KEY",
            "BOTME_DATA_DIR",
            "BOTME_PUBLIC_URL",
            "META_APP_SECRET",
            "META_VERIFY_TOKEN",
            "META_GRAPH_URL",
            "BOTME_MAX_BODY_BYTES",
            "BOTME_HTTP_ALLOW_PRIVATE",
            "BOTME_MAX_EVENT_AGE_SECS",
            "BOTME_SEND_RATE",
            "BOTME_PAIR_RATE_PER_MIN",
            "BOTME_RETRY_BASE_MS",
            "BOTME_ECHO_WAIT_MS",
            "BOTME_WORKERS",
            "BOTME_TRUSTED_PROXIES",
            "BOTME_SIGNUPS_PER_HOUR",
            "RUST_LOG",
        ] {
            assert!(help.contains(var), "{var} missing from --help");
        }
    }
}

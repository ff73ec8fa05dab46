//! The real `server` binary under test: started on a database (a fresh
//! SQLite file or a fresh PostgreSQL database), killed with SIGKILL and
//! started again on the same port and data; and the throwaway PostgreSQL
//! server of `with-postgres.sh`, restarted on demand.

use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A server process and what outlives its restarts.
pub struct Rig {
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub base: String,
    port: u16,
    graph: String,
    pub http: reqwest::Client,
    child: Mutex<Option<Child>>,
    /// The owner's API token, once set up.
    pub token: String,
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

impl Rig {
    /// A rig on SQLite in a fresh folder, or on `database_url`.
    pub fn new(graph: &str, database_url: Option<String>) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let database_url =
            database_url.unwrap_or_else(|| format!("sqlite://{}/botme.db", dir.path().display()));
        Rig {
            database_url,
            port,
            base: format!("http://127.0.0.1:{port}"),
            graph: graph.to_string(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            child: Mutex::new(None),
            dir,
            token: String::new(),
        }
    }

    /// Starts the server and waits until it answers.
    pub async fn start(&self) {
        let dir = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATABASE_URL", &self.database_url)
            .env("BOTME_DATA_DIR", dir)
            .env("BOTME_SECRET_KEY", "11".repeat(32))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("META_APP_SECRET", super::APP_SECRET)
            .env("META_GRAPH_URL", &self.graph)
            // Ten attempts then span about three minutes (the default's
            // second makes it fifteen): longer than any outage injected.
            .env("BOTME_RETRY_BASE_MS", "200")
            // After an ambiguous failure, how long to wait for Meta's echo
            // before sending again (the fake echoes within milliseconds).
            .env("BOTME_ECHO_WAIT_MS", "3000")
            .env("BOTME_SEND_RATE", "100000")
            .env("BOTME_PAIR_RATE_PER_MIN", "1000000")
            .env("BOTME_SIGNUPS_PER_HOUR", "1000")
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        *self.child.lock().unwrap() = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let health = format!("{}/healthz", self.base);
        loop {
            if let Ok(r) = self.http.get(&health).send().await
                && r.status().is_success()
            {
                return;
            }
            if let Some(c) = self.child.lock().unwrap().as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("the server exited ({status}): {}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start: {}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the server with SIGKILL and reaps it.
    pub fn kill9(&self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The server's last warnings, without colours.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let mut plain = String::with_capacity(log.len());
        let mut chars = log.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // An ANSI colour: ESC [ … m.
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        let lines: Vec<&str> = plain
            .lines()
            .filter(|l| !l.contains("acquired connection") && !l.contains("on-release"))
            .collect();
        lines[lines.len().saturating_sub(6)..].join("\n        ")
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}/api/v1{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.json(&body).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Signs up, adds one product without a stock limit, publishes the
    /// `shop` template and connects the Messenger page to it.
    pub async fn set_up_shop(&mut self) {
        let (status, signup) = self
            .post(
                "/signup",
                None,
                json!({"email": "faults@example.com", "password": "correct horse battery staple", "workspace": "Faults"}),
            )
            .await;
        assert_eq!(status, 201, "{signup}");
        self.token = signup["token"].as_str().unwrap().to_string();
        let t = Some(self.token.as_str());
        let (status, body) = self
            .post(
                "/products",
                t,
                json!({"sku": super::SKU, "name": "Socks", "price": "9", "stock": null}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, bot) = self
            .post("/bots", t, json!({"name": "Shop", "template": "shop"}))
            .await;
        assert_eq!(status, 201, "{bot}");
        let bot = bot["id"].as_i64().unwrap();
        let (status, body) = self
            .post(&format!("/bots/{bot}/publish"), t, json!({}))
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = self
            .post(
                "/channels",
                t,
                json!({"kind": "messenger", "bot_id": bot, "page_id": super::PAGE, "access_token": "EAAB-faults-token"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

/// A fresh database on the throwaway PostgreSQL server, when there is one.
pub async fn pg_database(name: &str) -> Option<String> {
    use sqlx::Connection;
    let admin = std::env::var("BOTME_TEST_PG_URL").ok()?;
    let db = format!("botme_faults_{name}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute(&mut conn)
        .await
        .ok()?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut conn)
        .await
        .ok()?;
    let (server, _) = admin.rsplit_once('/')?;
    Some(format!("{server}/{db}"))
}

/// How to restart the throwaway PostgreSQL server: its data folder and
/// `pg_ctl`, as `with-postgres.sh` exports them.
pub fn pg_control() -> Option<(String, String)> {
    let data = std::env::var("BOTME_TEST_PG_DATA").ok()?;
    let ctl = std::env::var("BOTME_TEST_PG_CTL").ok()?;
    Some((data, ctl))
}

/// Restarts PostgreSQL (`pg_ctl restart -m fast`: every connection is
/// cut, the server is down for a moment) and waits until it is back.
pub fn pg_restart((data, ctl): &(String, String)) -> Duration {
    let started = Instant::now();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", ctl.as_str()]);
        c
    } else {
        Command::new(ctl)
    };
    let status = cmd
        .args(["-D", data, "-m", "fast", "-w", "-t", "60", "restart"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctl restart failed: {status}");
    started.elapsed()
}

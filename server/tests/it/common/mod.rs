//! Test helpers: fresh databases on both backends, the application built by
//! `server::router`, and a small HTTP client with a cookie jar that drives
//! it without a socket.

pub mod meta;
pub mod process;
pub mod webchat;

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use server::store::Store;
use server::{AppState, Config};
use tower::ServiceExt;

/// Runs each named `async fn(db: Db)` as two tests, `sqlite::name` and
/// `postgres::name`, so a case cannot be added for one backend only.
///
/// ```ignore
/// on_both_dbs!(products_crud, csv_import_is_all_or_nothing);
/// on_both_dbs!(multi_thread: a_shopper_buys, a_replay_places_one_order);
/// ```
///
/// Plain cases run on tokio's default current-thread test runtime; after
/// `multi_thread:` they get two worker threads, for the cases whose
/// background workers (sender, runner, claims) must run beside the test.
/// Invoke it once per module: it declares the `sqlite` and `postgres`
/// modules.
macro_rules! on_both_dbs {
    (multi_thread: $($name:ident),* $(,)?) => {
        $crate::common::on_both_dbs!(
            @tests [tokio::test(flavor = "multi_thread", worker_threads = 2)] $($name),*
        );
    };
    (@tests [$test:meta] $($name:ident),*) => {
        mod sqlite {
            $(
                #[$test]
                async fn $name() {
                    super::$name($crate::common::Db::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[$test]
                async fn $name() {
                    super::$name($crate::common::Db::Postgres).await;
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::common::on_both_dbs!(@tests [tokio::test] $($name),*);
    };
}
pub(crate) use on_both_dbs;

/// Serves `app` on a free local port until the test ends; its address.
pub async fn serve_local(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Milliseconds since the Unix epoch, as the platforms stamp their events.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as i64
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The admin URL of the throwaway PostgreSQL server `make test` starts.
fn pg_admin_url() -> String {
    std::env::var("BOTME_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "BOTME_TEST_PG_URL is not set. Run `make test`, or run the tests as \
             `server/tests/support/with-postgres.sh cargo test`, which starts a \
             throwaway PostgreSQL server."
        )
    })
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    /// A fresh, migrated database.
    pub async fn new(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/botme.db", dir.path().display());
                let store = Store::connect(&url).await.expect("sqlite store");
                TestDb {
                    store,
                    url,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                let admin = pg_admin_url();
                let name = format!(
                    "botme_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand_suffix()
                );
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .expect("connect to the throwaway PostgreSQL");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let url = match admin.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => panic!("BOTME_TEST_PG_URL has no database part"),
                };
                let store = Store::connect(&url).await.expect("postgres store");
                TestDb {
                    store,
                    url,
                    _dir: None,
                }
            }
        }
    }
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    nanos % 100_000
}

/// The application over a fresh database.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: TestDb,
    _data: tempfile::TempDir,
}

/// Configuration as a test server would get it.
pub fn test_config(database_url: &str, data_dir: &std::path::Path) -> Config {
    test_config_with(database_url, data_dir, &[])
}

/// Test configuration with more flags. (Not `Config::update_from`: that
/// puts every other setting back to its default.)
pub fn test_config_with(database_url: &str, data_dir: &std::path::Path, extra: &[&str]) -> Config {
    use clap::Parser;
    let data_dir = data_dir.display().to_string();
    let base = [
        "server",
        "--database-url",
        database_url,
        "--data-dir",
        &data_dir,
        "--site-addr",
        "127.0.0.1:3000",
        "--max-body-bytes",
        "65536",
    ];
    Config::parse_from(base.iter().chain(extra))
}

impl TestApp {
    /// An app that serves the site bundle (`pkg/`) from `site_root`, with
    /// fingerprinted file names (cached for a year) when `hash_files`.
    pub async fn with_site(db: Db, site_root: &std::path::Path, hash_files: bool) -> TestApp {
        let db = TestDb::new(db).await;
        let data = tempfile::tempdir().expect("temp dir");
        let site_root = site_root.display().to_string();
        let config = test_config_with(&db.url, data.path(), &["--site-root", &site_root]);
        let mut state = AppState::new(&config, db.store.clone()).expect("state");
        state.leptos.hash_files = hash_files;
        TestApp {
            router: server::router(state.clone()),
            state,
            db,
            _data: data,
        }
    }

    pub async fn new(db: Db) -> TestApp {
        let db = TestDb::new(db).await;
        let data = tempfile::tempdir().expect("temp dir");
        let config = test_config(&db.url, data.path());
        let state = AppState::new(&config, db.store.clone()).expect("state");
        TestApp {
            router: server::router(state.clone()),
            state,
            db,
            _data: data,
        }
    }

    pub async fn sqlite() -> TestApp {
        TestApp::new(Db::Sqlite).await
    }

    /// Posts JSON `body` to `path` as a connection from `peer` would, with
    /// an `X-Forwarded-For` and a bearer token when given.
    pub async fn post_from_peer(
        &self,
        path: &str,
        peer: &str,
        forwarded: Option<&str>,
        bearer: Option<&str>,
        body: Value,
    ) -> axum::http::Response<axum::body::Body> {
        use tower::ServiceExt;
        let addr: std::net::SocketAddr = format!("{peer}:40000").parse().expect("peer address");
        let mut req = axum::http::Request::builder()
            .method(axum::http::Method::POST)
            .uri(path)
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .extension(axum::extract::ConnectInfo(addr));
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        if let Some(t) = bearer {
            req = req.header(axum::http::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.router
            .clone()
            .oneshot(
                req.body(axum::body::Body::from(body.to_string()))
                    .expect("request"),
            )
            .await
            .expect("response")
    }

    /// An app that checks channel tokens with `fake` but runs no workers,
    /// for tests that stage the queues themselves.
    pub async fn with_graph(db: Db, fake: &meta::FakeGraph) -> TestApp {
        let mut app = TestApp::new(db).await;
        app.state.workers.sender.graph_url = fake.url.as_str().into();
        app.router = server::router(app.state.clone());
        app
    }

    /// An app whose channels talk to `fake`, with webhook secrets set, quick
    /// retries, and the workers running.
    pub async fn with_meta(db: Db, fake: &meta::FakeGraph) -> TestApp {
        TestApp::with_meta_tuned(db, fake, |_| {}).await
    }

    /// [`TestApp::with_meta`], with `tune` changing the state (rates,
    /// timeouts) before the workers start.
    pub async fn with_meta_tuned(
        db: Db,
        fake: &meta::FakeGraph,
        tune: impl FnOnce(&mut AppState),
    ) -> TestApp {
        let mut app = TestApp::new(db).await;
        app.state.workers.sender.graph_url = fake.url.as_str().into();
        app.state.meta_app_secret = Some(meta::APP_SECRET.into());
        app.state.meta_verify_token = Some(meta::VERIFY_TOKEN.into());
        app.state.workers.sender.retry_base_ms = 20;
        app.state.workers.sender.echo_wait = std::time::Duration::from_millis(200);
        app.state.workers.sender.account_rate =
            std::sync::Arc::new(server::engine::ratelimit::Buckets::new(1000.0, 1000.0));
        tune(&mut app.state);
        app.router = server::router(app.state.clone());
        server::spawn_workers(&app.state);
        server::engine::live::spawn_announcements(app.state.engine.clone());
        app
    }

    /// Another server instance on the same database (PostgreSQL), set up
    /// like this one, with or without its workers.
    pub async fn second_instance(&self, workers: bool) -> TestApp {
        let store = Store::connect(&self.db.url).await.expect("second store");
        let data = tempfile::tempdir().expect("temp dir");
        let config = test_config(&self.db.url, data.path());
        let mut state = AppState::new(&config, store.clone()).expect("state");
        // Instances share BOTME_SECRET_KEY, or one cannot read the channel
        // tokens another sealed.
        state.secret_key = self.state.secret_key.clone();
        state.sealer = self.state.sealer.clone();
        state.workers.sender.graph_url = self.state.workers.sender.graph_url.clone();
        state.meta_app_secret = self.state.meta_app_secret.clone();
        state.meta_verify_token = self.state.meta_verify_token.clone();
        state.workers.sender.retry_base_ms = self.state.workers.sender.retry_base_ms;
        state.workers.sender.echo_wait = self.state.workers.sender.echo_wait;
        state.workers.sender.account_rate =
            std::sync::Arc::new(server::engine::ratelimit::Buckets::new(1000.0, 1000.0));
        if workers {
            server::spawn_workers(&state);
        }
        server::engine::live::spawn_announcements(state.engine.clone());
        TestApp {
            router: server::router(state.clone()),
            state,
            db: TestDb {
                store,
                url: self.db.url.clone(),
                _dir: None,
            },
            _data: data,
        }
    }

    /// Signs and posts a webhook body as Meta would.
    pub async fn webhook(&self, kind: &str, body: &Value) -> TestResponse {
        let raw = serde_json::to_vec(body).expect("json");
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/webhooks/{kind}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                "x-hub-signature-256",
                server::http::webhooks::sign(meta::APP_SECRET, &raw),
            )
            .body(Body::from(raw))
            .expect("request");
        self.client().send(req).await
    }

    /// A WhatsApp text from `wa` to the test number, sent now.
    pub async fn wa_says(&self, wa: &str, id: &str, text: &str) -> TestResponse {
        let message = meta::wa_text(wa, id, now_ms() / 1000, text);
        self.webhook("whatsapp", &meta::whatsapp(meta::PHONE, wa, vec![message]))
            .await
    }

    /// A Messenger text from `psid` to the test page, sent now.
    pub async fn messenger_says(&self, psid: &str, mid: &str, text: &str) -> TestResponse {
        let event = meta::messenger_text(meta::PAGE, psid, mid, now_ms(), text);
        self.webhook("messenger", &event).await
    }

    /// A workspace with two products and the shop template published.
    /// Returns the owner's client, the workspace id and the bot id.
    pub async fn shop(&self, email: &str) -> (Client, i64, i64) {
        self.shop_named(email, "Shop", "Runner").await
    }

    /// [`TestApp::shop`] with the workspace and the RUN-1 product named.
    pub async fn shop_named(
        &self,
        email: &str,
        workspace: &str,
        runner: &str,
    ) -> (Client, i64, i64) {
        let (mut c, created) = self.signed_up(email, workspace).await;
        for (sku, name, price, stock) in [
            ("RUN-1", runner, "89.90", serde_json::json!(5)),
            ("SOCK-3", "Socks", "9", Value::Null),
        ] {
            let res = c
                .post_json(
                    "/api/v1/products",
                    serde_json::json!({"sku": sku, "name": name, "price": price, "stock": stock}),
                )
                .await;
            assert_eq!(res.status, StatusCode::CREATED);
        }
        let bot = c
            .new_bot(serde_json::json!({"name": "Shop", "template": "shop"}))
            .await;
        let res = c
            .post_json(
                &format!("/api/v1/bots/{bot}/publish"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED);
        (c, created["workspace_id"].as_i64().expect("ws"), bot)
    }

    /// Connects a web-chat channel for `bot` that `https://shop.example`
    /// may embed; returns its widget key.
    pub async fn web_channel(owner: &mut Client, bot: i64) -> String {
        let res = owner
            .post_json(
                "/api/v1/channels",
                serde_json::json!({"kind": "web", "bot_id": bot, "allowed_origins": ["https://shop.example"]}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED);
        res.json()["widget_key"]
            .as_str()
            .expect("widget key")
            .to_string()
    }

    /// One shopper's turns through a published shop flow, from "hi" to
    /// paying cash on delivery for SOCK, giving `name` at the checkout;
    /// returns what each turn did.
    pub async fn buy_socks(
        &self,
        (ws, bot): (i64, i64),
        (user, display_name): (&str, &str),
        name: &str,
    ) -> Vec<server::engine::Applied> {
        use app::flow::interpreter::Input;
        let text = |t: &str| Input::Text { text: t.into() };
        let inputs = [
            text("hi"),
            Input::Payload {
                payload: "b1|a|catalog|SOCK".into(),
            },
            text("Checkout"),
            text(name),
            text("1 Long Road, 12345 Town"),
            text("+1 650 555 1234"),
            text("yes"),
            text("cash"),
        ];
        let mut turns = Vec::new();
        for (i, input) in inputs.into_iter().enumerate() {
            let event = i.to_string();
            let turn = server::engine::Turn {
                workspace: server::store::WorkspaceId(ws),
                bot: server::store::BotId(bot),
                channel: app::channel::Channel::Web,
                user,
                display_name,
                event_id: &event,
                input,
            };
            turns.push(self.state.engine.apply(turn).await.expect("turn"));
        }
        turns
    }

    /// A client without cookies or token.
    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookie: None,
            bearer: None,
            origin: None,
        }
    }

    /// Signs up a new account through the API; returns a client signed in
    /// with its session cookie, and the signup answer.
    pub async fn signed_up(&self, email: &str, workspace: &str) -> (Client, Value) {
        let mut c = self.client();
        let res = c
            .post_json(
                "/api/v1/signup",
                serde_json::json!({"email": email, "password": PASSWORD, "workspace": workspace}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "signup: {}", res.text());
        let body = res.json();
        (c, body)
    }

    /// Counts the rows of a table, to check that nothing was written.
    pub async fn count(&self, table: &str) -> i64 {
        count(&self.db.store, table).await
    }
}

/// Counts the rows of a table.
pub async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

/// A password the sign-up rules accept.
pub const PASSWORD: &str = "correct horse battery staple";

/// A response, fully read.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `error.code` of an error body.
    #[track_caller]
    pub fn error_code(&self) -> String {
        let v = self.json();
        let code = v["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {v}"));
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without a message: {v}"
        );
        code.to_string()
    }

    /// Asserts the status and the `error.code` of an error answer.
    #[track_caller]
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.error_code(), code);
    }

    /// The `error.message` of an error body.
    #[track_caller]
    pub fn error_message(&self) -> String {
        let v = self.json();
        v["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {v}"))
            .to_string()
    }

    pub fn location(&self) -> Option<String> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// Drives the router like a browser or an API client would.
#[derive(Clone)]
pub struct Client {
    router: Router,
    pub cookie: Option<String>,
    pub bearer: Option<String>,
    pub origin: Option<String>,
}

impl Client {
    /// The same client authenticating with an API token instead.
    pub fn with_token(&self, token: &str) -> Client {
        Client {
            router: self.router.clone(),
            cookie: None,
            bearer: Some(token.to_string()),
            origin: None,
        }
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> TestResponse {
        if let Some(c) = &self.cookie {
            req.headers_mut()
                .insert(header::COOKIE, c.parse().expect("cookie header"));
        }
        if let Some(t) = &self.bearer {
            req.headers_mut().insert(
                header::AUTHORIZATION,
                format!("Bearer {t}").parse().expect("auth header"),
            );
        }
        if let Some(o) = &self.origin {
            req.headers_mut()
                .insert(header::ORIGIN, o.parse().expect("origin header"));
        }
        req.headers_mut()
            .entry(header::HOST)
            .or_insert("127.0.0.1:3000".parse().expect("host"));
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        for value in headers.get_all(header::SET_COOKIE) {
            let value = value.to_str().expect("cookie text");
            let pair = value.split(';').next().unwrap_or_default();
            if let Some(v) = pair.strip_prefix("botme_session=") {
                let expired = value.contains("Max-Age=0") || v.is_empty();
                self.cookie = (!expired).then(|| pair.to_string());
            }
        }
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> TestResponse {
        let mut b = Request::builder().method(method).uri(path);
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).expect("request")).await
    }

    /// A request with exactly this bearer token and origin (or none),
    /// whatever the client's own; its cookie still goes along.
    pub async fn request_with(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        origin: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let bearer = std::mem::replace(&mut self.bearer, token.map(str::to_string));
        let own_origin = std::mem::replace(&mut self.origin, origin.map(str::to_string));
        let res = self.request(method, path, body).await;
        self.bearer = bearer;
        self.origin = own_origin;
        res
    }

    /// Creates a bot through the API (`{"name": …}`, maybe a `template`);
    /// returns its id.
    pub async fn new_bot(&mut self, body: Value) -> i64 {
        self.post_json("/api/v1/bots", body).await.json()["id"]
            .as_i64()
            .expect("bot id")
    }

    /// Saves a bot's draft over `revision`.
    pub async fn put_draft(
        &mut self,
        bot: i64,
        revision: impl serde::Serialize,
        document: impl serde::Serialize,
    ) -> TestResponse {
        let body = serde_json::json!({"revision": revision, "document": document});
        self.request(
            Method::PUT,
            &format!("/api/v1/bots/{bot}/draft"),
            Some(body),
        )
        .await
    }

    /// Logs in through the API.
    pub async fn login(&mut self, email: &str, password: &str) -> TestResponse {
        let body = serde_json::json!({"email": email, "password": password});
        self.post_json("/api/v1/login", body).await
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.request(Method::GET, path, None).await
    }

    pub async fn delete(&mut self, path: &str) -> TestResponse {
        self.request(Method::DELETE, path, None).await
    }

    pub async fn post_json(&mut self, path: &str, body: Value) -> TestResponse {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn patch_json(&mut self, path: &str, body: Value) -> TestResponse {
        self.request(Method::PATCH, path, Some(body)).await
    }

    /// A raw body with a content type.
    pub async fn post_raw(
        &mut self,
        path: &str,
        content_type: &str,
        body: impl Into<Body>,
    ) -> TestResponse {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .expect("request");
        self.send(req).await
    }

    /// Submits an HTML form as a browser would.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.post_raw(path, "application/x-www-form-urlencoded", body)
            .await
    }
}

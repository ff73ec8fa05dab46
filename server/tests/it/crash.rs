//! A real `server` process killed with SIGKILL after acknowledging webhooks
//! and before processing them: after a restart every event is applied once,
//! answered once, and a late retry of one of them changes nothing. And one
//! killed in the middle of a call to Meta: the message in flight is sent
//! again after the restart (the platforms take no idempotency key), and no
//! other.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::meta::{self, FakeGraph, Fault};
use crate::common::process::{Running, free_port};
use serde_json::{Value, json};

/// A server's data folder, port and address, which outlive its restarts.
struct Rig {
    dir: tempfile::TempDir,
    port: u16,
    base: String,
    graph: String,
    http: reqwest::Client,
}

impl Rig {
    fn new(fake: &FakeGraph) -> Rig {
        fake.grant("EAAG-crash-token", "3000003", "Crash Shop");
        let port = free_port();
        Rig {
            dir: tempfile::tempdir().unwrap(),
            port,
            base: format!("http://127.0.0.1:{port}"),
            graph: fake.url.clone(),
            http: reqwest::Client::new(),
        }
    }

    /// Starts the server, with or without its workers, and waits until it
    /// answers.
    async fn start(&self, workers: bool) -> Running {
        self.start_with(workers, &[]).await
    }

    /// [`Rig::start`] with more settings, which override the defaults.
    async fn start_with(&self, workers: bool, settings: &[(&str, &str)]) -> Running {
        let dir = self.dir.path();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/botme.db", dir.display()),
            )
            .env("BOTME_DATA_DIR", dir)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("META_APP_SECRET", meta::APP_SECRET)
            .env("META_GRAPH_URL", &self.graph)
            .env("BOTME_WORKERS", if workers { "true" } else { "false" })
            .env("BOTME_RETRY_BASE_MS", "20")
            .env("BOTME_ECHO_WAIT_MS", "300")
            .env("BOTME_SEND_RATE", "1000")
            .env("RUST_LOG", "warn")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let health = format!("{}/healthz", self.base);
        while self.http.get(&health).send().await.is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Running(child)
    }

    /// Posts a signed "hi" from WhatsApp user `wa` to number 3000003;
    /// returns the status code.
    async fn hi(&self, wa: &str, id: &str, ts_secs: i64) -> u16 {
        post_hi(&self.http, &self.base, wa, id, ts_secs)
            .await
            .unwrap()
    }

    /// GETs an API path with the token; returns the JSON answer.
    async fn get(&self, path: &str, token: &str) -> Value {
        self.http
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Posts a signed "hi" from WhatsApp user `wa` to number 3000003 of the
/// server at `base`; the status code, or the error of a server that died.
async fn post_hi(
    http: &reqwest::Client,
    base: &str,
    wa: &str,
    id: &str,
    ts_secs: i64,
) -> reqwest::Result<u16> {
    let body = meta::whatsapp("3000003", wa, vec![meta::wa_text(wa, id, ts_secs, "hi")]);
    let raw = serde_json::to_vec(&body).unwrap();
    let res = http
        .post(format!("{base}/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            server::http::webhooks::sign(meta::APP_SECRET, &raw),
        )
        .body(raw)
        .send()
        .await?;
    Ok(res.status().as_u16())
}

/// Kills the server with SIGKILL and reaps it.
fn crash(mut server: Running) {
    server.kill().unwrap();
    server.wait().unwrap();
}

impl Rig {
    /// POSTs JSON to an API path, with the token when there is one.
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
        let mut req = self.http.post(format!("{}/api/v1{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.json(&body).send().await.unwrap()
    }

    /// Signs up, publishes the order-status bot and connects WhatsApp
    /// number 3000003 to it; returns the API token.
    async fn set_up_shop(&self) -> String {
        let signup = json!({"email": "m@example.com", "password": "correct horse battery staple", "workspace": "Shop"});
        let signup: Value = self
            .post("/signup", None, signup)
            .await
            .json()
            .await
            .unwrap();
        let token = signup["token"].as_str().unwrap().to_string();
        let t = Some(token.as_str());
        let bot = json!({"name": "Shop", "template": "order-status"});
        let bot: Value = self.post("/bots", t, bot).await.json().await.unwrap();
        let bot = bot["id"].as_i64().unwrap();
        let publish = format!("/bots/{bot}/publish");
        assert!(
            self.post(&publish, t, json!({}))
                .await
                .status()
                .is_success()
        );
        let channel = json!({"kind": "whatsapp", "bot_id": bot, "phone_number_id": "3000003", "access_token": "EAAG-crash-token"});
        let res = self.post("/channels", t, channel).await;
        assert_eq!(res.status().as_u16(), 201);
        token
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_acknowledgement_and_processing_loses_and_duplicates_nothing() {
    let fake = FakeGraph::start().await;
    let rig = Rig::new(&fake);

    // Workers off: events are acknowledged and stored, not processed.
    let server = rig.start(false).await;
    let token = rig.set_up_shop().await;

    let now = now_secs();
    let shoppers = ["15551110001", "15551110002", "15551110003"];
    for (i, wa) in shoppers.iter().enumerate() {
        assert_eq!(rig.hi(wa, &format!("wamid.crash{i}"), now).await, 200);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        fake.requests().is_empty(),
        "nothing processed before the crash"
    );

    crash(server);

    // Restart with workers on: everything acknowledged is applied, once.
    let mut server = rig.start(true).await;
    // The order-status template greets and answers: 3 messages per shopper.
    fake.wait_delivered(9, Duration::from_secs(20)).await;
    // Meta retries one of them after the restart.
    assert_eq!(rig.hi(shoppers[0], "wamid.crash0", now).await, 200);
    let sent = fake.settle(Duration::from_millis(700)).await;
    assert_eq!(
        sent.len(),
        9,
        "one reply set per shopper: {}",
        meta::said(&sent)
    );
    for wa in shoppers {
        assert_eq!(
            sent.iter().filter(|r| r.body["to"] == wa).count(),
            3,
            "{wa}"
        );
    }
    let convs = rig.get("/conversations", &token).await;
    assert_eq!(convs["conversations"].as_array().unwrap().len(), 3);

    // A graceful stop afterwards still works.
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_in_the_middle_of_a_send_resumes_with_that_message() {
    let fake = FakeGraph::start().await;
    // Meta takes the first call and does not answer before the crash.
    fake.inject([Fault::Hang(Duration::from_secs(30))]);
    let rig = Rig::new(&fake);

    let server = rig.start(true).await;
    let token = rig.set_up_shop().await;
    assert_eq!(
        rig.hi("15552220001", "wamid.midsend", now_secs()).await,
        200
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.requests().is_empty() {
        assert!(Instant::now() < deadline, "the send never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        fake.requests().len(),
        1,
        "the first message is stuck in flight"
    );

    crash(server); // mid-send

    let server = rig.start(true).await;
    let sent = fake.wait_delivered(3, Duration::from_secs(20)).await;
    let sent_again = fake.settle(Duration::from_millis(700)).await;
    assert_eq!(sent_again.len(), 3, "{}", meta::said(&sent_again));
    let all = fake.requests();
    assert_eq!(
        all.len(),
        4,
        "only the message in flight is repeated: {}",
        meta::said(&all)
    );
    assert_eq!(
        sent[0].body, all[0].body,
        "the interrupted message goes first, then the rest in order"
    );
    let convs = rig.get("/conversations", &token).await;
    let id = convs["conversations"][0]["id"].as_i64().unwrap();
    let detail = rig.get(&format!("/conversations/{id}"), &token).await;
    let out: Vec<&str> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "out")
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(out, ["sent", "sent", "sent"], "{detail}");
    crash(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_meta_took_before_a_crash_is_not_sent_again_once_its_status_comes() {
    let fake = FakeGraph::start().await;
    // Meta takes the first message; its answer never comes before the crash.
    fake.inject([Fault::AcceptThen(Box::new(Fault::Hang(
        Duration::from_secs(30),
    )))]);
    let rig = Rig::new(&fake);
    let server = rig.start(true).await;
    rig.set_up_shop().await;
    assert_eq!(rig.hi("15552220002", "wamid.taken", now_secs()).await, 200);
    let first = fake
        .wait_delivered(1, Duration::from_secs(20))
        .await
        .remove(0);
    crash(server);

    // Restarted, the message in flight waits for proof before going again;
    // Meta's `sent` status (retried until acknowledged) brings it.
    let server = rig
        .start_with(true, &[("BOTME_ECHO_WAIT_MS", "60000")])
        .await;
    let mut status = meta::wa_status("3000003", "wamid.OUT-TAKEN", "sent", now_secs());
    status["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] =
        first.body["biz_opaque_callback_data"].clone();
    let raw = serde_json::to_vec(&status).unwrap();
    let res = rig
        .http
        .post(format!("{}/webhooks/whatsapp", rig.base))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            server::http::webhooks::sign(meta::APP_SECRET, &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    fake.wait_delivered(3, Duration::from_secs(20)).await;
    let all = fake.settle(Duration::from_millis(700)).await;
    assert_eq!(
        fake.requests().len(),
        3,
        "the message Meta took went once: {}",
        meta::said(&all)
    );
    crash(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_during_group_commit_keeps_every_acknowledged_event_once() {
    let fake = FakeGraph::start().await;
    let rig = Rig::new(&fake);
    let server = rig.start(false).await;
    rig.set_up_shop().await;

    // Twenty senders deliver 200 events in a stream, so many group commits
    // are under way when the server is killed.
    let now = now_secs();
    let shopper = |n: usize| format!("1555333{n:04}");
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for s in 0..20 {
        let rig_http = rig.http.clone();
        let base = rig.base.clone();
        let acked = acked.clone();
        senders.push(tokio::spawn(async move {
            for i in 0..10 {
                let n = s * 10 + i;
                let wa = shopper(n);
                match post_hi(&rig_http, &base, &wa, &format!("wamid.gc{n}"), now).await {
                    Ok(200) => acked.lock().unwrap().push(n),
                    // Killed: this and the rest are not acknowledged.
                    _ => return,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 40 {
        assert!(Instant::now() < deadline, "no acknowledgements");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    crash(server);
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() < 200,
        "the kill came after every event was acknowledged"
    );

    // Every acknowledged event survived the kill.
    let url = format!("sqlite://{}/botme.db", rig.dir.path().display());
    let store = server::store::Store::connect(&url).await.unwrap();
    let stored: Vec<String> = sqlx::query_scalar("SELECT external_id FROM inbox")
        .fetch_all(store.pool())
        .await
        .unwrap();
    store.close().await;
    for n in &acked {
        assert!(
            stored.contains(&format!("wamid.gc{n}")),
            "acknowledged event {n} was lost"
        );
    }

    // Meta retries what was not acknowledged, and repeats a few that were.
    let server = rig.start(true).await;
    for n in (0..200)
        .filter(|n| !acked.contains(n))
        .chain(acked[..5].iter().copied())
    {
        assert_eq!(rig.hi(&shopper(n), &format!("wamid.gc{n}"), now).await, 200);
    }
    // The order-status template answers each shopper with 3 messages.
    fake.wait_delivered(600, Duration::from_secs(60)).await;
    let sent = fake.settle(Duration::from_millis(700)).await;
    assert_eq!(sent.len(), 600, "each event answered once");
    for n in 0..200 {
        let wa = shopper(n);
        assert_eq!(
            sent.iter().filter(|r| r.body["to"] == wa).count(),
            3,
            "{wa}"
        );
    }
    crash(server);
}

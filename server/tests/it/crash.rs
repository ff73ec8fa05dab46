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

fn start(dir: &std::path::Path, port: u16, graph: &str, workers: bool) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/botme.db", dir.display()),
        )
        .env("BOTME_DATA_DIR", dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("META_APP_SECRET", meta::APP_SECRET)
        .env("META_GRAPH_URL", graph)
        .env("BOTME_WORKERS", if workers { "true" } else { "false" })
        .env("BOTME_RETRY_BASE_MS", "20")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Running(child)
}

async fn wait_up(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post_webhook(http: &reqwest::Client, base: &str, body: &Value) -> u16 {
    let raw = serde_json::to_vec(body).unwrap();
    http.post(format!("{base}/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            server::http::webhooks::sign(meta::APP_SECRET, &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Signs up, publishes the order-status bot and connects WhatsApp number
/// 3000003 to it; returns the API token.
async fn set_up_shop(http: &reqwest::Client, base: &str) -> String {
    let signup: Value = http
        .post(format!("{base}/api/v1/signup"))
        .json(&json!({"email": "m@example.com", "password": "correct horse battery staple", "workspace": "Shop"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signup["token"].as_str().unwrap().to_string();
    let api = |path: &str| format!("{base}/api/v1{path}");
    let bot: Value = http
        .post(api("/bots"))
        .bearer_auth(&token)
        .json(&json!({"name": "Shop", "template": "order-status"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bot = bot["id"].as_i64().unwrap();
    assert!(
        http.post(api(&format!("/bots/{bot}/publish")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let res = http
        .post(api("/channels"))
        .bearer_auth(&token)
        .json(&json!({"kind": "whatsapp", "bot_id": bot, "phone_number_id": "3000003", "access_token": "EAAG-crash-token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    token
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
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // Workers off: events are acknowledged and stored, not processed.
    let mut server = start(dir.path(), port, &fake.url, false);
    wait_up(&http, &base).await;
    let token = set_up_shop(&http, &base).await;
    let api = |path: &str| format!("{base}/api/v1{path}");

    let now = now_secs();
    let shoppers = ["15551110001", "15551110002", "15551110003"];
    for (i, wa) in shoppers.iter().enumerate() {
        let body = meta::whatsapp(
            "3000003",
            wa,
            vec![meta::wa_text(wa, &format!("wamid.crash{i}"), now, "hi")],
        );
        assert_eq!(post_webhook(&http, &base, &body).await, 200);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        fake.requests().is_empty(),
        "nothing processed before the crash"
    );

    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();

    // Restart with workers on: everything acknowledged is applied, once.
    let mut server = start(dir.path(), port, &fake.url, true);
    wait_up(&http, &base).await;
    // The order-status template greets and answers: 3 messages per shopper.
    fake.wait_delivered(9, Duration::from_secs(20)).await;
    // Meta retries one of them after the restart.
    let again = meta::whatsapp(
        "3000003",
        shoppers[0],
        vec![meta::wa_text(shoppers[0], "wamid.crash0", now, "hi")],
    );
    assert_eq!(post_webhook(&http, &base, &again).await, 200);
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
    let convs: Value = http
        .get(api("/conversations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let mut server = start(dir.path(), port, &fake.url, true);
    wait_up(&http, &base).await;
    let token = set_up_shop(&http, &base).await;
    let wa = "15552220001";
    let body = meta::whatsapp(
        "3000003",
        wa,
        vec![meta::wa_text(wa, "wamid.midsend", now_secs(), "hi")],
    );
    assert_eq!(post_webhook(&http, &base, &body).await, 200);
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

    server.kill().unwrap(); // SIGKILL, mid-send
    server.wait().unwrap();

    let mut server = start(dir.path(), port, &fake.url, true);
    wait_up(&http, &base).await;
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
    let convs: Value = http
        .get(format!("{base}/api/v1/conversations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = convs["conversations"][0]["id"].as_i64().unwrap();
    let detail: Value = http
        .get(format!("{base}/api/v1/conversations/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let out: Vec<&str> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "out")
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(out, ["sent", "sent", "sent"], "{detail}");
    server.kill().unwrap();
    server.wait().unwrap();
}

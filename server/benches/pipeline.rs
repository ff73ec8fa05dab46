//! The event pipeline under load, on 127.0.0.1 only, bounded in time.
//!
//! 1. Signed-webhook ingest: throughput and p99 acknowledgement latency of
//!    `POST /webhooks/whatsapp` (signature check, parse, durable insert),
//!    reported as a ratio to the same server's bare `/healthz` under the
//!    same load generator, measured in this run.
//! 2. End-to-end turn latency: from sending a webhook to the bot's first
//!    reply reaching a local fake Graph API.
//!
//! The server is the real router on a real socket over SQLite in a temp
//! directory, with the workers running.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SECRET: &str = "bench-secret";
const PHONE: &str = "4000004";
const CONCURRENCY: usize = 16;
const RUN_FOR: Duration = Duration::from_secs(5);
const TURNS: usize = 60;
/// Longest the workers may take to apply and answer the ingest backlog.
const DRAIN_LIMIT: Duration = Duration::from_secs(300);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

struct Load {
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Sends as many requests as `CONCURRENCY` workers can for `RUN_FOR`.
async fn load(make: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>) -> Load {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let make = make.clone();
        let latencies = latencies.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while start.elapsed() < RUN_FOR {
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let t = Instant::now();
                let res = make(n).send().await.expect("request");
                assert!(res.status().is_success(), "status {}", res.status());
                let _ = res.bytes().await;
                mine.push(t.elapsed());
            }
            latencies.lock().expect("lock").extend(mine);
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    let elapsed = start.elapsed();
    let mut all = std::mem::take(&mut *latencies.lock().expect("lock"));
    all.sort();
    Load {
        requests: all.len(),
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
    }
}

fn webhook(wa: &str, id: &str, text: &str) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1555", "phone_number_id": PHONE},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa}],
        "messages": [{"from": wa, "id": id, "timestamp": now.to_string(), "type": "text", "text": {"body": text}}]}}]}]}))
    .unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // A fake Graph API that notes when each reply arrives.
    let arrivals: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let seen = arrivals.clone();
    let fake = axum::Router::new().route(
        "/{account}/messages",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                let to = body["to"].as_str().unwrap_or_default().to_string();
                seen.lock().expect("lock").push((to.clone(), Instant::now()));
                axum::Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": "wamid.BENCH"}]}))
            }
        }),
    );
    let fake_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind fake");
    let fake_url = format!("http://{}", fake_listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(fake_listener, fake).await.expect("fake") });

    let dir = tempfile::tempdir().expect("tempdir");
    let config = {
        use clap::Parser;
        server::Config::parse_from([
            "server",
            "--database-url",
            &format!("sqlite://{}/bench.db", dir.path().display()),
            "--data-dir",
            &dir.path().display().to_string(),
            "--meta-app-secret",
            SECRET,
            "--meta-graph-url",
            &fake_url,
            "--send-rate",
            "1000",
            "--pair-rate-per-min",
            "6000",
        ])
    };
    let store = server::store::Store::connect(&config.database_url)
        .await
        .expect("store");
    let state = server::AppState::new(&config, store).expect("state");
    server::spawn_workers(&state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(server::serve(listener, server::router(state.clone())));

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let signup: Value = http
        .post(format!("{base}/api/v1/signup"))
        .json(&json!({"email": "bench@example.com", "password": "correct horse battery staple", "workspace": "Bench"}))
        .send()
        .await
        .expect("signup")
        .json()
        .await
        .expect("json");
    let token = signup["token"].as_str().unwrap_or_default().to_string();
    let bot: Value = http
        .post(format!("{base}/api/v1/bots"))
        .bearer_auth(&token)
        .json(&json!({"name": "Bench", "template": "faq"}))
        .send()
        .await
        .expect("bot")
        .json()
        .await
        .expect("json");
    let bot_id = bot["id"].as_i64().unwrap_or_default();
    http.post(format!("{base}/api/v1/bots/{bot_id}/publish"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("publish");
    http.post(format!("{base}/api/v1/channels"))
        .bearer_auth(&token)
        .json(&json!({"kind": "whatsapp", "bot_id": bot_id, "phone_number_id": PHONE, "access_token": "EAAG-bench-token"}))
        .send()
        .await
        .expect("channel");

    // Warm up connections and caches.
    for _ in 0..50 {
        let _ = http.get(format!("{base}/healthz")).send().await;
    }

    let health_base = base.clone();
    let health_client = http.clone();
    let health = load(Arc::new(move |_| {
        health_client.get(format!("{health_base}/healthz"))
    }))
    .await;

    let hook_base = base.clone();
    let hook_client = http.clone();
    let ingest = load(Arc::new(move |n| {
        // Distinct shoppers and message ids: every request is new work.
        let body = webhook(
            &format!("1555{:07}", n % 500),
            &format!("wamid.bench.{n}"),
            "hi",
        );
        let sig = server::http::webhooks::sign(SECRET, &body);
        hook_client
            .post(format!("{hook_base}/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
    }))
    .await;

    // Let the workers apply and send everything ingest queued before timing
    // turns, so the turns measure a quiet pipeline.
    let drain_start = Instant::now();
    loop {
        let left: i64 = sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT COUNT(*) FROM inbox WHERE status = 'pending') + \
             (SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status IN ('pending', 'sending'))",
        )
        .fetch_one(state.store.pool())
        .await
        .expect("count the backlog");
        if left == 0 {
            break;
        }
        if drain_start.elapsed() > DRAIN_LIMIT {
            eprintln!(
                "the backlog did not drain in {} s ({left} events and replies left): no valid result",
                DRAIN_LIMIT.as_secs()
            );
            std::process::exit(1);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained_in = drain_start.elapsed();

    let mut turns = Vec::new();
    for i in 0..TURNS {
        let wa = format!("1666{i:07}");
        let body = webhook(&wa, &format!("wamid.turn.{i}"), "hi");
        let sig = server::http::webhooks::sign(SECRET, &body);
        let sent = Instant::now();
        http.post(format!("{base}/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
            .await
            .expect("webhook");
        let deadline = sent + Duration::from_secs(10);
        loop {
            let hit = arrivals
                .lock()
                .expect("lock")
                .iter()
                .find(|(to, _)| *to == wa)
                .map(|(_, at)| *at);
            if let Some(at) = hit {
                turns.push(at.duration_since(sent));
                break;
            }
            if Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    turns.sort();
    if turns.len() < TURNS {
        eprintln!(
            "{} of {TURNS} turns got no reply within 10 s: no valid result",
            TURNS - turns.len()
        );
        std::process::exit(1);
    }

    println!();
    println!(
        "== pipeline benchmark (127.0.0.1, {CONCURRENCY} connections, {}s per load) ==",
        RUN_FOR.as_secs()
    );
    println!(
        "healthz:        {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} requests)",
        health.per_second,
        ms(health.p50),
        ms(health.p99),
        health.requests
    );
    println!(
        "webhook ingest: {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} requests)",
        ingest.per_second,
        ms(ingest.p50),
        ms(ingest.p99),
        ingest.requests
    );
    println!(
        "ingest / healthz throughput ratio: {:.2}",
        ingest.per_second / health.per_second.max(1.0)
    );
    println!(
        "ingest / healthz p99 latency ratio: {:.2}",
        ms(ingest.p99) / ms(health.p99).max(0.001)
    );
    println!(
        "backlog of {} events applied and answered in {:.1} s",
        ingest.requests,
        drained_in.as_secs_f64()
    );
    println!(
        "end-to-end turn (webhook sent → first reply at the fake Graph API), {TURNS} turns: p50 {:.2} ms  p99 {:.2} ms",
        ms(percentile(&turns, 0.5)),
        ms(percentile(&turns, 0.99))
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

//! The event pipeline under load, measured in one run and printed as one
//! table, on 127.0.0.1 only and bounded in time.
//!
//! The release server (`target/release/server`, built by `make bench`)
//! runs as its own process pinned to core 0 (`taskset`), with its workers,
//! on a fresh SQLite database (or, with `BOTME_BENCH_PG` set, on a database
//! it creates on the PostgreSQL server `BOTME_TEST_PG_URL` names, pinned to
//! the same core).
//! This process, pinned to core 1, is the fake Graph API and the open-loop
//! turn generator, and runs `wrk` (Debian's package) for the closed-loop
//! phases. A connected Messenger page runs the `shop` template.
//!
//! 1. Ceilings: `GET /healthz` on the same server, and the fake Graph
//!    API's own request rate, both under `wrk` at c=32.
//! 2. Acks: distinct signed Messenger events under `wrk` at c=32: each is
//!    verified, parsed, stored durably and deduplicated before its 200.
//! 3. Turns: an open-loop generator offers 200, 1,000 and 5,000 new
//!    shoppers' messages a second; a turn counts when its first reply
//!    reaches the fake Graph API, timed from when it was due to be sent.
//! 4. Sustained turns: the server restarts with its workers off and
//!    stores what wrk sends for the same time (the ingest-only rate); then
//!    a server with workers drains that standing backlog. Events over
//!    seconds is the sustained rate; the first and last quarters' rates
//!    show whether claims slow down with the backlog.
//! 5. The server's peak resident memory.

mod support;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SECRET: &str = "bench-secret";
const PAGE: &str = "5000005";
const CONNECTIONS: usize = 32;
/// How long each closed-loop (`wrk`) phase runs.
const WRK_FOR: Duration = Duration::from_secs(5);
/// Signed bodies prepared for the ack phase (more than it can send).
const BODIES: usize = 200_000;
/// Offered turn rates, each for `TURNS_FOR`.
const OFFERED: [u64; 3] = [200, 1_000, 5_000];
const TURNS_FOR: Duration = Duration::from_secs(3);
/// How long a turn may take before it counts as lost.
const TURN_GRACE: Duration = Duration::from_secs(10);
/// Longest the workers may take to apply and answer a backlog.
const DRAIN_LIMIT: Duration = Duration::from_secs(300);

/// First arrival of a reply for each shopper at the fake Graph API.
#[derive(Default)]
struct Arrivals {
    first: Mutex<HashMap<String, Instant>>,
    sends: AtomicU64,
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pinned = cores >= 2 && pin_self_to("1");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    std::process::exit(runtime.block_on(run(pinned)));
}

/// Moves every thread of this process to `cpus`.
fn pin_self_to(cpus: &str) -> bool {
    Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Moves the PostgreSQL server's processes to `cpus`.
fn pin_postgres_to(cpus: &str) {
    let Ok(out) = Command::new("pgrep").args(["-u", "postgres"]).output() else {
        return;
    };
    for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        let _ = Command::new("taskset")
            .args(["-a", "-p", "-c", cpus, pid])
            .stdout(Stdio::null())
            .status();
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

async fn run(pinned: bool) -> i32 {
    let server_bin = target_dir().join("release/server");
    if !server_bin.exists() {
        eprintln!(
            "{} is missing: build it with `cargo leptos build --release` (make bench does)",
            server_bin.display()
        );
        return 1;
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is missing: `make bench` installs Debian's package");
        return 1;
    }
    let dir = tempfile::tempdir().expect("tempdir");

    // The fake Graph API: answers sends as Messenger does and notes when
    // each shopper's first reply arrived.
    let arrivals = Arc::new(Arrivals::default());
    let seen = arrivals.clone();
    let fake = axum::Router::new()
        // The ownership check made when the page is connected: the bench's
        // token is the page's.
        .route(
            "/me",
            axum::routing::get(|| async { axum::Json(json!({"id": PAGE, "name": "Bench Shop"})) }),
        )
        .route(
            "/{account}/messages",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                let seen = seen.clone();
                async move {
                    let to = body["recipient"]["id"]
                        .as_str()
                        .or(body["to"].as_str())
                        .unwrap_or_default()
                        .to_string();
                    let n = seen.sends.fetch_add(1, Ordering::Relaxed);
                    seen.first
                        .lock()
                        .expect("lock")
                        .entry(to.clone())
                        .or_insert_with(Instant::now);
                    axum::Json(json!({"recipient_id": to, "message_id": format!("m_bench_{n}")}))
                }
            }),
        );
    let fake_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind fake");
    let fake_addr = fake_listener.local_addr().expect("addr");
    let fake_url = format!("http://{fake_addr}");
    tokio::spawn(async move { axum::serve(fake_listener, fake).await.expect("fake") });

    let pg =
        std::env::var_os("BOTME_BENCH_PG").and_then(|_| std::env::var("BOTME_TEST_PG_URL").ok());
    let (database_url, backend) = match pg {
        Some(admin) => {
            // PostgreSQL shares the server's core; new backends inherit
            // the postmaster's affinity.
            if pinned {
                pin_postgres_to("0");
            }
            (
                support::create_pg_database(&admin, "botme_bench").await,
                "PostgreSQL",
            )
        }
        None => (
            format!("sqlite://{}/bench.db", dir.path().display()),
            "SQLite",
        ),
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let launch = |workers: bool| {
        Server(
            Command::new("taskset")
                .args(["-c", "0"])
                .arg(&server_bin)
                .env("DATABASE_URL", &database_url)
                .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
                .env("LEPTOS_SITE_ROOT", target_dir().join("site"))
                .env("BOTME_DATA_DIR", dir.path())
                .env("META_APP_SECRET", SECRET)
                .env("META_GRAPH_URL", &fake_url)
                .env("BOTME_SEND_RATE", "100000")
                .env("BOTME_PAIR_RATE_PER_MIN", "1000000")
                .env("BOTME_WORKERS", if workers { "true" } else { "false" })
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .expect("start the server"),
        )
    };
    let mut server = launch(true);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    if !wait_healthy(&http, &base).await {
        eprintln!("the server did not answer /healthz within 30 s");
        return 1;
    }
    setup(&http, &base).await;
    let store = server::store::Store::connect(&database_url)
        .await
        .expect("store");

    // 1. Ceilings.
    let health = wrk(&format!("{base}/healthz"), None);
    let post = dir.path().join("fake.lua");
    std::fs::write(
        &post,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = '{}'\n{DONE}",
            json!({"recipient": {"id": "ceiling"}, "message": {"text": "hi"}})
        ),
    )
    .expect("write script");
    let ceiling = wrk(&format!("{fake_url}/{PAGE}/messages"), Some(&post));

    // 2. Acks: distinct signed events, one per line, read in order by wrk.
    let acks = wrk(
        &format!("{base}/webhooks/messenger"),
        Some(&ack_script(dir.path(), "ack")),
    );
    let rss_acks = peak_rss_kb(server.0.id());
    if let Err(left) = drain(&store).await {
        eprintln!(
            "the ack backlog did not drain in {} s ({left} events and replies left): no valid result",
            DRAIN_LIMIT.as_secs()
        );
        return 1;
    }

    // 3. Open-loop turns.
    let mut turns = Vec::new();
    for (i, rate) in OFFERED.into_iter().enumerate() {
        turns.push(offer(&http, &base, &arrivals, rate, i).await);
        if drain(&store).await.is_err() {
            eprintln!("the turns offered at {rate}/s did not drain: no valid result");
            return 1;
        }
    }

    let rss = peak_rss_kb(server.0.id());
    server.stop();

    // 4. A standing backlog: stored with the workers off (the ingest-only
    //    rate), then drained by a server started with them on.
    let mut ingest_only = launch(false);
    if !wait_healthy(&http, &base).await {
        eprintln!("the ingest-only server did not start");
        return 1;
    }
    let ingest = wrk(
        &format!("{base}/webhooks/messenger"),
        Some(&ack_script(dir.path(), "backlog")),
    );
    ingest_only.stop();
    let backlog: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE status = 'pending'")
        .fetch_one(store.pool())
        .await
        .expect("count");
    let mut server = launch(true);
    let drain_start = Instant::now();
    let mut samples = Vec::new();
    let drained = loop {
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE status = 'pending'")
            .fetch_one(store.pool())
            .await
            .expect("count");
        samples.push((drain_start.elapsed(), left));
        if left == 0 {
            break drain_start.elapsed();
        }
        if drain_start.elapsed() > DRAIN_LIMIT {
            eprintln!(
                "a backlog of {backlog} events did not drain in {} s ({left} left)",
                DRAIN_LIMIT.as_secs()
            );
            return 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = drain(&store).await;
    let rss_drain = peak_rss_kb(server.0.id());
    server.stop();
    let sustained = backlog as f64 / drained.as_secs_f64().max(0.001);
    let (first_quarter, last_quarter) = quarter_rates(&samples, backlog);
    let rss = rss.max(rss_drain).max(rss_acks);

    println!();
    println!(
        "== pipeline benchmark: release server on {backend}, {} ==",
        if pinned {
            "server pinned to core 0, load and fake Graph API on core 1"
        } else {
            "NOT pinned (fewer than two cores)"
        }
    );
    println!(
        "{:<52} {:>12} {:>10} {:>10}",
        "phase", "rate", "p50 ms", "p99 ms"
    );
    let line = |name: &str, rate: f64, unit: &str, p50: f64, p99: f64| {
        println!(
            "{:<52} {:>8.0} {unit:<3} {:>10.2} {:>10.2}",
            name, rate, p50, p99
        );
    };
    line(
        "GET /healthz, wrk c=32 (the trivial route)",
        health.rate,
        "/s",
        health.p50_ms,
        health.p99_ms,
    );
    line(
        "fake Graph API ceiling, wrk c=32",
        ceiling.rate,
        "/s",
        ceiling.p50_ms,
        ceiling.p99_ms,
    );
    line(
        "signed durable acks, wrk c=32",
        acks.rate,
        "/s",
        acks.p50_ms,
        acks.p99_ms,
    );
    line(
        "signed durable acks, workers off (ingest only)",
        ingest.rate,
        "/s",
        ingest.p50_ms,
        ingest.p99_ms,
    );
    println!(
        "{:<52} {:>8.0} /s  ({backlog} events in {:.1} s; first quarter {:.0}/s, last {:.0}/s)",
        "sustained turns (a standing backlog drained)",
        sustained,
        drained.as_secs_f64(),
        first_quarter,
        last_quarter
    );
    for t in &turns {
        line(
            &format!(
                "turns offered {}/s: answered, webhook to first send",
                t.offered
            ),
            t.answered_rate,
            "/s",
            t.p50_ms,
            t.p99_ms,
        );
        if t.lost > 0 {
            println!(
                "    {} of {} turns got no reply within {} s",
                t.lost,
                t.sent,
                TURN_GRACE.as_secs()
            );
        }
    }
    println!(
        "acks / healthz: {:.2} of the throughput, {:.2}x the p99",
        acks.rate / health.rate.max(1.0),
        acks.p99_ms / health.p99_ms.max(0.001)
    );
    println!(
        "sustained turns / fake Graph API ceiling: {:.2}",
        sustained / ceiling.rate.max(1.0)
    );
    println!(
        "server peak RSS: {:.1} MB (after the ack phase {:.1} MB)",
        rss as f64 / 1024.0,
        rss_acks as f64 / 1024.0
    );
    0
}

/// The server child, stopped when dropped.
struct Server(Child);

impl Server {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_healthy(http: &reqwest::Client, base: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A workspace whose `shop` bot is published and connected to `PAGE`.
async fn setup(http: &reqwest::Client, base: &str) {
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
        .json(&json!({"name": "Bench shop", "template": "shop"}))
        .send()
        .await
        .expect("bot")
        .json()
        .await
        .expect("json");
    let bot_id = bot["id"].as_i64().unwrap_or_default();
    let published = http
        .post(format!("{base}/api/v1/bots/{bot_id}/publish"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("publish");
    assert!(
        published.status().is_success(),
        "publish: {}",
        published.status()
    );
    let channel = http
        .post(format!("{base}/api/v1/channels"))
        .bearer_auth(&token)
        .json(&json!({"kind": "messenger", "bot_id": bot_id, "page_id": PAGE, "access_token": "EAAG-bench-token"}))
        .send()
        .await
        .expect("channel");
    assert!(
        channel.status().is_success(),
        "connect: {}",
        channel.status()
    );
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

/// A Messenger delivery of one text message.
fn messenger(psid: &str, mid: &str, text: &str) -> Vec<u8> {
    let now = now_ms();
    serde_json::to_vec(
        &json!({"object": "page", "entry": [{"id": PAGE, "time": now, "messaging": [{
        "sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": now,
        "message": {"mid": mid, "text": text}}]}]}),
    )
    .unwrap_or_default()
}

/// `BODIES` lines of `<signature> <body>`: distinct message ids (named
/// after `phase`) from 5,000 shoppers.
fn write_bodies(path: &std::path::Path, phase: &str) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("bodies"));
    for n in 0..BODIES {
        let body = messenger(
            &format!("7{:06}", n % 5_000),
            &format!("m_{phase}_{n}"),
            "hi",
        );
        let sig = server::http::webhooks::sign(SECRET, &body);
        out.write_all(sig.as_bytes()).expect("write");
        out.write_all(b" ").expect("write");
        out.write_all(&body).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("flush");
}

/// What wrk's `done` prints, for every script.
const DONE: &str = r#"
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"#;

/// A wrk script that posts the signed bodies of `phase`, one per request,
/// in order; returns its path.
fn ack_script(dir: &std::path::Path, phase: &str) -> PathBuf {
    let bodies = dir.join(format!("{phase}.txt"));
    write_bodies(&bodies, phase);
    let script = dir.join(format!("{phase}.lua"));
    let lua = format!(
        r#"
local f = nil
request = function()
  if f == nil then f = io.open("{}", "r") end
  local line = f:read("*l")
  if line == nil then f:seek("set", 0); line = f:read("*l") end
  local sig, body = line:match("^(%S+) (.*)$")
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sig}}, body)
end
{DONE}"#,
        bodies.display()
    );
    std::fs::write(&script, lua).expect("write script");
    script
}

/// The drain rate over the first and the last quarter of a backlog, from
/// `(elapsed, left)` samples: equal rates mean claims did not slow down as
/// the backlog shrank (or grew).
fn quarter_rates(samples: &[(Duration, i64)], total: i64) -> (f64, f64) {
    let at = |left: i64| {
        samples
            .iter()
            .find(|(_, l)| *l <= left)
            .map_or(Duration::ZERO, |(t, _)| *t)
    };
    let q = total / 4;
    let rate = |from: Duration, to: Duration| q as f64 / (to - from).as_secs_f64().max(0.001);
    (rate(Duration::ZERO, at(total - q)), rate(at(q), at(0)))
}

struct Wrk {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Runs wrk (one thread, c=32) on core 1 against `url`.
fn wrk(url: &str, script: Option<&std::path::Path>) -> Wrk {
    let secs = format!("{}s", WRK_FOR.as_secs());
    let conns = CONNECTIONS.to_string();
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "1", "wrk", "-t1", "-c", &conns, "-d", &secs]);
    match script {
        Some(s) => cmd.arg("-s").arg(s),
        None => cmd.arg("-s").arg(done_only()),
    };
    let out = cmd.arg(url).output().expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(line) = text.lines().find(|l| l.starts_with("BENCH ")) else {
        panic!(
            "wrk printed no summary: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let n: Vec<f64> = line[6..]
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let [
        requests,
        duration_us,
        p50_us,
        p99_us,
        bad_status,
        socket_errors,
    ] = n[..]
    else {
        panic!("unexpected wrk summary: {line}");
    };
    assert!(
        bad_status == 0.0 && socket_errors == 0.0,
        "{url}: {bad_status} non-2xx answers and {socket_errors} socket errors under load"
    );
    Wrk {
        rate: requests / (duration_us / 1e6),
        p50_ms: p50_us / 1000.0,
        p99_ms: p99_us / 1000.0,
    }
}

fn done_only() -> PathBuf {
    let path = std::env::temp_dir().join(format!("botme-bench-done-{}.lua", std::process::id()));
    std::fs::write(&path, DONE).expect("write script");
    path
}

/// Waits until no event or reply is left to handle; `Err` with what is
/// left after `DRAIN_LIMIT`.
async fn drain(store: &server::store::Store) -> Result<(), i64> {
    let start = Instant::now();
    loop {
        let left: i64 = sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT COUNT(*) FROM inbox WHERE status = 'pending') + \
             (SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status IN ('pending', 'sending'))",
        )
        .fetch_one(store.pool())
        .await
        .expect("count the backlog");
        if left == 0 {
            return Ok(());
        }
        if start.elapsed() > DRAIN_LIMIT {
            return Err(left);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Turns {
    offered: u64,
    sent: usize,
    lost: usize,
    answered_rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Offers `rate` new shoppers' first messages a second for `TURNS_FOR`,
/// each sent at its due time whatever the server's answers (open loop).
async fn offer(
    http: &reqwest::Client,
    base: &str,
    arrivals: &Arc<Arrivals>,
    rate: u64,
    phase: usize,
) -> Turns {
    let total = (rate * TURNS_FOR.as_secs()) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    // Bodies are signed before the clock starts.
    let prepared: Vec<(String, Vec<u8>, String)> = (0..total)
        .map(|i| {
            let psid = format!("8{phase}{i:06}");
            let body = messenger(&psid, &format!("m_turn_{phase}_{i}"), "hi");
            let sig = server::http::webhooks::sign(SECRET, &body);
            (psid, body, sig)
        })
        .collect();
    let start = Instant::now();
    let mut due = Vec::with_capacity(total);
    let url = format!("{base}/webhooks/messenger");
    for (i, (psid, body, sig)) in prepared.into_iter().enumerate() {
        let at = start + interval * i as u32;
        tokio::time::sleep_until(at.into()).await;
        due.push((psid, at));
        let req = http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body);
        tokio::spawn(async move {
            let _ = req.send().await;
        });
    }
    let offered_for = start.elapsed();
    let deadline = Instant::now() + TURN_GRACE;
    loop {
        let answered = {
            let first = arrivals.first.lock().expect("lock");
            due.iter().filter(|(p, _)| first.contains_key(p)).count()
        };
        if answered == due.len() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first = arrivals.first.lock().expect("lock");
    let mut latencies: Vec<Duration> = due
        .iter()
        .filter_map(|(p, at)| first.get(p).map(|got| got.saturating_duration_since(*at)))
        .collect();
    latencies.sort();
    let last = due
        .iter()
        .filter_map(|(p, _)| first.get(p))
        .max()
        .map_or(offered_for, |t| t.saturating_duration_since(start));
    Turns {
        offered: rate,
        sent: due.len(),
        lost: due.len() - latencies.len(),
        answered_rate: latencies.len() as f64 / last.as_secs_f64().max(offered_for.as_secs_f64()),
        p50_ms: ms(percentile(&latencies, 0.5)),
        p99_ms: ms(percentile(&latencies, 0.99)),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The peak resident set of a process, in kB (`VmHWM`).
fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

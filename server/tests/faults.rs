//! The fault suite (`make faults`; a short pass runs in `make test`): real
//! `server` processes, a fake Graph API and a replay of shoppers buying
//! through the `shop` template on Messenger, delivered at least once with
//! 30% duplicates, under each fault in turn:
//!
//! 1. the Graph API hanging past the server's call timeout, resetting
//!    connections, answering 500/503 and 429 with `Retry-After`, and
//!    refusing connections for a while (all before Meta took the message);
//!    and, reported apart, failures after Meta took the message (the
//!    ambiguous failures of issue 11, item 7);
//! 2. SQLite busy: another connection holding the write lock, shorter and
//!    longer than the server's busy timeout;
//! 3. PostgreSQL restarted twice under load (skipped without PostgreSQL);
//! 4. the server killed with SIGKILL at random points of the replay and
//!    started again.
//!
//! It prints one table: per scenario, deliveries, events acknowledged,
//! events lost, replies missing, duplicate replies and duplicate orders;
//! it fails unless lost, missing and duplicates are all 0.
//!
//! Sizes: `FAULTS_EVENTS` deliveries in the kill replay (default 1,000;
//! `make faults` runs 10,000), `FAULTS_KILLS` kills (default 3, or 10 from
//! 5,000 deliveries), `FAULTS_SEED` (default: from the clock; printed).
//! A harness=false target: `cargo test -p server --test faults`.

#![expect(clippy::unwrap_used, reason = "the suite fails loudly on purpose")]

#[path = "faults/graph.rs"]
mod graph;
#[path = "faults/replay.rs"]
mod replay;
#[path = "faults/rig.rs"]
mod rig;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use graph::{Fault, Graph, Mix};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use replay::{Measures, Plan, Progress};
use rig::Rig;

/// The app secret webhooks are signed with.
pub const APP_SECRET: &str = "faults-app-secret";
/// The Messenger page the shop is connected to.
pub const PAGE: &str = "4000004";
/// The one product, without a stock limit.
pub const SKU: &str = "SOCK-3";
/// Longer than the server's 15-second call timeout.
const HANG: Duration = Duration::from_secs(20);
/// How long the workers may take to apply and answer what was delivered
/// (`FAULTS_DRAIN_SECS`, default 600).
fn drain_limit() -> Duration {
    Duration::from_secs(env_usize("FAULTS_DRAIN_SECS").unwrap_or(600) as u64)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The sizes of one run.
#[derive(Clone, Copy)]
struct Sizes {
    events: usize,
    kills: usize,
    seed: u64,
}

impl Sizes {
    fn from_env() -> Sizes {
        let events = env_usize("FAULTS_EVENTS").unwrap_or(1_000).max(TURNS_MIN);
        let kills = env_usize("FAULTS_KILLS").unwrap_or(if events >= 5_000 { 10 } else { 3 });
        let seed = std::env::var("FAULTS_SEED")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| now_ms() as u64 % 1_000_000);
        Sizes {
            events,
            kills,
            seed,
        }
    }

    /// Deliveries in the scenarios other than the kill replay.
    fn side(&self) -> usize {
        (self.events / 4).clamp(300, 2_500)
    }
}

const TURNS_MIN: usize = 2 * replay::TURNS;

/// One line of the table.
struct Row {
    name: String,
    measures: Option<Measures>,
    skipped: Option<String>,
    /// Whether the line counts towards passing.
    gated: bool,
    /// What was injected.
    faults: String,
    took: Duration,
    /// The failure looks like the sender wedge (see [`WEDGE`]).
    wedged: bool,
}

/// A bug this suite found and that is fixed (the sender now writes a
/// send's outcome until the database takes it): when recording a send's
/// result failed (the database locked past its busy timeout, PostgreSQL
/// restarting), the message stayed `sending`, claimed by the live server,
/// and its conversation got no further reply until a restart. A failure
/// that looks like it again is named so.
const WEDGE: &str = "FAILED: sender wedged";

impl Row {
    fn passed(&self) -> bool {
        let Some(m) = &self.measures else {
            return true;
        };
        m.lost_events == 0
            && m.unanswered == 0
            && m.missing_orders == 0
            && m.dup_orders == 0
            && m.dup_replies == 0
            && m.acked_unique == m.unique
    }
}

/// What a scenario's fault driver gets: the server, the fake, the
/// progress of the deliveries, and where to note the kills.
#[derive(Clone)]
struct Ctx {
    rig: Arc<Rig>,
    graph: Graph,
    progress: Arc<Progress>,
    deliveries: usize,
    kills: Arc<std::sync::Mutex<Vec<Instant>>>,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Ctx {
    /// Waits until this share of the deliveries is acknowledged.
    async fn at(&self, share: f64) {
        let target = (self.deliveries as f64 * share) as u64;
        while self.progress.acked.load(Ordering::Relaxed) < target {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn note(&self, what: String) {
        self.log.lock().unwrap().push(what);
    }
}

type Driver = Box<dyn FnOnce(Ctx) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Runs one scenario: a fresh server and database, a fault-free shopper
/// for the expected replies, then the replay with `driver` injecting
/// faults beside it, the drain and the measures.
async fn scenario(
    name: &str,
    tag: &str,
    database_url: Option<String>,
    deliveries: usize,
    seed: u64,
    mix: Mix,
    driver: Driver,
) -> Row {
    let started = Instant::now();
    let graph = Graph::start(seed, HANG).await;
    let mut rig = Rig::new(&graph.url, database_url);
    rig.start().await;
    rig.set_up_shop().await;
    graph.echo_to(&rig.base);
    let rig = Arc::new(rig);
    let store = server::store::Store::connect(&rig.database_url)
        .await
        .unwrap();
    let mut rng = StdRng::seed_from_u64(seed);

    // A fault-free shopper: the replies every shopper should get.
    let baseline = Plan::new(&format!("{tag}b"), replay::TURNS, 0.0, &mut rng);
    replay::run(rig.clone(), &baseline, 1, Arc::default()).await;
    replay::drain(&store, Duration::from_secs(60))
        .await
        .unwrap();
    let who = replay::psid(&baseline.tag, 0);
    let expected: Vec<String> = graph
        .accepted()
        .iter()
        .filter(|a| a.to == who)
        .map(|a| replay::fingerprint(&a.body))
        .collect();
    let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(
        orders, 1,
        "the fault-free shopper did not place an order; the bot said: {expected:#?}"
    );

    let plan = Plan::new(tag, deliveries, 0.3, &mut rng);
    let progress = Arc::new(Progress::default());
    let ctx = Ctx {
        rig: rig.clone(),
        graph: graph.clone(),
        progress: progress.clone(),
        deliveries: plan.deliveries,
        kills: Arc::default(),
        log: Arc::default(),
    };
    graph.set_mix(mix);
    let faults = tokio::spawn(driver(ctx.clone()));
    replay::run(rig.clone(), &plan, 24, progress.clone()).await;
    // The replay can end before the driver's last fault (a kill at 95%
    // when the last deliveries were concurrent): let it finish.
    let _ = tokio::time::timeout(Duration::from_secs(120), faults).await;
    graph.set_down(false);
    // The Graph API stays faulty while the workers catch up.
    let drained = replay::drain(&store, drain_limit()).await;
    graph.set_mix(Mix::default());
    let kills = ctx.kills.lock().unwrap().clone();
    let mut m = replay::measure(&store, &graph, &plan, &progress, &expected, &kills).await;
    let mut wedged = false;
    if let Err(left) = drained {
        let waiting: Vec<(String, String, i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT 'inbox', status, COUNT(*), MAX(attempts), MAX(error) FROM inbox \
               WHERE status NOT IN ('done', 'skipped') GROUP BY status \
             UNION ALL \
             SELECT 'outbox', status || CASE WHEN claimed_by IS NULL THEN '' ELSE ' (claimed)' END, \
               COUNT(*), MAX(attempts), MAX(error) FROM messages \
               WHERE direction = 'out' AND status NOT IN ('sent', 'delivered', 'read', 'failed', 'skipped') \
               GROUP BY 2",
        )
        .fetch_all(store.pool())
        .await
        .unwrap_or_default();
        wedged = m.lost_events == 0
            && m.dup_orders == 0
            && m.dup_replies == m.dup_replies_crash_window
            && waiting.iter().all(|w| w.0 == "outbox")
            && waiting.iter().any(|w| w.1 == "sending (claimed)");
        m.notes.push(format!(
            "STUCK: {left} events or replies still waiting (nothing moved for 45 s, or {} s passed): \
             {waiting:?}; the server's last warnings: {}",
            drain_limit().as_secs(),
            rig.log_tail()
        ));
    }
    let (calls, injected, _) = graph.stats();
    let mut injected: Vec<String> = injected
        .iter()
        .map(|(f, n)| format!("{} {n}", f.name()))
        .collect();
    injected.sort();
    let mut faults = ctx.log.lock().unwrap().clone();
    if !injected.is_empty() {
        faults.insert(0, format!("{calls} Graph calls: {}", injected.join(", ")));
    }
    faults.push(format!(
        "{} concurrent and {} later duplicates",
        plan.concurrent_dups, plan.later_dups
    ));
    store.close().await;
    rig.kill9();
    // The server's log of a failed scenario, for the post-mortem.
    let passed = Row {
        name: String::new(),
        measures: Some(m.clone()),
        skipped: None,
        gated: true,
        faults: String::new(),
        took: Duration::ZERO,
        wedged: false,
    }
    .passed();
    if !passed {
        let kept = std::env::temp_dir().join(format!("botme-faults-{tag}-server.log"));
        if std::fs::copy(rig.dir.path().join("server.log"), &kept).is_ok() {
            m.notes
                .push(format!("the server's log: {}", kept.display()));
        }
    }
    Row {
        name: name.to_string(),
        measures: Some(m),
        skipped: None,
        gated: true,
        faults: faults.join("; "),
        took: started.elapsed(),
        wedged,
    }
}

fn no_driver() -> Driver {
    Box::new(|_ctx| Box::pin(async {}))
}

/// Graph API faults that happen before Meta took the message, and the
/// fake refusing connections for three seconds.
async fn graph_before(sizes: Sizes) -> Row {
    let mix = Mix {
        faults: vec![
            (Fault::Reset, 0.04),
            (Fault::Error5xx, 0.04),
            (Fault::Bare503, 0.03),
            (Fault::TooMany, 0.04),
            (Fault::Hang, 0.01),
        ],
        max_hangs: if sizes.events >= 5_000 { 6 } else { 3 },
    };
    let driver: Driver = Box::new(|ctx: Ctx| {
        Box::pin(async move {
            ctx.at(0.4).await;
            ctx.graph.set_down(true);
            tokio::time::sleep(Duration::from_millis(100)).await;
            let addr = ctx.graph.url.trim_start_matches("http://").to_string();
            let refused = tokio::net::TcpStream::connect(addr).await.is_err();
            tokio::time::sleep(Duration::from_millis(2_900)).await;
            ctx.graph.set_down(false);
            ctx.note(format!(
                "Graph API down for 3 s at 40% (a connection attempt {})",
                if refused {
                    "was refused"
                } else {
                    "WAS NOT REFUSED"
                }
            ));
        })
    });
    scenario(
        "Graph API: hang, reset, 5xx, 429, refused",
        "g",
        None,
        sizes.side(),
        sizes.seed,
        mix,
        driver,
    )
    .await
}

/// Graph API faults after Meta took the message: ambiguous failures.
async fn graph_after(sizes: Sizes) -> Row {
    let mix = Mix {
        faults: vec![(Fault::AcceptThen5xx, 0.03), (Fault::AcceptThenReset, 0.03)],
        max_hangs: 0,
    };
    // Sends wait for Meta's echo before repeating an ambiguous failure
    // (issue 11, item 7): no duplicate here either.
    scenario(
        "Graph API: accepted, then 5xx or reset",
        "a",
        None,
        (sizes.side() / 2).max(200),
        sizes.seed + 1,
        mix,
        no_driver(),
    )
    .await
}

/// Holds SQLite's write lock from another connection for `hold`.
async fn hold_write_lock(url: &str, hold: Duration) -> Duration {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let asked = Instant::now();
    loop {
        match sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await {
            Ok(_) => break,
            Err(_) if asked.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => panic!("could not take the write lock: {e}"),
        }
    }
    let got = Instant::now();
    tokio::time::sleep(hold).await;
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    got.elapsed()
}

/// Another process's connection holds SQLite's write lock: for 3 s
/// (within the server's 10-second busy timeout) and for 12 s (beyond it).
async fn sqlite_busy(sizes: Sizes) -> Row {
    let driver: Driver = Box::new(|ctx: Ctx| {
        Box::pin(async move {
            let url = ctx.rig.database_url.clone();
            for (share, secs) in [(0.25, 3), (0.6, 12)] {
                ctx.at(share).await;
                let before = ctx.progress.busy.load(Ordering::SeqCst);
                let held = hold_write_lock(&url, Duration::from_secs(secs)).await;
                let after = ctx.progress.busy.load(Ordering::SeqCst);
                ctx.note(format!(
                    "write lock held {:.1} s at {:.0}% ({} answers 503)",
                    held.as_secs_f64(),
                    share * 100.0,
                    after - before
                ));
            }
        })
    });
    scenario(
        "SQLite busy (write lock held 3 s, 12 s)",
        "s",
        None,
        sizes.side(),
        sizes.seed + 2,
        Mix::default(),
        driver,
    )
    .await
}

/// PostgreSQL restarted twice while events flow.
async fn postgres_restart(sizes: Sizes) -> Row {
    let name = "PostgreSQL restarted under load (2×)";
    let skip = |why: &str| Row {
        name: name.to_string(),
        measures: None,
        skipped: Some(why.to_string()),
        gated: false,
        faults: String::new(),
        took: Duration::ZERO,
        wedged: false,
    };
    let Some(control) = rig::pg_control() else {
        return skip("skipped: no PostgreSQL (run under server/tests/support/with-postgres.sh)");
    };
    let Some(url) = rig::pg_database("restart").await else {
        return skip("skipped: no PostgreSQL answers at BOTME_TEST_PG_URL");
    };
    let driver: Driver = Box::new(move |ctx: Ctx| {
        Box::pin(async move {
            for share in [0.3, 0.65] {
                ctx.at(share).await;
                let control = control.clone();
                let took = tokio::task::spawn_blocking(move || rig::pg_restart(&control))
                    .await
                    .unwrap();
                ctx.note(format!(
                    "restart at {:.0}% took {:.1} s",
                    share * 100.0,
                    took.as_secs_f64()
                ));
            }
        })
    });
    scenario(
        name,
        "p",
        Some(url),
        sizes.side(),
        sizes.seed + 3,
        Mix::default(),
        driver,
    )
    .await
}

/// A regression test of a lost event: when applying an event failed and
/// counting the failed attempt failed too (PostgreSQL restarting cuts the
/// pooled connections one after the other), the event was set aside as
/// failed after that one attempt, and its shopper got no further reply.
/// Here SQLite triggers make both fail for 3 s: a new conversation cannot
/// be created, an attempt cannot be counted. Every event must wait and be
/// applied once they are gone.
async fn counting_fails(sizes: Sizes) -> Row {
    let driver: Driver = Box::new(|ctx: Ctx| {
        Box::pin(async move {
            use sqlx::Connection;
            let mut side = sqlx::SqliteConnection::connect(&ctx.rig.database_url)
                .await
                .unwrap();
            for sql in [
                "CREATE TRIGGER faults_no_turn BEFORE INSERT ON conversations \
                 BEGIN SELECT RAISE(ABORT, 'injected by the fault suite'); END",
                "CREATE TRIGGER faults_no_count BEFORE UPDATE OF attempts ON inbox \
                 BEGIN SELECT RAISE(ABORT, 'injected by the fault suite'); END",
            ] {
                sqlx::query(sql).execute(&mut side).await.unwrap();
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
            let waiting: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE status = 'pending'")
                    .fetch_one(&mut side)
                    .await
                    .unwrap();
            for sql in [
                "DROP TRIGGER faults_no_turn",
                "DROP TRIGGER faults_no_count",
            ] {
                sqlx::query(sql).execute(&mut side).await.unwrap();
            }
            ctx.note(format!(
                "for 3 s no conversation could be created nor a failed attempt counted; \
                 {waiting} events were waiting then"
            ));
        })
    });
    scenario(
        "turn and attempt count failing (regression)",
        "c",
        None,
        (sizes.side() / 10).max(100),
        sizes.seed + 5,
        Mix::default(),
        driver,
    )
    .await
}

/// SIGKILL at random points of the replay, a restart after each.
async fn kill9(sizes: Sizes) -> Row {
    let mut rng = StdRng::seed_from_u64(sizes.seed + 4);
    let mut points: Vec<f64> = (0..sizes.kills)
        .map(|_| rng.gen_range(0.05..0.95))
        .collect();
    points.sort_by(f64::total_cmp);
    let pauses: Vec<u64> = (0..sizes.kills).map(|_| rng.gen_range(0..500)).collect();
    let driver: Driver = Box::new(move |ctx: Ctx| {
        Box::pin(async move {
            for (share, pause) in points.iter().zip(pauses) {
                ctx.at(*share).await;
                ctx.rig.kill9();
                ctx.kills.lock().unwrap().push(Instant::now());
                tokio::time::sleep(Duration::from_millis(pause)).await;
                ctx.rig.start().await;
            }
            let shares: Vec<String> = points
                .iter()
                .map(|p| format!("{:.0}%", p * 100.0))
                .collect();
            ctx.note(format!("kill -9 at {}", shares.join(", ")));
        })
    });
    scenario(
        &format!("kill -9 ×{} during the replay", sizes.kills),
        "k",
        None,
        sizes.events,
        sizes.seed + 4,
        Mix::default(),
        driver,
    )
    .await
}

fn print_table(rows: &[Row], sizes: Sizes) {
    println!();
    println!(
        "== fault suite: seed {}, {} deliveries in the kill replay, 30% duplicates ==",
        sizes.seed, sizes.events
    );
    println!(
        "{:<44} {:>7} {:>7} {:>7} {:>5} {:>5} {:>5} {:>6} {:>6} {:>5}  result",
        "scenario", "sent", "unique", "acked", "503", "lost", "unans", "dup-rp", "dup-or", "secs"
    );
    for r in rows {
        match (&r.measures, &r.skipped) {
            (Some(m), _) => {
                let result = match (r.passed(), r.gated) {
                    (true, _) => "pass",
                    (false, _) if r.wedged => WEDGE,
                    (false, true) => "FAIL",
                    (false, false) => "counted",
                };
                let dup = if m.dup_replies_crash_window > 0 {
                    format!("{}*", m.dup_replies)
                } else {
                    m.dup_replies.to_string()
                };
                println!(
                    "{:<44} {:>7} {:>7} {:>7} {:>5} {:>5} {:>5} {:>6} {:>6} {:>5.0}  {result}",
                    r.name,
                    m.deliveries,
                    m.unique,
                    m.acked_unique,
                    m.refused_503,
                    m.lost_events,
                    m.unanswered + m.missing_orders,
                    dup,
                    m.dup_orders,
                    r.took.as_secs_f64()
                );
                println!("    faults: {}", r.faults);
                println!(
                    "    deliveries acknowledged {} of {} after {} HTTP attempts ({} without an answer, {} answered 503)",
                    m.acked_deliveries, m.deliveries, m.http_attempts, m.no_answer, m.refused_503
                );
                if m.dup_replies_crash_window > 0 {
                    println!(
                        "    * {} duplicate replies were in flight at a kill (the documented crash window: the call reached Meta, the kill came before its commit)",
                        m.dup_replies_crash_window
                    );
                }
                for n in &m.notes {
                    println!("    {n}");
                }
            }
            (None, Some(why)) => println!("{:<44} {why}", r.name),
            (None, None) => {}
        }
    }
    println!(
        "sent: deliveries incl. duplicates; acked: unique events acknowledged; 503: deliveries refused \
         and retried; lost: acknowledged events not applied; unans: replies or orders missing; \
         dup-rp / dup-or: duplicate replies / orders"
    );
}

fn main() {
    // `cargo test` hands a harness=false target libtest's arguments.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Some(filter) = args.iter().find(|a| !a.starts_with('-'))
        && !"faults".contains(filter.as_str())
    {
        return;
    }
    let sizes = Sizes::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        eprintln!(
            "fault suite: seed {} (FAULTS_SEED to repeat), {} deliveries, {} kills",
            sizes.seed, sizes.events, sizes.kills
        );
        let only = std::env::var("FAULTS_ONLY").unwrap_or_default();
        let want = |key: &str| only.is_empty() || only.split(',').any(|o| o.trim() == key);
        if want("graph") {
            rows.push(graph_before(sizes).await);
            rows.push(graph_after(sizes).await);
        }
        if want("sqlite") {
            rows.push(sqlite_busy(sizes).await);
        }
        if want("sqlite") || want("regression") {
            rows.push(counting_fails(sizes).await);
        }
        if want("postgres") {
            rows.push(postgres_restart(sizes).await);
        }
        if want("kill") {
            rows.push(kill9(sizes).await);
        }
        rows
    });
    print_table(&rows, sizes);
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| r.gated && !r.passed())
        .map(|r| r.name.as_str())
        .collect();
    if !failed.is_empty() {
        println!("FAILED: {}", failed.join("; "));
        std::process::exit(1);
    }
    println!("fault suite passed");
}

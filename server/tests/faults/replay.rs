//! A replay of shoppers buying through the `shop` template on Messenger,
//! delivered as Meta delivers: at least once, each event resent until it is
//! acknowledged, and 30% of deliveries duplicates of earlier events, some at
//! the same moment as the original, some later (after newer events of the
//! same shopper). Then the measures: events acknowledged and lost, replies
//! missing and duplicated at the fake Graph API, orders duplicated.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::graph::Graph;
use super::rig::Rig;

/// One shopper's turns, from "hi" to paying cash on delivery.
fn script() -> Vec<Value> {
    let add = format!("b1|a|catalog|{}", super::SKU);
    let texts: [Result<&str, &str>; 9] = [
        Ok("hi"),
        Ok("Browse products"),
        Err(&add),
        Ok("Checkout"),
        Ok("Ana Lima"),
        Ok("1 Long Road, 12345 Town"),
        Ok("+1 650 555 1234"),
        Ok("yes"),
        Ok("cash"),
    ];
    texts
        .iter()
        .map(|t| match t {
            Ok(text) => json!({"message": {"text": text}}),
            Err(payload) => json!({"postback": {"title": "Add to cart", "payload": payload}}),
        })
        .collect()
}

/// Events per shopper.
pub const TURNS: usize = 9;

/// One inbound event, signed and ready to deliver.
#[derive(Clone)]
pub struct Event {
    pub mid: String,
    body: Arc<Vec<u8>>,
    sig: Arc<str>,
}

fn event(psid: &str, mid: &str, ts: i64, turn: &Value) -> Event {
    let mut item =
        json!({"sender": {"id": psid}, "recipient": {"id": super::PAGE}, "timestamp": ts});
    let mut turn = turn.clone();
    if turn.get("message").is_some() {
        turn["message"]["mid"] = json!(mid);
    } else {
        turn["postback"]["mid"] = json!(mid);
    }
    for (k, v) in turn.as_object().unwrap() {
        item[k] = v.clone();
    }
    let body = serde_json::to_vec(
        &json!({"object": "page", "entry": [{"id": super::PAGE, "time": ts, "messaging": [item]}]}),
    )
    .unwrap();
    let sig = server::http::webhooks::sign(super::APP_SECRET, &body);
    Event {
        mid: mid.to_string(),
        body: Arc::new(body),
        sig: sig.into(),
    }
}

/// A shopper's PSID.
pub fn psid(tag: &str, n: usize) -> String {
    format!("{tag}{n:06}")
}

/// Who delivers what: per shopper, a list of steps; each step is a set of
/// deliveries made at the same moment.
pub struct Plan {
    pub tag: String,
    pub shoppers: Vec<Vec<Vec<Event>>>,
    pub unique: usize,
    pub deliveries: usize,
    pub concurrent_dups: usize,
    pub later_dups: usize,
}

impl Plan {
    /// `deliveries` deliveries in all, `dup_share` of them duplicates.
    pub fn new(tag: &str, deliveries: usize, dup_share: f64, rng: &mut StdRng) -> Plan {
        let unique_target = ((deliveries as f64) * (1.0 - dup_share)).round() as usize;
        let n = unique_target.div_ceil(TURNS).max(1);
        let unique = n * TURNS;
        let dups = ((unique as f64) * dup_share / (1.0 - dup_share)).round() as usize;
        let base = super::now_ms();
        let events: Vec<Vec<Event>> = (0..n)
            .map(|s| {
                let who = psid(tag, s);
                script()
                    .iter()
                    .enumerate()
                    .map(|(i, turn)| {
                        event(
                            &who,
                            &format!("m_{tag}_{s}_{i}"),
                            base + s as i64 + i as i64 * 1000,
                            turn,
                        )
                    })
                    .collect()
            })
            .collect();
        let mut shoppers: Vec<Vec<Vec<Event>>> = events
            .iter()
            .map(|evs| evs.iter().map(|e| vec![e.clone()]).collect())
            .collect();
        let (mut concurrent_dups, mut later_dups) = (0, 0);
        for _ in 0..dups {
            let s = rng.gen_range(0..n);
            let i = rng.gen_range(0..TURNS);
            let e = events[s][i].clone();
            if rng.gen_bool(0.5) {
                // Delivered twice at once.
                shoppers[s][i].push(e);
                concurrent_dups += 1;
            } else {
                // Delivered again after one to three newer events (or
                // after the last), as Meta's retries come.
                let at = (i + rng.gen_range(1..=3)).min(TURNS - 1);
                if at == i {
                    shoppers[s].push(vec![e]);
                } else {
                    shoppers[s][at].push(e);
                }
                later_dups += 1;
            }
        }
        Plan {
            tag: tag.to_string(),
            shoppers,
            unique,
            deliveries: unique + dups,
            concurrent_dups,
            later_dups,
        }
    }
}

/// What the deliveries saw.
#[derive(Default)]
pub struct Progress {
    /// Deliveries acknowledged with 200.
    pub acked: AtomicU64,
    /// HTTP attempts made.
    pub attempts: AtomicU64,
    /// Attempts answered 503.
    pub busy: AtomicU64,
    /// Attempts answered with another non-200 status.
    pub other_status: AtomicU64,
    /// Attempts with no answer (refused, reset, killed).
    pub no_answer: AtomicU64,
    /// Deliveries given up on.
    pub gave_up: AtomicU64,
    /// Unique events acknowledged at least once.
    pub acked_mids: Mutex<HashSet<String>>,
    /// Statuses other than 200 and 503 seen.
    pub statuses: Mutex<HashMap<u16, u64>>,
}

/// How long one delivery is retried before it counts as not acknowledged.
const GIVE_UP: Duration = Duration::from_secs(120);

async fn deliver(rig: &Rig, url: &str, e: &Event, progress: &Progress, seed: u64) {
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    loop {
        progress.attempts.fetch_add(1, Ordering::Relaxed);
        let res = rig
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &*e.sig)
            .body(e.body.as_ref().clone())
            .send()
            .await;
        match res.map(|r| r.status().as_u16()) {
            Ok(200) => {
                progress.acked.fetch_add(1, Ordering::Relaxed);
                progress.acked_mids.lock().unwrap().insert(e.mid.clone());
                return;
            }
            Ok(503) => {
                progress.busy.fetch_add(1, Ordering::Relaxed);
            }
            Ok(s) => {
                progress.other_status.fetch_add(1, Ordering::Relaxed);
                *progress.statuses.lock().unwrap().entry(s).or_default() += 1;
            }
            Err(_) => {
                progress.no_answer.fetch_add(1, Ordering::Relaxed);
            }
        }
        if start.elapsed() > GIVE_UP {
            progress.gave_up.fetch_add(1, Ordering::Relaxed);
            return;
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(50..300))).await;
    }
}

/// Delivers the plan, `parallel` shoppers at a time, each shopper's steps
/// in order.
pub async fn run(rig: Arc<Rig>, plan: &Plan, parallel: usize, progress: Arc<Progress>) {
    let url = format!("{}/webhooks/messenger", rig.base);
    let gate = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = Vec::new();
    for (s, steps) in plan.shoppers.iter().enumerate() {
        let steps = steps.clone();
        let rig = rig.clone();
        let url = url.clone();
        let progress = progress.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = gate.acquire().await.unwrap();
            for (i, step) in steps.iter().enumerate() {
                let all = step.iter().enumerate().map(|(j, e)| {
                    deliver(&rig, &url, e, &progress, (s * 1000 + i * 10 + j) as u64)
                });
                futures_util::future::join_all(all).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Waits until every stored event is applied and every reply is sent or
/// closed; `Err` with what is left after `within`, or once nothing has
/// moved for 45 s (longer than any retry or hang the suite injects).
pub async fn drain(store: &server::store::Store, within: Duration) -> Result<Duration, i64> {
    const STALL: Duration = Duration::from_secs(45);
    let start = Instant::now();
    let mut last = (i64::MIN, Instant::now());
    loop {
        let left: Result<i64, _> = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM inbox WHERE status = 'pending') + \
             (SELECT COUNT(*) FROM messages WHERE direction = 'out' \
                AND status NOT IN ('sent', 'delivered', 'read', 'failed', 'skipped'))",
        )
        .fetch_one(store.pool())
        .await;
        if let Ok(n) = left {
            if n == 0 {
                return Ok(start.elapsed());
            }
            if n != last.0 {
                last = (n, Instant::now());
            }
        }
        if start.elapsed() > within || last.1.elapsed() > STALL {
            return Err(left.unwrap_or(-1));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A reply as compared: the body without its recipient and the outbox
/// tag Botme puts in `metadata`, each run of digits (order numbers)
/// blanked.
pub fn fingerprint(body: &Value) -> String {
    let mut body = body.clone();
    if let Some(m) = body["message"].as_object_mut() {
        m.remove("metadata");
    }
    if let Some(o) = body.as_object_mut() {
        o.remove("biz_opaque_callback_data");
    }
    let mut out = String::new();
    for c in body.to_string().chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

/// What one run did, for the table.
#[derive(Default, Debug, Clone)]
pub struct Measures {
    pub deliveries: usize,
    pub unique: usize,
    pub acked_deliveries: u64,
    pub acked_unique: usize,
    pub http_attempts: u64,
    pub refused_503: u64,
    pub no_answer: u64,
    pub lost_events: usize,
    pub unanswered: usize,
    pub dup_replies: usize,
    pub dup_replies_crash_window: usize,
    pub dup_orders: usize,
    pub missing_orders: usize,
    pub failed_sends: i64,
    pub notes: Vec<String>,
}

/// Compares what the database and the fake Graph API hold with what every
/// acknowledged event should have caused: each applied once, each shopper
/// answered exactly as `expected` (the replies of a fault-free shopper)
/// and one order each. `kills` are the moments the server was killed: a
/// duplicate whose first copy came between 10 s before and 2 s after a
/// kill, and the second after the kill, is the documented crash window.
pub async fn measure(
    store: &server::store::Store,
    graph: &Graph,
    plan: &Plan,
    progress: &Progress,
    expected: &[String],
    kills: &[Instant],
) -> Measures {
    let acked = progress.acked_mids.lock().unwrap().clone();
    let mut m = Measures {
        deliveries: plan.deliveries,
        unique: plan.unique,
        acked_deliveries: progress.acked.load(Ordering::SeqCst),
        acked_unique: acked.len(),
        http_attempts: progress.attempts.load(Ordering::SeqCst),
        refused_503: progress.busy.load(Ordering::SeqCst),
        no_answer: progress.no_answer.load(Ordering::SeqCst),
        ..Measures::default()
    };
    let other = progress.other_status.load(Ordering::SeqCst);
    if other > 0 {
        m.notes.push(format!(
            "{other} deliveries answered with unexpected statuses {:?}",
            progress.statuses.lock().unwrap()
        ));
    }

    // Events: every acknowledged one stored and applied.
    let prefix = format!("m_{}_%", plan.tag);
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT external_id, status FROM inbox WHERE external_id LIKE $1")
            .bind(&prefix)
            .fetch_all(store.pool())
            .await
            .unwrap();
    let status: HashMap<String, String> = rows.into_iter().collect();
    let mut lost: Vec<String> = Vec::new();
    for mid in &acked {
        match status.get(mid).map(String::as_str) {
            Some("done") => {}
            other => lost.push(format!("{mid}: {}", other.unwrap_or("missing"))),
        }
    }
    lost.sort();
    m.lost_events = lost.len();
    if !lost.is_empty() {
        m.notes.push(format!(
            "lost events: {}",
            lost.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        ));
    }

    // Orders: one per shopper whose every event was acknowledged.
    let orders: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.external_user, COUNT(o.id) FROM conversations c \
         LEFT JOIN orders o ON o.conversation_id = c.id GROUP BY c.external_user",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    // A conversation's user is `{channel id}:{psid}`.
    let orders: HashMap<String, i64> = orders
        .into_iter()
        .map(|(user, n)| (user.rsplit(':').next().unwrap_or_default().to_string(), n))
        .collect();
    let complete: Vec<usize> = (0..plan.shoppers.len())
        .filter(|s| (0..TURNS).all(|i| acked.contains(&format!("m_{}_{s}_{i}", plan.tag))))
        .collect();
    for s in 0..plan.shoppers.len() {
        let n = orders.get(&psid(&plan.tag, s)).copied().unwrap_or(0);
        m.dup_orders += (n - 1).max(0) as usize;
        if n == 0 && complete.contains(&s) {
            m.missing_orders += 1;
        }
    }
    if m.missing_orders > 0 || m.dup_orders > 0 {
        let mut sample: Vec<_> = orders.iter().filter(|(_, n)| **n != 1).collect();
        sample.sort();
        sample.truncate(5);
        m.notes.push(format!(
            "{} shoppers without an order, {} extra orders: {sample:?}",
            m.missing_orders, m.dup_orders
        ));
    }

    // Replies: per shopper, the multiset of what arrived against the
    // fault-free shopper's.
    let mut got: HashMap<String, Vec<(String, Instant)>> = HashMap::new();
    for a in graph.accepted() {
        got.entry(a.to.clone())
            .or_default()
            .push((fingerprint(&a.body), a.at));
    }
    let mut want: HashMap<&str, usize> = HashMap::new();
    for e in expected {
        *want.entry(e).or_default() += 1;
    }
    let mut examples = Vec::new();
    for s in 0..plan.shoppers.len() {
        let who = psid(&plan.tag, s);
        let replies = got.remove(&who).unwrap_or_default();
        let mut by: HashMap<&str, Vec<Instant>> = HashMap::new();
        for (f, at) in &replies {
            by.entry(f.as_str()).or_default().push(*at);
        }
        for (f, n) in &want {
            let have = by.get(f).map_or(0, Vec::len);
            if have < *n && complete.contains(&s) {
                m.unanswered += n - have;
                if examples.len() < 2 {
                    examples.push(format!("{who} missing {f}"));
                }
            }
        }
        for (f, ats) in &by {
            let n = want.get(f).copied().unwrap_or(0);
            if ats.len() > n {
                let extra = ats.len() - n;
                m.dup_replies += extra;
                // The copies around a kill are the crash window's: the
                // first reached Meta before the kill, its commit did not
                // happen (it can wait seconds behind other writes under
                // load), the second came after the restart. A call the
                // killed server had written may also be read by the fake
                // just after the kill is noted, hence the 2 s after it.
                let mut ats = ats.clone();
                ats.sort();
                let straddled = |w: &[Instant]| {
                    kills.iter().find(|k| {
                        w[1] > **k
                            && w[0] <= **k + Duration::from_secs(2)
                            && k.saturating_duration_since(w[0]) < Duration::from_secs(10)
                    })
                };
                let windowed = ats
                    .windows(2)
                    .filter(|w| straddled(w).is_some())
                    .count()
                    .min(extra);
                m.dup_replies_crash_window += windowed;
                if windowed < extra && examples.len() < 6 {
                    let gaps: Vec<String> = ats
                        .windows(2)
                        .map(|w| {
                            let next = kills.iter().filter(|k| **k >= w[0]).min();
                            let last = kills.iter().filter(|k| **k < w[0]).max();
                            format!(
                                "copies {:.2} s apart; last kill {}, next {}",
                                (w[1] - w[0]).as_secs_f64(),
                                last.map_or("none".to_string(), |k| format!(
                                    "{:.2} s before the first",
                                    (w[0] - *k).as_secs_f64()
                                )),
                                next.map_or("none".to_string(), |k| format!(
                                    "{:.2} s after it",
                                    (*k - w[0]).as_secs_f64()
                                ))
                            )
                        })
                        .collect();
                    examples.push(format!(
                        "{who} got {} × {f} ({})",
                        ats.len(),
                        gaps.join(", ")
                    ));
                }
            }
        }
    }
    if !examples.is_empty() {
        m.notes.push(format!("replies: {}", examples.join("; ")));
    }
    m.failed_sends = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'failed'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    if m.failed_sends > 0 {
        let why: Vec<(Option<String>,)> = sqlx::query_as(
            "SELECT error FROM messages WHERE direction = 'out' AND status = 'failed' LIMIT 3",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        m.notes.push(format!("failed sends: {why:?}"));
    }
    m
}

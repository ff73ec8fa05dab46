//! The inbox list query at 100,000 conversations, measured in one run:
//! the first page, the waiting filter, a page deep down the cursor, the
//! assigned-to-me filter and a search, each run many times for p50 and
//! p99. On a fresh SQLite file, or with `BOTME_BENCH_PG` set, on a database
//! it creates on the PostgreSQL server `BOTME_TEST_PG_URL` names.
//!
//! The rows are written with multi-row inserts, not through webhooks: this
//! measures reading the inbox, which the pipeline benchmark does not.

mod support;

use std::time::{Duration, Instant};

use server::store::{AssigneeFilter, BotId, InboxFilter, NewSignup, Store, UserId};

const CONVERSATIONS: i64 = 100_000;
/// One in this many waits for a person.
const WAITING_EVERY: i64 = 100;
const RUNS: usize = 200;
const PAGE: i64 = 51;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pg =
        std::env::var_os("BOTME_BENCH_PG").and_then(|_| std::env::var("BOTME_TEST_PG_URL").ok());
    let (url, backend) = match &pg {
        Some(admin) => (
            support::create_pg_database(admin, "botme_inbox").await,
            "PostgreSQL",
        ),
        None => (
            format!("sqlite://{}", dir.path().join("inbox.db").display()),
            "SQLite",
        ),
    };
    let store = Store::connect(&url).await.expect("store");
    let (user, ws, _) = store
        .create_signup(&NewSignup {
            email: "bench@example.com",
            password_hash: "x",
            workspace_name: "Bench",
            token_hash: "bench-token",
            token_prefix: "bm_",
        })
        .await
        .expect("signup");
    let bot = store
        .workspace(ws)
        .create_bot("Shop", "{}")
        .await
        .expect("bot")
        .id;
    let started = Instant::now();
    fill(&store, ws.0, bot, user).await;
    let filled = started.elapsed();

    println!(
        "== inbox benchmark: {backend}, {CONVERSATIONS} conversations (filled in {filled:.1?}) =="
    );
    println!(
        "{:<52}{:>10}{:>10}",
        "query (page of 50)", "p50 ms", "p99 ms"
    );
    let t = store.workspace(ws);
    let base = InboxFilter {
        limit: PAGE,
        ..InboxFilter::default()
    };
    let deep_cursor = {
        // The cursor of the row 90,000 places down.
        let row: (i64, i64) = sqlx::query_as(
            "SELECT updated_at, id FROM conversations WHERE workspace_id = $1 \
             ORDER BY updated_at DESC, id DESC LIMIT 1 OFFSET 90000",
        )
        .bind(ws.0)
        .fetch_one(store.pool())
        .await
        .expect("deep row");
        row
    };
    let cases: Vec<(&str, InboxFilter)> = vec![
        ("newest first, no filter", base.clone()),
        (
            "waiting for a person",
            InboxFilter {
                status: Some("waiting"),
                ..base.clone()
            },
        ),
        (
            "open, page 1,800 (cursor 90,000 rows down)",
            InboxFilter {
                after: Some(deep_cursor),
                ..base.clone()
            },
        ),
        (
            "assigned to me",
            InboxFilter {
                assignee: Some(AssigneeFilter::Member(user)),
                ..base.clone()
            },
        ),
        (
            "search by name (\"shopper 4242\")",
            InboxFilter {
                q: Some("shopper 4242".into()),
                ..base.clone()
            },
        ),
    ];
    for (name, filter) in cases {
        let runs = if filter.q.is_some() { RUNS / 10 } else { RUNS };
        let mut times = Vec::with_capacity(runs);
        let mut rows = 0;
        for _ in 0..runs {
            let at = Instant::now();
            rows = t.inbox_list(&filter).await.expect("list").len();
            times.push(at.elapsed());
        }
        times.sort();
        let p = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "{:<52}{:>10.2}{:>10.2}   ({rows} rows, {runs} runs)",
            name,
            ms(p(0.5)),
            ms(p(0.99))
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `CONVERSATIONS` conversations with a message each; every
/// `WAITING_EVERY`th waits for a person and is assigned to `user`.
async fn fill(store: &Store, ws: i64, bot: BotId, user: UserId) {
    let now = 1_800_000_000_000_i64;
    let chunk = 500;
    let mut i = 0;
    while i < CONVERSATIONS {
        let end = (i + chunk).min(CONVERSATIONS);
        let mut sql = String::from(
            "INSERT INTO conversations (workspace_id, bot_id, channel, external_user, display_name, version, \
             session, created_at, updated_at, status, held, assignee_id, unread) VALUES ",
        );
        for n in i..end {
            let waiting = n % WAITING_EVERY == 0;
            let (status, held, assignee) = if waiting {
                ("waiting", 1, user.0.to_string())
            } else {
                ("open", 0, "NULL".to_string())
            };
            if n > i {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "({ws}, {}, 'web', 'visitor-{n}', 'Shopper {n}', 1, '{{}}', {}, {}, '{status}', {held}, {assignee}, {})",
                bot.0,
                now - n * 1000,
                now - n * 1000,
                n % 3
            ));
        }
        sqlx::query(&sql)
            .execute(store.pool())
            .await
            .expect("conversations");
        sqlx::query(
            "INSERT INTO messages (workspace_id, conversation_id, direction, event_id, body, preview, status, created_at) \
             SELECT workspace_id, id, 'in', 'e1', '{}', 'hello from ' || display_name, 'done', updated_at \
             FROM conversations WHERE workspace_id = $1 AND external_user IN \
             (SELECT external_user FROM conversations WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(ws)
        .bind(end - i)
        .execute(store.pool())
        .await
        .expect("messages");
        i = end;
    }
    if store.backend() == server::store::Backend::Postgres {
        sqlx::query("ANALYZE")
            .execute(store.pool())
            .await
            .expect("analyze");
    }
}

//! People in the loop, end to end over HTTP against the fake Graph API: a
//! shopper asks for a person, the conversation waits in the inbox, the bot
//! stays silent while a person answers from the dashboard (inside the
//! platforms' windows, with Messenger's HUMAN_AGENT tag when needed), and
//! the merchant hands it back to the bot. Also the list's filters, search
//! and cursor paging, the actions in the transcript, and roles. Runs on
//! both databases.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::meta::{self, FakeGraph, PAGE, PHONE, WAIT};
use crate::common::{Db, TestApp, now_ms, on_both_dbs};
use axum::http::StatusCode;
use serde_json::{Value, json};

on_both_dbs!(
    multi_thread:
    a_handoff_waits_for_a_person_who_answers_and_hands_back,
    replies_keep_to_the_platforms_windows,
    the_list_filters_searches_and_pages_without_gaps_or_repeats,
    viewers_read_agents_answer,
    a_reply_from_the_page_inbox_pauses_the_bot,
    a_handoff_is_posted_to_the_workspace_webhook_signed_and_retried,
    orders_page_past_any_cap,
);

const QUIET: Duration = Duration::from_millis(700);

async fn connected(db: Db) -> (FakeGraph, TestApp, common::Client) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    let (mut c, _, bot) = app.shop("merchant@example.com").await;
    for body in [
        json!({"kind": "messenger", "bot_id": bot, "page_id": PAGE, "access_token": "EAAB-page-token-123"}),
        json!({"kind": "whatsapp", "bot_id": bot, "phone_number_id": PHONE, "access_token": "EAAG-wa-token-456"}),
    ] {
        assert_eq!(
            c.post_json("/api/v1/channels", body).await.status,
            StatusCode::CREATED
        );
    }
    (fake, app, c)
}

/// The only conversation of the list, as listed.
async fn only(c: &mut common::Client, query: &str) -> Value {
    let list = c.get(&format!("/api/v1/conversations{query}")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    let all = list["conversations"].as_array().unwrap().clone();
    assert_eq!(all.len(), 1, "{list}");
    all[0].clone()
}

async fn a_handoff_waits_for_a_person_who_answers_and_hands_back(db: Db) {
    let (fake, app, mut c) = connected(db).await;
    let psid = "PSID-ana";
    let mut ts = now_ms();
    let mut say = async |mid: &str, text: &str| {
        ts += 1000;
        let res = app
            .webhook(
                "messenger",
                &meta::messenger_text(PAGE, psid, mid, ts, text),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
    };
    say("m1", "hi").await;
    let welcome = fake.wait_delivered(2, WAIT).await.len();
    assert!(meta::said(&fake.delivered()).contains("Welcome to our shop"));

    // The shop template's keyword hands off: the bot says what happens
    // next, and the conversation waits for a person, at the top.
    say("m2", "person").await;
    let sent = fake.wait_delivered(welcome + 1, WAIT).await;
    assert!(
        meta::said(&sent[welcome..]).contains("A person from our team will answer you here"),
        "{}",
        meta::said(&sent)
    );
    let conv = only(&mut c, "?status=waiting").await;
    let id = conv["id"].as_i64().unwrap();
    assert!(conv["held"].as_bool().unwrap());
    assert!(
        conv["handoff_reason"].as_str().unwrap().contains("person"),
        "{conv}"
    );
    assert!(conv["unread"].as_i64().unwrap() >= 2);
    let counts = c.get("/api/v1/inbox/counts").await.json();
    assert_eq!(counts["waiting"], 1);
    assert_eq!(counts["unread"], 1);

    // While it waits, the bot is silent, even for its keywords.
    say("m3", "hello?").await;
    say("m4", "menu").await;
    let before = fake.settle(QUIET).await.len();
    assert_eq!(before, welcome + 1, "the bot stayed silent");
    let listed = only(&mut c, "?status=waiting").await;
    assert_eq!(listed["last_message"], "menu");

    // A person answers from the dashboard: through the outbox, as a
    // response inside the 24-hour window.
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"text": "Hi Ana, Sam here. How can I help?"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text());
    assert_eq!(res.json()["author"], "merchant@example.com");
    let sent = fake.wait_delivered(before + 1, WAIT).await;
    let reply = &sent[before].body;
    assert_eq!(
        reply["message"]["text"],
        "Hi Ana, Sam here. How can I help?"
    );
    assert_eq!(reply["messaging_type"], "RESPONSE");
    assert_eq!(reply["recipient"]["id"], psid);

    // Answered: open, held by the person who answered, read.
    let detail = c.get(&format!("/api/v1/conversations/{id}")).await.json();
    assert_eq!(detail["status"], "open");
    assert_eq!(detail["held"], true);
    assert_eq!(detail["assignee"], "merchant@example.com");
    assert_eq!(detail["unread"], 0);
    assert_eq!(detail["window"]["can_send"], true);
    let kinds: Vec<&str> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "action")
        .map(|e| e["body"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["handoff", "assigned"]);
    let person = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["author"] == "merchant@example.com")
        .expect("the person's reply in the transcript");
    assert_eq!(person["direction"], "out");

    say("m5", "my order is late").await;
    assert_eq!(
        fake.settle(QUIET).await.len(),
        before + 1,
        "held: the bot does not answer"
    );

    // An unknown step is refused; resuming without one starts the flow
    // over, and the bot answers again.
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{id}/resume"),
            json!({"step": "nowhere"}),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_step");
    let res = c
        .post_json(&format!("/api/v1/conversations/{id}/resume"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["held"], false);
    let sent = fake.wait_delivered(before + 2, WAIT).await;
    assert!(meta::said(&sent[before + 1..]).contains("Welcome to our shop"));
    let resumed = fake.settle(QUIET).await.len();

    say("m6", "hi again").await;
    fake.wait_delivered(resumed + 1, WAIT).await;
    let detail = c.get(&format!("/api/v1/conversations/{id}")).await.json();
    let kinds: Vec<&str> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "action")
        .map(|e| e["body"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["handoff", "assigned", "resumed"]);

    // Closing ends it; the shopper writing again reopens it for the bot.
    let res = c
        .post_json(&format!("/api/v1/conversations/{id}/close"), json!({}))
        .await;
    assert_eq!(res.json()["status"], "closed");
    assert_eq!(
        only(&mut c, "?status=closed").await["id"].as_i64(),
        Some(id)
    );
    let quiet = fake.settle(QUIET).await.len();
    say("m7", "hi").await;
    fake.wait_delivered(quiet + 1, WAIT).await;
    assert_eq!(only(&mut c, "?status=open").await["id"].as_i64(), Some(id));
}

async fn replies_keep_to_the_platforms_windows(db: Db) {
    let (fake, app, mut c) = connected(db).await;
    assert_eq!(
        app.messenger_says("PSID-bo", "m1", "hi").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.webhook(
            "whatsapp",
            &meta::whatsapp(
                PHONE,
                "15550001111",
                vec![meta::wa_text("15550001111", "w1", now_ms() / 1000, "hi")]
            )
        )
        .await
        .status,
        StatusCode::OK
    );
    fake.wait_delivered(4, WAIT).await;
    let messenger = only(&mut c, "?channel=messenger").await["id"]
        .as_i64()
        .unwrap();
    let whatsapp = only(&mut c, "?channel=whatsapp").await["id"]
        .as_i64()
        .unwrap();
    let base = fake.settle(QUIET).await.len();

    let age = async |conv: i64, hours: i64| {
        sqlx::query("UPDATE conversations SET last_inbound_at = $1 WHERE id = $2")
            .bind(now_ms() - hours * 3_600_000)
            .bind(conv)
            .execute(app.db.store.pool())
            .await
            .unwrap();
    };

    // Messenger, two days later: a person's reply goes with HUMAN_AGENT.
    age(messenger, 48).await;
    let detail = c
        .get(&format!("/api/v1/conversations/{messenger}"))
        .await
        .json();
    assert_eq!(
        detail["window"]["human_agent"], true,
        "{}",
        detail["window"]
    );
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{messenger}/messages"),
            json!({"text": "Sorry for the wait!"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text());
    let sent = fake.wait_delivered(base + 1, WAIT).await;
    assert_eq!(sent[base].body["messaging_type"], "MESSAGE_TAG");
    assert_eq!(sent[base].body["tag"], "HUMAN_AGENT");

    // Eight days: refused with the reason, nothing stored or sent.
    age(messenger, 8 * 24).await;
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{messenger}/messages"),
            json!({"text": "Anyone there?"}),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "window_closed");
    assert!(res.error_message().contains("7 days"));

    // WhatsApp after 25 hours: only templates; the detail says so.
    age(whatsapp, 25).await;
    let detail = c
        .get(&format!("/api/v1/conversations/{whatsapp}"))
        .await
        .json();
    assert_eq!(detail["window"]["can_send"], false);
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{whatsapp}/messages"),
            json!({"text": "Hello"}),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "window_closed");
    assert!(res.error_message().contains("template"));
    // Inside the window it goes, with the time left shown.
    age(whatsapp, 1).await;
    let detail = c
        .get(&format!("/api/v1/conversations/{whatsapp}"))
        .await
        .json();
    assert!(
        detail["window"]["note"].as_str().unwrap().contains("23 h"),
        "{}",
        detail["window"]
    );

    // Bad replies are refused before anything is stored.
    for (body, code) in [
        (json!({"text": "   "}), "invalid_message"),
        (json!({}), "invalid_message"),
        (
            json!({"text": "a", "image_url": "https://x.example/a.png"}),
            "invalid_message",
        ),
        (
            json!({"image_url": "http://x.example/a.png"}),
            "invalid_message",
        ),
        (json!({"text": "x".repeat(5000)}), "invalid_message"),
    ] {
        let res = c
            .post_json(&format!("/api/v1/conversations/{whatsapp}/messages"), body)
            .await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{whatsapp}/messages"),
            json!({"product_id": 999_999}),
        )
        .await;
    res.assert_error(StatusCode::NOT_FOUND, "not_found");
    // A product card from the catalog.
    let product = c.get("/api/v1/products").await.json()["products"][0]["id"]
        .as_i64()
        .unwrap();
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{whatsapp}/messages"),
            json!({"product_id": product}),
        )
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text());
    let sent = fake.wait_delivered(base + 2, WAIT).await;
    assert_eq!(sent[base + 1].body["to"], "15550001111");
    assert_eq!(fake.settle(QUIET).await.len(), base + 2);
}

async fn the_list_filters_searches_and_pages_without_gaps_or_repeats(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, ws, bot) = app.shop("merchant@example.com").await;
    TestApp::web_channel(&mut c, bot).await;
    let res = c
        .post_json(
            "/api/v1/products",
            json!({"sku": "SOCK", "name": "Plain socks", "price": "9"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    // Seven web shoppers; the last one buys socks (an order to search by).
    for i in 0..6 {
        let user = format!("visitor-{i}");
        let name = format!("Shopper {i}");
        let turn = server::engine::Turn {
            workspace: server::store::WorkspaceId(ws),
            bot: server::store::BotId(bot),
            channel: app::channel::Channel::Web,
            user: &user,
            display_name: &name,
            event_id: "e1",
            input: app::flow::interpreter::Input::Text {
                text: format!("hello from {i}"),
            },
        };
        app.state.engine.apply(turn).await.unwrap();
    }
    let turns = app
        .buy_socks((ws, bot), ("visitor-buyer", "Zoe Buyer"), "Zoe Buyer")
        .await;
    let order = turns
        .iter()
        .find_map(|t| t.orders.first())
        .expect("an order")
        .number;

    // Pages of three, while new messages arrive: every conversation once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(cur) => format!("/api/v1/conversations?limit=3&cursor={cur}"),
            None => "/api/v1/conversations?limit=3".to_string(),
        };
        let page = c.get(&path).await.json();
        for conv in page["conversations"].as_array().unwrap() {
            seen.push(conv["id"].as_i64().unwrap());
        }
        pages += 1;
        if pages == 1 {
            // The oldest conversation becomes the newest meanwhile.
            let turn = server::engine::Turn {
                workspace: server::store::WorkspaceId(ws),
                bot: server::store::BotId(bot),
                channel: app::channel::Channel::Web,
                user: "visitor-0",
                display_name: "Shopper 0",
                event_id: "e2",
                input: app::flow::interpreter::Input::Text {
                    text: "still there?".into(),
                },
            };
            app.state.engine.apply(turn).await.unwrap();
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    // The one that moved is not repeated further down; every other
    // conversation is seen exactly once, and the moved one heads a fresh
    // first page (which the live stream prompts the inbox to load).
    assert_eq!(pages, 2);
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no repeats: {seen:?}");
    let first = c.get("/api/v1/conversations?limit=1").await.json();
    assert_eq!(first["conversations"][0]["shopper"], "Shopper 0");
    let moved = first["conversations"][0]["id"].as_i64().unwrap();
    let all: BTreeSet<i64> = c.get("/api/v1/conversations?limit=200").await.json()["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(all.len(), 7);
    let missed: Vec<i64> = all.difference(&unique).copied().collect();
    assert!(
        missed.is_empty() || missed == [moved],
        "no gaps but the conversation that moved to the top: {missed:?}"
    );
    // The bot answered it: its reply is the last message.
    assert_eq!(
        first["conversations"][0]["last_message"],
        "What would you like to do?"
    );

    // Search: by name, by text, by order number, case-insensitively.
    let zoe = only(&mut c, "?q=zoe").await;
    assert_eq!(zoe["shopper"], "Zoe Buyer");
    assert_eq!(
        only(&mut c, "?q=HELLO%20FROM%203").await["shopper"],
        "Shopper 3"
    );
    assert_eq!(
        only(&mut c, &format!("?q=%23{order}")).await["id"],
        zoe["id"]
    );
    let none = c.get("/api/v1/conversations?q=100%25").await.json();
    assert!(none["conversations"].as_array().unwrap().is_empty());

    // Assignment and status filters.
    let me = c.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    let zoe_id = zoe["id"].as_i64().unwrap();
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{zoe_id}/assign"),
            json!({"member_id": me}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(only(&mut c, "?assignee=me").await["id"], zoe["id"]);
    assert_eq!(
        only(&mut c, &format!("?assignee={me}")).await["id"],
        zoe["id"]
    );
    let unassigned = c.get("/api/v1/conversations?assignee=none").await.json();
    assert_eq!(unassigned["conversations"].as_array().unwrap().len(), 6);
    let res = c
        .post_json(
            &format!("/api/v1/conversations/{zoe_id}/assign"),
            json!({"member_id": 424_242}),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_user");
    c.post_json(&format!("/api/v1/conversations/{zoe_id}/close"), json!({}))
        .await;
    assert_eq!(only(&mut c, "?status=closed").await["id"], zoe["id"]);
    let open = c
        .get("/api/v1/conversations?status=open&channel=web")
        .await
        .json();
    assert_eq!(open["conversations"].as_array().unwrap().len(), 6);
    let other_bot = c
        .get(&format!("/api/v1/conversations?bot={}", bot + 1000))
        .await
        .json();
    assert!(other_bot["conversations"].as_array().unwrap().is_empty());

    // Filters it does not understand are named.
    for bad in [
        "?status=snoozed",
        "?assignee=bob",
        "?channel=fax",
        "?bot=x",
        "?cursor=garbage",
        "?limit=0",
        "?limit=500",
    ] {
        let res = c.get(&format!("/api/v1/conversations{bad}")).await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
    }
}

async fn viewers_read_agents_answer(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, ws, bot) = app.shop("merchant@example.com").await;
    TestApp::web_channel(&mut c, bot).await;
    let turn = server::engine::Turn {
        workspace: server::store::WorkspaceId(ws),
        bot: server::store::BotId(bot),
        channel: app::channel::Channel::Web,
        user: "visitor-1",
        display_name: "Vi",
        event_id: "e1",
        input: app::flow::interpreter::Input::Text { text: "hi".into() },
    };
    app.state.engine.apply(turn).await.unwrap();
    let id = only(&mut c, "").await["id"].as_i64().unwrap();
    let token = |role: &'static str| {
        let mut c = c.clone();
        async move {
            let res = c
                .post_json("/api/v1/tokens", json!({"name": role, "role": role}))
                .await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
            res.json()["token"].as_str().unwrap().to_string()
        }
    };
    let viewer = c.with_token(&token("viewer").await);
    let agent = c.with_token(&token("agent").await);

    let mut v = viewer.clone();
    assert_eq!(v.get("/api/v1/conversations").await.status, StatusCode::OK);
    assert_eq!(
        v.get(&format!("/api/v1/conversations/{id}")).await.status,
        StatusCode::OK
    );
    for (path, body) in [
        ("messages", json!({"text": "hi"})),
        ("assign", json!({"member_id": null})),
        ("close", json!({})),
        ("reopen", json!({})),
        ("resume", json!({})),
    ] {
        let res = v
            .post_json(&format!("/api/v1/conversations/{id}/{path}"), body)
            .await;
        res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    }

    // An agent answers and closes, but edits no bot.
    let mut a = agent.clone();
    let res = a
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"text": "An agent here"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text());
    assert_eq!(res.json()["author"], "API");
    let res = a
        .post_json(&format!("/api/v1/conversations/{id}/close"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let res = a
        .patch_json(&format!("/api/v1/bots/{bot}"), json!({"name": "Mine now"}))
        .await;
    res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(res.error_message().contains("an agent"));
    // The web shopper's transcript shows the person's reply.
    let detail = c.get(&format!("/api/v1/conversations/{id}")).await.json();
    assert!(
        detail["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["text"] == "An agent here" && e["status"] == "sent")
    );
}

async fn a_reply_from_the_page_inbox_pauses_the_bot(db: Db) {
    let (fake, app, mut c) = connected(db).await;
    let psid = "PSID-cy";
    assert_eq!(
        app.messenger_says(psid, "m1", "hi").await.status,
        StatusCode::OK
    );
    fake.wait_delivered(2, WAIT).await;
    let base = fake.settle(QUIET).await.len();

    // Botme's own echoes (tagged) prove a send and pause nothing: the bot
    // goes on answering below only because of that.
    let ours = meta::messenger_echo(PAGE, psid, "m_ours", now_ms(), &fake.delivered()[0].body);
    assert_eq!(app.webhook("messenger", &ours).await.status, StatusCode::OK);

    // Someone answers in Meta's Page Inbox: an untagged echo, delivered
    // twice.
    let echo = json!({"object": "page", "entry": [{"id": PAGE, "time": now_ms(), "messaging": [
        {"sender": {"id": PAGE}, "recipient": {"id": psid}, "timestamp": now_ms(),
         "message": {"is_echo": true, "app_id": 263_902_037_430_900_i64, "mid": "m_page_inbox", "text": "Hi, this is Dana from the shop"}}
    ]}]});
    for _ in 0..2 {
        assert_eq!(app.webhook("messenger", &echo).await.status, StatusCode::OK);
    }
    let id = only(&mut c, "").await["id"].as_i64().unwrap();
    let wait_until = std::time::Instant::now() + WAIT;
    let detail = loop {
        let d = c.get(&format!("/api/v1/conversations/{id}")).await.json();
        if d["paused_until"].is_i64() || std::time::Instant::now() > wait_until {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(detail["paused_until"].as_i64().unwrap() > now_ms() + 25 * 60_000);
    let echoes: Vec<&Value> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"] == "Hi, this is Dana from the shop")
        .collect();
    assert_eq!(echoes.len(), 1, "recorded once");
    assert_eq!(echoes[0]["direction"], "out");
    assert_eq!(echoes[0]["author"], "Meta inbox");
    assert!(
        detail["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["body"]["kind"] == "paused")
    );

    // The shopper answers Dana: the bot keeps out of it.
    assert_eq!(
        app.messenger_says(psid, "m2", "thanks Dana").await.status,
        StatusCode::OK
    );
    assert_eq!(fake.settle(QUIET).await.len(), base, "the bot is paused");

    // Once the pause is over, the bot answers again.
    sqlx::query("UPDATE conversations SET paused_until = $1 WHERE id = $2")
        .bind(now_ms() - 1)
        .bind(id)
        .execute(app.db.store.pool())
        .await
        .unwrap();
    assert_eq!(
        app.messenger_says(psid, "m3", "hi").await.status,
        StatusCode::OK
    );
    fake.wait_delivered(base + 1, WAIT).await;
}

/// A merchant's webhook on this machine: fails its first `fail` calls with
/// a 500, then checks the signature for real and keeps what it got.
struct Receiver {
    url: String,
    secret: std::sync::Arc<std::sync::Mutex<String>>,
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    got: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

async fn receiver(fail: usize) -> Receiver {
    use axum::http::HeaderMap;
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, Mutex};
    let secret = Arc::new(Mutex::new(String::new()));
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let got = Arc::new(Mutex::new(Vec::new()));
    let (s, n, g) = (secret.clone(), calls.clone(), got.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (s, n, g) = (s.clone(), n.clone(), g.clone());
            async move {
                if n.fetch_add(1, Ordering::SeqCst) < fail {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let header = headers
                    .get("botme-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let t: i64 = header
                    .split(',')
                    .find_map(|p| p.strip_prefix("t="))
                    .and_then(|t| t.parse().ok())
                    .unwrap_or_default();
                let secret = s.lock().unwrap().clone();
                let expected = server::engine::alerts::signature(&secret, t, &body);
                if header != expected || (now_ms() / 1000 - t).abs() > 300 {
                    return StatusCode::UNAUTHORIZED;
                }
                g.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                StatusCode::NO_CONTENT
            }
        }),
    );
    let addr = common::serve_local(app).await;
    Receiver {
        url: format!("http://{addr}/hook"),
        secret,
        calls,
        got,
    }
}

async fn a_handoff_is_posted_to_the_workspace_webhook_signed_and_retried(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta_tuned(db, &fake, |s| {
        s.workers.http_steps.allow_private = true;
    })
    .await;
    let (mut c, _, bot) = app.shop("merchant@example.com").await;
    let res = c
        .post_json(
            "/api/v1/channels",
            json!({"kind": "messenger", "bot_id": bot, "page_id": PAGE, "access_token": "EAAB-page-token-123"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let hook = receiver(2).await;

    // Bad settings are refused with the reason.
    for (body, says) in [
        (json!({"notify_url": "ftp://example.com/x"}), "http"),
        (json!({"notify_url": "not a url"}), "https address"),
        (json!({"echo_pause_minutes": -1}), "echo_pause_minutes"),
    ] {
        let res = c
            .request(
                axum::http::Method::PUT,
                "/api/v1/settings/inbox",
                Some(body),
            )
            .await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        assert!(
            res.error_message().contains(says),
            "{}",
            res.error_message()
        );
    }
    let res = c
        .request(
            axum::http::Method::PUT,
            "/api/v1/settings/inbox",
            Some(json!({"notify_url": hook.url, "echo_pause_minutes": 15})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let saved = res.json();
    let secret = saved["secret"]
        .as_str()
        .expect("the secret, once")
        .to_string();
    assert!(secret.starts_with("whsec_"));
    *hook.secret.lock().unwrap() = secret;
    let again = c.get("/api/v1/settings/inbox").await.json();
    assert!(again.get("secret").is_none(), "never shown again: {again}");
    assert_eq!(again["has_secret"], true);
    assert_eq!(again["echo_pause_minutes"], 15);

    // A handoff, delivered twice by Meta: one notification, delivered
    // after two failures.
    assert_eq!(
        app.messenger_says("PSID-di", "m1", "hi").await.status,
        StatusCode::OK
    );
    let event = meta::messenger_text(PAGE, "PSID-di", "m2", now_ms(), "person");
    for _ in 0..2 {
        assert_eq!(
            app.webhook("messenger", &event).await.status,
            StatusCode::OK
        );
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while hook.got.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = hook.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(hook.calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert_eq!(got[0]["event"], "handoff");
    assert_eq!(got[0]["conversation"]["channel"], "messenger");
    assert!(
        got[0]["conversation"]["reason"]
            .as_str()
            .unwrap()
            .contains("person")
    );
    let recent = c.get("/api/v1/settings/inbox").await.json()["recent"].clone();
    assert_eq!(recent[0]["status"], "delivered");
    assert_eq!(recent[0]["attempts"], 3);

    // Viewers cannot change where shoppers' names go.
    let viewer = c
        .post_json("/api/v1/tokens", json!({"name": "v", "role": "viewer"}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = c
        .with_token(&viewer)
        .request(
            axum::http::Method::PUT,
            "/api/v1/settings/inbox",
            Some(json!({"notify_url": ""})),
        )
        .await;
    res.assert_error(StatusCode::FORBIDDEN, "forbidden");
}

async fn orders_page_past_any_cap(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, ws, bot) = app.shop("merchant@example.com").await;
    let res = c
        .post_json(
            "/api/v1/products",
            json!({"sku": "SOCK", "name": "Plain socks", "price": "9"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    for i in 0..5 {
        let user = format!("buyer-{i}");
        app.buy_socks((ws, bot), (&user, "Buyer"), "Buyer").await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/orders?limit=2".to_string();
    loop {
        let page = c.get(&path).await.json();
        seen.extend(
            page["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["number"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => path = format!("/api/v1/orders?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [1005, 1004, 1003, 1002, 1001],
        "newest first, each once"
    );
    c.get("/api/v1/orders?cursor=x")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
}

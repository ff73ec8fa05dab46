//! Shoppers on Messenger and WhatsApp, end to end over HTTP against a fake
//! Graph API: signed webhooks in, replies out, orders placed. The shopper
//! taps the buttons the bot actually sent. Duplicates, reordering, 429
//! storms, terminal errors, the 24-hour window, receipts and old backlogs.
//! Runs on both databases.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::meta::{self, FakeGraph, Fault, PAGE, PHONE, WAIT};
use crate::common::{Db, TestApp, count, now_ms, on_both_dbs};
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn connected(db: Db) -> (FakeGraph, TestApp, common::Client) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    let (mut c, ws, bot) = app.shop("merchant@example.com").await;
    assert_eq!(ws, 1, "tests below assume the first workspace");
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

async fn orders(app: &TestApp) -> i64 {
    count(&app.db.store, "orders").await
}

on_both_dbs!(
    multi_thread:
    a_messenger_shopper_buys_by_tapping_what_the_bot_sent,
    a_whatsapp_shopper_buys_by_tapping_what_the_bot_sent,
    one_event_delivered_five_times_is_answered_once,
    an_out_of_order_batch_is_applied_in_timestamp_order,
    a_429_storm_ends_with_everything_delivered_in_order,
    terminal_errors_are_recorded_not_retried,
    statuses_update_the_outbox_and_never_go_back,
    an_old_backlog_is_recorded_not_answered,
    no_free_form_message_outside_the_window,
);

async fn a_messenger_shopper_buys_by_tapping_what_the_bot_sent(db: Db) {
    let (fake, app, mut c) = connected(db).await;
    let psid = "PSID-ana";
    let mut ts = now_ms();
    let mut n = 0;
    let mut step = |_: Value| {
        n += 1;
        ts += 1000;
        (format!("m_in_{n}"), ts)
    };
    let (mid, t) = step(Value::Null);
    assert_eq!(
        app.webhook(
            "messenger",
            &meta::messenger_text(PAGE, psid, &mid, t, "hi")
        )
        .await
        .status,
        StatusCode::OK
    );
    let sent = fake.wait_delivered(2, WAIT).await;
    assert!(
        sent.iter()
            .all(|r| r.account == PAGE && r.token == "EAAB-page-token-123")
    );
    assert_eq!(sent[0].body["recipient"]["id"], psid);
    assert!(meta::said(&sent).contains("Welcome to our shop"));

    let browse =
        meta::messenger_payload(&sent, "Browse products").expect("a Browse products quick reply");
    let (mid, t) = step(Value::Null);
    app.webhook(
        "messenger",
        &meta::messenger_quick_reply(PAGE, psid, &mid, t, "Browse products", &browse),
    )
    .await;
    // The intro text, the carousel, and "What next?" with More/Done.
    let sent = fake.wait_delivered(5, WAIT).await;
    let carousel = sent
        .iter()
        .find(|r| r.body["message"]["attachment"]["payload"]["template_type"] == "generic")
        .expect("a carousel");
    assert_eq!(
        carousel.body["message"]["attachment"]["payload"]["elements"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let add = meta::messenger_payload(&sent, "Add to cart").expect("an Add to cart postback");
    let (mid, t) = step(Value::Null);
    app.webhook(
        "messenger",
        &meta::messenger_postback(PAGE, psid, &mid, t, &add),
    )
    .await;
    let sent = fake.wait_delivered(7, WAIT).await;
    assert!(meta::said(&sent).contains("Added"), "{}", meta::said(&sent));

    let checkout = meta::messenger_payload(&sent, "Checkout").unwrap();
    let (mid, t) = step(Value::Null);
    app.webhook(
        "messenger",
        &meta::messenger_quick_reply(PAGE, psid, &mid, t, "Checkout", &checkout),
    )
    .await;
    let mut expected = 8;
    for answer in [
        "Ana Lima",
        "Rua Augusta 100, 1100-053 Lisboa",
        "+351 912 345 678",
    ] {
        fake.wait_delivered(expected, WAIT).await;
        let (mid, t) = step(Value::Null);
        app.webhook(
            "messenger",
            &meta::messenger_text(PAGE, psid, &mid, t, answer),
        )
        .await;
        expected += 1;
    }
    let sent = fake.wait_delivered(expected, WAIT).await;
    let confirm = meta::messenger_payload(&sent, "Confirm order").unwrap();
    let (mid, t) = step(Value::Null);
    app.webhook(
        "messenger",
        &meta::messenger_quick_reply(PAGE, psid, &mid, t, "Confirm order", &confirm),
    )
    .await;
    let sent = fake.wait_delivered(expected + 1, WAIT).await;
    let cash = meta::messenger_payload(&sent, "Cash on delivery").unwrap();
    let (mid, t) = step(Value::Null);
    app.webhook(
        "messenger",
        &meta::messenger_quick_reply(PAGE, psid, &mid, t, "Cash on delivery", &cash),
    )
    .await;
    let sent = fake.wait_delivered(expected + 3, WAIT).await;
    let text = meta::said(&sent);
    assert!(text.contains("Your order 1001 is placed"), "{text}");
    assert_eq!(orders(&app).await, 1);

    // The conversation's transcript and order are in the API.
    let list = c.get("/api/v1/conversations").await.json();
    assert_eq!(list["conversations"][0]["channel"], "messenger");
    let id = list["conversations"][0]["id"].as_i64().unwrap();
    let detail = c.get(&format!("/api/v1/conversations/{id}")).await.json();
    assert_eq!(detail["orders"][0]["number"], 1001);
    let outbound: Vec<&Value> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "out")
        .collect();
    assert!(
        outbound.iter().all(|e| e["status"] == "sent"),
        "{outbound:#?}"
    );
}

async fn a_whatsapp_shopper_buys_by_tapping_what_the_bot_sent(db: Db) {
    let (fake, app, _c) = connected(db).await;
    let wa = "16505551234";
    let mut ts = now_ms() / 1000;
    let mut n = 0;
    let mut next = || {
        n += 1;
        ts += 1;
        (format!("wamid.IN{n}"), ts)
    };
    let (id, t) = next();
    app.webhook(
        "whatsapp",
        &meta::whatsapp(PHONE, wa, vec![meta::wa_text(wa, &id, t, "hi")]),
    )
    .await;
    let sent = fake.wait_delivered(2, WAIT).await;
    assert!(sent.iter().all(|r| r.account == PHONE
        && r.body["to"] == wa
        && r.body["messaging_product"] == "whatsapp"));
    // Four options: a list on WhatsApp.
    let (browse, list) =
        meta::whatsapp_reply(&sent, "Browse products").expect("a Browse products row");
    assert!(list);
    let (id, t) = next();
    app.webhook(
        "whatsapp",
        &meta::whatsapp(PHONE, wa, vec![meta::wa_tap(wa, &id, t, &browse, list)]),
    )
    .await;
    // Two products: a run of image cards with buttons, then More/Done.
    let sent = fake.wait_delivered(6, WAIT).await;
    let (add, list) = meta::whatsapp_reply(&sent, "Add to cart").expect("an Add to cart button");
    let (id, t) = next();
    app.webhook(
        "whatsapp",
        &meta::whatsapp(PHONE, wa, vec![meta::wa_tap(wa, &id, t, &add, list)]),
    )
    .await;
    let sent = fake.wait_delivered(8, WAIT).await;
    let (checkout, list) = meta::whatsapp_reply(&sent, "Checkout").unwrap();
    let (id, t) = next();
    app.webhook(
        "whatsapp",
        &meta::whatsapp(PHONE, wa, vec![meta::wa_tap(wa, &id, t, &checkout, list)]),
    )
    .await;
    let mut expected = 9;
    for answer in [
        "Ana Lima",
        "Rua Augusta 100, 1100-053 Lisboa",
        "+351 912 345 678",
    ] {
        fake.wait_delivered(expected, WAIT).await;
        let (id, t) = next();
        app.webhook(
            "whatsapp",
            &meta::whatsapp(PHONE, wa, vec![meta::wa_text(wa, &id, t, answer)]),
        )
        .await;
        expected += 1;
    }
    let sent = fake.wait_delivered(expected, WAIT).await;
    let (confirm, list) = meta::whatsapp_reply(&sent, "Confirm order").unwrap();
    let (id, t) = next();
    app.webhook(
        "whatsapp",
        &meta::whatsapp(PHONE, wa, vec![meta::wa_tap(wa, &id, t, &confirm, list)]),
    )
    .await;
    let sent = fake.wait_delivered(expected + 1, WAIT).await;
    let (cash, list) = meta::whatsapp_reply(&sent, "Cash on delivery").unwrap();
    let (id, t) = next();
    app.webhook(
        "whatsapp",
        &meta::whatsapp(PHONE, wa, vec![meta::wa_tap(wa, &id, t, &cash, list)]),
    )
    .await;
    let sent = fake.wait_delivered(expected + 3, WAIT).await;
    assert!(
        meta::said(&sent).contains("Your order 1001 is placed"),
        "{}",
        meta::said(&sent)
    );
    assert_eq!(orders(&app).await, 1);
}

async fn one_event_delivered_five_times_is_answered_once(db: Db) {
    let (fake, app, _c) = connected(db).await;
    let hi = meta::messenger_text(PAGE, "PSID-dup", "m_dup_1", now_ms(), "hi");
    let (a, b, c, d, e) = tokio::join!(
        app.webhook("messenger", &hi),
        app.webhook("messenger", &hi),
        app.webhook("messenger", &hi),
        app.webhook("messenger", &hi),
        app.webhook("messenger", &hi),
    );
    for r in [a, b, c, d, e] {
        assert_eq!(r.status, StatusCode::OK);
    }
    fake.wait_delivered(2, WAIT).await;
    // …and again later, as Meta's retries do.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.webhook("messenger", &hi).await;
    let sent = fake.settle(Duration::from_millis(500)).await;
    assert_eq!(sent.len(), 2, "one reply set: {}", meta::said(&sent));
    assert_eq!(count(&app.db.store, "inbox").await, 1);

    // The same holds for the order-placing event.
    let wa = "15550001111";
    let base = now_ms() / 1000;
    let script: Vec<Value> = vec![meta::wa_text(wa, "w1", base, "hi")];
    app.webhook("whatsapp", &meta::whatsapp(PHONE, wa, script))
        .await;
    tap_after(&app, &fake, 4, wa, ("w2", base + 1), "Browse products").await;
    tap_after(&app, &fake, 8, wa, ("w3", base + 2), "Add to cart").await;
    tap_after(&app, &fake, 10, wa, ("w4", base + 3), "Checkout").await;
    let mut expected = 11;
    for (i, answer) in ["Bo", "1 Long Road, 12345 Town", "+1 650 555 1234"]
        .iter()
        .enumerate()
    {
        fake.wait_delivered(expected, WAIT).await;
        app.webhook(
            "whatsapp",
            &meta::whatsapp(
                PHONE,
                wa,
                vec![meta::wa_text(
                    wa,
                    &format!("w{}", 5 + i),
                    base + 4 + i as i64,
                    answer,
                )],
            ),
        )
        .await;
        expected += 1;
    }
    tap_after(&app, &fake, expected, wa, ("w8", base + 8), "Confirm order").await;
    let sent = fake.wait_delivered(expected + 1, WAIT).await;
    let (cash, l) = meta::whatsapp_reply(&sent, "Cash on delivery").unwrap();
    let pay = meta::whatsapp(PHONE, wa, vec![meta::wa_tap(wa, "w9", base + 9, &cash, l)]);
    tokio::join!(
        app.webhook("whatsapp", &pay),
        app.webhook("whatsapp", &pay),
        app.webhook("whatsapp", &pay),
        app.webhook("whatsapp", &pay),
        app.webhook("whatsapp", &pay),
    );
    fake.wait_delivered(expected + 3, WAIT).await;
    app.webhook("whatsapp", &pay).await;
    let sent = fake.settle(Duration::from_millis(500)).await;
    assert_eq!(
        sent.len(),
        expected + 3,
        "one reply set for the payment choice"
    );
    assert_eq!(orders(&app).await, 1);
    assert_eq!(meta::said(&sent).matches("is placed").count(), 1);
}

async fn an_out_of_order_batch_is_applied_in_timestamp_order(db: Db) {
    let (fake, app, mut c) = connected(db).await;
    let wa = "15550002222";
    let t = now_ms() / 1000;
    // Meta sends the later message first in one batch.
    let batch = meta::whatsapp(
        PHONE,
        wa,
        vec![
            meta::wa_text(wa, "late", t + 5, "Browse products"),
            meta::wa_text(wa, "early", t, "hi"),
        ],
    );
    app.webhook("whatsapp", &batch).await;
    let sent = fake.wait_delivered(5, WAIT).await;
    let text = meta::said(&sent);
    // "hi" greets and shows the menu; then "Browse products" picks from it.
    assert!(
        text.find("Welcome").unwrap() < text.find("Here is what we have").unwrap(),
        "{text}"
    );
    let conv = c.get("/api/v1/conversations").await.json()["conversations"][0]["id"]
        .as_i64()
        .unwrap();
    let detail = c.get(&format!("/api/v1/conversations/{conv}")).await.json();
    let inbound: Vec<&str> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "in")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(inbound, ["hi", "Browse products"]);
}

async fn a_429_storm_ends_with_everything_delivered_in_order(db: Db) {
    let (fake, app, _c) = connected(db).await;
    fake.inject((0..6).map(|i| {
        if i % 2 == 0 {
            Fault::Status(429)
        } else {
            Fault::Error(400, 613)
        }
    }));
    fake.inject([Fault::Status(503), Fault::Error(400, 130429)]);
    let wa = "15550003333";
    app.wa_says(wa, "storm1", "hi").await;
    let psid = "PSID-storm";
    app.messenger_says(psid, "storm2", "hi").await;
    let sent = fake.wait_delivered(4, Duration::from_secs(30)).await;
    let all = fake.requests();
    assert!(
        all.iter().filter(|r| !r.ok).count() >= 8,
        "the storm happened"
    );
    // Per conversation, the greeting always precedes the menu.
    for account in [PAGE, PHONE] {
        let mine: Vec<String> = sent
            .iter()
            .filter(|r| r.account == account)
            .map(|r| meta::said(std::slice::from_ref(r)))
            .collect();
        assert_eq!(mine.len(), 2, "{account}: {mine:?}");
        assert!(mine[0].contains("Welcome"), "{account}: {mine:?}");
        assert!(
            mine[1].contains("What would you like"),
            "{account}: {mine:?}"
        );
    }
    // The fake answers before the sender records the answer: wait for the
    // last status to land.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let statuses: Vec<String> =
            sqlx::query_scalar("SELECT status FROM messages WHERE direction = 'out'")
                .fetch_all(app.db.store.pool())
                .await
                .unwrap();
        if statuses.iter().all(|s| s == "sent") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every message ends sent: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn terminal_errors_are_recorded_not_retried(db: Db) {
    let (fake, app, _c) = connected(db).await;
    fake.inject([Fault::Error(400, 131047)]);
    let wa = "15550004444";
    app.wa_says(wa, "t1", "hi").await;
    // The greeting fails for good; the menu after it still goes out.
    fake.wait_delivered(1, WAIT).await;
    let all = fake.settle(Duration::from_millis(500)).await;
    assert_eq!(
        fake.requests().len(),
        2,
        "no retry of the failed one: {:?}",
        all.len()
    );
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, error FROM messages WHERE direction = 'out' ORDER BY id")
            .fetch_all(app.db.store.pool())
            .await
            .unwrap();
    assert_eq!(rows[0].0, "failed");
    assert!(
        rows[0].1.as_deref().unwrap().contains("24-hour"),
        "{rows:?}"
    );
    assert_eq!(rows[1].0, "sent");

    // An invalid token stops the channel and says why.
    fake.inject([Fault::Error(401, 190)]);
    app.messenger_says("PSID-tok", "t2", "hi").await;
    let health = meta::health_once_stopped(&app.db.store, "kind = 'messenger'").await;
    assert!(health.contains("access token"), "{health}");
}

async fn statuses_update_the_outbox_and_never_go_back(db: Db) {
    let (fake, app, _c) = connected(db).await;
    let wa = "15550005555";
    app.wa_says(wa, "s1", "hi").await;
    fake.wait_delivered(2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT external_id FROM messages WHERE direction = 'out' ORDER BY id")
            .fetch_all(app.db.store.pool())
            .await
            .unwrap();
    let first = &ids[0];
    let t = now_ms() / 1000;
    for status in ["read", "delivered", "sent"] {
        assert_eq!(
            app.webhook("whatsapp", &meta::wa_status(PHONE, first, status, t))
                .await
                .status,
            StatusCode::OK
        );
    }
    let status: String = sqlx::query_scalar("SELECT status FROM messages WHERE external_id = $1")
        .bind(first)
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
    assert_eq!(status, "read", "a late 'delivered' does not undo 'read'");
    // A receipt for a message not sent yet is kept and applied when it is.
    app.webhook(
        "whatsapp",
        &meta::wa_status(PHONE, "wamid.FUTURE", "delivered", t),
    )
    .await;
    assert_eq!(count(&app.db.store, "receipts").await, 4);
}

async fn an_old_backlog_is_recorded_not_answered(db: Db) {
    let (fake, app, mut c) = connected(db).await;
    let wa = "15550006666";
    let two_days_ago = now_ms() / 1000 - 2 * 24 * 3600;
    app.webhook(
        "whatsapp",
        &meta::whatsapp(
            PHONE,
            wa,
            vec![meta::wa_text(wa, "old1", two_days_ago, "hi")],
        ),
    )
    .await;
    let deadline = Instant::now() + WAIT;
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE status = 'pending'")
                .fetch_one(app.db.store.pool())
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM inbox")
            .fetch_one(app.db.store.pool())
            .await
            .unwrap();
    assert_eq!(status, "skipped", "{error:?}");
    assert!(
        fake.settle(Duration::from_millis(300)).await.is_empty(),
        "not answered"
    );
    // The merchant still sees it in the transcript.
    let conv = c.get("/api/v1/conversations").await.json()["conversations"][0]["id"]
        .as_i64()
        .unwrap();
    let detail = c.get(&format!("/api/v1/conversations/{conv}")).await.json();
    assert_eq!(detail["transcript"][0]["text"], "hi");
}

async fn no_free_form_message_outside_the_window(db: Db) {
    let (fake, app, mut c) = connected(db).await;
    // A shopper orders on Messenger…
    let psid = "PSID-late";
    let script = ["hi"];
    app.webhook(
        "messenger",
        &meta::messenger_text(PAGE, psid, "l1", now_ms(), script[0]),
    )
    .await;
    fake.wait_delivered(2, WAIT).await;
    // …and goes quiet for two days.
    sqlx::query("UPDATE conversations SET last_inbound_at = $1")
        .bind(now_ms() - 2 * 24 * 3600 * 1000)
        .execute(app.db.store.pool())
        .await
        .unwrap();
    // The merchant's status change would make the bot speak: it is not sent.
    let conv = c.get("/api/v1/conversations").await.json()["conversations"][0]["id"]
        .as_i64()
        .unwrap();
    let before = fake.requests().len();
    let state = &app.state;
    let row = app
        .db
        .store
        .workspace(server::store::WorkspaceId(1))
        .conversation(server::store::ConversationId(conv))
        .await
        .unwrap()
        .unwrap();
    let mut txn = app
        .db
        .store
        .workspace(server::store::WorkspaceId(1))
        .transaction()
        .await
        .unwrap();
    txn.record_outbound(
        row.id,
        &serde_json::to_string(&app::channel::Outbound::Text {
            text: "Your order shipped".into(),
        })
        .unwrap(),
        "Your order shipped",
        server::store::MessageStatus::Pending,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    state.engine.wake().outbox.notify_one();
    let deadline = Instant::now() + WAIT;
    loop {
        let status: String =
            sqlx::query_scalar("SELECT status FROM messages WHERE preview = 'Your order shipped'")
                .fetch_one(app.db.store.pool())
                .await
                .unwrap();
        if status == "skipped" {
            break;
        }
        assert!(Instant::now() < deadline, "status stayed {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fake.requests().len(), before, "nothing was attempted");
}

/// Waits until `n` messages went out, then taps the WhatsApp button
/// `label` among them as `wa`, with event id and timestamp `at`.
async fn tap_after(
    app: &TestApp,
    fake: &FakeGraph,
    n: usize,
    wa: &str,
    (id, ts): (&str, i64),
    label: &str,
) {
    let sent = fake.wait_delivered(n, WAIT).await;
    let (reply, list) = meta::whatsapp_reply(&sent, label).unwrap();
    let tap = meta::wa_tap(wa, id, ts, &reply, list);
    app.webhook("whatsapp", &meta::whatsapp(PHONE, wa, vec![tap]))
        .await;
}

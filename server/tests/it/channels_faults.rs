//! The sender and the pipeline under faults, over HTTP against the fake
//! Graph API: an invalid token parks a channel until the merchant replaces
//! it, hung calls time out and are retried, WhatsApp's pair-rate error waits
//! as Meta asks, sends keep within the configured rate, receipts that
//! overtake a send, work claims of a stopped instance, disconnecting a
//! channel, a 3 MB WhatsApp batch, a redelivery after the inbox was
//! pruned, and sends whose answer was lost after Meta took them (sent once
//! when the echo or status proves it). Runs on both databases.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::meta::{self, FakeGraph, Fault, PAGE, PHONE, Recorded, WAIT};
use crate::common::{Db, TestApp, count, now_ms, on_both_dbs};
use axum::http::StatusCode;
use serde_json::json;
use server::store::{ConversationId, Direction, MessageStatus, NewReceipt, Store, WorkspaceId};

/// The shop, published, on a Messenger page and a WhatsApp number; returns
/// the owner's client and the two channel ids.
async fn shop(app: &TestApp) -> (common::Client, i64, i64) {
    let (c, page, phone, _) = shop_bot(app).await;
    (c, page, phone)
}

/// [`shop`], with the bot's id.
async fn shop_bot(app: &TestApp) -> (common::Client, i64, i64, i64) {
    let (mut c, ws, bot) = app.shop("merchant@example.com").await;
    assert_eq!(ws, 1, "tests below assume the first workspace");
    let mut ids = Vec::new();
    for body in [
        json!({"kind": "messenger", "bot_id": bot, "page_id": PAGE, "access_token": "EAAB-page-token-123"}),
        json!({"kind": "whatsapp", "bot_id": bot, "phone_number_id": PHONE, "access_token": "EAAG-wa-token-456"}),
    ] {
        let res = c.post_json("/api/v1/channels", body).await;
        assert_eq!(res.status, StatusCode::CREATED);
        ids.push(res.json()["id"].as_i64().unwrap());
    }
    (c, ids[0], ids[1], bot)
}

async fn statuses(store: &Store) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT status, error FROM messages WHERE direction = 'out' ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

/// Waits until `done` holds for the outbound statuses.
async fn until_statuses(store: &Store, done: impl Fn(&[(String, Option<String>)]) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        let rows = statuses(store).await;
        if done(&rows) {
            return;
        }
        assert!(Instant::now() < deadline, "outbox stayed {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn texts_to(sent: &[Recorded], account: &str, recipient: &str) -> Vec<String> {
    sent.iter()
        .filter(|r| {
            r.account == account
                && (r.body["recipient"]["id"] == recipient || r.body["to"] == recipient)
        })
        .map(|r| meta::said(std::slice::from_ref(r)))
        .collect()
}

on_both_dbs!(
    multi_thread:
    an_invalid_token_parks_the_channel_until_the_token_is_replaced,
    a_call_that_hangs_times_out_and_is_retried,
    the_pair_rate_error_waits_as_meta_asks,
    sends_keep_within_the_configured_rate,
    a_receipt_that_overtakes_a_send_waits_for_it,
    claims_of_a_stopped_instance_come_back_and_a_live_ones_stay,
    disconnecting_a_channel_closes_what_waits_on_it,
    a_3_mb_whatsapp_batch_is_accepted,
    a_redelivery_after_the_inbox_was_pruned_is_closed_not_retried,
    the_channels_page_shows_what_to_paste_into_meta,
    a_batch_of_many_statuses_is_stored_whole,
    an_unknown_stored_status_is_an_error_not_a_default,
    a_slow_platform_holds_at_most_64_sends_in_flight,
    a_message_meta_took_before_timing_out_is_not_sent_again,
    a_whatsapp_message_meta_took_before_a_500_waits_for_its_status,
    without_proof_of_delivery_a_part_is_sent_again_after_the_wait,
);

async fn an_invalid_token_parks_the_channel_until_the_token_is_replaced(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    let (mut c, page, _) = shop(&app).await;
    fake.inject([Fault::Error(401, 190)]);
    app.messenger_says("PSID-a", "tok1", "hi").await;
    let health = meta::health_once_stopped(&app.db.store, &format!("id = {page}")).await;
    assert!(health.contains("access token"), "{health}");
    // A second shopper writes: nothing more is tried with the bad token…
    app.messenger_says("PSID-b", "tok2", "hi").await;
    // …while the WhatsApp number, which works, answers as usual.
    let wa = "15550007777";
    app.wa_says(wa, "tok3", "hi").await;
    fake.wait_delivered(2, WAIT).await;
    let settled = fake.settle(Duration::from_millis(400)).await;
    assert!(settled.iter().all(|r| r.account == PHONE), "{settled:?}");
    let tries_on_page = fake.requests().iter().filter(|r| r.account == PAGE).count();
    assert_eq!(tries_on_page, 1, "only the call that found the bad token");
    let parked: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT m.status, m.error FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.direction = 'out' AND c.channel_id = $1 ORDER BY m.id",
    )
    .bind(page)
    .fetch_all(app.db.store.pool())
    .await
    .unwrap();
    assert_eq!(parked.len(), 4, "two replies to each shopper: {parked:?}");
    assert!(parked.iter().all(|(s, _)| s == "pending"), "{parked:?}");
    assert!(
        parked[0].1.as_deref().unwrap().contains("reconnected"),
        "{parked:?}"
    );
    // The merchant pastes a fresh token: everything waiting goes out, in
    // order per shopper, with the new token.
    fake.grant("EAAB-fresh-token-789", PAGE, "Test Shop");
    let res = c
        .patch_json(
            &format!("/api/v1/channels/{page}"),
            json!({"access_token": "EAAB-fresh-token-789"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["health"], "ok");
    let sent = fake.wait_delivered(6, WAIT).await;
    let on_page: Vec<&Recorded> = sent.iter().filter(|r| r.account == PAGE).collect();
    assert_eq!(on_page.len(), 4);
    assert!(on_page.iter().all(|r| r.token == "EAAB-fresh-token-789"));
    for psid in ["PSID-a", "PSID-b"] {
        let mine = texts_to(&sent, PAGE, psid);
        assert_eq!(mine.len(), 2, "{psid}: {mine:?}");
        assert!(mine[0].contains("Welcome"), "{psid}: {mine:?}");
    }
    // Bad changes are refused whole.
    let res = c
        .patch_json(
            &format!("/api/v1/channels/{page}"),
            json!({"allowed_origins": ["https://shop.example"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = c
        .patch_json(
            &format!("/api/v1/channels/{page}"),
            json!({"access_token": "short"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        c.patch_json("/api/v1/channels/999999", json!({"name": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn a_call_that_hangs_times_out_and_is_retried(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta_tuned(db, &fake, |s| {
        s.workers.sender.timeout = Duration::from_millis(300);
    })
    .await;
    shop(&app).await;
    fake.inject([Fault::Hang(Duration::from_secs(5))]);
    app.messenger_says("PSID-hang", "hang1", "hi").await;
    let started = Instant::now();
    let sent = fake.wait_delivered(2, WAIT).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the hung call was given up on, not waited out"
    );
    let all = fake.requests();
    assert_eq!(all.len(), 3, "one hung call, then both messages");
    assert_eq!(
        all[0].body, all[1].body,
        "the timed-out message is the one retried"
    );
    let mine = texts_to(&sent, PAGE, "PSID-hang");
    assert!(mine[0].contains("Welcome"), "{mine:?}");
    until_statuses(&app.db.store, |rows| {
        rows.len() == 2 && rows.iter().all(|(s, _)| s == "sent")
    })
    .await;
}

async fn the_pair_rate_error_waits_as_meta_asks(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    shop(&app).await;
    fake.inject([Fault::Error(400, 131056)]);
    let wa = "15550008888";
    app.wa_says(wa, "pair1", "hi").await;
    fake.wait_delivered(2, WAIT).await;
    let all = fake.requests();
    assert!(!all[0].ok && all[1].ok);
    assert_eq!(all[0].body, all[1].body);
    let gap = all[1].at.duration_since(all[0].at);
    assert!(
        gap >= Duration::from_millis(950),
        "Meta asks for 4^0 = 1 s first: waited {gap:?}"
    );
}

async fn sends_keep_within_the_configured_rate(db: Db) {
    let fake = FakeGraph::start().await;
    // 10 calls a second per page, no burst.
    let app = TestApp::with_meta_tuned(db, &fake, |s| {
        s.workers.sender.account_rate =
            Arc::new(server::engine::ratelimit::Buckets::new(10.0, 1.0));
    })
    .await;
    shop(&app).await;
    // A storm of throttling answers on top.
    fake.inject([
        Fault::Status(429),
        Fault::Error(400, 613),
        Fault::Status(429),
        Fault::Error(400, 4),
    ]);
    let shoppers: Vec<String> = (0..8).map(|i| format!("PSID-rate-{i}")).collect();
    for (i, psid) in shoppers.iter().enumerate() {
        app.webhook(
            "messenger",
            &meta::messenger_text(PAGE, psid, &format!("rate{i}"), now_ms(), "hi"),
        )
        .await;
    }
    let sent = fake.wait_delivered(16, Duration::from_secs(30)).await;
    let all = fake.requests();
    assert_eq!(all.len(), 20, "16 messages and 4 refused calls");
    let mut times: Vec<Instant> = all.iter().map(|r| r.at).collect();
    times.sort();
    // Paced 100 ms apart when they leave; on arrival one call may be late
    // and the next on time, so a single gap may look short, never two.
    for pair in times.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(gap >= Duration::from_millis(40), "a burst: {gap:?}");
    }
    for three in times.windows(3) {
        let span = three[2].duration_since(three[0]);
        assert!(
            span >= Duration::from_millis(170),
            "calls to one page stay at 10/s: three within {span:?}"
        );
    }
    let whole = times[times.len() - 1].duration_since(times[0]);
    assert!(
        whole >= Duration::from_millis(1850),
        "20 calls in {whole:?}"
    );
    for psid in &shoppers {
        let mine = texts_to(&sent, PAGE, psid);
        assert_eq!(mine.len(), 2, "{psid}: {mine:?}");
        assert!(mine[0].contains("Welcome"), "in order: {mine:?}");
    }
}

/// A conversation on the WhatsApp channel with one outbound message
/// queued, without workers; returns the app, the message id, the owner's
/// client and the WhatsApp channel's id.
async fn queued_message(db: Db) -> (TestApp, i64, common::Client, i64) {
    let app = TestApp::with_graph(db, &FakeGraph::start().await).await;
    let (c, _page, phone, bot) = shop_bot(&app).await;
    let store = &app.db.store;
    let ws = WorkspaceId(1);
    let bot = server::store::BotId(bot);
    let mut txn = store.workspace(ws).transaction().await.unwrap();
    let conv = txn
        .conversation_for_update(bot, app::channel::Channel::Whatsapp, "wa:1", "Ana", 1, "{}")
        .await
        .unwrap();
    let touch = server::store::Touch {
        channel: Some(server::store::ChannelId(phone)),
        recipient: "15550009999",
        recipient_kind: "wa_phone",
        inbound_at: Some(now_ms()),
    };
    txn.touch_conversation(conv.id, &touch).await.unwrap();
    let body = serde_json::to_string(&app::channel::Outbound::Text { text: "hi".into() }).unwrap();
    let id = txn
        .record_outbound(conv.id, &body, "hi", MessageStatus::Pending)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    (app, id, c, phone)
}

async fn status_of(store: &Store, id: i64) -> (String, Option<i64>) {
    sqlx::query_as("SELECT status, sent_at FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn receipt(store: &Store, message_id: &str, status: MessageStatus) {
    let r = NewReceipt {
        channel: app::channel::Channel::Whatsapp,
        message_id: message_id.into(),
        status,
        error: None,
        platform_ts: now_ms(),
        sent_part: None,
    };
    store.queue().ingest(&[], &[r], &[]).await.unwrap();
}

async fn a_receipt_that_overtakes_a_send_waits_for_it(db: Db) {
    let (app, id, _, _) = queued_message(db).await;
    let store = &app.db.store;
    let claimed = store.queue().claim_outbox("me", 10).await.unwrap();
    assert_eq!(claimed.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
    // The first part went out, then the second one must wait to retry.
    store
        .queue()
        .outbox_progress(id, 1, "wamid.PART1")
        .await
        .unwrap();
    store
        .queue()
        .outbox_retry(id, 1, now_ms(), "Meta was briefly unavailable")
        .await
        .unwrap();
    // The receipt for the first part arrives meanwhile.
    receipt(store, "wamid.PART1", MessageStatus::Delivered).await;
    assert_eq!(
        status_of(store, id).await.0,
        "pending",
        "a half-sent message still goes on sending"
    );
    let again = store.queue().claim_outbox("me", 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].parts_sent, 1, "it resumes after the sent part");
    receipt(store, "wamid.PART1", MessageStatus::Read).await;
    assert_eq!(status_of(store, id).await.0, "sending");
    store.queue().outbox_sent(id).await.unwrap();
    let (status, sent_at) = status_of(store, id).await;
    assert_eq!(status, "read", "the receipts that came early apply now");
    assert!(sent_at.is_some(), "and the send time is kept");
}

/// Statuses are read through one mapping: a name it does not know fails
/// the read instead of passing for another status.
async fn an_unknown_stored_status_is_an_error_not_a_default(db: Db) {
    let (app, id, _, _) = queued_message(db).await;
    let store = &app.db.store;
    let conv: i64 = sqlx::query_scalar("SELECT conversation_id FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    let read = || {
        store
            .workspace(WorkspaceId(1))
            .transcript(ConversationId(conv), 0, 10)
    };
    let transcript = read().await.unwrap();
    assert_eq!(transcript.len(), 1);
    assert_eq!(transcript[0].status, MessageStatus::Pending);
    assert_eq!(transcript[0].direction, Direction::Out);
    sqlx::query("UPDATE messages SET status = 'queued' WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
    let err = read().await.unwrap_err();
    // sqlx 0.8's derive cannot print the mapping's own error, but names
    // the column it could not decode.
    assert!(
        matches!(
            &err,
            server::store::StoreError::Database(sqlx::Error::ColumnDecode { index, .. })
                if index == "status"
        ),
        "{err}"
    );
}

async fn claims_of_a_stopped_instance_come_back_and_a_live_ones_stay(db: Db) {
    let (app, id, _, _) = queued_message(db).await;
    let store = &app.db.store;
    let release =
        |instance, all_others| store.queue().release_stale_claims(instance, all_others, 0);
    assert_eq!(store.queue().claim_outbox("a", 10).await.unwrap().len(), 1);
    // Instance b sees a fresh claim of a: a is alive, nothing comes back.
    assert_eq!(release("b", false).await.unwrap(), 0);
    // a renews it; still nothing.
    store.queue().renew_claims("a").await.unwrap();
    assert_eq!(release("b", false).await.unwrap(), 0);
    // a goes quiet past the lease: b gives the message back.
    sqlx::query("UPDATE messages SET claimed_at = $1 WHERE id = $2")
        .bind(now_ms() - server::store::CLAIM_LEASE_MS - 1)
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(release("b", false).await.unwrap(), 1);
    assert_eq!(status_of(store, id).await.0, "pending");
    // An instance never takes back its own claims, however old.
    assert_eq!(store.queue().claim_outbox("b", 10).await.unwrap().len(), 1);
    sqlx::query("UPDATE messages SET claimed_at = 0 WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(release("b", true).await.unwrap(), 0);
    // A restarted process on SQLite takes back every earlier claim at once.
    store.queue().renew_claims("b").await.unwrap();
    assert_eq!(release("c", true).await.unwrap(), 1);
    assert_eq!(store.queue().claim_outbox("c", 10).await.unwrap().len(), 1);
}

async fn disconnecting_a_channel_closes_what_waits_on_it(db: Db) {
    let (app, id, mut c, phone) = queued_message(db).await;
    let store = &app.db.store;
    assert!(store.queue().next_outbox_due().await.unwrap().is_some());
    assert_eq!(
        c.delete(&format!("/api/v1/channels/{phone}")).await.status,
        StatusCode::NO_CONTENT
    );
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM messages WHERE id = $1")
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("disconnected"));
    assert_eq!(
        store.queue().next_outbox_due().await.unwrap(),
        None,
        "nothing left to wake the sender for"
    );
    assert!(
        store
            .queue()
            .claim_outbox("me", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The conversation and its transcript stay.
    let conv = store
        .workspace(WorkspaceId(1))
        .conversation(ConversationId(1))
        .await
        .unwrap();
    assert!(conv.is_some());
}

async fn a_3_mb_whatsapp_batch_is_accepted(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    shop(&app).await;
    let wa = "15550001212";
    let mut body = meta::whatsapp(
        PHONE,
        wa,
        vec![meta::wa_text(wa, "big1", now_ms() / 1000, "hi")],
    );
    // Fields Botme does not read, as large as Meta's biggest payloads.
    body["entry"][0]["changes"][0]["value"]["padding"] = json!("x".repeat(3 * 1024 * 1024));
    let res = app.webhook("whatsapp", &body).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(count(&app.db.store, "inbox").await, 1);
    fake.wait_delivered(2, WAIT).await;
}

async fn a_redelivery_after_the_inbox_was_pruned_is_closed_not_retried(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    shop(&app).await;
    let hi = meta::messenger_text(PAGE, "PSID-late-retry", "m_prune", now_ms(), "hi");
    app.webhook("messenger", &hi).await;
    fake.wait_delivered(2, WAIT).await;
    // Weeks later the inbox row is pruned, and Meta delivers it once more.
    let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE status = 'done'")
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
    assert_eq!(done, 1);
    let pruned = app
        .db
        .store
        .queue()
        .prune_inbox(now_ms() + 1)
        .await
        .expect("prune");
    assert_eq!(pruned, 1);
    app.webhook("messenger", &hi).await;
    let deadline = Instant::now() + WAIT;
    loop {
        let rows: Vec<String> = sqlx::query_scalar("SELECT status FROM inbox")
            .fetch_all(app.db.store.pool())
            .await
            .unwrap();
        if rows == ["done"] {
            break;
        }
        assert!(Instant::now() < deadline, "inbox stayed {rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        fake.settle(Duration::from_millis(400)).await.len(),
        2,
        "not answered twice"
    );
}

async fn the_channels_page_shows_what_to_paste_into_meta(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    let (mut c, _, _) = shop(&app).await;
    let page = c.get("/channels").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for needle in [
        "http://127.0.0.1:3000/webhooks/messenger",
        "http://127.0.0.1:3000/webhooks/whatsapp",
        meta::VERIFY_TOKEN,
    ] {
        assert!(html.contains(needle), "{needle} is on the page");
    }
    // And the handshake accepts exactly that token.
    let res = c
        .get(&format!(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={}&hub.challenge=42",
            meta::VERIFY_TOKEN
        ))
        .await;
    assert_eq!((res.status, res.text()), (StatusCode::OK, "42".into()));
}

async fn a_batch_of_many_statuses_is_stored_whole(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    shop(&app).await;
    let t = now_ms() / 1000;
    let statuses: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            json!({"id": format!("wamid.BULK{i}"), "status": if i % 2 == 0 { "delivered" } else { "read" },
                   "timestamp": t.to_string(), "recipient_id": "16505551234"})
        })
        .collect();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1555", "phone_number_id": PHONE},
        "statuses": statuses
    }}]}]});
    let res = app.webhook("whatsapp", &body).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(count(&app.db.store, "receipts").await, 300);
    // Delivered again, as Meta does: nothing new.
    app.webhook("whatsapp", &body).await;
    assert_eq!(count(&app.db.store, "receipts").await, 300);
}

async fn a_slow_platform_holds_at_most_64_sends_in_flight(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta_tuned(db, &fake, |s| {
        s.workers.sender.timeout = Duration::from_secs(20);
    })
    .await;
    shop(&app).await;
    // Meta stops answering; 80 shoppers write, each due a reply.
    fake.inject((0..200).map(|_| Fault::Hang(Duration::from_secs(3))));
    for i in 0..80 {
        let res = app
            .messenger_says(&format!("PSID-{i}"), &format!("slow{i}"), "hi")
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
    // The sender waits on 64 calls and keeps the rest in the database.
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.requests().len() < 64 {
        assert!(
            Instant::now() < deadline,
            "only {} calls",
            fake.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.requests().len(), 64);
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'pending'",
    )
    .fetch_one(app.db.store.pool())
    .await
    .unwrap();
    assert!(waiting >= 16, "{waiting} still pending");
}

/// Waits until nothing new reaches the fake for a moment; every request.
async fn quiet(fake: &FakeGraph) -> Vec<Recorded> {
    fake.settle(Duration::from_millis(400)).await;
    fake.requests()
}

async fn a_message_meta_took_before_timing_out_is_not_sent_again(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta_tuned(db, &fake, |s| {
        s.workers.sender.timeout = Duration::from_millis(500);
        s.workers.sender.echo_wait = Duration::from_secs(60);
    })
    .await;
    shop(&app).await;
    // Meta takes the welcome, then the answer never comes.
    fake.inject([Fault::AcceptThen(Box::new(Fault::Hang(
        Duration::from_secs(5),
    )))]);
    app.messenger_says("PSID-amb", "amb1", "hi").await;
    let first = fake.wait_delivered(1, WAIT).await.remove(0);
    let tag = first.body["message"]["metadata"].as_str().expect("tagged");
    assert!(app::channel::SendTag::parse(tag).is_some(), "{tag}");
    // Its echo arrives while the call still hangs, as Meta sends it.
    let echo = meta::messenger_echo(PAGE, "PSID-amb", "m_echo_1", now_ms(), &first.body);
    assert_eq!(app.webhook("messenger", &echo).await.status, StatusCode::OK);
    // The rest of the reply follows well before the minute's wait.
    fake.wait_delivered(2, WAIT).await;
    let all = quiet(&fake).await;
    assert_eq!(all.len(), 2, "the welcome went once: {all:#?}");
    assert_ne!(all[0].body, all[1].body);
    until_statuses(&app.db.store, |rows| {
        rows.len() == 2 && rows.iter().all(|(s, _)| s == "sent")
    })
    .await;
    let id: Option<String> = sqlx::query_scalar(
        "SELECT external_id FROM messages WHERE direction = 'out' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.store.pool())
    .await
    .unwrap();
    assert_eq!(
        id.as_deref(),
        Some("m_echo_1"),
        "receipts find it by the echo's id"
    );
}

async fn a_whatsapp_message_meta_took_before_a_500_waits_for_its_status(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta_tuned(db, &fake, |s| {
        s.workers.sender.echo_wait = Duration::from_secs(60);
    })
    .await;
    shop(&app).await;
    fake.inject([Fault::AcceptThen(Box::new(Fault::Status(500)))]);
    let wa = "15550007777";
    app.wa_says(wa, "amb-wa1", "hi").await;
    let first = fake.wait_delivered(1, WAIT).await.remove(0);
    let tag = first.body["biz_opaque_callback_data"].clone();
    assert!(tag.is_string(), "{:#}", first.body);
    // The 500 leaves it waiting for proof, and nothing is sent meanwhile.
    until_statuses(&app.db.store, |rows| {
        rows.first().is_some_and(|(s, e)| {
            s == "pending" && e.as_deref().is_some_and(|e| e.contains("confirm delivery"))
        })
    })
    .await;
    assert_eq!(quiet(&fake).await.len(), 1);
    // A status naming the tag on another channel's account proves nothing.
    let mut stray = meta::wa_status("2999999", "wamid.STRAY", "sent", now_ms() / 1000);
    stray["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] =
        tag.clone();
    app.webhook("whatsapp", &stray).await;
    assert_eq!(quiet(&fake).await.len(), 1);
    // Meta's `sent` status, carrying the tag, proves it.
    let mut status = meta::wa_status(PHONE, "wamid.AMB", "sent", now_ms() / 1000);
    status["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] = tag;
    assert_eq!(
        app.webhook("whatsapp", &status).await.status,
        StatusCode::OK
    );
    fake.wait_delivered(2, WAIT).await;
    let all = quiet(&fake).await;
    assert_eq!(all.len(), 2, "the welcome went once: {all:#?}");
    assert_ne!(
        all[0].body["biz_opaque_callback_data"],
        all[1].body["biz_opaque_callback_data"]
    );
    until_statuses(&app.db.store, |rows| {
        rows.len() == 2 && rows.iter().all(|(s, _)| s == "sent")
    })
    .await;
}

async fn without_proof_of_delivery_a_part_is_sent_again_after_the_wait(db: Db) {
    let fake = FakeGraph::start().await;
    let wait = Duration::from_millis(800);
    let app = TestApp::with_meta_tuned(db, &fake, |s| {
        s.workers.sender.timeout = Duration::from_millis(300);
        s.workers.sender.echo_wait = wait;
    })
    .await;
    shop(&app).await;
    // Meta takes it and never answers; no echo comes (the page does not
    // subscribe to echoes): after the wait it is sent again, once.
    fake.inject([Fault::AcceptThen(Box::new(Fault::Hang(
        Duration::from_secs(5),
    )))]);
    app.messenger_says("PSID-noecho", "noecho1", "hi").await;
    fake.wait_delivered(3, WAIT).await;
    let all = quiet(&fake).await;
    assert_eq!(all.len(), 3, "{all:#?}");
    assert_eq!(
        all[0].body, all[1].body,
        "the unconfirmed part is the one sent again"
    );
    assert!(
        all[1].at - all[0].at >= wait,
        "sent again after {:?}, before the wait",
        all[1].at - all[0].at
    );
}

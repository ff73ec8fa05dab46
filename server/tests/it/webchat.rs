//! The web-chat channel over HTTP: the widget script, the framed chat page
//! and its origin rules, visitors, deduplicated messages, history, the live
//! stream, and a whole purchase.

use std::time::{Duration, Instant};

use crate::common::meta::{FakeGraph, items, payload_in};
use crate::common::webchat::{enter, history, say, say_from};
use crate::common::{Client, Db, TestApp, count, on_both_dbs};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

on_both_dbs!(
    a_visitor_buys_through_the_web_chat,
    a_visitor_holds_a_few_live_streams_and_silent_visitors_expire,
);

async fn widget(db: Db) -> (TestApp, String) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    let (mut c, _, bot) = app.shop("merchant@example.com").await;
    let key = TestApp::web_channel(&mut c, bot).await;
    (app, key)
}

async fn visitor(c: &mut Client, key: &str) -> String {
    let res = enter(c, key, json!({})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()["visitor_token"].as_str().unwrap().to_string()
}

/// Waits until the history holds at least `n` bot messages.
async fn bot_messages(c: &mut Client, key: &str, token: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let res = history(c, &format!("/api/webchat/{key}/messages?after=0"), token).await;
        assert_eq!(res.status, StatusCode::OK);
        let out: Vec<Value> = res.json()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out")
            .cloned()
            .collect();
        if out.len() >= n {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "only {} bot messages: {out:#?}",
            out.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn payload(messages: &[Value], label: &str) -> String {
    messages
        .iter()
        .rev()
        .find_map(|m| {
            let b = &m["body"];
            let buttons = items(&b["cards"]).flat_map(|c| items(&c["buttons"]));
            payload_in(items(&b["choices"]), "label", label)
                .or_else(|| payload_in(buttons, "label", label))
        })
        .unwrap_or_else(|| panic!("no “{label}” button in {messages:#?}"))
}

#[tokio::test]
async fn the_widget_script_and_chat_page() {
    let (app, key) = widget(Db::Sqlite).await;
    let mut c = app.client();
    let js = c.get("/widget.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/javascript")
    );
    assert_eq!(js.headers[header::CACHE_CONTROL], "public, max-age=300");
    assert!(
        js.body.len() < 4096,
        "the widget stays small: {} bytes",
        js.body.len()
    );
    assert!(js.text().contains("data-botme-key"));

    let page = c.get(&format!("/chat/{key}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("frame-ancestors 'self' https://shop.example"),
        "{csp}"
    );
    assert!(page.text().contains(&key));
    assert!(page.text().contains("Shop"), "the bot's name");
    // The one stylesheet the editor's preview chat uses too.
    assert!(page.text().contains(app::ui::WEBCHAT_CSS));
    assert!(!page.text().contains("__WEBCHAT_CSS__"));
    assert_eq!(c.get("/chat/wk_nope").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.get("/chat/%3Cscript%3E").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn visitors_resume_and_messages_are_deduplicated() {
    let (app, key) = widget(Db::Sqlite).await;
    let mut c = app.client();
    let token = visitor(&mut c, &key).await;
    let res = enter(&mut c, &key, json!({"visitor_token": token})).await;
    assert_eq!(res.status, StatusCode::OK, "a returning visitor resumes");
    assert_eq!(res.json()["visitor_token"], token.as_str());
    let res = enter(&mut c, &key, json!({"visitor_token": "vt_forged"})).await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "an unknown token gets a new visitor"
    );

    let path = format!("/api/webchat/{key}/messages");
    for _ in 0..3 {
        let res = say(
            &mut c,
            &path,
            &token,
            json!({"client_id": "m-1", "text": "hi"}),
        )
        .await;
        assert_eq!(res.status, StatusCode::ACCEPTED);
    }
    let again = say(
        &mut c,
        &path,
        &token,
        json!({"client_id": "m-1", "text": "hi"}),
    )
    .await;
    assert_eq!(again.json()["duplicate"], true);
    let replies = bot_messages(&mut c, &key, &token, 2).await;
    assert!(replies[0]["text"].as_str().unwrap().contains("Welcome"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        bot_messages(&mut c, &key, &token, 2).await.len(),
        2,
        "one reply set"
    );
    assert_eq!(count(&app.db.store, "inbox").await, 1);

    // The history is a cursor: after the last id there is nothing new.
    let all = history(&mut c, &format!("{path}?after=0"), &token)
        .await
        .json();
    let cursor = all["cursor"].as_i64().unwrap();
    assert_eq!(
        all["messages"][0]["client_id"], "m-1",
        "the page recognises what it sent"
    );
    let later = history(&mut c, &format!("{path}?after={cursor}"), &token)
        .await
        .json();
    assert_eq!(later["messages"], json!([]));

    // Bad input, clearly refused.
    for body in [
        json!({"client_id": "x", "text": "a", "payload": "b"}),
        json!({"client_id": "x"}),
        json!({"client_id": "no spaces", "text": "a"}),
        json!({"client_id": "x", "text": "a".repeat(2001)}),
    ] {
        let res = say(&mut c, &path, &token, body.clone()).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    // Without a visitor token, with a forged one, or to an unknown widget.
    for (to, token, status) in [
        (path.as_str(), None, StatusCode::UNAUTHORIZED),
        (path.as_str(), Some("vt_forged"), StatusCode::UNAUTHORIZED),
        (
            "/api/webchat/wk_nope/messages",
            Some(token.as_str()),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let body = json!({"client_id": "y", "text": "a"});
        let res = c
            .request_with(Method::POST, to, token, None, Some(body))
            .await;
        assert_eq!(res.status, status, "{to} {token:?}");
    }
}

#[tokio::test]
async fn only_allowed_sites_may_call() {
    let (app, key) = widget(Db::Sqlite).await;
    let mut c = app.client();
    let token = visitor(&mut c, &key).await;
    let path = format!("/api/webchat/{key}/messages");
    let evil = say_from(&mut c, &path, &token, "https://evil.example", "e").await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    assert!(
        evil.headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    let shop = say_from(&mut c, &path, &token, "https://shop.example", "s").await;
    assert_eq!(shop.status, StatusCode::ACCEPTED);
    assert_eq!(
        shop.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://shop.example"
    );
    let own = say_from(&mut c, &path, &token, "http://127.0.0.1:3000", "o").await;
    assert_eq!(own.status, StatusCode::ACCEPTED, "the chat page itself");
    let preflight = c
        .request_with(
            Method::OPTIONS,
            &path,
            None,
            Some("https://shop.example"),
            None,
        )
        .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert!(
        preflight.headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    assert_eq!(count(&app.db.store, "inbox").await, 2);
}

async fn a_visitor_buys_through_the_web_chat(db: Db) {
    let (app, key) = widget(db).await;
    let mut c = app.client();
    let token = visitor(&mut c, &key).await;
    let path = format!("/api/webchat/{key}/messages");
    // What the visitor does, step by step (tap a button by its label, or
    // type), and how many bot messages each step brings.
    let steps = [
        ("tap", "Browse products", 1),
        ("tap", "Add to cart", 2),
        ("tap", "Checkout", 1),
        ("type", "Ana", 1),
        ("type", "1 Long Road, 12345 Town", 1),
        ("type", "+1 650 555 1234", 1),
        ("tap", "Confirm order", 1),
        ("tap", "Pay online", 3),
    ];
    let start = json!({"client_id": "c1", "payload": "__start__"});
    say(&mut c, &path, &token, start).await;
    let mut seen = 2;
    let mut msgs = bot_messages(&mut c, &key, &token, seen).await;
    for (n, (action, value, replies)) in steps.into_iter().enumerate() {
        let client_id = format!("c{}", n + 2);
        let body = match action {
            "tap" => json!({"client_id": client_id, "payload": payload(&msgs, value)}),
            _ => json!({"client_id": client_id, "text": value}),
        };
        say(&mut c, &path, &token, body).await;
        seen += replies;
        msgs = bot_messages(&mut c, &key, &token, seen).await;
    }
    let link = msgs
        .iter()
        .find(|m| m["body"]["kind"] == "link")
        .expect("an order-page link");
    let url = link["body"]["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:3000/o/"), "{url}");
    assert_eq!(count(&app.db.store, "orders").await, 1);
    let page = app
        .client()
        .get(&url["http://127.0.0.1:3000".len()..])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Order 1001"));
}

#[tokio::test]
async fn replies_stream_as_server_sent_events() {
    let (app, key) = widget(Db::Sqlite).await;
    let mut c = app.client();
    let token = visitor(&mut c, &key).await;
    let path = format!("/api/webchat/{key}/messages");
    say(
        &mut c,
        &path,
        &token,
        json!({"client_id": "hello", "text": "hi"}),
    )
    .await;
    let req = Request::builder()
        .uri(format!("/api/webchat/{key}/stream?token={token}&after=0"))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = res.into_body();
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !text.contains("Welcome") {
        assert!(Instant::now() < deadline, "no reply streamed: {text}");
        if let Ok(Some(Ok(frame))) =
            tokio::time::timeout(Duration::from_secs(1), body.frame()).await
            && let Ok(data) = frame.into_data()
        {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(
        text.contains("id: "),
        "events carry ids for resuming: {text}"
    );
    assert!(text.contains("\"client_id\":\"hello\""), "{text}");
    let bad = Request::builder()
        .uri(format!("/api/webchat/{key}/stream?token=vt_nope"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.router.clone().oneshot(bad).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn token_of(res: axum::http::Response<Body>) -> String {
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&body).unwrap();
    v["visitor_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn one_address_cannot_flood_a_widget_with_visitors_or_messages() {
    let (app, key) = widget(Db::Sqlite).await;
    let visitors = format!("/api/webchat/{key}/visitors");
    let messages = format!("/api/webchat/{key}/messages");
    // New visitors: 20 from one address at once, then it waits.
    let mut first = None;
    for i in 0..20 {
        let res = app
            .post_from_peer(&visitors, "203.0.113.7", None, None, json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "visitor {i}");
        if first.is_none() {
            first = Some(token_of(res).await);
        }
    }
    let res = app
        .post_from_peer(&visitors, "203.0.113.7", None, None, json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("rate_limited"));
    assert_eq!(count(&app.db.store, "web_visitors").await, 20);
    // A visitor coming back is not a new one; another address is free.
    let first = first.unwrap();
    let res = app
        .post_from_peer(
            &visitors,
            "203.0.113.7",
            None,
            None,
            json!({"visitor_token": first}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_from_peer(&visitors, "203.0.113.8", None, None, json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let other = token_of(res).await;

    // Messages: 30 from one address at once, then it waits, and nothing of
    // a refused one is stored.
    for i in 0..30 {
        let body = json!({"client_id": format!("m{i}"), "text": "hi"});
        let res = app
            .post_from_peer(&messages, "203.0.113.8", None, Some(&other), body)
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "message {i}");
    }
    let body = json!({"client_id": "m30", "text": "hi"});
    let res = app
        .post_from_peer(&messages, "203.0.113.8", None, Some(&other), body)
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE channel = 'web'")
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, 30);
    // The same visitor from another address (a phone leaving wifi) goes on.
    let body = json!({"client_id": "m31", "text": "hi"});
    let res = app
        .post_from_peer(&messages, "198.51.100.3", None, Some(&other), body)
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

async fn a_visitor_holds_a_few_live_streams_and_silent_visitors_expire(db: Db) {
    let (app, key) = widget(db).await;
    let mut c = app.client();
    let quiet = visitor(&mut c, &key).await;
    let open = |token: String| {
        let router = app.router.clone();
        let key = key.clone();
        async move {
            let req = Request::builder()
                .uri(format!("/api/webchat/{key}/stream?token={token}&after=0"))
                .body(Body::empty())
                .unwrap();
            router.oneshot(req).await.unwrap()
        }
    };
    // A few windows may listen at once; one more is told to wait.
    let mut streams = Vec::new();
    for i in 0..5 {
        let res = open(quiet.clone()).await;
        assert_eq!(res.status(), StatusCode::OK, "stream {i}");
        streams.push(res);
    }
    let res = open(quiet.clone()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    // Closing a window frees its place.
    drop(streams.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let res = open(quiet.clone()).await;
        if res.status() == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed stream kept its place"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(streams);

    // A visitor who wrote keeps their chat; one who never did is forgotten
    // after a day, and a new one is kept.
    let talker = visitor(&mut c, &key).await;
    let path = format!("/api/webchat/{key}/messages");
    let res = say(
        &mut c,
        &path,
        &talker,
        json!({"client_id": "a1", "text": "hi"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED);
    bot_messages(&mut c, &key, &talker, 1).await;
    sqlx::query("UPDATE web_visitors SET created_at = 0")
        .execute(app.db.store.pool())
        .await
        .unwrap();
    let fresh = visitor(&mut c, &key).await;
    let day_ago = server::store::now_ms() - server::ops::VISITORS_KEPT_MS;
    assert_eq!(app.db.store.prune_visitors(day_ago).await.unwrap(), 1);
    let after = format!("/api/webchat/{key}/messages?after=0");
    assert_eq!(
        history(&mut c, &after, &quiet).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        history(&mut c, &after, &talker).await.status,
        StatusCode::OK
    );
    assert_eq!(history(&mut c, &after, &fresh).await.status, StatusCode::OK);
}

/// Reads an event stream until it holds `needle`; panics after `within`.
pub async fn stream_until(body: &mut Body, needle: &str, within: Duration) -> String {
    let mut text = String::new();
    let deadline = Instant::now() + within;
    while !text.contains(needle) {
        assert!(
            Instant::now() < deadline,
            "{needle:?} did not stream: {text}"
        );
        if let Ok(Some(Ok(frame))) =
            tokio::time::timeout(Duration::from_millis(200), body.frame()).await
            && let Ok(data) = frame.into_data()
        {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    text
}

#[tokio::test]
async fn a_stream_opened_before_the_first_message_is_woken_not_polling() {
    let (app, key) = widget(Db::Sqlite).await;
    let mut c = app.client();
    let token = visitor(&mut c, &key).await;
    // The widget opens its stream first: there is no conversation yet.
    let req = Request::builder()
        .uri(format!("/api/webchat/{key}/stream?token={token}&after=0"))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let path = format!("/api/webchat/{key}/messages");
    let sent = Instant::now();
    say(
        &mut c,
        &path,
        &token,
        json!({"client_id": "first", "text": "hi"}),
    )
    .await;
    // Told when the first turn made the conversation, well before the
    // stream's ten-second look of its own.
    stream_until(&mut body, "Welcome", Duration::from_secs(3)).await;
    assert!(sent.elapsed() < Duration::from_secs(3));
}

//! The web-chat channel over HTTP: the widget script, the framed chat page
//! and its origin rules, visitors, deduplicated messages, history, the live
//! stream, and a whole purchase.

use std::time::{Duration, Instant};

use crate::common::meta::FakeGraph;
use crate::common::{Client, Db, TestApp, TestResponse, count, on_both_dbs};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

on_both_dbs!(a_visitor_buys_through_the_web_chat,);

async fn widget(db: Db) -> (TestApp, String) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    let (mut c, _, bot) = app.shop("merchant@example.com").await;
    let res = c
        .post_json(
            "/api/v1/channels",
            json!({"kind": "web", "bot_id": bot, "allowed_origins": ["https://shop.example"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let key = res.json()["widget_key"].as_str().unwrap().to_string();
    (app, key)
}

async fn call(
    c: &mut Client,
    method: Method,
    path: &str,
    token: Option<&str>,
    origin: Option<&str>,
    body: Option<Value>,
) -> TestResponse {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(o) = origin {
        b = b.header(header::ORIGIN, o);
    }
    let body = match body {
        Some(v) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    c.send(b.body(body).unwrap()).await
}

async fn visitor(c: &mut Client, key: &str) -> String {
    let res = call(
        c,
        Method::POST,
        &format!("/api/webchat/{key}/visitors"),
        None,
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()["visitor_token"].as_str().unwrap().to_string()
}

/// Waits until the history holds at least `n` bot messages.
async fn bot_messages(c: &mut Client, key: &str, token: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let res = call(
            c,
            Method::GET,
            &format!("/api/webchat/{key}/messages?after=0"),
            Some(token),
            None,
            None,
        )
        .await;
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
            b["choices"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["label"] == label)
                .and_then(|c| c["payload"].as_str().map(str::to_string))
                .or_else(|| {
                    b["cards"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|c| c["buttons"].as_array().into_iter().flatten())
                        .find(|btn| btn["label"] == label)
                        .and_then(|btn| btn["payload"].as_str().map(str::to_string))
                })
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
    let res = call(
        &mut c,
        Method::POST,
        &format!("/api/webchat/{key}/visitors"),
        None,
        None,
        Some(json!({"visitor_token": token})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "a returning visitor resumes");
    assert_eq!(res.json()["visitor_token"], token.as_str());
    let res = call(
        &mut c,
        Method::POST,
        &format!("/api/webchat/{key}/visitors"),
        None,
        None,
        Some(json!({"visitor_token": "vt_forged"})),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "an unknown token gets a new visitor"
    );

    let path = format!("/api/webchat/{key}/messages");
    for _ in 0..3 {
        let res = call(
            &mut c,
            Method::POST,
            &path,
            Some(&token),
            None,
            Some(json!({"client_id": "m-1", "text": "hi"})),
        )
        .await;
        assert_eq!(res.status, StatusCode::ACCEPTED);
    }
    let again = call(
        &mut c,
        Method::POST,
        &path,
        Some(&token),
        None,
        Some(json!({"client_id": "m-1", "text": "hi"})),
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
    let all = call(
        &mut c,
        Method::GET,
        &format!("{path}?after=0"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    let cursor = all["cursor"].as_i64().unwrap();
    assert_eq!(
        all["messages"][0]["client_id"], "m-1",
        "the page recognises what it sent"
    );
    let later = call(
        &mut c,
        Method::GET,
        &format!("{path}?after={cursor}"),
        Some(&token),
        None,
        None,
    )
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
        let res = call(
            &mut c,
            Method::POST,
            &path,
            Some(&token),
            None,
            Some(body.clone()),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(
        call(
            &mut c,
            Method::POST,
            &path,
            None,
            None,
            Some(json!({"client_id": "y", "text": "a"}))
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &mut c,
            Method::POST,
            &path,
            Some("vt_forged"),
            None,
            Some(json!({"client_id": "y", "text": "a"}))
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &mut c,
            Method::POST,
            "/api/webchat/wk_nope/messages",
            Some(&token),
            None,
            Some(json!({"client_id": "y", "text": "a"}))
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn only_allowed_sites_may_call() {
    let (app, key) = widget(Db::Sqlite).await;
    let mut c = app.client();
    let token = visitor(&mut c, &key).await;
    let path = format!("/api/webchat/{key}/messages");
    let evil = call(
        &mut c,
        Method::POST,
        &path,
        Some(&token),
        Some("https://evil.example"),
        Some(json!({"client_id": "e", "text": "hi"})),
    )
    .await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    assert!(
        evil.headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    let shop = call(
        &mut c,
        Method::POST,
        &path,
        Some(&token),
        Some("https://shop.example"),
        Some(json!({"client_id": "s", "text": "hi"})),
    )
    .await;
    assert_eq!(shop.status, StatusCode::ACCEPTED);
    assert_eq!(
        shop.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://shop.example"
    );
    let own = call(
        &mut c,
        Method::POST,
        &path,
        Some(&token),
        Some("http://127.0.0.1:3000"),
        Some(json!({"client_id": "o", "text": "hi"})),
    )
    .await;
    assert_eq!(own.status, StatusCode::ACCEPTED, "the chat page itself");
    let preflight = call(
        &mut c,
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
    let mut n = 0;
    let mut seen = 0;
    let mut send = |body: Value| {
        n += 1;
        let mut body = body;
        body["client_id"] = json!(format!("c{n}"));
        body
    };
    call(
        &mut c,
        Method::POST,
        &path,
        Some(&token),
        None,
        Some(send(json!({"payload": "__start__"}))),
    )
    .await;
    seen += 2;
    let msgs = bot_messages(&mut c, &key, &token, seen).await;
    let steps: Vec<(&str, usize)> =
        vec![("Browse products", 1), ("Add to cart", 2), ("Checkout", 1)];
    let mut msgs = msgs;
    for (label, replies) in steps {
        let p = payload(&msgs, label);
        call(
            &mut c,
            Method::POST,
            &path,
            Some(&token),
            None,
            Some(send(json!({"payload": p}))),
        )
        .await;
        seen += replies;
        msgs = bot_messages(&mut c, &key, &token, seen).await;
    }
    for text in ["Ana", "1 Long Road, 12345 Town", "+1 650 555 1234"] {
        call(
            &mut c,
            Method::POST,
            &path,
            Some(&token),
            None,
            Some(send(json!({"text": text}))),
        )
        .await;
        seen += 1;
        msgs = bot_messages(&mut c, &key, &token, seen).await;
    }
    let p = payload(&msgs, "Confirm order");
    call(
        &mut c,
        Method::POST,
        &path,
        Some(&token),
        None,
        Some(send(json!({"payload": p}))),
    )
    .await;
    seen += 1;
    msgs = bot_messages(&mut c, &key, &token, seen).await;
    let p = payload(&msgs, "Pay online");
    call(
        &mut c,
        Method::POST,
        &path,
        Some(&token),
        None,
        Some(send(json!({"payload": p}))),
    )
    .await;
    seen += 3;
    msgs = bot_messages(&mut c, &key, &token, seen).await;
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
    call(
        &mut c,
        Method::POST,
        &format!("/api/webchat/{key}/messages"),
        Some(&token),
        None,
        Some(json!({"client_id": "hello", "text": "hi"})),
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

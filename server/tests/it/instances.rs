//! Two server instances on one PostgreSQL database, as behind a load
//! balancer: each event is applied and answered once whichever instance
//! receives it (and however often), and a reply made by one instance
//! reaches a web-chat stream held by the other at once, through
//! LISTEN/NOTIFY rather than its fallback poll.

use std::time::{Duration, Instant};

use crate::common::meta::{self, FakeGraph, PHONE};
use crate::common::webchat::{history, say};
use crate::common::{Db, TestApp, count, now_ms};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_made_on_one_instance_streams_from_the_other() {
    let (_fake, a, b, key, token) = widget_on_two_instances().await;
    let mut on_b = b.client();
    let mut on_a = a.client();
    let res = say(
        &mut on_a,
        &format!("/api/webchat/{key}/messages"),
        &token,
        json!({"client_id": "m1", "text": "hi"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED);
    // Wait for the greeting, read through B.
    let deadline = Instant::now() + Duration::from_secs(15);
    let cursor = loop {
        let res = history(
            &mut on_b,
            &format!("/api/webchat/{key}/messages?after=0"),
            &token,
        )
        .await;
        let body = res.json();
        let out = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out")
            .count();
        if out >= 2 {
            break body["cursor"].as_i64().unwrap();
        }
        assert!(Instant::now() < deadline, "no greeting: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // The shopper's page holds a stream on B…
    let req = Request::builder()
        .uri(format!(
            "/api/webchat/{key}/stream?token={token}&after={cursor}"
        ))
        .body(Body::empty())
        .unwrap();
    let res = b.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut stream = res.into_body();
    // …give it a moment to subscribe, then the next message lands on A.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    let res = say(
        &mut on_a,
        &format!("/api/webchat/{key}/messages"),
        &token,
        json!({"client_id": "m2", "text": "Browse products"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED);
    let mut text = String::new();
    while !text.contains("Here is what we have") {
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "the reply did not reach B's stream promptly: {text}"
        );
        if let Ok(Some(Ok(frame))) =
            tokio::time::timeout(Duration::from_millis(200), stream.frame()).await
            && let Ok(data) = frame.into_data()
        {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    // The fallback poll is 10 s; the announcement is what woke B.
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "took {:?}",
        sent.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_is_answered_once_whichever_instance_receives_it() {
    let fake = FakeGraph::start().await;
    let a = TestApp::with_meta(Db::Postgres, &fake).await;
    let b = a.second_instance(true).await;
    let (mut owner, _, bot) = a.shop("merchant@example.com").await;
    let res = owner
        .post_json(
            "/api/v1/channels",
            json!({"kind": "whatsapp", "bot_id": bot, "phone_number_id": PHONE, "access_token": "EAAG-wa-token-456"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let shoppers: Vec<String> = (0..6).map(|i| format!("1555300000{i}")).collect();
    let t = now_ms() / 1000;
    // Meta delivers every message to both instances, twice, all at once.
    let mut posts = Vec::new();
    for (i, wa) in shoppers.iter().enumerate() {
        let body = meta::whatsapp(
            PHONE,
            wa,
            vec![meta::wa_text(wa, &format!("wamid.two.{i}"), t, "hi")],
        );
        let raw = serde_json::to_vec(&body).unwrap();
        for router in [&a.router, &b.router, &a.router, &b.router] {
            let (router, raw) = (router.clone(), raw.clone());
            posts.push(tokio::spawn(async move {
                let req = Request::builder()
                    .method(Method::POST)
                    .uri("/webhooks/whatsapp")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(
                        "x-hub-signature-256",
                        server::http::webhooks::sign(meta::APP_SECRET, &raw),
                    )
                    .body(Body::from(raw))
                    .unwrap();
                router.oneshot(req).await.unwrap().status()
            }));
        }
    }
    for post in posts {
        assert_eq!(post.await.unwrap(), StatusCode::OK);
    }
    let sent = fake.wait_delivered(12, Duration::from_secs(20)).await;
    let settled = fake.settle(Duration::from_millis(700)).await;
    assert_eq!(
        settled.len(),
        12,
        "two replies per shopper: {}",
        meta::said(&settled)
    );
    for wa in &shoppers {
        let mine: Vec<String> = sent
            .iter()
            .filter(|r| r.body["to"] == wa.as_str())
            .map(|r| meta::said(std::slice::from_ref(r)))
            .collect();
        assert_eq!(mine.len(), 2, "{wa}: {mine:?}");
        assert!(mine[0].contains("Welcome"), "in order: {mine:?}");
    }
    assert_eq!(count(&a.db.store, "inbox").await, 6);
    assert_eq!(count(&a.db.store, "conversations").await, 6);
}

#[tokio::test]
async fn an_instance_with_another_server_key_does_not_start() {
    use server::crypto::Sealer;
    for db in [Db::Sqlite, Db::Postgres] {
        let t = crate::common::TestDb::new(db).await;
        let (first, other) = (Sealer::new(&[7; 32]), Sealer::new(&[8; 32]));
        // The first start records the key; the same key starts again.
        server::check_server_key(&t.store, &first).await.unwrap();
        server::check_server_key(&t.store, &first).await.unwrap();
        match db {
            Db::Postgres => {
                // Another key would open none of the tokens the others
                // sealed: this instance refuses, and says what to do.
                let err = server::check_server_key(&t.store, &other)
                    .await
                    .expect_err("another key is refused");
                assert!(err.to_string().contains("BOTME_SECRET_KEY"), "{err}");
                // It changed nothing: the first key still starts.
                server::check_server_key(&t.store, &first).await.unwrap();
            }
            Db::Sqlite => {
                // One process owns a SQLite database: a replaced key is
                // logged, and becomes the key from then on.
                server::check_server_key(&t.store, &other).await.unwrap();
                server::check_server_key(&t.store, &other).await.unwrap();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_one_instance_learns_of_a_first_conversation_made_on_the_other() {
    let (_fake, a, b, key, token) = widget_on_two_instances().await;
    // B streams before the visitor has a conversation; A makes it.
    let req = Request::builder()
        .uri(format!("/api/webchat/{key}/stream?token={token}&after=0"))
        .body(Body::empty())
        .unwrap();
    let res = b.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = say(
        &mut a.client(),
        &format!("/api/webchat/{key}/messages"),
        &token,
        json!({"client_id": "m1", "text": "hi"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED);
    crate::webchat::stream_until(&mut body, "Welcome", Duration::from_secs(3)).await;
}

/// A shop's web chat on two instances: A runs the workers, B only serves
/// (like an instance started with BOTME_WORKERS=false). Returns the fake
/// Graph API, A, B, the widget key and a visitor token made on B.
async fn widget_on_two_instances() -> (FakeGraph, TestApp, TestApp, String, String) {
    let fake = FakeGraph::start().await;
    let a = TestApp::with_meta(Db::Postgres, &fake).await;
    let b = a.second_instance(false).await;
    let (mut owner, _, bot) = a.shop("merchant@example.com").await;
    let key = TestApp::web_channel(&mut owner, bot).await;
    let res = b
        .client()
        .post_json(&format!("/api/webchat/{key}/visitors"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let token = res.json()["visitor_token"].as_str().unwrap().to_string();
    (fake, a, b, key, token)
}

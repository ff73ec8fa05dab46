//! Channel connections and the webhooks' front door: the handshake,
//! signatures, bodies that cannot be used, and tenant resolution.

use crate::common::meta::{self, FakeGraph, Fault};
use crate::common::{Db, TestApp, count};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn channels_connect_validate_and_encrypt_tokens() {
    let fake = FakeGraph::start().await;
    fake.grant("EAAB-secret-page-token", "1234567890", "Ana's Shop");
    fake.grant("EAAB-another-token", "1234567890", "Ana's Shop");
    fake.grant("EAAG-system-user-token", "106540352242922", "Ana's Shop");
    let app = TestApp::with_meta(Db::Sqlite, &fake).await;
    let (mut c, _, bot) = app.shop("ana@example.com").await;

    let res = c
        .post_json("/api/v1/channels", json!({"kind": "messenger", "bot_id": bot, "page_id": "1234567890", "access_token": "EAAB-secret-page-token"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let fb = res.json();
    assert_eq!(fb["kind"], "messenger");
    assert_eq!(fb["external_id"], "1234567890");
    assert_eq!(
        fb["webhook_url"],
        "http://127.0.0.1:3000/webhooks/messenger"
    );
    assert!(
        fb.get("access_token").is_none() && !res.text().contains("EAAB"),
        "the token is never shown again"
    );

    // At rest the token is sealed, not stored as typed.
    let stored: String = sqlx::query_scalar("SELECT token_ciphertext FROM channels")
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
    assert!(
        stored.starts_with("v1.") && !stored.contains("EAAB"),
        "{stored}"
    );

    let res = c
        .post_json("/api/v1/channels", json!({"kind": "whatsapp", "bot_id": bot, "phone_number_id": "106540352242922", "access_token": "EAAG-system-user-token", "waba_id": "WABA"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let res = c
        .post_json("/api/v1/channels", json!({"kind": "web", "bot_id": bot, "allowed_origins": ["https://Shop.Example/", "http://localhost:8080"]}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let web = res.json();
    let key = web["widget_key"].as_str().unwrap();
    assert!(key.starts_with("wk_"));
    assert_eq!(
        web["allowed_origins"],
        json!(["https://shop.example", "http://localhost:8080"])
    );
    assert_eq!(
        web["script_tag"],
        format!(
            "<script src=\"http://127.0.0.1:3000/widget.js\" data-botme-key=\"{key}\" async></script>"
        )
    );
    assert_eq!(
        c.get("/api/v1/channels").await.json()["channels"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    for (body, code) in [
        (
            json!({"kind": "messenger", "bot_id": bot, "page_id": "not-a-number", "access_token": "EAAB-long-enough"}),
            "invalid_channel",
        ),
        (
            json!({"kind": "messenger", "bot_id": bot, "page_id": "123", "access_token": "short"}),
            "invalid_channel",
        ),
        (
            json!({"kind": "web", "bot_id": bot, "allowed_origins": []}),
            "invalid_channel",
        ),
        (
            json!({"kind": "web", "bot_id": bot, "allowed_origins": ["shop.example"]}),
            "invalid_channel",
        ),
        (json!({"kind": "telegram", "bot_id": bot}), "invalid_body"),
    ] {
        let res = c.post_json("/api/v1/channels", body.clone()).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            res.text()
        );
        assert_eq!(res.error_code(), code, "{body}");
    }
    let res = c
        .post_json("/api/v1/channels", json!({"kind": "messenger", "bot_id": bot, "page_id": "1234567890", "access_token": "EAAB-another-token"}))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let res = c
        .post_json("/api/v1/channels", json!({"kind": "messenger", "bot_id": 999999, "page_id": "555", "access_token": "EAAB-another-token"}))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app.db.store, "channels").await, 3);

    let id = fb["id"].as_i64().unwrap();
    // Deleting twice: the second finds nothing.
    for status in [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND] {
        assert_eq!(
            c.delete(&format!("/api/v1/channels/{id}")).await.status,
            status
        );
    }
}

#[tokio::test]
async fn a_page_or_number_connects_only_with_a_token_that_acts_for_it() {
    let fake = FakeGraph::start().await;
    fake.grant("EAAB-mallory-own-page", "9999999", "Mallory's page");
    let app = TestApp::with_meta(Db::Sqlite, &fake).await;
    let (mut shop, _, shop_bot) = app.shop("shop@example.com").await;
    let (mut mallory, _, mallory_bot) = app.shop("mallory@example.com").await;
    let connect = |bot: i64, page: &str, token: &str| json!({"kind": "messenger", "bot_id": bot, "page_id": page, "access_token": token});

    // Page ids are public. Typing the shop's id with a token of another
    // page, or with a made-up token, connects nothing.
    for (token, why) in [
        ("EAAB-mallory-own-page", "another Facebook page"),
        ("EAAB-made-up-token", "invalid or has expired"),
    ] {
        let res = mallory
            .post_json("/api/v1/channels", connect(mallory_bot, meta::PAGE, token))
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert_eq!(res.error_code(), "invalid_channel");
        assert!(res.text().contains(why), "{token}: {}", res.text());
    }
    assert_eq!(count(&app.db.store, "channels").await, 0);
    // Meta was asked with the token that was pasted.
    assert!(
        fake.checks().iter().all(|(path, _)| path == "/me"),
        "{:?}",
        fake.checks()
    );
    assert!(
        fake.checks()
            .iter()
            .any(|(_, token)| token == "EAAB-made-up-token")
    );

    // The owner's token connects the page; unnamed, it takes Meta's name.
    let res = shop
        .post_json(
            "/api/v1/channels",
            connect(shop_bot, meta::PAGE, meta::PAGE_TOKEN),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.json()["name"], "Test Shop");
    let channel = res.json()["id"].as_i64().unwrap();

    // Even with a valid token of the page (a former employee's), another
    // workspace is told only that it is taken, not by whom.
    fake.grant("EAAB-former-employee", meta::PAGE, "Test Shop");
    let res = mallory
        .post_json(
            "/api/v1/channels",
            connect(mallory_bot, meta::PAGE, "EAAB-former-employee"),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
    assert_eq!(res.error_code(), "channel_taken");
    for secret in ["shop@example.com", "Ana", "workspace 1", "\"workspace\""] {
        assert!(!res.text().contains(secret), "{secret}: {}", res.text());
    }

    // A WhatsApp number answers only to its business's token.
    let res = mallory
        .post_json(
            "/api/v1/channels",
            json!({"kind": "whatsapp", "bot_id": mallory_bot, "phone_number_id": meta::PHONE, "access_token": "EAAB-mallory-own-page"}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    assert!(res.text().contains(meta::PHONE), "{}", res.text());
    let res = shop
        .post_json(
            "/api/v1/channels",
            json!({"kind": "whatsapp", "bot_id": shop_bot, "phone_number_id": meta::PHONE, "access_token": meta::PHONE_TOKEN}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.json()["name"], "Test Shop (+1 555-010-0000)");
    assert!(fake.checks().iter().any(|(path, token)| path == &format!("/{}", meta::PHONE) && token == meta::PHONE_TOKEN));

    // A new token is checked too; a wrong one leaves the old one working.
    let sealed = || async {
        sqlx::query_scalar::<_, String>("SELECT token_ciphertext FROM channels WHERE id = $1")
            .bind(channel)
            .fetch_one(app.db.store.pool())
            .await
            .unwrap()
    };
    let before = sealed().await;
    let res = shop
        .patch_json(
            &format!("/api/v1/channels/{channel}"),
            json!({"access_token": "EAAB-mallory-own-page"}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    assert_eq!(sealed().await, before);
    let res = shop
        .patch_json(
            &format!("/api/v1/channels/{channel}"),
            json!({"access_token": "EAAB-former-employee"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_ne!(sealed().await, before);

    // When Meta cannot answer, nothing is connected, and the merchant is
    // told to try again.
    fake.grant("EAAB-second-page", "7777777", "Second page");
    // Once Meta answers again, the same request connects it.
    for (fault, expected) in [
        (Some(Fault::Status(503)), StatusCode::BAD_GATEWAY),
        (Some(Fault::Error(500, 2)), StatusCode::BAD_GATEWAY),
        (None, StatusCode::CREATED),
    ] {
        let down = fault.is_some();
        fake.inject_check(fault);
        let res = shop
            .post_json(
                "/api/v1/channels",
                connect(shop_bot, "7777777", "EAAB-second-page"),
            )
            .await;
        assert_eq!(res.status, expected, "{}", res.text());
        if down {
            assert_eq!(res.error_code(), "meta_unavailable");
            assert_eq!(count(&app.db.store, "channels").await, 2);
        }
    }
}

#[tokio::test]
async fn the_handshake_echoes_the_challenge_only_for_our_token() {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(Db::Sqlite, &fake).await;
    let mut c = app.client();
    for kind in ["messenger", "whatsapp"] {
        let ok = c
            .get(&format!(
                "/webhooks/{kind}?hub.mode=subscribe&hub.verify_token={}&hub.challenge=1158201444",
                meta::VERIFY_TOKEN
            ))
            .await;
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(ok.text(), "1158201444");
        let bad = c
            .get(&format!(
                "/webhooks/{kind}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"
            ))
            .await;
        assert_eq!(bad.status, StatusCode::FORBIDDEN);
        let wrong_mode = c
            .get(&format!(
                "/webhooks/{kind}?hub.mode=unsubscribe&hub.verify_token={}&hub.challenge=1",
                meta::VERIFY_TOKEN
            ))
            .await;
        assert_eq!(wrong_mode.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn bad_signatures_malformed_bodies_and_unknown_pages_store_nothing() {
    let fake = FakeGraph::start().await;
    fake.grant("EAAB-secret-page-token", "111", "Ana's Shop");
    let app = TestApp::with_meta(Db::Sqlite, &fake).await;
    let (mut c, _, bot) = app.shop("ana@example.com").await;
    c.post_json("/api/v1/channels", json!({"kind": "messenger", "bot_id": bot, "page_id": "111", "access_token": "EAAB-secret-page-token"}))
        .await;
    let body = meta::messenger_text("111", "PSID", "m_1", 1_700_000_000_000, "hi");
    let raw = serde_json::to_vec(&body).unwrap();
    let mut client = app.client();

    // Missing, wrong and re-serialised signatures: 401, nothing stored.
    let cases = [
        None,
        Some("sha256=00".to_string()),
        Some(server::http::webhooks::sign("another-secret", &raw)),
        Some(server::http::webhooks::sign(meta::APP_SECRET, b"{}")),
    ];
    for sig in cases {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/webhooks/messenger")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(s) = &sig {
            req = req.header("x-hub-signature-256", s);
        }
        let res = client
            .send(req.body(Body::from(raw.clone())).unwrap())
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{sig:?}");
        assert_eq!(res.error_code(), "bad_signature");
    }
    // Signed but malformed, or another product's webhook: acknowledged, dropped.
    for raw in [
        b"{not json".to_vec(),
        serde_json::to_vec(&json!({"object": "instagram", "entry": []})).unwrap(),
    ] {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/webhooks/messenger")
            .header(
                "x-hub-signature-256",
                server::http::webhooks::sign(meta::APP_SECRET, &raw),
            )
            .body(Body::from(raw))
            .unwrap();
        assert_eq!(client.send(req).await.status, StatusCode::OK);
    }
    // A page no bot is connected to: acknowledged, dropped.
    let other = meta::messenger_text("999", "PSID", "m_2", 1_700_000_000_000, "hi");
    assert_eq!(
        app.webhook("messenger", &other).await.status,
        StatusCode::OK
    );
    // An echo of our own (tagged) message and a reaction: acknowledged,
    // not answered. (An untagged echo is a person's reply from Meta's
    // inbox: see inbox_flow.)
    let echo = json!({"object": "page", "entry": [{"id": "111", "messaging": [
        {"sender": {"id": "111"}, "recipient": {"id": "PSID"}, "timestamp": 1, "message": {"is_echo": true, "mid": "m_e", "metadata": "botme:1:0", "text": "Added!"}},
        {"sender": {"id": "PSID"}, "recipient": {"id": "111"}, "timestamp": 2, "reaction": {"reaction": "love", "mid": "m_x"}}]}]});
    assert_eq!(app.webhook("messenger", &echo).await.status, StatusCode::OK);

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(count(&app.db.store, "inbox").await, 0);
    assert_eq!(count(&app.db.store, "conversations").await, 0);
    assert!(fake.requests().is_empty(), "nothing was answered");

    // An oversized body is refused before anything else.
    let big = vec![b' '; server::http::webhooks::MAX_WEBHOOK_BYTES + 1];
    let req = Request::builder()
        .method(Method::POST)
        .uri("/webhooks/whatsapp")
        .body(Body::from(big))
        .unwrap();
    assert_eq!(client.send(req).await.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn without_secrets_webhooks_are_refused() {
    let app = TestApp::sqlite().await; // no META_APP_SECRET, no verify token
    let body = meta::messenger_text("111", "PSID", "m_1", 1, "hi");
    let raw = serde_json::to_vec(&body).unwrap();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/webhooks/messenger")
        .header(
            "x-hub-signature-256",
            server::http::webhooks::sign("anything", &raw),
        )
        .body(Body::from(raw))
        .unwrap();
    assert_eq!(
        app.client().send(req).await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .client()
        .get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=&hub.challenge=1")
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

//! Flows over HTTP: templates, drafts with revisions, validation,
//! publishing, history, restore, simulation and the JSON Schema. On both
//! databases where it matters (drafts, publishing).

use crate::common::{Client, Db, TestApp, on_both_dbs};
use axum::http::StatusCode;
use serde_json::{Value, json};

on_both_dbs!(drafts_use_revisions, publishing_and_history,);

async fn bot_from(c: &mut Client, template: Option<&str>) -> i64 {
    let body = match template {
        Some(t) => json!({"name": "Shop bot", "template": t}),
        None => json!({"name": "Blank bot"}),
    };
    let res = c.post_json("/api/v1/bots", body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()["id"].as_i64().unwrap()
}

async fn add_products(c: &mut Client) {
    for (sku, name, price, stock) in [
        ("RUN-1", "Runner", "89.90", json!(5)),
        ("SOCK-3", "Socks", "9", Value::Null),
    ] {
        let res = c
            .post_json("/api/v1/products", json!({"sku": sku, "name": name, "price": price, "stock": stock, "collections": ["Shoes"]}))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    }
}

#[tokio::test]
async fn templates_are_listed_and_start_bots() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let list = c.get("/api/v1/templates").await.json();
    let ids: Vec<&str> = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["shop", "faq", "order-status"]);
    assert!(list["templates"][0]["steps"].as_u64().unwrap() > 5);

    let bot = bot_from(&mut c, Some("faq")).await;
    let draft = c.get(&format!("/api/v1/bots/{bot}/draft")).await.json();
    assert_eq!(draft["revision"], 1);
    assert_eq!(draft["document"]["start"], "welcome");
    let validation = c
        .post_json(&format!("/api/v1/bots/{bot}/validate"), json!({}))
        .await
        .json();
    assert_eq!(validation["publishable"], true, "{validation}");

    let res = c
        .post_json("/api/v1/bots", json!({"name": "x", "template": "casino"}))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.error_message().contains("shop, faq, order-status"));
}

async fn drafts_use_revisions(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let bot = bot_from(&mut c, None).await;
    let draft = c.get(&format!("/api/v1/bots/{bot}/draft")).await.json();
    assert_eq!(draft["revision"], 1);
    assert_eq!(draft["document"]["nodes"], json!([]));

    let doc = json!({"schema": 1, "start": "hi", "nodes": [
        {"id": "hi", "type": "message", "position": {"x": 0, "y": 0}, "settings": {"text": "Hello"}},
        {"id": "bye", "type": "end", "settings": {"text": "Bye"}}],
        "edges": [{"from": "hi", "port": "next", "to": "bye"}]});
    let res = c.put_draft(bot, 1, doc).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["revision"], 2);
    assert_eq!(res.json()["problems"], json!([]));

    // A second tab still holding revision 1 is refused; nothing is overwritten.
    let other = json!({"schema": 1, "nodes": []});
    let res = c.put_draft(bot, 1, other).await;
    res.assert_error(StatusCode::CONFLICT, "stale_revision");
    assert_eq!(res.json()["current_revision"], 2);
    let now = c.get(&format!("/api/v1/bots/{bot}/draft")).await.json();
    assert_eq!(now["document"]["nodes"].as_array().unwrap().len(), 2);

    // Not a flow document: 422 and nothing saved.
    for bad in [
        json!({"schema": 1, "nodes": [{"id": "x", "type": "teleport"}]}),
        json!([1, 2]),
        json!({"schema": 7}),
    ] {
        let res = c.put_draft(bot, 2, bad).await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_document");
    }
    assert_eq!(
        c.get(&format!("/api/v1/bots/{bot}/draft")).await.json()["revision"],
        2
    );
    let res = c
        .request(
            axum::http::Method::PUT,
            "/api/v1/bots/999999/draft",
            Some(json!({"revision": 1, "document": {"schema": 1}})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

async fn publishing_and_history(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let blank = bot_from(&mut c, None).await;
    let res = c
        .post_json(&format!("/api/v1/bots/{blank}/publish"), json!({}))
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_flow");
    let problems = res.json()["problems"].as_array().unwrap().clone();
    assert_eq!(problems[0]["code"], "no_start");
    assert_eq!(
        problems[0]["message"],
        "Choose the step where conversations start."
    );
    assert_eq!(
        c.get(&format!("/api/v1/bots/{blank}/versions"))
            .await
            .json()["versions"],
        json!([])
    );

    let bot = bot_from(&mut c, Some("order-status")).await;
    let res = c
        .post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.json()["version"], 1);
    assert_eq!(res.json()["author"], "ana@example.com");
    let v1 = c
        .get(&format!("/api/v1/bots/{bot}/versions/1"))
        .await
        .json();

    // Edit the draft, publish v2.
    let mut draft = c.get(&format!("/api/v1/bots/{bot}/draft")).await.json();
    draft["document"]["nodes"][0]["settings"]["text"] = json!("Welcome back!");
    let res = c
        .put_draft(bot, &draft["revision"], &draft["document"])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        c.post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
            .await
            .json()["version"],
        2
    );

    // Roll back to v1: a new version 3 with v1's document.
    let res = c
        .post_json(&format!("/api/v1/bots/{bot}/versions/1/restore"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["version"], 3);
    let v3 = c
        .get(&format!("/api/v1/bots/{bot}/versions/3"))
        .await
        .json();
    assert_eq!(v3["document"], v1["document"]);
    assert_eq!(v3["note"], "Restored from version 1");
    let list = c.get(&format!("/api/v1/bots/{bot}/versions")).await.json();
    let numbers: Vec<i64> = list["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(
        c.get(&format!("/api/v1/bots/{bot}")).await.json()["published_version"],
        3
    );
    // Versions are immutable: there is no route that changes one.
    let res = c
        .request(
            axum::http::Method::PUT,
            &format!("/api/v1/bots/{bot}/versions/1"),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        c.get(&format!("/api/v1/bots/{bot}/versions/9"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.post_json(&format!("/api/v1/bots/{bot}/versions/9/restore"), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn viewers_cannot_edit_or_publish() {
    let app = TestApp::sqlite().await;
    let (mut owner, created) = app.signed_up("owner@example.com", "Shop").await;
    let bot = bot_from(&mut owner, Some("faq")).await;
    let viewer = owner
        .post_json("/api/v1/tokens", json!({"name": "read", "role": "viewer"}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut v = owner.with_token(&viewer);
    assert_eq!(
        v.get(&format!("/api/v1/bots/{bot}/draft")).await.status,
        StatusCode::OK
    );
    // Running a draft costs the server's time: editors only.
    assert_eq!(
        v.post_json(
            &format!("/api/v1/bots/{bot}/simulate"),
            json!({"inputs": ["hi"]})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let res = v
        .request(
            axum::http::Method::PUT,
            &format!("/api/v1/bots/{bot}/draft"),
            Some(json!({"revision": 1, "document": {"schema": 1}})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        v.post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let _ = created;
}

#[tokio::test]
async fn simulate_runs_a_scripted_shopping_conversation() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    add_products(&mut c).await;
    let bot = bot_from(&mut c, Some("shop")).await;
    let script = json!({"inputs": [
        "hi",
        "Browse products",
        {"kind": "payload", "payload": "b1|a|catalog|RUN-1"},
        "Checkout",
        "Ana Lima",
        "Rua Augusta 100, 1100-053 Lisboa",
        "+351 912 345 678",
        "yes",
        "cash"
    ]});
    let res = c
        .post_json(&format!("/api/v1/bots/{bot}/simulate"), script)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let out = res.json();
    assert_eq!(out["version"], Value::Null);
    let orders = out["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{out:#}");
    assert_eq!(orders[0]["total"]["minor"], 8990);
    assert_eq!(orders[0]["payment"], "cash_on_delivery");
    let said: Vec<String> = out["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["direction"] == "out")
        .map(|l| {
            l["message"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert!(
        said.iter()
            .any(|t| t.contains("Your order TEST-1 is placed")),
        "{said:#?}"
    );
    assert!(
        said.iter().any(|t| t.contains("Rua Augusta 100")),
        "{said:#?}"
    );
    // Nothing was stored.
    assert_eq!(app.count("orders").await, 0);
    assert_eq!(app.count("conversations").await, 0);

    let res = c
        .post_json(
            &format!("/api/v1/bots/{bot}/simulate"),
            json!({"version": 4, "inputs": ["hi"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = c
        .post_json(
            &format!("/api/v1/bots/{bot}/simulate"),
            json!({"inputs": vec!["hi"; 201]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_talkative_draft_cannot_make_simulate_answer_megabytes() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let bot = bot_from(&mut c, None).await;
    // A draft (never validated) whose two messages repeat a 1,000-character
    // variable and call each other: without caps, 200 inputs made the
    // server build gigabytes.
    let big = "x".repeat(1000);
    let text = "{{big}}".repeat(500);
    let doc = json!({"schema": 1, "start": "set", "nodes": [
        {"id": "set", "type": "set_variable", "settings": {"name": "big", "value": big}},
        {"id": "a", "type": "message", "settings": {"text": text}},
        {"id": "b", "type": "message", "settings": {"text": text}}
    ], "edges": [
        {"from": "set", "port": "next", "to": "a"},
        {"from": "a", "port": "next", "to": "b"},
        {"from": "b", "port": "next", "to": "a"}
    ]});
    let res = c.put_draft(bot, 1, doc).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let res = c
        .post_json(
            &format!("/api/v1/bots/{bot}/simulate"),
            json!({"inputs": vec!["hi"; 200]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.text().len() < 2 * 1024 * 1024,
        "{} bytes",
        res.text().len()
    );
    let out = res.json();
    assert_eq!(out["truncated"], true);
    let longest = out["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["message"]["text"].as_str())
        .map(|t| t.chars().count())
        .max()
        .unwrap();
    assert_eq!(longest, app::flow::interpreter::MAX_MESSAGE_CHARS);
}

#[tokio::test]
async fn the_flow_schema_is_served() {
    let app = TestApp::sqlite().await;
    let res = app.client().get("/api/v1/flow.schema.json").await;
    assert_eq!(res.status, StatusCode::OK);
    let schema = res.json();
    assert_eq!(schema["title"], "FlowDoc");
    let text = schema.to_string();
    for node_type in [
        "message",
        "quick_reply",
        "product_carousel",
        "checkout",
        "ask",
        "condition",
        "set_variable",
        "show_cart",
        "order_status",
        "handoff",
        "http_request",
        "end",
    ] {
        assert!(
            text.contains(&format!("\"{node_type}\"")),
            "{node_type} missing from the schema"
        );
    }
    // A condition on the cart total compares in the main unit, and says so.
    assert!(
        text.contains("in the currency's main unit"),
        "the cart total's unit is documented"
    );
    assert!(!text.contains("total in minor units"));
}

#[tokio::test]
async fn large_drafts_fit_their_own_body_limit() {
    let app = TestApp::sqlite().await; // general limit: 64 KiB
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let bot = bot_from(&mut c, None).await;
    let nodes: Vec<Value> = (0..400)
        .map(|i| json!({"id": format!("n{i}"), "type": "message", "position": {"x": i, "y": 0}, "settings": {"text": "x".repeat(300)}}))
        .collect();
    let doc = json!({"schema": 1, "start": "n0", "nodes": nodes, "edges": []});
    assert!(doc.to_string().len() > 100_000);
    let res = c.put_draft(bot, 1, doc).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "{}",
        &res.text()[..200.min(res.text().len())]
    );
    assert!(
        !res.json()["problems"].as_array().unwrap().is_empty(),
        "unconnected outputs are reported"
    );
}

#[tokio::test]
async fn drafts_beyond_the_size_bounds_are_refused_and_not_stored() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let bot = bot_from(&mut c, None).await;
    let message = |i: usize, text: &str| json!({"id": format!("n{i}"), "type": "message", "settings": {"text": text}});

    // 5000 small steps fit in the byte limit, not in the step limit.
    let nodes: Vec<Value> = (0..5000).map(|i| message(i, "Hi")).collect();
    let res = c
        .put_draft(bot, 1, json!({"schema": 1, "start": "n0", "nodes": nodes}))
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "too_large");
    assert_eq!(
        res.error_message(),
        "A flow can have at most 1000 steps; this one has 5000."
    );

    let edges: Vec<Value> = (0..4001)
        .map(|_| json!({"from": "n0", "port": "next", "to": "n0"}))
        .collect();
    let res = c
        .put_draft(
            bot,
            1,
            json!({"schema": 1, "nodes": [message(0, "Hi")], "edges": edges}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    assert!(res.error_message().contains("4000 connections"));

    let triggers: Vec<Value> = (0..51)
        .map(|i| json!({"keywords": [format!("k{i}")], "to": "n0"}))
        .collect();
    let res = c
        .put_draft(
            bot,
            1,
            json!({"schema": 1, "nodes": [message(0, "Hi")], "triggers": triggers}),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "too_large");

    let res = c
        .put_draft(
            bot,
            1,
            json!({"schema": 1, "nodes": [message(0, &"x".repeat(5000))]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.error_message(),
        "Texts can be at most 4096 characters; one in the step “n0” has 5000."
    );

    // A body larger than a draft may be is refused before it is read.
    let huge: Vec<Value> = (0..600).map(|i| message(i, &"y".repeat(4000))).collect();
    let body = json!({"revision": 1, "document": {"schema": 1, "nodes": huge}});
    assert!(body.to_string().len() > app::flow::doc::MAX_DOC_BYTES + 64 * 1024);
    let res = c
        .request(
            axum::http::Method::PUT,
            &format!("/api/v1/bots/{bot}/draft"),
            Some(body),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &res.text()[..200.min(res.text().len())]
    );
    assert_eq!(res.error_code(), "payload_too_large");

    // Nothing was stored.
    let draft = c.get(&format!("/api/v1/bots/{bot}/draft")).await.json();
    assert_eq!(draft["revision"], 1);
    assert_eq!(draft["document"]["nodes"], json!([]));
}

#[tokio::test]
async fn validation_ties_each_problem_to_its_step_and_output() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let bot = bot_from(&mut c, None).await;
    let doc = json!({"schema": 1, "start": "gone", "nodes": [
        {"id": "hi", "type": "message", "settings": {"text": "Hello"}},
        {"id": "ask", "type": "quick_reply", "settings": {"text": "Which?", "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}}],
        "edges": [
            {"from": "hi", "port": "next", "to": "nowhere"},
            {"from": "ghost", "port": "next", "to": "ask"},
            {"from": "ask", "port": "a", "to": "hi"}]});
    let res = c.put_draft(bot, 1, doc).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let res = c
        .post_json(&format!("/api/v1/bots/{bot}/validate"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    assert_eq!(v["publishable"], false);
    let problems: Vec<(String, Value, Value)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().to_string(),
                p["node"].clone(),
                p["port"].clone(),
            )
        })
        .collect();
    let has = |code: &str, node: &str, port: Value| {
        problems.contains(&(code.to_string(), json!(node), port))
    };
    assert!(has("no_start", "hi", Value::Null), "{problems:#?}");
    assert!(has("dangling_edge", "hi", json!("next")), "{problems:#?}");
    assert!(
        has("dangling_edge", "ask", json!("next")),
        "the missing source's target: {problems:#?}"
    );
    assert!(
        has("unconnected_output", "hi", json!("next")),
        "{problems:#?}"
    );
    assert!(
        has("unconnected_output", "ask", json!("b")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().all(|(_, node, _)| node.is_string()),
        "every problem names its step: {problems:#?}"
    );
    let from_ghost = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "dangling_edge" && p["node"] == "ask")
        .unwrap();
    assert!(
        from_ghost["message"].as_str().unwrap().contains("“ghost”"),
        "{from_ghost}"
    );
}

#[tokio::test]
async fn restoring_a_version_validates_it_again() {
    let app = TestApp::sqlite().await;
    let (mut c, created) = app.signed_up("ana@example.com", "Ana").await;
    let ws = server::store::WorkspaceId(created["workspace_id"].as_i64().unwrap());
    let bot = bot_from(&mut c, Some("faq")).await;
    assert_eq!(
        c.post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
            .await
            .status,
        StatusCode::CREATED
    );
    // A version published under older rules: an empty catalog would make
    // it loop (catalog → cart → catalog). Stored directly, as back then.
    let old = json!({"schema": 1, "start": "catalog", "nodes": [
        {"id": "catalog", "type": "product_carousel", "settings": {"source": {"kind": "all"}, "page_size": 3}},
        {"id": "cart", "type": "show_cart", "settings": {}},
        {"id": "bye", "type": "end", "settings": {}}],
        "edges": [
            {"from": "catalog", "port": "added", "to": "cart"},
            {"from": "catalog", "port": "done", "to": "cart"},
            {"from": "cart", "port": "checkout", "to": "bye"},
            {"from": "cart", "port": "continue", "to": "catalog"},
            {"from": "cart", "port": "empty", "to": "catalog"}]});
    app.db
        .store
        .workspace(ws)
        .publish(
            server::store::BotId(bot),
            &old.to_string(),
            "ana@example.com",
            "",
        )
        .await
        .unwrap()
        .unwrap();
    let res = c
        .post_json(&format!("/api/v1/bots/{bot}/versions/2/restore"), json!({}))
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_flow");
    assert_eq!(res.json()["problems"][0]["code"], "busy_loop");
    let list = c.get(&format!("/api/v1/bots/{bot}/versions")).await.json();
    assert_eq!(
        list["versions"].as_array().unwrap().len(),
        2,
        "nothing published"
    );
    // A good version still restores.
    let res = c
        .post_json(&format!("/api/v1/bots/{bot}/versions/1/restore"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
}

//! Tenant isolation: every route that names an object answers 404 for
//! another workspace's object, exactly as for a missing one, and changes
//! nothing. Runs on both databases. The list of routes is checked against the
//! OpenAPI document, so a new route cannot slip past this test.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

mod common;

use std::collections::BTreeSet;

use app::flow::interpreter::Input;
use axum::http::{Method, StatusCode};
use common::{Client, Db, TestApp};
use serde_json::{Value, json};

struct Victim {
    workspace: i64,
    user: i64,
    bot: i64,
    token: i64,
    product: i64,
    order: i64,
    channel: i64,
    conversation: i64,
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn setup(app: &TestApp) -> (Client, Victim, Client, String) {
    let (mut a, created_a) = app.signed_up("alice@example.com", "Alice's shop").await;
    let workspace = created_a["workspace_id"].as_i64().unwrap();
    let bot = id(&a
        .post_json(
            "/api/v1/bots",
            json!({"name": "Alice's bot", "template": "shop"}),
        )
        .await
        .json());
    let res = a
        .post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let token = id(&a
        .post_json("/api/v1/tokens", json!({"name": "Alice's token"}))
        .await
        .json());
    let product = id(&a
        .post_json(
            "/api/v1/products",
            json!({"sku": "SOCK", "name": "Socks", "price": "9"}),
        )
        .await
        .json());
    let order = place_order(app, workspace, bot).await;
    let channel = id(&a
        .post_json(
            "/api/v1/channels",
            json!({"kind": "web", "bot_id": bot, "allowed_origins": ["https://alice.example"]}),
        )
        .await
        .json());
    let conversation = a.get("/api/v1/conversations").await.json()["conversations"][0]["id"]
        .as_i64()
        .unwrap();
    let (b, created_b) = app.signed_up("bob@example.com", "Bob's shop").await;
    let victim = Victim {
        workspace,
        user: created_a["user_id"].as_i64().unwrap(),
        bot,
        token,
        product,
        order,
        channel,
        conversation,
    };
    (
        a,
        victim,
        b,
        created_b["token"].as_str().unwrap().to_string(),
    )
}

/// A shopper of Alice's buys socks through her published shop flow.
async fn place_order(app: &TestApp, ws: i64, bot: i64) -> i64 {
    let inputs = [
        Input::Text { text: "hi".into() },
        Input::Payload {
            payload: "b1|a|catalog|SOCK".into(),
        },
        Input::Text {
            text: "Checkout".into(),
        },
        Input::Text { text: "Sam".into() },
        Input::Text {
            text: "1 Long Road, 12345 Town".into(),
        },
        Input::Text {
            text: "+1 650 555 1234".into(),
        },
        Input::Text { text: "yes".into() },
        Input::Text {
            text: "cash".into(),
        },
    ];
    let mut order = None;
    for (i, input) in inputs.into_iter().enumerate() {
        let event = i.to_string();
        let out = app
            .state
            .runner
            .run(server::runner::Turn {
                workspace: server::store::WorkspaceId(ws),
                bot: server::store::BotId(bot),
                channel: "test",
                user: "shopper",
                display_name: "Sam",
                event_id: &event,
                input,
            })
            .await
            .unwrap();
        if let Some(o) = out.orders.first() {
            order = Some(o.id.0);
        }
    }
    order.expect("the shopper placed an order")
}

type Attack = (Method, &'static str, String, Option<Value>);

/// (method, OpenAPI path template) → the request to send for the victim.
fn api_attacks(v: &Victim) -> Vec<Attack> {
    let bot = v.bot;
    vec![
        (
            Method::GET,
            "/api/v1/bots/{id}",
            format!("/api/v1/bots/{bot}"),
            None,
        ),
        (
            Method::PATCH,
            "/api/v1/bots/{id}",
            format!("/api/v1/bots/{bot}"),
            Some(json!({"name": "pwned"})),
        ),
        (
            Method::DELETE,
            "/api/v1/bots/{id}",
            format!("/api/v1/bots/{bot}"),
            None,
        ),
        (
            Method::GET,
            "/api/v1/bots/{id}/draft",
            format!("/api/v1/bots/{bot}/draft"),
            None,
        ),
        (
            Method::PUT,
            "/api/v1/bots/{id}/draft",
            format!("/api/v1/bots/{bot}/draft"),
            Some(json!({"revision": 1, "document": {"schema": 1}})),
        ),
        (
            Method::POST,
            "/api/v1/bots/{id}/validate",
            format!("/api/v1/bots/{bot}/validate"),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/bots/{id}/publish",
            format!("/api/v1/bots/{bot}/publish"),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/bots/{id}/simulate",
            format!("/api/v1/bots/{bot}/simulate"),
            Some(json!({"inputs": ["hi"]})),
        ),
        (
            Method::GET,
            "/api/v1/bots/{id}/versions",
            format!("/api/v1/bots/{bot}/versions"),
            None,
        ),
        (
            Method::GET,
            "/api/v1/bots/{id}/versions/{n}",
            format!("/api/v1/bots/{bot}/versions/1"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/bots/{id}/versions/{n}/restore",
            format!("/api/v1/bots/{bot}/versions/1/restore"),
            Some(json!({})),
        ),
        (
            Method::DELETE,
            "/api/v1/tokens/{id}",
            format!("/api/v1/tokens/{}", v.token),
            None,
        ),
        (
            Method::PATCH,
            "/api/v1/members/{id}",
            format!("/api/v1/members/{}", v.user),
            Some(json!({"role": "viewer"})),
        ),
        (
            Method::DELETE,
            "/api/v1/members/{id}",
            format!("/api/v1/members/{}", v.user),
            None,
        ),
        (
            Method::POST,
            "/api/v1/workspaces/{id}/switch",
            format!("/api/v1/workspaces/{}/switch", v.workspace),
            Some(json!({})),
        ),
        (
            Method::GET,
            "/api/v1/products/{id}",
            format!("/api/v1/products/{}", v.product),
            None,
        ),
        (
            Method::PATCH,
            "/api/v1/products/{id}",
            format!("/api/v1/products/{}", v.product),
            Some(json!({"name": "pwned"})),
        ),
        (
            Method::DELETE,
            "/api/v1/products/{id}",
            format!("/api/v1/products/{}", v.product),
            None,
        ),
        (
            Method::GET,
            "/api/v1/orders/{id}",
            format!("/api/v1/orders/{}", v.order),
            None,
        ),
        (
            Method::POST,
            "/api/v1/orders/{id}/status",
            format!("/api/v1/orders/{}/status", v.order),
            Some(json!({"status": "cancelled"})),
        ),
        (
            Method::DELETE,
            "/api/v1/channels/{id}",
            format!("/api/v1/channels/{}", v.channel),
            None,
        ),
        (
            Method::GET,
            "/api/v1/conversations/{id}",
            format!("/api/v1/conversations/{}", v.conversation),
            None,
        ),
    ]
}

/// The HTML form routes that name an object.
fn form_attacks(v: &Victim) -> Vec<(String, Vec<(&'static str, String)>)> {
    vec![
        (
            format!("/bots/{}/rename", v.bot),
            vec![("name", "pwned".to_string())],
        ),
        (format!("/bots/{}/delete", v.bot), vec![]),
        (format!("/settings/tokens/{}/revoke", v.token), vec![]),
        (
            format!("/settings/members/{}/role", v.user),
            vec![("role", "viewer".to_string())],
        ),
        (format!("/settings/members/{}/remove", v.user), vec![]),
        (
            "/workspaces/switch".to_string(),
            vec![("workspace_id", v.workspace.to_string())],
        ),
        (format!("/bots/{}/publish", v.bot), vec![]),
        (format!("/bots/{}/versions/1/restore", v.bot), vec![]),
        (
            format!("/products/{}", v.product),
            vec![
                ("sku", "SOCK".to_string()),
                ("name", "pwned".to_string()),
                ("price", "1".to_string()),
            ],
        ),
        (format!("/products/{}/delete", v.product), vec![]),
        (
            format!("/orders/{}/status", v.order),
            vec![("status", "cancelled".to_string())],
        ),
    ]
}

/// The pages that show one object.
fn page_attacks(v: &Victim) -> Vec<String> {
    vec![
        format!("/bots/{}", v.bot),
        format!("/bots/{}/versions/1", v.bot),
        format!("/products/{}", v.product),
        format!("/orders/{}", v.order),
    ]
}

async fn another_tenants_objects_answer_404(db: Db) {
    let app = TestApp::new(db).await;
    let (mut alice, v, mut bob, bob_token) = setup(&app).await;
    let mut bob_api = bob.with_token(&bob_token);
    // Bob has a catalog of his own, so his lists are not empty by accident.
    bob.post_json(
        "/api/v1/products",
        json!({"sku": "BOB", "name": "Bob's thing", "price": "1"}),
    )
    .await;

    // Every parametrised route in the OpenAPI document is attacked below.
    let doc = bob.get("/api/v1/openapi.json").await.json();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let attacked: BTreeSet<(String, String)> = api_attacks(&v)
        .iter()
        .map(|(m, template, _, _)| (m.to_string(), template.to_string()))
        .collect();
    assert_eq!(
        documented, attacked,
        "a route with an id is not covered by this test"
    );

    for (method, template, path, body) in api_attacks(&v) {
        // A browser session of another workspace…
        let res = bob.request(method.clone(), &path, body.clone()).await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "{method} {template} (session): {}",
            res.text()
        );
        assert_eq!(res.error_code(), "not_found");
        // …and its API token, where tokens may call the route at all.
        if template != "/api/v1/workspaces/{id}/switch" {
            let res = bob_api.request(method.clone(), &path, body).await;
            assert_eq!(
                res.status,
                StatusCode::NOT_FOUND,
                "{method} {template} (token): {}",
                res.text()
            );
        }
    }
    // The answer is exactly that for an id that does not exist.
    let foreign = bob.get(&format!("/api/v1/bots/{}", v.bot)).await;
    let missing = bob.get("/api/v1/bots/999999").await;
    assert_eq!(foreign.body, missing.body);

    for (path, fields) in form_attacks(&v) {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = bob.post_form(&path, &fields).await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "form {path}: {}",
            res.text()
        );
    }

    for path in page_attacks(&v) {
        let res = bob.get(&path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "page {path}");
        assert!(
            res.text().contains("No such"),
            "page {path} says what is missing"
        );
        assert!(
            !res.text().contains("Socks") && !res.text().contains("Alice"),
            "page {path} leaks nothing"
        );
        // Alice herself sees it.
        assert_eq!(
            alice.get(&path).await.status,
            StatusCode::OK,
            "page {path} for its owner"
        );
    }

    // The hosted order page is reachable only with its own secret link.
    let detail = alice
        .get(&format!("/api/v1/orders/{}", v.order))
        .await
        .json();
    assert!(detail["page_url"].as_str().unwrap().contains("/o/"));

    // Bob's lists never show Alice's objects.
    assert_eq!(bob.get("/api/v1/bots").await.json()["bots"], json!([]));
    assert_eq!(bob.get("/api/v1/orders").await.json()["orders"], json!([]));
    let bobs = bob.get("/api/v1/products").await.json();
    assert_eq!(bobs["products"].as_array().unwrap().len(), 1);
    assert_eq!(bobs["products"][0]["sku"], "BOB");
    let tokens = bob.get("/api/v1/tokens").await.json();
    assert!(
        tokens["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "Alice's token")
    );
    let members = bob.get("/api/v1/members").await.json();
    assert_eq!(members["members"].as_array().unwrap().len(), 1);
    assert_eq!(
        bob.get("/api/v1/me").await.json()["workspace"]["name"],
        "Bob's shop"
    );

    // Nothing of Alice's changed.
    let bot = alice.get(&format!("/api/v1/bots/{}", v.bot)).await;
    assert_eq!(bot.status, StatusCode::OK);
    assert_eq!(bot.json()["name"], "Alice's bot");
    assert_eq!(bot.json()["draft_revision"], 1);
    let versions = alice
        .get(&format!("/api/v1/bots/{}/versions", v.bot))
        .await
        .json();
    assert_eq!(
        versions["versions"].as_array().unwrap().len(),
        1,
        "nothing was published or restored"
    );
    let tokens = alice.get("/api/v1/tokens").await.json();
    assert!(
        tokens["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == v.token)
    );
    let members = alice.get("/api/v1/members").await.json();
    assert_eq!(members["members"][0]["role"], "owner");
    assert_eq!(
        alice
            .get(&format!("/api/v1/products/{}", v.product))
            .await
            .json()["name"],
        "Socks"
    );
    assert_eq!(
        alice
            .get(&format!("/api/v1/orders/{}", v.order))
            .await
            .json()["status"],
        "placed"
    );
}

#[tokio::test]
async fn sqlite_another_tenants_objects_answer_404() {
    another_tenants_objects_answer_404(Db::Sqlite).await;
}

#[tokio::test]
async fn postgres_another_tenants_objects_answer_404() {
    another_tenants_objects_answer_404(Db::Postgres).await;
}

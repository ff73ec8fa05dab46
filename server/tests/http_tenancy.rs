//! Tenant isolation: every route that names an object answers 404 for
//! another workspace's object, exactly as for a missing one, and changes
//! nothing. Runs on both databases. The list of routes is checked against the
//! OpenAPI document, so a new route cannot slip past this test.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::{Client, Db, TestApp};
use serde_json::{Value, json};

struct Victim {
    workspace: i64,
    user: i64,
    bot: i64,
    token: i64,
}

async fn setup(app: &TestApp) -> (Client, Victim, Client, String) {
    let (mut a, created_a) = app.signed_up("alice@example.com", "Alice's shop").await;
    let bot = a
        .post_json("/api/v1/bots", json!({"name": "Alice's bot"}))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let token = a
        .post_json("/api/v1/tokens", json!({"name": "Alice's token"}))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let (b, created_b) = app.signed_up("bob@example.com", "Bob's shop").await;
    let victim = Victim {
        workspace: created_a["workspace_id"].as_i64().unwrap(),
        user: created_a["user_id"].as_i64().unwrap(),
        bot,
        token,
    };
    (
        a,
        victim,
        b,
        created_b["token"].as_str().unwrap().to_string(),
    )
}

/// (method, OpenAPI path template) → the request to send for the victim.
fn api_attacks(v: &Victim) -> Vec<(Method, &'static str, String, Option<Value>)> {
    vec![
        (
            Method::GET,
            "/api/v1/bots/{id}",
            format!("/api/v1/bots/{}", v.bot),
            None,
        ),
        (
            Method::PATCH,
            "/api/v1/bots/{id}",
            format!("/api/v1/bots/{}", v.bot),
            Some(json!({"name": "pwned"})),
        ),
        (
            Method::DELETE,
            "/api/v1/bots/{id}",
            format!("/api/v1/bots/{}", v.bot),
            None,
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
    ]
}

async fn another_tenants_objects_answer_404(db: Db) {
    let app = TestApp::new(db).await;
    let (mut alice, v, mut bob, bob_token) = setup(&app).await;
    let mut bob_api = bob.with_token(&bob_token);

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

    // Bob's lists never show Alice's objects.
    assert_eq!(bob.get("/api/v1/bots").await.json()["bots"], json!([]));
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
}

#[tokio::test]
async fn sqlite_another_tenants_objects_answer_404() {
    another_tenants_objects_answer_404(Db::Sqlite).await;
}

#[tokio::test]
async fn postgres_another_tenants_objects_answer_404() {
    another_tenants_objects_answer_404(Db::Postgres).await;
}

//! Tenant isolation: every route that names an object answers 404 for
//! another workspace's object, exactly as for a missing one, and changes
//! nothing. The routes keyed by an invitation link's secret instead refuse
//! anyone but the invited address (403) and change nothing. Runs on both
//! databases. The lists of routes are checked against
//! the OpenAPI document, the form router, the page routes and the registered
//! server functions, so a new route cannot slip past this test.

use crate::common;

use std::collections::BTreeSet;

use crate::common::{Client, Db, TestApp, on_both_dbs};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

on_both_dbs!(another_tenants_objects_answer_404,);

struct Victim {
    workspace: i64,
    user: i64,
    bot: i64,
    token: i64,
    product: i64,
    order: i64,
    channel: i64,
    conversation: i64,
    contact: i64,
    invitation: i64,
    /// The secret of Alice's invitation link, as if it had leaked to Bob.
    invitation_secret: String,
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
    let contact = a.get("/api/v1/contacts").await.json()["contacts"][0]["id"]
        .as_i64()
        .expect("Alice's shopper is a contact");
    let invited = a
        .post_json(
            "/api/v1/members",
            json!({"email": "carol@example.com", "role": "owner"}),
        )
        .await
        .json();
    let invitation_secret = crate::http_invitations::secret_of(
        invited["accept_url"].as_str().expect("an invitation link"),
    );
    let (b, created_b) = app.signed_up("bob@example.com", "Bob's shop").await;
    let victim = Victim {
        invitation: id(&invited),
        invitation_secret,
        workspace,
        user: created_a["user_id"].as_i64().unwrap(),
        bot,
        token,
        product,
        order,
        channel,
        conversation,
        contact,
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
    let turns = app.buy_socks((ws, bot), ("shopper", "Sam"), "Sam").await;
    let order = turns.iter().rev().find_map(|out| out.orders.first());
    order.expect("the shopper placed an order").id.0
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
            Method::DELETE,
            "/api/v1/invitations/{id}",
            format!("/api/v1/invitations/{}", v.invitation),
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
            Method::PATCH,
            "/api/v1/channels/{id}",
            format!("/api/v1/channels/{}", v.channel),
            Some(json!({"name": "pwned"})),
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
        (
            Method::GET,
            "/api/v1/contacts/{id}",
            format!("/api/v1/contacts/{}", v.contact),
            None,
        ),
        (
            Method::PATCH,
            "/api/v1/contacts/{id}",
            format!("/api/v1/contacts/{}", v.contact),
            Some(json!({"tags": ["pwned"]})),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/messages",
            format!("/api/v1/conversations/{}/messages", v.conversation),
            Some(json!({"text": "pwned"})),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/assign",
            format!("/api/v1/conversations/{}/assign", v.conversation),
            Some(json!({"member_id": null})),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/close",
            format!("/api/v1/conversations/{}/close", v.conversation),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/reopen",
            format!("/api/v1/conversations/{}/reopen", v.conversation),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/conversations/{id}/resume",
            format!("/api/v1/conversations/{}/resume", v.conversation),
            Some(json!({})),
        ),
    ]
}

/// (method, OpenAPI path template) → the request to send with the victim's
/// invitation link: routes keyed by a secret rather than by a workspace.
fn api_secret_attacks(v: &Victim) -> Vec<Attack> {
    let secret = &v.invitation_secret;
    vec![
        (
            Method::POST,
            "/api/v1/invitations/{token}/accept",
            format!("/api/v1/invitations/{secret}/accept"),
            Some(json!({})),
        ),
        (
            Method::POST,
            "/api/v1/invitations/{token}/decline",
            format!("/api/v1/invitations/{secret}/decline"),
            Some(json!({})),
        ),
    ]
}

type FormAttack = (&'static str, String, Vec<(&'static str, String)>);

/// (form route template, path for the victim, fields): every form route
/// that names an object, in its path or its fields.
fn form_attacks(v: &Victim) -> Vec<FormAttack> {
    let (bot, product) = (v.bot, v.product);
    vec![
        (
            "/bots/{id}/rename",
            format!("/bots/{bot}/rename"),
            vec![("name", "pwned".to_string())],
        ),
        ("/bots/{id}/delete", format!("/bots/{bot}/delete"), vec![]),
        (
            "/settings/tokens/{id}/revoke",
            format!("/settings/tokens/{}/revoke", v.token),
            vec![],
        ),
        (
            "/settings/invitations/{id}/revoke",
            format!("/settings/invitations/{}/revoke", v.invitation),
            vec![],
        ),
        (
            "/settings/members/{id}/role",
            format!("/settings/members/{}/role", v.user),
            vec![("role", "viewer".to_string())],
        ),
        (
            "/settings/members/{id}/remove",
            format!("/settings/members/{}/remove", v.user),
            vec![],
        ),
        (
            "/workspaces/switch",
            "/workspaces/switch".to_string(),
            vec![("workspace_id", v.workspace.to_string())],
        ),
        ("/bots/{id}/publish", format!("/bots/{bot}/publish"), vec![]),
        (
            "/bots/{id}/versions/{n}/restore",
            format!("/bots/{bot}/versions/1/restore"),
            vec![],
        ),
        (
            "/products/{id}",
            format!("/products/{product}"),
            vec![
                ("sku", "SOCK".to_string()),
                ("name", "pwned".to_string()),
                ("price", "1".to_string()),
            ],
        ),
        (
            "/products/{id}/delete",
            format!("/products/{product}/delete"),
            vec![],
        ),
        (
            "/contacts/{id}",
            format!("/contacts/{}", v.contact),
            vec![("tags", "pwned".to_string())],
        ),
        (
            "/conversations/{id}/reply",
            format!("/conversations/{}/reply", v.conversation),
            vec![("text", "pwned".to_string())],
        ),
        (
            "/conversations/{id}/assign",
            format!("/conversations/{}/assign", v.conversation),
            vec![("member_id", String::new())],
        ),
        (
            "/conversations/{id}/close",
            format!("/conversations/{}/close", v.conversation),
            vec![],
        ),
        (
            "/conversations/{id}/reopen",
            format!("/conversations/{}/reopen", v.conversation),
            vec![],
        ),
        (
            "/conversations/{id}/resume",
            format!("/conversations/{}/resume", v.conversation),
            vec![],
        ),
        (
            "/orders/{id}/status",
            format!("/orders/{}/status", v.order),
            vec![("status", "cancelled".to_string())],
        ),
        (
            "/channels",
            "/channels".to_string(),
            vec![
                ("kind", "web".to_string()),
                ("bot_id", bot.to_string()),
                ("allowed_origins", "https://bob.example".to_string()),
            ],
        ),
        (
            "/channels/{id}/delete",
            format!("/channels/{}/delete", v.channel),
            vec![],
        ),
        (
            "/channels/{id}/token",
            format!("/channels/{}/token", v.channel),
            vec![("access_token", "EAAB-pwned-token-000".to_string())],
        ),
    ]
}

/// (form route template, path with the victim's invitation link).
fn form_secret_attacks(v: &Victim) -> Vec<(&'static str, String)> {
    let secret = &v.invitation_secret;
    vec![
        (
            "/invitations/{token}/accept",
            format!("/invitations/{secret}/accept"),
        ),
        (
            "/invitations/{token}/decline",
            format!("/invitations/{secret}/decline"),
        ),
    ]
}

/// Form routes that name no object of a workspace.
const FORMS_WITHOUT_OBJECTS: &[&str] = &[
    "/signup",
    "/login",
    "/logout",
    "/bots",
    "/products",
    "/products/import",
    "/settings/tokens",
    "/settings/members",
    "/settings/inbox",
    "/workspaces",
];

/// (page route template, path for the victim): the pages that show one object.
fn page_attacks(v: &Victim) -> Vec<(&'static str, String)> {
    let bot = v.bot;
    vec![
        ("/bots/{id}", format!("/bots/{bot}")),
        ("/bots/{id}/edit", format!("/bots/{bot}/edit")),
        ("/bots/{id}/versions/{n}", format!("/bots/{bot}/versions/1")),
        ("/products/{id}", format!("/products/{}", v.product)),
        ("/orders/{id}", format!("/orders/{}", v.order)),
        (
            "/conversations/{id}",
            format!("/conversations/{}", v.conversation),
        ),
        ("/contacts/{id}", format!("/contacts/{}", v.contact)),
    ]
}

/// How a server function's arguments travel.
enum Args {
    /// URL-encoded, the default.
    Form(Vec<(&'static str, String)>),
    /// JSON, for `input = Json` functions.
    Json(Value),
}

fn path_of<F: leptos::server_fn::ServerFn>() -> &'static str {
    F::PATH
}

/// Server functions that take an object's id, with the victim's.
fn server_fn_attacks(v: &Victim) -> Vec<(&'static str, Args)> {
    use app::server_fns::*;
    let bot = || ("id", v.bot.to_string());
    vec![
        (path_of::<GetBotPage>(), Args::Form(vec![bot()])),
        (
            path_of::<GetVersionPage>(),
            Args::Form(vec![bot(), ("number", "1".into())]),
        ),
        (
            path_of::<SimulateDraft>(),
            Args::Form(vec![
                bot(),
                ("inputs[0][kind]", "text".into()),
                ("inputs[0][text]", "hi".into()),
            ]),
        ),
        (path_of::<GetEditor>(), Args::Form(vec![bot()])),
        (
            path_of::<SaveFlow>(),
            Args::Json(json!({
                "id": v.bot,
                "revision": 1,
                "document": app::flow::templates::faq(),
            })),
        ),
        (
            path_of::<PublishFlow>(),
            Args::Form(vec![bot(), ("revision", "1".into())]),
        ),
        (
            path_of::<RestoreFlow>(),
            Args::Form(vec![bot(), ("number", "1".into())]),
        ),
        (
            path_of::<GetProduct>(),
            Args::Form(vec![("id", v.product.to_string())]),
        ),
        (
            path_of::<GetOrder>(),
            Args::Form(vec![("id", v.order.to_string())]),
        ),
        (
            path_of::<GetConversation>(),
            Args::Form(vec![("id", v.conversation.to_string())]),
        ),
        (
            path_of::<app::ui::contacts::GetContact>(),
            Args::Form(vec![("id", v.contact.to_string())]),
        ),
    ]
}

/// Server functions that name no object; they only list the caller's own.
fn server_fns_without_ids() -> Vec<&'static str> {
    use app::server_fns::*;
    vec![
        path_of::<GetPageData>(),
        path_of::<ListBots>(),
        path_of::<ListTokens>(),
        path_of::<ListMembers>(),
        path_of::<ListInvitations>(),
        path_of::<ListProducts>(),
        path_of::<ListOrders>(),
        path_of::<GetChannelsPage>(),
        path_of::<ListConversations>(),
        path_of::<GetInboxSettings>(),
        path_of::<app::ui::contacts::ListContacts>(),
    ]
}

async fn call(c: &mut Client, path: &str, args: &Args) -> common::TestResponse {
    match args {
        Args::Form(fields) => {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.post_form(path, &fields).await
        }
        Args::Json(body) => c.post_json(path, body.clone()).await,
    }
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
        .chain(api_secret_attacks(&v).iter())
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
    // A leaked invitation link lets nobody but its address in: Bob's
    // session is told which account to use, his token may not answer
    // invitations at all.
    for (method, template, path, body) in api_secret_attacks(&v) {
        let res = bob.request(method.clone(), &path, body.clone()).await;
        res.assert_error(StatusCode::FORBIDDEN, "wrong_account");
        assert!(!res.text().contains("carol@"), "{template}: masked");
        let res = bob_api.request(method.clone(), &path, body).await;
        res.assert_error(StatusCode::FORBIDDEN, "forbidden");
        let unknown = path.replace(&v.invitation_secret, "inv_nothing");
        let res = bob.request(method, &unknown, Some(json!({}))).await;
        res.assert_error(StatusCode::NOT_FOUND, "not_found");
    }

    // The answer is exactly that for an id that does not exist.
    let foreign = bob.get(&format!("/api/v1/bots/{}", v.bot)).await;
    let missing = bob.get("/api/v1/bots/999999").await;
    assert_eq!(foreign.body, missing.body);

    // Every form route is either attacked below or names no object.
    let attacked: BTreeSet<&str> = form_attacks(&v).iter().map(|(t, _, _)| *t).collect();
    let mut classified = attacked.clone();
    classified.extend(FORMS_WITHOUT_OBJECTS);
    classified.extend(form_secret_attacks(&v).iter().map(|(t, _)| *t));
    let routes: BTreeSet<&str> = server::http::forms::paths().into_iter().collect();
    assert_eq!(
        routes, classified,
        "a form route is not covered by this test"
    );
    for (template, path, fields) in form_attacks(&v) {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = bob.post_form(&path, &fields).await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "form {template}: {}",
            res.text()
        );
    }

    // Forms answering Alice's invitation send Bob back to its page, which
    // tells him which account to use; nothing changes.
    let invitation_page = format!("/invitations/{}", v.invitation_secret);
    for (template, path) in form_secret_attacks(&v) {
        let res = bob.post_form(&path, &[]).await;
        assert_eq!(
            res.location().as_deref(),
            Some(invitation_page.as_str()),
            "form {template}: {}",
            res.text()
        );
    }
    let res = bob.get(&invitation_page).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "the invitation page");
    assert!(res.text().contains("signed in as bob@example.com"));
    assert!(!res.text().contains("Accept invitation") && !res.text().contains("carol@"));

    // Every page with a parameter is attacked below (the invitation page,
    // keyed by its secret, just above).
    let pages: BTreeSet<String> = server::http::pages::page_paths()
        .into_iter()
        .filter(|p| p.contains('{') && p != "/invitations/{token}")
        .collect();
    let attacked: BTreeSet<String> = page_attacks(&v)
        .iter()
        .map(|(t, _)| t.to_string())
        .collect();
    assert_eq!(
        pages, attacked,
        "a page with an id is not covered by this test"
    );

    for (_, path) in page_attacks(&v) {
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

    // Every server function is attacked below or names no object.
    let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    let mut classified: BTreeSet<&str> = server_fn_attacks(&v).iter().map(|(p, _)| *p).collect();
    classified.extend(server_fns_without_ids());
    // Keyed by a link's secret: shows the invitation to whoever holds the
    // link, with why Bob cannot accept it.
    let keyed = path_of::<app::server_fns::GetInvitation>();
    classified.insert(keyed);
    let res = call(
        &mut bob,
        keyed,
        &Args::Form(vec![("token", v.invitation_secret.clone())]),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["refusal"]["code"], "wrong_account");
    assert_eq!(
        registered, classified,
        "a server function is not covered by this test"
    );
    for (path, args) in server_fn_attacks(&v) {
        let res = call(&mut bob, path, &args).await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "server function {path}: {}",
            res.text()
        );
        assert_eq!(res.json()["code"], "not_found", "{path}: {}", res.text());
    }
    for path in server_fns_without_ids() {
        let res = call(&mut bob, path, &Args::Form(vec![])).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text());
        let text = res.text();
        assert!(
            !text.contains("Alice") && !text.contains("Socks"),
            "{path} shows none of Alice's objects: {text}"
        );
    }
    // The calls were well formed: Alice gets her objects with the same ones
    // (those that only read).
    let writes = [
        path_of::<app::server_fns::SaveFlow>(),
        path_of::<app::server_fns::PublishFlow>(),
        path_of::<app::server_fns::RestoreFlow>(),
    ];
    for (path, args) in server_fn_attacks(&v) {
        if writes.contains(&path) {
            continue;
        }
        let res = call(&mut alice, path, &args).await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "{path} for its owner: {}",
            res.text()
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
    assert_eq!(members["members"].as_array().unwrap().len(), 1);
    let invitations = alice.get("/api/v1/invitations").await.json();
    assert_eq!(
        invitations["invitations"][0]["id"], v.invitation,
        "still pending"
    );
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
    let channels = alice.get("/api/v1/channels").await.json();
    assert_eq!(
        channels["channels"].as_array().unwrap().len(),
        1,
        "her channel is still there: {channels}"
    );
    let bobs = bob.get("/api/v1/channels").await.json();
    assert_eq!(bobs["channels"], json!([]), "no channel on her bot for Bob");
}

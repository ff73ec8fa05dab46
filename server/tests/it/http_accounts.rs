//! Accounts over HTTP on SQLite: sign-up, login, sessions, tokens, roles,
//! workspaces and members, and the clear 4xx for each kind of bad input.

use crate::common::{PASSWORD, TestApp};
use axum::http::{Method, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn signup_creates_user_workspace_and_a_working_token() {
    let app = TestApp::sqlite().await;
    let (mut browser, created) = app.signed_up("Ana@Example.com", "Ana's Shoes").await;
    assert!(created["user_id"].as_i64().unwrap() > 0);
    assert!(created["workspace_id"].as_i64().unwrap() > 0);
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("bm_"));

    // The browser that signed up is signed in.
    let me = browser.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    assert_eq!(me.json()["email"], "ana@example.com");
    assert_eq!(me.json()["via"], "session");
    assert_eq!(me.json()["workspace"]["role"], "owner");

    // The token works on its own, for the same workspace.
    let mut api = browser.with_token(&token);
    let me = api.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["via"], "token");
    assert_eq!(me.json()["workspace"]["id"], created["workspace_id"]);
    assert_eq!(me.json()["workspace"]["name"], "Ana's Shoes");

    // The secret is stored hashed only.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(app.db.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, vec![server::auth::hash_token(&token)]);
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    let app = TestApp::sqlite().await;
    let mut c = app.client();
    let res = c
        .post_json(
            "/api/v1/signup",
            json!({"email": "a@example.com", "password": PASSWORD, "workspace": "A"}),
        )
        .await;
    let cookie = res
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("botme_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
}

#[tokio::test]
async fn bad_signups_get_clear_errors_and_write_nothing() {
    let app = TestApp::sqlite().await;
    app.signed_up("taken@example.com", "Taken").await;
    let before = (
        app.count("users").await,
        app.count("workspaces").await,
        app.count("api_tokens").await,
    );
    let mut c = app.client();

    let cases: Vec<(
        &str,
        axum::http::Request<axum::body::Body>,
        StatusCode,
        &str,
    )> = vec![
        (
            "malformed JSON",
            raw("{\"email\": ", "application/json"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "empty body",
            raw("", "application/json"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "missing field",
            raw(
                r#"{"email":"x@example.com","workspace":"W"}"#,
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "wrong type",
            raw(
                r#"{"email":"x@example.com","password":5,"workspace":"W"}"#,
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "not JSON",
            raw("email=x", "application/x-www-form-urlencoded"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "oversized",
            raw(
                &format!(
                    r#"{{"email":"x@example.com","password":"{}","workspace":"W"}}"#,
                    "p".repeat(70_000)
                ),
                "application/json",
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "duplicate email",
            signup_body("TAKEN@example.com", PASSWORD, "Again"),
            StatusCode::CONFLICT,
            "email_taken",
        ),
        (
            "weak password",
            signup_body("new@example.com", "12345", "W"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            "common password",
            signup_body("new@example.com", "Password123", "W"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            "bad email",
            signup_body("not-an-email", PASSWORD, "W"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            "blank workspace",
            signup_body("new@example.com", PASSWORD, "   "),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
    ];
    for (what, req, status, code) in cases {
        let res = c.send(req).await;
        assert_eq!(res.status, status, "{what}: {}", res.text());
        assert_eq!(res.error_code(), code, "{what}");
        assert_eq!(
            res.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/json",
            "{what}"
        );
    }
    let after = (
        app.count("users").await,
        app.count("workspaces").await,
        app.count("api_tokens").await,
    );
    assert_eq!(before, after, "a refused sign-up wrote rows");
    assert_eq!(c.cookie, None, "a refused sign-up started a session");
}

fn raw(body: &str, content_type: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/signup")
        .header(header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(body.to_string()))
        .unwrap()
}

fn signup_body(email: &str, password: &str, ws: &str) -> axum::http::Request<axum::body::Body> {
    raw(
        &json!({"email": email, "password": password, "workspace": ws}).to_string(),
        "application/json",
    )
}

#[tokio::test]
async fn login_answers_the_same_for_wrong_password_and_unknown_email() {
    let app = TestApp::sqlite().await;
    app.signed_up("ana@example.com", "Ana").await;
    let mut c = app.client();
    let wrong = c.login("ana@example.com", "not the password").await;
    let unknown = c.login("nobody@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.error_code(), "invalid_credentials");
    assert_eq!(c.cookie, None);

    let ok = c.login(" ANA@example.com ", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["email"], "ana@example.com");
    assert!(c.cookie.is_some());
}

#[tokio::test]
async fn repeated_failures_are_throttled() {
    let app = TestApp::sqlite().await;
    app.signed_up("ana@example.com", "Ana").await;
    let mut c = app.client();
    for i in 0..5 {
        let res = c
            .post_json(
                "/api/v1/login",
                json!({"email": "ana@example.com", "password": format!("guess number {i}")}),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Now even the right password must wait.
    let res = c.login("ana@example.com", PASSWORD).await;
    res.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert!(res.error_message().contains("minute"));
    // Unknown emails are throttled the same way, so the limit reveals nothing.
    for _ in 0..5 {
        c.login("ghost@example.com", "whatever1234").await;
    }
    let res = c.login("ghost@example.com", "whatever1234").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Guesses sent all at once cannot outrun the limit: each is counted before
/// its password is checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_throttled_like_sequential_ones() {
    let app = TestApp::sqlite().await;
    app.signed_up("ana@example.com", "Ana").await;
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..20 {
        let mut c = app.client();
        let start = start.clone();
        guesses.spawn(async move {
            start.wait().await;
            c.post_json(
                "/api/v1/login",
                json!({"email": "ana@example.com", "password": format!("parallel guess {i}")}),
            )
            .await
            .status
        });
    }
    let mut judged = 0;
    let mut throttled = 0;
    while let Some(status) = guesses.join_next().await {
        match status.unwrap() {
            StatusCode::UNAUTHORIZED => judged += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected answer {other}"),
        }
    }
    assert_eq!(judged, 5, "only the limit's worth of guesses were checked");
    assert_eq!(throttled, 15);
    // Locked: even the right password must wait.
    let res = app
        .client()
        .post_json(
            "/api/v1/login",
            json!({"email": "ana@example.com", "password": PASSWORD}),
        )
        .await;
    res.assert_error(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
}

#[tokio::test]
async fn login_cycles_the_session_id_and_logout_ends_it() {
    let app = TestApp::sqlite().await;
    app.signed_up("ana@example.com", "Ana").await;
    let mut c = app.client();
    // An anonymous session exists before login (a flash message was left).
    let res = c
        .post_form(
            "/login",
            &[
                ("email", "ana@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let before = c.cookie.clone().expect("anonymous session");

    let res = c.login("ana@example.com", PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK);
    let after = c.cookie.clone().expect("session");
    assert_ne!(before, after, "the session id must change at login");

    // The old id no longer authenticates anything.
    let mut stale = app.client();
    stale.cookie = Some(before);
    assert_eq!(
        stale.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    let sessions = app.count("web_sessions").await;
    let res = c.post_json("/api/v1/logout", json!({})).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let mut replay = app.client();
    replay.cookie = Some(after);
    assert_eq!(
        replay.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("web_sessions").await,
        sessions - 1,
        "the session is deleted"
    );
}

#[tokio::test]
async fn tokens_are_shown_once_listed_without_secret_and_revocable() {
    let app = TestApp::sqlite().await;
    let (mut owner, _) = app.signed_up("owner@example.com", "Shop").await;
    let res = owner
        .post_json(
            "/api/v1/tokens",
            json!({"name": "Inventory sync", "role": "viewer"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let created = res.json();
    let secret = created["token"].as_str().unwrap().to_string();
    assert_eq!(created["role"], "viewer");
    assert_eq!(created["name"], "Inventory sync");
    let id = created["id"].as_i64().unwrap();

    let list = owner.get("/api/v1/tokens").await;
    assert_eq!(list.status, StatusCode::OK);
    let text = list.text();
    assert!(!text.contains(&secret), "a listed token leaks its secret");
    let tokens = list.json()["tokens"].as_array().unwrap().clone();
    assert_eq!(tokens.len(), 2, "sign-up token and the new one");
    assert!(tokens.iter().all(|t| t.get("token").is_none()));
    assert!(secret.starts_with(tokens[0]["prefix"].as_str().unwrap()));

    // A viewer token reads but cannot write.
    let mut viewer = owner.with_token(&secret);
    assert_eq!(viewer.get("/api/v1/bots").await.status, StatusCode::OK);
    let res = viewer
        .post_json("/api/v1/bots", json!({"name": "Nope"}))
        .await;
    res.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("bots").await, 0);

    assert_eq!(
        owner.delete(&format!("/api/v1/tokens/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let res = viewer.get("/api/v1/bots").await;
    res.assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(
        owner.delete(&format!("/api/v1/tokens/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    let mut garbage = app.client().with_token("bm_not-a-real-token");
    assert_eq!(
        garbage.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bots_crud_over_the_api() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    assert_eq!(c.get("/api/v1/bots").await.json()["bots"], json!([]));

    let res = c
        .post_json("/api/v1/bots", json!({"name": "  Summer sale  "}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let bot = res.json();
    assert_eq!(bot["name"], "Summer sale");
    assert_eq!(bot["draft_revision"], 1);
    let id = bot["id"].as_i64().unwrap();

    let draft: String = sqlx::query_scalar("SELECT draft FROM bots")
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
    let draft: serde_json::Value = serde_json::from_str(&draft).unwrap();
    assert_eq!(draft["nodes"], json!([]), "a new bot holds an empty draft");

    let res = c
        .patch_json(
            &format!("/api/v1/bots/{id}"),
            json!({"name": "Winter sale"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["name"], "Winter sale");
    let res = c.get(&format!("/api/v1/bots/{id}")).await;
    assert_eq!(res.json()["name"], "Winter sale");

    let res = c
        .patch_json(&format!("/api/v1/bots/{id}"), json!({"name": ""}))
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_name");
    let res = c
        .post_json("/api/v1/bots", json!({"name": "X", "template": "no-such"}))
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_template");

    assert_eq!(
        c.delete(&format!("/api/v1/bots/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.get(&format!("/api/v1/bots/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get("/api/v1/bots/not-a-number").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unauthenticated_requests_get_401() {
    let app = TestApp::sqlite().await;
    let mut c = app.client();
    for (method, path) in [
        (Method::GET, "/api/v1/me"),
        (Method::GET, "/api/v1/bots"),
        (Method::POST, "/api/v1/bots"),
        (Method::GET, "/api/v1/tokens"),
        (Method::GET, "/api/v1/members"),
        (Method::GET, "/api/v1/workspaces"),
    ] {
        let body = (method == Method::POST).then(|| json!({"name": "x"}));
        let res = c.request(method.clone(), path, body).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(res.error_code(), "unauthenticated");
    }
    let res = c.get("/api/v1/nothing-here").await;
    res.assert_error(StatusCode::NOT_FOUND, "not_found");
    let res = c.request(Method::PUT, "/api/v1/bots", None).await;
    res.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn roles_limit_what_members_can_do() {
    let app = TestApp::sqlite().await;
    let (mut owner, _) = app.signed_up("owner@example.com", "Shop").await;
    let (mut editor, editor_signup) = app.signed_up("editor@example.com", "Editor's own").await;
    let (mut viewer, viewer_signup) = app.signed_up("viewer@example.com", "Viewer's own").await;
    let shop = owner.get("/api/v1/me").await.json()["workspace"]["id"]
        .as_i64()
        .unwrap();

    // Members join by accepting an invitation (see `http_invitations`).
    for (c, email, role) in [
        (&mut editor, "editor@example.com", "editor"),
        (&mut viewer, "viewer@example.com", "viewer"),
    ] {
        let joined = crate::http_invitations::join(&mut owner, c, email, role).await;
        assert_eq!(joined["role"], role);
    }
    // Inviting a member again, or with a made-up role.
    for (email, role, status, code) in [
        (
            "editor@example.com",
            "viewer",
            StatusCode::CONFLICT,
            Some("already_member"),
        ),
        (
            "x@example.com",
            "admin",
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
    ] {
        let res = owner
            .post_json("/api/v1/members", json!({"email": email, "role": role}))
            .await;
        assert_eq!(res.status, status, "{email} as {role}");
        if let Some(code) = code {
            assert_eq!(res.error_code(), code);
        }
    }

    for c in [&mut editor, &mut viewer] {
        let res = c
            .post_json(&format!("/api/v1/workspaces/{shop}/switch"), json!({}))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    }

    // Editors build bots; they cannot manage tokens or members.
    let res = editor
        .post_json("/api/v1/bots", json!({"name": "Editor's bot"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let bot = res.json()["id"].as_i64().unwrap();
    let viewer_id = viewer_signup["user_id"].as_i64().unwrap();
    for res in [
        editor.get("/api/v1/tokens").await,
        editor
            .post_json("/api/v1/tokens", json!({"name": "t"}))
            .await,
        editor
            .patch_json(
                &format!("/api/v1/members/{viewer_id}"),
                json!({"role": "owner"}),
            )
            .await,
    ] {
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
    }

    // Viewers read only.
    let bots = viewer.get("/api/v1/bots").await.json();
    assert_eq!(bots["bots"][0]["name"], "Editor's bot");
    for res in [
        viewer.post_json("/api/v1/bots", json!({"name": "x"})).await,
        viewer
            .patch_json(&format!("/api/v1/bots/{bot}"), json!({"name": "x"}))
            .await,
        viewer.delete(&format!("/api/v1/bots/{bot}")).await,
    ] {
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
        assert!(res.error_message().contains("viewer"));
    }
    assert_eq!(
        viewer.get(&format!("/api/v1/bots/{bot}")).await.json()["name"],
        "Editor's bot"
    );

    // The owner promotes the viewer; the change applies on the next request.
    let res = owner
        .patch_json(
            &format!("/api/v1/members/{viewer_id}"),
            json!({"role": "editor"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        viewer
            .patch_json(&format!("/api/v1/bots/{bot}"), json!({"name": "Renamed"}))
            .await
            .status,
        StatusCode::OK
    );

    // The only owner can neither step down nor leave.
    let owner_id = owner.get("/api/v1/me").await.json()["user_id"]
        .as_i64()
        .unwrap();
    let res = owner
        .patch_json(
            &format!("/api/v1/members/{owner_id}"),
            json!({"role": "viewer"}),
        )
        .await;
    res.assert_error(StatusCode::CONFLICT, "last_owner");
    assert_eq!(
        owner
            .delete(&format!("/api/v1/members/{owner_id}"))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // A member may leave; the session falls back to their own workspace.
    let editor_id = editor_signup["user_id"].as_i64().unwrap();
    assert_eq!(
        editor
            .delete(&format!("/api/v1/members/{editor_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let me = editor.get("/api/v1/me").await.json();
    assert_eq!(me["workspace"]["name"], "Editor's own");
    assert_eq!(
        editor.get(&format!("/api/v1/bots/{bot}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn users_switch_between_their_workspaces() {
    let app = TestApp::sqlite().await;
    let (mut c, created) = app.signed_up("ana@example.com", "First shop").await;
    let first = created["workspace_id"].as_i64().unwrap();
    c.post_json("/api/v1/bots", json!({"name": "In first"}))
        .await;

    let res = c
        .post_json("/api/v1/workspaces", json!({"name": "Second shop"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["role"], "owner");
    let second = res.json()["id"].as_i64().unwrap();
    let list = c.get("/api/v1/workspaces").await.json();
    assert_eq!(list["workspaces"].as_array().unwrap().len(), 2);

    // Still in the first until switching.
    assert_eq!(c.get("/api/v1/me").await.json()["workspace"]["id"], first);
    let res = c
        .post_json(&format!("/api/v1/workspaces/{second}/switch"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(c.get("/api/v1/bots").await.json()["bots"], json!([]));

    // The choice survives a new login.
    c.post_json("/api/v1/logout", json!({})).await;
    c.login("ana@example.com", PASSWORD).await;
    assert_eq!(c.get("/api/v1/me").await.json()["workspace"]["id"], second);

    // Tokens cannot create or switch workspaces.
    let mut api = c.with_token(created["token"].as_str().unwrap());
    let res = api
        .post_json("/api/v1/workspaces", json!({"name": "Via token"}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let list = api.get("/api/v1/workspaces").await.json();
    assert_eq!(list["workspaces"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn signups_are_limited_per_client_address() {
    let mut app = TestApp::sqlite().await;
    let signup = |n: u32| json!({"email": format!("shop{n}@example.com"), "password": PASSWORD, "workspace": format!("Shop {n}")});
    for n in 0..5 {
        let res = app
            .post_from_peer("/api/v1/signup", "203.0.113.7", None, None, signup(n))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "sign-up {n}");
    }
    let res = app
        .post_from_peer("/api/v1/signup", "203.0.113.7", None, None, signup(5))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=12 * 60).contains(&wait), "{wait}");
    assert_eq!(app.count("users").await, 5);
    // Another address is not held back by the first.
    let res = app
        .post_from_peer("/api/v1/signup", "203.0.113.8", None, None, signup(6))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // A client cannot name another address itself.
    let res = app
        .post_from_peer(
            "/api/v1/signup",
            "203.0.113.7",
            Some("198.51.100.1"),
            None,
            signup(7),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // Behind a trusted proxy, the address it saw is the client's: the
    // entry the client wrote itself, at the left, is not believed.
    app.state.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()].into();
    app.router = server::router(app.state.clone());
    let res = app
        .post_from_peer(
            "/api/v1/signup",
            "10.0.0.2",
            Some("203.0.113.7, 198.51.100.9"),
            None,
            signup(8),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post_from_peer(
            "/api/v1/signup",
            "10.0.0.2",
            Some("198.51.100.9, 203.0.113.7"),
            None,
            signup(9),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("users").await, 7);
}

#[tokio::test]
async fn shoppers_behind_one_trusted_proxy_do_not_share_a_login_limit() {
    let mut app = TestApp::sqlite().await;
    app.signed_up("ana@example.com", "Ana").await;
    let guess =
        |i: u32| json!({"email": format!("nobody{i}@example.com"), "password": "wrong guess 123"});
    // Without BOTME_TRUSTED_PROXIES everyone behind the proxy is the proxy:
    // 50 failures from it lock out its next client too.
    for i in 0..50 {
        let res = app
            .post_from_peer(
                "/api/v1/login",
                "10.0.0.2",
                Some(&format!("198.51.100.{i}")),
                None,
                guess(i),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{i}");
    }
    let ana = json!({"email": "ana@example.com", "password": PASSWORD});
    let res = app
        .post_from_peer(
            "/api/v1/login",
            "10.0.0.2",
            Some("203.0.113.50"),
            None,
            ana.clone(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));

    // Trusting the proxy, each client has its own counter.
    app.state.trusted_proxies = vec!["10.0.0.2/32".parse().unwrap()].into();
    app.router = server::router(app.state.clone());
    let res = app
        .post_from_peer("/api/v1/login", "10.0.0.2", Some("203.0.113.50"), None, ana)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

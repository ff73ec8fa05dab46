//! The pages and their forms over HTTP, exactly as a browser without
//! JavaScript uses them, plus the operations endpoints.

use crate::common;

use crate::common::{PASSWORD, TestApp};
use axum::http::{Method, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn private_pages_send_visitors_to_login_and_back() {
    let app = TestApp::sqlite().await;
    let mut c = app.client();
    let res = c.get("/dashboard").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location().unwrap(), "/login?next=%2Fdashboard");
    let res = c.get("/settings").await;
    assert_eq!(res.location().unwrap(), "/login?next=%2Fsettings");

    let page = c.get("/login?next=%2Fsettings").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("<form method=\"post\" action=\"/login\""),
        "{html}"
    );
    assert!(html.contains("name=\"next\" value=\"/settings\""), "{html}");

    app.signed_up("ana@example.com", "Ana").await;
    let res = c
        .post_form(
            "/login",
            &[
                ("email", "ana@example.com"),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location().unwrap(), "/settings");
    // Signed in, the login page sends them on.
    assert_eq!(c.get("/login").await.location().unwrap(), "/dashboard");
}

#[tokio::test]
async fn signup_form_flow_without_javascript() {
    let app = TestApp::sqlite().await;
    let mut c = app.client();
    let page = c.get("/signup").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("action=\"/signup\""));
    assert!(html.contains("Create your Botme account"));
    assert!(
        html.contains("/pkg/botme"),
        "the page loads the WASM bundle: {html}"
    );

    // A weak password: back to the form, with the reason and the email kept.
    let res = c
        .post_form(
            "/signup",
            &[
                ("email", "ana@example.com"),
                ("password", "short"),
                ("workspace", "Ana"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location().unwrap(), "/signup");
    let html = c.get("/signup").await.text();
    assert!(html.contains("Use at least 10 characters"), "{html}");
    assert!(html.contains("value=\"ana@example.com\""), "{html}");
    // The message is shown once.
    assert!(
        !c.get("/signup")
            .await
            .text()
            .contains("Use at least 10 characters")
    );
    assert_eq!(app.count("users").await, 0);

    let res = c
        .post_form(
            "/signup",
            &[
                ("email", "ana@example.com"),
                ("password", PASSWORD),
                ("workspace", "Ana's Shoes"),
            ],
        )
        .await;
    assert_eq!(res.location().unwrap(), "/dashboard");
    let html = c.get("/dashboard").await.text();
    assert!(html.contains("Welcome to Botme"), "{html}");
    assert!(html.contains("No bots yet"), "{html}");
    assert!(html.contains("ana@example.com"));
    assert!(
        html.contains("Ana&#x27;s Shoes") || html.contains("Ana's Shoes"),
        "{html}"
    );

    // A second sign-up with the same email says so.
    let mut other = app.client();
    other
        .post_form(
            "/signup",
            &[
                ("email", "ana@example.com"),
                ("password", PASSWORD),
                ("workspace", "Again"),
            ],
        )
        .await;
    assert!(other.get("/signup").await.text().contains("already exists"));
}

#[tokio::test]
async fn dashboard_creates_renames_and_deletes_bots() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;

    let res = c.post_form("/bots", &[("name", "Summer <sale>")]).await;
    let editor = res.location().unwrap().to_string();
    assert!(
        editor.starts_with("/bots/") && editor.ends_with("/edit"),
        "a new bot opens in the editor: {editor}"
    );
    let html = c.get(&editor).await.text();
    assert!(
        html.contains("created. Add and connect steps here"),
        "{html}"
    );
    let html = c.get("/dashboard").await.text();
    assert!(
        html.contains("Summer &lt;sale&gt;"),
        "names are escaped: {html}"
    );
    assert!(!html.contains("Summer <sale>"));
    let id = c.get("/api/v1/bots").await.json()["bots"][0]["id"]
        .as_i64()
        .unwrap();

    let res = c
        .post_form(&format!("/bots/{id}/rename"), &[("name", "Winter sale")])
        .await;
    assert_eq!(res.location().unwrap(), "/dashboard");
    let html = c.get("/dashboard").await.text();
    assert!(html.contains("Bot renamed to “Winter sale”."), "{html}");

    c.post_form(&format!("/bots/{id}/rename"), &[("name", "   ")])
        .await;
    assert!(
        c.get("/dashboard")
            .await
            .text()
            .contains("Enter a bot name.")
    );

    c.post_form(&format!("/bots/{id}/delete"), &[]).await;
    let html = c.get("/dashboard").await.text();
    assert!(html.contains("Bot deleted."));
    assert!(html.contains("No bots yet"));
    assert_eq!(app.count("bots").await, 0);
}

#[tokio::test]
async fn settings_show_a_new_token_once_and_manage_members() {
    let app = TestApp::sqlite().await;
    let (mut teammate, _) = app.signed_up("teammate@example.com", "Theirs").await;
    let (mut c, _) = app.signed_up("owner@example.com", "Shop").await;

    c.post_form(
        "/settings/tokens",
        &[("name", "Sync job"), ("role", "viewer")],
    )
    .await;
    let html = c.get("/settings").await.text();
    let start = html.find("bm_").expect("the new token is shown");
    let secret: String = html[start..].chars().take(46).collect();
    assert!(html.contains("It will not be shown again"));
    assert!(
        !c.get("/settings").await.text().contains(&secret),
        "shown twice"
    );
    let mut api = c.with_token(&secret);
    assert_eq!(
        api.get("/api/v1/me").await.json()["workspace"]["role"],
        "viewer"
    );

    // Adding a member is an invitation, its link shown once; the teammate
    // joins by accepting it (see `http_invitations`).
    c.post_form(
        "/settings/members",
        &[("email", "teammate@example.com"), ("role", "editor")],
    )
    .await;
    let html = c.get("/settings").await.text();
    assert!(
        html.contains("Invitation for teammate@example.com as editor created."),
        "{html}"
    );
    let start = html.find("/invitations/inv_").expect("the link is shown");
    let secret: String = html[start + "/invitations/".len()..]
        .chars()
        .take(47)
        .collect();
    let res = teammate
        .post_form(&format!("/invitations/{secret}/accept"), &[])
        .await;
    assert_eq!(res.location().as_deref(), Some("/dashboard"));
    let html = c.get("/settings").await.text();
    assert!(html.contains("teammate@example.com"), "{html}");
    assert!(html.contains("No pending invitations."), "{html}");
    c.post_form(
        "/settings/members",
        &[("email", "not an email"), ("role", "editor")],
    )
    .await;
    assert!(
        c.get("/settings")
            .await
            .text()
            .contains("Enter an email address like name@example.com.")
    );

    let tokens = c.get("/api/v1/tokens").await.json();
    let sync = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Sync job")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    c.post_form(&format!("/settings/tokens/{sync}/revoke"), &[])
        .await;
    assert!(
        c.get("/settings")
            .await
            .text()
            .contains("API token revoked")
    );
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn workspace_switcher_and_creation_forms() {
    let app = TestApp::sqlite().await;
    let (mut c, created) = app.signed_up("ana@example.com", "First").await;
    c.post_form("/workspaces", &[("name", "Client: Green Grocer")])
        .await;
    let html = c.get("/dashboard").await.text();
    assert!(
        html.contains("Workspace “Client: Green Grocer” created."),
        "{html}"
    );
    assert_eq!(
        c.get("/api/v1/me").await.json()["workspace"]["name"],
        "Client: Green Grocer"
    );

    let first = created["workspace_id"].as_i64().unwrap().to_string();
    let res = c
        .post_form("/workspaces/switch", &[("workspace_id", &first)])
        .await;
    assert_eq!(res.location().unwrap(), "/dashboard");
    assert_eq!(
        c.get("/api/v1/me").await.json()["workspace"]["name"],
        "First"
    );
    let res = c
        .post_form("/workspaces/switch", &[("workspace_id", "abc")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn logout_form_ends_the_session() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let res = c.post_form("/logout", &[]).await;
    assert_eq!(res.location().unwrap(), "/login");
    assert!(c.get("/login").await.text().contains("You are logged out."));
    assert_eq!(c.get("/dashboard").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    c.origin = Some("https://evil.example".into());
    let res = c.post_form("/bots", &[("name", "Planted")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = c
        .post_json("/api/v1/bots", json!({"name": "Planted"}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("bots").await, 0);
    // Same-origin posts pass.
    c.origin = Some("http://127.0.0.1:3000".into());
    assert_eq!(
        c.post_json("/api/v1/bots", json!({"name": "Mine"}))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn unknown_pages_answer_404_with_a_page() {
    let app = TestApp::sqlite().await;
    let res = app.client().get("/no/such/page").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.text().contains("Page not found"));
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let app = TestApp::sqlite().await;
    let mut c = app.client();
    let res = c.get("/healthz").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["status"], "ok");

    c.get("/api/v1/me").await;
    let res = c.get("/metrics").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/me\""), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let mut app = TestApp::sqlite().await;
    app.state.metrics_token = Some("m3trics-t0ken".into());
    app.router = server::router(app.state.clone());
    let mut c = app.client();
    let res = c.get("/metrics").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(!res.text().contains("http_requests_total"));
    for wrong in ["nope", "m3trics-t0ke", "m3trics-t0ken2"] {
        let res = c
            .request_with(Method::GET, "/metrics", Some(wrong), None, None)
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
    let res = c
        .request_with(Method::GET, "/metrics", Some("m3trics-t0ken"), None, None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text().contains("http_requests_total"));

    let doc = c.get("/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
    for path in [
        "/api/v1/signup",
        "/api/v1/login",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/bots",
        "/api/v1/bots/{id}",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(doc["components"]["schemas"].get("SignupRequest").is_some());

    // Once the database is gone, health says so.
    app.db.store.close().await;
    let res = c.get("/healthz").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn responses_are_compressed_and_bodies_limited() {
    let app = TestApp::sqlite().await;
    let mut c = app.client();
    let req = axum::http::Request::builder()
        .uri("/api/v1/openapi.json")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = c.send(req).await;
    assert_eq!(res.headers.get(header::CONTENT_ENCODING).unwrap(), "gzip");

    // Form posts are limited too.
    let big = "x".repeat(70_000);
    let res = c
        .post_form("/login", &[("email", big.as_str()), ("password", "y")])
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
}

fn get_with(
    path: &str,
    headers: &[(header::HeaderName, &str)],
) -> axum::http::Request<axum::body::Body> {
    let mut req = axum::http::Request::builder().uri(path);
    for (name, value) in headers {
        req = req.header(name, *value);
    }
    req.body(axum::body::Body::empty()).unwrap()
}

fn header_of(res: &common::TestResponse, name: header::HeaderName) -> Option<String> {
    res.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test]
async fn bundle_files_are_cached_for_a_year_only_when_found() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    let js = "console.log('hello from botme');\n".repeat(200);
    std::fs::write(site.path().join("pkg/botme.0123abcd.js"), &js).unwrap();
    let app = TestApp::with_site(common::Db::Sqlite, site.path(), true).await;
    let mut c = app.client();
    let year = "public, max-age=31536000, immutable";

    let res = c
        .send(get_with(
            "/pkg/botme.0123abcd.js",
            &[(header::ACCEPT_ENCODING, "gzip")],
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        header_of(&res, header::CACHE_CONTROL).as_deref(),
        Some(year)
    );
    assert_eq!(
        header_of(&res, header::CONTENT_ENCODING).as_deref(),
        Some("gzip")
    );
    assert_eq!(&res.body[..2], &[0x1f, 0x8b], "a gzip stream");
    assert!(res.body.len() < js.len() / 4, "{} bytes", res.body.len());

    // Without Accept-Encoding the file comes as it is.
    let plain = c.get("/pkg/botme.0123abcd.js").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(header_of(&plain, header::CONTENT_ENCODING), None);
    assert_eq!(plain.text(), js);

    // A revalidation keeps the same caching.
    let modified = header_of(&plain, header::LAST_MODIFIED).unwrap();
    let res = c
        .send(get_with(
            "/pkg/botme.0123abcd.js",
            &[(header::IF_MODIFIED_SINCE, modified.as_str())],
        ))
        .await;
    assert_eq!(res.status, StatusCode::NOT_MODIFIED);
    assert_eq!(
        header_of(&res, header::CACHE_CONTROL).as_deref(),
        Some(year)
    );

    // A file that is not there must not stay "not there" in caches for a
    // year: the next release may bring it.
    let res = c.get("/pkg/botme.ffffffff.js").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let cache = header_of(&res, header::CACHE_CONTROL).unwrap_or_default();
    assert!(
        !cache.contains("immutable") && !cache.contains("max-age=31536000"),
        "{cache}"
    );
    assert_eq!(cache, "no-store");
}

#[tokio::test]
async fn unfingerprinted_bundles_are_revalidated() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/botme.js"), "console.log(1);").unwrap();
    let app = TestApp::with_site(common::Db::Sqlite, site.path(), false).await;
    let res = app.client().get("/pkg/botme.js").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        header_of(&res, header::CACHE_CONTROL).as_deref(),
        Some("public, max-age=0, must-revalidate")
    );
}

#[tokio::test]
async fn the_widget_script_is_compressed_and_cached_briefly() {
    let app = TestApp::sqlite().await;
    let mut c = app.client();
    let plain = c.get("/widget.js").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(header_of(&plain, header::CONTENT_ENCODING), None);
    let res = c
        .send(get_with("/widget.js", &[(header::ACCEPT_ENCODING, "gzip")]))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        header_of(&res, header::CONTENT_ENCODING).as_deref(),
        Some("gzip")
    );
    assert_eq!(&res.body[..2], &[0x1f, 0x8b]);
    assert!(res.body.len() < plain.body.len());
    assert_eq!(
        header_of(&res, header::CACHE_CONTROL).as_deref(),
        Some("public, max-age=300")
    );
}

#[tokio::test]
async fn server_functions_refuse_oversized_bodies_and_write_nothing() {
    use leptos::server_fn::ServerFn;
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let bot = c.new_bot(json!({"name": "FAQ", "template": "faq"})).await;
    let draft = |c: &mut common::Client| {
        let mut c = c.clone();
        async move {
            c.get(&format!("/api/v1/bots/{bot}/draft")).await.json()["revision"]
                .as_i64()
                .unwrap()
        }
    };
    let revision = draft(&mut c).await;
    let save = |padding: usize| {
        let body = json!({
            "id": bot,
            "revision": revision,
            "document": app::flow::templates::faq(),
        })
        .to_string();
        // Whitespace is valid JSON anywhere, so the body grows while the
        // document stays the same.
        format!("{body}{}", " ".repeat(padding))
    };
    let save_path = <app::server_fns::SaveFlow as ServerFn>::PATH;

    // Past the editor's limit (a 2 MiB document and some): refused whole.
    let res = c
        .post_raw(save_path, "application/json", save(2_200_000))
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.text());
    assert_eq!(res.json()["code"], "payload_too_large");
    assert_eq!(draft(&mut c).await, revision, "nothing was saved");

    // Another server function keeps the server's default (64 KiB in tests).
    let pad = "x".repeat(70_000);
    let res = c
        .post_form(
            <app::server_fns::SimulateDraft as ServerFn>::PATH,
            &[("id", bot.to_string().as_str()), ("pad", pad.as_str())],
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.text());
    assert_eq!(res.json()["code"], "payload_too_large");

    // The editor may send more than that default, as the REST API may.
    let res = c
        .post_raw(save_path, "application/json", save(100_000))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(draft(&mut c).await, revision + 1);
}

#[tokio::test]
async fn every_route_refuses_a_body_past_the_ceiling() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    // Even a page, which reads no body, refuses a declared giant one.
    for (method, path) in [
        (axum::http::Method::GET, "/dashboard"),
        (axum::http::Method::POST, "/api/v1/products/import"),
        (axum::http::Method::POST, "/webhooks/messenger"),
    ] {
        let req = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header(
                header::CONTENT_LENGTH,
                (server::BODY_CEILING_BYTES * 4).to_string(),
            )
            .body(axum::body::Body::empty())
            .unwrap();
        let res = c.send(req).await;
        assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(res.error_code(), "payload_too_large", "{path}");
    }
    // A body without a declared length is cut off as it arrives.
    let chunks = (0..80).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 64 * 1024]));
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri("/api/v1/products/import")
        .header(header::CONTENT_TYPE, "text/csv")
        .body(axum::body::Body::from_stream(futures_util::stream::iter(
            chunks,
        )))
        .unwrap();
    let res = c.send(req).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.text());
    assert_eq!(app.count("products").await, 0);
}

#[tokio::test]
async fn sqlite_has_one_writer_and_readers_that_cannot_write() {
    let app = TestApp::sqlite().await;
    let store = &app.db.store;
    let mut writer = store.pool().acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *writer)
        .await
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *writer)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let orphan = sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) \
         VALUES (987654, 987654, 'owner', 0)",
    )
    .execute(&mut *writer)
    .await;
    assert!(orphan.is_err(), "a row pointing at nothing is refused");
    // There is one writing connection: while it is held, no other is made.
    assert!(store.pool().try_acquire().is_none());
    assert_eq!(store.pool().size(), 1);
    drop(writer);

    // Every reading connection, not just the first, reads the same
    // database and refuses to write.
    let mut readers = Vec::new();
    for _ in 0..3 {
        readers.push(store.readers().acquire().await.unwrap());
    }
    for conn in &mut readers {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(n, 0);
        let write = sqlx::query(
            "INSERT INTO users (email, password_hash, created_at) VALUES ('a@b.c', 'x', 0)",
        )
        .execute(&mut **conn)
        .await
        .expect_err("a reader refuses to write");
        assert!(write.to_string().contains("readonly"), "{write}");
    }
    assert_eq!(app.count("users").await, 0);
}

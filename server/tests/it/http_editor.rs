//! The editor's server functions over HTTP, as the browser calls them:
//! loading, saving with revisions (a stale save writes nothing and returns
//! what is stored), publishing a named revision, rolling back, roles, and
//! tenant isolation.

use crate::common::{Client, TestApp};
use app::flow::FlowDoc;
use app::flow::templates::faq;
use serde_json::{Value, json};

async fn load(c: &mut Client, bot: i64) -> Value {
    c.post_form("/_app/editor/load", &[("id", &bot.to_string())])
        .await
        .json()
}

async fn save(c: &mut Client, bot: i64, revision: i64, doc: &FlowDoc) -> Value {
    c.post_json(
        "/_app/editor/save",
        json!({"id": bot, "revision": revision, "document": doc}),
    )
    .await
    .json()
}

fn welcome(doc: &Value) -> String {
    doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "welcome")
        .map(|n| n["settings"]["text"].as_str().unwrap().to_string())
        .unwrap()
}

fn with_welcome(text: &str) -> FlowDoc {
    let mut doc = faq();
    for n in &mut doc.nodes {
        if n.id.as_str() == "welcome"
            && let app::flow::NodeKind::Message(s) = &mut n.kind
        {
            s.text = text.into();
        }
    }
    doc
}

async fn stored(c: &mut Client, bot: i64) -> (i64, String) {
    let d = c.get(&format!("/api/v1/bots/{bot}/draft")).await.json();
    (d["revision"].as_i64().unwrap(), welcome(&d["document"]))
}

#[tokio::test]
async fn saves_name_their_revision_and_stale_ones_write_nothing() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    c.post_json(
        "/api/v1/products",
        json!({"sku": "TEE", "name": "Tee", "price": "15"}),
    )
    .await;
    let bot = c.new_bot(json!({"name": "FAQ", "template": "faq"})).await;

    let data = load(&mut c, bot).await;
    assert_eq!(data["can_edit"], true);
    assert_eq!(data["bot"]["name"], "FAQ");
    let rev = data["revision"].as_i64().unwrap();
    assert!(data["catalog"].to_string().contains("TEE"), "{data}");

    // Two tabs loaded `rev`. The first saves.
    let first = save(&mut c, bot, rev, &with_welcome("From tab one")).await;
    let saved = first["Saved"]["revision"].as_i64().unwrap();
    assert!(saved > rev);
    assert_eq!(stored(&mut c, bot).await, (saved, "From tab one".into()));

    // The second, still at `rev`, is refused and told what is stored.
    let second = save(&mut c, bot, rev, &with_welcome("From tab two")).await;
    assert_eq!(second["Stale"]["revision"], saved, "{second}");
    assert_eq!(welcome(&second["Stale"]["document"]), "From tab one");
    assert_eq!(stored(&mut c, bot).await, (saved, "From tab one".into()));

    // Choosing to keep theirs... or to overwrite on purpose, naming `saved`.
    let again = save(&mut c, bot, saved, &with_welcome("From tab two")).await;
    let latest = again["Saved"]["revision"].as_i64().unwrap();
    assert_eq!(stored(&mut c, bot).await, (latest, "From tab two".into()));

    // Publishing names the revision the merchant looked at.
    let res = c
        .post_form(
            "/_app/editor/publish",
            &[("id", &bot.to_string()), ("revision", &saved.to_string())],
        )
        .await;
    assert_eq!(res.json()["code"], "stale_revision", "{}", res.text());
    assert_eq!(count_versions(&mut c, bot).await, 0);
    let v1 = c
        .post_form(
            "/_app/editor/publish",
            &[("id", &bot.to_string()), ("revision", &latest.to_string())],
        )
        .await
        .json();
    assert_eq!(v1["number"], 1, "{v1}");
    c.post_form(
        "/_app/editor/publish",
        &[("id", &bot.to_string()), ("revision", &latest.to_string())],
    )
    .await;
    let rolled = c
        .post_form(
            "/_app/editor/restore",
            &[("id", &bot.to_string()), ("number", "1")],
        )
        .await
        .json();
    assert_eq!(rolled["number"], 3, "{rolled}");
    assert_eq!(rolled["note"], "Restored from version 1");
    let page = c
        .post_form(
            "/_app/versions/page",
            &[("id", &bot.to_string()), ("number", "1")],
        )
        .await;
    assert_eq!(page.status, axum::http::StatusCode::OK, "{}", page.text());

    // A document the editor could not have produced is refused whole.
    let res = c
        .post_json(
            "/_app/editor/save",
            json!({"id": bot, "revision": latest, "document": {"schema": 99}}),
        )
        .await;
    assert_eq!(res.json()["code"], "invalid_document", "{}", res.text());
    assert_eq!(stored(&mut c, bot).await, (latest, "From tab two".into()));
}

async fn count_versions(c: &mut Client, bot: i64) -> usize {
    c.get(&format!("/api/v1/bots/{bot}/versions")).await.json()["versions"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn viewers_read_and_other_tenants_see_nothing() {
    let app = TestApp::sqlite().await;
    let (mut ana, created) = app.signed_up("ana@example.com", "Ana").await;
    let ana_ws = created["workspace_id"].as_i64().unwrap();
    let bot = ana.new_bot(json!({"name": "FAQ", "template": "faq"})).await;
    let (rev, _) = stored(&mut ana, bot).await;

    // Bob, from another workspace: every editor call answers "not found".
    let (mut bob, _) = app.signed_up("bob@example.com", "Bob").await;
    assert_eq!(load(&mut bob, bot).await["code"], "not_found");
    let res = save(&mut bob, bot, rev, &with_welcome("Bob was here")).await;
    assert_eq!(res["code"], "not_found", "{res}");
    for (path, fields) in [
        (
            "/_app/editor/publish",
            [("id", bot.to_string()), ("revision", rev.to_string())],
        ),
        (
            "/_app/editor/restore",
            [("id", bot.to_string()), ("number", "1".to_string())],
        ),
        (
            "/_app/versions/page",
            [("id", bot.to_string()), ("number", "1".to_string())],
        ),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = bob.post_form(path, &fields).await;
        assert_eq!(res.json()["code"], "not_found", "{path}: {}", res.text());
    }
    assert_eq!(stored(&mut ana, bot).await.0, rev, "nothing changed");
    assert_eq!(count_versions(&mut ana, bot).await, 0);

    // Made a viewer of Ana's workspace, Bob reads but cannot save.
    crate::http_invitations::join(&mut ana, &mut bob, "bob@example.com", "viewer").await;
    bob.post_json(&format!("/api/v1/workspaces/{ana_ws}/switch"), json!({}))
        .await;
    let data = load(&mut bob, bot).await;
    assert_eq!(data["can_edit"], false, "{data}");
    let res = save(&mut bob, bot, rev, &with_welcome("Bob was here")).await;
    assert_eq!(res["code"], "forbidden", "{res}");
    assert_eq!(stored(&mut ana, bot).await.0, rev);

    // Signed out: nothing.
    let mut anon = app.client();
    assert_eq!(load(&mut anon, bot).await["code"], "unauthenticated");
}

#[tokio::test]
async fn malformed_calls_get_a_clear_error() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let res = c.post_form("/_app/editor/load", &[("id", "abc")]).await;
    assert_eq!(res.json()["code"], "bad_request", "{}", res.text());
    let res = c
        .post_json("/_app/editor/save", json!({"id": 1, "revision": 1}))
        .await;
    assert_eq!(res.json()["code"], "bad_request", "{}", res.text());
}

/// Publishing names a revision, and the check is part of the publish: a
/// save that lands at the same moment either comes before (and the publish
/// is refused as stale) or after (and the version is the document the
/// merchant looked at), never in between.
#[tokio::test]
async fn publishing_a_revision_is_atomic_with_its_check() {
    use server::store::{BotId, WorkspaceId};
    let app = TestApp::sqlite().await;
    let (mut c, created) = app.signed_up("ana@example.com", "Ana").await;
    let ws = WorkspaceId(created["workspace_id"].as_i64().unwrap());
    let bot = c.new_bot(json!({"name": "FAQ", "template": "faq"})).await;
    let store = &app.state.store;

    // The store refuses a revision the draft has moved past, writing nothing.
    let (rev, _) = stored(&mut c, bot).await;
    let doc = with_welcome("Looked at").to_json();
    assert!(
        store
            .workspace(ws)
            .publish_revision(BotId(bot), rev + 1, &doc, "Ana")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .workspace(WorkspaceId(ws.0 + 1))
            .publish_revision(BotId(bot), rev, &doc, "Ana")
            .await
            .unwrap()
            .is_none(),
        "another workspace's bot"
    );
    assert_eq!(count_versions(&mut c, bot).await, 0);

    // Saves racing publishes of the revision before them.
    let mut published = 0;
    for i in 0..12 {
        let (rev, _) = stored(&mut c, bot).await;
        let looked_at = format!("Looked at {i}");
        let saved = save(&mut c, bot, rev, &with_welcome(&looked_at)).await;
        let rev = saved["Saved"]["revision"].as_i64().unwrap();
        let later = with_welcome(&format!("Saved later {i}")).to_json();
        let (id, revision) = (bot.to_string(), rev.to_string());
        let fields = [("id", id.as_str()), ("revision", revision.as_str())];
        let publish = c.post_form("/_app/editor/publish", &fields);
        let racing_save = store.workspace(ws).save_draft(BotId(bot), rev, &later);
        let (res, racing) = tokio::join!(publish, racing_save);
        assert!(
            matches!(racing.unwrap(), server::store::DraftSave::Saved(_)),
            "the racing save names the current revision"
        );
        let out = res.json();
        if out["code"] == "stale_revision" {
            continue;
        }
        let n = out["number"].as_i64().unwrap_or_else(|| panic!("{out}"));
        published += 1;
        let v = c
            .get(&format!("/api/v1/bots/{bot}/versions/{n}"))
            .await
            .json();
        assert_eq!(welcome(&v["document"]), looked_at, "{v}");
    }
    assert_eq!(count_versions(&mut c, bot).await, published);
}

/// The simulate API answers a "Call your system" step itself, so the
/// conversation goes on, and shows what would have been called.
#[tokio::test]
async fn simulating_a_call_to_the_merchants_system_goes_on() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let bot = c.new_bot(json!({"name": "Lookup"})).await;
    let draft = c.get(&format!("/api/v1/bots/{bot}/draft")).await.json();
    let doc = json!({
        "schema": 1, "start": "call",
        "nodes": [
            {"id": "call", "type": "http_request", "settings": {"method": "POST", "url": "https://shop.example/hook", "body": "{\"hi\":1}", "save_as": "reply"}},
            {"id": "ok", "type": "end", "settings": {"text": "It said {{reply}}"}},
            {"id": "bad", "type": "end", "settings": {"text": "No answer"}}
        ],
        "edges": [
            {"from": "call", "port": "ok", "to": "ok"},
            {"from": "call", "port": "error", "to": "bad"}
        ]
    });
    let res = c.put_draft(bot, &draft["revision"], doc).await;
    assert!(res.status.is_success(), "{}", res.text());
    let out = c
        .post_json(
            &format!("/api/v1/bots/{bot}/simulate"),
            json!({"inputs": ["hi"]}),
        )
        .await
        .json();
    let lines = out["transcript"].as_array().unwrap();
    let call = lines
        .iter()
        .find(|l| l["direction"] == "call")
        .unwrap_or_else(|| panic!("{out:#}"));
    assert_eq!(call["method"], "POST");
    assert_eq!(call["url"], "https://shop.example/hook");
    assert_eq!(call["status"], 200);
    let last = lines.last().unwrap();
    assert_eq!(last["message"]["text"], "It said {}", "{out:#}");
    assert_eq!(out["session"]["status"], "ended");
    assert_eq!(app.count("http_calls").await, 0, "nothing was called");
}

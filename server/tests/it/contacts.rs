//! Contacts: one per shopper per channel, made by the turns; the list, its
//! search, tag filter and paging; changes and their rules; roles and
//! tenancy; the streamed CSV exports; and a flow that reads and writes the
//! contact (a WhatsApp shopper named Ana, tagged vip by the flow). Runs on
//! both databases.

use std::collections::BTreeSet;

use app::commerce::csv::parse_csv;
use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use crate::common::meta::{self, FakeGraph, PHONE, WAIT};
use crate::common::{Client, Db, TestApp, count, on_both_dbs};

on_both_dbs!(
    multi_thread:
    a_flow_greets_tags_and_tests_the_contact,
    one_contact_per_shopper_per_channel_across_bots,
    the_list_searches_filters_by_tag_and_pages_without_gaps,
    changes_are_validated_and_roles_apply,
    another_workspaces_contact_is_not_found,
    exports_stream_every_order_and_contact_as_safe_csv,
);

/// One turn of `user` on `channel` with `bot`.
async fn turn(
    app: &TestApp,
    (ws, bot): (i64, i64),
    channel: app::channel::Channel,
    user: &str,
    name: &str,
    event: &str,
) {
    use app::flow::interpreter::Input;
    app.state
        .engine
        .apply(server::engine::Turn {
            workspace: server::store::WorkspaceId(ws),
            bot: server::store::BotId(bot),
            channel,
            user,
            display_name: name,
            event_id: event,
            input: Input::Text { text: "hi".into() },
        })
        .await
        .expect("turn");
}

/// A second bot, published from the shop template.
async fn second_bot(c: &mut Client) -> i64 {
    let bot = c
        .new_bot(json!({"name": "Other", "template": "shop"}))
        .await;
    let res = c
        .post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    bot
}

async fn contact_ids(app: &TestApp) -> Vec<Option<i64>> {
    sqlx::query_scalar("SELECT contact_id FROM conversations ORDER BY id")
        .fetch_all(app.db.store.pool())
        .await
        .unwrap()
}

async fn one_contact_per_shopper_per_channel_across_bots(db: Db) {
    use app::channel::Channel;
    let app = TestApp::new(db).await;
    let (mut c, ws, bot) = app.shop("owner@example.com").await;
    let other = second_bot(&mut c).await;
    turn(&app, (ws, bot), Channel::Web, "visitor-1", "Ana", "e1").await;
    turn(&app, (ws, other), Channel::Web, "visitor-1", "", "e2").await;
    turn(
        &app,
        (ws, bot),
        Channel::Messenger,
        "visitor-1",
        "Ana M",
        "e3",
    )
    .await;
    turn(&app, (ws, bot), Channel::Web, "visitor-1", "Ana", "e4").await;
    assert_eq!(count(&app.db.store, "conversations").await, 3);
    assert_eq!(
        count(&app.db.store, "contacts").await,
        2,
        "one per shopper per channel, whichever bot"
    );
    let ids = contact_ids(&app).await;
    assert!(ids.iter().all(Option::is_some), "{ids:?}");
    assert_eq!(ids[0], ids[1], "both bots share the web contact");
    assert_ne!(ids[0], ids[2], "Messenger is another contact");

    let list = c.get("/api/v1/contacts").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let contacts = list.json()["contacts"].as_array().unwrap().clone();
    assert_eq!(contacts.len(), 2);
    let web = contacts.iter().find(|k| k["channel"] == "web").unwrap();
    assert_eq!(web["name"], "Ana", "an empty name does not erase one");
    assert!(web["first_seen"].as_i64().unwrap() <= web["last_seen"].as_i64().unwrap());

    let detail = c
        .get(&format!("/api/v1/contacts/{}", web["id"]))
        .await
        .json();
    assert_eq!(detail["conversations"].as_array().unwrap().len(), 2);

    // A conversation from before contacts gets one the next time it is
    // loaded; the shopper's other conversations keep theirs.
    sqlx::query("UPDATE conversations SET contact_id = NULL")
        .execute(app.db.store.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM contacts")
        .execute(app.db.store.pool())
        .await
        .unwrap();
    turn(&app, (ws, bot), Channel::Web, "visitor-1", "Ana", "e5").await;
    let ids = contact_ids(&app).await;
    assert!(
        ids[0].is_some() && ids[1].is_none() && ids[2].is_none(),
        "{ids:?}"
    );
    turn(&app, (ws, other), Channel::Web, "visitor-1", "", "e6").await;
    let ids = contact_ids(&app).await;
    assert_eq!(ids[0], ids[1]);
    assert_eq!(count(&app.db.store, "contacts").await, 1);
}

/// Inserts `n` contacts in one statement; every third is tagged vip.
async fn insert_contacts(app: &TestApp, ws: i64, n: usize, last_seen: impl Fn(usize) -> i64) {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let tags = if i % 3 == 0 { r#"["VIP","new"]"# } else { r#"["new"]"# };
            format!(
                "({ws}, 'web', 'bulk-{i}', 'Shopper {i}', '', '{tags}', '{{\"email\":\"shopper{i}@example.com\"}}', {}, {})",
                last_seen(i) - 1000,
                last_seen(i)
            )
        })
        .collect();
    sqlx::query(&format!(
        "INSERT INTO contacts (workspace_id, channel, external_user, name, phone, tags, attributes, first_seen, last_seen) VALUES {}",
        rows.join(", ")
    ))
    .execute(app.db.store.pool())
    .await
    .unwrap();
}

/// Every contact of a listing, following `next_cursor` to the end.
async fn all_pages(c: &mut Client, query: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cur) => format!("/api/v1/contacts?{query}&cursor={cur}"),
            None => format!("/api/v1/contacts?{query}"),
        };
        let res = c.get(&path).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let body = res.json();
        out.extend(body["contacts"].as_array().unwrap().iter().cloned());
        pages += 1;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (out, pages),
        }
    }
}

async fn the_list_searches_filters_by_tag_and_pages_without_gaps(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, created) = app.signed_up("owner@example.com", "Shop").await;
    let ws = created["workspace_id"].as_i64().unwrap();
    // Pairs share a last-seen time: the id breaks the tie.
    insert_contacts(&app, ws, 130, |i| 1_700_000_000_000 + (i / 2) as i64).await;

    let (all, pages) = all_pages(&mut c, "").await;
    assert_eq!(pages, 3, "50 a page");
    assert_eq!(all.len(), 130);
    let ids: BTreeSet<i64> = all.iter().map(|k| k["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 130, "no repeats");
    let seen: Vec<i64> = all
        .iter()
        .map(|k| k["last_seen"].as_i64().unwrap())
        .collect();
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "most recent first");
    assert_eq!(all[0]["name"], "Shopper 129");

    // By attribute value (an email), name, and tag (any case).
    let (found, _) = all_pages(&mut c, "q=shopper17%40example").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["attributes"]["email"], "shopper17@example.com");
    let (found, _) = all_pages(&mut c, "q=SHOPPER%2012").await;
    let names: BTreeSet<&str> = found.iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "Shopper 12",
            "Shopper 120",
            "Shopper 121",
            "Shopper 122",
            "Shopper 123",
            "Shopper 124",
            "Shopper 125",
            "Shopper 126",
            "Shopper 127",
            "Shopper 128",
            "Shopper 129"
        ])
    );
    let (vip, _) = all_pages(&mut c, "tag=vip").await;
    assert_eq!(vip.len(), 44);
    assert!(vip.iter().all(|k| k["tags"][0] == "VIP"));
    let (none, _) = all_pages(&mut c, "q=100%25").await;
    assert!(none.is_empty(), "% is a character, not a wildcard");

    c.get("/api/v1/contacts?cursor=garbage")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
}

/// A token of the workspace with `role`.
async fn token_client(owner: &mut Client, role: &str) -> Client {
    let token = owner
        .post_json("/api/v1/tokens", json!({"name": role, "role": role}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    owner.with_token(&token)
}

async fn first_contact(app: &TestApp, ws: i64) -> i64 {
    insert_contacts(app, ws, 1, |_| 1_700_000_000_000).await;
    sqlx::query_scalar("SELECT MIN(id) FROM contacts WHERE workspace_id = $1")
        .bind(ws)
        .fetch_one(app.db.store.pool())
        .await
        .unwrap()
}

async fn changes_are_validated_and_roles_apply(db: Db) {
    let app = TestApp::new(db).await;
    let (mut owner, created) = app.signed_up("owner@example.com", "Shop").await;
    let id = first_contact(&app, created["workspace_id"].as_i64().unwrap()).await;
    let path = format!("/api/v1/contacts/{id}");

    let res = owner
        .patch_json(
            &path,
            json!({"tags": [" vip ", "VIP", "", "wholesale"], "attributes": {"email": null, "size": "42"}, "opted_out": true}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let k = &res.json()["contact"];
    assert_eq!(k["tags"], json!(["vip", "wholesale"]));
    assert_eq!(k["attributes"], json!({"size": "42"}));
    assert_eq!(k["opted_out"], true);

    // Only what is sent changes.
    let k = owner
        .patch_json(&path, json!({"attributes": {"city": "Lisbon"}}))
        .await
        .json();
    assert_eq!(k["contact"]["tags"], json!(["vip", "wholesale"]));
    assert_eq!(
        k["contact"]["attributes"],
        json!({"city": "Lisbon", "size": "42"})
    );

    for (body, says) in [
        (json!({"tags": ["x".repeat(65)]}), "64"),
        (
            json!({"tags": (0..51).map(|i| i.to_string()).collect::<Vec<_>>()}),
            "50",
        ),
        (json!({"attributes": {"Bad Key": "x"}}), "Bad Key"),
        (json!({"attributes": {"n": 3}}), "“n” must be a string"),
        (json!({"attributes": {"long": "x".repeat(1001)}}), "1000"),
        (
            json!({"attributes": (0..101).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}),
            "100",
        ),
    ] {
        let res = owner.patch_json(&path, body).await;
        res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        assert!(
            res.error_message().contains(says),
            "{}",
            res.error_message()
        );
    }
    let k = owner.get(&path).await.json();
    assert_eq!(
        k["contact"]["attributes"],
        json!({"city": "Lisbon", "size": "42"}),
        "refused changes change nothing"
    );

    let mut viewer = token_client(&mut owner, "viewer").await;
    assert_eq!(
        viewer.get(&path).await.status,
        StatusCode::OK,
        "viewers read"
    );
    assert_eq!(
        viewer.get("/api/v1/contacts.csv").await.status,
        StatusCode::OK
    );
    viewer
        .patch_json(&path, json!({"tags": ["x"]}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let mut agent = token_client(&mut owner, "agent").await;
    let res = agent
        .patch_json(&path, json!({"tags": ["agent-made"]}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["contact"]["tags"], json!(["agent-made"]));

    // The page's form: tags on one line, attributes a line each.
    let res = owner
        .post_form(
            &format!("/contacts/{id}"),
            &[
                ("tags", "a, b ,a"),
                ("attributes", "email = ana@example.com\n"),
                ("opted_out", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    let k = owner.get(&path).await.json();
    assert_eq!(k["contact"]["tags"], json!(["a", "b"]));
    assert_eq!(
        k["contact"]["attributes"],
        json!({"email": "ana@example.com"}),
        "the form replaces them all"
    );
    assert_eq!(k["contact"]["opted_out"], false);
    let res = viewer
        .post_form(
            &format!("/contacts/{id}"),
            &[("tags", "x"), ("attributes", "")],
        )
        .await;
    assert_ne!(res.status, StatusCode::OK);
    assert_eq!(
        owner.get(&path).await.json()["contact"]["tags"],
        json!(["a", "b"])
    );
}

async fn another_workspaces_contact_is_not_found(db: Db) {
    let app = TestApp::new(db).await;
    let (_, created) = app.signed_up("owner@example.com", "Shop").await;
    let id = first_contact(&app, created["workspace_id"].as_i64().unwrap()).await;
    let (mut other, _) = app.signed_up("other@example.com", "Other").await;
    let path = format!("/api/v1/contacts/{id}");
    other
        .get(&path)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    other
        .patch_json(&path, json!({"tags": ["stolen"]}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(
        other.get("/api/v1/contacts").await.json()["contacts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let csv = other.get("/api/v1/contacts.csv").await;
    assert_eq!(parse_csv(&csv.text()).unwrap().len(), 1, "only the header");
    let page = other.get(&format!("/contacts/{id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text().contains("No such contact"));
    let res = other
        .post_form(
            &format!("/contacts/{id}"),
            &[("tags", "stolen"), ("attributes", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let tags: String = sqlx::query_scalar("SELECT tags FROM contacts WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
    assert!(!tags.contains("stolen"));
}

const TRICKY: &str = "Lima, \"Ana\"\nsecond line";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\")";

async fn exports_stream_every_order_and_contact_as_safe_csv(db: Db) {
    use app::channel::Channel;
    let app = TestApp::new(db).await;
    let (mut c, ws, bot) = app.shop("owner@example.com").await;
    turn(&app, (ws, bot), Channel::Web, "tricky", TRICKY, "e1").await;
    turn(&app, (ws, bot), Channel::Web, "formula", FORMULA, "e2").await;
    let convs: Vec<i64> = sqlx::query_scalar("SELECT id FROM conversations ORDER BY id")
        .fetch_all(app.db.store.pool())
        .await
        .unwrap();
    let usd = app::commerce::Currency::parse("USD").unwrap();
    let lines = serde_json::to_string(&vec![app::commerce::CartLine {
        sku: "SOCK-3".into(),
        name: "Socks, \"wool\"".into(),
        qty: 2,
        unit_price: app::commerce::Money::new(450, usd),
    }])
    .unwrap()
    .replace('\'', "''");
    const N: usize = 10_000;
    for chunk in (0..N).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|&i| {
                let conv = match i % 3 {
                    0 => convs[0].to_string(),
                    1 => convs[1].to_string(),
                    _ => "NULL".into(),
                };
                let status = if i % 10 == 0 { "cancelled" } else { "placed" };
                format!(
                    "({ws}, {}, 'k{i}', {bot}, {conv}, '{status}', 'cash_on_delivery', 900, 'USD', '{lines}', \
                     '{{\"name\":\"Detail {i}\"}}', 'tok{i}', {}, {})",
                    1001 + i,
                    1_700_000_000_000 + i as i64,
                    1_700_000_000_000 + i as i64
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO orders (workspace_id, number, idem_key, bot_id, conversation_id, status, payment, \
             total_minor, currency, lines, details, page_token, created_at, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .execute(app.db.store.pool())
        .await
        .unwrap();
    }

    let res = c.get("/api/v1/orders.csv").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"orders.csv\""
    );
    assert!(
        res.headers.get(header::CONTENT_LENGTH).is_none(),
        "streamed, not buffered"
    );
    let text = res.text();
    let records = parse_csv(&text).unwrap();
    assert_eq!(records.len(), N + 1, "a header and every order, no cap");
    assert_eq!(
        records[0].1,
        [
            "number",
            "date",
            "status",
            "shopper",
            "phone",
            "channel",
            "lines",
            "total",
            "currency",
            "payment",
            "payment_status"
        ]
    );
    let numbers: BTreeSet<&str> = records[1..].iter().map(|(_, r)| r[0].as_str()).collect();
    assert_eq!(numbers.len(), N, "no repeats across pages");
    let first = &records[1].1;
    assert_eq!(first[0], "1001");
    assert_eq!(first[1], "2023-11-14T22:13:20Z");
    assert_eq!(first[2], "cancelled");
    assert_eq!(first[3], TRICKY, "commas, quotes and line breaks survive");
    assert_eq!(first[5], "web");
    assert_eq!(first[6], "2 × Socks, \"wool\" (SOCK-3)");
    assert_eq!(first[7], "9.00");
    assert_eq!(first[8], "USD");
    assert_eq!(first[10], "cancelled");
    let second = &records[2].1;
    assert_eq!(
        second[3],
        format!("'{FORMULA}"),
        "a formula is shown, not run"
    );
    assert_eq!(second[10], "unpaid");
    assert_eq!(
        records[3].1[3], "Detail 2",
        "an order without a conversation names its shopper from its details"
    );
    assert!(!text.contains("\n=HYPERLINK") && !text.contains(",=HYPERLINK"));

    // Contacts: the two shoppers and 1,200 more, over several pages.
    insert_contacts(&app, ws, 1200, |i| 1_700_000_000_000 + i as i64).await;
    let res = c.get("/api/v1/contacts.csv").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"contacts.csv\""
    );
    let records = parse_csv(&res.text()).unwrap();
    assert_eq!(records.len(), 1203);
    assert_eq!(records[0].1[0], "id");
    let tricky = records
        .iter()
        .find(|(_, r)| r[1] == TRICKY)
        .expect("the tricky shopper");
    // Orders 0, 3, 6, … are its own: 3,334 of them, a tenth cancelled.
    assert_eq!(tricky.1[7], "3000", "cancelled orders do not count");
    assert_eq!(tricky.1[8], "USD 27000.00");
    assert!(records.iter().any(|(_, r)| r[1] == format!("'{FORMULA}")));
    let bulk = records.iter().find(|(_, r)| r[1] == "Shopper 3").unwrap();
    assert_eq!(bulk.1[9], "VIP; new");
    assert_eq!(bulk.1[10], "email=shopper3@example.com");
}

/// hi → (tagged vip? "Welcome back, VIP {{contact.name}}") else
/// "Hi {{contact.name}}" → tag vip → end.
fn tagging_flow() -> Value {
    json!({"schema": 1, "start": "check", "nodes": [
        {"id": "check", "type": "condition", "settings": {"branches": [
            {"id": "vip", "label": "VIP", "subject": {"kind": "variable", "name": ""}, "op": "has_tag", "value": "vip"}]}},
        {"id": "hi", "type": "message", "settings": {"text": "Hi {{contact.name}} ({{contact.phone}})"}},
        {"id": "tag", "type": "set_variable", "settings": {"name": "contact.tag", "value": "vip"}},
        {"id": "mail", "type": "set_variable", "settings": {"name": "contact.first_channel", "value": "{{contact.channel}}"}},
        {"id": "bye", "type": "end", "settings": {"text": "Tags: {{contact.tags}}"}},
        {"id": "back", "type": "end", "settings": {"text": "Welcome back, VIP {{contact.name}}"}}
    ], "edges": [
        {"from": "check", "port": "vip", "to": "back"},
        {"from": "check", "port": "else", "to": "hi"},
        {"from": "hi", "port": "next", "to": "tag"},
        {"from": "tag", "port": "next", "to": "mail"},
        {"from": "mail", "port": "next", "to": "bye"}
    ]})
}

async fn a_flow_greets_tags_and_tests_the_contact(db: Db) {
    let fake = FakeGraph::start().await;
    let app = TestApp::with_meta(db, &fake).await;
    let (mut c, _) = app.signed_up("owner@example.com", "Shop").await;
    let bot = c.new_bot(json!({"name": "Tags"})).await;
    let res = c.put_draft(bot, 1, tagging_flow()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let res = c
        .post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let res = c
        .post_json(
            "/api/v1/channels",
            json!({"kind": "whatsapp", "bot_id": bot, "phone_number_id": PHONE, "access_token": "EAAG-wa-token-456"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());

    // The webhook's contacts[].profile.name is "Ana".
    assert_eq!(
        app.wa_says("16505551234", "wamid.1", "hello").await.status,
        StatusCode::OK
    );
    let sent = fake.wait_delivered(2, WAIT).await;
    let said = meta::said(&sent);
    assert!(said.contains("Hi Ana (+16505551234)"), "{said}");
    assert!(said.contains("Tags: vip"), "{said}");

    let list = c.get("/api/v1/contacts?tag=vip").await.json();
    let contacts = list["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{list}");
    assert_eq!(contacts[0]["name"], "Ana");
    assert_eq!(contacts[0]["phone"], "+16505551234");
    assert_eq!(contacts[0]["channel"], "whatsapp");
    assert_eq!(
        contacts[0]["attributes"],
        json!({"first_channel": "whatsapp"})
    );

    // The next message takes the condition's yes branch.
    app.wa_says("16505551234", "wamid.2", "hello again").await;
    let sent = fake.wait_delivered(3, WAIT).await;
    assert!(
        meta::said(&sent).ends_with("Welcome back, VIP Ana"),
        "{}",
        meta::said(&sent)
    );
    assert_eq!(count(&app.db.store, "contacts").await, 1);
}

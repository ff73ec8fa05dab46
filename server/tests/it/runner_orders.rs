//! The server-side runner and orders, on both databases: a shopper buys
//! through the published shop flow; replays and concurrent duplicates place
//! one order; order status changes follow the state machine and reach the
//! conversation; the hosted order page shows the order; conversations stay
//! pinned to their version; HTTP steps call out and come back.

use crate::common::{Client, Db, TestApp, count, on_both_dbs, serve_local};
use app::commerce::OrderStatus;
use app::flow::interpreter::Input;
use axum::http::StatusCode;
use serde_json::{Value, json};
use server::engine::{Applied, Turn};
use server::store::{BotId, Direction, Workspace, WorkspaceId};

struct Shop {
    app: TestApp,
    c: Client,
    ws: WorkspaceId,
    bot: BotId,
}

async fn shop(db: Db) -> Shop {
    let app = TestApp::new(db).await;
    let (c, ws, bot) = app
        .shop_named("ana@example.com", "Ana's Shoes", "Runner <Pro>")
        .await;
    Shop {
        ws: WorkspaceId(ws),
        bot: BotId(bot),
        app,
        c,
    }
}

impl Shop {
    /// The flow version the conversation of this turn runs on.
    async fn version_of(&self, turn: &Applied) -> i64 {
        let id = turn.conversation.unwrap();
        let conv = self.tenant().conversation(id).await.unwrap().unwrap();
        conv.version
    }

    /// The shop's workspace in the store.
    fn tenant(&self) -> Workspace<'_> {
        self.app.db.store.workspace(self.ws)
    }

    async fn turn(&self, user: &str, event: &str, input: Input) -> Applied {
        self.app
            .state
            .engine
            .apply(Turn {
                workspace: self.ws,
                bot: self.bot,
                channel: app::channel::Channel::Web,
                user,
                display_name: "Shopper",
                event_id: event,
                input,
            })
            .await
            .unwrap()
    }

    async fn text(&self, user: &str, event: &str, text: &str) -> Applied {
        self.turn(user, event, Input::Text { text: text.into() })
            .await
    }

    /// Walks a shopper from "hi" to the order confirmation, one event each.
    async fn buy(&self, user: &str) -> Applied {
        self.text(user, &format!("{user}-1"), "hi").await;
        self.text(user, &format!("{user}-2"), "Browse products")
            .await;
        self.turn(
            user,
            &format!("{user}-3"),
            Input::Payload {
                payload: "b1|a|catalog|RUN-1".into(),
            },
        )
        .await;
        self.text(user, &format!("{user}-4"), "Checkout").await;
        self.text(user, &format!("{user}-5"), "Ana Lima").await;
        self.text(
            user,
            &format!("{user}-6"),
            "Rua Augusta 100, 1100-053 Lisboa",
        )
        .await;
        self.text(user, &format!("{user}-7"), "+351 912 345 678")
            .await;
        self.text(user, &format!("{user}-8"), "yes").await;
        self.text(user, &format!("{user}-9"), "cash").await
    }
}

fn said(o: &Applied) -> Vec<String> {
    o.sent.iter().map(|(_, m)| m.summary()).collect()
}

/// Whether one of the messages sent starts with `prefix`.
fn said_starts(o: &Applied, prefix: &str) -> bool {
    said(o).iter().any(|t| t.starts_with(prefix))
}

/// Whether one of the messages sent contains `part`.
fn said_contains(o: &Applied, part: &str) -> bool {
    said(o).iter().any(|t| t.contains(part))
}

on_both_dbs!(
    multi_thread:
    a_shopper_buys_through_the_published_flow,
    a_replayed_event_places_one_order,
    concurrent_duplicates_place_one_order,
    order_status_follows_the_state_machine,
    conversations_stay_on_their_version,
    http_steps_call_out_and_come_back,
    http_steps_cut_long_answers_and_do_not_follow_redirects,
    cancelling_gives_back_only_the_stock_taken,
    a_slow_merchant_api_holds_a_bounded_number_of_http_steps,
);

async fn a_shopper_buys_through_the_published_flow(db: Db) {
    let s = shop(db).await;
    let done = s.buy("psid-1").await;
    assert_eq!(done.orders.len(), 1, "{:?}", said(&done));
    let order = &done.orders[0];
    assert_eq!(order.number, 1001);
    assert_eq!(order.total_minor, 8990);
    assert_eq!(order.status, OrderStatus::Placed);
    let text = said(&done).join("\n");
    assert!(text.contains("Your order 1001 is placed"), "{text}");
    assert!(!text.contains("{{"), "placeholders are filled: {text}");

    // Stock was taken; the transcript holds both directions.
    let runner = s.tenant().products(&Default::default()).await.unwrap();
    assert_eq!(
        runner.iter().find(|p| p.sku == "RUN-1").unwrap().stock,
        Some(4)
    );
    assert_eq!(count(&s.app.db.store, "conversations").await, 1);
    let conv = done.conversation.unwrap();
    let transcript = s.tenant().transcript(conv, 0, 1000).await.unwrap();
    assert_eq!(
        transcript
            .iter()
            .filter(|m| m.direction == Direction::In)
            .count(),
        9
    );
    assert!(
        transcript
            .iter()
            .any(|m| m.direction == Direction::Out && m.preview.contains("Runner <Pro>"))
    );

    // The orders API shows it with its details and history.
    let mut c = s.c.clone();
    let list = c.get("/api/v1/orders").await.json();
    assert_eq!(list["orders"][0]["number"], 1001);
    assert_eq!(list["orders"][0]["customer"], "Ana Lima");
    assert_eq!(list["orders"][0]["next"], json!(["paid", "cancelled"]));
    let id = list["orders"][0]["id"].as_i64().unwrap();
    let detail = c.get(&format!("/api/v1/orders/{id}")).await.json();
    assert_eq!(detail["lines"][0]["name"], "Runner <Pro>");
    assert_eq!(detail["lines"][0]["amount"], "$89.90");
    assert_eq!(
        detail["details"]["address"],
        "Rua Augusta 100, 1100-053 Lisboa"
    );
    assert_eq!(detail["history"][0]["to"], "placed");
    assert_eq!(detail["history"][0]["actor"], "bot");

    // The hosted order page, by its secret link only.
    let url = detail["page_url"].as_str().unwrap();
    let path = &url[url.find("/o/").unwrap()..];
    let page = s.app.client().get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Order 1001"), "{html}");
    assert!(html.contains("Runner &lt;Pro&gt;"), "escaped: {html}");
    assert!(
        html.contains("Please have <strong>$89.90</strong> ready"),
        "{html}"
    );
    assert_eq!(page.headers["cache-control"], "private, no-store");
    assert_eq!(
        s.app
            .client()
            .get("/o/not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Back to track it: the step that lists orders reads them (most turns
    // run without).
    s.text("psid-1", "psid-1-10", "hi").await;
    let status = s.text("psid-1", "psid-1-11", "Track an order").await;
    assert!(said_contains(&status, "1001"), "{:?}", said(&status));
    let other = s.text("psid-2", "psid-2-1", "hi").await;
    assert!(!said_contains(&other, "1001"));
    let none = s.text("psid-2", "psid-2-2", "Track an order").await;
    assert!(
        said_contains(&none, "no orders with us yet"),
        "{:?}",
        said(&none)
    );
}

async fn a_replayed_event_places_one_order(db: Db) {
    let s = shop(db).await;
    s.buy("psid-1").await;
    // The platform delivers the last event again, now and days later.
    for _ in 0..3 {
        let again = s.text("psid-1", "psid-1-9", "cash").await;
        assert!(again.duplicate);
        assert!(again.sent.is_empty() && again.orders.is_empty());
    }
    assert_eq!(count(&s.app.db.store, "orders").await, 1);
    // A double tap (a new event) is answered, not ordered twice.
    let tap = s.text("psid-1", "psid-1-10", "yes").await;
    assert!(!tap.duplicate);
    assert!(tap.orders.is_empty());
    assert_eq!(count(&s.app.db.store, "orders").await, 1);
}

async fn concurrent_duplicates_place_one_order(db: Db) {
    let s = shop(db).await;
    for (i, t) in ["hi", "Browse products"].iter().enumerate() {
        s.text("u", &format!("e{i}"), t).await;
    }
    s.turn(
        "u",
        "e2",
        Input::Payload {
            payload: "b1|a|catalog|SOCK-3".into(),
        },
    )
    .await;
    for (i, t) in [
        "Checkout",
        "Ana",
        "Main Street 12, 94107 SF",
        "+1 650 555 1234",
        "yes",
    ]
    .iter()
    .enumerate()
    {
        s.text("u", &format!("e{}", i + 3), t).await;
    }
    // Five copies of the same "cash" event at once.
    let (a, b, c, d, e) = tokio::join!(
        s.text("u", "e-final", "cash"),
        s.text("u", "e-final", "cash"),
        s.text("u", "e-final", "cash"),
        s.text("u", "e-final", "cash"),
        s.text("u", "e-final", "cash"),
    );
    let outcomes = [a, b, c, d, e];
    let applied: Vec<&Applied> = outcomes.iter().filter(|o| !o.duplicate).collect();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].orders.len(), 1);
    assert_eq!(count(&s.app.db.store, "orders").await, 1);
    let replies: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE direction = 'in' AND event_id = 'e-final'",
    )
    .fetch_one(s.app.db.store.pool())
    .await
    .unwrap();
    assert_eq!(replies, 1);
}

async fn order_status_follows_the_state_machine(db: Db) {
    let s = shop(db).await;
    let done = s.buy("u1").await;
    let id = done.orders[0].id.0;
    let conv = done.conversation.unwrap();
    let mut c = s.c.clone();

    let res = c
        .post_json(
            &format!("/api/v1/orders/{id}/status"),
            json!({"status": "fulfilled"}),
        )
        .await;
    res.assert_error(StatusCode::CONFLICT, "illegal_transition");
    assert_eq!(
        res.error_message(),
        "An order that is placed cannot become fulfilled."
    );
    assert_eq!(res.json()["allowed"], json!(["paid", "cancelled"]));

    let res = c
        .post_json(
            &format!("/api/v1/orders/{id}/status"),
            json!({"status": "paid", "note": "Cash received"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let detail = res.json();
    assert_eq!(detail["status"], "paid");
    assert_eq!(detail["history"][1]["from"], "placed");
    assert_eq!(detail["history"][1]["actor"], "ana@example.com");
    assert_eq!(detail["history"][1]["note"], "Cash received");
    // The conversation heard about it through the checkout's "paid" port.
    let transcript = s.tenant().transcript(conv, 0, 1000).await.unwrap();
    let last = transcript
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Out)
        .unwrap();
    assert_eq!(
        last.preview,
        "Payment received. Thank you, Ana Lima! We're preparing your order."
    );

    for (to, expect) in [
        ("placed", StatusCode::CONFLICT),
        ("fulfilled", StatusCode::OK),
        ("refunded", StatusCode::OK),
        ("paid", StatusCode::CONFLICT),
    ] {
        let res = c
            .post_json(
                &format!("/api/v1/orders/{id}/status"),
                json!({"status": to}),
            )
            .await;
        assert_eq!(res.status, expect, "→ {to}: {}", res.text());
    }
    let res = c
        .post_json(
            &format!("/api/v1/orders/{id}/status"),
            json!({"status": "lost"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Cancelling puts stock back.
    let second = s.buy("u2").await.orders[0].id.0;
    let stock = |store: &server::store::Store, ws| {
        let store = store.clone();
        async move {
            store
                .workspace(ws)
                .products(&Default::default())
                .await
                .unwrap()
                .into_iter()
                .find(|p| p.sku == "RUN-1")
                .unwrap()
                .stock
        }
    };
    assert_eq!(stock(&s.app.db.store, s.ws).await, Some(3));
    let res = c
        .post_json(
            &format!("/api/v1/orders/{second}/status"),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(stock(&s.app.db.store, s.ws).await, Some(4));
    let list = c.get("/api/v1/orders?status=cancelled").await.json();
    assert_eq!(list["orders"].as_array().unwrap().len(), 1);
}

async fn conversations_stay_on_their_version(db: Db) {
    let s = shop(db).await;
    let mut c = s.c.clone();
    s.text("u", "1", "hi").await;
    s.text("u", "2", "Browse products").await;
    // The merchant rewrites the greeting and publishes v2 mid-conversation.
    let mut draft = c
        .get(&format!("/api/v1/bots/{}/draft", s.bot.0))
        .await
        .json();
    draft["document"]["nodes"][0]["settings"]["text"] = json!("Hello from version 2!");
    assert_eq!(draft["document"]["nodes"][1]["id"], "menu");
    draft["document"]["nodes"][1]["settings"]["text"] = json!("Version 2 menu: pick one");
    c.request(
        axum::http::Method::PUT,
        &format!("/api/v1/bots/{}/draft", s.bot.0),
        Some(json!({"revision": draft["revision"], "document": draft["document"]})),
    )
    .await;
    assert_eq!(
        c.post_json(&format!("/api/v1/bots/{}/publish", s.bot.0), json!({}))
            .await
            .json()["version"],
        2
    );

    // Still v1 while the conversation runs: its content, not only its number.
    let out = s.text("u", "3", "Menu").await;
    assert!(
        said_starts(&out, "What would you like to do?"),
        "{:?}",
        said(&out)
    );
    assert!(!said_contains(&out, "Version 2"), "{:?}", said(&out));
    let out = s.text("u", "4", "View my cart").await;
    assert!(
        said_starts(&out, "What would you like to do?"),
        "an empty cart goes back to v1's menu: {:?}",
        said(&out)
    );
    assert_eq!(s.version_of(&out).await, 1);
    // A new shopper starts on v2.
    let fresh = s.text("v", "1", "hi").await;
    assert!(
        said(&fresh)[0].contains("Hello from version 2!"),
        "{:?}",
        said(&fresh)
    );
    assert!(
        said_starts(&fresh, "Version 2 menu: pick one"),
        "{:?}",
        said(&fresh)
    );
    assert_eq!(s.version_of(&fresh).await, 2);
}

async fn cancelling_gives_back_only_the_stock_taken(db: Db) {
    let s = shop(db).await;
    let mut c = s.c.clone();
    let products = c.get("/api/v1/products").await.json();
    let id_of = |sku: &str| {
        products["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["sku"] == sku)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (run, sock) = (id_of("RUN-1"), id_of("SOCK-3"));
    let stock = |c: &mut Client, id: i64| {
        let mut c = c.clone();
        async move { c.get(&format!("/api/v1/products/{id}")).await.json()["stock"].clone() }
    };

    // Two runners and (untracked) socks in the cart, up to the confirmation.
    s.text("u", "1", "hi").await;
    s.text("u", "2", "Browse products").await;
    for (i, sku) in ["RUN-1", "RUN-1", "SOCK-3"].iter().enumerate() {
        s.turn(
            "u",
            &format!("3-{i}"),
            Input::Payload {
                payload: format!("b1|a|catalog|{sku}"),
            },
        )
        .await;
    }
    for (i, t) in [
        "Checkout",
        "Ana Lima",
        "Rua Augusta 100, 1100-053 Lisboa",
        "+351 912 345 678",
        "yes",
    ]
    .iter()
    .enumerate()
    {
        s.text("u", &format!("4-{i}"), t).await;
    }
    // Meanwhile four runners are sold elsewhere: one is left.
    let res = c
        .patch_json(&format!("/api/v1/products/{run}"), json!({"stock": 1}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let done = s.text("u", "5", "cash").await;
    assert_eq!(done.orders.len(), 1, "{:?}", said(&done));
    let placed = &done.orders[0];
    let order = placed.id.0;
    assert_eq!(stock(&mut c, run).await, json!(0), "the one left was taken");
    // The shopper gets, and pays for, the one runner left and the socks.
    let lines = placed.lines();
    assert_eq!(lines[0].qty, 1, "{lines:?}");
    let expected = lines
        .iter()
        .map(|l| l.unit_price.minor * i64::from(l.qty))
        .sum::<i64>();
    assert_eq!(placed.total().minor, expected);
    assert_eq!(placed.status, app::commerce::OrderStatus::Placed);
    let total = placed.total().to_string();
    // They are told before the confirmation, which gives the new total.
    let told = said(&done);
    let notice = told
        .iter()
        .position(|t| t.contains("1 of the 2 × Runner <Pro>") && t.contains(&total))
        .unwrap_or_else(|| panic!("{told:?}"));
    let confirmation = told
        .iter()
        .position(|t| t.contains("is placed") && t.contains(&total))
        .unwrap_or_else(|| panic!("{told:?}"));
    assert!(notice < confirmation, "{told:?}");
    let detail = c.get(&format!("/api/v1/orders/{order}")).await.json();
    assert_eq!(detail["lines"][0]["qty"], 1, "{detail}");
    assert!(
        detail["history"][0]["note"]
            .as_str()
            .unwrap()
            .contains("Stock ran short of Runner <Pro>"),
        "{detail}"
    );

    // The merchant starts counting socks, then the order is cancelled.
    c.patch_json(&format!("/api/v1/products/{sock}"), json!({"stock": 10}))
        .await;
    let res = c
        .post_json(
            &format!("/api/v1/orders/{order}/status"),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(
        stock(&mut c, run).await,
        json!(1),
        "one runner back, not two"
    );
    assert_eq!(
        stock(&mut c, sock).await,
        json!(10),
        "no socks were taken, so none come back"
    );

    // Another shopper fills a cart with runners, and they all sell
    // elsewhere before the order goes through.
    s.text("w", "1", "hi").await;
    s.text("w", "2", "Browse products").await;
    s.turn(
        "w",
        "3",
        Input::Payload {
            payload: "b1|a|catalog|RUN-1".into(),
        },
    )
    .await;
    for (i, t) in [
        "Checkout",
        "Bo Lima",
        "Rua Augusta 100, 1100-053 Lisboa",
        "+351 912 345 679",
        "yes",
    ]
    .iter()
    .enumerate()
    {
        s.text("w", &format!("4-{i}"), t).await;
    }
    c.patch_json(&format!("/api/v1/products/{run}"), json!({"stock": 0}))
        .await;
    let done = s.text("w", "5", "cash").await;
    let told = said(&done);
    assert!(
        told.iter()
            .any(|t| t.contains("Runner <Pro> sold out") && t.contains("Nothing is charged")),
        "{told:?}"
    );
    assert!(
        !told.iter().any(|t| t.contains("is placed")),
        "no confirmation for an order that was not placed: {told:?}"
    );
    assert_eq!(done.orders.len(), 1);
    assert_eq!(done.orders[0].status, app::commerce::OrderStatus::Cancelled);
    assert_eq!(done.orders[0].total().minor, 0);
    assert!(done.orders[0].lines().is_empty());
    assert_eq!(stock(&mut c, run).await, json!(0));
}

async fn http_steps_call_out_and_come_back(db: Db) {
    use axum::routing::post;
    // The merchant's API: echoes a field of the JSON it receives.
    let api = axum::Router::new().route(
        "/stock",
        post(|axum::Json(v): axum::Json<Value>| async move {
            axum::Json(json!({"in_stock": v["sku"]}))
        }),
    );
    let addr = serve_local(api).await;

    let doc = json!({"schema": 1, "start": "set", "nodes": [
        {"id": "set", "type": "set_variable", "settings": {"name": "sku", "value": "RUN-1"}},
        {"id": "call", "type": "http_request", "settings": {"method": "POST", "url": format!("http://{addr}/stock"), "body": "{\"sku\": \"{{sku}}\"}", "save_as": "reply"}},
        {"id": "ok", "type": "end", "settings": {"text": "API said {{reply}}"}},
        {"id": "err", "type": "end", "settings": {"text": "API failed"}}],
        "edges": [{"from": "set", "port": "next", "to": "call"}, {"from": "call", "port": "ok", "to": "ok"}, {"from": "call", "port": "error", "to": "err"}]});
    let (app, ws, bot) = publish_api_bot(db, true, ("ana@example.com", "Ana"), &doc).await;
    let (out, answer) = start_and_wait(&app, ws, bot).await;
    assert!(out.sent.is_empty(), "nothing is said until the API answers");
    assert_eq!(answer.as_deref(), Some("API said {\"in_stock\":\"RUN-1\"}"));

    // Without permission, private addresses are refused and the error port taken.
    let (strict, ws2, bot2) = publish_api_bot(db, false, ("bo@example.com", "Bo"), &doc).await;
    let (_, answer) = start_and_wait(&strict, ws2, bot2).await;
    assert_eq!(answer.as_deref(), Some("API failed"));
}

async fn http_steps_cut_long_answers_and_do_not_follow_redirects(db: Db) {
    use axum::routing::get;
    // An answer whose byte cap falls inside a two-byte character, and a
    // redirect to it.
    let long = format!(
        "{}é and more",
        "a".repeat(server::engine::http_steps::MAX_BODY - 1)
    );
    let api = axum::Router::new()
        .route("/long", get(move || async move { long }))
        .route(
            "/moved",
            get(|| async { axum::response::Redirect::temporary("/long") }),
        );
    let addr = serve_local(api).await;
    let doc = |path: &str| {
        json!({"schema": 1, "start": "call", "nodes": [
            {"id": "call", "type": "http_request", "settings": {"method": "GET", "url": format!("http://{addr}{path}"), "save_as": "reply"}},
            {"id": "ok", "type": "end", "settings": {"text": "API said {{reply}}"}},
            {"id": "err", "type": "end", "settings": {"text": "API failed"}}],
            "edges": [{"from": "call", "port": "ok", "to": "ok"}, {"from": "call", "port": "error", "to": "err"}]})
    };

    // The conversation goes on with the answer cut before the character,
    // not inside it (which used to panic and leave the step running).
    let (app, ws, bot) = publish_api_bot(db, true, ("ana@example.com", "Ana"), &doc("/long")).await;
    let (_, answer) = start_and_wait(&app, ws, bot).await;
    let answer = answer.expect("the bot answered after the HTTP step");
    assert!(answer.starts_with("API said aaa"), "{answer}");
    assert!(
        !answer.contains('é') && !answer.contains('\u{FFFD}'),
        "{answer}"
    );

    // A redirect is not followed: the 307 itself is the answer, an error.
    let (app, ws, bot) = publish_api_bot(db, true, ("bo@example.com", "Bo"), &doc("/moved")).await;
    let (_, answer) = start_and_wait(&app, ws, bot).await;
    assert_eq!(answer.as_deref(), Some("API failed"));
}

async fn a_slow_merchant_api_holds_a_bounded_number_of_http_steps(db: Db) {
    use axum::routing::get;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // The merchant's API holds every call for two seconds, counting the
    // calls it holds at once.
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (n, m) = (now.clone(), most.clone());
    let api = axum::Router::new().route(
        "/slow",
        get(move || {
            let (n, m) = (n.clone(), m.clone());
            async move {
                let held = n.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(held, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                n.fetch_sub(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let addr = serve_local(api).await;
    let doc = json!({"schema": 1, "start": "call", "nodes": [
        {"id": "call", "type": "http_request", "settings": {"method": "GET", "url": format!("http://{addr}/slow"), "save_as": "reply"}},
        {"id": "ok", "type": "end", "settings": {"text": "API said {{reply}}"}},
        {"id": "err", "type": "end", "settings": {"text": "API failed"}}],
        "edges": [{"from": "call", "port": "ok", "to": "ok"}, {"from": "call", "port": "error", "to": "err"}]});
    let (app, ws, bot) = publish_api_bot(db, true, ("ana@example.com", "Ana"), &doc).await;
    // Forty shoppers start at once, each due a call.
    for i in 0..40 {
        app.state
            .engine
            .apply(Turn {
                workspace: ws,
                bot,
                channel: app::channel::Channel::Web,
                user: &format!("u{i}"),
                display_name: "",
                event_id: "1",
                input: Input::Start,
            })
            .await
            .unwrap();
    }
    // Every call is made in the end, never more than the bound at once.
    let bound = server::engine::http_steps::CALLS_IN_FLIGHT;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let answered: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND preview = 'API said ok'",
        )
        .fetch_one(app.db.store.pool())
        .await
        .unwrap();
        if answered == 40 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{answered} of 40 answered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(most.load(Ordering::SeqCst), bound, "calls held at once");
}

/// An app whose HTTP steps may (or may not) call private addresses, and an
/// account (email, workspace) that published `doc` as a bot.
async fn publish_api_bot(
    db: Db,
    allow_private: bool,
    (email, workspace): (&str, &str),
    doc: &Value,
) -> (TestApp, WorkspaceId, BotId) {
    let mut app = TestApp::new(db).await;
    app.state.workers.http_steps.allow_private = allow_private;
    server::engine::http_steps::spawn(
        app.state.engine.clone(),
        app.state.workers.http_steps.clone(),
    );
    let (mut c, created) = app.signed_up(email, workspace).await;
    let ws = WorkspaceId(created["workspace_id"].as_i64().unwrap());
    let bot = c.new_bot(json!({"name": "API bot"})).await;
    c.put_draft(bot, 1, doc).await;
    assert_eq!(
        c.post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
            .await
            .status,
        StatusCode::CREATED
    );
    (app, ws, BotId(bot))
}

/// Starts a conversation with `bot`; returns the first turn, and the first
/// message the bot sent once its HTTP step came back (None after 5 s).
async fn start_and_wait(app: &TestApp, ws: WorkspaceId, bot: BotId) -> (Applied, Option<String>) {
    let out = app
        .state
        .engine
        .apply(Turn {
            workspace: ws,
            bot,
            channel: app::channel::Channel::Web,
            user: "u",
            display_name: "",
            event_id: "1",
            input: Input::Start,
        })
        .await
        .unwrap();
    let conv = out.conversation.unwrap();
    for _ in 0..100 {
        let t = app
            .db
            .store
            .workspace(ws)
            .transcript(conv, 0, 100)
            .await
            .unwrap();
        if let Some(m) = t.iter().find(|m| m.direction == Direction::Out) {
            return (out, Some(m.preview.clone()));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    (out, None)
}

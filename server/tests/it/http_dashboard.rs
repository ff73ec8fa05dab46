//! The bot, catalog and order pages and their forms, as a browser without
//! JavaScript uses them.

use crate::common;

use crate::common::{Client, TestApp};
use axum::http::StatusCode;
use serde_json::json;

fn multipart(name: &str, content: &str) -> (String, String) {
    let boundary = "----botmeTestBoundary7";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn import(c: &mut Client, name: &str, csv: &str) -> common::TestResponse {
    let (ct, body) = multipart(name, csv);
    c.post_raw("/products/import", &ct, body).await
}

#[tokio::test]
async fn the_bot_page_shows_problems_publishes_and_restores() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let res = c
        .post_form("/bots", &[("name", "Blank one"), ("template", "blank")])
        .await;
    let blank = c.get("/api/v1/bots").await.json()["bots"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(res.location().unwrap(), format!("/bots/{blank}/edit"));
    // The editor renders on the server: the empty canvas says what to do.
    let html = c.get(&format!("/bots/{blank}/edit")).await.text();
    assert!(html.contains("Your flow is empty"), "{html}");
    assert!(html.contains("Add a step"), "{html}");
    let html = c.get(&format!("/bots/{blank}")).await.text();
    assert!(
        html.contains("Choose the step where conversations start."),
        "{html}"
    );
    assert!(html.contains("This flow has no steps yet"));
    assert!(html.contains("disabled"), "publish is disabled");
    // Publishing anyway (an old tab) is refused with the reasons.
    c.post_form(&format!("/bots/{blank}/publish"), &[]).await;
    let html = c.get(&format!("/bots/{blank}")).await.text();
    assert!(
        html.contains("The flow has 1 problem to fix before it can be published."),
        "{html}"
    );
    assert!(html.contains("data-testid=\"flash-details\""), "{html}");

    c.post_form("/bots", &[("name", "Shop bot"), ("template", "shop")])
        .await;
    let shop = c.get("/api/v1/bots").await.json()["bots"][0]["id"]
        .as_i64()
        .unwrap();
    let html = c.get(&format!("/bots/{shop}")).await.text();
    assert!(html.contains("Not published yet"));
    assert!(html.contains("Keywords that work anywhere"));
    assert!(
        html.contains("WhatsApp shows at most 3 buttons"),
        "channel notes are listed: {html}"
    );
    let res = c.post_form(&format!("/bots/{shop}/publish"), &[]).await;
    assert_eq!(res.location().unwrap(), format!("/bots/{shop}"));
    let html = c.get(&format!("/bots/{shop}")).await.text();
    assert!(html.contains("Published as version 1."), "{html}");
    assert!(html.contains("Live: version 1"));

    c.post_form(&format!("/bots/{shop}/versions/1/restore"), &[])
        .await;
    let html = c.get(&format!("/bots/{shop}")).await.text();
    assert!(
        html.contains("Version 1 is live again, as version 2."),
        "{html}"
    );
    let version = c.get(&format!("/bots/{shop}/versions/2")).await;
    assert_eq!(version.status, StatusCode::OK);
    assert!(version.text().contains("Restored from version 1"));
    assert_eq!(
        c.get(&format!("/bots/{shop}/versions/9")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(c.get("/bots/999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get("/bots/abc").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn products_are_managed_with_forms() {
    let app = TestApp::sqlite().await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    assert!(c.get("/products").await.text().contains("No products yet"));

    let fields = [
        ("name", "Runner <Pro>"),
        ("sku", "RUN-1"),
        ("price", "89.90"),
        ("currency", ""),
        ("stock", "5"),
        ("collections", "Shoes, Sale"),
        ("image_url", ""),
        ("description", "Light and fast"),
        ("active", "yes"),
    ];
    let res = c.post_form("/products", &fields).await;
    assert_eq!(res.location().unwrap(), "/products");
    let html = c.get("/products").await.text();
    assert!(
        html.contains("“Runner &lt;Pro&gt;” added to the catalog."),
        "{html}"
    );
    assert!(html.contains("$89.90"));
    let id = c.get("/api/v1/products").await.json()["products"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        c.get("/api/v1/products").await.json()["products"][0]["collections"],
        json!(["Shoes", "Sale"])
    );

    // Unchecking "for sale" arrives as an absent field.
    let edit: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| *k != "active")
        .map(|(k, v)| (*k, if *k == "price" { "79" } else { *v }))
        .collect();
    let res = c.post_form(&format!("/products/{id}"), &edit).await;
    assert_eq!(res.location().unwrap(), "/products");
    let p = c.get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(p["active"], false);
    assert_eq!(p["price"], "79.00");
    assert!(
        c.get(&format!("/products/{id}"))
            .await
            .text()
            .contains("value=\"79.00\"")
    );

    let res = c
        .post_form(
            "/products",
            &[
                ("name", ""),
                ("sku", "RUN-1"),
                ("price", "abc"),
                ("stock", "many"),
            ],
        )
        .await;
    back_with_notice(&mut c, &res, "Stock must be a whole number").await;

    let res = import(&mut c, "bad.csv", "sku,name,price\nA,Alpha,x\n,Beta,2\n").await;
    assert_eq!(res.location().unwrap(), "/products");
    let html = c.get("/products").await.text();
    assert!(html.contains("2 rows of the file have problems"), "{html}");
    assert!(html.contains("Row 2: Price"), "{html}");
    assert!(html.contains("Row 3: Give the product a SKU."), "{html}");
    assert_eq!(app.count("products").await, 1);

    import(
        &mut c,
        "good.csv",
        "sku,name,price\nA,Alpha,1\nRUN-1,Runner,90\n",
    )
    .await;
    assert!(
        c.get("/products")
            .await
            .text()
            .contains("Imported: 1 new, 1 updated.")
    );
    let res = c
        .post_raw(
            "/products/import",
            "application/x-www-form-urlencoded",
            "file=x",
        )
        .await;
    back_with_notice(&mut c, &res, "Choose a CSV file to import.").await;

    c.post_form(&format!("/products/{id}/delete"), &[]).await;
    assert!(c.get("/products").await.text().contains("Product deleted."));
    assert_eq!(app.count("products").await, 1);
}

#[tokio::test]
async fn orders_are_listed_and_moved_along_with_forms() {
    let app = TestApp::sqlite().await;
    let (mut c, created) = app.signed_up("ana@example.com", "Ana").await;
    assert!(c.get("/orders").await.text().contains("No orders here yet"));
    c.post_json(
        "/api/v1/products",
        json!({"sku": "SOCK", "name": "Socks", "price": "9"}),
    )
    .await;
    let bot = c.new_bot(json!({"name": "Shop", "template": "shop"})).await;
    c.post_json(&format!("/api/v1/bots/{bot}/publish"), json!({}))
        .await;
    let ws = created["workspace_id"].as_i64().unwrap();
    app.buy_socks((ws, bot), ("u", ""), "Sam <script>").await;
    let list = c.get("/orders").await.text();
    assert!(list.contains("#1001"), "{list}");
    assert!(list.contains("Sam &lt;script&gt;"), "escaped: {list}");
    let id = c.get("/api/v1/orders").await.json()["orders"][0]["id"]
        .as_i64()
        .unwrap();
    let page = c.get(&format!("/orders/{id}")).await.text();
    assert!(
        page.contains("Mark as paid") && page.contains("Cancel order"),
        "{page}"
    );
    assert!(
        !page.contains("Mark as fulfilled"),
        "only allowed next steps are offered"
    );
    assert!(page.contains("1 Long Road, 12345 Town"));

    let res = c
        .post_form(
            &format!("/orders/{id}/status"),
            &[("status", "paid"), ("note", "cash in hand")],
        )
        .await;
    assert_eq!(res.location().unwrap(), format!("/orders/{id}"));
    let page = c.get(&format!("/orders/{id}")).await.text();
    assert!(page.contains("Order #1001 is now paid."), "{page}");
    assert!(page.contains("cash in hand"));
    assert!(page.contains("Mark as fulfilled"));
    // A stale form (placed → cancelled after payment) is refused, in words.
    c.post_form(&format!("/orders/{id}/status"), &[("status", "cancelled")])
        .await;
    assert!(
        c.get(&format!("/orders/{id}"))
            .await
            .text()
            .contains("An order that is paid cannot become cancelled.")
    );
    assert!(c.get("/orders?status=paid").await.text().contains("#1001"));
    assert!(
        !c.get("/orders?status=placed")
            .await
            .text()
            .contains("#1001")
    );
}

/// A refused products form sends the browser back to /products, which
/// shows `notice`.
async fn back_with_notice(c: &mut Client, res: &common::TestResponse, notice: &str) {
    assert_eq!(res.location().unwrap(), "/products");
    let page = c.get("/products").await.text();
    assert!(page.contains(notice), "{page}");
}

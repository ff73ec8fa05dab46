//! The catalog over HTTP: product CRUD with exact prices, and CSV import
//! that reports problems per row and imports all or nothing.

use crate::common;

use crate::common::{Db, TestApp, on_both_dbs};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

on_both_dbs!(
    products_crud,
    csv_import_is_all_or_nothing,
    prices_never_go_through_floats,
    a_new_currency_needs_a_new_price,
    csv_import_keeps_the_columns_a_file_leaves_out,
);

async fn products_crud(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let res = c
        .post_json("/api/v1/products", json!({"sku": "RUN-1", "name": " Runner ", "price": "89.90", "stock": 5, "collections": ["Shoes", " "], "image_url": "https://img.example/r.jpg"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let p = res.json();
    assert_eq!(p["name"], "Runner");
    assert_eq!(p["price"], "89.90");
    assert_eq!(p["price_minor"], 8990);
    assert_eq!(p["currency"], "USD");
    assert_eq!(p["price_label"], "$89.90");
    assert_eq!(p["collections"], json!(["Shoes"]));
    let id = p["id"].as_i64().unwrap();

    // A JSON number is read exactly too.
    let res = c
        .post_json(
            "/api/v1/products",
            json!({"sku": "SOCK", "name": "Socks", "price": 0.1, "currency": "eur"}),
        )
        .await;
    assert_eq!(res.json()["price_minor"], 10);
    assert_eq!(res.json()["currency"], "EUR");

    let res = c
        .post_json(
            "/api/v1/products",
            json!({"sku": "RUN-1", "name": "Dup", "price": "1"}),
        )
        .await;
    res.assert_error(StatusCode::CONFLICT, "sku_taken");

    let res = c
        .post_json(
            "/api/v1/products",
            json!({"sku": "", "name": "", "price": "-1", "image_url": "ftp://x"}),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_product");
    let msg = res.error_message().to_string();
    for part in ["SKU", "name", "negative", "https"] {
        assert!(msg.contains(part), "{part} not in {msg}");
    }
    let res = c
        .post_json(
            "/api/v1/products",
            json!({"sku": "X", "name": "X", "price": "1.005"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    // PATCH changes only what it names; null clears stock tracking.
    let res = c
        .patch_json(
            &format!("/api/v1/products/{id}"),
            json!({"stock": null, "active": false}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["stock"], Value::Null);
    assert_eq!(res.json()["active"], false);
    assert_eq!(res.json()["price"], "89.90");
    let res = c
        .patch_json(&format!("/api/v1/products/{id}"), json!({"sku": "SOCK"}))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);

    let list = c.get("/api/v1/products?active=false").await.json();
    assert_eq!(list["products"].as_array().unwrap().len(), 1);
    let list = c.get("/api/v1/products?q=sock").await.json();
    assert_eq!(list["products"][0]["sku"], "SOCK");
    let list = c.get("/api/v1/products?collection=shoes").await.json();
    assert_eq!(list["products"][0]["sku"], "RUN-1");

    assert_eq!(
        c.delete(&format!("/api/v1/products/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.get(&format!("/api/v1/products/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn csv_import_is_all_or_nothing(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    c.post_json(
        "/api/v1/products",
        json!({"sku": "A", "name": "Old name", "price": "1"}),
    )
    .await;

    let good = "sku,name,price,stock,collections\nA,Alpha,10.50,3,Shoes|Sale\nB,\"Beta, the second\",2,,\n";
    let res = c
        .post_raw("/api/v1/products/import", "text/csv", good)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json(), json!({"created": 1, "updated": 1}));
    let list = c.get("/api/v1/products").await.json();
    let names: Vec<&str> = list["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alpha", "Beta, the second"]);

    let bad = "sku,name,price\nC,Gamma,3\n,Nameless,4\nD,,x\n";
    let res = c.post_raw("/api/v1/products/import", "text/csv", bad).await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv");
    let body = res.json();
    assert_eq!(
        body["error"]["message"],
        "2 rows of the file have problems, so nothing was imported. Fix them and import the file again."
    );
    let rows: Vec<i64> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, [3, 4]);
    assert_eq!(
        app.count("products").await,
        2,
        "the good row C was not imported either"
    );

    let res = c
        .post_raw("/api/v1/products/import", "application/json", "{}")
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = c
        .post_raw(
            "/api/v1/products/import",
            "text/csv",
            vec![0xff, 0xfe, 0x00],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Posts a product with a raw JSON body, so numbers go over the wire
/// exactly as written here.
async fn post_product(c: &mut common::Client, body: &str) -> common::TestResponse {
    c.post_raw("/api/v1/products", "application/json", body.to_string())
        .await
}

async fn prices_never_go_through_floats(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    for (i, (literal, minor)) in [
        ("0.1", 10),
        ("12.5", 1250),
        ("19.99", 1999),
        ("1e2", 10000),
        ("0.29", 29),
        ("1.15", 115),
        ("4.35", 435),
    ]
    .into_iter()
    .enumerate()
    {
        let res = post_product(
            &mut c,
            &format!(r#"{{"sku": "N{i}", "name": "Thing", "price": {literal}}}"#),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{literal}: {}", res.text());
        assert_eq!(res.json()["price_minor"], minor, "{literal}");
    }
    let res = post_product(
        &mut c,
        r#"{"sku": "J", "name": "Tea", "price": 1999, "currency": "JPY"}"#,
    )
    .await;
    assert_eq!(res.json()["price_label"], "¥1999");

    for (body, says) in [
        (
            r#"{"sku": "X", "name": "X", "price": 12.345}"#,
            "USD amounts have at most 2 decimals",
        ),
        (
            r#"{"sku": "X", "name": "X", "price": "12.345"}"#,
            "USD amounts have at most 2 decimals",
        ),
        (
            r#"{"sku": "X", "name": "X", "price": 12.5, "currency": "JPY"}"#,
            "JPY amounts are whole numbers",
        ),
        (
            r#"{"sku": "X", "name": "X", "price": 1e-3}"#,
            "at most 2 decimals",
        ),
        (
            r#"{"sku": "X", "name": "X", "price": -5}"#,
            "cannot be negative",
        ),
        (
            r#"{"sku": "X", "name": "X", "price": -0.5}"#,
            "cannot be negative",
        ),
        (
            r#"{"sku": "X", "name": "X", "price": 1e400}"#,
            "not an amount",
        ),
    ] {
        let res = post_product(&mut c, body).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            res.text()
        );
        assert_eq!(res.error_code(), "invalid_product", "{body}");
        let msg = res.error_message().to_string();
        assert!(msg.contains(says), "{body}: {msg}");
    }
    let res = post_product(&mut c, r#"{"sku": "X", "name": "X", "price": true}"#).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("products").await, 8, "nothing bad was stored");
}

async fn a_new_currency_needs_a_new_price(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let res = c
        .post_json(
            "/api/v1/products",
            json!({"sku": "RUN", "name": "Runner", "price": "19.99"}),
        )
        .await;
    let id = res.json()["id"].as_i64().unwrap();
    let res = c
        .patch_json(
            &format!("/api/v1/products/{id}"),
            json!({"currency": "JPY"}),
        )
        .await;
    res.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_product");
    assert_eq!(
        res.error_message(),
        "To change the currency from USD to JPY, give the price in JPY too."
    );
    let p = c.get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(
        (p["price_minor"].clone(), p["currency"].clone()),
        (json!(1999), json!("USD"))
    );

    // The same currency again, or other fields, need no price.
    let res = c
        .patch_json(
            &format!("/api/v1/products/{id}"),
            json!({"currency": "usd", "name": "Runner 2"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["price_minor"], 1999);

    let res = c
        .patch_json(
            &format!("/api/v1/products/{id}"),
            json!({"currency": "JPY", "price": 2500}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["price_minor"], 2500);
    assert_eq!(res.json()["price_label"], "¥2500");
}

async fn csv_import_keeps_the_columns_a_file_leaves_out(db: Db) {
    let app = TestApp::new(db).await;
    let (mut c, _) = app.signed_up("ana@example.com", "Ana").await;
    let res = c
        .post_json("/api/v1/products", json!({"sku": "S", "name": "Socks", "price": "9", "stock": 7, "description": "Soft", "collections": ["Extras"], "image_url": "https://img.example/s.jpg", "active": false}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let id = res.json()["id"].as_i64().unwrap();
    let res = c
        .post_json(
            "/api/v1/products",
            json!({"sku": "E", "name": "Euro", "price": "5", "currency": "EUR"}),
        )
        .await;
    let euro = res.json()["id"].as_i64().unwrap();

    // Only the required columns: name and price change, nothing else.
    let res = c
        .post_raw(
            "/api/v1/products/import",
            "text/csv",
            "sku,name,price
S,Socks v2,12
E,Euro v2,6.5
",
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json(), json!({"created": 0, "updated": 2}));
    let p = c.get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(p["name"], "Socks v2");
    assert_eq!(p["price"], "12.00");
    assert_eq!(p["stock"], 7);
    assert_eq!(p["description"], "Soft");
    assert_eq!(p["collections"], json!(["Extras"]));
    assert_eq!(p["image_url"], "https://img.example/s.jpg");
    assert_eq!(p["active"], false);
    let e = c.get(&format!("/api/v1/products/{euro}")).await.json();
    assert_eq!(e["currency"], "EUR", "the product keeps its currency");
    assert_eq!(e["price_label"], "€6.50");

    // A column that is there is written, even empty.
    let res = c
        .post_raw(
            "/api/v1/products/import",
            "text/csv",
            "sku,name,price,stock,description
S,Socks,12,,
",
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let p = c.get(&format!("/api/v1/products/{id}")).await.json();
    assert_eq!(p["stock"], Value::Null, "an empty stock means not tracked");
    assert_eq!(p["description"], "");
    assert_eq!(p["collections"], json!(["Extras"]));
    assert_eq!(p["active"], false);
}

#[tokio::test]
async fn viewers_cannot_change_the_catalog() {
    let app = TestApp::sqlite().await;
    let (mut owner, _) = app.signed_up("owner@example.com", "Shop").await;
    let token = owner
        .post_json("/api/v1/tokens", json!({"name": "r", "role": "viewer"}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut v = owner.with_token(&token);
    assert_eq!(v.get("/api/v1/products").await.status, StatusCode::OK);
    assert_eq!(
        v.post_json(
            "/api/v1/products",
            json!({"sku": "A", "name": "A", "price": "1"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        v.post_raw(
            "/api/v1/products/import",
            "text/csv",
            "sku,name,price\nA,A,1\n"
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let res = v.request(Method::GET, "/api/v1/orders", None).await;
    assert_eq!(res.status, StatusCode::OK);
}

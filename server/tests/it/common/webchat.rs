//! The web-chat API as the widget page calls it: with a visitor token, and
//! sometimes from another site.

use axum::http::Method;
use serde_json::Value;

use super::{Client, TestResponse};

/// Posts a visitor's message (`text` or `payload`, with a `client_id`).
pub async fn say(c: &mut Client, path: &str, token: &str, body: Value) -> TestResponse {
    c.request_with(Method::POST, path, Some(token), None, Some(body))
        .await
}

/// Starts (or resumes, given a token) a visitor's session.
pub async fn enter(c: &mut Client, key: &str, body: Value) -> TestResponse {
    let path = format!("/api/webchat/{key}/visitors");
    c.request_with(Method::POST, &path, None, None, Some(body))
        .await
}

/// Reads a visitor's message history.
pub async fn history(c: &mut Client, path: &str, token: &str) -> TestResponse {
    c.request_with(Method::GET, path, Some(token), None, None)
        .await
}

/// Posts the text "hi" as the visitor, from the page at `origin`.
pub async fn say_from(
    c: &mut Client,
    path: &str,
    token: &str,
    origin: &str,
    client_id: &str,
) -> TestResponse {
    let body = serde_json::json!({"client_id": client_id, "text": "hi"});
    c.request_with(Method::POST, path, Some(token), Some(origin), Some(body))
        .await
}

//! The fuzz target for the web-chat message request
//! (`POST /api/webchat/{key}/messages`): the JSON body as the handler reads
//! it (`parse_json`, then [`SendRequest::read`]). The parsers of the pure
//! core are fuzzed in `app/tests/fuzz`, whose harness this shares.
//!
//! A `harness = false` test: `cargo test -p server --test fuzz` runs a
//! short pass, `make fuzz` a long one.

#[path = "../../app/tests/fuzz/harness.rs"]
mod harness;

use std::process::ExitCode;

use app::flow::interpreter::Input;
use axum::http::StatusCode;
use harness::{Outcome, Rng, Shape, Target, any_string, any_value, signature};
use serde_json::Value;
use server::http::extract::parse_json;
use server::http::webchat::SendRequest;

fn main() -> ExitCode {
    harness::main_with(vec![Target {
        name: "webchat_message",
        shape: Shape::Json,
        max_len: 32 * 1024,
        seeds: [
            r#"{"client_id":"c1","text":"hi"}"#,
            r#"{"client_id":"c-2","payload":"__start__"}"#,
            r#"{"client_id":"c_3","payload":"ADD:SKU1:1"}"#,
            r#"{"client_id":" c4 ","text":"two\nlines é 😀"}"#,
            r#"{"client_id":"c5","text":"a","payload":"b"}"#,
            r#"{"client_id":"","text":null}"#,
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect(),
        dictionary: &[
            "\"client_id\":",
            "\"text\":",
            "\"payload\":",
            "\"__start__\"",
            "null",
            "{}",
            "[]",
        ],
        generate,
        exec,
    }])
}

/// The longest client id accepted.
const ID_64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn field(rng: &mut Rng, plausible: &[&str]) -> Option<Value> {
    match rng.below(6) {
        0 => None,
        1 => Some(any_value(rng)),
        2 => Some(Value::String(any_string(rng))),
        _ => Some(Value::String(rng.pick(plausible).to_string())),
    }
}

fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut body = serde_json::Map::new();
    let fields: [(&str, &[&str]); 3] = [
        ("client_id", &["c1", "a-b_C", " c ", ID_64, &ID_64[1..]]),
        ("text", &["hi", " ", "1", "menu"]),
        ("payload", &["__start__", "ADD:SKU1:1", "o1", ""]),
    ];
    for (name, plausible) in fields {
        if let Some(v) = field(rng, plausible) {
            body.insert(name.to_string(), v);
        }
    }
    if rng.one_in(10) {
        body.insert(any_string(rng), any_value(rng));
    }
    let body = if rng.one_in(12) {
        any_value(rng)
    } else {
        Value::Object(body)
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// An accepted message has a well-formed id and an input that is stored
/// as JSON and read back the same; a refused one is the client's fault
/// (400 or 422) with a sentence, never a server error.
fn exec(body: &[u8]) -> Outcome {
    match parse_json::<SendRequest>(body).and_then(SendRequest::read) {
        Ok((cid, input)) => {
            let good_id = !cid.is_empty()
                && cid.len() <= 64
                && cid
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !good_id {
                return Err(format!("accepted a bad client id\n{cid:?}"));
            }
            match &input {
                Input::Text { text } if text.trim().is_empty() || text.chars().count() > 2000 => {
                    return Err(format!("accepted a bad text\n{text:?}"));
                }
                Input::Payload { payload } if payload.is_empty() || payload.len() > 1000 => {
                    return Err(format!("accepted a bad payload\n{payload:?}"));
                }
                Input::Text { .. } | Input::Payload { .. } | Input::Start => {}
                other => {
                    return Err(format!(
                        "a visitor sent an input only the server makes\n{other:?}"
                    ));
                }
            }
            let stored = serde_json::to_string(&input).map_err(|e| e.to_string())?;
            match serde_json::from_str::<Input>(&stored) {
                Ok(back) if back == input => {}
                other => {
                    return Err(format!(
                        "a stored input reads back different\n{input:?} stored as {stored} reads back as {other:?}"
                    ));
                }
            }
            Ok(signature((
                "ok",
                stored.split(':').next().map(str::to_string),
            )))
        }
        Err(e) => {
            if ![StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&e.status)
                || e.error.message.trim().is_empty()
            {
                return Err(format!(
                    "refused with a server error or no sentence\n{} {:?}",
                    e.status, e.error
                ));
            }
            Ok(signature((
                e.status.as_u16(),
                format!("{:?}", e.error.code),
            )))
        }
    }
}

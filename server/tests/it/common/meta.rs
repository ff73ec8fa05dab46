//! A local fake of Meta's Graph API send endpoints, behaving as
//! `platforms.md` describes: it records every request and answers like
//! Messenger or WhatsApp, and can be told to answer with 429s, 5xx, Meta
//! error codes or not at all. It also knows which page or number each
//! access token belongs to, and answers the ownership checks made when a
//! channel is connected (`GET /me`, `GET /{phone_number_id}`) as Meta
//! does. Plus helpers to sign and post webhooks.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An answer to give instead of success.
#[derive(Debug, Clone)]
pub enum Fault {
    /// An HTTP status with a Graph error body carrying `code`.
    Error(u16, i64),
    /// A bare HTTP status.
    Status(u16),
    /// No answer for this long (longer than the client waits).
    Hang(Duration),
    /// Takes the message (it counts as delivered, as Meta would deliver
    /// it), then answers with the inner fault: an ambiguous failure.
    AcceptThen(Box<Fault>),
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The page or phone number id in the path.
    pub account: String,
    /// The bearer token sent.
    pub token: String,
    /// The JSON body.
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
    /// Whether it was answered with success.
    pub ok: bool,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    faults: VecDeque<Fault>,
    next_id: u64,
    /// Access token -> (page or phone number id, its name).
    owners: HashMap<String, (String, String)>,
    /// Ownership checks received: (path, token).
    checks: Vec<(String, String)>,
    check_faults: VecDeque<Fault>,
}

/// The fake server.
#[derive(Clone)]
pub struct FakeGraph {
    /// Its base URL, for `META_GRAPH_URL`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeGraph {
    /// Starts a fake on a free port.
    pub async fn start() -> FakeGraph {
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let app = axum::Router::new()
            .route("/{account}/messages", axum::routing::post(messages))
            .route("/me", axum::routing::get(me))
            .route("/{account}", axum::routing::get(phone_number))
            .with_state(inner.clone());
        let url = format!("http://{}", super::serve_local(app).await);
        let fake = FakeGraph { url, inner };
        // The tokens of the page and number most tests connect.
        fake.grant(PAGE_TOKEN, PAGE, "Test Shop");
        fake.grant(PHONE_TOKEN, PHONE, "Test Shop");
        fake
    }

    /// Makes `token` an access token of `account` (a page or phone number
    /// id) named `name`.
    pub fn grant(&self, token: &str, account: &str, name: &str) {
        self.inner
            .lock()
            .unwrap()
            .owners
            .insert(token.into(), (account.into(), name.into()));
    }

    /// Queues faults for the next ownership checks, in order.
    pub fn inject_check(&self, faults: impl IntoIterator<Item = Fault>) {
        self.inner.lock().unwrap().check_faults.extend(faults);
    }

    /// The ownership checks received, as (path, token).
    pub fn checks(&self) -> Vec<(String, String)> {
        self.inner.lock().unwrap().checks.clone()
    }

    /// Queues faults for the next requests, in order.
    pub fn inject(&self, faults: impl IntoIterator<Item = Fault>) {
        self.inner.lock().unwrap().faults.extend(faults);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// The successfully answered requests.
    pub fn delivered(&self) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.ok).collect()
    }

    /// Waits until `n` requests were answered with success.
    pub async fn wait_delivered(&self, n: usize, within: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + within;
        loop {
            let d = self.delivered();
            if d.len() >= n {
                return d;
            }
            if Instant::now() > deadline {
                panic!(
                    "only {} of {n} messages reached the fake Graph API: {:#?}",
                    d.len(),
                    d.iter().map(|r| &r.body).collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until nothing new arrives for `quiet`, then returns what was delivered.
    pub async fn settle(&self, quiet: Duration) -> Vec<Recorded> {
        let mut last = usize::MAX;
        loop {
            let n = self.requests().len();
            if n == last {
                return self.delivered();
            }
            last = n;
            tokio::time::sleep(quiet).await;
        }
    }
}

/// The bearer token of a request.
fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string()
}

/// A Graph API error as Meta sends it.
fn graph_error(status: u16, code: i64, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        Json(json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "T"}})),
    )
        .into_response()
}

/// Records an ownership check and returns the token's account, or the
/// answer to give instead (an injected fault, or Meta's error 190 for a
/// token it does not know).
async fn check(
    inner: &Mutex<Inner>,
    path: String,
    headers: &HeaderMap,
) -> Result<(String, String), Response> {
    let token = bearer(headers);
    let (fault, owner) = {
        let mut g = inner.lock().unwrap();
        g.checks.push((path, token.clone()));
        (g.check_faults.pop_front(), g.owners.get(&token).cloned())
    };
    match fault {
        Some(Fault::Error(status, code)) => {
            return Err(graph_error(status, code, "Injected by the test"));
        }
        Some(Fault::Status(status)) => {
            return Err(StatusCode::from_u16(status).unwrap().into_response());
        }
        Some(Fault::Hang(d)) => {
            tokio::time::sleep(d).await;
            return Err(StatusCode::GATEWAY_TIMEOUT.into_response());
        }
        Some(Fault::AcceptThen(_)) | None => {}
    }
    owner.ok_or_else(|| {
        graph_error(
            400,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )
    })
}

/// `GET /me?fields=id,name` with a page token: the page.
async fn me(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap) -> Response {
    match check(&inner, "/me".into(), &headers).await {
        Ok((account, name)) => Json(json!({"id": account, "name": name})).into_response(),
        Err(res) => res,
    }
}

/// `GET /{phone_number_id}`: the number, to a token of its business only.
async fn phone_number(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match check(&inner, format!("/{id}"), &headers).await {
        Ok((account, name)) if account == id => Json(json!({
            "verified_name": name,
            "display_phone_number": "+1 555-010-0000",
            "id": id,
            "quality_rating": "GREEN"
        }))
        .into_response(),
        Ok(_) => graph_error(
            400,
            100,
            &format!(
                "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
        ),
        Err(res) => res,
    }
}

async fn messages(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let token = bearer(&headers);
    let (fault, id) = {
        let mut g = inner.lock().unwrap();
        let fault = g.faults.pop_front();
        g.next_id += 1;
        g.requests.push(Recorded {
            account,
            token,
            body: body.clone(),
            at: Instant::now(),
            ok: matches!(fault, None | Some(Fault::AcceptThen(_))),
        });
        (fault, g.next_id)
    };
    let fault = match fault {
        Some(Fault::AcceptThen(inner)) => Some(*inner),
        other => other,
    };
    match fault {
        Some(Fault::Error(status, code)) => graph_error(status, code, "Injected by the test"),
        Some(Fault::Status(status)) => StatusCode::from_u16(status).unwrap().into_response(),
        Some(Fault::Hang(d)) => {
            tokio::time::sleep(d).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Fault::AcceptThen(_)) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        None if body.get("messaging_product").is_some() => {
            let to = body["to"]
                .as_str()
                .or(body["recipient"].as_str())
                .unwrap_or_default();
            Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": format!("wamid.OUT{id}")}]})).into_response()
        }
        None => Json(
            json!({"recipient_id": body["recipient"]["id"], "message_id": format!("m_out_{id}")}),
        )
        .into_response(),
    }
}

/// The Messenger page id the channel tests connect.
pub const PAGE: &str = "1000001";
/// The WhatsApp phone_number_id the channel tests connect.
pub const PHONE: &str = "2000002";
/// The access token of [`PAGE`], known to every fake.
pub const PAGE_TOKEN: &str = "EAAB-page-token-123";
/// The access token of [`PHONE`], known to every fake.
pub const PHONE_TOKEN: &str = "EAAG-wa-token-456";
/// How long a channel test waits for the workers to deliver.
pub const WAIT: Duration = Duration::from_secs(15);

/// The app secret and verify token tests configure.
pub const APP_SECRET: &str = "test-app-secret";
/// The verify token tests configure.
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// A Messenger webhook with one text message.
pub fn messenger_text(page: &str, psid: &str, mid: &str, ts: i64, text: &str) -> Value {
    json!({"object": "page", "entry": [{"id": page, "time": ts, "messaging": [
        {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts, "message": {"mid": mid, "text": text}}
    ]}]})
}

/// A Messenger quick-reply tap.
pub fn messenger_quick_reply(
    page: &str,
    psid: &str,
    mid: &str,
    ts: i64,
    title: &str,
    payload: &str,
) -> Value {
    json!({"object": "page", "entry": [{"id": page, "time": ts, "messaging": [
        {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts,
         "message": {"mid": mid, "text": title, "quick_reply": {"payload": payload}}}
    ]}]})
}

/// A Messenger postback (a button on a card).
pub fn messenger_postback(page: &str, psid: &str, mid: &str, ts: i64, payload: &str) -> Value {
    json!({"object": "page", "entry": [{"id": page, "time": ts, "messaging": [
        {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts,
         "postback": {"mid": mid, "title": "Tap", "payload": payload}}
    ]}]})
}

/// A WhatsApp webhook with these message objects.
pub fn whatsapp(phone_number_id: &str, wa_id: &str, messages: Vec<Value>) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": wa_id}],
        "messages": messages
    }}]}]})
}

/// A WhatsApp text message object.
pub fn wa_text(from: &str, id: &str, ts_secs: i64, text: &str) -> Value {
    json!({"from": from, "id": id, "timestamp": ts_secs.to_string(), "type": "text", "text": {"body": text}})
}

/// A WhatsApp reply-button or list tap.
pub fn wa_tap(from: &str, id: &str, ts_secs: i64, reply_id: &str, list: bool) -> Value {
    if list {
        json!({"from": from, "id": id, "timestamp": ts_secs.to_string(), "type": "interactive",
               "interactive": {"type": "list_reply", "list_reply": {"id": reply_id, "title": "x"}}})
    } else {
        json!({"from": from, "id": id, "timestamp": ts_secs.to_string(), "type": "interactive",
               "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": "x"}}})
    }
}

/// The Messenger echo of a message the page sent, carrying the message's
/// `metadata` as Meta hands it back.
pub fn messenger_echo(page: &str, psid: &str, mid: &str, ts: i64, sent: &Value) -> Value {
    let mut message = sent["message"].clone();
    message["is_echo"] = json!(true);
    message["app_id"] = json!(1517776481860111_i64);
    message["mid"] = json!(mid);
    json!({"object": "page", "entry": [{"id": page, "time": ts, "messaging": [
        {"sender": {"id": page}, "recipient": {"id": psid}, "timestamp": ts, "message": message}
    ]}]})
}

/// A WhatsApp status webhook.
pub fn wa_status(phone_number_id: &str, message_id: &str, status: &str, ts_secs: i64) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1555", "phone_number_id": phone_number_id},
        "statuses": [{"id": message_id, "status": status, "timestamp": ts_secs.to_string(), "recipient_id": "16505551234"}]
    }}]}]})
}

/// The Messenger quick reply or postback payload labelled `label` among
/// the requests the bot sent.
pub fn messenger_payload(sent: &[Recorded], label: &str) -> Option<String> {
    sent.iter().rev().find_map(|r| {
        let m = &r.body["message"];
        let buttons =
            items(&m["attachment"]["payload"]["elements"]).flat_map(|e| items(&e["buttons"]));
        payload_in(items(&m["quick_replies"]), "title", label)
            .or_else(|| payload_in(buttons, "title", label))
    })
}

/// The elements of a JSON array (none for anything else).
pub fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// The `payload` of the first button whose `key` (its label) is `label`.
pub fn payload_in<'a>(
    buttons: impl IntoIterator<Item = &'a Value>,
    key: &str,
    label: &str,
) -> Option<String> {
    buttons
        .into_iter()
        .find(|b| b[key] == label)
        .and_then(|b| b["payload"].as_str().map(str::to_string))
}

/// The WhatsApp button or list-row id titled `title` among the requests
/// the bot sent, with whether it is a list row.
pub fn whatsapp_reply(sent: &[Recorded], title: &str) -> Option<(String, bool)> {
    sent.iter().rev().find_map(|r| {
        let action = &r.body["interactive"]["action"];
        let titled = |b: &&Value| b["title"] == title;
        let id = |b: &Value| b["id"].as_str().map(str::to_string);
        let mut buttons = items(&action["buttons"]).map(|b| &b["reply"]);
        let mut rows = items(&action["sections"]).flat_map(|s| items(&s["rows"]));
        let button = buttons.find(titled).and_then(id).map(|id| (id, false));
        button.or_else(|| rows.find(titled).and_then(id).map(|id| (id, true)))
    })
}

/// Everything the bot said in these requests, as plain text.
pub fn said(sent: &[Recorded]) -> String {
    sent.iter()
        .map(|r| {
            let b = &r.body;
            b["message"]["text"]
                .as_str()
                .or(b["text"]["body"].as_str())
                .or(b["interactive"]["body"]["text"].as_str())
                .or(b["message"]["attachment"]["payload"]["text"].as_str())
                .unwrap_or("[card]")
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Waits until the channel matching `filter` (an SQL condition) is stopped;
/// returns its health, which says why.
pub async fn health_once_stopped(store: &server::store::Store, filter: &str) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let sql = format!("SELECT health FROM channels WHERE {filter}");
        let health: String = sqlx::query_scalar(&sql)
            .fetch_one(store.pool())
            .await
            .expect("channel health");
        if health != "ok" {
            return health;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the channel was not stopped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

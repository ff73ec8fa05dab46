//! The web-chat channel: `/widget.js` (one script tag on any site shows a
//! chat bubble), the chat page it frames (`/chat/{widget_key}`), and the
//! visitor API under `/api/webchat/{widget_key}/`.
//!
//! A widget may only be framed by its allowed origins (the page's
//! `frame-ancestors`), and API calls that carry another `Origin` are
//! refused. Visitors hold a resumable bearer token; messages are
//! deduplicated on their `client_id` through the same durable inbox as
//! Meta's webhooks, and replies stream over server-sent events.

use app::model::ErrorCode;
use std::convert::Infallible;
use std::time::Duration;

use app::channel::Channel;
use app::flow::interpreter::Input;
use app::views::TranscriptEntry;
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::auth::hash_token;
use crate::engine::ingest::Parcel;
use crate::engine::ratelimit::{Buckets, client_key};
use crate::http::auth::ClientIp;
use crate::http::error::{ApiError, ApiResult, ingest_refused};
use crate::http::extract::ApiJson;
use crate::service::{allowed_origins, transcript_entries};
use crate::state::AppState;
use crate::store::{ChannelRow, ConversationId, Direction, NewInbound, now_ms};

const WIDGET_JS: &str = include_str!("widget.js");
const CHAT_HTML: &str = include_str!("chat.html");
/// The payload the chat page sends when a visitor opens it the first time.
const START: &str = "__start__";

/// The web-chat routes (no session, no cookies).
pub fn routes(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route("/visitors", post(visitors).options(preflight))
        .route("/messages", post(send).get(history).options(preflight))
        .route("/stream", get(stream).options(preflight))
        .layer(axum::middleware::from_fn_with_state(state.clone(), cors))
        .layer(DefaultBodyLimit::max(16 * 1024));
    Router::new()
        .route("/widget.js", get(widget_js))
        .route("/chat/{key}", get(chat_page))
        .nest("/api/webchat/{key}", api)
}

async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn widget_js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            ),
            // Short, so merchants' sites pick up a new widget within minutes.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        WIDGET_JS,
    )
        .into_response()
}

async fn widget(state: &AppState, key: &str) -> ApiResult<ChannelRow> {
    let valid = key.starts_with("wk_") && key.len() < 64;
    let channel = if valid {
        state.store.channel_by_external(Channel::Web, key).await?
    } else {
        None
    };
    channel.ok_or_else(|| ApiError::not_found("chat widget"))
}

fn escape_js(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '"' | '\\' | '<' | '>' | '&' | '\'' => {
                format!("\\u{:04x}", c as u32).chars().collect::<Vec<_>>()
            }
            c if c.is_control() => format!("\\u{:04x}", c as u32).chars().collect(),
            c => vec![c],
        })
        .collect()
}

/// `GET /chat/{key}`: the chat page shown inside the widget's frame. Only
/// the widget's allowed sites (and Botme itself) may frame it.
async fn chat_page(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let channel = match widget(&state, &key).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let bot = state
        .store
        .workspace(channel.workspace_id)
        .bot(channel.bot_id)
        .await
        .ok()
        .flatten()
        .map(|b| b.name)
        .unwrap_or_else(|| "Chat".into());
    let html = CHAT_HTML
        .replace("__WEBCHAT_CSS__", app::ui::WEBCHAT_CSS)
        .replace("__WIDGET_KEY__", &escape_js(&key))
        .replace("__BOT_NAME__", &escape_js(&bot));
    let mut ancestors = vec!["'self'".to_string()];
    ancestors.extend(allowed_origins(&channel));
    let csp = format!(
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src https: http: data:; \
         connect-src 'self'; frame-ancestors {}",
        ancestors.join(" ")
    );
    let mut res = Html(html).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Refuses a call whose `Origin` is neither Botme nor an allowed site.
fn check_origin(state: &AppState, channel: &ChannelRow, headers: &HeaderMap) -> ApiResult<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(());
    };
    let own = origin == &*state.public_url
        || headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| origin.ends_with(&format!("://{h}")));
    if own || allowed_origins(channel).iter().any(|o| o == origin) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "This site is not allowed to use this chat widget.",
        ))
    }
}

fn visitor_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

/// `POST /visitors`.
#[derive(Debug, Deserialize)]
struct VisitorRequest {
    #[serde(default)]
    visitor_token: Option<String>,
}

/// The visitor's token.
#[derive(Debug, Serialize, Deserialize)]
pub struct VisitorResponse {
    /// Send it as `Authorization: Bearer`; keep it to resume the chat.
    pub visitor_token: String,
}

async fn visitors(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let channel = widget(&state, &key).await?;
    check_origin(&state, &channel, &headers)?;
    let req: VisitorRequest = if body.iter().all(u8::is_ascii_whitespace) {
        VisitorRequest {
            visitor_token: None,
        }
    } else {
        crate::http::extract::parse_json(&body)?
    };
    if let Some(token) = req.visitor_token.filter(|t| !t.is_empty())
        && state
            .store
            .visitor(channel.id, &hash_token(&token))
            .await?
            .is_some()
    {
        return Ok((
            StatusCode::OK,
            Json(VisitorResponse {
                visitor_token: token,
            }),
        )
            .into_response());
    }
    let limits = &state.webchat;
    within(
        (&limits.visitors_per_ip, &limits.visitors_per_widget),
        ip,
        &channel,
        "visitors",
    )?;
    let bytes: [u8; 32] = rand::random();
    let token = format!(
        "vt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    state
        .store
        .create_visitor(channel.id, &hash_token(&token))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(VisitorResponse {
            visitor_token: token,
        }),
    )
        .into_response())
}

/// Takes one request from the client address's and the widget's limits
/// (`(per address, per widget)`), or answers 429 with `Retry-After`;
/// nothing is taken from either when one refuses.
fn within(
    (per_ip, per_widget): (&Buckets, &Buckets),
    ip: Option<std::net::IpAddr>,
    widget: &ChannelRow,
    what: &'static str,
) -> ApiResult<()> {
    let now = tokio::time::Instant::now();
    let widget_key = widget.id.0.to_string();
    let wait = match ip {
        Some(ip) => {
            Buckets::try_take_both((per_ip, &client_key(ip)), (per_widget, &widget_key), now)
        }
        None => per_widget.try_take(&widget_key, now),
    };
    if wait.is_zero() {
        return Ok(());
    }
    metrics::counter!("webchat_limited_total", "what" => what).increment(1);
    let secs = wait.as_secs().max(1);
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!(
            "Too many {what} from here right now. Try again in {secs} second{}.",
            if secs == 1 { "" } else { "s" }
        ),
    )
    .retry_after(wait))
}

async fn visitor_of(
    state: &AppState,
    channel: &ChannelRow,
    token: Option<String>,
) -> ApiResult<i64> {
    let token = token.ok_or_else(ApiError::unauthenticated)?;
    state
        .store
        .visitor(channel.id, &hash_token(&token))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                "This chat session has ended. Reload the page to start a new one.",
            )
        })
}

/// `POST /messages`.
#[derive(Debug, Deserialize)]
pub struct SendRequest {
    /// The page's own id for the message; a repeat is acknowledged and ignored.
    pub client_id: String,
    /// Typed text.
    #[serde(default)]
    pub text: Option<String>,
    /// A tapped button's payload.
    #[serde(default)]
    pub payload: Option<String>,
}

impl SendRequest {
    /// Checks a message and reads what it says: its trimmed `client_id`
    /// and the input for the flow. Pure, so the fuzz target
    /// (`server/tests/fuzz.rs`) runs exactly what the handler runs.
    pub fn read(self) -> ApiResult<(String, Input)> {
        let cid = self.client_id.trim();
        if cid.is_empty()
            || cid.len() > 64
            || !cid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::invalid(
                ErrorCode::InvalidClientId,
                "client_id must be 1 to 64 letters, digits, “-” or “_”.",
            ));
        }
        let input = match (self.text, self.payload) {
            (Some(t), None) if !t.trim().is_empty() && t.chars().count() <= 2000 => {
                Input::Text { text: t }
            }
            (None, Some(p)) if p == START => Input::Start,
            (None, Some(p)) if !p.is_empty() && p.len() <= 1000 => Input::Payload { payload: p },
            _ => {
                return Err(ApiError::invalid(
                    ErrorCode::InvalidMessage,
                    "Send either text (up to 2000 characters) or a payload, not both.",
                ));
            }
        };
        Ok((cid.to_string(), input))
    }
}

/// Accepted.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendResponse {
    /// Always true: the message is stored and will be answered.
    pub accepted: bool,
    /// True when this `client_id` was already received.
    pub duplicate: bool,
}

async fn send(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SendRequest>,
) -> ApiResult<Response> {
    let channel = widget(&state, &key).await?;
    check_origin(&state, &channel, &headers)?;
    let visitor = visitor_of(&state, &channel, visitor_token(&headers)).await?;
    let (cid, input) = req.read()?;
    let limits = &state.webchat;
    within(
        (&limits.messages_per_ip, &limits.messages_per_widget),
        ip,
        &channel,
        "messages",
    )?;
    let event = NewInbound {
        channel: Channel::Web,
        external_id: format!("{}:{visitor}:{cid}", channel.id),
        channel_id: channel.id,
        workspace_id: channel.workspace_id,
        user_key: visitor.to_string(),
        recipient: visitor.to_string(),
        recipient_kind: "visitor".into(),
        display_name: String::new(),
        platform_ts: now_ms(),
        input: serde_json::to_string(&input).unwrap_or_default(),
    };
    let new = match state.engine.ingest(Parcel::Resolved(vec![event])).await {
        Ok(stored) => stored.new,
        Err(e) => return Ok(ingest_refused(e)),
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(SendResponse {
            accepted: true,
            duplicate: new == 0,
        }),
    )
        .into_response())
}

/// A transcript entry of the web chat, with the page's `client_id` for what
/// the visitor sent.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChatEntry {
    /// The entry.
    #[serde(flatten)]
    pub entry: TranscriptEntry,
    /// The `client_id` the visitor sent it with.
    pub client_id: Option<String>,
}

/// The transcript after a cursor.
#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryResponse {
    /// Oldest first.
    pub messages: Vec<ChatEntry>,
    /// The last id, for the next `after`.
    pub cursor: i64,
}

#[derive(Debug, Deserialize)]
struct After {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    token: Option<String>,
}

/// A visitor's external user in their conversations: `channel:visitor`,
/// as the pipeline names a shopper.
fn visitor_user(channel: &ChannelRow, visitor: i64) -> String {
    format!("{}:{visitor}", channel.id)
}

async fn conversation_of(
    state: &AppState,
    channel: &ChannelRow,
    visitor: i64,
) -> ApiResult<Option<ConversationId>> {
    Ok(state
        .store
        .workspace(channel.workspace_id)
        .conversation_by_user(
            channel.bot_id,
            Channel::Web,
            &visitor_user(channel, visitor),
        )
        .await?
        .map(|c| c.id))
}

async fn entries_after(
    state: &AppState,
    channel: &ChannelRow,
    conv: ConversationId,
    after: i64,
) -> ApiResult<Vec<ChatEntry>> {
    let rows = state
        .store
        .workspace(channel.workspace_id)
        .transcript(conv, after, 200)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let client_id = m
                .event_id
                .as_deref()
                .and_then(|e| e.rsplit(':').next())
                .map(str::to_string)
                .filter(|_| m.direction == Direction::In);
            ChatEntry {
                entry: transcript_entries(vec![m]).remove(0),
                client_id,
            }
        })
        .collect())
}

async fn history(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> ApiResult<Json<HistoryResponse>> {
    let channel = widget(&state, &key).await?;
    check_origin(&state, &channel, &headers)?;
    let visitor = visitor_of(&state, &channel, visitor_token(&headers)).await?;
    let messages = match conversation_of(&state, &channel, visitor).await? {
        Some(conv) => entries_after(&state, &channel, conv, q.after.max(0)).await?,
        None => Vec::new(),
    };
    let cursor = messages.last().map_or(q.after.max(0), |m| m.entry.id);
    Ok(Json(HistoryResponse { messages, cursor }))
}

/// `GET /stream?token=…&after=…`: replies as server-sent events, each a
/// transcript entry; `Last-Event-ID` resumes after a reconnect.
async fn stream(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> ApiResult<Response> {
    let channel = widget(&state, &key).await?;
    check_origin(&state, &channel, &headers)?;
    let token = visitor_token(&headers).or(q.token);
    let visitor = visitor_of(&state, &channel, token).await?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let mut cursor = resume.unwrap_or(q.after).max(0);
    let Some(slot) = state.webchat.open_stream(visitor) else {
        metrics::counter!("webchat_limited_total", "what" => "streams").increment(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "This chat is open in too many windows. Close one and try again.",
        )
        .retry_after(Duration::from_secs(5)));
    };
    let events = async_stream(move |tx| async move {
        // Counted as open until this task ends.
        let _slot = slot;
        let mut conv = None;
        // Until the visitor's first turn makes their conversation, the
        // stream waits to be told of it rather than asking the database;
        // then it waits on the conversation.
        let mut wake = state
            .engine
            .live()
            .subscribe_user(&visitor_user(&channel, visitor));
        loop {
            if conv.is_none() {
                conv = conversation_of(&state, &channel, visitor)
                    .await
                    .ok()
                    .flatten();
                if let Some(c) = conv {
                    wake = state.engine.live().subscribe(c);
                }
            }
            if let Some(c) = conv {
                match entries_after(&state, &channel, c, cursor).await {
                    Ok(entries) => {
                        for e in entries {
                            cursor = e.entry.id;
                            let data = serde_json::to_string(&e).unwrap_or_default();
                            if tx
                                .send(Event::default().id(cursor.to_string()).data(data))
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                    Err(_) => return,
                }
            }
            // Woken by the runner of this instance, or of another one
            // through the database's announcements (PostgreSQL); the timeout
            // catches an announcement lost while reconnecting.
            // Also wakes when the page goes away, so a closed stream frees
            // its place at once.
            tokio::select! {
                _ = tokio::time::timeout(Duration::from_secs(10), wake.recv()) => {}
                _ = tx.closed() => {}
            }
            if tx.is_closed() {
                return;
            }
        }
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// A stream fed by a task through a channel; the task stops when the client
/// goes away.
pub(crate) fn async_stream<F, Fut>(
    f: F,
) -> impl futures_util::Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Event>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(32);
    tokio::spawn(f(tx));
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|o| o.map(Ok)))
}

/// CORS for the visitor API, for merchants calling it from their own pages:
/// only the widget's allowed origins get the headers.
pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string);
    // Nested routers see their own part of the path; the key is in the original.
    let path = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().path().to_string(), |u| u.path().to_string());
    let key = path
        .strip_prefix("/api/webchat/")
        .and_then(|rest| rest.split('/').next())
        .map(str::to_string);
    let allowed = match (&origin, &key) {
        (Some(origin), Some(key)) => match state.store.channel_by_external(Channel::Web, key).await
        {
            Ok(Some(ch)) => allowed_origins(&ch).iter().any(|o| o == origin),
            _ => false,
        },
        _ => false,
    };
    let mut res = next.run(req).await;
    if allowed && let Some(origin) = origin {
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&origin) {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, last-event-id"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    res
}

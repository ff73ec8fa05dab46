//! A fake Graph API send endpoint for the fault suite, faulty at the HTTP
//! and at the socket level: it hangs, resets the connection, answers 5xx
//! or 429 with `Retry-After`, refuses connections while it is down, and
//! (for the ambiguous failures of item 7) accepts a message and then fails
//! the call. It records every message it accepted, with its recipient.
//!
//! Faults are drawn per call from a seeded mix, so a run can be repeated.
//! A fault marked "before" leaves no trace: Meta never saw the message.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the fake does with one call instead of accepting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// No answer for longer than the server's call timeout; not accepted.
    Hang,
    /// The connection is reset without an answer; not accepted.
    Reset,
    /// HTTP 500 with a Graph error body (code 2, "service temporarily
    /// unavailable"); not accepted.
    Error5xx,
    /// HTTP 503 with no body; not accepted.
    Bare503,
    /// HTTP 429 with `Retry-After: 1` and Meta's code 613; not accepted.
    TooMany,
    /// Accepted, then answered with a 500: an ambiguous failure.
    AcceptThen5xx,
    /// Accepted, then the connection is reset: an ambiguous failure.
    AcceptThenReset,
}

impl Fault {
    /// A short name for the report.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Hang => "hang",
            Fault::Reset => "reset",
            Fault::Error5xx => "500",
            Fault::Bare503 => "503",
            Fault::TooMany => "429",
            Fault::AcceptThen5xx => "accept+500",
            Fault::AcceptThenReset => "accept+reset",
        }
    }
}

/// One message the fake accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The recipient (Messenger PSID or WhatsApp id).
    pub to: String,
    /// The body without its recipient.
    pub body: Value,
    /// When it was accepted.
    pub at: Instant,
}

/// Which faults to inject, with what probability each, and at most how
/// many hangs (each holds a send for the server's whole call timeout).
#[derive(Debug, Clone, Default)]
pub struct Mix {
    /// `(fault, probability)`; the rest of the calls succeed.
    pub faults: Vec<(Fault, f64)>,
    /// At most this many hangs.
    pub max_hangs: u64,
}

struct Shared {
    accepted: Mutex<Vec<Accepted>>,
    mix: Mutex<(Mix, StdRng)>,
    injected: Mutex<HashMap<Fault, u64>>,
    calls: AtomicU64,
    refused: AtomicU64,
    hangs: AtomicU64,
    hang_for: Duration,
    /// Bumped when the fake goes down: older connections are cut.
    epoch: Arc<AtomicU64>,
    down: watch::Sender<bool>,
    /// Where to send the echo of each accepted Messenger message.
    echo_to: Mutex<Option<String>>,
    http: reqwest::Client,
}

/// The fake; cheap to clone.
#[derive(Clone)]
pub struct Graph {
    /// Its base URL, for `META_GRAPH_URL`.
    pub url: String,
    shared: Arc<Shared>,
}

impl Graph {
    /// Starts the fake on a free port. A hang lasts `hang_for`.
    pub async fn start(seed: u64, hang_for: Duration) -> Graph {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (down, down_rx) = watch::channel(false);
        let epoch = Arc::new(AtomicU64::new(0));
        let shared = Arc::new(Shared {
            accepted: Mutex::default(),
            mix: Mutex::new((Mix::default(), StdRng::seed_from_u64(seed))),
            injected: Mutex::default(),
            calls: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            hangs: AtomicU64::new(0),
            hang_for,
            epoch: epoch.clone(),
            down,
            echo_to: Mutex::default(),
            http: reqwest::Client::new(),
        });
        let app = axum::Router::new()
            .route("/{account}/messages", axum::routing::post(messages))
            .route("/me", axum::routing::get(me))
            .route("/{account}", axum::routing::get(number))
            .with_state(shared.clone());
        let listener = Faulty {
            listener: Some(listener),
            addr,
            down: down_rx,
            epoch,
        };
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<Conn>())
                .await
                .unwrap()
        });
        Graph {
            url: format!("http://{addr}"),
            shared,
        }
    }

    /// Replaces the fault mix.
    pub fn set_mix(&self, mix: Mix) {
        self.shared.mix.lock().unwrap().0 = mix;
    }

    /// Sends Messenger's echo of every accepted message to the server at
    /// `base` as a signed webhook, as Meta does for a page subscribed to
    /// `message_echoes`; resent until acknowledged.
    pub fn echo_to(&self, base: &str) {
        *self.shared.echo_to.lock().unwrap() = Some(format!("{base}/webhooks/messenger"));
    }

    /// Takes the fake down (connections refused, open ones cut) or back up.
    pub fn set_down(&self, down: bool) {
        if down {
            self.shared.epoch.fetch_add(1, Ordering::SeqCst);
        }
        self.shared.down.send_replace(down);
    }

    /// Every message accepted so far.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.shared.accepted.lock().unwrap().clone()
    }

    /// Calls received, faults injected by kind, and connections refused
    /// or cut while down.
    pub fn stats(&self) -> (u64, HashMap<Fault, u64>, u64) {
        (
            self.shared.calls.load(Ordering::SeqCst),
            self.shared.injected.lock().unwrap().clone(),
            self.shared.refused.load(Ordering::SeqCst),
        )
    }
}

/// The one page or number every token owns: the ownership check at connect.
async fn me() -> Response {
    Json(json!({"id": super::PAGE, "name": "Faults Shop"})).into_response()
}

async fn number(Path(id): Path<String>) -> Response {
    Json(json!({"verified_name": "Faults Shop", "display_phone_number": "+1 555-010-0000", "id": id, "quality_rating": "GREEN"}))
        .into_response()
}

fn graph_error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "F"}})),
    )
        .into_response()
}

async fn messages(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    Path(_account): Path<String>,
    Json(mut body): Json<Value>,
) -> Response {
    let n = shared.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let fault = {
        let mut g = shared.mix.lock().unwrap();
        let (mix, rng) = &mut *g;
        let roll: f64 = rng.r#gen();
        let mut acc = 0.0;
        let mut chosen = None;
        for (fault, p) in &mix.faults {
            acc += p;
            if roll < acc {
                chosen = Some(*fault);
                break;
            }
        }
        if chosen == Some(Fault::Hang) {
            if shared.hangs.load(Ordering::SeqCst) >= mix.max_hangs {
                chosen = None;
            } else {
                shared.hangs.fetch_add(1, Ordering::SeqCst);
            }
        }
        chosen
    };
    if let Some(f) = fault {
        *shared.injected.lock().unwrap().entry(f).or_default() += 1;
    }
    let accept = |body: &mut Value| {
        echo(&shared, body, n);
        let to = body["recipient"]["id"]
            .as_str()
            .or(body["to"].as_str())
            .or(body["recipient"].as_str())
            .unwrap_or_default()
            .to_string();
        if let Some(o) = body.as_object_mut() {
            o.remove("recipient");
            o.remove("to");
        }
        shared.accepted.lock().unwrap().push(Accepted {
            to: to.clone(),
            body: body.clone(),
            at: Instant::now(),
        });
        to
    };
    match fault {
        Some(Fault::Hang) => {
            tokio::time::sleep(shared.hang_for).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some(Fault::Reset) => conn.cut(),
        Some(Fault::Error5xx) => graph_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            2,
            "Service temporarily unavailable",
        ),
        Some(Fault::Bare503) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Some(Fault::TooMany) => {
            let mut res = graph_error(
                StatusCode::TOO_MANY_REQUESTS,
                613,
                "Calls to this api have exceeded the rate limit.",
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, "1".parse().unwrap());
            res
        }
        Some(Fault::AcceptThen5xx) => {
            accept(&mut body);
            graph_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                2,
                "Service temporarily unavailable",
            )
        }
        Some(Fault::AcceptThenReset) => {
            accept(&mut body);
            conn.cut()
        }
        None => {
            let whatsapp = body.get("messaging_product").is_some();
            let to = accept(&mut body);
            if whatsapp {
                Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": format!("wamid.FAULTS{n}")}]})).into_response()
            } else {
                Json(json!({"recipient_id": to, "message_id": format!("m_faults_{n}")}))
                    .into_response()
            }
        }
    }
}

/// Posts the echo of an accepted Messenger message (not of a sender
/// action), carrying its `metadata`, until the server acknowledges it.
fn echo(shared: &Shared, body: &Value, n: u64) {
    let Some(url) = shared.echo_to.lock().unwrap().clone() else {
        return;
    };
    if body.get("messaging_product").is_some() || body.get("message").is_none() {
        return;
    }
    let psid = body["recipient"]["id"].as_str().unwrap_or_default();
    let ts = super::now_ms();
    let mut message = body["message"].clone();
    message["is_echo"] = json!(true);
    message["app_id"] = json!(1517776481860111_i64);
    message["mid"] = json!(format!("m_faults_{n}"));
    let hook = json!({"object": "page", "entry": [{"id": super::PAGE, "time": ts, "messaging": [
        {"sender": {"id": super::PAGE}, "recipient": {"id": psid}, "timestamp": ts, "message": message}
    ]}]});
    let raw = serde_json::to_vec(&hook).unwrap();
    let sig = server::http::webhooks::sign(super::APP_SECRET, &raw);
    let http = shared.http.clone();
    tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(120);
        tokio::time::sleep(Duration::from_millis(20)).await;
        while Instant::now() < deadline {
            let res = http
                .post(&url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", &sig)
                .body(raw.clone())
                .send()
                .await;
            if res.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
}

/// The connection a request came on, which the handler can cut.
#[derive(Clone)]
struct Conn(Arc<AtomicBool>);

impl Conn {
    /// Cuts the connection: the answer is never written, the socket is
    /// reset.
    fn cut(&self) -> Response {
        self.0.store(true, Ordering::SeqCst);
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, Faulty>> for Conn {
    fn connect_info(stream: IncomingStream<'_, Faulty>) -> Conn {
        Conn(stream.io().cut.clone())
    }
}

/// A listener that closes its socket while the fake is down, so
/// connecting is refused, and hands out connections that can be cut.
struct Faulty {
    listener: Option<TcpListener>,
    addr: SocketAddr,
    down: watch::Receiver<bool>,
    epoch: Arc<AtomicU64>,
}

impl Listener for Faulty {
    type Io = CutIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (CutIo, SocketAddr) {
        loop {
            let Some(listener) = &self.listener else {
                until(&mut self.down, false).await;
                // The port was ours a moment ago; retry briefly if the
                // kernel has not let go of it.
                loop {
                    match TcpListener::bind(self.addr).await {
                        Ok(l) => {
                            self.listener = Some(l);
                            break;
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
                continue;
            };
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, addr)) => {
                        let _ = stream.set_nodelay(true);
                        let io = CutIo {
                            stream,
                            cut: Arc::default(),
                            epoch: self.epoch.load(Ordering::SeqCst),
                            current: self.epoch.clone(),
                        };
                        return (io, addr);
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                },
                _ = until(&mut self.down, true) => {
                    // Closing the socket makes new connections refused.
                    self.listener = None;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// Waits until the fake's state is `down`.
async fn until(rx: &mut watch::Receiver<bool>, down: bool) {
    loop {
        let now = *rx.borrow_and_update();
        if now == down || rx.changed().await.is_err() {
            return;
        }
    }
}

/// A connection that fails every read and write once cut (or once the
/// fake went down after it was opened), and then resets the socket.
struct CutIo {
    stream: TcpStream,
    cut: Arc<AtomicBool>,
    epoch: u64,
    current: Arc<AtomicU64>,
}

impl CutIo {
    fn check(&self) -> io::Result<()> {
        if self.cut.load(Ordering::SeqCst) || self.current.load(Ordering::SeqCst) != self.epoch {
            // Closing now sends an RST rather than a FIN.
            let _ = self.stream.set_zero_linger();
            return Err(io::Error::from(io::ErrorKind::ConnectionReset));
        }
        Ok(())
    }
}

impl AsyncRead for CutIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for CutIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

//! What the engineer on call relies on: `/healthz`, `/metrics`, structured
//! logs with a span per request, graceful shutdown and periodic cleanup.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;

use crate::state::AppState;
use crate::store::Store;

/// Installs the log subscriber; `filter` is a `tracing` directive string.
pub fn init_tracing(filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Another recorder may already be installed (in tests); this handle
        // still renders what this recorder sees.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// `GET /healthz`: 200 when the database answers within two seconds, else 503.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database error");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("health check: database timed out");
            unavailable()
        }
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({"status": "unavailable", "reason": "database"})),
    )
        .into_response()
}

/// `GET /metrics`: Prometheus text format; with `BOTME_METRICS_TOKEN` set,
/// only for requests that carry it as a bearer token.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = state.metrics_token.as_deref() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
                "The metrics need the token set in BOTME_METRICS_TOKEN.\n",
            )
                .into_response();
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        prometheus().render(),
    )
        .into_response()
}

/// Middleware: counts requests and their latency per route template.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    prometheus();
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    res
}

/// A span per request carrying method, path and a request id, with the
/// response status and latency logged at the end.
pub fn trace_layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, impl Fn(&Request) -> tracing::Span + Clone>
{
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            tracing::info_span!(
                "request",
                id,
                method = %req.method(),
                path = %req.uri().path(),
            )
        })
        .on_response(
            tower_http::trace::DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(tower_http::LatencyUnit::Micros),
        )
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// How long handled webhook events are kept: well past Meta's 7 days of
/// retries.
const INBOX_KEPT_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Every ten minutes: deletes expired browser sessions, and inbox rows and
/// receipts older than [`INBOX_KEPT_MS`].
pub fn spawn_housekeeping(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match store.delete_expired_sessions().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
            }
            match store
                .queue()
                .prune_inbox(crate::store::now_ms() - INBOX_KEPT_MS)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "old inbox rows and receipts removed"),
                Err(e) => tracing::warn!(error = %e, "inbox cleanup failed"),
            }
            match store
                .prune_visitors(crate::store::now_ms() - VISITORS_KEPT_MS)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "silent web-chat visitors removed"),
                Err(e) => tracing::warn!(error = %e, "visitor cleanup failed"),
            }
        }
    });
}

/// How long a web-chat visitor who never wrote is kept: a day.
pub const VISITORS_KEPT_MS: i64 = 24 * 60 * 60 * 1000;

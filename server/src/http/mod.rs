//! The HTTP layer: every route Botme answers, in the shape
//! extract → one [`crate::service`] call → answer.
//!
//! - [`api`]: REST handlers under `/api/v1` and the OpenAPI document.
//! - [`forms`]: the pages' HTML form posts, per area.
//! - [`pages`]: the Leptos integration and the data the pages load.
//! - [`webhooks`]: Meta's Messenger and WhatsApp webhooks.
//! - [`webchat`]: the web-chat widget's script, page and JSON routes.
//! - [`order_page`]: the hosted order page behind a chat's link.
//! - [`auth`]: the middleware that resolves each request's principal, the
//!   Origin check, and the extractors for the signed-in principal.
//! - [`extract`]: extractors that fail with the API's error shape.
//! - [`error`]: how an error is written on the wire, and its OpenAPI shape.
//! - [`escape`]: the one HTML escaper of hand-written pages.
//!
//! [`router`] builds the whole application from an [`AppState`], so tests
//! drive it without a socket; [`serve`] serves it on a listener.

pub mod api;
pub mod auth;
pub mod error;
pub mod escape;
pub mod extract;
pub mod forms;
pub mod order_page;
pub mod pages;
pub mod webchat;
pub mod webhooks;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::ops;
use crate::state::AppState;
use crate::store::SessionStoreImpl;

/// The most any route may accept in a request body, unless
/// `BOTME_MAX_BODY_BYTES` is set higher.
///
/// Body limits come in two tiers:
/// - Every request, however its handler reads the body (extractors, server
///   functions, a raw stream), is cut off at this ceiling by tower-http's
///   `RequestBodyLimitLayer` around the whole router.
/// - Below it, axum's `DefaultBodyLimit` sets each route's own limit:
///   `BOTME_MAX_BODY_BYTES` for all, raised for one route by layering
///   `DefaultBodyLimit::max(n)` onto that route (flow drafts, CSV imports,
///   webhooks do; see `api::routes`, `forms::routes`, `pages::routes`).
///   Leptos server functions read their bodies through it too.
///
/// The ceiling in force is the largest of this, the webhooks' limit and
/// `BOTME_MAX_BODY_BYTES`; any other route that needs more must raise it
/// here as well.
pub const BODY_CEILING_BYTES: usize = 4 * 1024 * 1024;

/// Refuses a body whose declared length is over `ceiling` before anything
/// reads it, with the API's JSON error (tower-http's own answer is plain
/// text). Bodies without a length are cut off as they arrive.
async fn refuse_declared_oversize(
    ceiling: usize,
    req: axum::extract::Request,
    next: Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > ceiling as u64) {
        return extract::too_large().into_response();
    }
    next.run(req).await
}

/// The whole application. Tests call this and drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let ceiling = BODY_CEILING_BYTES
        .max(webhooks::MAX_WEBHOOK_BYTES)
        .max(state.max_body_bytes);
    let sessions = SessionManagerLayer::new(SessionStoreImpl::new(state.store.clone()))
        .with_name("botme_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));

    // Everything that knows who is asking: pages, forms, server functions
    // and the REST API.
    let app = Router::new()
        .nest("/api/v1", api::routes())
        .merge(forms::routes())
        .merge(pages::routes(&state))
        .layer(from_fn(pages::guard))
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn_with_state(state.clone(), auth::check_origin))
        .layer(sessions);

    let pkg_cache = HeaderValue::from_static(if state.leptos.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=0, must-revalidate"
    });
    let pkg = tower::ServiceBuilder::new()
        .map_response(move |mut res: axum::response::Response<_>| {
            // Only a file found may be cached; a 404 must not stick for a
            // year once the file appears.
            let found = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
            let value = if found {
                pkg_cache.clone()
            } else {
                HeaderValue::from_static("no-store")
            };
            res.headers_mut().insert(header::CACHE_CONTROL, value);
            res
        })
        .service(ServeDir::new(
            std::path::Path::new(&*state.leptos.site_root).join("pkg"),
        ));

    Router::new()
        .merge(webhooks::routes())
        .merge(webchat::routes(&state))
        .route("/healthz", axum::routing::get(ops::healthz))
        .route("/metrics", axum::routing::get(ops::metrics))
        .route("/o/{token}", axum::routing::get(order_page::show))
        .nest_service("/pkg", pkg)
        .merge(app)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .route_layer(from_fn(ops::track_metrics))
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(ceiling))
        .layer(from_fn(move |req: axum::extract::Request, next: Next| {
            refuse_declared_oversize(ceiling, req, next)
        }))
        .layer(CompressionLayer::new())
        .layer(ops::trace_layer())
        .with_state(state)
}

/// Serves `app` on `listener` with TCP_NODELAY until a shutdown signal.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> anyhow::Result<()> {
    axum::serve(
        with_nodelay(listener),
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(ops::shutdown_signal())
    .await
    .context("serving")
}

/// `listener`, setting TCP_NODELAY on every socket it accepts. Without it,
/// Nagle's algorithm meets delayed ACKs and small responses wait ~40 ms
/// each.
pub fn with_nodelay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn nodelay(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    }
    listener.tap_io(nodelay as fn(&mut tokio::net::TcpStream))
}

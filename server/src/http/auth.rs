//! Who is asking: the middleware that turns a session cookie or a bearer
//! token into a [`Principal`] before any handler runs, the Origin check,
//! and the extractors that hand handlers the principal: [`Auth`] for the
//! REST API (401 without one) and [`SignedIn`] for the pages' forms (a
//! redirect to the login page without one). [`principal`] is the one place
//! either reads it from.

use app::model::ErrorCode;
use std::net::{IpAddr, SocketAddr};

use app::model::{AuthVia, Principal, Role};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::auth::{SESSION_USER, SESSION_WORKSPACE, hash_token};
use crate::http::error::{ApiError, ApiResult};
use crate::service::workspace_for_login;
use crate::state::AppState;
use crate::store::{UserId, WorkspaceId, now_ms};

/// The client's address, when the server knows it: the peer's, or, when
/// the peer is a trusted proxy (`BOTME_TRUSTED_PROXIES`), the address it
/// forwarded (see [`forwarded_client`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip());
        Ok(ClientIp(peer.map(|peer| {
            forwarded_client(peer, &parts.headers, &state.trusted_proxies)
        })))
    }
}

/// The client behind `peer`. A proxy appends the address it received from
/// to `X-Forwarded-For`, so the list is read from the right: each entry
/// added by a trusted proxy is believed, and the first address that is not
/// a trusted proxy is the client. What the client itself wrote at the left
/// is never believed. A request that did not come from a trusted proxy is
/// from its peer, whatever it says.
pub fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let canonical = |ip: IpAddr| ip.to_canonical();
    let mut client = canonical(peer);
    if !is_trusted(&client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Unreadable: nothing left of it can be believed.
            break;
        };
        client = canonical(ip);
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// An `X-Forwarded-For` entry: an address, maybe with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Middleware: resolves the principal and stores it in the request's
/// extensions. A malformed or unknown bearer token is refused here with 401.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match resolve(&state, req.headers(), req.extensions().get::<Session>()).await {
        Ok(Some(p)) => {
            req.extensions_mut().insert(p);
        }
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    next.run(req).await
}

fn invalid_token() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidToken,
        "The API token is not valid. It may have been revoked; create a new one in Settings.",
    )
}

async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    session: Option<&Session>,
) -> ApiResult<Option<Principal>> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(invalid_token)?;
        let row = state
            .store
            .token_by_hash(&hash_token(secret))
            .await?
            .ok_or_else(invalid_token)?;
        // Recording every use would turn each read into a write.
        if row.last_used_at.is_none_or(|t| now_ms() - t > 60_000) {
            state
                .store
                .workspace(row.workspace_id)
                .touch_token(row.id)
                .await?;
        }
        return Ok(Some(Principal {
            user_id: None,
            email: None,
            workspace_id: row.workspace_id.0,
            workspace_name: row.workspace_name,
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
            via: AuthVia::Token,
            token_id: Some(row.id.0),
        }));
    }
    let Some(session) = session else {
        return Ok(None);
    };
    let Some(user_id) = session
        .get::<i64>(SESSION_USER)
        .await
        .map_err(|e| ApiError::internal(&e))?
    else {
        return Ok(None);
    };
    let Some(user) = state.store.user(UserId(user_id)).await? else {
        // The account is gone: end the session.
        session.flush().await.map_err(|e| ApiError::internal(&e))?;
        return Ok(None);
    };
    let chosen = session
        .get::<i64>(SESSION_WORKSPACE)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let membership = match chosen {
        Some(ws) => state.store.membership(user.id, WorkspaceId(ws)).await?,
        None => None,
    };
    let membership = match membership {
        Some(m) => m,
        None => {
            // Removed from that workspace meanwhile: fall back to another.
            let m = workspace_for_login(state, user.id, user.last_workspace_id).await?;
            session
                .insert(SESSION_WORKSPACE, m.workspace_id.0)
                .await
                .map_err(|e| ApiError::internal(&e))?;
            m
        }
    };
    Ok(Some(Principal {
        user_id: Some(user.id.0),
        email: Some(user.email),
        workspace_id: membership.workspace_id.0,
        role: membership.role(),
        workspace_name: membership.workspace_name,
        via: AuthVia::Session,
        token_id: None,
    }))
}

/// The principal the middleware resolved for this request, if any.
pub fn principal(extensions: &axum::http::Extensions) -> Option<Principal> {
    extensions.get::<Principal>().cloned()
}

/// Extractor: the request's principal, or 401.
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        principal(&parts.extensions)
            .map(Auth)
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// The signed-in person behind a session cookie: a principal with a user,
/// never an API token's.
pub fn signed_in(extensions: &axum::http::Extensions) -> Option<Principal> {
    principal(extensions).filter(|p| p.via == AuthVia::Session)
}

/// Extractor for the pages' forms: the signed-in person (see
/// [`signed_in`]), or a redirect (303) to the login page.
pub struct SignedIn(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        signed_in(&parts.extensions)
            .map(SignedIn)
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

/// Extractor: the signed-in person if there is one (see [`signed_in`]),
/// for routes that treat visitors differently rather than refuse them.
pub struct MaybeSignedIn(pub Option<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeSignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeSignedIn(signed_in(&parts.extensions)))
    }
}

/// Middleware: refuses state-changing requests whose `Origin` is another
/// site, so a page elsewhere cannot act with a visitor's session cookie.
/// Requests without `Origin` (scripts, API clients) pass; the SameSite
/// cookie already keeps browsers from sending the session cross-site.
pub async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let origin = origin.to_str().unwrap_or("null");
        let same_host = host.is_some_and(|h| {
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h))
        });
        if !same_host && origin != &*state.public_url {
            return ApiError::forbidden("This request came from another website and was refused.")
                .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use axum::http::HeaderMap;
    use std::net::IpAddr;

    fn client(peer: &str, forwarded: &[&str], trusted: &[&str]) -> String {
        let mut headers = HeaderMap::new();
        for f in forwarded {
            headers.append("x-forwarded-for", f.parse().unwrap());
        }
        let trusted: Vec<ipnet::IpNet> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        forwarded_client(peer.parse::<IpAddr>().unwrap(), &headers, &trusted).to_string()
    }

    #[test]
    fn only_trusted_proxies_name_the_client() {
        // Nobody trusted: the peer, whatever it claims.
        assert_eq!(client("203.0.113.7", &["198.51.100.1"], &[]), "203.0.113.7");
        // An untrusted peer claiming to forward.
        assert_eq!(
            client("203.0.113.7", &["198.51.100.1"], &["10.0.0.0/8"]),
            "203.0.113.7"
        );
        // A trusted proxy: the address it appended.
        assert_eq!(
            client("10.0.0.2", &["198.51.100.1"], &["10.0.0.0/8"]),
            "198.51.100.1"
        );
        // What the client wrote at the left is not believed.
        assert_eq!(
            client("10.0.0.2", &["1.2.3.4, 198.51.100.1"], &["10.0.0.0/8"]),
            "198.51.100.1"
        );
        // A chain of trusted proxies, across several header lines.
        assert_eq!(
            client(
                "10.0.0.2",
                &["1.2.3.4, 198.51.100.1", "10.0.0.9"],
                &["10.0.0.0/8"]
            ),
            "198.51.100.1"
        );
        // Ports and IPv4 in IPv6 are read; garbage stops the walk.
        assert_eq!(
            client("::ffff:10.0.0.2", &["198.51.100.1:5555"], &["10.0.0.0/8"]),
            "198.51.100.1"
        );
        assert_eq!(
            client("10.0.0.2", &["198.51.100.1, nonsense"], &["10.0.0.0/8"]),
            "10.0.0.2"
        );
        // A trusted proxy that forwarded nothing is the client.
        assert_eq!(client("10.0.0.2", &[], &["10.0.0.0/8"]), "10.0.0.2");
    }
}

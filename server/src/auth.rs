//! Who is asking: password hashing, API tokens, the login throttle, and the
//! middleware that turns a session cookie or a bearer token into a
//! [`Principal`] before any handler runs.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::{AuthVia, Flash, Principal, Role};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tower_sessions::Session;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::{MembershipRow, UserId, WorkspaceId, now_ms};

/// Session key of the signed-in user's id.
pub const SESSION_USER: &str = "user_id";
/// Session key of the workspace the user acts in.
pub const SESSION_WORKSPACE: &str = "workspace_id";
/// Session key of the one-time flash message.
pub const SESSION_FLASH: &str = "flash";

/// Hashes and verifies passwords with argon2id on the blocking pool, at most
/// as many at once as there are cores, so a burst of logins cannot starve the
/// async workers.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the email is
    /// unknown so that both cases take the same time.
    dummy: Arc<String>,
}

impl Passwords {
    /// Prepares the hasher (computes the dummy hash once).
    pub fn new() -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let random: [u8; 16] = rand::random();
        let dummy = hash_blocking(&hex::encode(random))?;
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::new(dummy),
        })
    }

    /// The PHC string of an argon2id hash of `password`.
    pub async fn hash(&self, password: String) -> ApiResult<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::internal(&e))?;
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(|e| ApiError::internal(&e))?
            .map_err(|e| ApiError::internal(&e))
    }

    /// Whether `password` matches `hash`; with no hash (unknown email) it does
    /// the same work against a dummy and answers `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ApiResult<bool> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .map_err(|e| ApiError::internal(&e))?;
        Ok(known && ok)
    }
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// A new API token: the secret (shown once), its SHA-256 (stored) and a
/// display prefix.
pub struct NewToken {
    /// `bm_` followed by 43 base64url characters (256 random bits).
    pub secret: String,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    /// The first ten characters, for telling tokens apart.
    pub prefix: String,
}

impl NewToken {
    /// Draws a fresh token.
    pub fn generate() -> NewToken {
        let bytes: [u8; 32] = rand::random();
        let secret = format!(
            "bm_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        NewToken {
            hash: hash_token(&secret),
            prefix: secret.chars().take(10).collect(),
            secret,
        }
    }
}

/// Hex SHA-256 of a token secret. Tokens carry 256 random bits, so a fast
/// hash is enough; lookups go by this value.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Limits repeated failed logins per email and per client address.
///
/// Kept in memory: with several instances each enforces its own limit, which
/// still bounds guessing to a small multiple of the limit.
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    per_email: usize,
    per_ip: usize,
    window: Duration,
}

impl LoginThrottle {
    /// `per_email` and `per_ip` failures are allowed within `window`.
    pub fn new(per_email: usize, per_ip: usize, window: Duration) -> Self {
        LoginThrottle {
            failures: Mutex::new(HashMap::new()),
            per_email,
            per_ip,
            window,
        }
    }

    fn keys(email: &str, ip: Option<IpAddr>) -> (String, Option<String>) {
        (format!("email:{email}"), ip.map(|ip| format!("ip:{ip}")))
    }

    /// `Err(wait)` when this email or address must wait before trying again.
    pub fn check(&self, email: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let (email_key, ip_key) = Self::keys(email, ip);
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in [(Some(email_key), self.per_email), (ip_key, self.per_ip)] {
            let Some(times) = key.and_then(|k| map.get(&k)) else {
                continue;
            };
            let recent: Vec<&Instant> = times
                .iter()
                .filter(|t| now.duration_since(**t) < self.window)
                .collect();
            if recent.len() >= limit {
                // Free again when the oldest failure that counts leaves the window.
                let oldest = recent[recent.len() - limit];
                wait = wait.max(self.window.saturating_sub(now.duration_since(*oldest)));
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Counts a failed attempt.
    pub fn record_failure(&self, email: &str, ip: Option<IpAddr>, now: Instant) {
        let (email_key, ip_key) = Self::keys(email, ip);
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < self.window));
        }
        for key in [Some(email_key), ip_key].into_iter().flatten() {
            let times = map.entry(key).or_default();
            times.retain(|t| now.duration_since(*t) < self.window);
            times.push(now);
        }
    }

    /// Forgets an email's failures after a successful login.
    pub fn clear(&self, email: &str) {
        let (email_key, _) = Self::keys(email, None);
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&email_key);
    }
}

/// The client address of a request, when the server knows it.
pub fn client_ip(parts_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
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
        "invalid_token",
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
            state.store.touch_token(row.workspace_id, row.id).await?;
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

/// The workspace a user lands in: the last one used if still a member, else
/// the first by name. A user who belongs to none gets a fresh workspace, so
/// every signed-in user always has somewhere to work.
pub async fn workspace_for_login(
    state: &AppState,
    user: UserId,
    last: Option<WorkspaceId>,
) -> ApiResult<MembershipRow> {
    if let Some(ws) = last
        && let Some(m) = state.store.membership(user, ws).await?
    {
        return Ok(m);
    }
    if let Some(m) = state.store.memberships(user).await?.into_iter().next() {
        return Ok(m);
    }
    let ws = state.store.create_workspace(user, "My workspace").await?;
    state
        .store
        .membership(user, ws)
        .await?
        .ok_or_else(|| ApiError::internal(&"new workspace has no membership"))
}

/// Extractor: the request's principal, or 401.
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Auth)
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// Fails with 403 unless the principal holds at least `role`; `doing` names
/// the action in the message ("change bots").
pub fn require(p: &Principal, role: Role, doing: &str) -> ApiResult<()> {
    if p.can(role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "As {} of this workspace you cannot {doing}. Ask an owner for a different role.",
            match p.role {
                Role::Viewer => "a viewer",
                Role::Editor => "an editor",
                Role::Owner => "an owner",
            }
        )))
    }
}

/// The principal's workspace as a store id.
pub fn workspace(p: &Principal) -> WorkspaceId {
    WorkspaceId(p.workspace_id)
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

/// Leaves a one-time message for the next page view.
pub async fn set_flash(session: &Session, flash: Flash) -> ApiResult<()> {
    session
        .insert(SESSION_FLASH, flash)
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// Takes the flash message, if any, out of the session.
pub async fn take_flash(session: &Session) -> ApiResult<Flash> {
    Ok(session
        .remove::<Flash>(SESSION_FLASH)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = NewToken::generate();
        let b = NewToken::generate();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with("bm_"));
        assert_eq!(a.secret.len(), 46);
        assert_eq!(a.hash, hash_token(&a.secret));
        assert_eq!(a.hash.len(), 64);
        assert!(a.secret.starts_with(&a.prefix));
    }

    #[test]
    fn throttle_blocks_after_the_limit_and_frees_after_the_window() {
        let t = LoginThrottle::new(3, 10, Duration::from_secs(60));
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        let start = Instant::now();
        for i in 0..3 {
            assert!(t.check("a@x.io", ip, start).is_ok(), "attempt {i}");
            t.record_failure("a@x.io", ip, start + Duration::from_secs(i));
        }
        let wait = t
            .check("a@x.io", ip, start + Duration::from_secs(3))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(57));
        // Another email from the same address is still allowed.
        assert!(t.check("b@x.io", ip, start).is_ok());
        // The oldest failure leaves the window after 60 s.
        assert!(
            t.check("a@x.io", ip, start + Duration::from_secs(60))
                .is_ok()
        );
        t.clear("a@x.io");
        assert!(
            t.check("a@x.io", None, start + Duration::from_secs(3))
                .is_ok()
        );
    }

    #[test]
    fn throttle_limits_one_address_across_emails() {
        let t = LoginThrottle::new(100, 2, Duration::from_secs(60));
        let ip: Option<IpAddr> = Some("10.0.0.2".parse().unwrap());
        let now = Instant::now();
        t.record_failure("a@x.io", ip, now);
        t.record_failure("b@x.io", ip, now);
        assert!(t.check("c@x.io", ip, now).is_err());
        assert!(t.check("c@x.io", None, now).is_ok());
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let p = Passwords::new().unwrap();
        let hash = p.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            p.verify("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !p.verify("wrong horse battery".into(), Some(hash))
                .await
                .unwrap()
        );
        // Unknown user: the dummy is checked, the answer is always no.
        assert!(!p.verify("anything".into(), None).await.unwrap());
    }
}

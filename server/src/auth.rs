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
/// Every attempt is counted as a failure *before* its password is checked
/// ([`LoginThrottle::reserve`]) and taken back only when it succeeds, so
/// guesses sent in parallel cannot all pass the check while the first ones
/// are still being verified.
///
/// Memory stays bounded whatever is sent: an email is kept as a 16-byte
/// hash, not as the text, an IPv6 client by its /64 (one host usually holds
/// the whole block), and at most `max_keys` emails and addresses are kept.
/// When full, expired entries go first, then the idlest entries that are not
/// locked; a locked one is dropped only if every entry is locked.
///
/// Kept in memory: with several instances each enforces its own limit, which
/// still bounds guessing to a small multiple of the limit.
pub struct LoginThrottle {
    failures: Mutex<HashMap<ThrottleKey, Vec<Instant>>>,
    per_email: usize,
    per_ip: usize,
    window: Duration,
    max_keys: usize,
}

/// What a limit counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ThrottleKey {
    /// The first 16 bytes of the SHA-256 of the normalised email.
    Email([u8; 16]),
    /// An IPv4 address, or the /64 network of an IPv6 one.
    Client(IpAddr),
}

/// An attempt counted against the throttle while its password is checked.
/// Dropping it leaves it counted as a failure; hand it to
/// [`LoginThrottle::succeeded`] or [`LoginThrottle::cancel`] otherwise.
#[must_use = "an attempt stays counted as a failure unless settled"]
pub struct Attempt {
    email_key: ThrottleKey,
    ip_key: Option<ThrottleKey>,
    at: Instant,
}

type FailureMap = HashMap<ThrottleKey, Vec<Instant>>;

impl LoginThrottle {
    /// `per_email` and `per_ip` failures are allowed within `window`; at
    /// most 100,000 emails and addresses are tracked.
    pub fn new(per_email: usize, per_ip: usize, window: Duration) -> Self {
        LoginThrottle {
            failures: Mutex::new(HashMap::new()),
            per_email,
            per_ip,
            window,
            max_keys: 100_000,
        }
    }

    /// Tracks at most `max_keys` emails and addresses (at least 10).
    pub fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys.max(10);
        self
    }

    fn keys(email: &str, ip: Option<IpAddr>) -> (ThrottleKey, Option<ThrottleKey>) {
        let digest = Sha256::digest(email.as_bytes());
        let mut email_key = [0; 16];
        email_key.copy_from_slice(&digest[..16]);
        let client = ip.map(|ip| match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(std::net::Ipv6Addr::from(
                    u128::from(v6) & !((1u128 << 64) - 1),
                )),
            },
        });
        (
            ThrottleKey::Email(email_key),
            client.map(ThrottleKey::Client),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FailureMap> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn limit(&self, key: &ThrottleKey) -> usize {
        match key {
            ThrottleKey::Email(_) => self.per_email,
            ThrottleKey::Client(_) => self.per_ip,
        }
    }

    fn live(&self, times: &[Instant], now: Instant) -> usize {
        times
            .iter()
            .filter(|t| now.duration_since(**t) < self.window)
            .count()
    }

    fn wait(&self, map: &FailureMap, keys: [Option<ThrottleKey>; 2], now: Instant) -> Duration {
        let mut wait = Duration::ZERO;
        for key in keys.into_iter().flatten() {
            let Some(times) = map.get(&key) else {
                continue;
            };
            let limit = self.limit(&key);
            let mut recent: Vec<&Instant> = times
                .iter()
                .filter(|t| now.duration_since(**t) < self.window)
                .collect();
            recent.sort();
            if recent.len() >= limit {
                // Free again when the oldest failure that counts leaves the window.
                let oldest = recent[recent.len() - limit];
                wait = wait.max(self.window.saturating_sub(now.duration_since(*oldest)));
            }
        }
        wait
    }

    /// `Err(wait)` when this email or address must wait before trying again.
    /// Only looks; [`LoginThrottle::reserve`] is what login uses.
    pub fn check(&self, email: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let (email_key, ip_key) = Self::keys(email, ip);
        let wait = self.wait(&self.lock(), [Some(email_key), ip_key], now);
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Checks the limits and, when the attempt may go ahead, counts it as a
    /// failure in the same step. `Err(wait)` when it must wait instead.
    pub fn reserve(
        &self,
        email: &str,
        ip: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let (email_key, ip_key) = Self::keys(email, ip);
        let mut map = self.lock();
        let wait = self.wait(&map, [Some(email_key), ip_key], now);
        if !wait.is_zero() {
            return Err(wait);
        }
        for key in [Some(email_key), ip_key].into_iter().flatten() {
            if !map.contains_key(&key) {
                self.make_room(&mut map, now);
            }
            let limit = self.limit(&key);
            let times = map.entry(key).or_default();
            times.retain(|t| now.duration_since(*t) < self.window);
            times.push(now);
            // Only the newest `limit` failures decide anything.
            if times.len() > limit {
                times.sort();
                times.drain(..times.len() - limit);
            }
        }
        Ok(Attempt {
            email_key,
            ip_key,
            at: now,
        })
    }

    /// Frees at least one slot when the map is full.
    fn make_room(&self, map: &mut FailureMap, now: Instant) {
        if map.len() < self.max_keys {
            return;
        }
        map.retain(|_, times| self.live(times, now) > 0);
        if map.len() < self.max_keys {
            return;
        }
        // Still full of live entries: drop a tenth, those that matter least
        // first (not locked, then idle longest), so this runs rarely.
        let mut ranked: Vec<(bool, Instant, ThrottleKey)> = map
            .iter()
            .map(|(key, times)| {
                let locked = self.live(times, now) >= self.limit(key);
                let newest = times.iter().max().copied().unwrap_or(now);
                (locked, newest, *key)
            })
            .collect();
        ranked.sort_unstable_by_key(|(locked, newest, _)| (*locked, *newest));
        let drop = (self.max_keys / 10).max(1);
        for (_, _, key) in ranked.into_iter().take(drop) {
            map.remove(&key);
        }
    }

    /// The password was right: forgets the email's failures and takes this
    /// attempt back from the address's count.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut map = self.lock();
        map.remove(&attempt.email_key);
        if let Some(key) = attempt.ip_key {
            Self::unrecord(&mut map, key, attempt.at);
        }
    }

    /// The password was never checked (an internal error): the attempt does
    /// not count.
    pub fn cancel(&self, attempt: Attempt) {
        let mut map = self.lock();
        for key in [Some(attempt.email_key), attempt.ip_key]
            .into_iter()
            .flatten()
        {
            Self::unrecord(&mut map, key, attempt.at);
        }
    }

    /// How many emails and addresses are tracked.
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }

    fn unrecord(map: &mut FailureMap, key: ThrottleKey, at: Instant) {
        if let Some(times) = map.get_mut(&key) {
            if let Some(i) = times.iter().position(|t| *t == at) {
                times.swap_remove(i);
            }
            if times.is_empty() {
                map.remove(&key);
            }
        }
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
            let attempt = t.reserve("a@x.io", ip, start + Duration::from_secs(i));
            assert!(attempt.is_ok(), "attempt {i}");
        }
        let wait = t
            .check("a@x.io", ip, start + Duration::from_secs(3))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(57));
        assert!(
            t.reserve("a@x.io", ip, start + Duration::from_secs(3))
                .is_err()
        );
        // Another email from the same address is still allowed.
        assert!(t.check("b@x.io", ip, start).is_ok());
        // The oldest failure leaves the window after 60 s.
        assert!(
            t.check("a@x.io", ip, start + Duration::from_secs(60))
                .is_ok()
        );
        let ok = t
            .reserve("a@x.io", None, start + Duration::from_secs(60))
            .unwrap();
        t.succeeded(ok);
        assert!(
            t.check("a@x.io", None, start + Duration::from_secs(3))
                .is_ok()
        );
    }

    #[test]
    fn attempts_count_while_they_are_checked() {
        let t = LoginThrottle::new(3, 10, Duration::from_secs(60));
        let ip: Option<IpAddr> = Some("10.0.0.3".parse().unwrap());
        let now = Instant::now();
        // Three guesses in flight at once, none settled yet: a fourth waits.
        let pending: Vec<Attempt> = (0..3)
            .map(|_| t.reserve("a@x.io", ip, now).unwrap())
            .collect();
        assert!(t.reserve("a@x.io", ip, now).is_err());
        // One that was never checked is taken back…
        let mut pending = pending.into_iter();
        t.cancel(pending.next().unwrap());
        let fourth = t.reserve("a@x.io", ip, now).unwrap();
        assert!(t.reserve("a@x.io", ip, now).is_err());
        // …and a success frees the email and takes itself back from the
        // address, whose other failures still count.
        t.succeeded(fourth);
        assert!(t.check("a@x.io", ip, now).is_ok());
        let (_, ip_key) = LoginThrottle::keys("a@x.io", ip);
        assert_eq!(t.lock()[&ip_key.unwrap()].len(), 2);
    }

    #[test]
    fn long_emails_are_throttled_by_a_fixed_size_key() {
        let t = LoginThrottle::new(2, 1000, Duration::from_secs(60));
        let now = Instant::now();
        let long = format!("{}@x.io", "a".repeat(60_000));
        let other = format!("{}@x.io", "a".repeat(60_001));
        let _a = t.reserve(&long, None, now).unwrap();
        let _b = t.reserve(&long, None, now).unwrap();
        assert!(t.reserve(&long, None, now).is_err());
        // Sharing a long prefix does not share a count.
        assert!(t.check(&other, None, now).is_ok());
        assert_eq!(t.tracked(), 1);
    }

    #[test]
    fn one_ipv6_host_is_limited_across_its_block() {
        let t = LoginThrottle::new(100, 2, Duration::from_secs(60));
        let now = Instant::now();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let _a = t.reserve("a@x.io", ip("2001:db8:1:2::1"), now).unwrap();
        let _b = t
            .reserve("b@x.io", ip("2001:db8:1:2:ffff::9"), now)
            .unwrap();
        assert!(t.check("c@x.io", ip("2001:db8:1:2:abcd::7"), now).is_err());
        assert!(t.check("c@x.io", ip("2001:db8:1:3::1"), now).is_ok());
        // An IPv4 client seen through IPv6 counts as itself.
        let _c = t.reserve("d@x.io", ip("10.0.0.9"), now).unwrap();
        let _d = t.reserve("e@x.io", ip("::ffff:10.0.0.9"), now).unwrap();
        assert!(t.check("f@x.io", ip("10.0.0.9"), now).is_err());
    }

    #[test]
    fn the_map_stays_bounded_and_keeps_locked_entries() {
        let t = LoginThrottle::new(3, 1000, Duration::from_secs(60)).with_max_keys(100);
        let start = Instant::now();
        for _ in 0..3 {
            let _ = t.reserve("victim@x.io", None, start).unwrap();
        }
        // A flood of other emails, each tried once, later than the victim.
        for i in 0..1000u64 {
            let at = start + Duration::from_millis(i + 1);
            let _ = t.reserve(&format!("flood{i}@x.io"), None, at).unwrap();
            assert!(t.tracked() <= 100, "{} keys after {i}", t.tracked());
        }
        let later = start + Duration::from_secs(2);
        assert!(
            t.check("victim@x.io", None, later).is_err(),
            "the locked email is still locked"
        );
        // Expired entries are the first to go.
        let much_later = start + Duration::from_secs(61);
        let _ = t.reserve("fresh@x.io", None, much_later).unwrap();
        assert!(t.tracked() <= 100);
        assert!(t.check("victim@x.io", None, much_later).is_ok());
    }

    #[test]
    fn throttle_limits_one_address_across_emails() {
        let t = LoginThrottle::new(100, 2, Duration::from_secs(60));
        let ip: Option<IpAddr> = Some("10.0.0.2".parse().unwrap());
        let now = Instant::now();
        let _a = t.reserve("a@x.io", ip, now).unwrap();
        let _b = t.reserve("b@x.io", ip, now).unwrap();
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

//! The login throttle: failed logins limited per email and per client
//! address, in bounded memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Limits repeated failed logins per email (from one client address) and
/// per client address.
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
        let client = ip.map(crate::engine::ratelimit::client_network);
        // An email's failures count per client address: guessing from one
        // address locks that address out of the account, not the merchant
        // logging in from theirs (the per-address limit bounds guessing
        // across accounts).
        let mut hasher = Sha256::new();
        hasher.update(email.as_bytes());
        if let Some(client) = client {
            hasher.update(b"\0");
            hasher.update(client.to_string().as_bytes());
        }
        let digest = hasher.finalize();
        let mut email_key = [0; 16];
        email_key.copy_from_slice(&digest[..16]);
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // Another email from the same address is still allowed, and the
        // same email from another address: guessing from one address does
        // not lock the owner out from theirs.
        assert!(t.check("b@x.io", ip, start).is_ok());
        let owner: Option<IpAddr> = Some("192.0.2.44".parse().unwrap());
        assert!(
            t.check("a@x.io", owner, start + Duration::from_secs(3))
                .is_ok()
        );
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
}

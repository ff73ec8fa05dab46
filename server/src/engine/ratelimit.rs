//! Token buckets keyed by page, phone number or recipient: the senders take
//! a token before every call to Meta, waiting when the bucket is empty.
//! Kept in memory; with several instances each keeps its own share.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Buckets of one kind (one rate and burst), one per key.
pub struct Buckets {
    per_second: f64,
    burst: f64,
    state: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Buckets {
    /// `per_second` tokens refill per second, up to `burst`.
    pub fn new(per_second: f64, burst: f64) -> Buckets {
        Buckets {
            per_second: per_second.max(0.001),
            burst: burst.max(1.0),
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token if one is there; otherwise how long until one is.
    pub fn try_take(&self, key: &str, now: Instant) -> Duration {
        let mut map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Buckets that refilled completely carry no information.
            let (rate, burst) = (self.per_second, self.burst);
            map.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = map.entry(key.to_string()).or_insert((self.burst, now));
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Duration::ZERO
        } else {
            *tokens = refilled;
            Duration::from_secs_f64((1.0 - refilled) / self.per_second)
        }
    }

    /// Takes a token under both `keys` of two bucket sets, or says how long
    /// to wait; a refused request takes nothing from either.
    pub fn try_take_both(
        (a, a_key): (&Buckets, &str),
        (b, b_key): (&Buckets, &str),
        now: Instant,
    ) -> Duration {
        let wait = a.try_take(a_key, now);
        if !wait.is_zero() {
            return wait;
        }
        let wait = b.try_take(b_key, now);
        if !wait.is_zero() {
            a.give_back(a_key);
        }
        wait
    }

    /// Returns a token taken from `key`'s bucket.
    pub fn give_back(&self, key: &str) {
        let mut map = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((tokens, _)) = map.get_mut(key) {
            *tokens = (*tokens + 1.0).min(self.burst);
        }
    }

    /// Waits for a token.
    pub async fn acquire(&self, key: &str) {
        loop {
            let wait = self.try_take(key, Instant::now());
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }
}

/// A client address as the limits count it: IPv4 (also when mapped into
/// IPv6), or the /64 network of IPv6 (one host usually holds the whole
/// block).
pub fn client_network(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip.to_canonical() {
        std::net::IpAddr::V6(v6) => {
            std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1)).into()
        }
        v4 => v4,
    }
}

/// [`client_network`] as a bucket key.
pub fn client_key(ip: std::net::IpAddr) -> String {
    client_network(ip).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refills_at_the_rate() {
        let b = Buckets::new(2.0, 3.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.try_take("page", t0), Duration::ZERO);
        }
        let wait = b.try_take("page", t0);
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        assert_eq!(
            b.try_take("other", t0),
            Duration::ZERO,
            "keys are independent"
        );
        assert_eq!(
            b.try_take("page", t0 + Duration::from_millis(500)),
            Duration::ZERO
        );
        assert!(
            !b.try_take("page", t0 + Duration::from_millis(600))
                .is_zero()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_paces_calls() {
        let b = Buckets::new(10.0, 1.0);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            b.acquire("k").await;
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(390), "{elapsed:?}");
    }

    #[test]
    fn a_request_two_limits_refuse_takes_from_neither() {
        let t0 = Instant::now();
        let per_ip = Buckets::new(0.001, 2.0);
        let per_widget = Buckets::new(0.001, 3.0);
        let both = |ip: &str| Buckets::try_take_both((&per_ip, ip), (&per_widget, "w"), t0);
        assert!(both("a").is_zero());
        assert!(both("a").is_zero());
        // The address is spent: the widget keeps its last token.
        assert!(!both("a").is_zero());
        assert!(both("b").is_zero());
        // Now the widget is spent: address c's token is given back.
        assert!(!both("c").is_zero());
        assert!(per_ip.try_take("c", t0).is_zero());
        assert!(per_ip.try_take("c", t0).is_zero());
        assert!(!per_ip.try_take("c", t0).is_zero());
    }

    #[test]
    fn clients_count_by_address_or_ipv6_network() {
        let key = |s: &str| super::client_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }
}

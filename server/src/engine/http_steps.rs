//! The worker that performs `http_request` steps: it calls the merchant's
//! API and feeds the answer back into the conversation as an
//! `HttpResult` (or `Timeout`) input, through the runner.
//!
//! Calls to private, loopback, link-local, multicast and reserved
//! addresses are refused unless `BOTME_HTTP_ALLOW_PRIVATE` is set, so a flow
//! cannot reach the server's own network. Names are resolved by
//! [`PublicOnly`], which hands the connector only the public addresses it
//! checked, so a DNS answer that changes between a check and the connection
//! (rebinding) cannot lead inside. Redirects are not followed. The answer is
//! read as it streams, up to [`MAX_BODY`] bytes, and cut on a character
//! boundary.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use app::flow::interpreter::Input;

use super::turns::{Turn, TurnError};
use super::{Engine, InFlight};
use crate::store::HttpCallRow;

/// Longest a merchant's API may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Most of the response body kept (the rest is cut).
pub const MAX_BODY: usize = 4096;

/// The HTTP-step worker's settings.
#[derive(Clone)]
pub struct Settings {
    /// Whether flows may call private addresses.
    pub allow_private: bool,
}

/// What a call needs: the client (which resolves names through
/// [`PublicOnly`] unless private addresses are allowed) and the settings.
#[derive(Clone)]
struct Caller {
    http: reqwest::Client,
    settings: Settings,
}

/// The client HTTP steps call with.
pub(crate) fn client(allow_private: bool) -> reqwest::Client {
    let builder = super::client_builder();
    let builder = if allow_private {
        builder
    } else {
        builder.dns_resolver(Arc::new(PublicOnly))
    };
    builder.build().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot build the HTTP-step client; using the default");
        reqwest::Client::new()
    })
}

/// Starts the worker: it wakes when calls are queued and every few seconds.
pub fn spawn(engine: Engine, settings: Settings) {
    let caller = Caller {
        http: client(settings.allow_private),
        settings,
    };
    tokio::spawn(async move {
        // Calls a stopped process left running come back through
        // `crate::engine::claims`.
        let in_flight = InFlight::new(CALLS_IN_FLIGHT);
        loop {
            let mut room = in_flight.room().await;
            match engine
                .store()
                .queue()
                .claim_http_calls(engine.instance(), room.size as i64)
                .await
            {
                Ok(calls) if !calls.is_empty() => {
                    for call in calls {
                        let engine = engine.clone();
                        let caller = caller.clone();
                        let slot = room.take();
                        tokio::spawn(async move {
                            perform(&engine, &caller, call).await;
                            drop(slot);
                        });
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not claim HTTP calls"),
            }
            let woken = engine.wake().http.notified();
            let _ = tokio::time::timeout(Duration::from_secs(5), woken).await;
        }
    });
}

/// HTTP steps one instance performs at once.
pub const CALLS_IN_FLIGHT: usize = 16;

/// Whether an address is outside the public internet: private, loopback,
/// link-local, shared (CGNAT), benchmarking, documentation-free reserved,
/// multicast, "this network", IPv6 site-local and unique-local, and IPv4
/// reached through IPv6 (mapped, NAT64, 6to4).
fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || a == 0 // 0.0.0.0/8, "this network"
                || a == 100 && (64..128).contains(&b) // 100.64/10, shared
                || a == 192 && b == 0 && c == 0 // 192.0.0.0/24, protocol assignments
                || a == 198 && (b == 18 || b == 19) // 198.18/15, benchmarking
                || a >= 224 // 224/4 multicast, 240/4 reserved
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded_v4 = |hi: u16, lo: u16| {
                let [h1, h2] = hi.to_be_bytes();
                let [l1, l2] = lo.to_be_bytes();
                private(IpAddr::V4(std::net::Ipv4Addr::new(h1, h2, l1, l2)))
            };
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00 // fc00::/7, unique local
                || (s[0] & 0xffc0) == 0xfe80 // fe80::/10, link local
                || (s[0] & 0xffc0) == 0xfec0 // fec0::/10, site local
                || (s[0] & 0xff00) == 0xff00 // ff00::/8, multicast
                || v6.to_ipv4_mapped().is_some_and(|v4| private(IpAddr::V4(v4)))
                // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) reach IPv4
                // addresses, which must be public too.
                || (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && embedded_v4(s[6], s[7]))
                || (s[0] == 0x2002 && embedded_v4(s[1], s[2]))
        }
    }
}

/// Resolves a name with the system's resolver and keeps only public
/// addresses, so the connection can only go where the check allowed.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| !private(addr.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{host} is a private address").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Checks that `url` is http(s) and, when it names an address rather than
/// a host, that the address is public ([`PublicOnly`] checks names).
pub(crate) fn check_target(url: &reqwest::Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https addresses can be called".into());
    }
    if allow_private {
        return Ok(());
    }
    let host = url.host_str().ok_or("the address has no host")?;
    match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(ip) if private(ip) => Err(format!("{ip} is a private address")),
        _ => Ok(()),
    }
}

/// The answer's body as text: at most `max` bytes of it, read as it
/// arrives (a larger body is never held whole), cut on a character
/// boundary.
async fn read_capped(mut res: reqwest::Response, max: usize) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < max {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                let room = max - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    text_within(&bytes, max)
}

/// `bytes` as text of at most `max` bytes: invalid sequences (such as a
/// character cut by the byte cap) become U+FFFD, and the text is cut on a
/// character boundary, never inside one.
fn text_within(bytes: &[u8], max: usize) -> String {
    let mut text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// The answer of a call that got no HTTP answer: status 0, which takes the
/// step's error exit.
fn no_answer(c: &HttpCallRow) -> Input {
    Input::HttpResult {
        request_id: c.request_id.clone(),
        status: 0,
        body: String::new(),
    }
}

async fn call(caller: &Caller, c: &HttpCallRow) -> Input {
    let failed = |why: String| {
        tracing::info!(request = %c.request_id, reason = %why, "HTTP step failed");
        no_answer(c)
    };
    let url = match reqwest::Url::parse(&c.url) {
        Ok(u) => u,
        Err(e) => return failed(format!("bad address: {e}")),
    };
    if let Err(why) = check_target(&url, caller.settings.allow_private) {
        return failed(why);
    }
    let request = match c.method.as_str() {
        "POST" => caller
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(c.body.clone().unwrap_or_default()),
        _ => caller.http.get(url),
    };
    match request.timeout(TIMEOUT).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let body = read_capped(res, MAX_BODY).await;
            Input::HttpResult {
                request_id: c.request_id.clone(),
                status,
                body,
            }
        }
        Err(e) if e.is_timeout() => Input::Timeout,
        Err(e) => failed(e.to_string()),
    }
}

/// [`call`], with a panic turned into a failed call, so a bug answers the
/// conversation through the step's error exit instead of leaving the call
/// `running` and the conversation silent.
async fn guarded_call(caller: &Caller, c: &HttpCallRow) -> Input {
    let task = {
        let (caller, c) = (caller.clone(), c.clone());
        tokio::spawn(async move { call(&caller, &c).await })
    };
    task.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, request = %c.request_id, "an HTTP step panicked");
        no_answer(c)
    })
}

async fn perform(engine: &Engine, caller: &Caller, c: HttpCallRow) {
    let input = guarded_call(caller, &c).await;
    let event = format!("http:{}", c.request_id);
    let turn = Turn {
        workspace: c.workspace_id,
        bot: c.bot_id,
        channel: c.channel,
        user: &c.external_user,
        display_name: "",
        event_id: &event,
        input,
    };
    match engine.apply(turn).await {
        Ok(_) => {}
        Err(TurnError::Store(e)) => {
            // The database failed: try the whole call again shortly.
            tracing::warn!(error = %e, request = %c.request_id, "could not deliver an HTTP result; will retry");
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Err(e) = engine.store().queue().requeue_http_call(c.id).await {
                tracing::warn!(error = %e, "could not requeue an HTTP call");
            }
            engine.wake().http.notify_one();
            return;
        }
        Err(e) => {
            // Retrying cannot help (the flow version is unreadable).
            tracing::error!(error = %e, request = %c.request_id, "dropping an HTTP result");
        }
    }
    if let Err(e) = engine.store().queue().finish_http_call(c.id).await {
        tracing::warn!(error = %e, "could not mark an HTTP call done");
    }
}

#[cfg(test)]
mod tests {
    use super::{PublicOnly, check_target, private, text_within};

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "2002:a00:1::",
            "2002:7f00:1::",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "192.0.2.1",
            "198.20.0.1",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert!(!private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_private_addresses_are_refused_before_any_call() {
        let check = |url: &str, allow| check_target(&url.parse().unwrap(), allow);
        assert!(check("http://127.0.0.1:8080/x", false).is_err());
        assert!(check("http://[::1]/x", false).is_err());
        assert!(check("http://[64:ff9b::7f00:1]/x", false).is_err());
        assert!(check("http://8.8.8.8/x", false).is_ok());
        // Names are checked when resolved, by PublicOnly.
        assert!(check("https://shop.example/x", false).is_ok());
        assert!(check("http://127.0.0.1/x", true).is_ok());
        assert!(check("ftp://8.8.8.8/x", true).is_err());
    }

    #[test]
    fn answers_are_cut_on_a_character_boundary() {
        // The cap falls inside "é" (two bytes): the text stops before it.
        let body = format!("{}é", "a".repeat(9));
        assert_eq!(text_within(body.as_bytes(), 10), "a".repeat(9));
        // Within the cap, text is kept whole, accents included.
        assert_eq!(text_within("çà".as_bytes(), 10), "çà");
        // Whatever the bytes, the result fits the cap and is valid text.
        for cap in 0..8 {
            let text = text_within("aé€😀".as_bytes(), cap);
            assert!(text.len() <= cap, "{cap}: {text:?}");
        }
    }

    #[tokio::test]
    async fn names_resolve_only_to_public_addresses() {
        use reqwest::dns::Resolve;
        let name = |n: &str| n.parse::<reqwest::dns::Name>().unwrap();
        let err = PublicOnly.resolve(name("localhost")).await.err();
        assert!(err.is_some_and(|e| e.to_string().contains("private")));
    }
}

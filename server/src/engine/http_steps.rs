//! The worker that performs `http_request` steps: it calls the merchant's
//! API and feeds the answer back into the conversation as an
//! `HttpResult` (or `Timeout`) input, through the runner.
//!
//! Calls to private, loopback and link-local addresses are refused unless
//! `BOTME_HTTP_ALLOW_PRIVATE` is set, so a flow cannot reach the server's
//! own network. (The address is checked when resolved; a DNS answer that
//! changes between the check and the connection is not caught.)

use std::net::IpAddr;
use std::time::Duration;

use app::flow::interpreter::Input;

use super::Engine;
use super::turns::{Turn, TurnError};
use crate::store::HttpCallRow;

/// Longest a merchant's API may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Most of the response body kept (the rest is cut).
pub const MAX_BODY: usize = 4096;

/// The HTTP-step worker's settings.
#[derive(Clone)]
pub struct Settings {
    /// The one outbound HTTP client.
    pub http: reqwest::Client,
    /// Whether flows may call private addresses.
    pub allow_private: bool,
}

/// Starts the worker: it wakes when calls are queued and every few seconds.
pub fn spawn(engine: Engine, settings: Settings) {
    tokio::spawn(async move {
        // Calls a stopped process left running come back through
        // `crate::engine::claims`.
        loop {
            match engine
                .store()
                .queue()
                .claim_http_calls(engine.instance(), 16)
                .await
            {
                Ok(calls) if !calls.is_empty() => {
                    for call in calls {
                        let engine = engine.clone();
                        let settings = settings.clone();
                        tokio::spawn(async move { perform(&engine, &settings, call).await });
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

fn private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| private(IpAddr::V4(v4)))
        }
    }
}

/// Checks that `url` is http(s) and does not lead into a private network.
async fn check_target(url: &reqwest::Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https addresses can be called".into());
    }
    if allow_private {
        return Ok(());
    }
    let host = url.host_str().ok_or("the address has no host")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    for addr in addrs {
        if private(addr.ip()) {
            return Err(format!("{host} is a private address"));
        }
    }
    Ok(())
}

async fn call(settings: &Settings, c: &HttpCallRow) -> Input {
    let failed = |why: String| {
        tracing::info!(request = %c.request_id, reason = %why, "HTTP step failed");
        Input::HttpResult {
            request_id: c.request_id.clone(),
            status: 0,
            body: String::new(),
        }
    };
    let url = match reqwest::Url::parse(&c.url) {
        Ok(u) => u,
        Err(e) => return failed(format!("bad address: {e}")),
    };
    if let Err(why) = check_target(&url, settings.allow_private).await {
        return failed(why);
    }
    let request = match c.method.as_str() {
        "POST" => settings
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(c.body.clone().unwrap_or_default()),
        _ => settings.http.get(url),
    };
    match request.timeout(TIMEOUT).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let bytes = res.bytes().await.unwrap_or_default();
            let mut body =
                String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_BODY)]).into_owned();
            body.truncate(MAX_BODY);
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

async fn perform(engine: &Engine, settings: &Settings, c: HttpCallRow) {
    let input = call(settings, &c).await;
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
    use super::private;

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
        ] {
            assert!(private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!private(ip.parse().unwrap()), "{ip}");
        }
    }
}

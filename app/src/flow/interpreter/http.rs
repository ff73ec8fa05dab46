//! HTTP: the request step asks the caller to call the merchant's API and
//! waits; the result (or a timeout) comes back as an input and picks the
//! `ok` or `error` port.

use super::{Effect, Next, Run, Status};
use crate::flow::doc::{HttpRequestSettings, NodeId, NodeKind};
use crate::hash::{FNV_OFFSET, fnv1a};

/// Most HTTP requests one shopper message may lead to. Validation refuses
/// loops through HTTP steps; this bounds a flow published before it did.
pub const MAX_HTTP_PER_TURN: u32 = 10;

/// A request's id: 32 hex digits derived from the conversation, the event
/// and the step, so a replayed event asks for the same call, and an id
/// does not grow when a result (whose event id names the request) leads to
/// the next call.
pub fn request_id(conversation: &str, event_id: &str, node: &NodeId) -> String {
    let key = format!("{conversation}\u{0}{event_id}\u{0}{node}");
    format!(
        "{:016x}{:016x}",
        fnv1a(FNV_OFFSET, key.bytes()),
        fnv1a(0x6c62_272e_07bb_0142, key.bytes())
    )
}

/// A value made safe inside a URL: every byte but the unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) percent-encoded, so a shopper's text
/// cannot add a path, a query parameter or a fragment.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A value made safe inside a JSON string: quotes, backslashes and control
/// characters escaped, so a shopper's text cannot close the string and add
/// fields.
pub fn json_escape(value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_string()
}

impl Run<'_> {
    /// `template` with its `{{variables}}` filled in, each value escaped
    /// for where it lands.
    fn fill_escaped(&self, template: &str, escape: fn(&str) -> String) -> String {
        crate::flow::text::interpolate(template, |name| self.lookup(name).map(|v| escape(&v)))
    }

    /// Asks the caller for the call and waits for its result. Past
    /// [`MAX_HTTP_PER_TURN`] calls since the shopper last wrote, it calls
    /// no more and waits for the shopper instead.
    pub(super) fn start_http(&mut self, id: &NodeId, s: &HttpRequestSettings) -> Next<'static> {
        if self.s.http_calls >= MAX_HTTP_PER_TURN {
            self.s.status = Status::Waiting;
            return Next::Stop;
        }
        self.s.http_calls += 1;
        let request_id = request_id(self.ctx.conversation, self.ctx.event_id, id);
        self.effects.push(Effect::CallHttp {
            request_id: request_id.clone(),
            method: s.method,
            url: self.fill_escaped(&s.url, percent_encode),
            body: s.body.as_ref().map(|b| self.fill_escaped(b, json_escape)),
        });
        self.s.status = Status::AwaitingHttp;
        self.s.http_request = Some(request_id);
        Next::Stop
    }

    pub(super) fn http_done(&mut self, ok: bool, body: &str) {
        let Some(node) = self.current() else {
            return;
        };
        if let NodeKind::HttpRequest(s) = &node.kind
            && let Some(var) = &s.save_as
        {
            self.set_var(var, body);
        }
        self.s.status = Status::Waiting;
        self.s.http_request = None;
        self.follow(&node.id, if ok { "ok" } else { "error" });
    }
}

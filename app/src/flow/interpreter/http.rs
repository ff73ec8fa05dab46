//! HTTP: the request step asks the caller to call the merchant's API and
//! waits; the result (or a timeout) comes back as an input and picks the
//! `ok` or `error` port.

use super::{Effect, Next, Run, Status};
use crate::flow::doc::{HttpRequestSettings, NodeId, NodeKind};

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
        fnv1a(0xcbf2_9ce4_8422_2325, &key),
        fnv1a(0x6c62_272e_07bb_0142, &key)
    )
}

/// 64-bit FNV-1a from `seed`: deterministic, with no dependency and no
/// randomness, as the pure core requires (ids, not security).
fn fnv1a(seed: u64, text: &str) -> u64 {
    text.bytes().fold(seed, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Run<'_> {
    /// Asks the caller for the call and waits for its result. Past
    /// [`MAX_HTTP_PER_TURN`] calls since the shopper last wrote, it calls
    /// no more and waits for the shopper instead.
    pub(super) fn start_http(&mut self, id: &NodeId, s: &HttpRequestSettings) -> Next {
        if self.s.http_calls >= MAX_HTTP_PER_TURN {
            self.s.status = Status::Waiting;
            return Next::Stop;
        }
        self.s.http_calls += 1;
        let request_id = request_id(self.ctx.conversation, self.ctx.event_id, id);
        self.effects.push(Effect::CallHttp {
            request_id: request_id.clone(),
            method: s.method,
            url: self.fill(&s.url),
            body: s.body.as_ref().map(|b| self.fill(b)),
        });
        self.s.status = Status::AwaitingHttp;
        self.s.http_request = Some(request_id);
        Next::Stop
    }

    pub(super) fn http_done(&mut self, ok: bool, body: &str) {
        let Some(node) = self.current().cloned() else {
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

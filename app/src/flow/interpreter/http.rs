//! HTTP: the request step asks the caller to call the merchant's API and
//! waits; the result (or a timeout) comes back as an input and picks the
//! `ok` or `error` port.

use super::{Effect, Next, Run, Status};
use crate::flow::doc::{HttpRequestSettings, NodeId, NodeKind};

impl Run<'_> {
    /// Asks the caller for the call and waits for its result.
    pub(super) fn start_http(&mut self, id: &NodeId, s: &HttpRequestSettings) -> Next {
        let request_id = format!("{}:{}:{}", self.ctx.conversation, self.ctx.event_id, id);
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

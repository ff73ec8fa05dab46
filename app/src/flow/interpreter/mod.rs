//! The interpreter: a pure `step` from (flow, session, input, context) to
//! (session, effects), in the style of quinn-proto. It reads no clock, draws
//! no random numbers and does no IO: time, ids and the catalog come in
//! through [`Ctx`]; messages, orders and HTTP calls go out as [`Effect`]s for
//! the caller to perform. The same code runs on the server for shoppers and
//! in the browser for the editor's preview.
//!
//! From the current node it runs through steps that do not wait until it
//! reaches one that waits for the shopper (or the end). A step budget bounds
//! every call, even on a flow with a loop, and no input can make it panic.
//!
//! This file holds the public types, [`step`] and the run loop that enters
//! nodes. What a node does once it waits lives with its family: `answers`
//! (typed text and tapped buttons), `catalog` (product carousels), `cart`
//! (show cart, WhatsApp carts), `checkout` (confirming, paying, placing
//! orders) and `http` (calls to the merchant's API).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::doc::*;
use super::number::parse_decimal;
use super::payload::{self, Payload};
use super::text::{interpolate_into, normalize};
use crate::channel::{Choice, Outbound};
use crate::commerce::{Cart, CatalogView, Money, NewOrder, OrderStatus};
use crate::hash::FnvBuild;

/// Most nodes one `step` may enter.
pub const STEP_BUDGET: u32 = 64;
/// Longest value a variable may hold.
pub const MAX_VAR_CHARS: usize = 1000;
/// Most variables a session holds.
pub const MAX_VARS: usize = 100;
/// Longest text of one message once its variables are filled in, in
/// characters (the longest any channel takes): longer is cut, with "…".
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Most a shopper's one turn may send, in bytes as [`Outbound::weight`]
/// counts them: what follows is not sent. A valid flow stays far below it
/// (a full carousel is about 5 KB); it stops a flow whose variables or
/// loops would make one input send megabytes.
pub const MAX_TURN_OUTPUT_BYTES: usize = 64 * 1024;

mod answers;
mod cart;
mod catalog;
mod checkout;
mod contact;
mod http;

pub use answers::{check_answer, match_option};
pub use contact::{
    CONTACT_FIELDS, Contact, ContactWrite, MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTES,
    MAX_TAG_CHARS, MAX_TAGS, contact_target, is_attribute_key,
};
pub use http::{MAX_HTTP_PER_TURN, json_escape, percent_encode, request_id};

/// A flow ready to run: the document with its lookups built once, so a
/// step follows edges by index and matches typed text against labels folded
/// in advance, without allocating for a lookup.
#[derive(Debug, Clone)]
pub struct ValidFlow {
    doc: FlowDoc,
    /// Node index by id (the first node with that id).
    by_id: HashMap<NodeId, usize, FnvBuild>,
    /// Per node index: each connected port, in edge order (the first edge
    /// of a port wins), with its target's index (`None` when the target is
    /// not a node).
    ports: Vec<Vec<(String, Option<usize>)>>,
    /// Edges from ids that are not nodes (broken drafts only), first wins.
    stray: Vec<(NodeId, String, NodeId)>,
    /// Per node index: a quick reply's option labels, folded for matching.
    labels: Vec<Vec<String>>,
    triggers: Vec<(String, NodeId)>,
    first_checkout: Option<NodeId>,
}

impl ValidFlow {
    /// Validates and prepares a document; fails with the report when it has
    /// errors.
    pub fn compile(doc: FlowDoc) -> Result<ValidFlow, super::validate::Report> {
        let report = super::validate::validate(&doc, None);
        if report.has_errors() {
            return Err(report);
        }
        Ok(ValidFlow::unchecked(doc))
    }

    /// Whether `node` is a step that lists the shopper's orders (reads
    /// [`Ctx::orders`]): a caller may run a step without loading orders and
    /// run it again with them when it entered one.
    pub fn lists_orders_at(&self, node: &NodeId) -> bool {
        self.by_id
            .get(node)
            .is_some_and(|&i| matches!(self.doc.nodes[i].kind, NodeKind::OrderStatus(_)))
    }

    /// Prepares any document without validating it. The interpreter stays
    /// total on such flows (it ends the conversation where the flow is
    /// broken); this exists for previews of drafts and for tests.
    pub fn unchecked(doc: FlowDoc) -> ValidFlow {
        let mut by_id = HashMap::with_capacity_and_hasher(doc.nodes.len(), FnvBuild);
        for (i, n) in doc.nodes.iter().enumerate() {
            by_id.entry(n.id.clone()).or_insert(i);
        }
        let mut ports: Vec<Vec<(String, Option<usize>)>> = vec![Vec::new(); doc.nodes.len()];
        let mut stray: Vec<(NodeId, String, NodeId)> = Vec::new();
        for e in &doc.edges {
            match by_id.get(&e.from) {
                Some(&from) => {
                    let out = &mut ports[from];
                    if !out.iter().any(|(p, _)| *p == e.port) {
                        out.push((e.port.clone(), by_id.get(&e.to).copied()));
                    }
                }
                None => {
                    if !stray.iter().any(|(f, p, _)| *f == e.from && *p == e.port) {
                        stray.push((e.from.clone(), e.port.clone(), e.to.clone()));
                    }
                }
            }
        }
        let labels = doc
            .nodes
            .iter()
            .map(|n| match &n.kind {
                NodeKind::QuickReply(s) => s.options.iter().map(|o| normalize(&o.label)).collect(),
                _ => Vec::new(),
            })
            .collect();
        let triggers = doc
            .triggers
            .iter()
            .flat_map(|t| t.keywords.iter().map(|k| (normalize(k), t.to.clone())))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        let first_checkout = doc
            .nodes
            .iter()
            .find(|n| matches!(n.kind, NodeKind::Checkout(_)))
            .map(|n| n.id.clone());
        ValidFlow {
            doc,
            by_id,
            ports,
            stray,
            labels,
            triggers,
            first_checkout,
        }
    }

    /// The document.
    pub fn doc(&self) -> &FlowDoc {
        &self.doc
    }

    /// A node by id.
    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.by_id.get(id).map(|&i| &self.doc.nodes[i])
    }

    /// Where a port leads, when connected to an existing node.
    pub fn target(&self, from: &NodeId, port: &str) -> Option<&NodeId> {
        self.target_index(from, port).map(|i| &self.doc.nodes[i].id)
    }

    /// The index of the node a port leads to, when it is a node.
    fn target_index(&self, from: &NodeId, port: &str) -> Option<usize> {
        match self.by_id.get(from) {
            Some(&i) => self.port_index(i, port),
            None => self
                .stray
                .iter()
                .find(|(f, p, _)| f == from && p == port)
                .and_then(|(_, _, to)| self.by_id.get(to).copied()),
        }
    }

    /// The index of the node port `port` of node `from` leads to.
    fn port_index(&self, from: usize, port: &str) -> Option<usize> {
        self.ports[from]
            .iter()
            .find(|(p, _)| p == port)
            .and_then(|&(_, to)| to)
    }

    /// The keyword shortcut `typed` (already normalized) names.
    fn trigger(&self, typed: &str) -> Option<&NodeId> {
        self.triggers
            .iter()
            .find(|(k, _)| k == typed)
            .map(|(_, to)| to)
    }
}

/// Where the conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not started yet.
    #[default]
    New,
    /// Waiting for the shopper at `node`.
    Waiting,
    /// Waiting for an HTTP result at `node`.
    AwaitingHttp,
    /// A person has taken over; the bot stays quiet until a keyword
    /// shortcut brings it back.
    HandedOff,
    /// Finished; the next message starts again from the start step.
    Ended,
}

/// What a checkout node is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum CheckoutStage {
    /// "Confirm order?" for the cart with this fingerprint.
    Confirm {
        /// Cart fingerprint.
        cart: String,
    },
    /// "How would you like to pay?" for the cart with this fingerprint.
    Payment {
        /// Cart fingerprint.
        cart: String,
    },
}

/// An order this conversation placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    /// Its idempotency key.
    pub key: String,
    /// The checkout node that placed it.
    pub node: NodeId,
    /// The fingerprint of the cart it was placed from.
    pub cart: String,
}

/// A shopper's conversation state: everything `step` needs between inputs.
/// Stored as JSON by the server; plain data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Session {
    /// The node the conversation is at.
    pub node: Option<NodeId>,
    /// Where the conversation stands.
    pub status: Status,
    /// Variables collected so far.
    pub vars: BTreeMap<String, String>,
    /// The cart.
    pub cart: Cart,
    /// Failed answers at the current node.
    pub attempts: u32,
    /// The carousel page shown at the current node.
    pub page: u32,
    /// The checkout stage at the current node.
    pub checkout: Option<CheckoutStage>,
    /// The pending HTTP request's id.
    pub http_request: Option<String>,
    /// HTTP requests made since the shopper last wrote (see
    /// [`MAX_HTTP_PER_TURN`]).
    #[serde(default)]
    pub http_calls: u32,
    /// Recently placed orders.
    pub placed: Vec<Placed>,
}

/// One of the shopper's orders, for the order-status step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// The number shown to people, like `1042`.
    pub number: String,
    /// Its status.
    pub status: OrderStatus,
    /// Its total.
    pub total: Money,
}

/// Everything from outside the flow that a step may read. Passing the clock
/// and ids in keeps `step` deterministic.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// Now, in milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// The conversation's id.
    pub conversation: &'a str,
    /// The inbound event's id; with the conversation it keys new orders.
    pub event_id: &'a str,
    /// The workspace's catalog.
    pub catalog: &'a CatalogView,
    /// The shopper's orders, newest first.
    pub orders: &'a [OrderInfo],
    /// The shopper's contact (`{{contact.name}}`, tags, attributes);
    /// `None` where there is none (previews): reads are empty.
    pub contact: Option<&'a Contact>,
}

/// Something that happened on the shopper's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Input {
    /// The conversation was opened (Get Started, widget opened, first
    /// message when the channel has no such event).
    Start,
    /// Typed text.
    Text {
        /// The text.
        text: String,
    },
    /// A tapped button's payload.
    Payload {
        /// The payload.
        payload: String,
    },
    /// A WhatsApp cart sent from the catalog.
    CartOrder {
        /// The items.
        items: Vec<OrderedItem>,
    },
    /// A payment for one of this conversation's orders succeeded.
    PaymentSucceeded {
        /// The order's key.
        order_key: String,
    },
    /// A payment failed.
    PaymentFailed {
        /// The order's key.
        order_key: String,
    },
    /// The answer to an [`Effect::CallHttp`].
    HttpResult {
        /// The request's id.
        request_id: String,
        /// HTTP status; 0 when the call failed without one.
        status: u16,
        /// The response body (truncated by the caller).
        body: String,
    },
    /// Waiting took too long (an HTTP call timed out).
    Timeout,
    /// A person handed the conversation back to the bot. It goes on at
    /// `node`; without one, a conversation at a handoff step takes that
    /// step's `resume` exit (or starts over), and one a person took over
    /// mid-flow stays where it was.
    Resume {
        /// The step to go on at.
        #[serde(default)]
        node: Option<NodeId>,
    },
    /// A person sent the shopper this outside Botme (Meta's Page Inbox):
    /// the server records it and pauses the bot; the flow ignores it.
    Echo {
        /// What they sent, as text.
        text: String,
    },
}

/// One line of a WhatsApp cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedItem {
    /// The product's retailer id (our SKU).
    pub sku: String,
    /// How many.
    pub qty: u32,
}

/// Something the caller must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Send a message to the shopper. `{{order.number}}` and `{{order.url}}`
    /// in it refer to the order placed by an earlier effect of the same step;
    /// the caller fills them in.
    Send {
        /// The message.
        message: Outbound,
    },
    /// Store an order, once per key.
    PlaceOrder {
        /// The order.
        order: NewOrder,
    },
    /// Call the merchant's API, then feed back an [`Input::HttpResult`].
    CallHttp {
        /// Correlates the answer.
        request_id: String,
        /// GET or POST.
        method: HttpMethod,
        /// Address.
        url: String,
        /// JSON body for POST.
        body: Option<String>,
    },
    /// A person should take over.
    Handoff {
        /// The step that asked for it.
        node: NodeId,
    },
    /// Set an attribute of the shopper's contact; an empty value removes
    /// it (a "set variable" step named `contact.<key>`).
    SetContact {
        /// The attribute.
        key: String,
        /// Its new value.
        value: String,
    },
    /// Add or remove a tag of the shopper's contact (a "set variable"
    /// step named `contact.tag` or `contact.untag`).
    TagContact {
        /// The tag.
        tag: String,
        /// Add, or remove.
        add: bool,
    },
    /// The conversation entered a step (for analytics and the editor's path
    /// highlight).
    Visit {
        /// The step.
        node: NodeId,
    },
    /// The conversation ended.
    End,
}

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The new session.
    pub session: Session,
    /// What to do, in order.
    pub effects: Vec<Effect>,
}

/// Runs one input through the flow.
pub fn step(flow: &ValidFlow, session: Session, input: Input, ctx: &Ctx) -> Step {
    let mut run = Run {
        flow,
        ctx,
        s: session,
        effects: Vec::with_capacity(8),
        budget: STEP_BUDGET,
        output: 0,
        contact: match ctx.contact {
            Some(c) => std::borrow::Cow::Borrowed(c),
            None => std::borrow::Cow::Owned(Contact::default()),
        },
    };
    run.handle(input);
    Step {
        session: run.s,
        effects: run.effects,
    }
}

/// What entering or answering a node leads to.
enum Next<'f> {
    /// Follow this output port: a fixed one, or one named by the flow
    /// (options, branches).
    Port(&'f str),
    /// Stay here and wait for the shopper.
    Wait,
    /// Stop: the state was set by the node (ended, handed off, HTTP).
    Stop,
}

struct Run<'a> {
    flow: &'a ValidFlow,
    ctx: &'a Ctx<'a>,
    s: Session,
    effects: Vec<Effect>,
    budget: u32,
    /// Bytes sent so far this turn.
    output: usize,
    /// The contact, with this turn's writes (copied on the first).
    contact: std::borrow::Cow<'a, Contact>,
}

/// Cuts `text` to at most `max` characters, ending with "…" when cut.
fn cap_chars(text: &mut String, max: usize) {
    if text.len() <= max || max == 0 {
        return;
    }
    let mut starts = text.char_indices().map(|(i, _)| i);
    // Where the last character that fits starts, if another follows it.
    if let Some(end) = starts.nth(max - 1)
        && starts.next().is_some()
    {
        text.truncate(end);
        text.push('…');
    }
}

impl<'a> Run<'a> {
    /// Queues a message, unless the turn already sent its
    /// [`MAX_TURN_OUTPUT_BYTES`].
    fn send(&mut self, message: Outbound) {
        let weight = message.weight();
        if self.output + weight > MAX_TURN_OUTPUT_BYTES {
            self.output = MAX_TURN_OUTPUT_BYTES;
            return;
        }
        self.output += weight;
        self.effects.push(Effect::Send { message });
    }

    fn say(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.send(Outbound::Text { text });
        }
    }

    /// Fills in variables; `order.*` placeholders stay for the caller. The
    /// result is at most [`MAX_MESSAGE_CHARS`] characters: once the text is
    /// that long no more values are filled in, and it is cut with "…".
    fn fill(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len());
        // Four bytes a character at most: past that, the cap is reached.
        interpolate_into(template, &mut out, |name, out| {
            if out.len() <= MAX_MESSAGE_CHARS * 4 {
                self.lookup_into(name, out);
            }
        });
        cap_chars(&mut out, MAX_MESSAGE_CHARS);
        out
    }

    /// A variable's value, `None` when it has none.
    fn lookup(&self, name: &str) -> Option<String> {
        let known = name.starts_with("order.")
            || name.starts_with("contact.")
            || match name {
                "cart.total" => self.cart_total().is_some(),
                "cart.count" | "cart.items" => true,
                _ => self.s.vars.contains_key(name),
            };
        known.then(|| {
            let mut value = String::new();
            self.lookup_into(name, &mut value);
            value
        })
    }

    /// Appends a variable's value to `out` (nothing when it has none).
    fn lookup_into(&self, name: &str, out: &mut String) {
        use std::fmt::Write as _;
        if name.starts_with("order.") {
            out.push_str("{{");
            out.push_str(name);
            out.push_str("}}");
            return;
        }
        if let Some(field) = name.strip_prefix("contact.") {
            self.contact_into(field, out);
            return;
        }
        match name {
            "cart.total" => {
                if let Some(total) = self.cart_total() {
                    let _ = write!(out, "{total}");
                }
            }
            "cart.count" => {
                let _ = write!(out, "{}", self.s.cart.count());
            }
            "cart.items" => {
                for (i, l) in self.s.cart.lines.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{} × {}", l.qty, l.name);
                }
            }
            _ => {
                if let Some(value) = self.s.vars.get(name) {
                    out.push_str(value);
                }
            }
        }
    }

    /// [`Run::set_var`] for a value already owned: stored without a copy.
    fn set_var_owned(&mut self, name: &str, mut value: String) {
        if self.s.vars.len() >= MAX_VARS && !self.s.vars.contains_key(name) {
            return;
        }
        if let Some((end, _)) = value.char_indices().nth(MAX_VAR_CHARS) {
            value.truncate(end);
        }
        match self.s.vars.get_mut(name) {
            Some(old) => *old = value,
            None => {
                self.s.vars.insert(name.to_string(), value);
            }
        }
    }

    fn cart_total(&self) -> Option<Money> {
        self.s.cart.total().ok().flatten()
    }

    fn set_var(&mut self, name: &str, value: &str) {
        if self.s.vars.len() >= MAX_VARS && !self.s.vars.contains_key(name) {
            return;
        }
        let value = match value.char_indices().nth(MAX_VAR_CHARS) {
            Some((end, _)) => &value[..end],
            None => value,
        };
        match self.s.vars.get_mut(name) {
            Some(old) => {
                old.clear();
                old.push_str(value);
            }
            None => {
                self.s.vars.insert(name.to_string(), value.to_string());
            }
        }
    }

    /// The node the conversation is at, when the flow has it.
    fn current(&self) -> Option<&'a Node> {
        let flow = self.flow;
        self.s.node.as_ref().and_then(|id| flow.node(id))
    }

    /// Records `id` as the node the conversation is at, reusing the
    /// session's buffer.
    fn set_node(&mut self, id: &NodeId) {
        match &mut self.s.node {
            Some(node) => node.0.clone_from(&id.0),
            None => self.s.node = Some(id.clone()),
        }
    }

    fn handle(&mut self, input: Input) {
        if matches!(
            input,
            Input::Start | Input::Text { .. } | Input::Payload { .. } | Input::CartOrder { .. }
        ) {
            self.s.http_calls = 0;
        }
        // Typed text is folded once, for the shortcuts and the answers.
        let typed = match &input {
            Input::Text { text } => {
                let typed = normalize(text);
                // Keyword shortcuts work from anywhere, even during a handoff.
                let flow = self.flow;
                if let Some(to) = flow.trigger(&typed) {
                    self.goto_id(to);
                    return;
                }
                typed
            }
            _ => String::new(),
        };
        match input {
            Input::Start => self.restart(),
            Input::Resume { node } => self.resume(node.as_ref()),
            Input::Echo { .. } => {}
            _ if self.s.status == Status::HandedOff => {}
            Input::Text { text } => match self.s.status {
                Status::New | Status::Ended => self.restart(),
                Status::Waiting => self.on_text(&text, &typed),
                Status::AwaitingHttp | Status::HandedOff => {}
            },
            Input::Payload { payload } => match Payload::decode(&payload) {
                Some(p) => self.on_payload(p),
                // Not ours (an old format, a platform default): read it as text.
                None => self.handle(Input::Text { text: payload }),
            },
            Input::CartOrder { items } => self.on_cart_order(items),
            Input::PaymentSucceeded { order_key } => self.on_paid(&order_key),
            Input::PaymentFailed { order_key } => {
                if self.s.placed.iter().any(|p| p.key == order_key) {
                    self.say(
                        "Your payment did not go through. You can try again from your order page.",
                    );
                }
            }
            Input::HttpResult {
                request_id,
                status,
                body,
            } => {
                if self.s.status == Status::AwaitingHttp
                    && self.s.http_request.as_deref() == Some(request_id.as_str())
                {
                    self.http_done((200..300).contains(&status), &body);
                }
            }
            Input::Timeout => {
                if self.s.status == Status::AwaitingHttp {
                    self.http_done(false, "");
                }
            }
        }
    }

    fn restart(&mut self) {
        let flow = self.flow;
        match &flow.doc.start {
            Some(start) => self.goto_id(start),
            None => self.s.status = Status::Ended,
        }
    }

    /// Goes on after a person handed the conversation back.
    fn resume(&mut self, to: Option<&NodeId>) {
        let flow = self.flow;
        if let Some(id) = to.filter(|id| flow.by_id.contains_key(*id)) {
            self.goto_id(id);
            return;
        }
        if self.s.status != Status::HandedOff {
            return;
        }
        let exit = self
            .s
            .node
            .as_ref()
            .and_then(|at| flow.target_index(at, "resume"));
        match exit {
            Some(ix) => self.goto(ix),
            None => self.restart(),
        }
    }

    fn follow(&mut self, from: &NodeId, port: &str) {
        let to = self.flow.target_index(from, port);
        self.go(to);
    }

    /// Enters the node at index `to`, or ends here when there is none.
    fn go(&mut self, to: Option<usize>) {
        match to {
            Some(next) => self.goto(next),
            None => self.end_here(),
        }
    }

    /// The flow has nowhere to go: the conversation ends at this node.
    fn end_here(&mut self) {
        self.s.status = Status::Ended;
        self.s.checkout = None;
        self.s.http_request = None;
        self.effects.push(Effect::End);
    }

    /// Enters the node `id` names and runs on until a node waits; ends the
    /// conversation when the flow has no such node.
    fn goto_id(&mut self, id: &NodeId) {
        let to = self.flow.by_id.get(id).copied();
        self.go(to);
    }

    /// Enters the node at index `ix` and runs on until a node waits.
    fn goto(&mut self, mut ix: usize) {
        let flow = self.flow;
        loop {
            let node = &flow.doc.nodes[ix];
            if self.budget == 0 {
                // A loop that never waits: stop here rather than spin.
                self.set_node(&node.id);
                self.end_here();
                return;
            }
            self.budget -= 1;
            self.set_node(&node.id);
            self.s.status = Status::Waiting;
            self.s.attempts = 0;
            self.s.page = 0;
            self.s.checkout = None;
            self.s.http_request = None;
            self.effects.push(Effect::Visit {
                node: node.id.clone(),
            });
            match self.enter(node) {
                Next::Port(port) => match flow.port_index(ix, port) {
                    Some(to) => ix = to,
                    None => {
                        self.end_here();
                        return;
                    }
                },
                Next::Wait | Next::Stop => return,
            }
        }
    }

    /// Follows `next` from the current node after an answer.
    fn proceed(&mut self, next: Next) {
        let Next::Port(port) = next else {
            return;
        };
        let Some(id) = &self.s.node else {
            return;
        };
        let to = self.flow.target_index(id, port);
        self.go(to);
    }

    fn enter(&mut self, node: &'a Node) -> Next<'a> {
        let id = &node.id;
        match &node.kind {
            NodeKind::Message(s) => {
                self.say(self.fill(&s.text));
                if let Some(url) = &s.image_url {
                    self.send(Outbound::Image {
                        url: self.fill(url),
                        caption: None,
                    });
                }
                Next::Port("next")
            }
            NodeKind::QuickReply(s) => {
                self.prompt_choices(id, s);
                Next::Wait
            }
            NodeKind::ProductCarousel(s) => self.show_page(id, s, 0),
            NodeKind::Checkout(s) => self.enter_checkout(id, s),
            NodeKind::Ask(s) => {
                self.say(self.fill(&s.text));
                Next::Wait
            }
            NodeKind::Condition(s) => {
                for b in &s.branches {
                    if self.holds(b) {
                        return Next::Port(&b.id);
                    }
                }
                Next::Port("else")
            }
            NodeKind::SetVariable(s) => {
                let value = self.fill(&s.value);
                if !s.name.starts_with("contact.") {
                    self.set_var_owned(&s.name, value);
                } else {
                    self.write_contact(&s.name, value);
                }
                Next::Port("next")
            }
            NodeKind::ShowCart(s) => self.enter_cart(id, s),
            NodeKind::OrderStatus(s) => self.order_status(s),
            NodeKind::Handoff(s) => {
                self.say(self.fill(&s.text));
                self.effects.push(Effect::Handoff { node: id.clone() });
                self.s.status = Status::HandedOff;
                Next::Stop
            }
            NodeKind::HttpRequest(s) => self.start_http(id, s),
            NodeKind::End(s) => {
                self.say(self.fill(&s.text));
                self.s.status = Status::Ended;
                self.effects.push(Effect::End);
                Next::Stop
            }
        }
    }

    fn prompt_choices(&mut self, id: &NodeId, s: &QuickReplySettings) {
        let choices = s
            .options
            .iter()
            .map(|o| Choice {
                label: self.fill(&o.label),
                payload: payload::encode_option(id, &o.id),
            })
            .collect();
        self.send(Outbound::Choices {
            text: self.fill(&s.text),
            choices,
        });
    }

    /// Lists the shopper's latest orders.
    fn order_status(&mut self, s: &OrderStatusSettings) -> Next<'static> {
        if self.ctx.orders.is_empty() {
            let text = if s.none_text.trim().is_empty() {
                "You have no orders with us yet.".to_string()
            } else {
                self.fill(&s.none_text)
            };
            self.say(text);
        } else {
            let mut text = if s.text.trim().is_empty() {
                "Here are your latest orders:".to_string()
            } else {
                self.fill(&s.text)
            };
            for o in self.ctx.orders.iter().take(5) {
                text.push_str(&format!(
                    "\nOrder {} — {} — {}",
                    o.number,
                    o.status.label(),
                    o.total
                ));
            }
            self.say(text);
        }
        Next::Port("next")
    }

    fn holds(&self, b: &Branch) -> bool {
        let value = match &b.subject {
            Subject::Variable { name } => self.lookup(name).unwrap_or_default(),
            Subject::CartTotal => self
                .cart_total()
                .map(|m| m.decimal())
                .unwrap_or_else(|| "0".into()),
            Subject::CartCount => self.s.cart.count().to_string(),
        };
        let expected = self.fill(&b.value);
        match b.op {
            Comparison::Equals => normalize(&value) == normalize(&expected),
            Comparison::NotEquals => normalize(&value) != normalize(&expected),
            Comparison::Contains => normalize(&value).contains(&normalize(&expected)),
            Comparison::GreaterThan | Comparison::LessThan => {
                match (parse_decimal(&value), parse_decimal(&expected)) {
                    (Some(a), Some(e)) if b.op == Comparison::GreaterThan => a > e,
                    (Some(a), Some(e)) => a < e,
                    _ => false,
                }
            }
            Comparison::IsSet => !value.trim().is_empty(),
            Comparison::IsEmpty => value.trim().is_empty(),
            Comparison::HasTag => self.contact_has_tag(&expected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_the_first_edge_of_a_port_to_an_existing_node() {
        let mut doc = crate::flow::templates::shop();
        doc.edges.extend([
            Edge::new("welcome", "next", "catalog"),
            Edge::new("menu", "x", "nowhere"),
            Edge::new("menu", "x", "catalog"),
            Edge::new("ghost", "y", "catalog"),
            Edge::new("ghost", "y", "menu"),
            Edge::new("ghost", "z", "nowhere"),
        ]);
        let flow = ValidFlow::unchecked(doc);
        let target = |from: &str, port: &str| flow.target(&from.into(), port).map(NodeId::as_str);
        assert_eq!(target("welcome", "next"), Some("menu"));
        assert_eq!(target("menu", "browse"), Some("catalog"));
        assert_eq!(target("menu", "x"), None, "the first edge leads nowhere");
        assert_eq!(target("menu", "nope"), None);
        assert_eq!(target("ghost", "y"), Some("catalog"));
        assert_eq!(target("ghost", "z"), None);
        assert_eq!(target("nobody", "next"), None);
    }
}

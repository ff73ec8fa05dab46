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
use super::payload::Payload;
use super::text::{interpolate, normalize};
use crate::channel::{Choice, Outbound};
use crate::commerce::{Cart, CatalogView, Money, NewOrder, OrderStatus};

/// Most nodes one `step` may enter.
pub const STEP_BUDGET: u32 = 64;
/// Longest value a variable may hold.
pub const MAX_VAR_CHARS: usize = 1000;
/// Most variables a session holds.
pub const MAX_VARS: usize = 100;

mod answers;
mod cart;
mod catalog;
mod checkout;
mod http;

pub use answers::{check_answer, match_option};
pub use http::{MAX_HTTP_PER_TURN, json_escape, percent_encode, request_id};

/// A flow ready to run: the document with its lookups built once.
#[derive(Debug, Clone)]
pub struct ValidFlow {
    doc: FlowDoc,
    by_id: HashMap<NodeId, usize>,
    edges: HashMap<(NodeId, String), NodeId>,
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

    /// Prepares any document without validating it. The interpreter stays
    /// total on such flows (it ends the conversation where the flow is
    /// broken); this exists for previews of drafts and for tests.
    pub fn unchecked(doc: FlowDoc) -> ValidFlow {
        let mut by_id = HashMap::new();
        for (i, n) in doc.nodes.iter().enumerate() {
            by_id.entry(n.id.clone()).or_insert(i);
        }
        let mut edges = HashMap::new();
        for e in &doc.edges {
            edges
                .entry((e.from.clone(), e.port.clone()))
                .or_insert_with(|| e.to.clone());
        }
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
            edges,
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
        self.edges
            .get(&(from.clone(), port.to_string()))
            .filter(|to| self.by_id.contains_key(*to))
    }

    fn trigger(&self, text: &str) -> Option<&NodeId> {
        let key = normalize(text);
        self.triggers
            .iter()
            .find(|(k, _)| *k == key)
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
        effects: Vec::new(),
        budget: STEP_BUDGET,
    };
    run.handle(input);
    Step {
        session: run.s,
        effects: run.effects,
    }
}

/// What entering or answering a node leads to.
enum Next {
    /// Follow this output port.
    Port(&'static str),
    /// Follow a port named at run time (options, branches).
    Named(String),
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
}

impl Run<'_> {
    fn send(&mut self, message: Outbound) {
        self.effects.push(Effect::Send { message });
    }

    fn say(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.send(Outbound::Text { text });
        }
    }

    /// Fills in variables; `order.*` placeholders stay for the caller.
    fn fill(&self, template: &str) -> String {
        interpolate(template, |name| self.lookup(name))
    }

    fn lookup(&self, name: &str) -> Option<String> {
        if name.starts_with("order.") {
            return Some(format!("{{{{{name}}}}}"));
        }
        match name {
            "cart.total" => self.cart_total().map(|m| m.to_string()),
            "cart.count" => Some(self.s.cart.count().to_string()),
            "cart.items" => Some(
                self.s
                    .cart
                    .lines
                    .iter()
                    .map(|l| format!("{} × {}", l.qty, l.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => self.s.vars.get(name).cloned(),
        }
    }

    fn cart_total(&self) -> Option<Money> {
        self.s.cart.total().ok().flatten()
    }

    fn set_var(&mut self, name: &str, value: &str) {
        if self.s.vars.len() >= MAX_VARS && !self.s.vars.contains_key(name) {
            return;
        }
        let value: String = value.chars().take(MAX_VAR_CHARS).collect();
        self.s.vars.insert(name.to_string(), value);
    }

    fn current(&self) -> Option<&Node> {
        self.s.node.as_ref().and_then(|id| self.flow.node(id))
    }

    fn handle(&mut self, input: Input) {
        if matches!(
            input,
            Input::Start | Input::Text { .. } | Input::Payload { .. } | Input::CartOrder { .. }
        ) {
            self.s.http_calls = 0;
        }
        // Keyword shortcuts work from anywhere, even during a handoff.
        if let Input::Text { text } = &input
            && let Some(to) = self.flow.trigger(text).cloned()
        {
            self.goto(to);
            return;
        }
        match input {
            Input::Start => self.restart(),
            _ if self.s.status == Status::HandedOff => {}
            Input::Text { text } => match self.s.status {
                Status::New | Status::Ended => self.restart(),
                Status::Waiting => self.on_text(&text),
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
        match self.flow.doc.start.clone() {
            Some(start) => self.goto(start),
            None => self.s.status = Status::Ended,
        }
    }

    fn follow(&mut self, from: &NodeId, port: &str) {
        match self.flow.target(from, port).cloned() {
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

    /// Enters `id` and runs on until a node waits.
    fn goto(&mut self, mut id: NodeId) {
        loop {
            let Some(node) = self.flow.node(&id) else {
                self.end_here();
                return;
            };
            if self.budget == 0 {
                // A loop that never waits: stop here rather than spin.
                self.s.node = Some(id);
                self.end_here();
                return;
            }
            self.budget -= 1;
            self.s.node = Some(id.clone());
            self.s.status = Status::Waiting;
            self.s.attempts = 0;
            self.s.page = 0;
            self.s.checkout = None;
            self.s.http_request = None;
            self.effects.push(Effect::Visit { node: id.clone() });
            let next = self.enter(node);
            match self.port_of(next) {
                Ok(port) => match self.flow.target(&id, &port).cloned() {
                    Some(to) => id = to,
                    None => {
                        self.end_here();
                        return;
                    }
                },
                Err(()) => return,
            }
        }
    }

    /// `Ok(port)` to follow, `Err(())` to stop here.
    fn port_of(&self, next: Next) -> Result<String, ()> {
        match next {
            Next::Port(p) => Ok(p.to_string()),
            Next::Named(p) => Ok(p),
            Next::Wait | Next::Stop => Err(()),
        }
    }

    /// Follows `next` from the current node after an answer.
    fn proceed(&mut self, next: Next) {
        let Some(id) = self.s.node.clone() else {
            return;
        };
        if let Ok(port) = self.port_of(next) {
            self.follow(&id, &port);
        }
    }

    fn enter(&mut self, node: &Node) -> Next {
        let id = node.id.clone();
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
                self.prompt_choices(&id, s);
                Next::Wait
            }
            NodeKind::ProductCarousel(s) => self.show_page(&id, s, 0),
            NodeKind::Checkout(s) => self.enter_checkout(&id, s),
            NodeKind::Ask(s) => {
                self.say(self.fill(&s.text));
                Next::Wait
            }
            NodeKind::Condition(s) => {
                for b in &s.branches {
                    if self.holds(b) {
                        return Next::Named(b.id.clone());
                    }
                }
                Next::Port("else")
            }
            NodeKind::SetVariable(s) => {
                let value = self.fill(&s.value);
                self.set_var(&s.name, &value);
                Next::Port("next")
            }
            NodeKind::ShowCart(s) => self.enter_cart(&id, s),
            NodeKind::OrderStatus(s) => self.order_status(s),
            NodeKind::Handoff(s) => {
                self.say(self.fill(&s.text));
                self.effects.push(Effect::Handoff { node: id });
                self.s.status = Status::HandedOff;
                Next::Stop
            }
            NodeKind::HttpRequest(s) => self.start_http(&id, s),
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
                payload: Payload::Option {
                    node: id.clone(),
                    option: o.id.clone(),
                }
                .encode(),
            })
            .collect();
        self.send(Outbound::Choices {
            text: self.fill(&s.text),
            choices,
        });
    }

    /// Lists the shopper's latest orders.
    fn order_status(&mut self, s: &OrderStatusSettings) -> Next {
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
        }
    }
}

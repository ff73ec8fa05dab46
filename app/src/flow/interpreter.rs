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

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::doc::*;
use super::number::{format_decimal, parse_decimal};
use super::payload::{CartAction, CheckoutAction, Payload};
use super::text::{interpolate, normalize};
use crate::channel::{Card, CardButton, Choice, Outbound};
use crate::commerce::{Cart, CatalogView, Money, NewOrder, OrderStatus, PaymentMethod};

/// Most nodes one `step` may enter.
pub const STEP_BUDGET: u32 = 64;
/// Longest value a variable may hold.
pub const MAX_VAR_CHARS: usize = 1000;
/// Most variables a session holds.
pub const MAX_VARS: usize = 100;
/// Placed orders remembered per session (to route payments and refuse a
/// second confirmation of the same cart).
const PLACED_KEPT: usize = 10;

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
            NodeKind::OrderStatus(s) => {
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
            NodeKind::Handoff(s) => {
                self.say(self.fill(&s.text));
                self.effects.push(Effect::Handoff { node: id });
                self.s.status = Status::HandedOff;
                Next::Stop
            }
            NodeKind::HttpRequest(s) => {
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

    // ----------------------------------------------------------- answers

    fn on_text(&mut self, text: &str) {
        let Some(node) = self.current().cloned() else {
            self.restart();
            return;
        };
        let id = node.id.clone();
        match &node.kind {
            NodeKind::QuickReply(s) => match match_option(s, text) {
                Some(i) => self.choose(&id, s, i),
                None => self.no_match(&id, s),
            },
            NodeKind::ProductCarousel(s) => {
                let n = normalize(text);
                if ["more", "next", "show more", "see more"].contains(&n.as_str()) {
                    self.more(&id, s, self.s.page + 1);
                } else if ["done", "finish", "that s all", "thats all", "no"].contains(&n.as_str())
                {
                    self.proceed(Next::Port("done"));
                } else {
                    self.say(
                        "Tap “Add to cart” under a product, or “Done” when you have what you need.",
                    );
                    self.carousel_choices(&id, s, self.s.page);
                }
            }
            NodeKind::Checkout(s) => self.checkout_text(&id, s, text),
            NodeKind::Ask(s) => match check_answer(s.kind, text) {
                Some(value) => {
                    self.set_var(&s.save_as, &value);
                    self.proceed(Next::Port("next"));
                }
                None => {
                    self.s.attempts += 1;
                    if self.s.attempts >= s.max_attempts.max(1)
                        && self.flow.target(&id, "invalid").is_some()
                    {
                        self.proceed(Next::Port("invalid"));
                    } else {
                        let again = match &s.reprompt {
                            Some(r) if !r.trim().is_empty() => self.fill(r),
                            _ => reprompt_for(s.kind).to_string(),
                        };
                        self.say(again);
                        self.say(self.fill(&s.text));
                    }
                }
            },
            NodeKind::ShowCart(s) => {
                let n = normalize(text);
                if ["checkout", "check out", "pay", "order", "buy"].contains(&n.as_str()) {
                    self.proceed(Next::Port("checkout"));
                } else if ["continue", "keep shopping", "shop", "back", "more"]
                    .contains(&n.as_str())
                {
                    self.proceed(Next::Port("continue"));
                } else {
                    self.say("Please choose one of the options below.");
                    self.cart_choices(&id, s);
                }
            }
            // Nodes that do not wait for text: start over from here.
            _ => self.goto(id),
        }
    }

    fn choose(&mut self, id: &NodeId, s: &QuickReplySettings, i: usize) {
        let Some(option) = s.options.get(i) else {
            return;
        };
        if let Some(var) = &s.save_as {
            let label = self.fill(&option.label);
            self.set_var(var, &label);
        }
        self.s.node = Some(id.clone());
        self.proceed(Next::Named(option.id.clone()));
    }

    fn no_match(&mut self, id: &NodeId, s: &QuickReplySettings) {
        self.s.attempts += 1;
        if self.flow.target(id, "fallback").is_some() {
            self.proceed(Next::Port("fallback"));
            return;
        }
        let again = match &s.reprompt {
            Some(r) if !r.trim().is_empty() => self.fill(r),
            _ => "Sorry, I didn't catch that. Please choose one of the options.".to_string(),
        };
        self.say(again);
        self.prompt_choices(id, s);
    }

    /// Re-asks whatever the current node waits for, after input it could not use.
    fn reprompt_current(&mut self) {
        let Some(node) = self.current().cloned() else {
            self.restart();
            return;
        };
        match (&node.kind, self.s.status) {
            (NodeKind::QuickReply(s), Status::Waiting) => self.no_match(&node.id, s),
            (NodeKind::ProductCarousel(s), Status::Waiting) => {
                let page = self.s.page;
                self.carousel_choices(&node.id, s, page);
            }
            (NodeKind::Ask(s), Status::Waiting) => self.say(self.fill(&s.text)),
            (NodeKind::Checkout(s), Status::Waiting) => {
                let id = node.id.clone();
                self.checkout_text(&id, s, "");
            }
            (NodeKind::ShowCart(s), Status::Waiting) => self.cart_choices(&node.id, s),
            (_, Status::New | Status::Ended) => self.restart(),
            _ => {}
        }
    }

    fn on_payload(&mut self, p: Payload) {
        let node = self.flow.node(p.node()).cloned();
        let Some(node) = node else {
            // A button from a flow version that no longer has that step.
            self.reprompt_current();
            return;
        };
        let id = node.id.clone();
        match (p, &node.kind) {
            (Payload::Option { option, .. }, NodeKind::QuickReply(s)) => {
                match s.options.iter().position(|o| o.id == option) {
                    // An old question's button still means that answer.
                    Some(i) => self.choose(&id, s, i),
                    None => self.reprompt_current(),
                }
            }
            (Payload::Add { sku, .. }, NodeKind::ProductCarousel(_)) => {
                match self.s.cart.add(self.ctx.catalog, &sku, 1) {
                    Ok(line) => {
                        let name = line.name.clone();
                        let total = self.cart_total().map(|t| t.to_string()).unwrap_or_default();
                        let count = self.s.cart.count();
                        self.say(format!(
                            "Added {name} to your cart. You have {count} item{} ({total}).",
                            if count == 1 { "" } else { "s" }
                        ));
                        // "Add to cart" on an earlier carousel continues from that carousel.
                        self.s.node = Some(id.clone());
                        self.s.status = Status::Waiting;
                        self.proceed(Next::Port("added"));
                    }
                    Err(e) => {
                        self.say(e.to_string());
                        self.reprompt_current();
                    }
                }
            }
            (Payload::Details { sku, .. }, NodeKind::ProductCarousel(_)) => {
                match self.ctx.catalog.get(&sku).filter(|p| p.active).cloned() {
                    Some(p) => {
                        if let Some(url) = &p.image_url {
                            self.send(Outbound::Image {
                                url: url.clone(),
                                caption: Some(p.name.clone()),
                            });
                        }
                        let mut text = format!("{} — {}", p.name, p.price);
                        if !p.description.trim().is_empty() {
                            text.push('\n');
                            text.push_str(p.description.trim());
                        }
                        if p.stock == Some(0) {
                            text.push_str("\nSold out for now.");
                        }
                        self.send(Outbound::Choices {
                            text,
                            choices: vec![Choice {
                                label: "Add to cart".into(),
                                payload: Payload::Add {
                                    node: id,
                                    sku: p.sku.clone(),
                                }
                                .encode(),
                            }],
                        });
                    }
                    None => {
                        self.say("Sorry, that product is not available.");
                        self.reprompt_current();
                    }
                }
            }
            (Payload::More { page, .. }, NodeKind::ProductCarousel(s)) => self.more(&id, s, page),
            (Payload::Done { .. }, NodeKind::ProductCarousel(_)) => {
                self.s.node = Some(id);
                self.s.status = Status::Waiting;
                self.proceed(Next::Port("done"));
            }
            (Payload::Checkout { cart, action, .. }, NodeKind::Checkout(s)) => {
                self.checkout_tap(&id, s, &cart, action)
            }
            (Payload::Cart { action, .. }, NodeKind::ShowCart(_)) => {
                self.s.node = Some(id.clone());
                self.s.status = Status::Waiting;
                match action {
                    CartAction::Checkout => self.proceed(Next::Port("checkout")),
                    CartAction::Continue => self.proceed(Next::Port("continue")),
                    CartAction::Clear => {
                        self.s.cart.clear();
                        self.say("Your cart is empty now.");
                        let next = if self.flow.target(&id, "empty").is_some() {
                            "empty"
                        } else {
                            "continue"
                        };
                        self.proceed(Next::Port(next));
                    }
                }
            }
            // A payload that does not fit its node (a hand-made or corrupted one).
            _ => self.reprompt_current(),
        }
    }

    // ----------------------------------------------------------- catalog

    fn show_page(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) -> Next {
        let catalog = self.ctx.catalog;
        let products = catalog.select(&s.source);
        let size = s.page_size.clamp(1, MAX_PAGE_SIZE) as usize;
        if products.is_empty() {
            self.say("Sorry, there is nothing to show here right now.");
            return Next::Port("done");
        }
        let pages = products.len().div_ceil(size);
        let page = (page as usize).min(pages - 1);
        let cards = products
            .iter()
            .skip(page * size)
            .take(size)
            .map(|p| {
                let mut subtitle = p.price.to_string();
                if p.stock == Some(0) {
                    subtitle.push_str(" · Sold out");
                } else if !p.description.trim().is_empty() {
                    subtitle.push_str(" · ");
                    subtitle.push_str(p.description.trim());
                }
                Card {
                    title: p.name.clone(),
                    subtitle,
                    image_url: p.image_url.clone(),
                    buttons: vec![
                        CardButton::Postback {
                            label: "Add to cart".into(),
                            payload: Payload::Add {
                                node: id.clone(),
                                sku: p.sku.clone(),
                            }
                            .encode(),
                        },
                        CardButton::Postback {
                            label: "Details".into(),
                            payload: Payload::Details {
                                node: id.clone(),
                                sku: p.sku.clone(),
                            }
                            .encode(),
                        },
                    ],
                }
            })
            .collect();
        self.s.node = Some(id.clone());
        self.s.status = Status::Waiting;
        self.s.page = page as u32;
        let choices = self.carousel_choice_list(id, s, page as u32);
        self.send(Outbound::Cards {
            text: self.fill(&s.text),
            cards,
            choices,
        });
        Next::Wait
    }

    fn carousel_choice_list(&self, id: &NodeId, s: &CarouselSettings, page: u32) -> Vec<Choice> {
        let size = s.page_size.clamp(1, MAX_PAGE_SIZE) as usize;
        let total = self.ctx.catalog.select(&s.source).len();
        let has_more = (page as usize + 1) * size < total || self.flow.target(id, "more").is_some();
        let mut choices = Vec::new();
        if has_more {
            choices.push(Choice {
                label: "More".into(),
                payload: Payload::More {
                    node: id.clone(),
                    page: page + 1,
                }
                .encode(),
            });
        }
        choices.push(Choice {
            label: "Done".into(),
            payload: Payload::Done { node: id.clone() }.encode(),
        });
        choices
    }

    fn carousel_choices(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) {
        let choices = self.carousel_choice_list(id, s, page);
        self.send(Outbound::Choices {
            text: "What next?".into(),
            choices,
        });
    }

    fn more(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) {
        self.s.node = Some(id.clone());
        self.s.status = Status::Waiting;
        if self.flow.target(id, "more").is_some() {
            self.proceed(Next::Port("more"));
            return;
        }
        let size = s.page_size.clamp(1, MAX_PAGE_SIZE) as usize;
        let total = self.ctx.catalog.select(&s.source).len();
        if page as usize * size >= total {
            self.say("That's everything we have here.");
            self.carousel_choices(id, s, self.s.page);
            return;
        }
        if let Next::Port(p) = self.show_page(id, s, page) {
            self.proceed(Next::Port(p));
        }
    }

    // ----------------------------------------------------------- cart

    fn cart_summary(&self) -> String {
        let mut text = String::new();
        for l in &self.s.cart.lines {
            let amount = l
                .unit_price
                .checked_mul(l.qty)
                .map(|m| m.to_string())
                .unwrap_or_default();
            text.push_str(&format!("\n{} × {} — {}", l.qty, l.name, amount));
        }
        if let Some(total) = self.cart_total() {
            text.push_str(&format!("\nTotal: {total}"));
        }
        text
    }

    fn enter_cart(&mut self, id: &NodeId, s: &ShowCartSettings) -> Next {
        for note in self.s.cart.refresh(self.ctx.catalog) {
            self.say(note);
        }
        if self.s.cart.is_empty() {
            let text = if s.empty_text.trim().is_empty() {
                "Your cart is empty.".to_string()
            } else {
                self.fill(&s.empty_text)
            };
            self.say(text);
            return if self.flow.target(id, "empty").is_some() {
                Next::Port("empty")
            } else {
                Next::Port("continue")
            };
        }
        self.cart_choices(id, s);
        Next::Wait
    }

    fn cart_choices(&mut self, id: &NodeId, s: &ShowCartSettings) {
        let head = if s.text.trim().is_empty() {
            "Your cart:".to_string()
        } else {
            self.fill(&s.text)
        };
        let choice = |label: &str, action| Choice {
            label: label.into(),
            payload: Payload::Cart {
                node: id.clone(),
                action,
            }
            .encode(),
        };
        self.send(Outbound::Choices {
            text: format!("{head}{}", self.cart_summary()),
            choices: vec![
                choice("Checkout", CartAction::Checkout),
                choice("Keep shopping", CartAction::Continue),
                choice("Empty cart", CartAction::Clear),
            ],
        });
    }

    fn on_cart_order(&mut self, items: Vec<OrderedItem>) {
        // The shopper's WhatsApp cart replaces ours, re-priced from our catalog.
        self.s.cart.clear();
        for item in items.iter().take(crate::commerce::cart::MAX_LINES) {
            if let Err(e) = self
                .s
                .cart
                .add(self.ctx.catalog, &item.sku, item.qty.min(99))
            {
                self.say(e.to_string());
            }
        }
        match self.flow.first_checkout.clone() {
            Some(checkout) => self.goto(checkout),
            None => {
                self.say(format!("Thanks! Your cart:{}", self.cart_summary()));
                self.reprompt_current();
            }
        }
    }

    // ----------------------------------------------------------- checkout

    fn enter_checkout(&mut self, id: &NodeId, s: &CheckoutSettings) -> Next {
        for note in self.s.cart.refresh(self.ctx.catalog) {
            self.say(note);
        }
        if self.s.cart.is_empty() {
            self.say("Your cart is empty.");
            return if self.flow.target(id, "empty_cart").is_some() {
                Next::Port("empty_cart")
            } else {
                self.end_here();
                Next::Stop
            };
        }
        self.confirm_prompt(id, s);
        Next::Wait
    }

    fn confirm_prompt(&mut self, id: &NodeId, s: &CheckoutSettings) {
        let cart = self.s.cart.fingerprint();
        let head = if s.text.trim().is_empty() {
            "Please check your order:".to_string()
        } else {
            self.fill(&s.text)
        };
        let button = |label: &str, action| Choice {
            label: label.into(),
            payload: Payload::Checkout {
                node: id.clone(),
                cart: cart.clone(),
                action,
            }
            .encode(),
        };
        self.send(Outbound::Choices {
            text: format!("{head}{}", self.cart_summary()),
            choices: vec![
                button("Confirm order", CheckoutAction::Confirm),
                button("Cancel", CheckoutAction::Cancel),
            ],
        });
        self.s.checkout = Some(CheckoutStage::Confirm { cart });
    }

    fn payment_prompt(&mut self, id: &NodeId, cart: String) {
        let button = |label: &str, action| Choice {
            label: label.into(),
            payload: Payload::Checkout {
                node: id.clone(),
                cart: cart.clone(),
                action,
            }
            .encode(),
        };
        self.send(Outbound::Choices {
            text: "How would you like to pay?".into(),
            choices: vec![
                button("Cash on delivery", CheckoutAction::PayCash),
                button("Pay online", CheckoutAction::PayOnline),
            ],
        });
        self.s.checkout = Some(CheckoutStage::Payment { cart });
    }

    fn checkout_text(&mut self, id: &NodeId, s: &CheckoutSettings, text: &str) {
        let n = normalize(text);
        let cart = self.s.cart.fingerprint();
        let action = match (&self.s.checkout, n.as_str()) {
            (
                Some(CheckoutStage::Confirm { .. }),
                "yes" | "y" | "ok" | "confirm" | "confirm order" | "1",
            ) => Some(CheckoutAction::Confirm),
            (Some(CheckoutStage::Confirm { .. }), "no" | "n" | "cancel" | "2") => {
                Some(CheckoutAction::Cancel)
            }
            (Some(CheckoutStage::Payment { .. }), "cash" | "cash on delivery" | "1") => {
                Some(CheckoutAction::PayCash)
            }
            (Some(CheckoutStage::Payment { .. }), "online" | "pay online" | "card" | "2") => {
                Some(CheckoutAction::PayOnline)
            }
            (Some(CheckoutStage::Payment { .. }), "cancel" | "no") => Some(CheckoutAction::Cancel),
            _ => None,
        };
        match action {
            Some(a) => self.checkout_tap(id, s, &cart, a),
            None => match self.s.checkout.clone() {
                Some(CheckoutStage::Payment { cart }) => self.payment_prompt(id, cart),
                _ => {
                    if self.s.cart.is_empty() {
                        self.enter_checkout(id, s);
                    } else {
                        self.confirm_prompt(id, s);
                    }
                }
            },
        }
    }

    fn checkout_tap(
        &mut self,
        id: &NodeId,
        s: &CheckoutSettings,
        cart: &str,
        action: CheckoutAction,
    ) {
        // The same cart confirmed again (a double tap, a retried webhook with
        // a new id): the order exists already.
        let already_placed = self
            .s
            .placed
            .iter()
            .any(|p| p.cart == cart && p.node == *id);
        if already_placed && action != CheckoutAction::Cancel && self.s.cart.fingerprint() != cart {
            self.say("This order is already placed. Thank you!");
            return;
        }
        let here = self.s.node.as_ref() == Some(id) && self.s.status == Status::Waiting;
        if action == CheckoutAction::Cancel {
            if !here {
                self.reprompt_current();
                return;
            }
            self.say("No problem, your order was not placed. Your cart is saved.");
            if self.flow.target(id, "cancelled").is_some() {
                self.proceed(Next::Port("cancelled"));
            } else {
                self.end_here();
            }
            return;
        }
        if !here || self.s.checkout.is_none() {
            // A confirmation from an old message: show the order as it is now.
            if self.s.node.as_ref() != Some(id) {
                self.goto(id.clone());
            } else {
                self.say("That button is from an earlier message.");
                self.reprompt_current();
            }
            return;
        }
        if self.s.cart.fingerprint() != cart {
            self.say("Your cart has changed since then. Here is your order as it is now:");
            self.confirm_prompt(id, s);
            return;
        }
        // A payment choice counts only when the shopper is being asked how
        // to pay, and only for a way this checkout offers: a stale or forged
        // "cash" must not skip the confirmation or override the merchant.
        let offered = match action {
            CheckoutAction::PayCash => s.payment != PaymentOptions::OrderPage,
            CheckoutAction::PayOnline => s.payment != PaymentOptions::CashOnDelivery,
            CheckoutAction::Confirm | CheckoutAction::Cancel => true,
        };
        let asked = match action {
            CheckoutAction::PayCash | CheckoutAction::PayOnline => {
                matches!(self.s.checkout, Some(CheckoutStage::Payment { .. }))
            }
            CheckoutAction::Confirm | CheckoutAction::Cancel => true,
        };
        if !offered {
            self.say(match action {
                CheckoutAction::PayCash => "Sorry, cash on delivery is not available here.",
                _ => "Sorry, paying online is not available here.",
            });
            self.reprompt_current();
            return;
        }
        if !asked {
            self.say("Please confirm your order first.");
            self.reprompt_current();
            return;
        }
        let method = match (action, s.payment) {
            (CheckoutAction::PayCash, _) => PaymentMethod::CashOnDelivery,
            (CheckoutAction::PayOnline, _) => PaymentMethod::OrderPage,
            (_, PaymentOptions::CashOnDelivery) => PaymentMethod::CashOnDelivery,
            (_, PaymentOptions::OrderPage) => PaymentMethod::OrderPage,
            (_, PaymentOptions::Both) => {
                self.payment_prompt(id, cart.to_string());
                return;
            }
        };
        self.place(id, s, method);
    }

    fn place(&mut self, id: &NodeId, s: &CheckoutSettings, method: PaymentMethod) {
        let total = match self.s.cart.total() {
            Ok(Some(t)) => t,
            Ok(None) => {
                self.say("Your cart is empty.");
                return;
            }
            Err(_) => {
                self.say("Sorry, this order is too large to place here. Please contact us.");
                return;
            }
        };
        let key = format!("{}:{}", self.ctx.conversation, self.ctx.event_id);
        if self.s.placed.iter().any(|p| p.key == key) {
            // This very event placed an order already and is being handled
            // again on a later state: one key, one order.
            self.say("This order is already placed. Thank you!");
            return;
        }
        let cart = self.s.cart.fingerprint();
        self.effects.push(Effect::PlaceOrder {
            order: NewOrder {
                key: key.clone(),
                lines: self.s.cart.lines.clone(),
                total,
                payment: method,
                details: self.s.vars.clone(),
            },
        });
        self.s.placed.push(Placed {
            key,
            node: id.clone(),
            cart,
        });
        if self.s.placed.len() > PLACED_KEPT {
            self.s.placed.remove(0);
        }
        self.s.cart.clear();
        self.s.checkout = None;
        let confirmation = if s.confirmation.trim().is_empty() {
            match method {
                PaymentMethod::CashOnDelivery => format!(
                    "Thank you! Your order {{{{order.number}}}} is placed. Please have {total} ready when it arrives."
                ),
                PaymentMethod::OrderPage => format!(
                    "Thank you! Your order {{{{order.number}}}} is placed. The total is {total}."
                ),
            }
        } else {
            self.fill(&s.confirmation)
        };
        self.say(confirmation);
        if method == PaymentMethod::OrderPage {
            self.send(Outbound::Link {
                text: "See your order and pay online:".into(),
                label: "Open order".into(),
                url: "{{order.url}}".into(),
            });
        }
        self.proceed(Next::Port("placed"));
    }

    fn on_paid(&mut self, key: &str) {
        let Some(placed) = self.s.placed.iter().find(|p| p.key == key).cloned() else {
            return;
        };
        if self.flow.target(&placed.node, "paid").is_some() {
            self.s.node = Some(placed.node.clone());
            self.follow(&placed.node, "paid");
        } else {
            self.say("We received your payment. Thank you!");
        }
    }

    // ----------------------------------------------------------- http

    fn http_done(&mut self, ok: bool, body: &str) {
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

/// Which option a typed answer means: its label (ignoring case, accents and
/// punctuation) or its number in the list.
pub fn match_option(s: &QuickReplySettings, text: &str) -> Option<usize> {
    let typed = normalize(text);
    if typed.is_empty() {
        return None;
    }
    if let Some(i) = s.options.iter().position(|o| normalize(&o.label) == typed) {
        return Some(i);
    }
    let number = typed
        .strip_prefix("option ")
        .or_else(|| typed.strip_prefix("number "))
        .unwrap_or(&typed);
    match number.parse::<usize>() {
        Ok(n) if (1..=s.options.len()).contains(&n) => Some(n - 1),
        _ => None,
    }
}

/// The stored value of a valid answer, or `None` when it is not valid.
pub fn check_answer(kind: AskKind, text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_VAR_CHARS {
        return None;
    }
    match kind {
        AskKind::Text => Some(t.to_string()),
        AskKind::Email => crate::account::Email::parse(t)
            .ok()
            .map(|e| e.as_str().to_string()),
        AskKind::Phone => {
            let plus = t.starts_with('+');
            let ok_chars = t
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            let digits: String = t.chars().filter(char::is_ascii_digit).collect();
            (ok_chars && (7..=15).contains(&digits.len()))
                .then(|| if plus { format!("+{digits}") } else { digits })
        }
        // The number as parsed, written plainly: "1,000.50" → "1000.5".
        AskKind::Number => parse_decimal(t).map(format_decimal),
        AskKind::Address => {
            let words = t.split_whitespace().count();
            (t.chars().count() >= 8 && words >= 2).then(|| t.to_string())
        }
    }
}

fn reprompt_for(kind: AskKind) -> &'static str {
    match kind {
        AskKind::Text => "Please type your answer.",
        AskKind::Email => {
            "That doesn't look like an email address. Please try again, like name@example.com."
        }
        AskKind::Phone => {
            "That doesn't look like a phone number. Please type it with the country code, like +1 650 555 1234."
        }
        AskKind::Number => "Please answer with a number, like 1000 or 12.5.",
        AskKind::Address => "Please type your full address: street and number, postcode and city.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_answers_are_stored_as_parsed() {
        let n = |t: &str| check_answer(AskKind::Number, t);
        assert_eq!(n("1,000.50").as_deref(), Some("1000.5"));
        assert_eq!(n("12,5").as_deref(), Some("12.5"));
        assert_eq!(n(" 42 ").as_deref(), Some("42"));
        assert_eq!(n("+7").as_deref(), Some("7"));
        assert_eq!(n("-0.25").as_deref(), Some("-0.25"));
        assert_eq!(n(".5").as_deref(), Some("0.5"));
        assert_eq!(n("3.000001").as_deref(), Some("3.000001"));
        assert_eq!(n("1.000.50"), None);
        // A thousand, or one? Asked again rather than guessed.
        assert_eq!(n("1,000"), None);
        assert_eq!(n("2,500"), None);
        assert_eq!(n("1,000,000"), None);
        assert_eq!(n("2,50").as_deref(), Some("2.5"));
        assert_eq!(n("2,5000").as_deref(), Some("2.5"));
        assert_eq!(n("twelve"), None);
        // What is stored reads back as the same number.
        for t in ["1,000.50", "12,5", "-0.25", "0.000001"] {
            let stored = n(t).unwrap();
            assert_eq!(parse_decimal(&stored), parse_decimal(t), "{t}");
        }
    }
}

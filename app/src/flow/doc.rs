//! The flow document: the versioned JSON a merchant's flow is stored in.
//!
//! ```json
//! {"schema": 1, "start": "hello",
//!  "nodes": [{"id": "hello", "type": "message", "position": {"x": 0, "y": 0},
//!             "settings": {"text": "Hi {{name}}!"}}],
//!  "edges": [{"from": "hello", "port": "next", "to": "menu"}],
//!  "triggers": [{"keywords": ["menu"], "to": "menu"}]}
//! ```
//!
//! Documents carry a `schema` number. [`FlowDoc::from_json`] migrates older
//! schemas forward before parsing; it never rejects a document for being
//! old.

use serde::{Deserialize, Serialize};

use crate::commerce::ProductSource;

/// The schema this code writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Most nodes in one flow.
pub const MAX_NODES: usize = 1000;
/// Most edges in one flow.
pub const MAX_EDGES: usize = 4000;
/// Most global triggers.
pub const MAX_TRIGGERS: usize = 50;
/// Most keywords per trigger.
pub const MAX_KEYWORDS: usize = 20;
/// Longest text field, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Most options of one quick reply or branches of one condition.
pub const MAX_OPTIONS: usize = 30;
/// Longest node, option or port id.
pub const MAX_ID_CHARS: usize = 64;
/// Largest serialized document accepted, in bytes.
pub const MAX_DOC_BYTES: usize = 2 * 1024 * 1024;
/// Most products one carousel page shows: as many cards as a Messenger
/// carousel (generic template) holds.
pub const MAX_PAGE_SIZE: u32 = crate::channel::limits::messenger::CARDS_MAX as u32;

/// A node's id, unique in its flow: letters, digits, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct NodeId(pub String);

impl NodeId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for NodeId {
    fn from(s: &str) -> Self {
        NodeId(s.to_string())
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `id` is usable as a node, option or port id.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A whole flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct FlowDoc {
    /// The document schema version; 1 today.
    pub schema: u32,
    /// Where every conversation begins.
    #[serde(default)]
    pub start: Option<NodeId>,
    /// The nodes.
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// The connections from output ports to nodes.
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// Keywords that jump to a node from anywhere.
    #[serde(default)]
    pub triggers: Vec<Trigger>,
}

impl Default for FlowDoc {
    fn default() -> Self {
        FlowDoc {
            schema: SCHEMA_VERSION,
            start: None,
            nodes: Vec::new(),
            edges: Vec::new(),
            triggers: Vec::new(),
        }
    }
}

/// Why a document could not be read at all (as opposed to the problems
/// validation reports on a readable document).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    /// Too large to accept.
    #[error("The flow is larger than {} MB.", MAX_DOC_BYTES / (1024 * 1024))]
    TooLarge,
    /// Not JSON, or not shaped like a flow.
    #[error("The flow document is not valid: {0}")]
    Invalid(String),
    /// Written by a newer Botme than this one.
    #[error("This flow was saved by a newer version of Botme (schema {0}).")]
    FromTheFuture(u32),
    /// Beyond a size bound other than bytes; the sentence says which.
    #[error("{0}")]
    OverLimit(String),
}

impl FlowDoc {
    /// Parses a stored or uploaded document, migrating old schemas forward.
    pub fn from_json(json: &str) -> Result<FlowDoc, DocError> {
        if json.len() > MAX_DOC_BYTES {
            return Err(DocError::TooLarge);
        }
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| DocError::Invalid(e.to_string()))?;
        FlowDoc::from_value(value)
    }

    /// Parses a JSON value, migrating old schemas forward.
    pub fn from_value(value: serde_json::Value) -> Result<FlowDoc, DocError> {
        let value = migrate(value)?;
        serde_json::from_value(value).map_err(|e| DocError::Invalid(e.to_string()))
    }

    /// Serializes the document.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// A node by id.
    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.nodes.iter().find(|n| &n.id == id)
    }

    /// Checks the size bounds a stored document must keep: at most
    /// [`MAX_NODES`] steps, [`MAX_EDGES`] connections, [`MAX_TRIGGERS`]
    /// keyword shortcuts and [`MAX_TEXT_CHARS`] characters in any text.
    /// (Validation reports the same, step by step.)
    pub fn check_limits(&self) -> Result<(), DocError> {
        let over = |what: &str, max: usize, n: usize| {
            DocError::OverLimit(format!(
                "A flow can have at most {max} {what}; this one has {n}."
            ))
        };
        if self.nodes.len() > MAX_NODES {
            return Err(over("steps", MAX_NODES, self.nodes.len()));
        }
        if self.edges.len() > MAX_EDGES {
            return Err(over("connections", MAX_EDGES, self.edges.len()));
        }
        if self.triggers.len() > MAX_TRIGGERS {
            return Err(over("keyword shortcuts", MAX_TRIGGERS, self.triggers.len()));
        }
        for node in &self.nodes {
            if let Some(n) = node
                .kind
                .texts()
                .iter()
                .map(|t| t.chars().count())
                .find(|&n| n > MAX_TEXT_CHARS)
            {
                return Err(DocError::OverLimit(format!(
                    "Texts can be at most {MAX_TEXT_CHARS} characters; one in the step “{}” has {n}.",
                    node.id
                )));
            }
        }
        for t in &self.triggers {
            if let Some(k) = t
                .keywords
                .iter()
                .find(|k| k.chars().count() > MAX_TEXT_CHARS)
            {
                return Err(DocError::OverLimit(format!(
                    "Keywords can be at most {MAX_TEXT_CHARS} characters; one has {}.",
                    k.chars().count()
                )));
            }
        }
        Ok(())
    }
}

/// Brings any older document up to [`SCHEMA_VERSION`]. Each schema bump adds
/// one step here; documents are never rejected for being old.
pub fn migrate(mut value: serde_json::Value) -> Result<serde_json::Value, DocError> {
    let Some(obj) = value.as_object_mut() else {
        return Err(DocError::Invalid("expected a JSON object".into()));
    };
    // Schema 0 was the pre-release shape without a `schema` field.
    let schema = match obj.get("schema") {
        None => 0,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| DocError::Invalid("`schema` must be a number".into()))?,
    };
    if schema > SCHEMA_VERSION {
        return Err(DocError::FromTheFuture(schema));
    }
    if schema == 0 {
        obj.insert("schema".into(), serde_json::Value::from(1));
    }
    Ok(value)
}

/// A point on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Position {
    /// Horizontal, in canvas pixels.
    pub x: f64,
    /// Vertical, in canvas pixels.
    pub y: f64,
}

/// One step of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Node {
    /// Unique in the flow.
    pub id: NodeId,
    /// Where the card sits on the canvas.
    #[serde(default)]
    pub position: Position,
    /// What the node does.
    #[serde(flatten)]
    pub kind: NodeKind,
}

/// The node types, each with its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "settings", rename_all = "snake_case")]
pub enum NodeKind {
    /// Sends text, optionally with an image.
    Message(MessageSettings),
    /// Asks a question with buttons.
    QuickReply(QuickReplySettings),
    /// Shows product cards.
    ProductCarousel(CarouselSettings),
    /// Confirms the cart and places the order.
    Checkout(CheckoutSettings),
    /// Collects a typed answer into a variable.
    Ask(AskSettings),
    /// Branches on variables or the cart.
    Condition(ConditionSettings),
    /// Sets a variable.
    SetVariable(SetVariableSettings),
    /// Shows the cart.
    ShowCart(ShowCartSettings),
    /// Tells the shopper how their orders are doing.
    OrderStatus(OrderStatusSettings),
    /// Hands the conversation to a person.
    Handoff(HandoffSettings),
    /// Calls the merchant's own API.
    HttpRequest(HttpRequestSettings),
    /// Ends the conversation.
    End(EndSettings),
}

/// `message` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct MessageSettings {
    /// The text; `{{variables}}` are filled in.
    pub text: String,
    /// A picture sent with the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// One button of a quick reply; its `id` is also the name of its port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ChoiceOption {
    /// Port name, unique in the node.
    pub id: String,
    /// What the shopper sees.
    pub label: String,
}

/// `quick_reply` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct QuickReplySettings {
    /// The question.
    pub text: String,
    /// The buttons, in order.
    pub options: Vec<ChoiceOption>,
    /// Stores the chosen label in this variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_as: Option<String>,
    /// Said before asking again when the answer matched no option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<String>,
}

/// `product_carousel` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CarouselSettings {
    /// Said above the cards.
    #[serde(default)]
    pub text: String,
    /// Which products to show.
    #[cfg_attr(feature = "ssr", schemars(with = "serde_json::Value"))]
    pub source: ProductSource,
    /// Cards per page (1 to 10, as many as a Messenger carousel holds).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_page_size() -> u32 {
    MAX_PAGE_SIZE
}

impl Default for CarouselSettings {
    fn default() -> Self {
        CarouselSettings {
            text: String::new(),
            source: ProductSource::All,
            page_size: default_page_size(),
        }
    }
}

/// How a checkout lets the shopper pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentOptions {
    /// Cash on delivery only.
    #[default]
    CashOnDelivery,
    /// The hosted order page only.
    OrderPage,
    /// Let the shopper choose.
    Both,
}

/// `checkout` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CheckoutSettings {
    /// Said above the order summary.
    #[serde(default)]
    pub text: String,
    /// Payment choices.
    #[serde(default)]
    pub payment: PaymentOptions,
    /// Said when the order is placed; `{{order.number}}` and `{{order.url}}`
    /// are filled in.
    #[serde(default)]
    pub confirmation: String,
}

/// What an `ask` node expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AskKind {
    /// Any non-empty text.
    #[default]
    Text,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// A number.
    Number,
    /// A postal address.
    Address,
}

/// `ask` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AskSettings {
    /// The question.
    pub text: String,
    /// What kind of answer is valid.
    #[serde(default)]
    pub kind: AskKind,
    /// The variable the answer is stored in.
    pub save_as: String,
    /// Said before asking again after an invalid answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<String>,
    /// Invalid answers accepted before taking the `invalid` port (1 to 10).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
}

fn default_attempts() -> u32 {
    3
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A variable's value.
    Variable {
        /// Its name.
        name: String,
    },
    /// The cart's total in the currency's main unit, with its decimals:
    /// `12.50` for $12.50 (not 1250 cents); compare with values like `100`
    /// or `49.99`.
    CartTotal,
    /// The number of units in the cart.
    CartCount,
}

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Equal (text: ignoring case and accents).
    Equals,
    /// Not equal.
    NotEquals,
    /// Text contains the value.
    Contains,
    /// Numerically greater.
    GreaterThan,
    /// Numerically less.
    LessThan,
    /// Has a non-empty value.
    IsSet,
    /// Has no value.
    IsEmpty,
}

/// One branch of a condition; its `id` is also the name of its port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Branch {
    /// Port name, unique in the node.
    pub id: String,
    /// What the merchant calls it.
    #[serde(default)]
    pub label: String,
    /// What is compared.
    pub subject: Subject,
    /// How.
    pub op: Comparison,
    /// With what (ignored by `is_set` / `is_empty`).
    #[serde(default)]
    pub value: String,
}

/// `condition` settings: the first branch that holds wins, else `else`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ConditionSettings {
    /// The branches, tried in order.
    pub branches: Vec<Branch>,
}

/// `set_variable` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SetVariableSettings {
    /// The variable.
    pub name: String,
    /// Its new value; `{{variables}}` are filled in.
    pub value: String,
}

/// `show_cart` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ShowCartSettings {
    /// Said above the cart.
    #[serde(default)]
    pub text: String,
    /// Said when the cart is empty.
    #[serde(default)]
    pub empty_text: String,
}

/// `order_status` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct OrderStatusSettings {
    /// Said above the list of orders.
    #[serde(default)]
    pub text: String,
    /// Said when the shopper has no orders.
    #[serde(default)]
    pub none_text: String,
}

/// `handoff` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct HandoffSettings {
    /// Said to the shopper.
    pub text: String,
}

/// An HTTP method for `http_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET.
    #[default]
    Get,
    /// POST with a JSON body.
    Post,
}

/// `http_request` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct HttpRequestSettings {
    /// GET or POST.
    #[serde(default)]
    pub method: HttpMethod,
    /// The https URL; `{{variables}}` are filled in.
    pub url: String,
    /// JSON body for POST; `{{variables}}` are filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The response body is stored in this variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_as: Option<String>,
}

/// `end` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct EndSettings {
    /// A goodbye, if any.
    #[serde(default)]
    pub text: String,
}

/// A connection from a node's named output port to another node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Edge {
    /// The node the edge leaves.
    pub from: NodeId,
    /// Which of its ports.
    pub port: String,
    /// The node it enters.
    pub to: NodeId,
}

/// Keywords that jump to a node from anywhere in the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Trigger {
    /// Words or phrases, matched ignoring case and accents.
    pub keywords: Vec<String>,
    /// Where they lead.
    pub to: NodeId,
}

/// Whether a port must be connected for the flow to be complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortNeed {
    /// An unconnected required port is a problem.
    Required,
    /// Unconnected is fine: the node has a sensible default.
    Optional,
}

/// One output port of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The port's name.
    pub name: String,
    /// What the merchant sees.
    pub label: String,
    /// Required or optional.
    pub need: PortNeed,
}

fn port(name: &str, label: &str, need: PortNeed) -> Port {
    Port {
        name: name.to_string(),
        label: label.to_string(),
        need,
    }
}

impl NodeKind {
    /// The type's stable name, as in the JSON.
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Message(_) => "message",
            NodeKind::QuickReply(_) => "quick_reply",
            NodeKind::ProductCarousel(_) => "product_carousel",
            NodeKind::Checkout(_) => "checkout",
            NodeKind::Ask(_) => "ask",
            NodeKind::Condition(_) => "condition",
            NodeKind::SetVariable(_) => "set_variable",
            NodeKind::ShowCart(_) => "show_cart",
            NodeKind::OrderStatus(_) => "order_status",
            NodeKind::Handoff(_) => "handoff",
            NodeKind::HttpRequest(_) => "http_request",
            NodeKind::End(_) => "end",
        }
    }

    /// The merchant-facing name of the node type.
    pub fn label(&self) -> &'static str {
        match self {
            NodeKind::Message(_) => "Message",
            NodeKind::QuickReply(_) => "Quick reply",
            NodeKind::ProductCarousel(_) => "Product carousel",
            NodeKind::Checkout(_) => "Checkout",
            NodeKind::Ask(_) => "Question",
            NodeKind::Condition(_) => "Condition",
            NodeKind::SetVariable(_) => "Set variable",
            NodeKind::ShowCart(_) => "Show cart",
            NodeKind::OrderStatus(_) => "Order status",
            NodeKind::Handoff(_) => "Hand off to a person",
            NodeKind::HttpRequest(_) => "HTTP request",
            NodeKind::End(_) => "End",
        }
    }

    /// Whether the conversation can pause here for the shopper (or the
    /// outside world) before moving on. Some steps pause only when they
    /// have something to show: see [`NodeKind::leaves_without_waiting`].
    pub fn waits(&self) -> bool {
        !matches!(
            self,
            NodeKind::Message(_)
                | NodeKind::Condition(_)
                | NodeKind::SetVariable(_)
                | NodeKind::OrderStatus(_)
        )
    }

    /// Whether entering the step can lead straight out through `port`,
    /// without waiting for anyone: every port of a step that never waits,
    /// and the ports taken when there is nothing to show, namely a
    /// carousel without products (`done`), a cart that is empty (`empty`,
    /// or `continue` when `empty` is not connected) and a checkout with an
    /// empty cart (`empty_cart`). `connected` tells whether a port of this
    /// step is connected.
    pub fn leaves_without_waiting(&self, port: &str, connected: impl Fn(&str) -> bool) -> bool {
        match self {
            NodeKind::ProductCarousel(_) => port == "done",
            NodeKind::ShowCart(_) => port == "empty" || (port == "continue" && !connected("empty")),
            NodeKind::Checkout(_) => port == "empty_cart",
            kind => !kind.waits(),
        }
    }

    /// Why a step that usually waits may not, for [`NodeKind::leaves_without_waiting`]
    /// messages: "there are no products to show", "the cart is empty".
    pub fn when_it_does_not_wait(&self) -> Option<&'static str> {
        match self {
            NodeKind::ProductCarousel(_) => Some("there are no products to show"),
            NodeKind::ShowCart(_) | NodeKind::Checkout(_) => Some("the cart is empty"),
            _ => None,
        }
    }

    /// Every text the merchant wrote in the settings.
    pub fn texts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        match self {
            NodeKind::Message(s) => {
                out.push(&s.text);
                out.extend(s.image_url.as_deref());
            }
            NodeKind::QuickReply(s) => {
                out.push(&s.text);
                out.extend(s.reprompt.as_deref());
                out.extend(s.save_as.as_deref());
                for o in &s.options {
                    out.push(&o.id);
                    out.push(&o.label);
                }
            }
            NodeKind::ProductCarousel(s) => {
                out.push(&s.text);
                match &s.source {
                    ProductSource::All => {}
                    ProductSource::Collection { collection } => out.push(collection),
                    ProductSource::Skus { skus } => out.extend(skus.iter().map(String::as_str)),
                    ProductSource::Search { query } => out.push(query),
                }
            }
            NodeKind::Checkout(s) => {
                out.push(&s.text);
                out.push(&s.confirmation);
            }
            NodeKind::Ask(s) => {
                out.push(&s.text);
                out.push(&s.save_as);
                out.extend(s.reprompt.as_deref());
            }
            NodeKind::Condition(s) => {
                for b in &s.branches {
                    out.push(&b.id);
                    out.push(&b.label);
                    out.push(&b.value);
                    if let Subject::Variable { name } = &b.subject {
                        out.push(name);
                    }
                }
            }
            NodeKind::SetVariable(s) => {
                out.push(&s.name);
                out.push(&s.value);
            }
            NodeKind::ShowCart(s) => {
                out.push(&s.text);
                out.push(&s.empty_text);
            }
            NodeKind::OrderStatus(s) => {
                out.push(&s.text);
                out.push(&s.none_text);
            }
            NodeKind::Handoff(s) => out.push(&s.text),
            NodeKind::HttpRequest(s) => {
                out.push(&s.url);
                out.extend(s.body.as_deref());
                out.extend(s.save_as.as_deref());
            }
            NodeKind::End(s) => out.push(&s.text),
        }
        out
    }

    /// The output ports.
    pub fn ports(&self) -> Vec<Port> {
        use PortNeed::{Optional, Required};
        match self {
            NodeKind::Message(_) | NodeKind::SetVariable(_) => vec![port("next", "Next", Required)],
            NodeKind::QuickReply(s) => s
                .options
                .iter()
                .map(|o| port(&o.id, &o.label, Required))
                .chain([port("fallback", "Anything else", Optional)])
                .collect(),
            NodeKind::ProductCarousel(_) => vec![
                port("added", "Added to cart", Required),
                port("done", "Done browsing", Required),
                port("more", "More", Optional),
            ],
            NodeKind::Checkout(_) => vec![
                port("placed", "Order placed", Required),
                port("paid", "Paid", Optional),
                port("cancelled", "Cancelled", Optional),
                port("empty_cart", "Cart is empty", Optional),
            ],
            NodeKind::Ask(_) => vec![
                port("next", "Answered", Required),
                port("invalid", "Gave up", Optional),
            ],
            NodeKind::Condition(s) => s
                .branches
                .iter()
                .map(|b| {
                    let label = if b.label.is_empty() { &b.id } else { &b.label };
                    port(&b.id, label, Required)
                })
                .chain([port("else", "Otherwise", Required)])
                .collect(),
            NodeKind::ShowCart(_) => vec![
                port("checkout", "Checkout", Required),
                port("continue", "Keep shopping", Required),
                port("empty", "Cart is empty", Optional),
            ],
            NodeKind::OrderStatus(_) => vec![port("next", "Next", Required)],
            NodeKind::HttpRequest(_) => vec![
                port("ok", "Succeeded", Required),
                port("error", "Failed", Required),
            ],
            NodeKind::Handoff(_) | NodeKind::End(_) => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_through_json() {
        let json = r#"{"schema":1,"start":"a","nodes":[
            {"id":"a","type":"message","position":{"x":10,"y":20},"settings":{"text":"Hi"}},
            {"id":"b","type":"quick_reply","settings":{"text":"Pick","options":[{"id":"x","label":"X"}]}},
            {"id":"c","type":"product_carousel","settings":{"source":{"kind":"collection","collection":"Shoes"}}},
            {"id":"d","type":"end","settings":{}}],
            "edges":[{"from":"a","port":"next","to":"b"}],
            "triggers":[{"keywords":["menu"],"to":"b"}]}"#;
        let doc = FlowDoc::from_json(json).unwrap();
        assert_eq!(doc.nodes.len(), 4);
        assert_eq!(doc.nodes[0].position.x, 10.0);
        assert_eq!(doc.nodes[2].kind.type_name(), "product_carousel");
        let again = FlowDoc::from_json(&doc.to_json()).unwrap();
        assert_eq!(doc, again);
    }

    #[test]
    fn old_documents_are_migrated_and_future_ones_refused() {
        let doc = FlowDoc::from_json(r#"{"nodes":[]}"#).unwrap();
        assert_eq!(doc.schema, SCHEMA_VERSION);
        assert_eq!(
            FlowDoc::from_json(r#"{"schema":99}"#),
            Err(DocError::FromTheFuture(99))
        );
        assert!(matches!(
            FlowDoc::from_json("[]"),
            Err(DocError::Invalid(_))
        ));
        assert!(matches!(FlowDoc::from_json("{"), Err(DocError::Invalid(_))));
        let unknown = r#"{"schema":1,"nodes":[{"id":"a","type":"teleport","settings":{}}]}"#;
        assert!(matches!(
            FlowDoc::from_json(unknown),
            Err(DocError::Invalid(_))
        ));
        let huge = format!(r#"{{"schema":1,"pad":"{}"}}"#, "x".repeat(MAX_DOC_BYTES));
        assert_eq!(FlowDoc::from_json(&huge), Err(DocError::TooLarge));
    }

    #[test]
    fn size_limits_are_checked() {
        let message = |i: usize, text: String| Node {
            id: NodeId(format!("n{i}")),
            position: Position::default(),
            kind: NodeKind::Message(MessageSettings {
                text,
                image_url: None,
            }),
        };
        let mut doc = FlowDoc {
            nodes: (0..MAX_NODES).map(|i| message(i, "Hi".into())).collect(),
            ..FlowDoc::default()
        };
        assert_eq!(doc.check_limits(), Ok(()));
        doc.nodes.push(message(MAX_NODES, "Hi".into()));
        assert_eq!(
            doc.check_limits(),
            Err(DocError::OverLimit(
                "A flow can have at most 1000 steps; this one has 1001.".into()
            ))
        );
        let long = FlowDoc {
            nodes: vec![message(0, "é".repeat(MAX_TEXT_CHARS + 1))],
            ..FlowDoc::default()
        };
        let err = long.check_limits().unwrap_err().to_string();
        assert!(err.contains("“n0” has 4097"), "{err}");
        let edges = FlowDoc {
            edges: vec![
                Edge {
                    from: "a".into(),
                    port: "next".into(),
                    to: "b".into(),
                };
                MAX_EDGES + 1
            ],
            ..FlowDoc::default()
        };
        assert!(
            edges
                .check_limits()
                .unwrap_err()
                .to_string()
                .contains("connections")
        );
        let triggers = FlowDoc {
            triggers: vec![
                Trigger {
                    keywords: vec!["hi".into()],
                    to: "a".into(),
                };
                MAX_TRIGGERS + 1
            ],
            ..FlowDoc::default()
        };
        assert!(
            triggers
                .check_limits()
                .unwrap_err()
                .to_string()
                .contains("keyword shortcuts")
        );
    }

    #[test]
    fn ids_are_checked() {
        assert!(is_valid_id("menu_1-a"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("a:b"));
        assert!(!is_valid_id(&"a".repeat(65)));
    }

    #[test]
    fn ports_follow_the_settings() {
        let qr = NodeKind::QuickReply(QuickReplySettings {
            text: "?".into(),
            options: vec![
                ChoiceOption {
                    id: "yes".into(),
                    label: "Yes".into(),
                },
                ChoiceOption {
                    id: "no".into(),
                    label: "No".into(),
                },
            ],
            ..Default::default()
        });
        let names: Vec<String> = qr.ports().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["yes", "no", "fallback"]);
        assert!(qr.waits());
        assert!(!NodeKind::Message(MessageSettings::default()).waits());
        assert!(NodeKind::End(EndSettings::default()).ports().is_empty());
    }

    #[test]
    fn steps_that_wait_only_with_something_to_show() {
        let none = |_: &str| false;
        let carousel = NodeKind::ProductCarousel(CarouselSettings::default());
        assert!(carousel.waits());
        assert!(carousel.leaves_without_waiting("done", none));
        assert!(!carousel.leaves_without_waiting("added", none));
        assert!(!carousel.leaves_without_waiting("more", none));
        let cart = NodeKind::ShowCart(ShowCartSettings::default());
        assert!(cart.leaves_without_waiting("empty", none));
        assert!(cart.leaves_without_waiting("continue", none));
        assert!(
            !cart.leaves_without_waiting("continue", |p| p == "empty"),
            "with `empty` connected, `continue` needs a tap"
        );
        assert!(!cart.leaves_without_waiting("checkout", none));
        let checkout = NodeKind::Checkout(CheckoutSettings::default());
        assert!(checkout.leaves_without_waiting("empty_cart", none));
        assert!(!checkout.leaves_without_waiting("placed", none));
        assert!(NodeKind::Message(MessageSettings::default()).leaves_without_waiting("next", none));
        let qr = NodeKind::QuickReply(QuickReplySettings::default());
        assert!(!qr.leaves_without_waiting("fallback", none));
    }
}

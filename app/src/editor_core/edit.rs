//! Editing a flow, pure: every change the editor makes is an [`Op`] applied
//! to a [`FlowDoc`], and [`History`] keeps them for undo and redo.
//!
//! The invariant every operation keeps: each edge leaves an existing port of
//! an existing node and enters an existing node, each port has at most one
//! edge, the start node exists, and every trigger leads to an existing node.
//! [`tidy`] restores it on any document, so even a replaced document (an
//! import, a restored version) cannot bring a dangling edge in.

use std::collections::HashSet;

use crate::flow::doc::{
    AskSettings, Branch, CarouselSettings, CheckoutSettings, ChoiceOption, Comparison,
    ConditionSettings, EndSettings, FlowDoc, HandoffSettings, HttpRequestSettings, MAX_NODES,
    MessageSettings, Node, NodeId, NodeKind, OrderStatusSettings, Position, QuickReplySettings,
    SetVariableSettings, ShowCartSettings, Subject, Trigger, is_valid_id,
};

/// One change to a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Adds a node. The first node of an empty flow becomes its start.
    AddNode {
        /// The node; its id must be new.
        node: Node,
    },
    /// Moves nodes by an offset, in canvas pixels.
    MoveNodes {
        /// Which.
        ids: Vec<NodeId>,
        /// Horizontal offset.
        dx: f64,
        /// Vertical offset.
        dy: f64,
    },
    /// Connects a port to a node, replacing what the port led to before.
    Connect {
        /// The node the edge leaves.
        from: NodeId,
        /// Its port.
        port: String,
        /// Where it leads.
        to: NodeId,
    },
    /// Removes the edge leaving a port.
    Disconnect {
        /// The node.
        from: NodeId,
        /// The port.
        port: String,
    },
    /// Deletes nodes (with every edge and trigger touching them) and edges.
    Delete {
        /// Nodes to delete.
        nodes: Vec<NodeId>,
        /// Edges to delete, by the port they leave.
        edges: Vec<(NodeId, String)>,
    },
    /// Replaces a node's settings. The type may not change; edges leaving
    /// ports the new settings no longer have are removed.
    UpdateNode {
        /// The node.
        id: NodeId,
        /// Its new settings.
        kind: NodeKind,
    },
    /// Makes a node the start.
    SetStart {
        /// The node.
        id: NodeId,
    },
    /// Replaces the keyword triggers.
    SetTriggers {
        /// The new triggers; each must lead to an existing node.
        triggers: Vec<Trigger>,
    },
    /// Replaces the whole document (an import, or a version copied into the
    /// draft). It is tidied first.
    Replace {
        /// The new document.
        doc: FlowDoc,
    },
}

/// Why an operation was refused; the document is then unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The operation names a node the flow does not have.
    #[error("There is no step “{0}” in this flow.")]
    UnknownNode(String),
    /// The operation names a port the node does not have.
    #[error("That step has no exit called “{0}”.")]
    UnknownPort(String),
    /// A new node's id is taken or unusable.
    #[error("The step id “{0}” is already used or not allowed.")]
    BadId(String),
    /// The flow is full.
    #[error("A flow holds at most {MAX_NODES} steps.")]
    TooManyNodes,
    /// Settings of another type were given for a node.
    #[error("A step cannot change its type; add a new step instead.")]
    TypeChange,
}

/// Applies `op` to `doc`, returning the new document. On error nothing
/// changes.
pub fn apply(doc: &FlowDoc, op: &Op) -> Result<FlowDoc, EditError> {
    let mut d = doc.clone();
    let has = |d: &FlowDoc, id: &NodeId| d.nodes.iter().any(|n| &n.id == id);
    match op {
        Op::AddNode { node } => {
            if d.nodes.len() >= MAX_NODES {
                return Err(EditError::TooManyNodes);
            }
            if !is_valid_id(node.id.as_str()) || has(&d, &node.id) {
                return Err(EditError::BadId(node.id.0.clone()));
            }
            if d.start.is_none() {
                d.start = Some(node.id.clone());
            }
            d.nodes.push(node.clone());
        }
        Op::MoveNodes { ids, dx, dy } => {
            if let Some(missing) = ids.iter().find(|id| !has(&d, id)) {
                return Err(EditError::UnknownNode(missing.0.clone()));
            }
            if !dx.is_finite() || !dy.is_finite() {
                return Ok(d);
            }
            let ids: HashSet<&NodeId> = ids.iter().collect();
            for n in d.nodes.iter_mut().filter(|n| ids.contains(&n.id)) {
                n.position.x = (n.position.x + dx).round();
                n.position.y = (n.position.y + dy).round();
            }
        }
        Op::Connect { from, port, to } => {
            let node = d
                .node(from)
                .ok_or_else(|| EditError::UnknownNode(from.0.clone()))?;
            if !node.kind.ports().iter().any(|p| &p.name == port) {
                return Err(EditError::UnknownPort(port.clone()));
            }
            if !has(&d, to) {
                return Err(EditError::UnknownNode(to.0.clone()));
            }
            d.edges.retain(|e| !(&e.from == from && &e.port == port));
            d.edges.push(crate::flow::doc::Edge {
                from: from.clone(),
                port: port.clone(),
                to: to.clone(),
            });
        }
        Op::Disconnect { from, port } => {
            d.edges.retain(|e| !(&e.from == from && &e.port == port));
        }
        Op::Delete { nodes, edges } => {
            let gone: HashSet<&NodeId> = nodes.iter().collect();
            d.nodes.retain(|n| !gone.contains(&n.id));
            d.edges.retain(|e| {
                !gone.contains(&e.from)
                    && !gone.contains(&e.to)
                    && !edges.iter().any(|(f, p)| f == &e.from && p == &e.port)
            });
            if d.start.as_ref().is_some_and(|s| gone.contains(s)) {
                d.start = None;
            }
            d.triggers.retain(|t| !gone.contains(&t.to));
        }
        Op::UpdateNode { id, kind } => {
            let node = d
                .nodes
                .iter_mut()
                .find(|n| &n.id == id)
                .ok_or_else(|| EditError::UnknownNode(id.0.clone()))?;
            if node.kind.type_name() != kind.type_name() {
                return Err(EditError::TypeChange);
            }
            node.kind = kind.clone();
        }
        Op::SetStart { id } => {
            if !has(&d, id) {
                return Err(EditError::UnknownNode(id.0.clone()));
            }
            d.start = Some(id.clone());
        }
        Op::SetTriggers { triggers } => {
            if let Some(t) = triggers.iter().find(|t| !has(&d, &t.to)) {
                return Err(EditError::UnknownNode(t.to.0.clone()));
            }
            d.triggers = triggers.clone();
        }
        Op::Replace { doc } => {
            if doc.nodes.len() > MAX_NODES {
                return Err(EditError::TooManyNodes);
            }
            d = doc.clone();
        }
    }
    tidy(&mut d);
    Ok(d)
}

/// Restores the editing invariant: drops edges from missing nodes or
/// ports, edges to missing nodes, second edges from one port, a missing
/// start and triggers to missing nodes. Returns how many things it dropped.
pub fn tidy(d: &mut FlowDoc) -> usize {
    let before = d.edges.len() + d.triggers.len() + usize::from(d.start.is_some());
    let ids: HashSet<NodeId> = d.nodes.iter().map(|n| n.id.clone()).collect();
    let ports: HashSet<(NodeId, String)> = d
        .nodes
        .iter()
        .flat_map(|n| n.kind.ports().into_iter().map(|p| (n.id.clone(), p.name)))
        .collect();
    let mut seen = HashSet::new();
    d.edges.retain(|e| {
        let key = (e.from.clone(), e.port.clone());
        ids.contains(&e.to) && ports.contains(&key) && seen.insert(key)
    });
    if d.start.as_ref().is_some_and(|s| !ids.contains(s)) {
        d.start = None;
    }
    d.triggers.retain(|t| ids.contains(&t.to));
    before - (d.edges.len() + d.triggers.len() + usize::from(d.start.is_some()))
}

/// An unused node id built from `base`: `base`, `base-2`, `base-3`, …
pub fn fresh_id(doc: &FlowDoc, base: &str) -> NodeId {
    let taken: HashSet<&str> = doc.nodes.iter().map(|n| n.id.as_str()).collect();
    let base: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    let base = if base.is_empty() { "step".into() } else { base };
    if !taken.contains(base.as_str()) {
        return NodeId(base);
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|id| !taken.contains(id.as_str()))
        .map(NodeId)
        .unwrap_or_else(|| NodeId(base))
}

/// An unused option (port) id among `taken`: `o1`, `o2`, …
pub fn fresh_port_id<'a>(prefix: &str, taken: impl IntoIterator<Item = &'a str>) -> String {
    let taken: HashSet<&str> = taken.into_iter().collect();
    (1..)
        .map(|i| format!("{prefix}{i}"))
        .find(|id| !taken.contains(id.as_str()))
        .unwrap_or_else(|| prefix.to_string())
}

/// A palette entry: a node type as the merchant knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaletteItem {
    /// The type's name in the document.
    pub type_name: &'static str,
    /// What the merchant sees.
    pub label: &'static str,
    /// What it does, in a sentence.
    pub help: &'static str,
}

/// The node types in the order the palette offers them.
pub const PALETTE: &[PaletteItem] = &[
    PaletteItem {
        type_name: "message",
        label: "Message",
        help: "Say something, with a picture if you like.",
    },
    PaletteItem {
        type_name: "quick_reply",
        label: "Quick reply",
        help: "Ask a question with buttons to tap.",
    },
    PaletteItem {
        type_name: "ask",
        label: "Question",
        help: "Ask for a name, email, phone number or address and remember it.",
    },
    PaletteItem {
        type_name: "product_carousel",
        label: "Product carousel",
        help: "Show products from your catalog to add to the cart.",
    },
    PaletteItem {
        type_name: "show_cart",
        label: "Show cart",
        help: "Show what is in the cart.",
    },
    PaletteItem {
        type_name: "checkout",
        label: "Checkout",
        help: "Confirm the cart and place the order.",
    },
    PaletteItem {
        type_name: "order_status",
        label: "Order status",
        help: "Tell shoppers how their orders are doing.",
    },
    PaletteItem {
        type_name: "condition",
        label: "Condition",
        help: "Go one way or another depending on an answer or the cart.",
    },
    PaletteItem {
        type_name: "set_variable",
        label: "Remember a value",
        help: "Store a value to use later in messages.",
    },
    PaletteItem {
        type_name: "handoff",
        label: "Hand off to a person",
        help: "Let someone from your team take over.",
    },
    PaletteItem {
        type_name: "http_request",
        label: "Call your system",
        help: "Send or fetch data from your own web service.",
    },
    PaletteItem {
        type_name: "end",
        label: "End",
        help: "Say goodbye and end the conversation.",
    },
];

/// A new node of `type_name` with sensible starting settings, or `None`
/// for an unknown type.
pub fn blank(type_name: &str) -> Option<NodeKind> {
    let option = |id: &str, label: &str| ChoiceOption {
        id: id.into(),
        label: label.into(),
    };
    Some(match type_name {
        "message" => NodeKind::Message(MessageSettings::default()),
        "quick_reply" => NodeKind::QuickReply(QuickReplySettings {
            text: String::new(),
            options: vec![option("o1", "Yes"), option("o2", "No")],
            ..Default::default()
        }),
        "ask" => NodeKind::Ask(AskSettings {
            text: String::new(),
            save_as: "answer".into(),
            ..Default::default()
        }),
        "product_carousel" => NodeKind::ProductCarousel(CarouselSettings {
            text: "Here is what we have:".into(),
            ..Default::default()
        }),
        "show_cart" => NodeKind::ShowCart(ShowCartSettings {
            text: "Here is your cart:".into(),
            empty_text: "Your cart is empty.".into(),
        }),
        "checkout" => NodeKind::Checkout(CheckoutSettings {
            text: "Here is your order:".into(),
            confirmation: "Thank you! Your order {{order.number}} is placed.".into(),
            ..Default::default()
        }),
        "order_status" => NodeKind::OrderStatus(OrderStatusSettings::default()),
        "condition" => NodeKind::Condition(ConditionSettings {
            branches: vec![Branch {
                id: "b1".into(),
                label: "Cart has items".into(),
                subject: Subject::CartCount,
                op: Comparison::GreaterThan,
                value: "0".into(),
            }],
        }),
        "set_variable" => NodeKind::SetVariable(SetVariableSettings {
            name: "note".into(),
            value: String::new(),
        }),
        "handoff" => NodeKind::Handoff(HandoffSettings {
            text: "Someone from our team will answer you here shortly.".into(),
        }),
        "http_request" => NodeKind::HttpRequest(HttpRequestSettings {
            url: "https://".into(),
            ..Default::default()
        }),
        "end" => NodeKind::End(EndSettings {
            text: "Thanks for chatting with us!".into(),
        }),
        _ => return None,
    })
}

/// A new node of `type_name` at `at`, with an id unused in `doc`.
pub fn new_node(doc: &FlowDoc, type_name: &str, at: Position) -> Option<Node> {
    let kind = blank(type_name)?;
    let base = type_name.replace('_', "-");
    Some(Node {
        id: fresh_id(doc, &base),
        position: at,
        kind,
    })
}

/// Every variable name a flow sets or that is always available, sorted:
/// what the editor's variable picker offers.
pub fn known_variables(doc: &FlowDoc) -> Vec<String> {
    let mut vars: Vec<String> = ["cart.total", "cart.count", "cart.items"]
        .into_iter()
        .map(String::from)
        .collect();
    for n in &doc.nodes {
        let name = match &n.kind {
            NodeKind::Ask(s) => Some(s.save_as.clone()),
            NodeKind::QuickReply(s) => s.save_as.clone(),
            NodeKind::SetVariable(s) => Some(s.name.clone()),
            NodeKind::HttpRequest(s) => s.save_as.clone(),
            NodeKind::Checkout(_) => {
                vars.extend(["order.number", "order.url"].map(String::from));
                None
            }
            _ => None,
        };
        if let Some(name) = name.filter(|n| crate::flow::text::is_var_name(n)) {
            vars.push(name);
        }
    }
    vars.sort();
    vars.dedup();
    vars
}

/// The byte offset in `text` of a caret `units` UTF-16 code units in, as
/// the browser counts a text field's selection; past the end (or inside a
/// character, which a browser does not report) it is the end, or the start
/// of the character it falls in.
pub fn caret_byte_offset(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, ch) in text.char_indices() {
        if seen >= units {
            return i;
        }
        seen += ch.len_utf16();
        if seen > units {
            return i;
        }
    }
    text.len()
}

/// `text` with `{{name}}` inserted where a caret `caret` UTF-16 units in
/// stands, or at the end without a caret: what the variable picker does.
pub fn insert_variable(text: &str, caret: Option<usize>, name: &str) -> String {
    let at = caret.map_or(text.len(), |c| caret_byte_offset(text, c));
    let mut out = String::with_capacity(text.len() + name.len() + 4);
    out.push_str(&text[..at]);
    out.push_str("{{");
    out.push_str(name);
    out.push_str("}}");
    out.push_str(&text[at..]);
    out
}

/// Undo and redo over whole documents.
///
/// Each applied operation pushes the previous document. Operations given
/// the same `coalesce` key one after another (typing into one field) make a
/// single undo step.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    past: Vec<FlowDoc>,
    present: FlowDoc,
    future: Vec<FlowDoc>,
    last_key: Option<String>,
    limit: usize,
}

impl History {
    /// How many steps back undo reaches.
    pub const LIMIT: usize = 100;

    /// Starts a history at `doc`, tidied.
    pub fn new(mut doc: FlowDoc) -> History {
        tidy(&mut doc);
        History {
            past: Vec::new(),
            present: doc,
            future: Vec::new(),
            last_key: None,
            limit: Self::LIMIT,
        }
    }

    /// The current document.
    pub fn present(&self) -> &FlowDoc {
        &self.present
    }

    /// Applies `op`; `Ok(false)` when it changes nothing, which leaves no
    /// undo step (importing the flow that is already there, say).
    pub fn apply(&mut self, op: &Op, coalesce: Option<&str>) -> Result<bool, EditError> {
        let next = apply(&self.present, op)?;
        if next == self.present {
            return Ok(false);
        }
        let merge = coalesce.is_some() && coalesce == self.last_key.as_deref();
        let prev = std::mem::replace(&mut self.present, next);
        if !merge {
            self.past.push(prev);
            if self.past.len() > self.limit {
                self.past.remove(0);
            }
        }
        self.future.clear();
        self.last_key = coalesce.map(String::from);
        Ok(true)
    }

    /// Ends the current coalescing run: the next edit is its own step.
    pub fn seal(&mut self) {
        self.last_key = None;
    }

    /// Steps back; `false` when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        let Some(prev) = self.past.pop() else {
            return false;
        };
        self.future.push(std::mem::replace(&mut self.present, prev));
        self.last_key = None;
        true
    }

    /// Steps forward again; `false` when there is nothing to redo.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.future.pop() else {
            return false;
        };
        self.past.push(std::mem::replace(&mut self.present, next));
        self.last_key = None;
        true
    }

    /// Whether undo would do something.
    pub fn can_undo(&self) -> bool {
        !self.past.is_empty()
    }

    /// Whether redo would do something.
    pub fn can_redo(&self) -> bool {
        !self.future.is_empty()
    }
}

/// Problem codes that make a document unfit to import: it would lose
/// connections or steps on the way in.
const BROKEN: &[&str] = &[
    "too_large",
    "invalid_id",
    "duplicate_id",
    "dangling_edge",
    "unknown_port",
    "duplicate_connection",
    "dangling_trigger",
];

/// Reads an exported flow for import. Refuses, with every reason worded
/// for the merchant, a file that is not a flow or whose connections are
/// broken; a readable flow is returned even when validation finds problems
/// to fix in the editor.
pub fn read_import(json: &str) -> Result<FlowDoc, Vec<String>> {
    let doc = FlowDoc::from_json(json).map_err(|e| vec![e.to_string()])?;
    let report = crate::flow::validate::validate(&doc, None);
    let broken: Vec<String> = report
        .problems
        .iter()
        .filter(|p| BROKEN.contains(&p.code.as_str()))
        .map(|p| p.message.clone())
        .collect();
    if broken.is_empty() {
        Ok(doc)
    } else {
        Err(broken)
    }
}

/// Whether `doc` keeps the editing invariant (see the module docs).
pub fn is_tidy(doc: &FlowDoc) -> bool {
    let mut d = doc.clone();
    tidy(&mut d) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::doc::Edge;

    fn at(x: f64, y: f64) -> Position {
        Position { x, y }
    }

    fn add(doc: &FlowDoc, ty: &str) -> (FlowDoc, NodeId) {
        let node = new_node(doc, ty, at(0.0, 0.0)).unwrap();
        let id = node.id.clone();
        (apply(doc, &Op::AddNode { node }).unwrap(), id)
    }

    fn connect(doc: &FlowDoc, from: &NodeId, port: &str, to: &NodeId) -> FlowDoc {
        apply(
            doc,
            &Op::Connect {
                from: from.clone(),
                port: port.into(),
                to: to.clone(),
            },
        )
        .unwrap()
    }

    #[test]
    fn the_first_node_becomes_the_start_and_ids_stay_unique() {
        let d = FlowDoc::default();
        let (d, a) = add(&d, "message");
        let (d, b) = add(&d, "message");
        assert_eq!(a.as_str(), "message");
        assert_eq!(b.as_str(), "message-2");
        assert_eq!(d.start, Some(a.clone()));
        let dup = Node {
            id: a.clone(),
            position: at(0.0, 0.0),
            kind: blank("end").unwrap(),
        };
        assert_eq!(
            apply(&d, &Op::AddNode { node: dup }),
            Err(EditError::BadId("message".into()))
        );
    }

    #[test]
    fn connecting_replaces_the_ports_previous_edge() {
        let (d, a) = add(&FlowDoc::default(), "message");
        let (d, b) = add(&d, "end");
        let (d, c) = add(&d, "end");
        let d = connect(&d, &a, "next", &b);
        let d = connect(&d, &a, "next", &c);
        assert_eq!(
            d.edges,
            [Edge {
                from: a.clone(),
                port: "next".into(),
                to: c.clone()
            }]
        );
        assert_eq!(
            apply(
                &d,
                &Op::Connect {
                    from: a.clone(),
                    port: "nowhere".into(),
                    to: b.clone()
                }
            ),
            Err(EditError::UnknownPort("nowhere".into()))
        );
        assert_eq!(
            apply(
                &d,
                &Op::Connect {
                    from: a,
                    port: "next".into(),
                    to: NodeId::from("ghost")
                }
            ),
            Err(EditError::UnknownNode("ghost".into()))
        );
    }

    #[test]
    fn deleting_a_node_takes_its_edges_triggers_and_start_with_it() {
        let (d, a) = add(&FlowDoc::default(), "message");
        let (d, b) = add(&d, "quick_reply");
        let (d, c) = add(&d, "end");
        let d = connect(&d, &a, "next", &b);
        let d = connect(&d, &b, "o1", &c);
        let d = apply(
            &d,
            &Op::SetTriggers {
                triggers: vec![Trigger {
                    keywords: vec!["menu".into()],
                    to: b.clone(),
                }],
            },
        )
        .unwrap();
        let d = apply(
            &d,
            &Op::Delete {
                nodes: vec![b.clone()],
                edges: vec![],
            },
        )
        .unwrap();
        assert!(d.edges.is_empty());
        assert!(d.triggers.is_empty());
        assert_eq!(d.nodes.len(), 2);
        let d = apply(
            &d,
            &Op::Delete {
                nodes: vec![a],
                edges: vec![],
            },
        )
        .unwrap();
        assert_eq!(d.start, None, "the start went with its node");
        assert!(is_tidy(&d));
        let _ = c;
    }

    #[test]
    fn removing_an_option_removes_its_edge() {
        let (d, q) = add(&FlowDoc::default(), "quick_reply");
        let (d, e) = add(&d, "end");
        let d = connect(&d, &q, "o1", &e);
        let d = connect(&d, &q, "o2", &e);
        let mut kind = d.node(&q).unwrap().kind.clone();
        if let NodeKind::QuickReply(s) = &mut kind {
            s.options.retain(|o| o.id != "o1");
        }
        let d = apply(
            &d,
            &Op::UpdateNode {
                id: q.clone(),
                kind,
            },
        )
        .unwrap();
        assert_eq!(d.edges.len(), 1);
        assert_eq!(d.edges[0].port, "o2");
        assert_eq!(
            apply(
                &d,
                &Op::UpdateNode {
                    id: q,
                    kind: blank("end").unwrap()
                }
            ),
            Err(EditError::TypeChange)
        );
    }

    #[test]
    fn replacing_tidies_a_broken_document() {
        let json = r#"{"schema":1,"start":"ghost","nodes":[
            {"id":"a","type":"message","settings":{"text":"Hi"}}],
            "edges":[{"from":"a","port":"next","to":"ghost"},{"from":"a","port":"nope","to":"a"}],
            "triggers":[{"keywords":["x"],"to":"ghost"}]}"#;
        let broken = FlowDoc::from_json(json).unwrap();
        assert!(!is_tidy(&broken));
        let d = apply(&FlowDoc::default(), &Op::Replace { doc: broken }).unwrap();
        assert!(d.edges.is_empty() && d.triggers.is_empty() && d.start.is_none());
        assert!(is_tidy(&d));
    }

    #[test]
    fn moves_round_to_whole_pixels_and_ignore_nonsense() {
        let (d, a) = add(&FlowDoc::default(), "message");
        let d = apply(
            &d,
            &Op::MoveNodes {
                ids: vec![a.clone()],
                dx: 10.4,
                dy: -3.6,
            },
        )
        .unwrap();
        assert_eq!(d.nodes[0].position, at(10.0, -4.0));
        let same = apply(
            &d,
            &Op::MoveNodes {
                ids: vec![a],
                dx: f64::NAN,
                dy: 1.0,
            },
        )
        .unwrap();
        assert_eq!(same, d);
    }

    #[test]
    fn undo_and_redo_walk_the_history() {
        let mut h = History::new(FlowDoc::default());
        assert!(!h.can_undo() && !h.undo());
        let node = new_node(h.present(), "message", at(0.0, 0.0)).unwrap();
        let id = node.id.clone();
        h.apply(&Op::AddNode { node }, None).unwrap();
        let text = |h: &History| match &h.present().nodes[0].kind {
            NodeKind::Message(s) => s.text.clone(),
            _ => unreachable!(),
        };
        // Typing three characters into one field is one undo step.
        for t in ["H", "Hi", "Hi!"] {
            let kind = NodeKind::Message(MessageSettings {
                text: t.into(),
                image_url: None,
            });
            h.apply(
                &Op::UpdateNode {
                    id: id.clone(),
                    kind,
                },
                Some("message:text"),
            )
            .unwrap();
        }
        assert_eq!(text(&h), "Hi!");
        assert!(h.undo());
        assert_eq!(text(&h), "");
        assert!(h.undo());
        assert!(h.present().nodes.is_empty());
        assert!(!h.undo());
        assert!(h.redo() && h.redo());
        assert_eq!(text(&h), "Hi!");
        assert!(!h.redo());
        // A new edit after undo drops the redo branch.
        h.undo();
        h.apply(
            &Op::MoveNodes {
                ids: vec![id],
                dx: 5.0,
                dy: 0.0,
            },
            None,
        )
        .unwrap();
        assert!(!h.can_redo());
        // An edit that changes nothing leaves no step.
        let before = h.clone();
        let changed = h
            .apply(
                &Op::Disconnect {
                    from: "message".into(),
                    port: "next".into(),
                },
                None,
            )
            .unwrap();
        assert!(!changed);
        assert_eq!(h, before);
        // Nor does replacing the flow with itself (importing the same file).
        let same = h.present().clone();
        assert_eq!(h.apply(&Op::Replace { doc: same }, None), Ok(false));
        assert_eq!(h, before);
    }

    #[test]
    fn history_is_bounded() {
        let node = new_node(&FlowDoc::default(), "message", at(0.0, 0.0)).unwrap();
        let id = node.id.clone();
        let mut h = History::new(apply(&FlowDoc::default(), &Op::AddNode { node }).unwrap());
        for _ in 0..History::LIMIT + 20 {
            h.apply(
                &Op::MoveNodes {
                    ids: vec![id.clone()],
                    dx: 1.0,
                    dy: 0.0,
                },
                None,
            )
            .unwrap();
        }
        let mut undone = 0;
        while h.undo() {
            undone += 1;
        }
        assert_eq!(undone, History::LIMIT);
    }

    #[test]
    fn every_palette_item_makes_a_node_of_its_type() {
        for item in PALETTE {
            let kind = blank(item.type_name).unwrap();
            assert_eq!(kind.type_name(), item.type_name);
        }
        assert!(blank("teleport").is_none());
    }

    /// Every node type the document format knows, read from the format
    /// itself: serde names them all when asked for one that does not exist.
    fn node_types() -> Vec<String> {
        let err = serde_json::from_str::<NodeKind>(r#"{"type":"?","settings":{}}"#)
            .unwrap_err()
            .to_string();
        // "unknown variant `?`, expected one of `message`, `quick_reply`, …"
        let list = err
            .split_once("expected one of ")
            .map(|(_, l)| l)
            .unwrap_or_else(|| panic!("{err}"));
        list.split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_palette_offers_every_node_type_once() {
        let mut types = node_types();
        assert!(
            types.len() > 1 && types.contains(&"http_request".to_string()),
            "{types:?}"
        );
        let mut offered: Vec<String> = PALETTE.iter().map(|i| i.type_name.to_string()).collect();
        types.sort();
        offered.sort();
        assert_eq!(
            offered, types,
            "the palette lists each node type exactly once"
        );
    }

    #[test]
    fn variables_go_in_at_the_caret_counted_in_utf16_units() {
        // ASCII: units and bytes agree.
        assert_eq!(insert_variable("Hi !", Some(3), "name"), "Hi {{name}}!");
        assert_eq!(insert_variable("Hi", Some(0), "x"), "{{x}}Hi");
        assert_eq!(insert_variable("Hi", None, "x"), "Hi{{x}}");
        assert_eq!(insert_variable("Hi", Some(99), "x"), "Hi{{x}}");
        // "é" is 1 unit and 2 bytes; "👋" is 2 units and 4 bytes.
        assert_eq!(caret_byte_offset("é!", 1), 2);
        assert_eq!(caret_byte_offset("👋 x", 2), 4);
        assert_eq!(caret_byte_offset("👋 x", 3), 5);
        assert_eq!(
            insert_variable("Olá 👋, !", Some(8), "name"),
            "Olá 👋, {{name}}!"
        );
        // A caret inside a surrogate pair lands before the emoji, never
        // inside its bytes.
        assert_eq!(caret_byte_offset("a👋b", 2), 1);
        assert_eq!(insert_variable("a👋b", Some(2), "v"), "a{{v}}👋b");
        assert_eq!(caret_byte_offset("", 3), 0);
    }

    #[test]
    fn variables_come_from_the_flow() {
        let d = crate::flow::templates::shop();
        let vars = known_variables(&d);
        assert!(vars.contains(&"cart.total".to_string()));
        assert!(vars.contains(&"order.number".to_string()));
        assert!(vars.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn imports_refuse_broken_files_and_accept_unfinished_flows() {
        let shop = crate::flow::templates::shop();
        assert_eq!(read_import(&shop.to_json()), Ok(shop));
        // Unfinished (no start) is fine: the editor shows the problem.
        let unfinished =
            r#"{"schema":1,"nodes":[{"id":"a","type":"message","settings":{"text":""}}]}"#;
        assert!(read_import(unfinished).is_ok());
        let dangling = r#"{"schema":1,"start":"a","nodes":[{"id":"a","type":"message","settings":{"text":"Hi"}}],
            "edges":[{"from":"a","port":"next","to":"ghost"}]}"#;
        let why = read_import(dangling).unwrap_err();
        assert!(why[0].contains("no longer exists"), "{why:?}");
        let why = read_import("this is not json").unwrap_err();
        assert!(
            why[0].starts_with("The flow document is not valid"),
            "{why:?}"
        );
        assert!(read_import(r#"{"schema":7}"#).unwrap_err()[0].contains("newer version"));
    }

    #[test]
    fn fresh_ids_are_sanitised() {
        let d = FlowDoc::default();
        assert_eq!(fresh_id(&d, "a b/c").as_str(), "a-b-c");
        assert_eq!(fresh_id(&d, "").as_str(), "step");
        assert_eq!(fresh_port_id("o", ["o1", "o3"]), "o2");
    }
}

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
//!
//! This module owns the document's shape: its size bounds, [`NodeId`],
//! [`FlowDoc`], [`Node`], [`Edge`] and [`Trigger`]. The node types and
//! their settings are in `kinds`, what each type does (ports, waiting,
//! texts) in `ports`, and reading, writing and migrating JSON in `parse`;
//! all are re-exported here, so every item keeps its `flow::doc::` path.
//! Pure data: nothing here validates beyond the hard bounds or runs a flow.

mod kinds;
mod parse;
mod ports;

pub use kinds::*;
pub use parse::{DocError, migrate};
pub use ports::{Port, PortNeed};

use serde::{Deserialize, Serialize};

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

impl FlowDoc {
    /// A node by id.
    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.nodes.iter().find(|n| &n.id == id)
    }
}

/// A point on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Position {
    /// Horizontal, in canvas pixels.
    #[serde(deserialize_with = "coordinate")]
    pub x: f64,
    /// Vertical, in canvas pixels.
    #[serde(deserialize_with = "coordinate")]
    pub y: f64,
}

/// The farthest a card may sit from the canvas origin, in pixels.
pub const MAX_COORDINATE: f64 = 1_000_000.0;

/// Reads a canvas coordinate as it is kept: within ±[`MAX_COORDINATE`] and
/// to hundredths of a pixel. serde_json reads a decimal of more than about
/// 15 digits only to within one unit of its last binary place, so a stored
/// document with such a coordinate read back different from what was
/// written (the fuzz suite found one); a coordinate of at most 8
/// significant digits always reads back exactly.
fn coordinate<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    Ok(if v.is_finite() {
        (v.clamp(-MAX_COORDINATE, MAX_COORDINATE) * 100.0).round() / 100.0
    } else {
        0.0
    })
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

impl Edge {
    /// The edge from `from`'s port `port` to `to`.
    pub fn new(from: impl Into<NodeId>, port: impl Into<String>, to: impl Into<NodeId>) -> Edge {
        Edge {
            from: from.into(),
            port: port.into(),
            to: to.into(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_back_exactly() {
        // Found by the fuzz suite: a long coordinate was read to the nearest
        // float only within a unit in the last place, so the document
        // written from it read back different.
        let json = r#"{"schema":1,"nodes":[{"id":"a","type":"end","settings":{},
            "position":{"x":603402823669209384634633746074317682114560,"y":-0.123456789012345678}}]}"#;
        let doc = FlowDoc::from_json(json).unwrap();
        assert_eq!(FlowDoc::from_json(&doc.to_json()).unwrap(), doc);
        assert_eq!(
            doc.nodes[0].position,
            Position {
                x: MAX_COORDINATE,
                y: -0.12
            }
        );
        for x in [1.0 / 3.0, -999_999.994_999, 123_456.785, 0.015, 1e-300] {
            let doc = FlowDoc {
                nodes: vec![Node {
                    id: "a".into(),
                    position: Position { x, y: x },
                    kind: NodeKind::End(Default::default()),
                }],
                ..FlowDoc::default()
            };
            let once = FlowDoc::from_json(&doc.to_json()).unwrap();
            assert_eq!(FlowDoc::from_json(&once.to_json()).unwrap(), once, "{x}");
            assert!((once.nodes[0].position.x - x).abs() <= 0.005 + 1e-9, "{x}");
        }
    }

    #[test]
    fn ids_are_checked() {
        assert!(is_valid_id("menu_1-a"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("a:b"));
        assert!(!is_valid_id(&"a".repeat(65)));
    }
}

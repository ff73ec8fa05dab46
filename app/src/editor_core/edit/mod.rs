//! Editing a flow, pure: every change the editor makes is an [`Op`] applied
//! to a [`FlowDoc`], and [`History`] keeps them for undo and redo.
//!
//! The invariant every operation keeps: each edge leaves an existing port of
//! an existing node and enters an existing node, each port has at most one
//! edge, the start node exists, and every trigger leads to an existing node.
//! [`tidy`] restores it on any document, so even a replaced document (an
//! import, a restored version) cannot bring a dangling edge in.
//!
//! This module owns the operations ([`Op`], [`apply`], [`tidy`]) and fresh
//! ids. Undo and redo are in `history`, new nodes and the palette in
//! `palette`, the variable picker in `variables` and the checks on an
//! imported file in `import`; all are re-exported here, so every
//! `editor_core::edit::` path still works. Pure: no IO, and an operation
//! never changes the document it is given.

mod history;
mod import;
mod palette;
mod variables;

pub use history::History;
pub use import::read_import;
pub use palette::{PALETTE, PaletteItem, blank, new_node};
pub use variables::{caret_byte_offset, insert_variable, known_variables};

use std::collections::HashSet;

use crate::flow::doc::{FlowDoc, MAX_NODES, Node, NodeId, NodeKind, Trigger, is_valid_id};

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
    match op {
        Op::AddNode { node } => add_node(&mut d, node)?,
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
        Op::Connect { from, port, to } => connect(&mut d, from, port, to)?,
        Op::Disconnect { from, port } => {
            d.edges.retain(|e| !(&e.from == from && &e.port == port));
        }
        Op::Delete { nodes, edges } => delete(&mut d, nodes, edges),
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

/// Adds `node`; the first node becomes the start.
fn add_node(d: &mut FlowDoc, node: &Node) -> Result<(), EditError> {
    if d.nodes.len() >= MAX_NODES {
        return Err(EditError::TooManyNodes);
    }
    if !is_valid_id(node.id.as_str()) || has(d, &node.id) {
        return Err(EditError::BadId(node.id.0.clone()));
    }
    if d.start.is_none() {
        d.start = Some(node.id.clone());
    }
    d.nodes.push(node.clone());
    Ok(())
}

/// Connects `from`'s `port` to `to`, replacing the port's previous edge.
fn connect(d: &mut FlowDoc, from: &NodeId, port: &str, to: &NodeId) -> Result<(), EditError> {
    let node = d
        .node(from)
        .ok_or_else(|| EditError::UnknownNode(from.0.clone()))?;
    if !node.kind.ports().iter().any(|p| p.name == port) {
        return Err(EditError::UnknownPort(port.to_string()));
    }
    if !has(d, to) {
        return Err(EditError::UnknownNode(to.0.clone()));
    }
    d.edges.retain(|e| !(&e.from == from && e.port == port));
    d.edges
        .push(crate::flow::doc::Edge::new(from.clone(), port, to.clone()));
    Ok(())
}

/// Deletes `nodes` with every edge, trigger and start that refers to them,
/// and the `edges` given by source and port.
fn delete(d: &mut FlowDoc, nodes: &[NodeId], edges: &[(NodeId, String)]) {
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

/// Whether `d` has a node `id`.
fn has(d: &FlowDoc, id: &NodeId) -> bool {
    d.nodes.iter().any(|n| &n.id == id)
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

/// Whether `doc` keeps the editing invariant (see the module docs).
pub fn is_tidy(doc: &FlowDoc) -> bool {
    let mut d = doc.clone();
    tidy(&mut d) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::doc::{Edge, Position};

    pub(super) fn at(x: f64, y: f64) -> Position {
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
        assert_eq!(d.edges, [Edge::new(a.clone(), "next", c.clone())]);
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
    fn fresh_ids_are_sanitised() {
        let d = FlowDoc::default();
        assert_eq!(fresh_id(&d, "a b/c").as_str(), "a-b-c");
        assert_eq!(fresh_id(&d, "").as_str(), "step");
        assert_eq!(fresh_port_id("o", ["o1", "o3"]), "o2");
    }
}

//! Connections: every edge checked and the usable ones put in a petgraph
//! `DiGraph`, required outputs left unconnected, and reachability with a
//! DFS from the start (and the trigger targets). Must not judge loops
//! (`loops`) or node settings (`settings`).

use std::collections::{BTreeSet, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Dfs;

use super::{Collector, Severity, capital};
use crate::flow::doc::*;

/// The flow as a graph: node weights are indices into `doc.nodes`, edge
/// weights indices into `doc.edges` (only the usable connections).
pub(super) struct Graph {
    pub(super) g: DiGraph<usize, usize>,
    pub(super) nodes: Vec<NodeIndex>,
}

/// Checks every connection and builds the graph of the usable ones.
pub(super) fn check_edges(c: &mut Collector, index: &HashMap<NodeId, usize>) -> Graph {
    let doc = c.doc;
    let mut g = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..doc.nodes.len()).map(|i| g.add_node(i)).collect();
    let mut connected: BTreeSet<(usize, &str)> = BTreeSet::new();
    for (edge_index, edge) in doc.edges.iter().enumerate() {
        let from = index.get(&edge.from).copied();
        let to = index.get(&edge.to).copied();
        let Some(from) = from else {
            missing_source(c, edge, to.is_some());
            continue;
        };
        let node = &doc.nodes[from];
        let ports = node.kind.ports();
        let port_label = ports
            .iter()
            .find(|p| p.name == edge.port)
            .map(|p| p.label.clone());
        let Some(port_label) = port_label else {
            c.push(
                Severity::Error,
                "unknown_port",
                Some(&edge.from),
                Some(&edge.port),
                format!(
                    "{} has no output “{}”. Delete this connection.",
                    capital(&c.name(&edge.from)),
                    edge.port
                ),
            );
            continue;
        };
        let Some(to) = to else {
            c.push(
                Severity::Error,
                "dangling_edge",
                Some(&edge.from),
                Some(&edge.port),
                format!(
                    "The “{port_label}” output of {} points to a step that no longer exists. Connect it to another step.",
                    c.name(&edge.from)
                ),
            );
            continue;
        };
        if !connected.insert((from, edge.port.as_str())) {
            c.push(
                Severity::Error,
                "duplicate_connection",
                Some(&edge.from),
                Some(&edge.port),
                format!(
                    "The “{port_label}” output of {} is connected twice. Keep one connection.",
                    c.name(&edge.from)
                ),
            );
            continue;
        }
        g.add_edge(nodes[from], nodes[to], edge_index);
    }
    check_unconnected_outputs(c, &connected);
    Graph { g, nodes }
}

/// A connection whose source is gone: the problem is tied to the step it
/// enters, if that one still exists.
fn missing_source(c: &mut Collector, edge: &Edge, to_exists: bool) {
    let (node, message) = if to_exists {
        (
            Some(&edge.to),
            format!(
                "A connection into {} starts at “{}”, which no longer exists. Delete the connection.",
                c.name(&edge.to),
                edge.from
            ),
        )
    } else {
        (
            None,
            format!(
                "A connection from “{}” to “{}” joins two steps that no longer exist. Delete the connection.",
                edge.from, edge.to
            ),
        )
    };
    c.push(
        Severity::Error,
        "dangling_edge",
        node,
        Some(&edge.port),
        message,
    );
}

/// Required outputs with no connection.
fn check_unconnected_outputs(c: &mut Collector, connected: &BTreeSet<(usize, &str)>) {
    let doc = c.doc;
    for (i, node) in doc.nodes.iter().enumerate() {
        for port in node.kind.ports() {
            if port.need == PortNeed::Required && !connected.contains(&(i, port.name.as_str())) {
                let msg = format!(
                    "{} has nowhere to go after “{}”. Connect it to the next step.",
                    capital(&c.name(&node.id)),
                    port.label
                );
                c.push(
                    Severity::Error,
                    "unconnected_output",
                    Some(&node.id),
                    Some(&port.name),
                    msg,
                );
            }
        }
    }
}

/// Steps no conversation can reach from the start or a keyword shortcut.
pub(super) fn check_reachability(c: &mut Collector, index: &HashMap<NodeId, usize>, graph: &Graph) {
    let mut roots: Vec<usize> = Vec::new();
    if let Some(i) = c.doc.start.as_ref().and_then(|s| index.get(s)) {
        roots.push(*i);
    }
    roots.extend(
        c.doc
            .triggers
            .iter()
            .filter_map(|t| index.get(&t.to).copied()),
    );
    if roots.is_empty() {
        // Without a start everything is unreachable; `no_start` says enough.
        return;
    }
    let mut reached = vec![false; c.doc.nodes.len()];
    for root in roots {
        let mut dfs = Dfs::new(&graph.g, graph.nodes[root]);
        while let Some(n) = dfs.next(&graph.g) {
            reached[graph.g[n]] = true;
        }
    }
    for (i, node) in c.doc.nodes.iter().enumerate() {
        if !reached[i] && index.get(&node.id) == Some(&i) {
            let msg = format!(
                "No conversation can reach {}. Connect a step to it, or delete it.",
                c.name(&node.id)
            );
            c.warn("unreachable", Some(&node.id), msg);
        }
    }
}

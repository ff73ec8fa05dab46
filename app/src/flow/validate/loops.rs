//! Busy loops: cycles of steps that can run without waiting for the
//! shopper, found with Tarjan's SCC on the subgraph of connections followed
//! without waiting. Must not report anything but `busy_loop`.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::graph::Graph;
use super::{Collector, Severity};
use crate::flow::doc::*;

/// Loops that can run without waiting for anyone. A step that waits only
/// when it has something to show (a carousel, the cart, the checkout) is
/// part of such a loop through the ports it takes when it has nothing, so
/// `catalog --done--> cart --empty--> catalog` is caught: with an empty
/// catalog it would spin.
pub(super) fn check_busy_loops(c: &mut Collector, index: &HashMap<NodeId, usize>, graph: &Graph) {
    let (sub, map) = waitless_subgraph(c.doc, index, graph);
    for scc in petgraph::algo::tarjan_scc(&sub) {
        let looping = scc.len() > 1 || scc.first().is_some_and(|&n| sub.contains_edge(n, n));
        if looping {
            report_loop(c, &sub, &map, &scc);
        }
    }
}

/// The subgraph of connections that can be followed without waiting, and
/// each (first-of-its-id) node's index in it.
fn waitless_subgraph(
    doc: &FlowDoc,
    index: &HashMap<NodeId, usize>,
    graph: &Graph,
) -> (DiGraph<usize, usize>, HashMap<usize, NodeIndex>) {
    let mut sub = DiGraph::<usize, usize>::new();
    let mut map: HashMap<usize, NodeIndex> = HashMap::new();
    for (i, node) in doc.nodes.iter().enumerate() {
        if index.get(&node.id) == Some(&i) {
            map.insert(i, sub.add_node(i));
        }
    }
    for e in graph.g.edge_indices() {
        let Some((a, b)) = graph.g.edge_endpoints(e) else {
            continue;
        };
        let (from, to) = (graph.g[a], graph.g[b]);
        let port = doc.edges[graph.g[e]].port.as_str();
        let connected = |p: &str| {
            graph
                .g
                .edges(a)
                .any(|other| doc.edges[*other.weight()].port == p)
        };
        if !doc.nodes[from].kind.leaves_without_waiting(port, connected) {
            continue;
        }
        if let (Some(&x), Some(&y)) = (map.get(&from), map.get(&to)) {
            sub.add_edge(x, y, graph.g[e]);
        }
    }
    (sub, map)
}

/// One busy loop, tied to the step whose exit port would break it, or to
/// its first step when none of its steps ever waits.
fn report_loop(
    c: &mut Collector,
    sub: &DiGraph<usize, usize>,
    map: &HashMap<usize, NodeIndex>,
    scc: &[NodeIndex],
) {
    let doc = c.doc;
    let mut members: Vec<usize> = scc.iter().map(|&n| sub[n]).collect();
    members.sort_unstable();
    let names: Vec<String> = members.iter().map(|&i| c.name(&doc.nodes[i].id)).collect();
    // The steps that usually wait, and the ports they leave through
    // inside the loop when they have nothing to show.
    let mut conditions: Vec<&str> = Vec::new();
    let mut exit: Option<(usize, String)> = None;
    for &i in &members {
        let Some(why) = doc.nodes[i].kind.when_it_does_not_wait() else {
            continue;
        };
        if !conditions.contains(&why) {
            conditions.push(why);
        }
        if exit.is_none() {
            exit = sub
                .edges(map[&i])
                .find(|e| scc.contains(&e.target()))
                .map(|e| (i, doc.edges[*e.weight()].port.clone()));
        }
    }
    match exit {
        None => {
            let first = doc.nodes[members[0]].id.clone();
            c.error(
                "busy_loop",
                Some(&first),
                format!(
                    "These steps form a loop that never waits for the shopper and would repeat forever: {}. Put a question inside the loop, or break it.",
                    names.join(" → ")
                ),
            );
        }
        Some((i, port)) => {
            let node = &doc.nodes[i];
            let label = node
                .kind
                .ports()
                .into_iter()
                .find(|p| p.name == port)
                .map_or(port.clone(), |p| p.label);
            let msg = format!(
                "When {}, these steps would repeat forever without waiting for the shopper: {}. Connect the “{label}” output of {} to a step that waits, such as a question.",
                conditions.join(" and "),
                names.join(" → "),
                c.name(&node.id)
            );
            c.push(
                Severity::Error,
                "busy_loop",
                Some(&node.id),
                Some(&port),
                msg,
            );
        }
    }
}

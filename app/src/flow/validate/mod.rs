//! Validation: every problem of a flow document, tied to its node and
//! worded for a merchant. This module owns the entry point [`validate`], the
//! [`Problem`] / [`Report`] / [`Severity`] types and the collector the check
//! families share; each family lives in its own file and must not reach
//! into another's: `structure` (size bounds, ids, the start, triggers),
//! `graph` (connections and reachability on a petgraph `DiGraph`), `loops`
//! (loops that never wait for the shopper, found with Tarjan's SCC on the
//! subgraph of nodes that do not wait) and `settings` (each node's settings,
//! and channel limits as warnings that say how the node will be shown
//! instead). Pure: no IO, and nothing here changes the document.

mod graph;
mod loops;
mod settings;
mod structure;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use super::doc::*;
use crate::commerce::CatalogView;

/// Errors block publishing; warnings inform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Must be fixed before publishing.
    Error,
    /// Worth knowing; publishing is allowed.
    Warning,
}

/// One problem found in a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code: `no_start`, `dangling_edge`, `unconnected_output`,
    /// `unreachable`, `busy_loop`, `channel_limit`, …
    pub code: String,
    /// The node concerned, if any.
    pub node: Option<String>,
    /// The output port concerned, if any.
    pub port: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

/// Every problem of a document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Report {
    /// Errors first, then warnings, each in document order.
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when something must be fixed before publishing.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// Just the errors.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    /// The problems tied to one node.
    pub fn for_node<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a Problem> {
        self.problems
            .iter()
            .filter(move |p| p.node.as_deref() == Some(node))
    }
}

/// The document being checked and the problems found so far.
struct Collector<'a> {
    doc: &'a FlowDoc,
    problems: Vec<Problem>,
}

impl Collector<'_> {
    fn push(
        &mut self,
        severity: Severity,
        code: &str,
        node: Option<&NodeId>,
        port: Option<&str>,
        message: String,
    ) {
        self.problems.push(Problem {
            severity,
            code: code.to_string(),
            node: node.map(|n| n.0.clone()),
            port: port.map(str::to_string),
            message,
        });
    }

    fn error(&mut self, code: &str, node: Option<&NodeId>, message: String) {
        self.push(Severity::Error, code, node, None, message);
    }

    fn warn(&mut self, code: &str, node: Option<&NodeId>, message: String) {
        self.push(Severity::Warning, code, node, None, message);
    }

    /// How the merchant recognises a node: its type and the start of its text.
    fn name(&self, id: &NodeId) -> String {
        match self.doc.node(id) {
            Some(n) => describe(n),
            None => format!("“{id}”"),
        }
    }
}

/// A short, recognisable name for a node: its type and first words.
pub fn describe(node: &Node) -> String {
    let text = match &node.kind {
        NodeKind::Message(s) => s.text.as_str(),
        NodeKind::QuickReply(s) => s.text.as_str(),
        NodeKind::ProductCarousel(s) => s.text.as_str(),
        NodeKind::Checkout(s) => s.text.as_str(),
        NodeKind::Ask(s) => s.text.as_str(),
        NodeKind::ShowCart(s) => s.text.as_str(),
        NodeKind::OrderStatus(s) => s.text.as_str(),
        NodeKind::Handoff(s) => s.text.as_str(),
        NodeKind::End(s) => s.text.as_str(),
        NodeKind::SetVariable(s) => s.name.as_str(),
        NodeKind::HttpRequest(s) => s.url.as_str(),
        NodeKind::Condition(_) => "",
    };
    let words: String = text.chars().take(30).collect();
    let more = if text.chars().count() > 30 { "…" } else { "" };
    if words.trim().is_empty() {
        format!("the {} step “{}”", node.kind.label(), node.id)
    } else {
        format!("the {} step “{}{more}”", node.kind.label(), words.trim())
    }
}

/// Checks a document. With a catalog, carousels are also checked against
/// the products that exist.
pub fn validate(doc: &FlowDoc, catalog: Option<&CatalogView>) -> Report {
    let mut c = Collector {
        doc,
        problems: Vec::new(),
    };
    structure::check_bounds(&mut c);
    let index = structure::check_ids(&mut c);
    structure::check_start(&mut c, &index);
    let graph = graph::check_edges(&mut c, &index);
    structure::check_triggers(&mut c, &index);
    graph::check_reachability(&mut c, &index, &graph);
    loops::check_busy_loops(&mut c, &index, &graph);
    for node in &doc.nodes {
        settings::check_settings(&mut c, node, catalog);
    }
    let mut problems = c.problems;
    // Errors first; the sort is stable, so document order is kept within.
    problems.sort_by_key(|p| p.severity);
    Report { problems }
}

fn capital(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

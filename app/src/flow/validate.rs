//! Validation: every problem of a flow document, tied to its node and
//! worded for a merchant. Structure is checked on a petgraph `DiGraph`:
//! reachability with a DFS from the start (and the trigger targets), and
//! loops that never wait for the shopper with Tarjan's SCC on the subgraph
//! of nodes that do not wait. Settings beyond a channel's limits are
//! warnings that say how the node will be shown instead.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, EdgeRef};
use serde::{Deserialize, Serialize};

use super::doc::*;
use super::number::parse_decimal;
use super::text::{is_var_name, normalize};
use crate::channel::limits;
use crate::commerce::{CatalogView, ProductSource};

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
    check_bounds(&mut c);
    let index = check_ids(&mut c);
    check_start(&mut c, &index);
    let graph = check_edges(&mut c, &index);
    check_triggers(&mut c, &index);
    check_reachability(&mut c, &index, &graph);
    check_busy_loops(&mut c, &index, &graph);
    for node in &doc.nodes {
        check_settings(&mut c, node, catalog);
    }
    let mut problems = c.problems;
    // Errors first; the sort is stable, so document order is kept within.
    problems.sort_by_key(|p| p.severity);
    Report { problems }
}

fn check_bounds(c: &mut Collector) {
    let d = c.doc;
    if d.nodes.len() > MAX_NODES {
        c.error(
            "too_large",
            None,
            format!(
                "A flow can have at most {MAX_NODES} steps; this one has {}.",
                d.nodes.len()
            ),
        );
    }
    if d.edges.len() > MAX_EDGES {
        c.error(
            "too_large",
            None,
            format!(
                "A flow can have at most {MAX_EDGES} connections; this one has {}.",
                d.edges.len()
            ),
        );
    }
    if d.triggers.len() > MAX_TRIGGERS {
        c.error(
            "too_large",
            None,
            format!(
                "A flow can have at most {MAX_TRIGGERS} keyword shortcuts; this one has {}.",
                d.triggers.len()
            ),
        );
    }
}

/// Node id → first node with that id.
fn check_ids(c: &mut Collector) -> HashMap<NodeId, usize> {
    let mut index = HashMap::new();
    for (i, node) in c.doc.nodes.iter().enumerate() {
        if !is_valid_id(&node.id.0) {
            c.error(
                "invalid_id",
                Some(&node.id),
                format!("The step id “{}” may only use letters, digits, “-” and “_” (at most {MAX_ID_CHARS}).", node.id),
            );
        }
        if index.contains_key(&node.id) {
            // The first step with the id is the one connections refer to.
            c.error(
                "duplicate_id",
                Some(&node.id),
                format!(
                    "Two steps share the id “{}”. Give each step its own id.",
                    node.id
                ),
            );
        } else {
            index.insert(node.id.clone(), i);
        }
    }
    index
}

fn check_start(c: &mut Collector, index: &HashMap<NodeId, usize>) {
    // Tied to the first step, where the editor can offer "start here".
    let first = c.doc.nodes.first().map(|n| n.id.clone());
    match &c.doc.start {
        None => c.error(
            "no_start",
            first.as_ref(),
            "Choose the step where conversations start.".into(),
        ),
        Some(start) if !index.contains_key(start) => c.error(
            "no_start",
            first.as_ref(),
            format!("Conversations start at “{start}”, which no longer exists. Choose another start step."),
        ),
        Some(_) => {}
    }
}

/// The flow as a graph: node weights are indices into `doc.nodes`, edge
/// weights indices into `doc.edges` (only the usable connections).
struct Graph {
    g: DiGraph<usize, usize>,
    nodes: Vec<NodeIndex>,
}

fn check_edges(c: &mut Collector, index: &HashMap<NodeId, usize>) -> Graph {
    let doc = c.doc;
    let mut g = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..doc.nodes.len()).map(|i| g.add_node(i)).collect();
    let mut connected: BTreeSet<(usize, &str)> = BTreeSet::new();
    for (edge_index, edge) in doc.edges.iter().enumerate() {
        let from = index.get(&edge.from).copied();
        let to = index.get(&edge.to).copied();
        let Some(from) = from else {
            // The source is gone: tie the problem to the step it enters, if
            // that one still exists.
            let (node, message) = match to {
                Some(_) => (
                    Some(&edge.to),
                    format!(
                        "A connection into {} starts at “{}”, which no longer exists. Delete the connection.",
                        c.name(&edge.to),
                        edge.from
                    ),
                ),
                None => (
                    None,
                    format!(
                        "A connection from “{}” to “{}” joins two steps that no longer exist. Delete the connection.",
                        edge.from, edge.to
                    ),
                ),
            };
            c.push(
                Severity::Error,
                "dangling_edge",
                node,
                Some(&edge.port),
                message,
            );
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
    Graph { g, nodes }
}

fn capital(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn check_triggers(c: &mut Collector, index: &HashMap<NodeId, usize>) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, t) in c.doc.triggers.iter().enumerate() {
        if !index.contains_key(&t.to) {
            c.error(
                "dangling_trigger",
                None,
                format!(
                    "The keyword shortcut “{}” leads to a step that no longer exists.",
                    t.keywords.join(", ")
                ),
            );
        }
        if t.keywords.is_empty() || t.keywords.len() > MAX_KEYWORDS {
            c.error(
                "invalid_trigger",
                Some(&t.to),
                format!("A keyword shortcut needs between 1 and {MAX_KEYWORDS} keywords."),
            );
        }
        for k in &t.keywords {
            let key = normalize(k);
            if key.is_empty() {
                c.error(
                    "invalid_trigger",
                    Some(&t.to),
                    "A keyword shortcut has an empty keyword.".into(),
                );
            } else if let Some(prev) = seen.insert(key, i)
                && prev != i
            {
                c.error(
                    "duplicate_trigger",
                    Some(&t.to),
                    format!("The keyword “{k}” is used by two shortcuts. Keep it in one."),
                );
            }
        }
    }
}

fn check_reachability(c: &mut Collector, index: &HashMap<NodeId, usize>, graph: &Graph) {
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

/// Loops that can run without waiting for anyone. A step that waits only
/// when it has something to show (a carousel, the cart, the checkout) is
/// part of such a loop through the ports it takes when it has nothing, so
/// `catalog --done--> cart --empty--> catalog` is caught: with an empty
/// catalog it would spin.
fn check_busy_loops(c: &mut Collector, index: &HashMap<NodeId, usize>, graph: &Graph) {
    let doc = c.doc;
    // The subgraph of connections that can be followed without waiting.
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
    for scc in petgraph::algo::tarjan_scc(&sub) {
        let looping = scc.len() > 1 || scc.first().is_some_and(|&n| sub.contains_edge(n, n));
        if !looping {
            continue;
        }
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
}

fn check_text(c: &mut Collector, id: &NodeId, what: &str, text: &str, required: bool) {
    if required && text.trim().is_empty() {
        c.error(
            "missing_text",
            Some(id),
            format!(
                "{} has no {what}. Write what the bot says.",
                capital(&c.name(id))
            ),
        );
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        c.error(
            "too_long",
            Some(id),
            format!(
                "Keep the {what} of {} to {MAX_TEXT_CHARS} characters.",
                c.name(id)
            ),
        );
    }
}

fn check_var(c: &mut Collector, id: &NodeId, name: &str) {
    if !is_var_name(name) {
        c.error(
            "invalid_variable",
            Some(id),
            format!(
                "“{name}” cannot be a variable name in {}: start with a letter and use letters, digits and “_”.",
                c.name(id)
            ),
        );
    }
}

fn check_url(c: &mut Collector, id: &NodeId, what: &str, url: &str) {
    let ok = (url.starts_with("https://") || url.starts_with("http://") || url.starts_with("{{"))
        && !url.chars().any(char::is_whitespace);
    if !ok {
        c.error(
            "invalid_url",
            Some(id),
            format!(
                "The {what} of {} must be a web address starting with https://.",
                c.name(id)
            ),
        );
    }
}

fn check_choice_ids<'a>(
    c: &mut Collector,
    id: &NodeId,
    ids: impl Iterator<Item = &'a str>,
    reserved: &str,
) {
    let mut seen = BTreeSet::new();
    for o in ids {
        if !is_valid_id(o) || o == reserved {
            c.error("invalid_id", Some(id), format!("The output id “{o}” of {} is not usable; use letters, digits, “-” and “_”, and not “{reserved}”.", c.name(id)));
        }
        if !seen.insert(o) {
            c.error(
                "duplicate_id",
                Some(id),
                format!("Two outputs of {} share the id “{o}”.", c.name(id)),
            );
        }
    }
}

fn advise(c: &mut Collector, id: &NodeId, advice: Vec<limits::Advice>) {
    for a in advice {
        c.warn("channel_limit", Some(id), a.message);
    }
}

fn check_settings(c: &mut Collector, node: &Node, catalog: Option<&CatalogView>) {
    let id = &node.id;
    match &node.kind {
        NodeKind::Message(s) => {
            check_text(c, id, "text", &s.text, s.image_url.is_none());
            if let Some(url) = &s.image_url {
                check_url(c, id, "image address", url);
            }
            advise(c, id, limits::advise_text(&s.text));
        }
        NodeKind::QuickReply(s) => {
            check_text(c, id, "question", &s.text, true);
            if s.options.is_empty() {
                c.error(
                    "no_options",
                    Some(id),
                    format!("{} has no options. Add at least one.", capital(&c.name(id))),
                );
            }
            if s.options.len() > MAX_OPTIONS {
                c.error(
                    "too_many_options",
                    Some(id),
                    format!(
                        "{} has {} options; the most is {MAX_OPTIONS}.",
                        capital(&c.name(id)),
                        s.options.len()
                    ),
                );
            }
            check_choice_ids(c, id, s.options.iter().map(|o| o.id.as_str()), "fallback");
            let mut labels = BTreeSet::new();
            for o in &s.options {
                if o.label.trim().is_empty() {
                    c.error(
                        "missing_text",
                        Some(id),
                        format!("An option of {} has no label.", c.name(id)),
                    );
                } else if !labels.insert(normalize(&o.label)) {
                    c.error(
                        "duplicate_label",
                        Some(id),
                        format!(
                            "Two options of {} read “{}”; shoppers could not tell them apart.",
                            c.name(id),
                            o.label
                        ),
                    );
                }
            }
            if let Some(v) = &s.save_as {
                check_var(c, id, v);
            }
            let labels: Vec<&str> = s.options.iter().map(|o| o.label.as_str()).collect();
            advise(c, id, limits::advise_choices(&s.text, &labels));
        }
        NodeKind::ProductCarousel(s) => {
            check_text(c, id, "text", &s.text, false);
            if !(1..=MAX_PAGE_SIZE).contains(&s.page_size) {
                c.error(
                    "invalid_setting",
                    Some(id),
                    format!(
                        "{} must show between 1 and {MAX_PAGE_SIZE} products at a time.",
                        capital(&c.name(id))
                    ),
                );
            }
            match &s.source {
                ProductSource::Collection { collection } if collection.trim().is_empty() => {
                    c.error(
                        "invalid_setting",
                        Some(id),
                        format!("Choose the collection {} shows.", c.name(id)),
                    );
                }
                ProductSource::Skus { skus } if skus.is_empty() => {
                    c.error(
                        "invalid_setting",
                        Some(id),
                        format!("Choose the products {} shows.", c.name(id)),
                    );
                }
                ProductSource::Search { query } if query.trim().is_empty() => {
                    c.error(
                        "invalid_setting",
                        Some(id),
                        format!("Enter the search words for {}.", c.name(id)),
                    );
                }
                _ => {}
            }
            if let Some(catalog) = catalog {
                if catalog.select(&s.source).is_empty() {
                    c.warn("no_products", Some(id), format!("{} has no products to show yet: add products to the catalog or change its source.", capital(&c.name(id))));
                }
                if let ProductSource::Skus { skus } = &s.source {
                    for sku in skus.iter().filter(|k| catalog.get(k).is_none()) {
                        c.warn(
                            "unknown_product",
                            Some(id),
                            format!(
                                "{} shows the product “{sku}”, which is not in the catalog.",
                                capital(&c.name(id))
                            ),
                        );
                    }
                }
            }
            // With a catalog, advise on the cards a page really shows.
            let shown = match catalog {
                Some(catalog) => match catalog.select(&s.source).len() {
                    0 => s.page_size as usize,
                    n => n.min(s.page_size as usize),
                },
                None => s.page_size as usize,
            };
            advise(c, id, limits::advise_cards(shown));
        }
        NodeKind::Checkout(s) => {
            check_text(c, id, "text", &s.text, false);
            check_text(c, id, "confirmation", &s.confirmation, false);
        }
        NodeKind::Ask(s) => {
            check_text(c, id, "question", &s.text, true);
            check_var(c, id, &s.save_as);
            if !(1..=10).contains(&s.max_attempts) {
                c.error(
                    "invalid_setting",
                    Some(id),
                    format!(
                        "{} must allow between 1 and 10 attempts.",
                        capital(&c.name(id))
                    ),
                );
            }
            advise(c, id, limits::advise_text(&s.text));
        }
        NodeKind::Condition(s) => {
            if s.branches.is_empty() {
                c.error(
                    "no_options",
                    Some(id),
                    format!(
                        "{} has no branches. Add at least one.",
                        capital(&c.name(id))
                    ),
                );
            }
            if s.branches.len() > MAX_OPTIONS {
                c.error(
                    "too_many_options",
                    Some(id),
                    format!(
                        "{} has more than {MAX_OPTIONS} branches.",
                        capital(&c.name(id))
                    ),
                );
            }
            check_choice_ids(c, id, s.branches.iter().map(|b| b.id.as_str()), "else");
            for b in &s.branches {
                if let Subject::Variable { name } = &b.subject {
                    check_var(c, id, name);
                }
                if matches!(b.op, Comparison::GreaterThan | Comparison::LessThan)
                    && parse_decimal(&b.value).is_none()
                {
                    c.error(
                        "invalid_setting",
                        Some(id),
                        format!(
                            "The branch “{}” of {} compares with “{}”, which is not a number.",
                            b.id,
                            c.name(id),
                            b.value
                        ),
                    );
                }
            }
        }
        NodeKind::SetVariable(s) => {
            check_var(c, id, &s.name);
            check_text(c, id, "value", &s.value, false);
        }
        NodeKind::ShowCart(s) => {
            check_text(c, id, "text", &s.text, false);
            check_text(c, id, "empty-cart text", &s.empty_text, false);
        }
        NodeKind::OrderStatus(s) => {
            check_text(c, id, "text", &s.text, false);
            check_text(c, id, "no-orders text", &s.none_text, false);
        }
        NodeKind::Handoff(s) => check_text(c, id, "text", &s.text, true),
        NodeKind::HttpRequest(s) => {
            check_url(c, id, "address", &s.url);
            if let Some(v) = &s.save_as {
                check_var(c, id, v);
            }
            if let Some(body) = &s.body {
                check_text(c, id, "body", body, false);
            }
        }
        NodeKind::End(s) => check_text(c, id, "text", &s.text, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, text: &str) -> Node {
        Node {
            id: NodeId::from(id),
            position: Position::default(),
            kind: NodeKind::Message(MessageSettings {
                text: text.into(),
                image_url: None,
            }),
        }
    }

    fn end(id: &str) -> Node {
        Node {
            id: NodeId::from(id),
            position: Position::default(),
            kind: NodeKind::End(EndSettings::default()),
        }
    }

    fn qr(id: &str, options: &[&str]) -> Node {
        Node {
            id: NodeId::from(id),
            position: Position::default(),
            kind: NodeKind::QuickReply(QuickReplySettings {
                text: "Pick one".into(),
                options: options
                    .iter()
                    .map(|o| ChoiceOption {
                        id: o.to_lowercase(),
                        label: o.to_string(),
                    })
                    .collect(),
                ..Default::default()
            }),
        }
    }

    fn edge(from: &str, port: &str, to: &str) -> Edge {
        Edge {
            from: from.into(),
            port: port.into(),
            to: to.into(),
        }
    }

    fn codes(r: &Report) -> Vec<(&str, Option<&str>)> {
        r.problems
            .iter()
            .map(|p| (p.code.as_str(), p.node.as_deref()))
            .collect()
    }

    fn doc(nodes: Vec<Node>, edges: Vec<Edge>) -> FlowDoc {
        FlowDoc {
            start: nodes.first().map(|n| n.id.clone()),
            nodes,
            edges,
            ..FlowDoc::default()
        }
    }

    #[test]
    fn a_clean_flow_has_no_problems() {
        let d = doc(vec![msg("a", "Hi"), end("b")], vec![edge("a", "next", "b")]);
        assert_eq!(validate(&d, None), Report::default());
    }

    #[test]
    fn missing_start_is_an_error() {
        let mut d = doc(vec![end("a")], vec![]);
        d.start = None;
        let r = validate(&d, None);
        assert_eq!(
            codes(&r),
            [("no_start", Some("a"))],
            "tied to the first step"
        );
        assert_eq!(
            r.problems[0].message,
            "Choose the step where conversations start."
        );
        d.start = Some("gone".into());
        let r = validate(&d, None);
        assert_eq!(codes(&r), [("no_start", Some("a"))]);
        assert!(r.problems[0].message.contains("“gone”"), "{:?}", r.problems);
        // An empty flow has no step to point at.
        let empty = FlowDoc::default();
        assert_eq!(codes(&validate(&empty, None)), [("no_start", None)]);
    }

    #[test]
    fn dangling_edges_are_tied_to_their_node() {
        let d = doc(
            vec![msg("a", "Hi"), end("b")],
            vec![
                edge("a", "next", "zzz"),
                edge("ghost", "next", "b"),
                edge("ghost", "next", "gone"),
            ],
        );
        let r = validate(&d, None);
        let c = codes(&r);
        assert!(c.contains(&("dangling_edge", Some("a"))), "{c:?}");
        // A missing source: tied to the step the connection enters…
        let into_b = r.for_node("b").find(|p| p.code == "dangling_edge").unwrap();
        assert_eq!(into_b.port.as_deref(), Some("next"));
        assert!(into_b.message.contains("“ghost”"), "{}", into_b.message);
        // …and only when neither end exists, to no step, saying so.
        let loose: Vec<_> = r.problems.iter().filter(|p| p.node.is_none()).collect();
        assert_eq!(loose.len(), 1, "{:?}", r.problems);
        assert_eq!(loose[0].code, "dangling_edge");
        assert!(
            loose[0].message.contains("no longer exist"),
            "{}",
            loose[0].message
        );
        assert!(
            c.contains(&("unconnected_output", Some("a"))),
            "the dangling edge does not count as connected"
        );
        let p = r.for_node("a").find(|p| p.code == "dangling_edge").unwrap();
        assert_eq!(p.port.as_deref(), Some("next"));
        assert!(p.message.contains("Message step “Hi”"), "{}", p.message);
    }

    #[test]
    fn unconnected_required_outputs_are_errors_optional_ones_are_not() {
        let d = doc(
            vec![qr("q", &["Yes", "No"]), end("e")],
            vec![edge("q", "yes", "e")],
        );
        let r = validate(&d, None);
        let unconnected: Vec<_> = r
            .problems
            .iter()
            .filter(|p| p.code == "unconnected_output")
            .collect();
        assert_eq!(unconnected.len(), 1, "{:?}", r.problems);
        assert_eq!(unconnected[0].port.as_deref(), Some("no"));
        assert_eq!(
            unconnected[0].message,
            "The Quick reply step “Pick one” has nowhere to go after “No”. Connect it to the next step."
        );
    }

    #[test]
    fn unreachable_steps_are_warnings() {
        let d = doc(
            vec![msg("a", "Hi"), end("b"), end("island")],
            vec![edge("a", "next", "b")],
        );
        let r = validate(&d, None);
        assert_eq!(codes(&r), [("unreachable", Some("island"))]);
        assert!(!r.has_errors());
        // A trigger makes a step reachable.
        let mut d2 = d.clone();
        d2.triggers.push(Trigger {
            keywords: vec!["bye".into()],
            to: "island".into(),
        });
        assert_eq!(validate(&d2, None), Report::default());
    }

    #[test]
    fn loops_without_a_wait_are_errors_loops_with_one_are_fine() {
        let busy = doc(
            vec![msg("a", "One"), msg("b", "Two")],
            vec![edge("a", "next", "b"), edge("b", "next", "a")],
        );
        let r = validate(&busy, None);
        assert_eq!(codes(&r), [("busy_loop", Some("a"))]);
        assert!(
            r.problems[0]
                .message
                .contains("“One” → the Message step “Two”"),
            "{}",
            r.problems[0].message
        );
        let selfloop = doc(vec![msg("a", "Again")], vec![edge("a", "next", "a")]);
        assert_eq!(
            codes(&validate(&selfloop, None)),
            [("busy_loop", Some("a"))]
        );
        let waits = doc(
            vec![msg("a", "One"), qr("q", &["Again"])],
            vec![edge("a", "next", "q"), edge("q", "again", "a")],
        );
        assert_eq!(validate(&waits, None), Report::default());
    }

    fn carousel(id: &str) -> Node {
        Node {
            id: NodeId::from(id),
            position: Position::default(),
            kind: NodeKind::ProductCarousel(CarouselSettings {
                page_size: 3,
                ..Default::default()
            }),
        }
    }

    fn cart(id: &str) -> Node {
        Node {
            id: NodeId::from(id),
            position: Position::default(),
            kind: NodeKind::ShowCart(ShowCartSettings::default()),
        }
    }

    fn checkout(id: &str) -> Node {
        Node {
            id: NodeId::from(id),
            position: Position::default(),
            kind: NodeKind::Checkout(CheckoutSettings::default()),
        }
    }

    #[test]
    fn loops_through_steps_with_nothing_to_show_are_errors() {
        // An empty catalog shows nothing and leaves by "done"; an empty cart
        // leaves by "empty": neither waits, so this would spin.
        let d = doc(
            vec![
                msg("hi", "Hi"),
                carousel("catalog"),
                qr("after", &["Cart"]),
                cart("cart"),
                checkout("checkout"),
                end("bye"),
            ],
            vec![
                edge("hi", "next", "catalog"),
                edge("catalog", "added", "after"),
                edge("catalog", "done", "cart"),
                edge("after", "cart", "cart"),
                edge("cart", "checkout", "checkout"),
                edge("cart", "continue", "catalog"),
                edge("cart", "empty", "catalog"),
                edge("checkout", "placed", "bye"),
            ],
        );
        let r = validate(&d, None);
        let loops: Vec<&Problem> = r
            .problems
            .iter()
            .filter(|p| p.code == "busy_loop")
            .collect();
        assert_eq!(loops.len(), 1, "{:#?}", r.problems);
        assert_eq!(loops[0].severity, Severity::Error);
        assert_eq!(loops[0].node.as_deref(), Some("catalog"));
        assert_eq!(loops[0].port.as_deref(), Some("done"));
        assert!(
            loops[0]
                .message
                .starts_with("When there are no products to show and the cart is empty,"),
            "{}",
            loops[0].message
        );

        // Sending the empty cart to a question breaks the loop.
        let mut fixed = d.clone();
        fixed
            .edges
            .retain(|e| !(e.from.as_str() == "cart" && e.port == "empty"));
        fixed.edges.push(edge("cart", "empty", "after"));
        assert_eq!(validate(&fixed, None), Report::default());

        // Without `empty` connected, an empty cart leaves by "continue".
        let mut unconnected = d.clone();
        unconnected
            .edges
            .retain(|e| !(e.from.as_str() == "cart" && e.port == "empty"));
        assert_eq!(
            codes(&validate(&unconnected, None)),
            [("busy_loop", Some("catalog"))]
        );

        // A checkout with an empty cart, back to the catalog, back to the checkout.
        let co = doc(
            vec![
                checkout("checkout"),
                carousel("catalog"),
                qr("after", &["Pay"]),
                end("bye"),
            ],
            vec![
                edge("checkout", "placed", "bye"),
                edge("checkout", "empty_cart", "catalog"),
                edge("catalog", "added", "after"),
                edge("catalog", "done", "checkout"),
                edge("after", "pay", "checkout"),
            ],
        );
        let r = validate(&co, None);
        assert_eq!(codes(&r), [("busy_loop", Some("checkout"))]);
        assert_eq!(r.problems[0].port.as_deref(), Some("empty_cart"));
        // A tap ("added") is a wait: this loop is fine.
        let taps = doc(
            vec![carousel("catalog"), msg("nice", "Nice pick"), end("bye")],
            vec![
                edge("catalog", "added", "nice"),
                edge("nice", "next", "catalog"),
                edge("catalog", "done", "bye"),
            ],
        );
        assert_eq!(validate(&taps, None), Report::default());
    }

    #[test]
    fn settings_are_checked() {
        let mut bad_qr = qr("q", &["Same", "same"]);
        if let NodeKind::QuickReply(s) = &mut bad_qr.kind {
            s.options[1].id = "other".into();
            s.save_as = Some("1bad".into());
        }
        let d = doc(vec![msg("a", ""), bad_qr], vec![edge("a", "next", "q")]);
        let r = validate(&d, None);
        let c = codes(&r);
        assert!(c.contains(&("missing_text", Some("a"))), "{c:?}");
        assert!(c.contains(&("duplicate_label", Some("q"))), "{c:?}");
        assert!(c.contains(&("invalid_variable", Some("q"))), "{c:?}");
    }

    #[test]
    fn channel_limits_are_warnings_that_say_how_it_degrades() {
        let five = qr("q", &["A", "B", "C", "D", "E"]);
        let mut d = doc(vec![five, end("e")], vec![]);
        for o in ["a", "b", "c", "d", "e"] {
            d.edges.push(edge("q", o, "e"));
        }
        let r = validate(&d, None);
        assert!(!r.has_errors(), "{:?}", r.problems);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].code, "channel_limit");
        assert_eq!(r.problems[0].severity, Severity::Warning);
        assert_eq!(
            r.problems[0].message,
            "WhatsApp shows at most 3 buttons: these 5 options become a list."
        );
    }

    #[test]
    fn duplicate_ids_and_bad_ports() {
        let d = doc(
            vec![msg("a", "Hi"), end("a"), end("b")],
            vec![
                edge("a", "next", "b"),
                edge("a", "sideways", "b"),
                edge("a", "next", "b"),
            ],
        );
        let r = validate(&d, None);
        let c: Vec<&str> = r.problems.iter().map(|p| p.code.as_str()).collect();
        assert!(c.contains(&"duplicate_id"), "{c:?}");
        assert!(c.contains(&"unknown_port"), "{c:?}");
        assert!(c.contains(&"duplicate_connection"), "{c:?}");
        assert!(r.has_errors());
    }

    #[test]
    fn catalog_aware_checks() {
        let carousel = Node {
            id: "c".into(),
            position: Position::default(),
            kind: NodeKind::ProductCarousel(CarouselSettings {
                source: ProductSource::Skus {
                    skus: vec!["NOPE".into()],
                },
                page_size: 3,
                ..Default::default()
            }),
        };
        let d = doc(
            vec![carousel, end("e")],
            vec![edge("c", "added", "e"), edge("c", "done", "e")],
        );
        let r = validate(&d, Some(&CatalogView::default()));
        let c = codes(&r);
        assert!(c.contains(&("no_products", Some("c"))), "{c:?}");
        assert!(c.contains(&("unknown_product", Some("c"))), "{c:?}");
        assert!(!r.has_errors());
    }
}

//! Document-level checks: the size bounds, node ids, the start step and
//! the keyword shortcuts. Must not look at connections or settings; those
//! are `graph`'s and `settings`'.

use std::collections::{BTreeMap, HashMap};

use super::Collector;
use crate::flow::doc::*;
use crate::flow::text::normalize;

pub(super) fn check_bounds(c: &mut Collector) {
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
pub(super) fn check_ids(c: &mut Collector) -> HashMap<NodeId, usize> {
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

pub(super) fn check_start(c: &mut Collector, index: &HashMap<NodeId, usize>) {
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

pub(super) fn check_triggers(c: &mut Collector, index: &HashMap<NodeId, usize>) {
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

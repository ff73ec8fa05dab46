//! Property tests of the editor's operations: any sequence of edits, undos
//! and redos, valid or not, including whole-document replacements (imports,
//! versions copied into the draft, broken files) and several keyword
//! triggers at once, leaves a document without dangling edges, and undoing
//! everything returns exactly to where editing began.

use app::editor_core::edit::{History, Op, PALETTE, apply, is_tidy, new_node};
use app::flow::doc::*;
use proptest::prelude::*;

/// Where a replacing document comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// A template, as an imported file.
    Template,
    /// The current document with an edge to a step that is not there
    /// (and one from a port that is not), as a hand-edited file.
    Broken,
    /// The current document itself: importing what is already there.
    Same,
    /// The current document without one of its steps, edges left dangling.
    Without,
}

/// An edit in terms of small indexes, resolved against the current
/// document so most of them name things that exist (and some do not).
#[derive(Debug, Clone)]
enum Act {
    Add(usize),
    Move(Vec<usize>, i16, i16),
    Connect(usize, usize, usize),
    Disconnect(usize, usize),
    Delete(Vec<usize>, Vec<(usize, usize)>),
    DropOption(usize, usize),
    AddOption(usize),
    Start(usize),
    Triggers(Vec<usize>),
    Replace(Source, usize),
    Undo,
    Redo,
}

fn act() -> impl Strategy<Value = Act> {
    let i = 0usize..12;
    prop_oneof![
        4 => (0..PALETTE.len()).prop_map(Act::Add),
        2 => (prop::collection::vec(i.clone(), 0..3), any::<i16>(), any::<i16>())
            .prop_map(|(v, x, y)| Act::Move(v, x, y)),
        5 => (i.clone(), 0usize..6, i.clone()).prop_map(|(a, p, b)| Act::Connect(a, p, b)),
        1 => (i.clone(), 0usize..6).prop_map(|(a, p)| Act::Disconnect(a, p)),
        2 => (prop::collection::vec(i.clone(), 0..3), prop::collection::vec((i.clone(), 0usize..6), 0..3))
            .prop_map(|(n, e)| Act::Delete(n, e)),
        2 => (i.clone(), 0usize..4).prop_map(|(a, k)| Act::DropOption(a, k)),
        1 => i.clone().prop_map(Act::AddOption),
        1 => i.clone().prop_map(Act::Start),
        2 => prop::collection::vec(0usize..16, 0..4).prop_map(Act::Triggers),
        2 => (prop_oneof![Just(Source::Template), Just(Source::Broken), Just(Source::Same), Just(Source::Without)], i.clone())
            .prop_map(|(s, k)| Act::Replace(s, k)),
        2 => Just(Act::Undo),
        1 => Just(Act::Redo),
    ]
}

fn id_at(doc: &FlowDoc, i: usize) -> NodeId {
    // Past the end: a node that does not exist.
    doc.nodes
        .get(i)
        .map(|n| n.id.clone())
        .unwrap_or_else(|| NodeId(format!("ghost{i}")))
}

fn port_at(doc: &FlowDoc, i: usize, p: usize) -> String {
    doc.nodes
        .get(i)
        .and_then(|n| n.kind.ports().get(p).map(|p| p.name.clone()))
        .unwrap_or_else(|| format!("port{p}"))
}

fn to_op(doc: &FlowDoc, act: &Act) -> Option<Op> {
    Some(match act {
        Act::Add(t) => Op::AddNode {
            node: new_node(doc, PALETTE[*t].type_name, Position::default())?,
        },
        Act::Move(v, x, y) => Op::MoveNodes {
            ids: v.iter().map(|i| id_at(doc, *i)).collect(),
            dx: f64::from(*x),
            dy: f64::from(*y),
        },
        Act::Connect(a, p, b) => Op::Connect {
            from: id_at(doc, *a),
            port: port_at(doc, *a, *p),
            to: id_at(doc, *b),
        },
        Act::Disconnect(a, p) => Op::Disconnect {
            from: id_at(doc, *a),
            port: port_at(doc, *a, *p),
        },
        Act::Delete(n, e) => Op::Delete {
            nodes: n.iter().map(|i| id_at(doc, *i)).collect(),
            edges: e
                .iter()
                .map(|(a, p)| (id_at(doc, *a), port_at(doc, *a, *p)))
                .collect(),
        },
        Act::DropOption(a, k) => edit_options(doc, *a, Some(*k))?,
        Act::AddOption(a) => edit_options(doc, *a, None)?,
        Act::Start(i) => Op::SetStart { id: id_at(doc, *i) },
        // Several shortcuts at once; indexes past the end name ghosts.
        Act::Triggers(v) => Op::SetTriggers {
            triggers: v
                .iter()
                .enumerate()
                .map(|(k, i)| Trigger {
                    keywords: vec![format!("word{k}")],
                    to: id_at(doc, *i),
                })
                .collect(),
        },
        Act::Replace(source, k) => Op::Replace {
            doc: replacement(doc, *source, *k),
        },
        Act::Undo | Act::Redo => return None,
    })
}

fn replacement(doc: &FlowDoc, source: Source, k: usize) -> FlowDoc {
    match source {
        Source::Template => match k % 3 {
            0 => app::flow::templates::shop(),
            1 => app::flow::templates::faq(),
            _ => app::flow::templates::order_status(),
        },
        Source::Broken => {
            let mut d = doc.clone();
            let from = id_at(&d, k);
            d.edges.push(Edge {
                from: from.clone(),
                port: "no-such-port".into(),
                to: from,
            });
            d.edges.push(Edge {
                from: id_at(&d, k + 1),
                port: port_at(&d, k + 1, 0),
                to: NodeId("ghost".into()),
            });
            d.triggers.push(Trigger {
                keywords: vec!["lost".into()],
                to: NodeId("ghost".into()),
            });
            d
        }
        Source::Same => doc.clone(),
        Source::Without => {
            let mut d = doc.clone();
            if !d.nodes.is_empty() {
                d.nodes.remove(k % d.nodes.len());
            }
            d
        }
    }
}

/// Drops option `drop` of a quick reply or condition, or adds an option
/// to a quick reply when `drop` is `None`.
fn edit_options(doc: &FlowDoc, a: usize, drop: Option<usize>) -> Option<Op> {
    let node = doc.nodes.get(a)?;
    let mut kind = node.kind.clone();
    match (&mut kind, drop) {
        (NodeKind::QuickReply(s), Some(k)) if k < s.options.len() => {
            s.options.remove(k);
        }
        (NodeKind::QuickReply(s), None) => s.options.push(ChoiceOption {
            id: format!("x{}", s.options.len()),
            label: "More".into(),
        }),
        (NodeKind::Condition(s), Some(k)) if k < s.branches.len() => {
            s.branches.remove(k);
        }
        _ => return None,
    }
    Some(Op::UpdateNode {
        id: node.id.clone(),
        kind,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_edit_leaves_a_dangling_edge(acts in prop::collection::vec(act(), 1..60)) {
        let start = app::flow::templates::shop();
        let mut h = History::new(start.clone());
        let mut applied = 0usize;
        for a in &acts {
            match a {
                Act::Undo => { h.undo(); }
                Act::Redo => { h.redo(); }
                _ => {
                    if let Some(op) = to_op(h.present(), a) {
                        let before = h.present().clone();
                        let could_undo = h.can_undo();
                        match h.apply(&op, None) {
                            Ok(true) => {
                                applied += 1;
                                prop_assert_ne!(h.present(), &before);
                            }
                            // An edit that changes nothing leaves no step.
                            Ok(false) => {
                                prop_assert_eq!(h.present(), &before);
                                prop_assert_eq!(h.can_undo(), could_undo);
                            }
                            // A refused edit changes nothing.
                            Err(_) => prop_assert_eq!(h.present(), &before),
                        }
                        if let (Op::Replace { .. }, Act::Replace(Source::Same, _)) = (&op, a) {
                            prop_assert_eq!(h.present(), &before, "importing the same flow changes nothing");
                        }
                    }
                }
            }
            let d = h.present();
            prop_assert!(is_tidy(d), "after {:?}: {:#?}", a, d.edges);
            for e in &d.edges {
                let from = d.node(&e.from);
                prop_assert!(from.is_some() && d.node(&e.to).is_some());
                prop_assert!(from.unwrap().kind.ports().iter().any(|p| p.name == e.port));
            }
            let ids: std::collections::HashSet<_> = d.nodes.iter().map(|n| &n.id).collect();
            prop_assert_eq!(ids.len(), d.nodes.len(), "node ids stay unique");
            for t in &d.triggers {
                prop_assert!(d.node(&t.to).is_some(), "trigger to a missing step: {:?}", t);
            }
            if let Some(s) = &d.start {
                prop_assert!(d.node(s).is_some(), "start is a missing step");
            }
        }
        // Undo everything: back to the start, exactly.
        while h.undo() {}
        if applied <= History::LIMIT {
            prop_assert_eq!(h.present(), &start);
        }
    }

    #[test]
    fn operations_are_pure(acts in prop::collection::vec(act(), 1..20)) {
        let mut doc = app::flow::templates::faq();
        for a in &acts {
            if let Some(op) = to_op(&doc, a) {
                let snapshot = doc.clone();
                let once = apply(&doc, &op);
                prop_assert_eq!(&doc, &snapshot, "apply does not touch its input");
                prop_assert_eq!(&once, &apply(&doc, &op), "same input, same output");
                if let Ok(next) = once {
                    doc = next;
                }
            }
        }
    }
}

//! Property tests of the editor's operations: any sequence of edits, undos
//! and redos, valid or not, leaves a document without dangling edges, and
//! undoing everything returns exactly to where editing began.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use app::flow::doc::*;
use app::flow::edit::{History, Op, PALETTE, apply, is_tidy, new_node};
use proptest::prelude::*;

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
    Trigger(usize),
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
        1 => i.clone().prop_map(Act::Trigger),
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
        Act::Trigger(i) => Op::SetTriggers {
            triggers: vec![Trigger {
                keywords: vec!["menu".into()],
                to: id_at(doc, *i),
            }],
        },
        Act::Undo | Act::Redo => return None,
    })
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
                        match h.apply(&op, None) {
                            Ok(()) => applied += 1,
                            // A refused edit changes nothing.
                            Err(_) => prop_assert_eq!(h.present(), &before),
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

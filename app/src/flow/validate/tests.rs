//! Tests of [`validate`](super::validate) end to end, one per check
//! family, on small hand-built documents. Test code only.

use super::*;
use crate::commerce::{CatalogView, ProductSource};

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
    Edge::new(from, port, to)
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

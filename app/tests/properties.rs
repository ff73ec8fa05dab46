//! Property tests: random flows driven by random input sequences. The
//! interpreter must be deterministic, never panic, stay within its step
//! budget, always leave the session on an existing node, and never place
//! two orders under one idempotency key: earlier events are delivered again,
//! from the state saved before them (a retry after a crash) and on the state
//! reached since (a duplicate delivery), and each confirmed cart is ordered
//! at most once.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use std::collections::BTreeSet;

use app::channel::{CardButton, Outbound};
use app::commerce::NewOrder;
use app::commerce::{CatalogView, Currency, Money, Product, ProductSource};
use app::flow::doc::*;
use app::flow::interpreter::{
    Ctx, Effect, Input, OrderedItem, STEP_BUDGET, Session, Step, ValidFlow, step,
};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Shape {
    Message,
    QuickReply(u8),
    Carousel,
    Checkout(u8),
    Ask(u8),
    Condition(u8),
    SetVariable,
    ShowCart,
    OrderStatus,
    Handoff,
    Http,
    End,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        3 => Just(Shape::Message),
        3 => (1u8..6).prop_map(Shape::QuickReply),
        2 => Just(Shape::Carousel),
        2 => (0u8..3).prop_map(Shape::Checkout),
        2 => (0u8..5).prop_map(Shape::Ask),
        2 => (1u8..4).prop_map(Shape::Condition),
        1 => Just(Shape::SetVariable),
        1 => Just(Shape::ShowCart),
        1 => Just(Shape::OrderStatus),
        1 => Just(Shape::Handoff),
        1 => Just(Shape::Http),
        1 => Just(Shape::End),
    ]
}

fn kind(shape: Shape, i: usize) -> NodeKind {
    match shape {
        Shape::Message => NodeKind::Message(MessageSettings {
            text: format!("Message {i} {{{{v}}}}"),
            image_url: None,
        }),
        Shape::QuickReply(n) => NodeKind::QuickReply(QuickReplySettings {
            text: format!("Question {i}"),
            options: (0..n)
                .map(|k| ChoiceOption {
                    id: format!("o{k}"),
                    label: format!("Option {k}"),
                })
                .collect(),
            save_as: Some("v".into()),
            reprompt: None,
        }),
        Shape::Carousel => NodeKind::ProductCarousel(CarouselSettings {
            text: "Products".into(),
            source: ProductSource::All,
            page_size: 2,
        }),
        Shape::Checkout(p) => NodeKind::Checkout(CheckoutSettings {
            text: String::new(),
            payment: [
                PaymentOptions::CashOnDelivery,
                PaymentOptions::OrderPage,
                PaymentOptions::Both,
            ][p as usize % 3],
            confirmation: String::new(),
        }),
        Shape::Ask(k) => NodeKind::Ask(AskSettings {
            text: format!("Ask {i}"),
            kind: [
                AskKind::Text,
                AskKind::Email,
                AskKind::Phone,
                AskKind::Number,
                AskKind::Address,
            ][k as usize % 5],
            save_as: "v".into(),
            reprompt: None,
            max_attempts: 2,
        }),
        Shape::Condition(n) => NodeKind::Condition(ConditionSettings {
            branches: (0..n)
                .map(|k| Branch {
                    id: format!("b{k}"),
                    label: String::new(),
                    subject: [
                        Subject::Variable { name: "v".into() },
                        Subject::CartCount,
                        Subject::CartTotal,
                    ][k as usize % 3]
                        .clone(),
                    op: [
                        Comparison::Equals,
                        Comparison::GreaterThan,
                        Comparison::IsSet,
                    ][k as usize % 3],
                    value: "1".into(),
                })
                .collect(),
        }),
        Shape::SetVariable => NodeKind::SetVariable(SetVariableSettings {
            name: "v".into(),
            value: "{{v}}x".into(),
        }),
        Shape::ShowCart => NodeKind::ShowCart(ShowCartSettings::default()),
        Shape::OrderStatus => NodeKind::OrderStatus(OrderStatusSettings::default()),
        Shape::Handoff => NodeKind::Handoff(HandoffSettings {
            text: "A person will reply".into(),
        }),
        Shape::Http => NodeKind::HttpRequest(HttpRequestSettings {
            method: HttpMethod::Get,
            url: "https://api.example/x".into(),
            body: None,
            save_as: Some("v".into()),
        }),
        Shape::End => NodeKind::End(EndSettings { text: "Bye".into() }),
    }
}

/// Builds a flow from shapes and seeds. With `valid`, every connection that
/// can be followed without waiting (all of a message's, a carousel's "done"
/// taken when it has nothing to show, …) points forward, so no loop can
/// spin, and every required port is connected; otherwise edges go anywhere,
/// including nowhere.
fn build(shapes: &[Shape], seeds: &[u32], valid: bool) -> FlowDoc {
    let mut shapes = shapes.to_vec();
    if valid {
        shapes.push(Shape::End);
    }
    let n = shapes.len();
    let mut doc = FlowDoc {
        start: Some("n0".into()),
        ..FlowDoc::default()
    };
    let mut seed = seeds.iter().copied().cycle();
    for (i, s) in shapes.iter().enumerate() {
        doc.nodes.push(Node {
            id: format!("n{i}").as_str().into(),
            position: Position::default(),
            kind: kind(*s, i),
        });
    }
    for i in 0..n {
        let node = doc.nodes[i].clone();
        for port in node.kind.ports() {
            let r = seed.next().unwrap_or(0) as usize;
            if port.need == PortNeed::Optional && r.is_multiple_of(3) {
                continue;
            }
            let to = if !valid {
                format!("n{}", r % (n + 1)) // n{n} does not exist
            } else if !node.kind.leaves_without_waiting(&port.name, |_| false) {
                format!("n{}", r % n)
            } else {
                format!("n{}", i + 1 + r % (n - i - 1))
            };
            doc.edges.push(Edge {
                from: node.id.clone(),
                port: port.name,
                to: to.as_str().into(),
            });
        }
    }
    if seeds.first().is_some_and(|s| s.is_multiple_of(2)) {
        doc.triggers.push(Trigger {
            keywords: vec!["menu".into()],
            to: format!("n{}", seeds[0] as usize % n).as_str().into(),
        });
    }
    doc
}

#[derive(Debug, Clone)]
enum Act {
    Start,
    Text(String),
    Menu,
    Tap(usize),
    Number(u8),
    Garbage(String),
    Paid(usize),
    Http(bool),
    Timeout,
    Cart(Vec<(u8, u8)>),
    /// Delivers the `k`-th latest event again: from the session saved
    /// before it (`true`) or on the current session (`false`).
    Replay(usize, bool),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        1 => Just(Act::Start),
        3 => "[a-z0-9@. +]{0,16}".prop_map(Act::Text),
        1 => Just(Act::Menu),
        8 => (0usize..12).prop_map(Act::Tap),
        2 => (0u8..7).prop_map(Act::Number),
        1 => "b1\\|[a-z]\\|n[0-9]\\|[a-zA-Z0-9|]{0,8}".prop_map(Act::Garbage),
        1 => (0usize..3).prop_map(Act::Paid),
        1 => any::<bool>().prop_map(Act::Http),
        1 => Just(Act::Timeout),
        1 => prop::collection::vec((0u8..4, 0u8..4), 0..3).prop_map(Act::Cart),
        3 => ((0usize..8), any::<bool>()).prop_map(|(k, before)| Act::Replay(k, before)),
    ]
}

fn catalog() -> CatalogView {
    let usd = Currency::parse("USD").unwrap();
    CatalogView::new((0..4).map(|i| Product {
        sku: format!("SKU{i}"),
        name: format!("Item {i}"),
        description: String::new(),
        price: Money::new(500 * (i + 1), usd),
        image_url: None,
        stock: if i == 0 { Some(2) } else { None },
        active: i != 3,
        collections: vec![],
    }))
}

/// Every payload the shopper could tap in these effects.
fn buttons(effects: &[Effect]) -> Vec<String> {
    let mut out = Vec::new();
    for e in effects {
        if let Effect::Send { message } = e {
            match message {
                Outbound::Choices { choices, .. } => {
                    out.extend(choices.iter().map(|c| c.payload.clone()))
                }
                Outbound::Cards { cards, choices, .. } => {
                    for c in cards {
                        for b in &c.buttons {
                            if let CardButton::Postback { payload, .. } = b {
                                out.push(payload.clone());
                            }
                        }
                    }
                    out.extend(choices.iter().map(|c| c.payload.clone()));
                }
                _ => {}
            }
        }
    }
    out
}

struct Drive {
    keys: BTreeSet<String>,
    placed: Vec<String>,
}

fn orders(effects: &[Effect]) -> Vec<&NewOrder> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::PlaceOrder { order } => Some(order),
            _ => None,
        })
        .collect()
}

/// An event as it was handled: the session before it, the input, its id
/// and what it did.
struct Handled {
    before: Session,
    input: Input,
    event: String,
    at: i64,
    result: Step,
}

/// Delivers `h` again, as the runner would see it after a crash (from the
/// session saved before it, days later) or as a duplicate delivery (on the
/// session reached since). Neither may place a second order for one key.
fn replay(
    flow: &ValidFlow,
    catalog: &CatalogView,
    h: &Handled,
    current: &Session,
    from_before: bool,
) -> Result<(), TestCaseError> {
    let ctx = Ctx {
        now_ms: h.at + 3 * 86_400_000,
        conversation: "c",
        event_id: &h.event,
        catalog,
        orders: &[],
        contact: None,
    };
    let original = orders(&h.result.effects);
    if from_before {
        let again = step(flow, h.before.clone(), h.input.clone(), &ctx);
        prop_assert_eq!(
            orders(&again.effects),
            original,
            "a retried event places the same orders, under the same keys"
        );
        return Ok(());
    }
    let again = step(flow, current.clone(), h.input.clone(), &ctx);
    for order in orders(&again.effects) {
        prop_assert_eq!(
            &order.key,
            &format!("c:{}", h.event),
            "an order's key is its event's, whatever the state"
        );
        // The session remembers the orders it placed (the latest few): one
        // of those keys is never used for a second order.
        prop_assert!(
            !current.placed.iter().any(|p| p.key == order.key),
            "a duplicate of {} placed a second order under its key",
            h.event
        );
    }
    Ok(())
}

/// Runs `acts` through `flow`, checking every property at every step.
fn drive(flow: &ValidFlow, acts: &[Act]) -> Result<Drive, TestCaseError> {
    let catalog = catalog();
    let mut session = Session::default();
    let mut seen_buttons: Vec<String> = Vec::new();
    let mut http: Option<String> = None;
    let mut d = Drive {
        keys: BTreeSet::new(),
        placed: Vec::new(),
    };
    let mut history: Vec<Handled> = Vec::new();
    // Whether the cart was filled since the last order: a cart is confirmed
    // into at most one order.
    let mut refilled = false;
    for (n, a) in acts.iter().enumerate() {
        let input = match a {
            Act::Replay(k, from_before) => {
                // Half the time an event that placed an order, the most
                // interesting one to deliver twice.
                let placing: Vec<&Handled> = history
                    .iter()
                    .rev()
                    .filter(|h| !orders(&h.result.effects).is_empty())
                    .collect();
                let h = if k % 2 == 1 && !placing.is_empty() {
                    placing.get(k / 2 % placing.len()).copied()
                } else {
                    history.iter().rev().nth(k % history.len().max(1))
                };
                if let Some(h) = h {
                    replay(flow, &catalog, h, &session, *from_before)?;
                }
                // The runner drops duplicates: nothing is applied.
                continue;
            }
            Act::Start => Input::Start,
            Act::Text(t) => Input::Text { text: t.clone() },
            Act::Menu => Input::Text {
                text: "Menu".into(),
            },
            Act::Tap(i) if !seen_buttons.is_empty() => Input::Payload {
                payload: seen_buttons[i % seen_buttons.len()].clone(),
            },
            Act::Tap(_) => Input::Text {
                text: "hello".into(),
            },
            Act::Number(k) => Input::Text {
                text: k.to_string(),
            },
            Act::Garbage(g) => Input::Payload { payload: g.clone() },
            Act::Paid(i) if !d.placed.is_empty() => Input::PaymentSucceeded {
                order_key: d.placed[i % d.placed.len()].clone(),
            },
            Act::Paid(_) => Input::PaymentFailed {
                order_key: "none".into(),
            },
            Act::Http(ok) => Input::HttpResult {
                request_id: http.clone().unwrap_or_default(),
                status: if *ok { 200 } else { 500 },
                body: "{}".into(),
            },
            Act::Timeout => Input::Timeout,
            Act::Cart(items) => Input::CartOrder {
                items: items
                    .iter()
                    .map(|(s, q)| OrderedItem {
                        sku: format!("SKU{s}"),
                        qty: u32::from(*q),
                    })
                    .collect(),
            },
        };
        let event = format!("e{n}");
        let at = 1_700_000_000_000 + n as i64;
        let ctx = Ctx {
            now_ms: at,
            conversation: "c",
            event_id: &event,
            catalog: &catalog,
            orders: &[],
            contact: None,
        };
        let a1 = step(flow, session.clone(), input.clone(), &ctx);
        let a2 = step(flow, session.clone(), input.clone(), &ctx);
        prop_assert_eq!(&a1, &a2, "step is deterministic");

        let visits = a1
            .effects
            .iter()
            .filter(|e| matches!(e, Effect::Visit { .. }))
            .count();
        prop_assert!(visits as u32 <= STEP_BUDGET, "{visits} visits");
        if let Some(node) = &a1.session.node {
            prop_assert!(
                flow.node(node).is_some(),
                "session on a missing node {node}"
            );
        }
        if matches!(a, Act::Start)
            && flow
                .doc()
                .start
                .as_ref()
                .is_some_and(|s| flow.node(s).is_some())
        {
            prop_assert!(
                a1.session.node.is_some(),
                "a started conversation is on a node"
            );
        }
        if a1.session.cart != session.cart && !a1.session.cart.is_empty() {
            refilled = true;
        }
        let mut orders_this_step = 0;
        for e in &a1.effects {
            match e {
                Effect::PlaceOrder { order } => {
                    orders_this_step += 1;
                    prop_assert!(
                        d.keys.insert(order.key.clone()),
                        "two orders for key {}",
                        order.key
                    );
                    prop_assert!(order.total.minor > 0);
                    prop_assert_eq!(
                        &order.lines,
                        &session.cart.lines,
                        "the order is the cart the shopper confirmed"
                    );
                    prop_assert!(
                        refilled,
                        "a second order for a cart that was already ordered"
                    );
                    prop_assert!(a1.session.cart.is_empty(), "an order consumes its cart");
                    refilled = false;
                    d.placed.push(order.key.clone());
                }
                Effect::CallHttp { request_id, .. } => http = Some(request_id.clone()),
                _ => {}
            }
        }
        prop_assert!(orders_this_step <= 1);
        let new_buttons = buttons(&a1.effects);
        if !new_buttons.is_empty() {
            seen_buttons.extend(new_buttons);
            // Keep old buttons tappable, as chat history does.
            if seen_buttons.len() > 40 {
                seen_buttons.drain(..seen_buttons.len() - 40);
            }
        }
        history.push(Handled {
            before: std::mem::replace(&mut session, a1.session.clone()),
            input,
            event,
            at,
            result: a1,
        });
    }
    Ok(d)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_flows_behave(
        shapes in prop::collection::vec(shape(), 1..12),
        seeds in prop::collection::vec(any::<u32>(), 1..64),
        acts in prop::collection::vec(act(), 1..40),
    ) {
        let doc = build(&shapes, &seeds, true);
        let flow = ValidFlow::compile(doc.clone());
        prop_assert!(flow.is_ok(), "generated flow should validate: {:#?}", flow.err().map(|r| r.problems));
        drive(&flow.unwrap(), &acts)?;
    }

    #[test]
    fn random_broken_flows_never_panic_or_spin(
        shapes in prop::collection::vec(shape(), 1..10),
        seeds in prop::collection::vec(any::<u32>(), 1..64),
        acts in prop::collection::vec(act(), 1..30),
    ) {
        let doc = build(&shapes, &seeds, false);
        let _ = app::flow::validate(&doc, None);
        drive(&ValidFlow::unchecked(doc), &acts)?;
    }

    #[test]
    fn documents_round_trip_through_json(
        shapes in prop::collection::vec(shape(), 1..12),
        seeds in prop::collection::vec(any::<u32>(), 1..64),
    ) {
        let doc = build(&shapes, &seeds, true);
        let again = FlowDoc::from_json(&doc.to_json()).unwrap();
        prop_assert_eq!(doc, again);
    }
}

#[test]
fn the_random_walks_reach_checkout() {
    // Guard against a generator that never gets far enough to test orders.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = (
        prop::collection::vec(shape(), 1..12),
        prop::collection::vec(any::<u32>(), 1..64),
        prop::collection::vec(act(), 1..40),
    );
    let mut orders = 0;
    for _ in 0..300 {
        let (shapes, seeds, acts) = strategy.new_tree(&mut runner).unwrap().current();
        let flow = ValidFlow::compile(build(&shapes, &seeds, true)).unwrap();
        orders += drive(&flow, &acts).unwrap().keys.len();
    }
    assert!(
        orders >= 10,
        "only {orders} orders placed in 300 random conversations"
    );
}

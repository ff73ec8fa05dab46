//! The interpreter, node type by node type, through its public `step`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use app::channel::{CardButton, Outbound};
use app::commerce::{CatalogView, Currency, Money, OrderStatus, PaymentMethod, Product};
use app::flow::doc::*;
use app::flow::interpreter::{
    Ctx, Effect, Input, OrderInfo, OrderedItem, STEP_BUDGET, Session, Status, ValidFlow, step,
};
use app::flow::payload::Payload;
use app::flow::templates;

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("USD").unwrap())
}

fn product(sku: &str, name: &str, price: i64, stock: Option<u32>, collections: &[&str]) -> Product {
    Product {
        sku: sku.into(),
        name: name.into(),
        description: format!("A fine {name}"),
        price: usd(price),
        image_url: Some(format!("https://img.example/{sku}.jpg")),
        stock,
        active: true,
        collections: collections.iter().map(|c| c.to_string()).collect(),
    }
}

fn catalog() -> CatalogView {
    CatalogView::new([
        product("RUN-1", "Runner", 8900, Some(5), &["Shoes"]),
        product("TRAIL-2", "Trail", 12000, Some(1), &["Shoes"]),
        product("SOCK-3", "Socks", 900, None, &["Extras"]),
    ])
}

/// A conversation driven input by input, with a fresh event id each time.
struct Chat {
    flow: ValidFlow,
    session: Session,
    catalog: CatalogView,
    orders: Vec<OrderInfo>,
    events: u32,
    last: Vec<Effect>,
}

impl Chat {
    fn new(doc: FlowDoc) -> Chat {
        Chat::with_flow(
            ValidFlow::compile(doc).unwrap_or_else(|r| panic!("invalid flow: {:#?}", r.problems)),
        )
    }

    fn unchecked(doc: FlowDoc) -> Chat {
        Chat::with_flow(ValidFlow::unchecked(doc))
    }

    fn with_flow(flow: ValidFlow) -> Chat {
        Chat {
            flow,
            session: Session::default(),
            catalog: catalog(),
            orders: vec![],
            events: 0,
            last: vec![],
        }
    }

    fn send(&mut self, input: Input) -> &[Effect] {
        self.events += 1;
        let event = format!("evt{}", self.events);
        self.send_as(input, &event)
    }

    fn send_as(&mut self, input: Input, event: &str) -> &[Effect] {
        let ctx = Ctx {
            now_ms: 1_700_000_000_000,
            conversation: "conv1",
            event_id: event,
            catalog: &self.catalog,
            orders: &self.orders,
        };
        let out = step(&self.flow, self.session.clone(), input, &ctx);
        self.session = out.session;
        self.last = out.effects;
        &self.last
    }

    fn text(&mut self, t: &str) -> &[Effect] {
        self.send(Input::Text { text: t.into() })
    }

    fn tap(&mut self, payload: &str) -> &[Effect] {
        self.send(Input::Payload {
            payload: payload.into(),
        })
    }

    /// Taps the button labelled `label` in the last messages.
    fn tap_label(&mut self, label: &str) -> &[Effect] {
        let payload = find_payload(&self.last, label)
            .unwrap_or_else(|| panic!("no button “{label}” in {:#?}", self.last));
        self.tap(&payload)
    }

    fn said(&self) -> Vec<String> {
        said(&self.last)
    }

    fn at(&self) -> &str {
        self.session.node.as_ref().map(|n| n.as_str()).unwrap_or("")
    }

    fn orders_placed(&self) -> Vec<app::commerce::NewOrder> {
        self.last
            .iter()
            .filter_map(|e| match e {
                Effect::PlaceOrder { order } => Some(order.clone()),
                _ => None,
            })
            .collect()
    }
}

fn said(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { message } => Some(message.summary()),
            _ => None,
        })
        .collect()
}

fn find_payload(effects: &[Effect], label: &str) -> Option<String> {
    effects.iter().rev().find_map(|e| match e {
        Effect::Send {
            message: Outbound::Choices { choices, .. },
        } => choices
            .iter()
            .find(|c| c.label == label)
            .map(|c| c.payload.clone()),
        Effect::Send {
            message: Outbound::Cards { cards, choices, .. },
        } => choices
            .iter()
            .find(|c| c.label == label)
            .map(|c| c.payload.clone())
            .or_else(|| {
                cards.iter().flat_map(|c| &c.buttons).find_map(|b| match b {
                    CardButton::Postback { label: l, payload } if l == label => {
                        Some(payload.clone())
                    }
                    _ => None,
                })
            }),
        _ => None,
    })
}

fn node(id: &str, kind: NodeKind) -> Node {
    Node {
        id: id.into(),
        position: Position::default(),
        kind,
    }
}

fn msg(id: &str, text: &str) -> Node {
    node(
        id,
        NodeKind::Message(MessageSettings {
            text: text.into(),
            image_url: None,
        }),
    )
}

fn end(id: &str, text: &str) -> Node {
    node(id, NodeKind::End(EndSettings { text: text.into() }))
}

fn qr(id: &str, text: &str, options: &[(&str, &str)]) -> Node {
    node(
        id,
        NodeKind::QuickReply(QuickReplySettings {
            text: text.into(),
            options: options
                .iter()
                .map(|(i, l)| ChoiceOption {
                    id: i.to_string(),
                    label: l.to_string(),
                })
                .collect(),
            save_as: None,
            reprompt: None,
        }),
    )
}

fn e(from: &str, port: &str, to: &str) -> Edge {
    Edge {
        from: from.into(),
        port: port.into(),
        to: to.into(),
    }
}

fn flow(nodes: Vec<Node>, edges: Vec<Edge>) -> FlowDoc {
    FlowDoc {
        start: nodes.first().map(|n| n.id.clone()),
        nodes,
        edges,
        ..FlowDoc::default()
    }
}

#[test]
fn message_interpolates_and_moves_on() {
    let mut doc = flow(
        vec![
            node(
                "set",
                NodeKind::SetVariable(SetVariableSettings {
                    name: "name".into(),
                    value: "Ana".into(),
                }),
            ),
            node(
                "hi",
                NodeKind::Message(MessageSettings {
                    text: "Hi {{name}}, {{unknown}}!".into(),
                    image_url: Some("https://img.example/hi.png".into()),
                }),
            ),
            end("bye", "Bye {{ name }}"),
        ],
        vec![e("set", "next", "hi"), e("hi", "next", "bye")],
    );
    doc.start = Some("set".into());
    let mut chat = Chat::new(doc);
    let effects = chat.send(Input::Start).to_vec();
    assert_eq!(said(&effects), ["Hi Ana, !", "[image]", "Bye Ana"]);
    let visits: Vec<_> = effects
        .iter()
        .filter(|e| matches!(e, Effect::Visit { .. }))
        .collect();
    assert_eq!(visits.len(), 3);
    assert_eq!(effects.last(), Some(&Effect::End));
    assert_eq!(chat.session.status, Status::Ended);
    assert_eq!(chat.at(), "bye");
}

fn menu_flow() -> FlowDoc {
    let mut menu = qr(
        "menu",
        "Pick a size",
        &[("s42", "Size 42"), ("s43", "Größe 43"), ("s44", "Size 44")],
    );
    if let NodeKind::QuickReply(s) = &mut menu.kind {
        s.save_as = Some("size".into());
    }
    flow(
        vec![menu, msg("chosen", "You picked {{size}}"), end("bye", "")],
        vec![
            e("menu", "s42", "chosen"),
            e("menu", "s43", "chosen"),
            e("menu", "s44", "chosen"),
            e("chosen", "next", "bye"),
        ],
    )
}

#[test]
fn quick_reply_matches_payload_label_and_number() {
    let mut chat = Chat::new(menu_flow());
    chat.send(Input::Start);
    assert_eq!(chat.at(), "menu");
    assert_eq!(chat.session.status, Status::Waiting);
    chat.tap_label("Size 42");
    assert_eq!(chat.said(), ["You picked Size 42"]);

    for (typed, expect) in [
        ("size 42", "Size 42"),
        ("  GROSSE 43!", "Größe 43"),
        ("grosse 43", "Größe 43"),
        ("3", "Size 44"),
        ("option 2", "Größe 43"),
    ] {
        let mut chat = Chat::new(menu_flow());
        chat.send(Input::Start);
        chat.text(typed);
        assert_eq!(
            chat.said(),
            [format!("You picked {expect}")],
            "typed {typed:?}"
        );
        assert_eq!(chat.session.vars["size"], expect);
    }
}

#[test]
fn quick_reply_reprompts_or_takes_the_fallback() {
    let mut chat = Chat::new(menu_flow());
    chat.send(Input::Start);
    chat.text("purple");
    let said = chat.said();
    assert_eq!(
        said[0],
        "Sorry, I didn't catch that. Please choose one of the options."
    );
    assert_eq!(said[1], "Pick a size");
    assert_eq!(chat.at(), "menu");
    chat.text("4");
    assert_eq!(chat.at(), "menu", "out of range numbers do not match");

    let mut doc = menu_flow();
    doc.nodes.push(msg("help", "Let me help"));
    doc.edges.push(e("menu", "fallback", "help"));
    doc.edges.push(e("help", "next", "bye"));
    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    chat.text("purple");
    assert_eq!(chat.said(), ["Let me help"]);
}

#[test]
fn a_tap_on_an_old_question_still_counts() {
    let mut doc = menu_flow();
    doc.nodes
        .insert(1, qr("color", "Pick a color", &[("red", "Red")]));
    doc.edges.retain(|x| x.from.as_str() != "chosen");
    doc.edges.push(e("chosen", "next", "color"));
    doc.edges.push(e("color", "red", "bye"));
    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    let old = find_payload(&chat.last, "Size 42").unwrap();
    chat.tap_label("Size 44");
    assert_eq!(chat.at(), "color");
    // The shopper scrolls up and taps an answer to the earlier question.
    chat.tap(&old);
    assert_eq!(chat.said(), ["You picked Size 42", "Pick a color"]);
    assert_eq!(chat.at(), "color");
    // Garbage payloads are read as text and re-prompt.
    chat.tap("b1|o|nosuchnode|x");
    assert_eq!(chat.at(), "color");
    assert!(chat.said().iter().any(|s| s == "Pick a color"));
}

fn carousel_flow(source: app::commerce::ProductSource, page_size: u32) -> FlowDoc {
    flow(
        vec![
            node(
                "shop",
                NodeKind::ProductCarousel(CarouselSettings {
                    text: "Our shoes".into(),
                    source,
                    page_size,
                }),
            ),
            qr(
                "after",
                "Anything else?",
                &[("more", "Keep shopping"), ("pay", "Checkout")],
            ),
            node("cart", NodeKind::ShowCart(ShowCartSettings::default())),
            node(
                "checkout",
                NodeKind::Checkout(CheckoutSettings {
                    text: String::new(),
                    payment: PaymentOptions::CashOnDelivery,
                    confirmation: "Order {{order.number}} placed for {{name}}.".into(),
                }),
            ),
            end("done", "Thanks"),
        ],
        vec![
            e("shop", "added", "after"),
            e("shop", "done", "cart"),
            e("after", "more", "shop"),
            e("after", "pay", "checkout"),
            e("cart", "checkout", "checkout"),
            e("cart", "continue", "shop"),
            // Without it, an empty cart would continue to an empty carousel
            // and back: validation refuses such a loop.
            e("cart", "empty", "after"),
            e("checkout", "placed", "done"),
        ],
    )
}

#[test]
fn carousel_shows_cards_adds_to_cart_and_pages() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(
        ProductSource::Collection {
            collection: "shoes".into(),
        },
        1,
    ));
    chat.send(Input::Start);
    let cards = chat.last.iter().find_map(|e| match e {
        Effect::Send {
            message: Outbound::Cards { cards, .. },
        } => Some(cards.clone()),
        _ => None,
    });
    let cards = cards.unwrap();
    assert_eq!(cards.len(), 1, "one card per page");
    assert_eq!(cards[0].title, "Runner");
    assert!(
        cards[0].subtitle.starts_with("$89.00"),
        "{}",
        cards[0].subtitle
    );

    chat.tap_label("More");
    assert_eq!(chat.session.page, 1);
    assert!(chat.said()[0].contains("Trail"));
    let add_trail = find_payload(&chat.last, "Add to cart").unwrap();
    chat.text("more");
    assert_eq!(chat.said()[0], "That's everything we have here.");
    assert_eq!(chat.session.page, 1, "still on the last page");

    chat.tap(&add_trail);
    assert_eq!(chat.session.cart.qty_of("TRAIL-2"), 1);
    assert_eq!(
        chat.said()[0],
        "Added Trail to your cart. You have 1 item ($120.00)."
    );
    assert_eq!(chat.at(), "after");

    // Only one Trail in stock.
    chat.tap(&add_trail);
    assert_eq!(chat.said()[0], "Sorry, only 0 of Trail left.");
    assert_eq!(chat.session.cart.qty_of("TRAIL-2"), 1);

    chat.tap(
        &Payload::Details {
            node: "shop".into(),
            sku: "RUN-1".into(),
        }
        .encode(),
    );
    assert!(
        chat.said()
            .iter()
            .any(|s| s.starts_with("Runner — $89.00\nA fine Runner")),
        "{:?}",
        chat.said()
    );
    chat.tap_label("Add to cart");
    assert_eq!(chat.session.cart.qty_of("RUN-1"), 1);
}

#[test]
fn an_add_from_an_old_carousel_adds_that_product() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(ProductSource::All, 10));
    chat.send(Input::Start);
    let add_first = find_payload(&chat.last, "Add to cart").unwrap();
    chat.tap(
        &Payload::Add {
            node: "shop".into(),
            sku: "SOCK-3".into(),
        }
        .encode(),
    );
    chat.tap_label("Checkout");
    assert_eq!(chat.at(), "checkout");
    // Scrolling up, the shopper adds the first card of the old carousel.
    chat.tap(&add_first);
    assert_eq!(chat.session.cart.count(), 2);
    assert_eq!(chat.at(), "after", "the flow continues from that carousel");
}

#[test]
fn checkout_places_one_order_per_confirmation() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(ProductSource::All, 10));
    chat.session.vars.insert("name".into(), "Ana".into());
    chat.send(Input::Start);
    chat.tap(
        &Payload::Add {
            node: "shop".into(),
            sku: "SOCK-3".into(),
        }
        .encode(),
    );
    chat.tap(
        &Payload::Add {
            node: "shop".into(),
            sku: "SOCK-3".into(),
        }
        .encode(),
    );
    chat.tap_label("Checkout");
    assert_eq!(chat.at(), "checkout");
    let summary = chat.said().join("\n");
    assert!(summary.contains("2 × Socks — $18.00"), "{summary}");
    assert!(summary.contains("Total: $18.00"), "{summary}");

    let confirm = find_payload(&chat.last, "Confirm order").unwrap();
    chat.tap(&confirm);
    let orders = chat.orders_placed();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].key, format!("conv1:evt{}", chat.events));
    assert_eq!(orders[0].total, usd(1800));
    assert_eq!(orders[0].payment, PaymentMethod::CashOnDelivery);
    assert_eq!(orders[0].details["name"], "Ana");
    assert!(
        chat.said()
            .contains(&"Order {{order.number}} placed for Ana.".to_string()),
        "{:?}",
        chat.said()
    );
    assert!(chat.session.cart.is_empty());
    assert_eq!(chat.at(), "done");

    // A double tap on the same confirmation places nothing more.
    chat.tap(&confirm);
    assert!(chat.orders_placed().is_empty());
    assert_eq!(chat.said(), ["This order is already placed. Thank you!"]);
}

#[test]
fn replaying_one_event_gives_the_same_order_key() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(ProductSource::All, 10));
    chat.send(Input::Start);
    chat.tap(
        &Payload::Add {
            node: "shop".into(),
            sku: "SOCK-3".into(),
        }
        .encode(),
    );
    chat.tap_label("Checkout");
    let confirm = find_payload(&chat.last, "Confirm order").unwrap();
    let before = chat.session.clone();
    let first = chat
        .send_as(
            Input::Payload {
                payload: confirm.clone(),
            },
            "wamid.X",
        )
        .to_vec();
    let placed = first
        .iter()
        .filter(|e| matches!(e, Effect::PlaceOrder { .. }))
        .count();
    assert_eq!(placed, 1, "the first run places the order: {first:#?}");
    // The same delivery processed again from the same saved state.
    chat.session = before;
    let second = chat
        .send_as(Input::Payload { payload: confirm }, "wamid.X")
        .to_vec();
    assert_eq!(
        first, second,
        "a replayed event does the same thing, with the same order key"
    );
}

#[test]
fn a_changed_cart_must_be_confirmed_again() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(ProductSource::All, 10));
    chat.send(Input::Start);
    chat.tap(
        &Payload::Add {
            node: "shop".into(),
            sku: "SOCK-3".into(),
        }
        .encode(),
    );
    chat.tap_label("Checkout");
    let stale = find_payload(&chat.last, "Confirm order").unwrap();
    // The shopper adds something from the old carousel, then taps the old confirmation.
    chat.tap(
        &Payload::Add {
            node: "shop".into(),
            sku: "RUN-1".into(),
        }
        .encode(),
    );
    chat.tap_label("Checkout");
    chat.tap(&stale);
    assert!(chat.orders_placed().is_empty());
    assert_eq!(
        chat.said()[0],
        "Your cart has changed since then. Here is your order as it is now:"
    );
    chat.text("yes");
    assert_eq!(chat.orders_placed().len(), 1);
    assert_eq!(chat.orders_placed()[0].total, usd(9800));
}

#[test]
fn checkout_with_a_choice_of_payment_and_the_paid_port() {
    let doc = flow(
        vec![
            node(
                "co",
                NodeKind::Checkout(CheckoutSettings {
                    text: "Your order:".into(),
                    payment: PaymentOptions::Both,
                    confirmation: String::new(),
                }),
            ),
            end("placed", "See you"),
            end("paid", "Paid, thanks"),
            end("cancelled", "Maybe later"),
            end("empty", "Nothing to buy"),
        ],
        vec![
            e("co", "placed", "placed"),
            e("co", "paid", "paid"),
            e("co", "cancelled", "cancelled"),
            e("co", "empty_cart", "empty"),
        ],
    );
    let mut chat = Chat::new(doc.clone());
    chat.send(Input::Start);
    assert_eq!(chat.said(), ["Your cart is empty.", "Nothing to buy"]);

    let mut chat = Chat::new(doc.clone());
    chat.session.cart.add(&catalog(), "RUN-1", 1).unwrap();
    chat.send(Input::Start);
    chat.tap_label("Cancel");
    assert_eq!(
        chat.said(),
        [
            "No problem, your order was not placed. Your cart is saved.",
            "Maybe later"
        ]
    );
    assert_eq!(chat.session.cart.count(), 1);

    let mut chat = Chat::new(doc);
    chat.session.cart.add(&catalog(), "RUN-1", 1).unwrap();
    chat.send(Input::Start);
    chat.tap_label("Confirm order");
    assert!(chat.orders_placed().is_empty());
    assert_eq!(chat.said(), ["How would you like to pay?"]);
    chat.tap_label("Pay online");
    let orders = chat.orders_placed();
    assert_eq!(orders[0].payment, PaymentMethod::OrderPage);
    let link = chat.last.iter().find_map(|e| match e {
        Effect::Send {
            message: Outbound::Link { url, .. },
        } => Some(url.clone()),
        _ => None,
    });
    assert_eq!(link.as_deref(), Some("{{order.url}}"));
    let key = orders[0].key.clone();
    chat.send(Input::PaymentSucceeded {
        order_key: "someone-else".into(),
    });
    assert!(chat.last.is_empty());
    chat.send(Input::PaymentSucceeded { order_key: key });
    assert_eq!(chat.said(), ["Paid, thanks"]);
}

#[test]
fn ask_validates_and_reprompts() {
    let doc = flow(
        vec![
            node(
                "email",
                NodeKind::Ask(AskSettings {
                    text: "Your email?".into(),
                    kind: AskKind::Email,
                    save_as: "email".into(),
                    reprompt: None,
                    max_attempts: 2,
                }),
            ),
            node(
                "phone",
                NodeKind::Ask(AskSettings {
                    text: "Your phone?".into(),
                    kind: AskKind::Phone,
                    save_as: "phone".into(),
                    reprompt: Some("Digits please, {{email}}".into()),
                    max_attempts: 3,
                }),
            ),
            end("ok", "Thanks"),
            end("gave_up", "Let's try later"),
        ],
        vec![
            e("email", "next", "phone"),
            e("email", "invalid", "gave_up"),
            e("phone", "next", "ok"),
        ],
    );
    let mut chat = Chat::new(doc.clone());
    chat.send(Input::Start);
    chat.text("not an email");
    assert_eq!(
        chat.said()[0],
        "That doesn't look like an email address. Please try again, like name@example.com."
    );
    chat.text(" Ana@Example.COM ");
    assert_eq!(chat.session.vars["email"], "ana@example.com");
    chat.text("call me maybe");
    assert_eq!(
        chat.said(),
        ["Digits please, ana@example.com", "Your phone?"]
    );
    chat.text("+1 (650) 555-1234");
    assert_eq!(chat.session.vars["phone"], "+16505551234");
    assert_eq!(chat.said(), ["Thanks"]);

    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    chat.text("nope");
    chat.text("nope again");
    assert_eq!(
        chat.said(),
        ["Let's try later"],
        "after max_attempts the invalid port is taken"
    );

    use app::flow::interpreter::check_answer;
    assert_eq!(
        check_answer(AskKind::Number, "12,5").as_deref(),
        Some("12.5")
    );
    assert_eq!(check_answer(AskKind::Number, "twelve"), None);
    assert_eq!(check_answer(AskKind::Address, "Main St"), None);
    assert!(check_answer(AskKind::Address, "12 Main Street, 94107 SF").is_some());
    assert_eq!(check_answer(AskKind::Phone, "123"), None);
    assert_eq!(check_answer(AskKind::Text, "   "), None);
}

#[test]
fn condition_branches_on_variables_and_the_cart() {
    let branches = vec![
        Branch {
            id: "vip".into(),
            label: "VIP".into(),
            subject: Subject::Variable {
                name: "tier".into(),
            },
            op: Comparison::Equals,
            value: "Gold".into(),
        },
        Branch {
            id: "big".into(),
            label: String::new(),
            subject: Subject::CartTotal,
            op: Comparison::GreaterThan,
            value: "100".into(),
        },
        Branch {
            id: "some".into(),
            label: String::new(),
            subject: Subject::CartCount,
            op: Comparison::GreaterThan,
            value: "0".into(),
        },
    ];
    let doc = flow(
        vec![
            node("cond", NodeKind::Condition(ConditionSettings { branches })),
            end("vip", "vip"),
            end("big", "big"),
            end("some", "some"),
            end("else", "else"),
        ],
        vec![
            e("cond", "vip", "vip"),
            e("cond", "big", "big"),
            e("cond", "some", "some"),
            e("cond", "else", "else"),
        ],
    );
    let run = |tier: Option<&str>, skus: &[&str]| {
        let mut chat = Chat::new(doc.clone());
        if let Some(t) = tier {
            chat.session.vars.insert("tier".into(), t.into());
        }
        for s in skus {
            chat.session.cart.add(&catalog(), s, 1).unwrap();
        }
        chat.send(Input::Start);
        chat.said()
    };
    assert_eq!(run(Some("gold"), &[]), ["vip"], "equals ignores case");
    assert_eq!(run(None, &["TRAIL-2"]), ["big"], "$120.00 > 100");
    assert_eq!(run(None, &["RUN-1"]), ["some"], "$89.00 is not > 100");
    assert_eq!(run(Some("silver"), &[]), ["else"]);
}

#[test]
fn show_cart_offers_checkout_continue_and_clear() {
    let doc = flow(
        vec![
            node(
                "cart",
                NodeKind::ShowCart(ShowCartSettings {
                    text: "Cart:".into(),
                    empty_text: "Nothing yet".into(),
                }),
            ),
            end("co", "to checkout"),
            end("shop", "to shop"),
        ],
        vec![e("cart", "checkout", "co"), e("cart", "continue", "shop")],
    );
    let mut chat = Chat::new(doc.clone());
    chat.send(Input::Start);
    assert_eq!(
        chat.said(),
        ["Nothing yet", "to shop"],
        "an empty cart continues when `empty` is not connected"
    );

    let mut chat = Chat::new(doc.clone());
    chat.session.cart.add(&catalog(), "SOCK-3", 3).unwrap();
    chat.send(Input::Start);
    assert_eq!(chat.said(), ["Cart:\n3 × Socks — $27.00\nTotal: $27.00"]);
    chat.text("checkout");
    assert_eq!(chat.said(), ["to checkout"]);

    let mut chat = Chat::new(doc);
    chat.session.cart.add(&catalog(), "SOCK-3", 3).unwrap();
    chat.send(Input::Start);
    chat.tap_label("Empty cart");
    assert!(chat.session.cart.is_empty());
    assert_eq!(chat.said(), ["Your cart is empty now.", "to shop"]);
}

#[test]
fn order_status_lists_the_shoppers_orders() {
    let doc = flow(
        vec![
            node("st", NodeKind::OrderStatus(OrderStatusSettings::default())),
            end("e", ""),
        ],
        vec![e("st", "next", "e")],
    );
    let mut chat = Chat::new(doc.clone());
    chat.send(Input::Start);
    assert_eq!(chat.said(), ["You have no orders with us yet."]);
    let mut chat = Chat::new(doc);
    chat.orders = vec![
        OrderInfo {
            number: "1002".into(),
            status: OrderStatus::Paid,
            total: usd(1800),
        },
        OrderInfo {
            number: "1001".into(),
            status: OrderStatus::Fulfilled,
            total: usd(900),
        },
    ];
    chat.send(Input::Start);
    assert_eq!(
        chat.said(),
        [
            "Here are your latest orders:\nOrder 1002 — Paid — $18.00\nOrder 1001 — Fulfilled — $9.00"
        ]
    );
}

#[test]
fn handoff_silences_the_bot_until_a_keyword() {
    let mut doc = flow(
        vec![
            node(
                "agent",
                NodeKind::Handoff(HandoffSettings {
                    text: "A person will reply".into(),
                }),
            ),
            qr("menu", "Menu", &[("a", "A")]),
            end("e", ""),
        ],
        vec![e("menu", "a", "e")],
    );
    doc.triggers.push(Trigger {
        keywords: vec!["Menu".into()],
        to: "menu".into(),
    });
    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    assert!(chat.last.contains(&Effect::Handoff {
        node: "agent".into()
    }));
    assert_eq!(chat.session.status, Status::HandedOff);
    chat.text("hello?");
    assert!(chat.last.is_empty(), "the person answers, not the bot");
    chat.text("MENU");
    assert_eq!(chat.said(), ["Menu"]);
    assert_eq!(chat.session.status, Status::Waiting);
}

#[test]
fn http_request_waits_for_its_result() {
    let doc = flow(
        vec![
            node(
                "call",
                NodeKind::HttpRequest(HttpRequestSettings {
                    method: HttpMethod::Post,
                    url: "https://api.example/{{id}}".into(),
                    body: Some("{\"id\":\"{{id}}\"}".into()),
                    save_as: Some("reply".into()),
                }),
            ),
            end("ok", "Got {{reply}}"),
            end("err", "Failed"),
        ],
        vec![e("call", "ok", "ok"), e("call", "error", "err")],
    );
    let mut chat = Chat::new(doc.clone());
    chat.session.vars.insert("id".into(), "42".into());
    chat.send(Input::Start);
    let call = chat.last.iter().find_map(|e| match e {
        Effect::CallHttp {
            request_id,
            method,
            url,
            body,
        } => Some((request_id.clone(), *method, url.clone(), body.clone())),
        _ => None,
    });
    let (id, method, url, body) = call.unwrap();
    assert_eq!(method, HttpMethod::Post);
    assert_eq!(url, "https://api.example/42");
    assert_eq!(body.as_deref(), Some("{\"id\":\"42\"}"));
    assert_eq!(chat.session.status, Status::AwaitingHttp);
    chat.text("are you there?");
    assert!(chat.last.is_empty());
    chat.send(Input::HttpResult {
        request_id: "other".into(),
        status: 200,
        body: "x".into(),
    });
    assert!(
        chat.last.is_empty(),
        "a result for another request is ignored"
    );
    chat.send(Input::HttpResult {
        request_id: id,
        status: 200,
        body: "pong".into(),
    });
    assert_eq!(chat.said(), ["Got pong"]);

    let mut chat = Chat::new(doc);
    chat.send(Input::Start);
    chat.send(Input::Timeout);
    assert_eq!(chat.said(), ["Failed"]);
}

#[test]
fn an_ended_conversation_starts_again() {
    let mut chat = Chat::new(flow(
        vec![msg("a", "Hello"), end("b", "Bye")],
        vec![e("a", "next", "b")],
    ));
    chat.text("hi");
    assert_eq!(chat.said(), ["Hello", "Bye"]);
    chat.text("hi again");
    assert_eq!(chat.said(), ["Hello", "Bye"]);
}

#[test]
fn a_loop_that_never_waits_stops_within_the_budget() {
    let doc = flow(
        vec![msg("a", "ping"), msg("b", "pong")],
        vec![e("a", "next", "b"), e("b", "next", "a")],
    );
    assert!(
        ValidFlow::compile(doc.clone()).is_err(),
        "validation refuses it"
    );
    let mut chat = Chat::unchecked(doc);
    chat.send(Input::Start);
    let visits = chat
        .last
        .iter()
        .filter(|e| matches!(e, Effect::Visit { .. }))
        .count();
    assert_eq!(visits as u32, STEP_BUDGET);
    assert_eq!(chat.last.last(), Some(&Effect::End));
    assert!(matches!(chat.at(), "a" | "b"));
}

#[test]
fn a_whatsapp_cart_is_repriced_and_goes_to_checkout() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(ProductSource::All, 10));
    chat.send(Input::CartOrder {
        items: vec![
            OrderedItem {
                sku: "RUN-1".into(),
                qty: 2,
            },
            OrderedItem {
                sku: "GONE".into(),
                qty: 1,
            },
        ],
    });
    assert_eq!(chat.at(), "checkout");
    let said = chat.said().join("\n");
    assert!(
        said.contains("Sorry, that product is not available."),
        "{said}"
    );
    assert!(
        said.contains("2 × Runner — $178.00"),
        "our price, not the client's: {said}"
    );
}

#[test]
fn the_shop_template_sells_from_hello_to_order() {
    let mut chat = Chat::new(templates::shop());
    chat.text("hi");
    assert_eq!(chat.at(), "menu");
    chat.tap_label("Browse products");
    assert_eq!(chat.at(), "catalog");
    chat.tap(
        &Payload::Add {
            node: "catalog".into(),
            sku: "RUN-1".into(),
        }
        .encode(),
    );
    assert_eq!(chat.at(), "after_add");
    chat.tap_label("Checkout");
    chat.text("Ana Lima");
    chat.text("Rua Augusta 100, 1100-053 Lisboa");
    chat.text("+351 912 345 678");
    assert_eq!(chat.at(), "checkout");
    chat.tap_label("Confirm order");
    chat.tap_label("Cash on delivery");
    let orders = chat.orders_placed();
    assert_eq!(orders.len(), 1);
    assert_eq!(
        orders[0].details["address"],
        "Rua Augusta 100, 1100-053 Lisboa"
    );
    assert_eq!(orders[0].details["phone"], "+351912345678");
    assert_eq!(chat.session.status, Status::Ended);
    // "menu" works from anywhere.
    chat.text("Menu");
    assert_eq!(chat.at(), "menu");
}

#[test]
fn the_shop_template_with_an_empty_catalog_waits_instead_of_spinning() {
    // A new merchant publishes before adding products.
    let mut chat = Chat::new(templates::shop());
    chat.catalog = CatalogView::default();
    let sends = |chat: &Chat| {
        chat.last
            .iter()
            .filter(|e| matches!(e, Effect::Send { .. }))
            .count()
    };
    chat.text("hi");
    assert_eq!(chat.at(), "menu");
    for label in ["Browse products", "View my cart"] {
        chat.tap_label(label);
        assert!(sends(&chat) <= 4, "{label}: {:#?}", chat.said());
        assert_eq!(chat.session.status, Status::Waiting, "{label}");
        assert_eq!(chat.at(), "menu", "{label}: back at the menu");
        assert!(!chat.last.contains(&Effect::End), "{label}");
    }
    chat.tap_label("Browse products");
    assert_eq!(
        chat.said(),
        [
            "Sorry, there is nothing to show here right now.",
            "Your cart is empty. Let's find you something!",
            "What would you like to do?",
        ]
    );
    // The shortcut to the cart, and a checkout reached with an empty cart.
    chat.text("cart");
    assert!(sends(&chat) <= 4, "{:#?}", chat.said());
    assert_eq!(chat.at(), "menu");
    let mut chat = Chat::new(templates::shop());
    chat.catalog = CatalogView::default();
    chat.text("hi");
    chat.session.node = Some("ask_phone".into());
    chat.text("+1 650 555 1234");
    assert!(sends(&chat) <= 4, "{:#?}", chat.said());
    assert_eq!(chat.session.status, Status::Waiting);
    assert_eq!(chat.at(), "menu");
}

#[test]
fn a_payment_choice_counts_only_when_offered_and_asked() {
    use app::flow::payload::CheckoutAction;
    let doc = |payment| {
        flow(
            vec![
                node(
                    "co",
                    NodeKind::Checkout(CheckoutSettings {
                        text: "Your order:".into(),
                        payment,
                        confirmation: String::new(),
                    }),
                ),
                end("placed", "See you"),
            ],
            vec![e("co", "placed", "placed")],
        )
    };
    let forged = |chat: &Chat, action| {
        Payload::Checkout {
            node: "co".into(),
            cart: chat.session.cart.fingerprint(),
            action,
        }
        .encode()
    };
    let start = |payment| {
        let mut chat = Chat::new(doc(payment));
        chat.session.cart.add(&catalog(), "RUN-1", 1).unwrap();
        chat.send(Input::Start);
        chat
    };

    // The merchant takes online payment only: a "cash" button is refused,
    // at the confirmation and after it, and the order is still paid online.
    let mut chat = start(PaymentOptions::OrderPage);
    chat.tap(&forged(&chat, CheckoutAction::PayCash));
    assert!(chat.orders_placed().is_empty());
    assert_eq!(
        chat.said()[0],
        "Sorry, cash on delivery is not available here."
    );
    assert!(
        chat.said()[1].starts_with("Your order:"),
        "{:?}",
        chat.said()
    );
    chat.tap_label("Confirm order");
    assert_eq!(chat.orders_placed()[0].payment, PaymentMethod::OrderPage);

    // Cash only: "pay online" is refused the same way.
    let mut chat = start(PaymentOptions::CashOnDelivery);
    chat.tap(&forged(&chat, CheckoutAction::PayOnline));
    assert!(chat.orders_placed().is_empty());
    assert_eq!(
        chat.said()[0],
        "Sorry, paying online is not available here."
    );
    chat.tap_label("Confirm order");
    assert_eq!(
        chat.orders_placed()[0].payment,
        PaymentMethod::CashOnDelivery
    );

    // A choice of both: a payment button does not skip the confirmation.
    let mut chat = start(PaymentOptions::Both);
    chat.tap(&forged(&chat, CheckoutAction::PayCash));
    assert!(chat.orders_placed().is_empty());
    assert_eq!(chat.said()[0], "Please confirm your order first.");
    assert!(
        chat.said()[1].starts_with("Your order:"),
        "{:?}",
        chat.said()
    );
    chat.tap_label("Confirm order");
    assert_eq!(chat.said(), ["How would you like to pay?"]);
    chat.tap(&forged(&chat, CheckoutAction::PayCash));
    assert_eq!(
        chat.orders_placed()[0].payment,
        PaymentMethod::CashOnDelivery
    );
}

#[test]
fn a_cart_total_condition_compares_in_the_main_unit() {
    // Subject::CartTotal holds the total as 89.00 for $89.00, not 8900.
    let branch = |op, value: &str| Branch {
        id: "yes".into(),
        label: String::new(),
        subject: Subject::CartTotal,
        op,
        value: value.into(),
    };
    let run = |b: Branch| {
        let doc = flow(
            vec![
                node(
                    "cond",
                    NodeKind::Condition(ConditionSettings { branches: vec![b] }),
                ),
                end("yes", "yes"),
                end("no", "no"),
            ],
            vec![e("cond", "yes", "yes"), e("cond", "else", "no")],
        );
        let mut chat = Chat::new(doc);
        chat.session.cart.add(&catalog(), "RUN-1", 1).unwrap();
        chat.send(Input::Start);
        chat.said()
    };
    assert_eq!(run(branch(Comparison::GreaterThan, "88.99")), ["yes"]);
    assert_eq!(run(branch(Comparison::LessThan, "89.01")), ["yes"]);
    assert_eq!(run(branch(Comparison::GreaterThan, "89")), ["no"]);
    assert_eq!(
        run(branch(Comparison::LessThan, "8900")),
        ["yes"],
        "not cents"
    );
    assert_eq!(run(branch(Comparison::Equals, "89.00")), ["yes"]);
}

#[test]
fn an_event_handled_again_later_does_not_order_twice_under_its_key() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(ProductSource::All, 10));
    let add_socks = Payload::Add {
        node: "shop".into(),
        sku: "SOCK-3".into(),
    }
    .encode();
    chat.send(Input::Start);
    chat.tap(&add_socks);
    chat.tap_label("Checkout");
    let yes = Input::Text { text: "yes".into() };
    chat.send_as(yes.clone(), "wamid.Y");
    assert_eq!(chat.orders_placed()[0].key, "conv1:wamid.Y");
    // The shopper fills the same cart again and is asked to confirm…
    chat.send(Input::Start);
    chat.tap(&add_socks);
    chat.tap_label("Checkout");
    assert_eq!(chat.at(), "checkout");
    // …when the platform delivers the old "yes" once more.
    chat.send_as(yes.clone(), "wamid.Y");
    assert!(chat.orders_placed().is_empty());
    assert_eq!(chat.said(), ["This order is already placed. Thank you!"]);
    // A "yes" of their own places the new order, under its own key.
    chat.send(yes);
    assert_eq!(chat.orders_placed().len(), 1);
    assert_ne!(chat.orders_placed()[0].key, "conv1:wamid.Y");
}

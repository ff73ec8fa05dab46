//! Checkout: confirmation, payment choices, order keys and replays, and the
//! shopper's orders.

use super::catalog::carousel_flow;
use super::*;

/// A shopper on the carousel flow who put socks in the cart and went to
/// the checkout.
fn socks_at_checkout() -> Chat {
    let mut chat = Chat::new(carousel_flow(app::commerce::ProductSource::All, 10));
    chat.send(Input::Start);
    chat.add("shop", "SOCK-3");
    chat.tap_label("Checkout");
    chat
}

#[test]
fn checkout_places_one_order_per_confirmation() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(ProductSource::All, 10));
    chat.session.vars.insert("name".into(), "Ana".into());
    chat.send(Input::Start);
    chat.add("shop", "SOCK-3");
    chat.add("shop", "SOCK-3");
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
    let mut chat = socks_at_checkout();
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
    let mut chat = socks_at_checkout();
    let stale = find_payload(&chat.last, "Confirm order").unwrap();
    // The shopper adds something from the old carousel, then taps the old confirmation.
    chat.add("shop", "RUN-1");
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
fn an_event_handled_again_later_does_not_order_twice_under_its_key() {
    use app::commerce::ProductSource;
    let mut chat = Chat::new(carousel_flow(ProductSource::All, 10));
    let add_socks = add_payload("shop", "SOCK-3");
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

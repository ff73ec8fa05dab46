//! The built-in templates, driven end to end.

use super::*;

#[test]
fn the_shop_template_sells_from_hello_to_order() {
    let mut chat = Chat::new(templates::shop());
    chat.text("hi");
    assert_eq!(chat.at(), "menu");
    chat.tap_label("Browse products");
    assert_eq!(chat.at(), "catalog");
    chat.add("catalog", "RUN-1");
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
fn only_the_step_that_lists_orders_says_it_reads_them() {
    let flow = ValidFlow::compile(templates::shop()).unwrap();
    let doc = templates::shop();
    let reads: Vec<&str> = doc
        .nodes
        .iter()
        .filter(|n| flow.lists_orders_at(&n.id))
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(reads, ["status"]);
    assert!(!flow.lists_orders_at(&"nowhere".into()));
}

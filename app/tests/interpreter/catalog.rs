//! Product carousels and the cart they fill.

use super::*;

pub(super) fn carousel_flow(source: app::commerce::ProductSource, page_size: u32) -> FlowDoc {
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
    chat.add("shop", "SOCK-3");
    chat.tap_label("Checkout");
    assert_eq!(chat.at(), "checkout");
    // Scrolling up, the shopper adds the first card of the old carousel.
    chat.tap(&add_first);
    assert_eq!(chat.session.cart.count(), 2);
    assert_eq!(chat.at(), "after", "the flow continues from that carousel");
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

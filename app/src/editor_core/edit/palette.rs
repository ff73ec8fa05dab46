//! The palette and new nodes: the node types in the order the editor
//! offers them, and each one's starting settings. Must not change a
//! document; adding the node is an [`Op`](super::Op).

use super::fresh_id;
use crate::flow::doc::{
    AskSettings, Branch, CarouselSettings, CheckoutSettings, ChoiceOption, Comparison,
    ConditionSettings, EndSettings, FlowDoc, HandoffSettings, HttpRequestSettings, MessageSettings,
    Node, NodeKind, OrderStatusSettings, Position, QuickReplySettings, SetVariableSettings,
    ShowCartSettings, Subject,
};

/// A palette entry: a node type as the merchant knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaletteItem {
    /// The type's name in the document.
    pub type_name: &'static str,
    /// What the merchant sees.
    pub label: &'static str,
    /// What it does, in a sentence.
    pub help: &'static str,
}

/// The node types in the order the palette offers them.
pub const PALETTE: &[PaletteItem] = &[
    PaletteItem {
        type_name: "message",
        label: "Message",
        help: "Say something, with a picture if you like.",
    },
    PaletteItem {
        type_name: "quick_reply",
        label: "Quick reply",
        help: "Ask a question with buttons to tap.",
    },
    PaletteItem {
        type_name: "ask",
        label: "Question",
        help: "Ask for a name, email, phone number or address and remember it.",
    },
    PaletteItem {
        type_name: "product_carousel",
        label: "Product carousel",
        help: "Show products from your catalog to add to the cart.",
    },
    PaletteItem {
        type_name: "show_cart",
        label: "Show cart",
        help: "Show what is in the cart.",
    },
    PaletteItem {
        type_name: "checkout",
        label: "Checkout",
        help: "Confirm the cart and place the order.",
    },
    PaletteItem {
        type_name: "order_status",
        label: "Order status",
        help: "Tell shoppers how their orders are doing.",
    },
    PaletteItem {
        type_name: "condition",
        label: "Condition",
        help: "Go one way or another depending on an answer or the cart.",
    },
    PaletteItem {
        type_name: "set_variable",
        label: "Remember a value",
        help: "Store a value to use later in messages.",
    },
    PaletteItem {
        type_name: "handoff",
        label: "Hand off to a person",
        help: "Let someone from your team take over.",
    },
    PaletteItem {
        type_name: "http_request",
        label: "Call your system",
        help: "Send or fetch data from your own web service.",
    },
    PaletteItem {
        type_name: "end",
        label: "End",
        help: "Say goodbye and end the conversation.",
    },
];

/// A new node of `type_name` with sensible starting settings, or `None`
/// for an unknown type.
pub fn blank(type_name: &str) -> Option<NodeKind> {
    let option = |id: &str, label: &str| ChoiceOption {
        id: id.into(),
        label: label.into(),
    };
    Some(match type_name {
        "message" => NodeKind::Message(MessageSettings::default()),
        "quick_reply" => NodeKind::QuickReply(QuickReplySettings {
            text: String::new(),
            options: vec![option("o1", "Yes"), option("o2", "No")],
            ..Default::default()
        }),
        "ask" => NodeKind::Ask(AskSettings {
            text: String::new(),
            save_as: "answer".into(),
            ..Default::default()
        }),
        "product_carousel" => NodeKind::ProductCarousel(CarouselSettings {
            text: "Here is what we have:".into(),
            ..Default::default()
        }),
        "show_cart" => NodeKind::ShowCart(ShowCartSettings {
            text: "Here is your cart:".into(),
            empty_text: "Your cart is empty.".into(),
        }),
        "checkout" => NodeKind::Checkout(CheckoutSettings {
            text: "Here is your order:".into(),
            confirmation: "Thank you! Your order {{order.number}} is placed.".into(),
            ..Default::default()
        }),
        "order_status" => NodeKind::OrderStatus(OrderStatusSettings::default()),
        "condition" => NodeKind::Condition(ConditionSettings {
            branches: vec![Branch {
                id: "b1".into(),
                label: "Cart has items".into(),
                subject: Subject::CartCount,
                op: Comparison::GreaterThan,
                value: "0".into(),
            }],
        }),
        "set_variable" => NodeKind::SetVariable(SetVariableSettings {
            name: "note".into(),
            value: String::new(),
        }),
        "handoff" => NodeKind::Handoff(HandoffSettings {
            text: "Someone from our team will answer you here shortly.".into(),
        }),
        "http_request" => NodeKind::HttpRequest(HttpRequestSettings {
            url: "https://".into(),
            ..Default::default()
        }),
        "end" => NodeKind::End(EndSettings {
            text: "Thanks for chatting with us!".into(),
        }),
        _ => return None,
    })
}

/// A new node of `type_name` at `at`, with an id unused in `doc`.
pub fn new_node(doc: &FlowDoc, type_name: &str, at: Position) -> Option<Node> {
    let kind = blank(type_name)?;
    let base = type_name.replace('_', "-");
    Some(Node {
        id: fresh_id(doc, &base),
        position: at,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_palette_item_makes_a_node_of_its_type() {
        for item in PALETTE {
            let kind = blank(item.type_name).unwrap();
            assert_eq!(kind.type_name(), item.type_name);
        }
        assert!(blank("teleport").is_none());
    }

    fn node_types() -> Vec<String> {
        let err = serde_json::from_str::<NodeKind>(r#"{"type":"?","settings":{}}"#)
            .unwrap_err()
            .to_string();
        // "unknown variant `?`, expected one of `message`, `quick_reply`, …"
        let list = err
            .split_once("expected one of ")
            .map(|(_, l)| l)
            .unwrap_or_else(|| panic!("{err}"));
        list.split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_palette_offers_every_node_type_once() {
        let mut types = node_types();
        assert!(
            types.len() > 1 && types.contains(&"http_request".to_string()),
            "{types:?}"
        );
        let mut offered: Vec<String> = PALETTE.iter().map(|i| i.type_name.to_string()).collect();
        types.sort();
        offered.sort();
        assert_eq!(
            offered, types,
            "the palette lists each node type exactly once"
        );
    }
}

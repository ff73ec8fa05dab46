//! Built-in templates: complete flows a merchant can publish after editing
//! the wording. Each one validates clean (a test keeps it so).

use serde::{Deserialize, Serialize};

use super::doc::*;
use crate::commerce::ProductSource;

/// A template as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Stable id used by `POST /api/v1/bots {template}`.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// One sentence on what it does.
    pub description: &'static str,
}

/// Every template, in gallery order.
pub const TEMPLATES: &[Template] = &[
    Template {
        id: "shop",
        name: "Shop",
        description: "Greets shoppers, shows your catalog as cards, fills a cart, collects delivery details and places the order.",
    },
    Template {
        id: "faq",
        name: "Questions and answers",
        description: "Answers common questions about shipping, returns and payment, and hands over to a person when needed.",
    },
    Template {
        id: "order-status",
        name: "Order status",
        description: "Tells shoppers where their orders are, and connects them to a person for anything else.",
    },
];

/// A template's flow by id.
pub fn template(id: &str) -> Option<FlowDoc> {
    match id {
        "shop" => Some(shop()),
        "faq" => Some(faq()),
        "order-status" => Some(order_status()),
        _ => None,
    }
}

struct Builder {
    doc: FlowDoc,
}

impl Builder {
    fn new(start: &str) -> Builder {
        Builder {
            doc: FlowDoc {
                start: Some(start.into()),
                ..FlowDoc::default()
            },
        }
    }

    fn node(&mut self, id: &str, col: u32, row: u32, kind: NodeKind) -> &mut Self {
        self.doc.nodes.push(Node {
            id: id.into(),
            position: Position {
                x: f64::from(col) * 300.0,
                y: f64::from(row) * 180.0,
            },
            kind,
        });
        self
    }

    fn edge(&mut self, from: &str, port: &str, to: &str) -> &mut Self {
        self.doc.edges.push(Edge::new(from, port, to));
        self
    }

    fn trigger(&mut self, keywords: &[&str], to: &str) -> &mut Self {
        self.doc.triggers.push(Trigger {
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            to: to.into(),
        });
        self
    }

    fn build(&mut self) -> FlowDoc {
        std::mem::take(&mut self.doc)
    }
}

fn message(text: &str) -> NodeKind {
    NodeKind::Message(MessageSettings {
        text: text.into(),
        image_url: None,
    })
}

fn quick_reply(text: &str, options: &[(&str, &str)]) -> NodeKind {
    NodeKind::QuickReply(QuickReplySettings {
        text: text.into(),
        options: options
            .iter()
            .map(|(id, label)| ChoiceOption {
                id: id.to_string(),
                label: label.to_string(),
            })
            .collect(),
        save_as: None,
        reprompt: None,
    })
}

fn ask(text: &str, kind: AskKind, save_as: &str) -> NodeKind {
    NodeKind::Ask(AskSettings {
        text: text.into(),
        kind,
        save_as: save_as.into(),
        reprompt: None,
        max_attempts: 3,
    })
}

fn handoff() -> NodeKind {
    NodeKind::Handoff(HandoffSettings {
        text: "Thanks! A person from our team will answer you here, usually within a few hours. The bot stays quiet until then."
            .into(),
    })
}

fn end(text: &str) -> NodeKind {
    NodeKind::End(EndSettings { text: text.into() })
}

/// The shop: catalog, cart, delivery details, checkout, confirmation.
pub fn shop() -> FlowDoc {
    Builder::new("welcome")
        .node("welcome", 0, 0, message("Hi! 👋 Welcome to our shop. I can show you our products, take your order and tell you how your orders are doing."))
        .node(
            "menu",
            1,
            0,
            quick_reply(
                "What would you like to do?",
                &[
                    ("browse", "Browse products"),
                    ("cart", "View my cart"),
                    ("orders", "Track an order"),
                    ("agent", "Talk to a person"),
                ],
            ),
        )
        .node(
            "catalog",
            2,
            0,
            NodeKind::ProductCarousel(CarouselSettings {
                text: "Here is what we have. Tap “Add to cart” on anything you like.".into(),
                source: ProductSource::All,
                page_size: 10,
            }),
        )
        .node(
            "after_add",
            3,
            0,
            quick_reply(
                "Anything else?",
                &[
                    ("keep", "Keep shopping"),
                    ("cart", "View my cart"),
                    ("checkout", "Checkout"),
                ],
            ),
        )
        .node(
            "cart",
            3,
            1,
            NodeKind::ShowCart(ShowCartSettings {
                text: "Here is your cart:".into(),
                empty_text: "Your cart is empty. Let's find you something!".into(),
            }),
        )
        .node("ask_name", 4, 0, ask("Great! What name should we put on the order?", AskKind::Text, "name"))
        .node(
            "ask_address",
            4,
            1,
            ask("Where should we deliver it? Please type the street and number, postcode and city.", AskKind::Address, "address"),
        )
        .node(
            "ask_phone",
            4,
            2,
            ask("And a phone number for the courier?", AskKind::Phone, "phone"),
        )
        .node(
            "checkout",
            5,
            0,
            NodeKind::Checkout(CheckoutSettings {
                text: "Thanks {{name}}! Please check your order before you confirm:".into(),
                payment: PaymentOptions::Both,
                confirmation: String::new(),
            }),
        )
        .node(
            "placed",
            6,
            0,
            end("We'll deliver to {{address}}. We'll keep you posted here. Type “menu” any time to start again."),
        )
        .node("paid", 6, 1, end("Payment received. Thank you, {{name}}! We're preparing your order."))
        .node(
            "status",
            2,
            2,
            NodeKind::OrderStatus(OrderStatusSettings {
                text: "Here are your latest orders:".into(),
                none_text: "You have no orders with us yet.".into(),
            }),
        )
        .node("agent", 2, 3, handoff())
        .edge("welcome", "next", "menu")
        .edge("menu", "browse", "catalog")
        .edge("menu", "cart", "cart")
        .edge("menu", "orders", "status")
        .edge("menu", "agent", "agent")
        .edge("catalog", "added", "after_add")
        .edge("catalog", "done", "cart")
        .edge("after_add", "keep", "catalog")
        .edge("after_add", "cart", "cart")
        .edge("after_add", "checkout", "ask_name")
        .edge("cart", "checkout", "ask_name")
        .edge("cart", "continue", "catalog")
        // An empty cart goes back to the menu, which waits: to the catalog,
        // an empty catalog would send it straight back here, forever.
        .edge("cart", "empty", "menu")
        .edge("ask_name", "next", "ask_address")
        .edge("ask_address", "next", "ask_phone")
        .edge("ask_phone", "next", "checkout")
        .edge("checkout", "placed", "placed")
        .edge("checkout", "paid", "paid")
        .edge("checkout", "cancelled", "menu")
        .edge("checkout", "empty_cart", "catalog")
        .edge("status", "next", "menu")
        .trigger(&["menu", "start", "start over"], "menu")
        .trigger(&["cart", "my cart"], "cart")
        .trigger(&["agent", "human", "person"], "agent")
        .build()
}

/// Questions and answers with a handoff.
pub fn faq() -> FlowDoc {
    Builder::new("welcome")
        .node("welcome", 0, 0, message("Hi! I can answer the questions we hear most often."))
        .node(
            "topics",
            1,
            0,
            quick_reply(
                "What would you like to know?",
                &[
                    ("shipping", "Shipping"),
                    ("returns", "Returns"),
                    ("payment", "Payment"),
                    ("hours", "Opening hours"),
                    ("agent", "Something else"),
                ],
            ),
        )
        .node("shipping", 2, 0, message("We ship within 1–2 working days. Delivery takes 2–4 days and is free above $50."))
        .node("returns", 2, 1, message("You can return anything within 30 days, unused and in its packaging. Reply with your order number and we'll send a return label."))
        .node("payment", 2, 2, message("You can pay online by card on your order page, or in cash when your order arrives."))
        .node("hours", 2, 3, message("We answer messages Monday to Friday, 9:00–18:00. The bot is here around the clock."))
        .node(
            "more",
            3,
            1,
            quick_reply(
                "Can I help with anything else?",
                &[
                    ("another", "Another question"),
                    ("agent", "Talk to a person"),
                    ("done", "That's all"),
                ],
            ),
        )
        .node("question", 3, 3, ask("Please type your question, and a person from our team will answer it here.", AskKind::Text, "question"))
        .node("agent", 4, 2, handoff())
        .node("bye", 4, 0, end("Glad I could help. Have a great day!"))
        .edge("welcome", "next", "topics")
        .edge("topics", "shipping", "shipping")
        .edge("topics", "returns", "returns")
        .edge("topics", "payment", "payment")
        .edge("topics", "hours", "hours")
        .edge("topics", "agent", "question")
        .edge("topics", "fallback", "question")
        .edge("shipping", "next", "more")
        .edge("returns", "next", "more")
        .edge("payment", "next", "more")
        .edge("hours", "next", "more")
        .edge("more", "another", "topics")
        .edge("more", "agent", "question")
        .edge("more", "done", "bye")
        .edge("question", "next", "agent")
        .trigger(&["menu", "help", "start"], "topics")
        .trigger(&["agent", "human", "person"], "agent")
        .build()
}

/// Order status with a handoff.
pub fn order_status() -> FlowDoc {
    Builder::new("welcome")
        .node("welcome", 0, 0, message("Hi! Let me look up your orders."))
        .node(
            "status",
            1,
            0,
            NodeKind::OrderStatus(OrderStatusSettings {
                text: "Here is where your orders are:".into(),
                none_text: "I can't find any orders from this chat yet. If you ordered elsewhere, a person can help.".into(),
            }),
        )
        .node(
            "more",
            2,
            0,
            quick_reply(
                "Anything else?",
                &[
                    ("again", "Check again"),
                    ("agent", "Talk to a person"),
                    ("done", "That's all"),
                ],
            ),
        )
        .node("agent", 3, 1, handoff())
        .node("bye", 3, 0, end("Thanks for shopping with us!"))
        .edge("welcome", "next", "status")
        .edge("status", "next", "more")
        .edge("more", "again", "status")
        .edge("more", "agent", "agent")
        .edge("more", "done", "bye")
        .trigger(&["status", "orders", "order", "menu"], "status")
        .trigger(&["agent", "human", "person"], "agent")
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::validate::{Severity, validate};

    #[test]
    fn every_template_validates_without_errors_or_warnings() {
        for t in TEMPLATES {
            let doc = template(t.id).unwrap();
            let report = validate(&doc, None);
            let problems: Vec<_> = report
                .problems
                .iter()
                .filter(|p| p.severity == Severity::Error || p.code != "channel_limit")
                .collect();
            assert!(problems.is_empty(), "{}: {problems:#?}", t.id);
        }
        assert!(template("nope").is_none());
    }

    #[test]
    fn templates_round_trip_as_json() {
        for t in TEMPLATES {
            let doc = template(t.id).unwrap();
            assert_eq!(FlowDoc::from_json(&doc.to_json()).unwrap(), doc);
        }
    }
}

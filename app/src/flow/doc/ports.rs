//! What each node type does, as the validator, the interpreter and the
//! editor need it: its name and label, its output ports, whether it waits
//! for the shopper, and its texts. Must not hold settings (`kinds`) or
//! judge them (validation).

use super::kinds::*;
use crate::commerce::ProductSource;

/// Whether a port must be connected for the flow to be complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortNeed {
    /// An unconnected required port is a problem.
    Required,
    /// Unconnected is fine: the node has a sensible default.
    Optional,
}

/// One output port of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The port's name.
    pub name: String,
    /// What the merchant sees.
    pub label: String,
    /// Required or optional.
    pub need: PortNeed,
}

fn port(name: &str, label: &str, need: PortNeed) -> Port {
    Port {
        name: name.to_string(),
        label: label.to_string(),
        need,
    }
}

impl NodeKind {
    /// The type's stable name, as in the JSON.
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Message(_) => "message",
            NodeKind::QuickReply(_) => "quick_reply",
            NodeKind::ProductCarousel(_) => "product_carousel",
            NodeKind::Checkout(_) => "checkout",
            NodeKind::Ask(_) => "ask",
            NodeKind::Condition(_) => "condition",
            NodeKind::SetVariable(_) => "set_variable",
            NodeKind::ShowCart(_) => "show_cart",
            NodeKind::OrderStatus(_) => "order_status",
            NodeKind::Handoff(_) => "handoff",
            NodeKind::HttpRequest(_) => "http_request",
            NodeKind::End(_) => "end",
        }
    }

    /// The merchant-facing name of the node type.
    pub fn label(&self) -> &'static str {
        match self {
            NodeKind::Message(_) => "Message",
            NodeKind::QuickReply(_) => "Quick reply",
            NodeKind::ProductCarousel(_) => "Product carousel",
            NodeKind::Checkout(_) => "Checkout",
            NodeKind::Ask(_) => "Question",
            NodeKind::Condition(_) => "Condition",
            NodeKind::SetVariable(_) => "Set variable",
            NodeKind::ShowCart(_) => "Show cart",
            NodeKind::OrderStatus(_) => "Order status",
            NodeKind::Handoff(_) => "Hand off to a person",
            NodeKind::HttpRequest(_) => "HTTP request",
            NodeKind::End(_) => "End",
        }
    }

    /// Whether the conversation can pause here for the shopper (or the
    /// outside world) before moving on. Some steps pause only when they
    /// have something to show: see [`NodeKind::leaves_without_waiting`].
    pub fn waits(&self) -> bool {
        !matches!(
            self,
            NodeKind::Message(_)
                | NodeKind::Condition(_)
                | NodeKind::SetVariable(_)
                | NodeKind::OrderStatus(_)
        )
    }

    /// Whether entering the step can lead straight out through `port`,
    /// without waiting for anyone: every port of a step that never waits,
    /// and the ports taken when there is nothing to show, namely a
    /// carousel without products (`done`), a cart that is empty (`empty`,
    /// or `continue` when `empty` is not connected) and a checkout with an
    /// empty cart (`empty_cart`), and every port of an HTTP request, which
    /// waits for the merchant's system but not for the shopper. `connected`
    /// tells whether a port of this step is connected.
    pub fn leaves_without_waiting(&self, port: &str, connected: impl Fn(&str) -> bool) -> bool {
        match self {
            NodeKind::ProductCarousel(_) => port == "done",
            NodeKind::ShowCart(_) => port == "empty" || (port == "continue" && !connected("empty")),
            NodeKind::Checkout(_) => port == "empty_cart",
            // It waits for the merchant's system, never for the shopper: a
            // loop through it would call out again and again on its own.
            NodeKind::HttpRequest(_) => true,
            kind => !kind.waits(),
        }
    }

    /// Why a step that usually waits may not, for [`NodeKind::leaves_without_waiting`]
    /// messages: "there are no products to show", "the cart is empty".
    pub fn when_it_does_not_wait(&self) -> Option<&'static str> {
        match self {
            NodeKind::ProductCarousel(_) => Some("there are no products to show"),
            NodeKind::ShowCart(_) | NodeKind::Checkout(_) => Some("the cart is empty"),
            _ => None,
        }
    }

    /// Every text the merchant wrote in the settings.
    pub fn texts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        match self {
            NodeKind::Message(s) => {
                out.push(&s.text);
                out.extend(s.image_url.as_deref());
            }
            NodeKind::QuickReply(s) => {
                out.push(&s.text);
                out.extend(s.reprompt.as_deref());
                out.extend(s.save_as.as_deref());
                for o in &s.options {
                    out.push(&o.id);
                    out.push(&o.label);
                }
            }
            NodeKind::ProductCarousel(s) => {
                out.push(&s.text);
                match &s.source {
                    ProductSource::All => {}
                    ProductSource::Collection { collection } => out.push(collection),
                    ProductSource::Skus { skus } => out.extend(skus.iter().map(String::as_str)),
                    ProductSource::Search { query } => out.push(query),
                }
            }
            NodeKind::Checkout(s) => {
                out.push(&s.text);
                out.push(&s.confirmation);
            }
            NodeKind::Ask(s) => {
                out.push(&s.text);
                out.push(&s.save_as);
                out.extend(s.reprompt.as_deref());
            }
            NodeKind::Condition(s) => {
                for b in &s.branches {
                    out.push(&b.id);
                    out.push(&b.label);
                    out.push(&b.value);
                    if let Subject::Variable { name } = &b.subject {
                        out.push(name);
                    }
                }
            }
            NodeKind::SetVariable(s) => {
                out.push(&s.name);
                out.push(&s.value);
            }
            NodeKind::ShowCart(s) => {
                out.push(&s.text);
                out.push(&s.empty_text);
            }
            NodeKind::OrderStatus(s) => {
                out.push(&s.text);
                out.push(&s.none_text);
            }
            NodeKind::Handoff(s) => out.push(&s.text),
            NodeKind::HttpRequest(s) => {
                out.push(&s.url);
                out.extend(s.body.as_deref());
                out.extend(s.save_as.as_deref());
            }
            NodeKind::End(s) => out.push(&s.text),
        }
        out
    }

    /// The output ports.
    pub fn ports(&self) -> Vec<Port> {
        use PortNeed::{Optional, Required};
        match self {
            NodeKind::Message(_) | NodeKind::SetVariable(_) => vec![port("next", "Next", Required)],
            NodeKind::QuickReply(s) => s
                .options
                .iter()
                .map(|o| port(&o.id, &o.label, Required))
                .chain([port("fallback", "Anything else", Optional)])
                .collect(),
            NodeKind::ProductCarousel(_) => vec![
                port("added", "Added to cart", Required),
                port("done", "Done browsing", Required),
                port("more", "More", Optional),
            ],
            NodeKind::Checkout(_) => vec![
                port("placed", "Order placed", Required),
                port("paid", "Paid", Optional),
                port("cancelled", "Cancelled", Optional),
                port("empty_cart", "Cart is empty", Optional),
            ],
            NodeKind::Ask(_) => vec![
                port("next", "Answered", Required),
                port("invalid", "Gave up", Optional),
            ],
            NodeKind::Condition(s) => s
                .branches
                .iter()
                .map(|b| {
                    let label = if b.label.is_empty() { &b.id } else { &b.label };
                    port(&b.id, label, Required)
                })
                .chain([port("else", "Otherwise", Required)])
                .collect(),
            NodeKind::ShowCart(_) => vec![
                port("checkout", "Checkout", Required),
                port("continue", "Keep shopping", Required),
                port("empty", "Cart is empty", Optional),
            ],
            NodeKind::OrderStatus(_) => vec![port("next", "Next", Required)],
            NodeKind::HttpRequest(_) => vec![
                port("ok", "Succeeded", Required),
                port("error", "Failed", Required),
            ],
            NodeKind::Handoff(_) => vec![port("resume", "When the bot resumes", Optional)],
            NodeKind::End(_) => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_follow_the_settings() {
        let qr = NodeKind::QuickReply(QuickReplySettings {
            text: "?".into(),
            options: vec![
                ChoiceOption {
                    id: "yes".into(),
                    label: "Yes".into(),
                },
                ChoiceOption {
                    id: "no".into(),
                    label: "No".into(),
                },
            ],
            ..Default::default()
        });
        let names: Vec<String> = qr.ports().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["yes", "no", "fallback"]);
        assert!(qr.waits());
        assert!(!NodeKind::Message(MessageSettings::default()).waits());
        assert!(NodeKind::End(EndSettings::default()).ports().is_empty());
    }

    #[test]
    fn steps_that_wait_only_with_something_to_show() {
        let none = |_: &str| false;
        let carousel = NodeKind::ProductCarousel(CarouselSettings::default());
        assert!(carousel.waits());
        assert!(carousel.leaves_without_waiting("done", none));
        assert!(!carousel.leaves_without_waiting("added", none));
        assert!(!carousel.leaves_without_waiting("more", none));
        let cart = NodeKind::ShowCart(ShowCartSettings::default());
        assert!(cart.leaves_without_waiting("empty", none));
        assert!(cart.leaves_without_waiting("continue", none));
        assert!(
            !cart.leaves_without_waiting("continue", |p| p == "empty"),
            "with `empty` connected, `continue` needs a tap"
        );
        assert!(!cart.leaves_without_waiting("checkout", none));
        let checkout = NodeKind::Checkout(CheckoutSettings::default());
        assert!(checkout.leaves_without_waiting("empty_cart", none));
        assert!(!checkout.leaves_without_waiting("placed", none));
        assert!(NodeKind::Message(MessageSettings::default()).leaves_without_waiting("next", none));
        let qr = NodeKind::QuickReply(QuickReplySettings::default());
        assert!(!qr.leaves_without_waiting("fallback", none));
    }
}

//! Button payloads: what a tap carries back. A payload names the node and
//! what was tapped on it, so a tap on an old message is still understood.
//!
//! Format: `b1|<kind>|<node>|…`, at most ~150 bytes (WhatsApp list rows
//! allow 200, reply buttons 256, Messenger 1000). Node and option ids never
//! contain `|`; a SKU, which might, is always the last field.

use super::doc::NodeId;

/// What a button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// An option of a quick reply.
    Option {
        /// The quick reply node.
        node: NodeId,
        /// The option's id.
        option: String,
    },
    /// "Add to cart" on a product card.
    Add {
        /// The carousel node.
        node: NodeId,
        /// The product.
        sku: String,
    },
    /// "Details" on a product card.
    Details {
        /// The carousel node.
        node: NodeId,
        /// The product.
        sku: String,
    },
    /// "More" under a carousel: the given page.
    More {
        /// The carousel node.
        node: NodeId,
        /// Zero-based page to show.
        page: u32,
    },
    /// "Done" under a carousel.
    Done {
        /// The carousel node.
        node: NodeId,
    },
    /// A checkout button, for the cart with this fingerprint.
    Checkout {
        /// The checkout node.
        node: NodeId,
        /// The cart fingerprint the button was made for.
        cart: String,
        /// Which button.
        action: CheckoutAction,
    },
    /// A button under the cart.
    Cart {
        /// The show-cart node.
        node: NodeId,
        /// Which button.
        action: CartAction,
    },
}

/// Checkout buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutAction {
    /// "Confirm order".
    Confirm,
    /// "Cancel".
    Cancel,
    /// "Cash on delivery".
    PayCash,
    /// "Pay online".
    PayOnline,
}

/// Buttons under the cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartAction {
    /// "Checkout".
    Checkout,
    /// "Keep shopping".
    Continue,
    /// "Empty cart".
    Clear,
}

const PREFIX: &str = "b1";

impl Payload {
    /// The string sent with the button.
    pub fn encode(&self) -> String {
        match self {
            Payload::Option { node, option } => encode_option(node, option),
            Payload::Add { node, sku } => encode_add(node, sku),
            Payload::Details { node, sku } => encode_details(node, sku),
            Payload::More { node, page } => encode_more(node, *page),
            Payload::Done { node } => encode_done(node),
            Payload::Checkout { node, cart, action } => encode_checkout(node, cart, *action),
            Payload::Cart { node, action } => encode_cart(node, *action),
        }
    }

    /// Reads a payload; anything not made by [`Payload::encode`] is `None`.
    pub fn decode(s: &str) -> Option<Payload> {
        let mut parts = s.splitn(4, '|');
        if parts.next()? != PREFIX {
            return None;
        }
        let kind = parts.next()?;
        let node = NodeId(parts.next()?.to_string());
        if node.0.is_empty() {
            return None;
        }
        let rest = parts.next();
        Some(match (kind, rest) {
            ("o", Some(option)) => Payload::Option {
                node,
                option: option.to_string(),
            },
            ("a", Some(sku)) if !sku.is_empty() => Payload::Add {
                node,
                sku: sku.to_string(),
            },
            ("d", Some(sku)) if !sku.is_empty() => Payload::Details {
                node,
                sku: sku.to_string(),
            },
            ("m", Some(page)) => Payload::More {
                node,
                page: page.parse().ok()?,
            },
            ("f", None) => Payload::Done { node },
            ("c", Some(rest)) => {
                let (cart, action) = rest.split_once('|')?;
                let action = match action {
                    "ok" => CheckoutAction::Confirm,
                    "no" => CheckoutAction::Cancel,
                    "cash" => CheckoutAction::PayCash,
                    "page" => CheckoutAction::PayOnline,
                    _ => return None,
                };
                Payload::Checkout {
                    node,
                    cart: cart.to_string(),
                    action,
                }
            }
            ("k", Some(action)) => Payload::Cart {
                node,
                action: match action {
                    "checkout" => CartAction::Checkout,
                    "continue" => CartAction::Continue,
                    "clear" => CartAction::Clear,
                    _ => return None,
                },
            },
            _ => return None,
        })
    }

    /// The node the button belongs to.
    pub fn node(&self) -> &NodeId {
        match self {
            Payload::Option { node, .. }
            | Payload::Add { node, .. }
            | Payload::Details { node, .. }
            | Payload::More { node, .. }
            | Payload::Done { node }
            | Payload::Checkout { node, .. }
            | Payload::Cart { node, .. } => node,
        }
    }
}

/// `b1|<fields joined by |>`, allocated once at its exact size.
fn join(fields: &[&str]) -> String {
    let len = PREFIX.len() + fields.iter().map(|f| f.len() + 1).sum::<usize>();
    let mut out = String::with_capacity(len);
    out.push_str(PREFIX);
    for f in fields {
        out.push('|');
        out.push_str(f);
    }
    out
}

/// [`Payload::Option`]'s encoding, from borrowed parts.
pub fn encode_option(node: &NodeId, option: &str) -> String {
    join(&["o", node.as_str(), option])
}

/// [`Payload::Add`]'s encoding, from borrowed parts.
pub fn encode_add(node: &NodeId, sku: &str) -> String {
    join(&["a", node.as_str(), sku])
}

/// [`Payload::Details`]'s encoding, from borrowed parts.
pub fn encode_details(node: &NodeId, sku: &str) -> String {
    join(&["d", node.as_str(), sku])
}

/// [`Payload::More`]'s encoding, from borrowed parts.
pub fn encode_more(node: &NodeId, page: u32) -> String {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut n = page;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let page = std::str::from_utf8(&digits[at..]).unwrap_or("0");
    join(&["m", node.as_str(), page])
}

/// [`Payload::Done`]'s encoding, from borrowed parts.
pub fn encode_done(node: &NodeId) -> String {
    join(&["f", node.as_str()])
}

/// [`Payload::Checkout`]'s encoding, from borrowed parts.
pub fn encode_checkout(node: &NodeId, cart: &str, action: CheckoutAction) -> String {
    let a = match action {
        CheckoutAction::Confirm => "ok",
        CheckoutAction::Cancel => "no",
        CheckoutAction::PayCash => "cash",
        CheckoutAction::PayOnline => "page",
    };
    join(&["c", node.as_str(), cart, a])
}

/// [`Payload::Cart`]'s encoding, from borrowed parts.
pub fn encode_cart(node: &NodeId, action: CartAction) -> String {
    let a = match action {
        CartAction::Checkout => "checkout",
        CartAction::Continue => "continue",
        CartAction::Clear => "clear",
    };
    join(&["k", node.as_str(), a])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let n = NodeId::from("menu");
        let all = [
            Payload::Option {
                node: n.clone(),
                option: "shoes".into(),
            },
            Payload::Add {
                node: n.clone(),
                sku: "SKU|with|pipes".into(),
            },
            Payload::Details {
                node: n.clone(),
                sku: "A-1".into(),
            },
            Payload::More {
                node: n.clone(),
                page: 3,
            },
            Payload::Done { node: n.clone() },
            Payload::Checkout {
                node: n.clone(),
                cart: "0a1b2c3d".into(),
                action: CheckoutAction::PayOnline,
            },
            Payload::Cart {
                node: n.clone(),
                action: CartAction::Clear,
            },
        ];
        for p in all {
            let s = p.encode();
            assert!(s.len() <= 200, "{s}");
            assert_eq!(Payload::decode(&s), Some(p));
        }
    }

    #[test]
    fn foreign_strings_are_not_payloads() {
        for s in [
            "",
            "hello",
            "b1",
            "b1|o",
            "b1|o||x",
            "b2|o|n|x",
            "b1|m|n|x",
            "b1|c|n|fp|maybe",
            "b1|z|n|x",
            "b1|a|n|",
        ] {
            assert_eq!(Payload::decode(s), None, "{s:?}");
        }
    }
}

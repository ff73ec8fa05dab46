//! Scripted conversations, pure: runs a list of inputs through a flow and
//! returns the transcript, as the simulate API and the editor's preview
//! chat show it. Nothing is stored; orders are returned, numbered TEST-1, …

use serde::{Deserialize, Serialize};

use super::interpreter::{Ctx, Effect, Input, Session, ValidFlow, step};
use crate::channel::Outbound;
use crate::commerce::{CatalogView, NewOrder};

/// Applies `f` to every human-readable text (and link) of a message.
pub fn map_texts(message: Outbound, f: &dyn Fn(&str) -> String) -> Outbound {
    match message {
        Outbound::Text { text } => Outbound::Text { text: f(&text) },
        Outbound::Choices { text, choices } => Outbound::Choices {
            text: f(&text),
            choices,
        },
        Outbound::Cards {
            text,
            cards,
            choices,
        } => Outbound::Cards {
            text: f(&text),
            cards,
            choices,
        },
        Outbound::Image { url, caption } => Outbound::Image {
            url,
            caption: caption.map(|c| f(&c)),
        },
        Outbound::Link { text, label, url } => Outbound::Link {
            text: f(&text),
            label,
            url: f(&url),
        },
        Outbound::Typing => Outbound::Typing,
    }
}

/// One line of a simulated transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "direction", rename_all = "snake_case")]
pub enum SimLine {
    /// What the simulated shopper did.
    In {
        /// The input.
        #[cfg_attr(feature = "ssr", schema(value_type = Object))]
        input: Input,
    },
    /// What the bot sent.
    Out {
        /// The message.
        #[cfg_attr(feature = "ssr", schema(value_type = Object))]
        message: Outbound,
    },
}

/// A conversation with nothing stored, played one input at a time: the
/// editor's preview chat and the simulate API. Orders it would place are
/// kept here, numbered TEST-1, TEST-2, …
#[derive(Debug, Clone, Default)]
pub struct Simulation {
    /// Where the conversation stands.
    pub session: Session,
    /// The transcript so far.
    pub lines: Vec<SimLine>,
    /// The orders it would have placed.
    pub orders: Vec<NewOrder>,
    /// Every node entered, in order, over all turns.
    pub visited: Vec<super::doc::NodeId>,
    turns: usize,
}

impl Simulation {
    /// Plays one input. `order_url` stands in for the hosted order page's
    /// address.
    pub fn send(
        &mut self,
        flow: &ValidFlow,
        catalog: &CatalogView,
        input: Input,
        now_ms: i64,
        order_url: &str,
    ) {
        let event = format!("sim{}", self.turns);
        self.turns += 1;
        let ctx = Ctx {
            now_ms,
            conversation: "simulation",
            event_id: &event,
            catalog,
            orders: &[],
        };
        self.lines.push(SimLine::In {
            input: input.clone(),
        });
        let out = step(flow, std::mem::take(&mut self.session), input, &ctx);
        self.session = out.session;
        let mut number: Option<String> = None;
        for e in out.effects {
            match e {
                Effect::PlaceOrder { order } => {
                    self.orders.push(order);
                    number = Some(format!("TEST-{}", self.orders.len()));
                }
                Effect::Visit { node } => self.visited.push(node),
                Effect::Send { message } => {
                    let message = match &number {
                        Some(n) => map_texts(message, &|t: &str| {
                            t.replace("{{order.number}}", n)
                                .replace("{{order.url}}", order_url)
                        }),
                        None => message,
                    };
                    self.lines.push(SimLine::Out { message });
                }
                _ => {}
            }
        }
    }
}

/// A scripted conversation through a flow, with nothing stored: the orders
/// it would place are returned instead, numbered TEST-1, TEST-2, …
/// `order_url` stands in for the hosted order page's address.
pub fn simulate(
    flow: &ValidFlow,
    catalog: &CatalogView,
    inputs: Vec<Input>,
    now_ms: i64,
    order_url: &str,
) -> (Vec<SimLine>, Vec<NewOrder>, Session) {
    let mut sim = Simulation::default();
    for input in inputs {
        sim.send(flow, catalog, input, now_ms, order_url);
    }
    (sim.lines, sim.orders, sim.session)
}

/// What the shopper sees when a conversation reaches `node`: the messages
/// the interpreter sends on entering it, with one product of `catalog` in
/// the cart so a checkout or cart step shows something real. For the
/// editor's per-node preview; steps that send nothing return nothing.
pub fn sample_messages(node: &crate::flow::doc::Node, catalog: &CatalogView) -> Vec<Outbound> {
    let doc = crate::flow::doc::FlowDoc {
        start: Some(node.id.clone()),
        nodes: vec![node.clone()],
        ..Default::default()
    };
    let flow = ValidFlow::unchecked(doc);
    let mut session = Session::default();
    if let Some(p) = catalog.all().find(|p| p.can_sell(0, 1)) {
        let _ = session.cart.add_product(p, 1);
    }
    let ctx = Ctx {
        now_ms: 0,
        conversation: "preview",
        event_id: "preview",
        catalog,
        orders: &[],
    };
    step(&flow, session, Input::Start, &ctx)
        .effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send { message } if message != Outbound::Typing => Some(message),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commerce::{Currency, Money, Product};
    use crate::flow::edit::blank;

    fn catalog() -> CatalogView {
        let usd = Currency::parse("USD").unwrap();
        CatalogView::new([Product {
            sku: "TEE".into(),
            name: "Tee".into(),
            description: String::new(),
            price: Money::new(1500, usd),
            image_url: None,
            stock: None,
            active: true,
            collections: vec![],
        }])
    }

    fn node(ty: &str) -> crate::flow::doc::Node {
        crate::flow::doc::Node {
            id: "n".into(),
            position: Default::default(),
            kind: blank(ty).unwrap(),
        }
    }

    #[test]
    fn samples_show_what_entering_a_step_sends() {
        let c = catalog();
        match &sample_messages(&node("quick_reply"), &c)[..] {
            [Outbound::Choices { choices, .. }] => assert_eq!(choices.len(), 2),
            other => panic!("{other:?}"),
        }
        match &sample_messages(&node("product_carousel"), &c)[..] {
            [.., Outbound::Cards { cards, .. }] => assert_eq!(cards[0].title, "Tee"),
            other => panic!("{other:?}"),
        }
        // The checkout shows a sample cart with the catalog's product.
        let out = sample_messages(&node("checkout"), &c);
        assert!(out.iter().any(|m| m.preview().contains("Tee")), "{out:?}");
        assert!(sample_messages(&node("set_variable"), &c).is_empty());
    }
}

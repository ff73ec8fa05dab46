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
    let mut session = Session::default();
    let mut lines = Vec::new();
    let mut orders = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let event = format!("sim{i}");
        let ctx = Ctx {
            now_ms,
            conversation: "simulation",
            event_id: &event,
            catalog,
            orders: &[],
        };
        lines.push(SimLine::In {
            input: input.clone(),
        });
        let out = step(flow, session, input, &ctx);
        session = out.session;
        let mut number: Option<String> = None;
        for e in out.effects {
            match e {
                Effect::PlaceOrder { order } => {
                    orders.push(order);
                    number = Some(format!("TEST-{}", orders.len()));
                }
                Effect::Send { message } => {
                    let message = match &number {
                        Some(n) => map_texts(message, &|t: &str| {
                            t.replace("{{order.number}}", n)
                                .replace("{{order.url}}", order_url)
                        }),
                        None => message,
                    };
                    lines.push(SimLine::Out { message });
                }
                _ => {}
            }
        }
    }
    (lines, orders, session)
}

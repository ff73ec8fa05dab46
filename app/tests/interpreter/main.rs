//! The interpreter, node type by node type, through its public `step`.
#![expect(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use app::channel::{CardButton, Outbound};
use app::commerce::{CatalogView, Currency, Money, OrderStatus, PaymentMethod, Product};
use app::flow::doc::*;
use app::flow::interpreter::{
    Ctx, Effect, Input, MAX_HTTP_PER_TURN, MAX_MESSAGE_CHARS, MAX_TURN_OUTPUT_BYTES, MAX_VAR_CHARS,
    OrderInfo, OrderedItem, STEP_BUDGET, Session, Status, ValidFlow, json_escape, percent_encode,
    request_id, step,
};
use app::flow::payload::Payload;
use app::flow::templates;

mod answers;
mod catalog;
mod checkout;
mod http;
mod shop_template;

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
            contact: None,
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

    /// Taps "Add to cart" for `sku` on the carousel `node`, as from any
    /// carousel page, old or new.
    fn add(&mut self, node: &str, sku: &str) -> &[Effect] {
        self.tap(&add_payload(node, sku))
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

/// The payload of the "Add to cart" button for `sku` on carousel `node`.
fn add_payload(node: &str, sku: &str) -> String {
    Payload::Add {
        node: node.into(),
        sku: sku.into(),
    }
    .encode()
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
    Edge::new(from, port, to)
}

fn flow(nodes: Vec<Node>, edges: Vec<Edge>) -> FlowDoc {
    FlowDoc {
        start: nodes.first().map(|n| n.id.clone()),
        nodes,
        edges,
        ..FlowDoc::default()
    }
}

//! Scripted conversations, pure: runs a list of inputs through a flow and
//! returns the transcript, as the simulate API and the editor's preview
//! chat show it. Nothing is stored; orders are returned, numbered TEST-1, …
//!
//! Nothing is called either: a "Call your system" step shows as a
//! [`SimLine::Call`] and the simulation answers it itself, as a success
//! with an empty JSON object (`{}`) for a body, or as a failure when the
//! [`Simulation`] is set to [`HttpOutcome::Failure`], so the conversation
//! goes on through the step's "ok" or "error" exit.

use serde::{Deserialize, Serialize};

use super::doc::HttpMethod;
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
    /// A call to the merchant's system that the bot would make. It is not
    /// made: the simulation answered it with `status` (and, for a success,
    /// the body [`SIMULATED_BODY`]).
    Call {
        /// GET or POST.
        #[cfg_attr(feature = "ssr", schema(value_type = String))]
        method: HttpMethod,
        /// The address, with its variables filled in.
        url: String,
        /// The status the simulation answered with.
        status: u16,
    },
}

/// How a simulation answers calls to the merchant's system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpOutcome {
    /// 200, with [`SIMULATED_BODY`]: the step's "ok" exit.
    #[default]
    Success,
    /// 503 with no body: the step's "error" exit.
    Failure,
}

/// The body of a simulated successful call: an empty JSON object.
pub const SIMULATED_BODY: &str = "{}";

/// Calls answered for one input at most, so a flow that calls in a loop
/// cannot keep the simulation spinning.
const MAX_CALLS_PER_INPUT: usize = crate::flow::interpreter::MAX_HTTP_PER_TURN as usize;

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
    /// How calls to the merchant's system are answered.
    pub http: HttpOutcome,
    /// The shopper's contact, as the flow's writes left it.
    pub contact: super::interpreter::Contact,
    turns: usize,
    /// Bytes the bot said so far, as [`Outbound::weight`] counts them.
    output: usize,
}

/// Most a scripted conversation may make the bot say, in bytes: the inputs
/// after the one that passes it are not played. Each turn is capped too
/// (`MAX_TURN_OUTPUT_BYTES`), so one request's transcript stays small.
pub const MAX_SIMULATION_BYTES: usize = 1024 * 1024;

impl Simulation {
    /// Plays one input, answering the calls it makes to the merchant's
    /// system as [`Simulation::http`] says. `order_url` stands in for the
    /// hosted order page's address.
    pub fn send(
        &mut self,
        flow: &ValidFlow,
        catalog: &CatalogView,
        input: Input,
        now_ms: i64,
        order_url: &str,
    ) {
        self.lines.push(SimLine::In {
            input: input.clone(),
        });
        let mut next = Some(input);
        let mut calls = 0;
        while let Some(input) = next.take() {
            let Some(call) = self.play(flow, catalog, input, now_ms, order_url) else {
                break;
            };
            if calls == MAX_CALLS_PER_INPUT {
                break;
            }
            calls += 1;
            let (status, body) = match self.http {
                HttpOutcome::Success => (200, SIMULATED_BODY),
                HttpOutcome::Failure => (503, ""),
            };
            self.lines.push(SimLine::Call {
                method: call.1,
                url: call.2,
                status,
            });
            next = Some(Input::HttpResult {
                request_id: call.0,
                status,
                body: body.to_string(),
            });
        }
    }

    /// Runs one step; returns the call it asked for, if any: (request id,
    /// method, address).
    fn play(
        &mut self,
        flow: &ValidFlow,
        catalog: &CatalogView,
        input: Input,
        now_ms: i64,
        order_url: &str,
    ) -> Option<(String, HttpMethod, String)> {
        let event = format!("sim{}", self.turns);
        self.turns += 1;
        let ctx = Ctx {
            now_ms,
            conversation: "simulation",
            event_id: &event,
            catalog,
            orders: &[],
            contact: Some(&self.contact),
        };
        let out = step(flow, std::mem::take(&mut self.session), input, &ctx);
        self.session = out.session;
        for e in &out.effects {
            self.contact.apply(e);
        }
        let mut number: Option<(String, String)> = None;
        let mut call = None;
        for e in out.effects {
            match e {
                Effect::PlaceOrder { order } => {
                    let total = order.total.to_string();
                    self.orders.push(order);
                    number = Some((format!("TEST-{}", self.orders.len()), total));
                }
                Effect::Visit { node } => self.visited.push(node),
                Effect::Send { message } => {
                    self.output += message.weight();
                    let message = match &number {
                        Some((n, total)) => map_texts(message, &|t: &str| {
                            t.replace("{{order.number}}", n)
                                .replace("{{order.url}}", order_url)
                                .replace("{{order.total}}", total)
                        }),
                        None => message,
                    };
                    self.lines.push(SimLine::Out { message });
                }
                Effect::CallHttp {
                    request_id,
                    method,
                    url,
                    ..
                } => call = Some((request_id, method, url)),
                _ => {}
            }
        }
        call
    }
}

/// A scripted conversation through a flow, with nothing stored: the orders
/// it would place are returned instead, numbered TEST-1, TEST-2, …, and
/// calls to the merchant's system succeed with [`SIMULATED_BODY`] without
/// being made. `order_url` stands in for the hosted order page's address.
pub fn simulate(
    flow: &ValidFlow,
    catalog: &CatalogView,
    inputs: Vec<Input>,
    now_ms: i64,
    order_url: &str,
) -> (Vec<SimLine>, Vec<NewOrder>, Session) {
    let mut sim = Simulation::default();
    for input in inputs {
        if sim.output > MAX_SIMULATION_BYTES {
            break;
        }
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
        contact: None,
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
    use crate::editor_core::edit::blank;

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
        assert!(out.iter().any(|m| m.summary().contains("Tee")), "{out:?}");
        assert!(sample_messages(&node("set_variable"), &c).is_empty());
    }

    fn said(lines: &[SimLine]) -> Vec<String> {
        lines
            .iter()
            .filter_map(|l| match l {
                SimLine::Out { message } => Some(message.summary()),
                _ => None,
            })
            .collect()
    }

    /// Asks for an order number, looks it up in the merchant's system,
    /// and says what came back, or that it failed.
    fn lookup() -> ValidFlow {
        let json = r#"{"schema":1,"start":"ask","nodes":[
            {"id":"ask","type":"ask","settings":{"text":"Your order number?","save_as":"n"}},
            {"id":"call","type":"http_request","settings":{"method":"GET","url":"https://shop.example/orders/{{n}}","save_as":"reply"}},
            {"id":"ok","type":"end","settings":{"text":"Found: {{reply}}"}},
            {"id":"bad","type":"end","settings":{"text":"Our system is not answering."}}],
            "edges":[{"from":"ask","port":"next","to":"call"},
                     {"from":"call","port":"ok","to":"ok"},
                     {"from":"call","port":"error","to":"bad"}]}"#;
        ValidFlow::compile(crate::flow::doc::FlowDoc::from_json(json).unwrap()).unwrap()
    }

    #[test]
    fn calls_to_the_merchants_system_are_shown_and_answered() {
        let flow = lookup();
        let c = catalog();
        let mut sim = Simulation::default();
        sim.send(&flow, &c, Input::Start, 0, "u");
        sim.send(
            &flow,
            &c,
            Input::Text {
                text: "1042".into(),
            },
            0,
            "u",
        );
        assert!(
            sim.lines.contains(&SimLine::Call {
                method: HttpMethod::Get,
                url: "https://shop.example/orders/1042".into(),
                status: 200,
            }),
            "{:?}",
            sim.lines
        );
        // The conversation went on through "ok", with the simulated body.
        assert_eq!(
            said(&sim.lines),
            ["Your order number?", "Found: {}"],
            "{:?}",
            sim.lines
        );
        assert_eq!(
            sim.session.vars.get("reply").map(String::as_str),
            Some("{}")
        );
        assert_eq!(sim.visited.last().map(|n| n.as_str()), Some("ok"));

        // Set to fail, the same input takes the "error" exit.
        let mut sim = Simulation {
            http: HttpOutcome::Failure,
            ..Default::default()
        };
        sim.send(&flow, &c, Input::Start, 0, "u");
        sim.send(&flow, &c, Input::Text { text: "7".into() }, 0, "u");
        assert!(matches!(
            sim.lines.iter().find(|l| matches!(l, SimLine::Call { .. })),
            Some(SimLine::Call { status: 503, .. })
        ));
        assert_eq!(
            said(&sim.lines).last().unwrap(),
            "Our system is not answering."
        );

        // The scripted form (the simulate API) answers the same way.
        let (lines, _, session) = simulate(
            &flow,
            &c,
            vec![Input::Start, Input::Text { text: "9".into() }],
            0,
            "u",
        );
        assert_eq!(said(&lines).last().unwrap(), "Found: {}");
        assert_eq!(session.status, crate::flow::interpreter::Status::Ended);
    }

    #[test]
    fn a_script_stops_once_the_bot_said_its_cap() {
        // An unvalidated draft that talks in a loop, 4,000 characters a
        // message: each input makes a turn's worth of output.
        let big = "x".repeat(1000);
        let json = format!(
            r#"{{"schema":1,"start":"set","nodes":[
            {{"id":"set","type":"set_variable","settings":{{"name":"big","value":"{big}"}}}},
            {{"id":"a","type":"message","settings":{{"text":"{{{{big}}}}{{{{big}}}}{{{{big}}}}{{{{big}}}}"}}}},
            {{"id":"b","type":"message","settings":{{"text":"{{{{big}}}}{{{{big}}}}{{{{big}}}}{{{{big}}}}"}}}}],
            "edges":[{{"from":"set","port":"next","to":"a"}},{{"from":"a","port":"next","to":"b"}},{{"from":"b","port":"next","to":"a"}}]}}"#
        );
        let flow = ValidFlow::unchecked(crate::flow::doc::FlowDoc::from_json(&json).unwrap());
        let inputs = vec![Input::Text { text: "hi".into() }; 200];
        let (lines, _, _) = simulate(&flow, &catalog(), inputs, 0, "u");
        let played = lines
            .iter()
            .filter(|l| matches!(l, SimLine::In { .. }))
            .count();
        let said: usize = lines
            .iter()
            .filter_map(|l| match l {
                SimLine::Out { message } => Some(message.weight()),
                _ => None,
            })
            .sum();
        assert!((2..200).contains(&played), "{played} inputs played");
        assert!(
            said <= MAX_SIMULATION_BYTES + crate::flow::interpreter::MAX_TURN_OUTPUT_BYTES,
            "{said} bytes"
        );
        assert!(
            said > MAX_SIMULATION_BYTES,
            "it stopped at the cap, not before"
        );
    }

    #[test]
    fn a_flow_that_calls_in_a_loop_stops() {
        let json = r#"{"schema":1,"start":"call","nodes":[
            {"id":"call","type":"http_request","settings":{"url":"https://shop.example/ping"}}],
            "edges":[{"from":"call","port":"ok","to":"call"},{"from":"call","port":"error","to":"call"}]}"#;
        let flow = ValidFlow::unchecked(crate::flow::doc::FlowDoc::from_json(json).unwrap());
        let mut sim = Simulation::default();
        sim.send(&flow, &catalog(), Input::Start, 0, "u");
        let calls = sim
            .lines
            .iter()
            .filter(|l| matches!(l, SimLine::Call { .. }))
            .count();
        assert_eq!(calls, MAX_CALLS_PER_INPUT);
    }
}

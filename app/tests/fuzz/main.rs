//! Fuzz targets for every parser of untrusted input in the pure core:
//! Messenger and WhatsApp webhook bodies, flow documents (import and draft
//! save: parsing, limits and validation, then a run of the interpreter on
//! what was read), button payloads and typed text (which a web-chat
//! visitor sends freely) through the shop template, product CSV, and
//! decimal, money and typed answers.
//! The web-chat message request is fuzzed in `server/tests/fuzz.rs`.
//!
//! A `harness = false` test: `cargo test -p app --test fuzz` runs a short
//! pass, `make fuzz` a long one; see `harness.rs` for the settings.
#![expect(clippy::unwrap_used, reason = "test seeds are known to be good")]

mod harness;

use std::collections::BTreeSet;
use std::process::ExitCode;

use app::commerce::csv::{import_csv, parse_csv};
use app::commerce::{CatalogView, Currency, Money, Product};
use app::editor_core::edit::read_import;
use app::flow::doc::*;
use app::flow::interpreter::{Input, ValidFlow};
use app::flow::number::{format_decimal, parse_decimal};
use app::flow::{templates, validate};
use app::inbound::{EventKind, InboundEvent, parse_messenger, parse_whatsapp};
use harness::{Outcome, Rng, Shape, Target, any_string, any_value, signature};
use serde_json::{Value, json};

fn main() -> ExitCode {
    harness::main_with(vec![
        Target {
            name: "messenger",
            shape: Shape::Json,
            max_len: harness::MAX_INPUT,
            seeds: messenger_seeds(),
            dictionary: &[
                "\"object\":\"page\"",
                "\"messaging\":[",
                "\"standby\":[",
                "\"mid\":",
                "\"is_echo\":true",
                "\"quick_reply\":{\"payload\":",
                "\"postback\":{",
                "\"attachments\":[{\"type\":\"image\"}]",
                "\"watermark\":",
                "\"metadata\":\"botme:42:1\"",
                "GET_STARTED",
                "null",
                "{}",
                "[]",
            ],
            generate: generate_messenger,
            exec: exec_messenger,
        },
        Target {
            name: "whatsapp",
            shape: Shape::Json,
            max_len: harness::MAX_INPUT,
            seeds: whatsapp_seeds(),
            dictionary: &[
                "\"object\":\"whatsapp_business_account\"",
                "\"changes\":[",
                "\"field\":\"messages\"",
                "\"from_user_id\":",
                "\"type\":\"order\"",
                "\"product_items\":[",
                "\"quantity\":",
                "\"statuses\":[",
                "\"errors\":[{\"code\":1}]",
                "\"biz_opaque_callback_data\":\"botme:42:1\"",
                "null",
                "{}",
                "[]",
            ],
            generate: generate_whatsapp,
            exec: exec_whatsapp,
        },
        Target {
            name: "flow",
            shape: Shape::Json,
            max_len: 512 * 1024,
            seeds: flow_seeds(),
            dictionary: &[
                "\"schema\":",
                "\"start\":",
                "\"type\":\"quick_reply\"",
                "\"type\":\"condition\"",
                "\"type\":\"http_request\"",
                "\"port\":\"next\"",
                "{{name}}",
                "{{",
                "}}",
                "null",
            ],
            generate: generate_flow,
            exec: exec_flow,
        },
        Target {
            name: "payload",
            shape: Shape::Text,
            max_len: 4096,
            seeds: payload_seeds(),
            dictionary: &[
                "b1|", "|", "o", "a", "d", "m", "f", "c", "k", "ok", "cash", "clear",
            ],
            generate: generate_payload,
            exec: exec_payload,
        },
        Target {
            name: "csv",
            shape: Shape::Text,
            max_len: harness::MAX_INPUT,
            seeds: csv_seeds(),
            dictionary: &[
                ",",
                "\"",
                "\"\"",
                "\n",
                "\r\n",
                "\r",
                "sku",
                "name",
                "price",
                "currency",
                "stock",
                "active",
                "collections",
                "image_url",
                "https://",
                "|",
                ";",
            ],
            generate: generate_csv,
            exec: exec_csv,
        },
        Target {
            name: "decimal",
            shape: Shape::Text,
            max_len: 4096,
            seeds: decimal_seeds(),
            dictionary: &[".", ",", "-", "+", " ", "_", "000", ",000", "@", "(", ")"],
            generate: generate_decimal,
            exec: exec_decimal,
        },
        Target {
            name: "money",
            shape: Shape::Text,
            max_len: 4096,
            seeds: decimal_seeds(),
            dictionary: &[
                ".", ",", "-", "+", " ", "_", "000", ",000", ".00", "USD", "jpy",
            ],
            generate: generate_decimal,
            exec: exec_money,
        },
    ])
}

// ---------------------------------------------------------------- webhooks

fn messenger_seeds() -> Vec<Vec<u8>> {
    [
        // From inbound.rs's tests: a batch of every event kind.
        r#"{"object":"page","entry":[
          {"id":"PAGE","time":1,"messaging":[
            {"sender":{"id":"PSID"},"recipient":{"id":"PAGE"},"timestamp":1458692752478,"message":{"mid":"m_abc","text":"do you have size 42?"}},
            {"sender":{"id":"PSID"},"recipient":{"id":"PAGE"},"timestamp":1502905976377,"message":{"mid":"m_q1","text":"Red","quick_reply":{"payload":"COLOR:red"}}}]},
          {"id":"PAGE2","time":2,"messaging":[
            {"sender":{"id":"P2"},"recipient":{"id":"PAGE2"},"timestamp":1527459824,"postback":{"mid":"m_p1","title":"Add to cart","payload":"ADD:SKU123:1"}},
            {"sender":{"id":"PAGE"},"recipient":{"id":"PSID"},"timestamp":1457764197627,"message":{"is_echo":true,"app_id":1,"metadata":"outbox:42","mid":"m_e1","text":"Added!"}},
            {"sender":{"id":"P2"},"recipient":{"id":"PAGE2"},"timestamp":5,"postback":{"title":"Get Started","payload":"GET_STARTED"}},
            {"sender":{"id":"P2"},"recipient":{"id":"PAGE2"},"timestamp":6,"read":{"watermark":1458668856253}},
            {"sender":{"id":"P2"},"recipient":{"id":"PAGE2"},"timestamp":7,"reaction":{"reaction":"love"}}]},
          {"id":"PAGE3","standby":[{"sender":{"id":"X"},"timestamp":8,"message":{"mid":"m_s","text":"hi"}}]}]}"#,
        r#"{"object":"page","entry":[{"id":123,"time":1,"messaging":[
            {"sender":{"id":456},"recipient":{"id":"123"},"timestamp":9,"message":{"mid":"m_img","attachments":[{"type":"image","payload":{"url":"https://x/y.png"}}]}},
            {"sender":{"id":"456"},"recipient":{"id":"123"},"timestamp":10,"delivery":{"mids":["m_1"],"watermark":11}},
            {"sender":{"id":"456"},"recipient":{"id":"123"},"timestamp":12,"referral":{"ref":"ad"}},
            {"sender":{"id":"456"},"recipient":{"id":"123"},"timestamp":13,"optin":{}},
            {"sender":{"id":"456"},"recipient":{"id":"123"},"timestamp":14,"message":{"mid":"m_empty"}}]}]}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn whatsapp_seeds() -> Vec<Vec<u8>> {
    [
        r#"{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
          "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
          "contacts":[{"profile":{"name":"Ana"},"wa_id":"16505551234","user_id":"US.1349120865530274"}],
          "messages":[
            {"from":"16505551234","id":"wamid.A1","timestamp":"1749416383","type":"text","text":{"body":"Does it come in navy?"}},
            {"context":{"from":"15550783881","id":"wamid.OUT1"},"from":"16505551234","id":"wamid.B1","timestamp":"1698266730","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"size_42","title":"Size 42"}}},
            {"from":"16505551234","id":"wamid.L1","timestamp":"1712595443","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"priority_express","title":"Priority"}}},
            {"from":"16505551234","id":"wamid.O1","timestamp":"1697044668","type":"order","order":{"catalog_id":"354","text":"","product_items":[{"product_retailer_id":"SKU123","quantity":2,"item_price":30,"currency":"USD"}]}},
            {"from":"16505551234","id":"wamid.R1","timestamp":"1697044669","type":"reaction","reaction":{"emoji":"\ud83d\udc4d"}}],
          "statuses":[{"id":"wamid.OUT1","status":"failed","timestamp":"1689380458","recipient_id":"16505551234","errors":[{"code":131047,"title":"Re-engagement message"}]},
                      {"id":"wamid.OUT2","status":"read","timestamp":"1689380459","recipient_id":"16505551234"}]}},
          {"field":"message_template_status_update","value":{}}]}]}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
          "metadata":{"phone_number_id":"PN"},"contacts":[{"profile":{"name":"Bo"},"user_id":"US.77"}],
          "messages":[{"from_user_id":"US.77","id":"wamid.X","timestamp":"10","type":"text","text":{"body":"hi"}},
            {"from":"1555","id":"wamid.Y","timestamp":11,"type":"button","button":{"payload":"YES","text":"Yes"}},
            {"from":"1555","id":"wamid.Z","timestamp":"12","type":"document","document":{"id":"d"}},
            {"from":"1555","id":"wamid.S","timestamp":"13","type":"system","system":{}}]}}]}]}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// A random id, sometimes not a string at all.
fn any_id(rng: &mut Rng) -> Value {
    if rng.one_in(6) {
        any_value(rng)
    } else {
        Value::String(format!("{}", rng.below(5)))
    }
}

/// A random field value: usually plausible, sometimes anything.
fn text_or_any(rng: &mut Rng, plausible: &[&str]) -> Value {
    if rng.one_in(4) {
        any_value(rng)
    } else if rng.one_in(3) {
        Value::String(any_string(rng))
    } else {
        Value::String(rng.pick(plausible).to_string())
    }
}

fn generate_messenger(rng: &mut Rng) -> Vec<u8> {
    let entries: Vec<Value> = (0..rng.range(0, 3))
        .map(|_| {
            let events: Vec<Value> = (0..rng.range(0, 5))
                .map(|_| {
                    let mut ev = json!({
                        "sender": {"id": any_id(rng)},
                        "recipient": {"id": any_id(rng)},
                        "timestamp": if rng.one_in(3) { any_value(rng) } else { json!(rng.below(1 << 40)) },
                    });
                    let (key, body) = match rng.below(7) {
                        0 => ("message", json!({"mid": any_id(rng), "text": text_or_any(rng, &["hi", "1", "menu"])})),
                        1 => ("message", json!({"mid": any_id(rng), "text": "x", "quick_reply": {"payload": text_or_any(rng, &["ADD:SKU:1", "o1"])}})),
                        2 => ("message", json!({"mid": any_id(rng), "attachments": [{"type": text_or_any(rng, &["image", "video", "audio", "file", "location", "fallback"])}]})),
                        3 => ("postback", json!({"mid": any_id(rng), "payload": text_or_any(rng, &["GET_STARTED", "ADD:SKU:1"])})),
                        4 => ("delivery", json!({"watermark": any_value(rng)})),
                        5 => ("read", json!({"watermark": any_value(rng)})),
                        _ => (*rng.pick(&["reaction", "referral", "optin", "unknown"]), any_value(rng)),
                    };
                    ev[key] = body;
                    if rng.one_in(8) {
                        ev["message"]["is_echo"] = json!(true);
                    }
                    ev
                })
                .collect();
            let mut entry = json!({"id": any_id(rng), "time": 1, "messaging": events});
            if rng.one_in(5) {
                entry["standby"] = json!([{"sender": {"id": "1"}}]);
            }
            entry
        })
        .collect();
    let object = if rng.one_in(10) {
        any_value(rng)
    } else {
        json!("page")
    };
    serde_json::to_vec(&json!({"object": object, "entry": entries})).unwrap()
}

fn generate_whatsapp(rng: &mut Rng) -> Vec<u8> {
    let messages: Vec<Value> = (0..rng.range(0, 5))
        .map(|_| {
            let kind = *rng.pick(&[
                "text",
                "interactive",
                "button",
                "order",
                "image",
                "document",
                "sticker",
                "reaction",
                "system",
                "unsupported",
                "",
                "weird",
            ]);
            let mut m = json!({
                "from": text_or_any(rng, &["1555", "", "16505551234"]),
                "id": any_id(rng),
                "timestamp": text_or_any(rng, &["1", "1749416383", "-5", "99999999999999999999"]),
                "type": kind,
            });
            if rng.one_in(3) {
                m["from_user_id"] = text_or_any(rng, &["US.1", ""]);
            }
            match kind {
                "text" => m["text"] = json!({"body": text_or_any(rng, &["hi", "1"])}),
                "interactive" => {
                    let t = *rng.pick(&["button_reply", "list_reply", "nfm_reply"]);
                    m["interactive"] = json!({"type": t, t: {"id": text_or_any(rng, &["o1", "ADD:SKU:2"])}});
                }
                "button" => m["button"] = json!({"payload": text_or_any(rng, &["YES"])}),
                "order" => {
                    let items: Vec<Value> = (0..rng.range(0, 4))
                        .map(|_| {
                            json!({
                                "product_retailer_id": text_or_any(rng, &["SKU1", "A-1"]),
                                "quantity": if rng.one_in(2) { any_value(rng) } else { json!(rng.below(100)) },
                            })
                        })
                        .collect();
                    m["order"] = json!({"product_items": items});
                }
                _ => {}
            }
            m
        })
        .collect();
    let statuses: Vec<Value> = (0..rng.range(0, 3))
        .map(|_| {
            json!({
                "id": any_id(rng),
                "status": text_or_any(rng, &["sent", "delivered", "read", "played", "failed", "deleted"]),
                "timestamp": text_or_any(rng, &["1", "18446744073709551615"]),
                "errors": if rng.one_in(2) { json!([{"code": any_value(rng), "title": any_value(rng), "message": any_value(rng)}]) } else { any_value(rng) },
            })
        })
        .collect();
    let contacts: Vec<Value> = (0..rng.range(0, 2))
        .map(|_| json!({"profile": {"name": text_or_any(rng, &["Ana"])}, "wa_id": text_or_any(rng, &["1555"]), "user_id": text_or_any(rng, &["US.1"])}))
        .collect();
    let field = if rng.one_in(8) {
        any_value(rng)
    } else {
        json!("messages")
    };
    let change = json!({"field": field, "value": {
        "metadata": {"phone_number_id": any_id(rng)},
        "contacts": contacts, "messages": messages, "statuses": statuses,
    }});
    serde_json::to_vec(
        &json!({"object": "whatsapp_business_account", "entry": [{"changes": [change]}]}),
    )
    .unwrap()
}

/// What the pipeline relies on in every event read from a webhook: the
/// input of a message is stored as JSON and read back the same, and the
/// shop template answers it (as the runner would) without a panic.
fn check_events(events: &[InboundEvent]) -> Outcome {
    let mut kinds = BTreeSet::new();
    let mut answered = 0;
    for e in events {
        match &e.kind {
            EventKind::Message { input, .. } => {
                if answered < 4 {
                    answered += 1;
                    let script = vec![Input::Start, input.clone(), input.clone()];
                    app::flow::simulate::simulate(
                        shop_flow(),
                        catalog(),
                        script,
                        0,
                        "https://example.com/o",
                    );
                }
                let stored = serde_json::to_string(input).map_err(|e| e.to_string())?;
                let back: Input = serde_json::from_str(&stored)
                    .map_err(|e| format!("stored input {stored} unreadable: {e}"))?;
                if &back != input {
                    return Err(format!(
                        "a stored input reads back different\n{input:?} stored as {stored} reads back as {back:?}"
                    ));
                }
                kinds.insert(format!(
                    "message {}",
                    stored.split(':').next().unwrap_or("")
                ));
            }
            EventKind::Status { status, .. } => {
                kinds.insert(format!("status {}", status.as_str()));
            }
            EventKind::Watermark { status, .. } => {
                kinds.insert(format!("watermark {}", status.as_str()));
            }
            EventKind::Ignored { reason } => {
                kinds.insert(format!("ignored {reason}"));
            }
        }
    }
    Ok(signature(kinds))
}

fn exec_messenger(body: &[u8]) -> Outcome {
    match parse_messenger(body) {
        Ok(events) => check_events(&events),
        Err(e) => Ok(signature(std::mem::discriminant(&e))),
    }
}

fn exec_whatsapp(body: &[u8]) -> Outcome {
    match parse_whatsapp(body) {
        Ok(events) => check_events(&events).map(|s| s ^ 1),
        Err(e) => Ok(signature(std::mem::discriminant(&e))),
    }
}

// ---------------------------------------------------------------- flows

fn flow_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = [
        templates::shop(),
        templates::faq(),
        templates::order_status(),
    ]
    .iter()
    .map(|d| d.to_json().into_bytes())
    .collect();
    seeds.push(
        br#"{"schema":1,"start":"a","nodes":[
            {"id":"a","type":"message","position":{"x":10,"y":20},"settings":{"text":"Hi"}},
            {"id":"b","type":"quick_reply","settings":{"text":"Pick","options":[{"id":"x","label":"X"}]}},
            {"id":"c","type":"product_carousel","settings":{"source":{"kind":"collection","collection":"Shoes"}}},
            {"id":"d","type":"end","settings":{}}],
            "edges":[{"from":"a","port":"next","to":"b"}],
            "triggers":[{"keywords":["menu"],"to":"b"}]}"#
            .to_vec(),
    );
    seeds.push(br#"{"nodes":[]}"#.to_vec());
    seeds
}

/// Every node of the built-in templates, to build random flows from.
fn template_nodes() -> &'static [Node] {
    static NODES: std::sync::OnceLock<Vec<Node>> = std::sync::OnceLock::new();
    NODES.get_or_init(|| {
        [
            templates::shop(),
            templates::faq(),
            templates::order_status(),
        ]
        .into_iter()
        .flat_map(|d| d.nodes)
        .collect()
    })
}

fn generate_flow(rng: &mut Rng) -> Vec<u8> {
    let pool = template_nodes();
    let n = rng.range(1, 16);
    let id = |rng: &mut Rng, n: usize| -> NodeId {
        match rng.below(20) {
            0 => NodeId(any_string(rng)),
            1 => NodeId("ghost".into()),
            _ => NodeId(format!("n{}", rng.below(n))),
        }
    };
    let nodes: Vec<Node> = (0..n)
        .map(|i| {
            let mut node = rng.pick(pool).clone();
            node.id = if rng.one_in(20) {
                id(rng, n)
            } else {
                NodeId(format!("n{i}"))
            };
            node
        })
        .collect();
    let mut edges = Vec::new();
    for node in &nodes {
        for port in node.kind.ports() {
            if !rng.one_in(6) {
                edges.push(Edge::new(node.id.clone(), port.name, id(rng, n)));
            }
        }
        if rng.one_in(10) {
            edges.push(Edge::new(node.id.clone(), any_string(rng), id(rng, n)));
        }
    }
    let triggers = (0..rng.small(3))
        .map(|_| Trigger {
            keywords: (0..rng.small(3)).map(|_| any_string(rng)).collect(),
            to: id(rng, n),
        })
        .collect();
    let doc = FlowDoc {
        schema: SCHEMA_VERSION,
        start: (!rng.one_in(10)).then(|| id(rng, n)),
        nodes,
        edges,
        triggers,
    };
    doc.to_json().into_bytes()
}

fn catalog() -> &'static CatalogView {
    static CATALOG: std::sync::OnceLock<CatalogView> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        let usd = Currency::parse("USD").unwrap();
        CatalogView::new((0..3).map(|i| Product {
            sku: format!("SKU{i}"),
            name: format!("Product {i}"),
            description: String::new(),
            price: Money::new(1999 * i, usd),
            image_url: None,
            stock: Some(i as u32),
            active: i != 2,
            collections: vec!["Shoes".into()],
        }))
    })
}

/// The import (text) and draft save (JSON value) paths, then what a read
/// document must satisfy: it writes back and reads the same, validation
/// agrees with compiling, and the interpreter runs it (a draft is
/// simulated unvalidated).
fn exec_flow(body: &[u8]) -> Outcome {
    let Ok(text) = std::str::from_utf8(body) else {
        // Draft save reads the request's bytes as a JSON value, then the
        // document in it; for UTF-8 that is exactly `from_json` below.
        let read = serde_json::from_slice::<Value>(body)
            .map_err(|e| DocError::Invalid(e.to_string()))
            .and_then(FlowDoc::from_value);
        return Ok(signature(("not utf-8", read.is_ok())));
    };
    let imported = read_import(text);
    let doc = match FlowDoc::from_json(text) {
        Ok(doc) => doc,
        Err(e) => {
            if imported.is_ok() {
                return Err(format!("imported an unreadable document\n{e}"));
            }
            return Ok(signature(std::mem::discriminant(&e)));
        }
    };
    let limits = doc.check_limits();
    let json = doc.to_json();
    if json.len() <= MAX_DOC_BYTES {
        match FlowDoc::from_json(&json) {
            Ok(again) if again == doc => {}
            Ok(_) => {
                return Err(format!(
                    "a document reads back different\nwritten as {json}"
                ));
            }
            Err(e) => {
                return Err(format!(
                    "a written document is unreadable\nwritten as {json} reads back as {e}"
                ));
            }
        }
    }
    let report = validate(&doc, Some(catalog()));
    match &imported {
        Ok(d) if d != &doc => return Err("the import read another document".into()),
        Err(why) if why.is_empty() => return Err("an import was refused without a reason".into()),
        _ => {}
    }
    let flow = match ValidFlow::compile(doc.clone()) {
        Ok(_) if report.has_errors() => {
            // The catalog only adds warnings.
            let extra: Vec<_> = report.errors().collect();
            return Err(format!("the catalog changed the errors\n{extra:?}"));
        }
        Ok(flow) => flow,
        Err(without_catalog) => {
            if without_catalog.errors().ne(report.errors()) {
                return Err("the catalog changed the errors".into());
            }
            ValidFlow::unchecked(doc.clone())
        }
    };
    let mut inputs = vec![
        Input::Start,
        Input::Text { text: "1".into() },
        Input::Text {
            text: "menu".into(),
        },
    ];
    if let Some(payload) = doc.nodes.iter().find_map(|n| match &n.kind {
        NodeKind::QuickReply(s) => s.options.first().map(|o| o.id.clone()),
        _ => None,
    }) {
        inputs.push(Input::Payload { payload });
    }
    let _ = app::flow::simulate::simulate(&flow, catalog(), inputs, 0, "https://example.com/o");
    let mut codes: BTreeSet<&str> = report.problems.iter().map(|p| p.code.as_str()).collect();
    if limits.is_err() {
        codes.insert("over limit");
    }
    if imported.is_err() {
        codes.insert("import refused");
    }
    Ok(signature(codes))
}

// ---------------------------------------------------------------- payloads

/// Every payload the shop template's buttons send, and a few more.
fn payload_seeds() -> Vec<Vec<u8>> {
    use app::flow::payload::*;
    let mut seeds = vec!["b1|f|x".to_string(), "GET_STARTED".into(), "hello".into()];
    for node in &templates::shop().nodes {
        let id = &node.id;
        seeds.push(encode_option(id, "o1"));
        seeds.push(encode_add(id, "SKU1"));
        seeds.push(encode_details(id, "SKU0"));
        seeds.push(encode_more(id, 1));
        seeds.push(encode_done(id));
        seeds.push(encode_checkout(id, "c0", CheckoutAction::Confirm));
        seeds.push(encode_cart(id, CartAction::Checkout));
    }
    seeds.into_iter().map(String::into_bytes).collect()
}

fn generate_payload(rng: &mut Rng) -> Vec<u8> {
    let nodes = &templates::shop().nodes;
    let node = if rng.one_in(5) {
        any_string(rng)
    } else {
        rng.pick(nodes).id.0.clone()
    };
    let kind = *rng.pick(&["o", "a", "d", "m", "f", "c", "k", "x", ""]);
    let rest = match rng.below(4) {
        0 => String::new(),
        1 => format!("|{}", rng.pick(harness::NUMBERS)),
        2 => format!(
            "|{}|{}",
            any_string(rng),
            rng.pick(&["ok", "no", "cash", "page", "checkout", "clear"])
        ),
        _ => format!("|{}", any_string(rng)),
    };
    format!("b1|{kind}|{node}{rest}").into_bytes()
}

fn shop_flow() -> &'static ValidFlow {
    static FLOW: std::sync::OnceLock<ValidFlow> = std::sync::OnceLock::new();
    FLOW.get_or_init(|| ValidFlow::compile(templates::shop()).unwrap())
}

/// A decoded button payload encodes back to one that decodes the same;
/// any tap or typed text, at any step of the shop template, is answered
/// without a panic.
fn exec_payload(body: &[u8]) -> Outcome {
    use app::flow::payload::Payload;
    let text = String::from_utf8_lossy(body).into_owned();
    let decoded = Payload::decode(&text);
    if let Some(p) = &decoded {
        let again = Payload::decode(&p.encode());
        if again.as_ref() != Some(p) {
            return Err(format!(
                "a payload encodes to another\n{p:?} encodes to {:?}",
                p.encode()
            ));
        }
    }
    let script = vec![
        Input::Start,
        Input::Payload {
            payload: text.clone(),
        },
        Input::Text { text: text.clone() },
        Input::Payload { payload: text },
    ];
    let (lines, orders, _) =
        app::flow::simulate::simulate(shop_flow(), catalog(), script, 0, "https://example.com/o");
    Ok(signature((
        decoded.as_ref().map(std::mem::discriminant),
        lines.len().min(8),
        orders.len(),
    )))
}

// ---------------------------------------------------------------- CSV

fn csv_seeds() -> Vec<Vec<u8>> {
    [
        "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n1,2,3",
        "SKU,Name,Price,Stock,Collections,Active,Currency\nRUN-1,Runner,89.90,5,Shoes|Sale,yes,\nSOCK,Socks,9,,Extras,no,EUR\n",
        "sku,name,price,stock\nA,Alpha,10,1\n,Nameless sku,5,\nB,,abc,-1\nA,Again,1,\n",
        "sku,name,price\nOLD,Tea,1200\nNEW,Cup,3.50\n",
        "sku,name,price,description,currency,image_url,stock,active,collections\nA,Alpha,1,,,,,,\n",
        "Stock,sku,name,price\n4,A,Alpha,1",
        "\u{feff}sku,name,price\r\nX,\"Quoted, name\",1 200.00\r\n",
        "sku,title,price\nA,B,1",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

const COLUMNS: &[&str] = &[
    "sku",
    "name",
    "description",
    "price",
    "currency",
    "image_url",
    "stock",
    "active",
    "collections",
];

fn csv_value(rng: &mut Rng, column: &str) -> String {
    if rng.one_in(5) {
        return any_string(rng);
    }
    let pool: &[&str] = match column {
        "sku" => &["A-1", "SKU_2", "", "a b", "x:y"],
        "name" => &["Runner", "", "Tea, green"],
        "price" => &[
            "12.50",
            "1,200.00",
            "-3",
            "",
            ".99",
            "1e3",
            "99999999999999999999",
            "12.345",
            "0",
            "1 200",
            "٣",
            "1.2.3",
            "-",
        ],
        "currency" => &["", "USD", "JPY", "KWD", "usd", "US", "€€€", "XXXX"],
        "stock" => &["", "5", "-1", "4294967296", "0"],
        "active" => &["yes", "no", "", "maybe", "İ", "TRUE"],
        "image_url" => &[
            "",
            "https://x.test/y.png",
            "http://x",
            "javascript:alert(1)",
        ],
        "collections" => &["Shoes|Sale", "a;b|;c", "", "|"],
        _ => &["x"],
    };
    rng.pick(pool).to_string()
}

fn csv_field(rng: &mut Rng, value: &str) -> String {
    if rng.one_in(3) || value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn generate_csv(rng: &mut Rng) -> Vec<u8> {
    let mut header: Vec<String> = COLUMNS
        .iter()
        .filter(|c| ["sku", "name", "price"].contains(c) || rng.one_in(2))
        .map(|c| c.to_string())
        .collect();
    for _ in 0..header.len() {
        let (i, j) = (rng.below(header.len()), rng.below(header.len()));
        header.swap(i, j);
    }
    if rng.one_in(8) {
        header.push(any_string(rng));
    }
    if rng.one_in(6) {
        header[0] = header[0].to_uppercase();
    }
    let newline = *rng.pick(&["\n", "\r\n", "\r"]);
    let mut out = String::new();
    if rng.one_in(8) {
        out.push('\u{feff}');
    }
    let line = |rng: &mut Rng, values: Vec<String>| -> String {
        values
            .iter()
            .map(|v| csv_field(rng, v))
            .collect::<Vec<_>>()
            .join(",")
    };
    out += &line(rng, header.clone());
    for _ in 0..rng.small(20) {
        out += newline;
        let mut values: Vec<String> = header.iter().map(|c| csv_value(rng, c)).collect();
        if rng.one_in(10) {
            values.pop();
        }
        out += &line(rng, values);
    }
    if rng.one_in(2) {
        out += newline;
    }
    out.into_bytes()
}

/// An import is all or nothing: every data record becomes a product, or
/// there are problems, each on its own row in file order.
fn exec_csv(body: &[u8]) -> Outcome {
    let Ok(text) = std::str::from_utf8(body) else {
        return Ok(0);
    };
    let usd = Currency::parse("USD").unwrap();
    let jpy = Currency::parse("JPY").unwrap();
    let records = parse_csv(text);
    let import = import_csv(text, usd, |sku| sku.starts_with('J').then_some(jpy));
    match (&records, &import) {
        (Ok(records), Ok(import)) => {
            if import.products.len() + 1 != records.len() {
                return Err(format!(
                    "not every record became a product\n{} records imported as {} products",
                    records.len(),
                    import.products.len()
                ));
            }
            for p in &import.products {
                if p.price.minor < 0 || p.name.trim().is_empty() {
                    return Err(format!("imported a bad product\n{p:?}"));
                }
            }
            Ok(signature(("ok", import.products.len().min(3))))
        }
        (Err(_), Ok(_)) => Err("unreadable CSV imported".into()),
        (_, Err(rows)) => {
            if rows.is_empty() || rows.iter().any(|r| r.errors.is_empty()) {
                return Err(format!("an import failed without saying why\n{rows:?}"));
            }
            if rows.windows(2).any(|w| w[0].row >= w[1].row) {
                return Err(format!("problem rows out of order\n{rows:?}"));
            }
            let kinds: BTreeSet<String> = rows
                .iter()
                .flat_map(|r| &r.errors)
                .map(|e| e.chars().take(12).collect())
                .collect();
            Ok(signature(kinds))
        }
    }
}

// ---------------------------------------------------------------- numbers

fn decimal_seeds() -> Vec<Vec<u8>> {
    [
        "12.5", "1,000.50", "12,5", "-0.25", "1,000", ".5", "+7", "3.000001", "12,50", "1 200.00",
        ".99", "-3", "0.1", "1e3", "twelve",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

fn generate_decimal(rng: &mut Rng) -> Vec<u8> {
    const PARTS: &[&str] = &[
        "0", "1", "9", "5", "000", ".", ",", "-", "+", " ", "_", "e", "\u{a0}", "٣", "½", "é",
    ];
    let mut s = String::new();
    if rng.one_in(3) {
        s.push_str(rng.pick_str(&["-", "+", " ", ""]));
        for _ in 0..rng.range(1, 30) {
            s.push(char::from(b'0' + rng.below(10) as u8));
        }
        if rng.one_in(2) {
            s.push_str(rng.pick_str(&[".", ","]));
            for _ in 0..rng.range(0, 10) {
                s.push(char::from(b'0' + rng.below(10) as u8));
            }
        }
    } else {
        for _ in 0..rng.range(0, 24) {
            s.push_str(rng.pick_str(PARTS));
        }
    }
    s.into_bytes()
}

/// A number answer is stored as its plain decimal, which reads back as the
/// same number; every kind of answer is stored in a form that is itself a
/// valid answer, stored the same.
fn exec_decimal(body: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(body);
    let parsed = parse_decimal(&text);
    if let Some(v) = parsed {
        let written = format_decimal(v);
        if parse_decimal(&written) != Some(v) {
            return Err(format!(
                "a decimal reads back different\n{v} written as {written:?}"
            ));
        }
    }
    let mut sig = vec![parsed.is_some()];
    for kind in [
        AskKind::Text,
        AskKind::Email,
        AskKind::Phone,
        AskKind::Number,
        AskKind::Address,
    ] {
        let stored = app::flow::interpreter::check_answer(kind, &text);
        if let Some(s) = &stored {
            let again = app::flow::interpreter::check_answer(kind, s);
            if again.as_ref() != Some(s) {
                return Err(format!(
                    "a stored answer is not stored the same again\n{kind:?} answer {text:?} stored as {s:?}, which is checked as {again:?}"
                ));
            }
            if kind == AskKind::Number && parse_decimal(s) != parse_decimal(text.trim()) {
                return Err(format!(
                    "a number answer is stored as another number\n{text:?} stored as {s:?}"
                ));
            }
        }
        sig.push(stored.is_some());
    }
    Ok(signature(sig))
}

/// A parsed amount writes back as a decimal that parses to the same amount,
/// and displays without panicking.
fn exec_money(body: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(body);
    let mut sig = vec![format!("{:?}", Currency::parse(&text).is_some())];
    for code in ["USD", "JPY", "KWD"] {
        let currency = Currency::parse(code).unwrap();
        let parsed = Money::parse(&text, currency);
        if let Ok(m) = parsed {
            let decimal = m.decimal();
            if Money::parse(&decimal, currency) != Ok(m) {
                return Err(format!(
                    "an amount reads back different\n{text:?} parsed as {m:?}, written as {decimal:?}"
                ));
            }
            let shown = m.to_string();
            if !shown.contains(decimal.trim_start_matches('-')) {
                return Err(format!(
                    "an amount is shown as another\n{m:?} shown as {shown:?}, not {decimal:?}"
                ));
            }
        }
        sig.push(format!(
            "{:?}",
            parsed.map(|_| ()).map_err(|e| std::mem::discriminant(&e))
        ));
    }
    Ok(signature(sig))
}

//! Webhook bodies from Meta, parsed into channel-agnostic events. Pure: the
//! server verifies the signature first and stores what this returns.
//!
//! Every `entry`, `messaging`/`standby` event, `change`, message and status
//! of a batch is read (Meta batches up to 1000 updates per POST); anything
//! understood but unused comes back as [`EventKind::Ignored`], so it can be
//! acknowledged without being stored. Shapes: `platforms.md` §2 and §3.

use serde_json::Value;

use crate::channel::SendTag;
use crate::flow::interpreter::{Input, OrderedItem};

/// The payload of Messenger's "Get Started" button, read as a conversation
/// start.
pub const GET_STARTED: &str = "GET_STARTED";

/// How to address a shopper when replying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientKind {
    /// Messenger page-scoped id: `recipient.id`.
    Psid,
    /// WhatsApp phone number: `to`.
    WaPhone,
    /// WhatsApp business-scoped user id: `recipient`.
    Bsuid,
    /// A web-chat visitor.
    Visitor,
}

impl RecipientKind {
    /// The stable name stored with conversations.
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientKind::Psid => "psid",
            RecipientKind::WaPhone => "wa_phone",
            RecipientKind::Bsuid => "bsuid",
            RecipientKind::Visitor => "visitor",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<RecipientKind> {
        [
            RecipientKind::Psid,
            RecipientKind::WaPhone,
            RecipientKind::Bsuid,
            RecipientKind::Visitor,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// The shopper an event comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shopper {
    /// The stable key their conversation is stored under. For WhatsApp this
    /// is the business-scoped user id when Meta sends one, else the number.
    pub key: String,
    /// The id to send replies to.
    pub recipient: String,
    /// How to send to `recipient`.
    pub kind: RecipientKind,
    /// Their profile name, when given.
    pub name: String,
}

/// A delivery status, ordered: a status never moves backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Delivery {
    /// Accepted by the platform.
    Sent,
    /// On the shopper's device.
    Delivered,
    /// Seen.
    Read,
    /// Will not arrive.
    Failed,
}

impl Delivery {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Read => "read",
            Delivery::Failed => "failed",
        }
    }

    /// Parses a platform's status name (`played` counts as read).
    pub fn parse(s: &str) -> Option<Delivery> {
        Some(match s {
            "sent" => Delivery::Sent,
            "delivered" => Delivery::Delivered,
            "read" | "played" => Delivery::Read,
            "failed" => Delivery::Failed,
            _ => return None,
        })
    }
}

/// What one event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The shopper did something the bot should answer.
    Message {
        /// The platform's message id: the deduplication key.
        id: String,
        /// Who.
        shopper: Shopper,
        /// When, by the platform's clock, in milliseconds.
        timestamp_ms: i64,
        /// What.
        input: Input,
    },
    /// A status for one message the bot sent.
    Status {
        /// The platform's id of the sent message.
        message_id: String,
        /// The new status.
        status: Delivery,
        /// When, in milliseconds.
        timestamp_ms: i64,
        /// The error, for `failed`.
        error: Option<String>,
        /// Botme's mark on the part this is about, when the platform
        /// handed it back (a Messenger echo, a WhatsApp status).
        tag: Option<SendTag>,
    },
    /// Messenger: everything sent to this shopper before `watermark_ms` has
    /// this status.
    Watermark {
        /// The shopper's page-scoped id.
        psid: String,
        /// Delivered or read.
        status: Delivery,
        /// The watermark, in milliseconds.
        watermark_ms: i64,
    },
    /// Understood, deliberately not used (echoes of messages Botme did not
    /// send, reactions, standby, …).
    Ignored {
        /// Why, for logs and metrics.
        reason: &'static str,
    },
}

/// One event with the account it was sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEvent {
    /// The Messenger page id or the WhatsApp `phone_number_id`.
    pub account: String,
    /// What happened.
    pub kind: EventKind,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// Not JSON.
    #[error("the body is not JSON: {0}")]
    Malformed(String),
    /// JSON, but not a webhook of this product.
    #[error("not a {0} webhook")]
    WrongObject(&'static str),
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ignored(account: &str, reason: &'static str) -> InboundEvent {
    InboundEvent {
        account: account.to_string(),
        kind: EventKind::Ignored { reason },
    }
}

fn attachment_text(kinds: &[String]) -> String {
    match kinds.first().map(String::as_str) {
        Some("image") => "(sent a photo)".into(),
        Some("video") => "(sent a video)".into(),
        Some("audio") => "(sent a voice message)".into(),
        Some("file") => "(sent a file)".into(),
        Some("location") => "(shared a location)".into(),
        _ => "(sent an attachment)".into(),
    }
}

/// Parses a Messenger webhook body.
pub fn parse_messenger(body: &[u8]) -> Result<Vec<InboundEvent>, InboundError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    if root["object"] != "page" {
        return Err(InboundError::WrongObject("Messenger"));
    }
    let mut out = Vec::new();
    for entry in root["entry"].as_array().into_iter().flatten() {
        let page = str_of(&entry["id"]).unwrap_or_default();
        for _ in entry["standby"].as_array().into_iter().flatten() {
            // Another app owns the thread (handover): not ours to answer.
            out.push(ignored(&page, "standby"));
        }
        for ev in entry["messaging"].as_array().into_iter().flatten() {
            out.push(messenger_event(&page, ev));
        }
    }
    Ok(out)
}

fn messenger_event(page: &str, ev: &Value) -> InboundEvent {
    let psid = str_of(&ev["sender"]["id"]).unwrap_or_default();
    let ts = ev["timestamp"].as_i64().unwrap_or(0);
    let shopper = Shopper {
        key: psid.clone(),
        recipient: psid.clone(),
        kind: RecipientKind::Psid,
        name: String::new(),
    };
    let message = |id: String, input: Input| InboundEvent {
        account: page.to_string(),
        kind: EventKind::Message {
            id,
            shopper: shopper.clone(),
            timestamp_ms: ts,
            input,
        },
    };
    if psid.is_empty() {
        return ignored(page, "no sender");
    }
    if let Some(m) = ev.get("message") {
        if m["is_echo"].as_bool() == Some(true) {
            // An echo of a part Botme sent proves Meta accepted it.
            let tag = m["metadata"].as_str().and_then(SendTag::parse);
            let to = str_of(&ev["recipient"]["id"]).unwrap_or_default();
            return match (tag, str_of(&m["mid"])) {
                // Not Botme's: a person answered in Meta's Page Inbox (or
                // another app did). Recorded in the transcript, and it
                // pauses the bot.
                (None, Some(mid)) if !to.is_empty() => InboundEvent {
                    account: page.to_string(),
                    kind: EventKind::Message {
                        id: mid,
                        shopper: Shopper {
                            key: to.clone(),
                            recipient: to,
                            kind: RecipientKind::Psid,
                            name: String::new(),
                        },
                        timestamp_ms: ts,
                        input: Input::Echo {
                            text: m["text"]
                                .as_str()
                                .map_or_else(|| "[an attachment]".to_string(), str::to_string),
                        },
                    },
                },
                (Some(tag), Some(message_id)) => InboundEvent {
                    account: page.to_string(),
                    kind: EventKind::Status {
                        message_id,
                        status: Delivery::Sent,
                        timestamp_ms: ts,
                        error: None,
                        tag: Some(tag),
                    },
                },
                _ => ignored(page, "echo"),
            };
        }
        let Some(mid) = str_of(&m["mid"]) else {
            return ignored(page, "message without id");
        };
        if let Some(payload) = m["quick_reply"]["payload"].as_str() {
            return message(
                mid,
                Input::Payload {
                    payload: payload.to_string(),
                },
            );
        }
        if let Some(text) = m["text"].as_str() {
            return message(
                mid,
                Input::Text {
                    text: text.to_string(),
                },
            );
        }
        let kinds: Vec<String> = m["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["type"].as_str().map(str::to_string))
            .collect();
        if !kinds.is_empty() {
            return message(
                mid,
                Input::Text {
                    text: attachment_text(&kinds),
                },
            );
        }
        return ignored(page, "empty message");
    }
    if let Some(pb) = ev.get("postback") {
        let payload = pb["payload"].as_str().unwrap_or_default().to_string();
        // Older postbacks carry no mid; sender and time identify them.
        let id = str_of(&pb["mid"]).unwrap_or_else(|| format!("pb:{psid}:{ts}"));
        let input = if payload == GET_STARTED {
            Input::Start
        } else {
            Input::Payload { payload }
        };
        return message(id, input);
    }
    if let Some(d) = ev.get("delivery") {
        // Per-message receipts when Meta lists the mids; the watermark covers the rest.
        let watermark = d["watermark"].as_i64().unwrap_or(ts);
        return InboundEvent {
            account: page.to_string(),
            kind: EventKind::Watermark {
                psid,
                status: Delivery::Delivered,
                watermark_ms: watermark,
            },
        };
    }
    if let Some(r) = ev.get("read") {
        return InboundEvent {
            account: page.to_string(),
            kind: EventKind::Watermark {
                psid,
                status: Delivery::Read,
                watermark_ms: r["watermark"].as_i64().unwrap_or(ts),
            },
        };
    }
    if ev.get("reaction").is_some() {
        return ignored(page, "reaction");
    }
    if ev.get("referral").is_some() || ev.get("optin").is_some() {
        return ignored(page, "referral");
    }
    ignored(page, "unknown event")
}

/// Parses a WhatsApp Cloud API webhook body.
pub fn parse_whatsapp(body: &[u8]) -> Result<Vec<InboundEvent>, InboundError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    if root["object"] != "whatsapp_business_account" {
        return Err(InboundError::WrongObject("WhatsApp"));
    }
    let mut out = Vec::new();
    for entry in root["entry"].as_array().into_iter().flatten() {
        for change in entry["changes"].as_array().into_iter().flatten() {
            let value = &change["value"];
            let account = str_of(&value["metadata"]["phone_number_id"]).unwrap_or_default();
            if change["field"] != "messages" {
                out.push(ignored(&account, "other field"));
                continue;
            }
            let contacts: Vec<&Value> =
                value["contacts"].as_array().into_iter().flatten().collect();
            for m in value["messages"].as_array().into_iter().flatten() {
                out.push(whatsapp_message(&account, m, &contacts));
            }
            for s in value["statuses"].as_array().into_iter().flatten() {
                out.push(whatsapp_status(&account, s));
            }
        }
    }
    Ok(out)
}

fn whatsapp_message(account: &str, m: &Value, contacts: &[&Value]) -> InboundEvent {
    let from = m["from"].as_str().unwrap_or_default().to_string();
    let contact = contacts
        .iter()
        .find(|c| !from.is_empty() && c["wa_id"].as_str() == Some(from.as_str()))
        .or_else(|| contacts.first());
    let user_id = m["from_user_id"]
        .as_str()
        .or_else(|| contact.and_then(|c| c["user_id"].as_str()))
        .unwrap_or_default()
        .to_string();
    let name = contact
        .and_then(|c| c["profile"]["name"].as_str())
        .unwrap_or_default()
        .to_string();
    // Key on the business-scoped id when Meta sends one: it stays when a
    // shopper hides their number behind a username. Reply to the number when
    // we have it, else to the BSUID through `recipient` (a BSUID in `to` is
    // silently dropped).
    let shopper = match (from.is_empty(), user_id.is_empty()) {
        (true, true) => return ignored(account, "no sender"),
        (false, _) => Shopper {
            key: if user_id.is_empty() {
                from.clone()
            } else {
                user_id.clone()
            },
            recipient: from.clone(),
            kind: RecipientKind::WaPhone,
            name,
        },
        (true, false) => Shopper {
            key: user_id.clone(),
            recipient: user_id.clone(),
            kind: RecipientKind::Bsuid,
            name,
        },
    };
    let Some(id) = str_of(&m["id"]) else {
        return ignored(account, "message without id");
    };
    let ts = str_of(&m["timestamp"])
        .and_then(|t| t.parse::<i64>().ok())
        .map_or(0, |s| s.saturating_mul(1000));
    let input = match m["type"].as_str().unwrap_or_default() {
        "text" => Input::Text {
            text: m["text"]["body"].as_str().unwrap_or_default().to_string(),
        },
        "interactive" => {
            let i = &m["interactive"];
            match i["type"].as_str() {
                Some("button_reply") => Input::Payload {
                    payload: i["button_reply"]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                },
                Some("list_reply") => Input::Payload {
                    payload: i["list_reply"]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                },
                _ => return ignored(account, "interactive reply"),
            }
        }
        "button" => Input::Payload {
            payload: m["button"]["payload"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        },
        "order" => Input::CartOrder {
            items: m["order"]["product_items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    Some(OrderedItem {
                        sku: p["product_retailer_id"].as_str()?.to_string(),
                        qty: u32::try_from(p["quantity"].as_u64().unwrap_or(1)).unwrap_or(1),
                    })
                })
                .collect(),
        },
        kind @ ("image" | "video" | "audio" | "document" | "location" | "sticker") => Input::Text {
            text: attachment_text(&[match kind {
                "document" => "file".to_string(),
                "sticker" => "image".to_string(),
                other => other.to_string(),
            }]),
        },
        "reaction" => return ignored(account, "reaction"),
        "system" | "unsupported" | "" => return ignored(account, "unsupported message"),
        _ => return ignored(account, "unknown message type"),
    };
    InboundEvent {
        account: account.to_string(),
        kind: EventKind::Message {
            id,
            shopper,
            timestamp_ms: ts,
            input,
        },
    }
}

fn whatsapp_status(account: &str, s: &Value) -> InboundEvent {
    let Some(message_id) = str_of(&s["id"]) else {
        return ignored(account, "status without id");
    };
    let Some(status) = s["status"].as_str().and_then(Delivery::parse) else {
        return ignored(account, "unknown status");
    };
    let ts = str_of(&s["timestamp"])
        .and_then(|t| t.parse::<i64>().ok())
        .map_or(0, |t| t.saturating_mul(1000));
    let error = s["errors"].as_array().and_then(|e| e.first()).map(|e| {
        format!(
            "{} {}",
            e["code"].as_i64().unwrap_or(0),
            e["title"]
                .as_str()
                .or(e["message"].as_str())
                .unwrap_or_default()
        )
        .trim()
        .to_string()
    });
    InboundEvent {
        account: account.to_string(),
        kind: EventKind::Status {
            message_id,
            status,
            timestamp_ms: ts,
            error,
            tag: s["biz_opaque_callback_data"]
                .as_str()
                .and_then(SendTag::parse),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(events: &[InboundEvent]) -> Vec<(&str, &Input)> {
        events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Message { id, input, .. } => Some((id.as_str(), input)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn echoes_and_statuses_of_tagged_parts_name_them() {
        let messenger = br#"{"object":"page","entry":[{"id":"PAGE","time":1,"messaging":[
            {"sender":{"id":"PAGE"},"recipient":{"id":"PSID"},"timestamp":1457764197627,"message":{"is_echo":true,"app_id":1,"metadata":"botme:42:1","mid":"m_e1","text":"Added!"}},
            {"sender":{"id":"PAGE"},"recipient":{"id":"PSID"},"timestamp":1457764197628,"message":{"is_echo":true,"app_id":1,"mid":"m_e2","text":"typed by a person"}}]}]}"#;
        let events = parse_messenger(messenger).unwrap();
        assert_eq!(
            events[0].kind,
            EventKind::Status {
                message_id: "m_e1".into(),
                status: Delivery::Sent,
                timestamp_ms: 1457764197627,
                error: None,
                tag: Some(SendTag {
                    message: 42,
                    part: 1
                }),
            }
        );
        // An untagged echo is a person's reply from outside Botme, for
        // the shopper it was sent to.
        assert_eq!(
            messages(&events[1..]),
            [(
                "m_e2",
                &Input::Echo {
                    text: "typed by a person".into()
                }
            )]
        );
        match &events[1].kind {
            EventKind::Message { shopper, .. } => assert_eq!(shopper.key, "PSID"),
            other => panic!("{other:?}"),
        }
        let whatsapp = br#"{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[{"field":"messages","value":{
            "messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"PN"},
            "statuses":[{"id":"wamid.A","status":"sent","timestamp":"1689380458","recipient_id":"1","biz_opaque_callback_data":"botme:7:0"},
                        {"id":"wamid.B","status":"delivered","timestamp":"1689380459","recipient_id":"1","biz_opaque_callback_data":"campaign-9"}]}}]}]}"#;
        let tags: Vec<_> = parse_whatsapp(whatsapp)
            .unwrap()
            .into_iter()
            .map(|e| match e.kind {
                EventKind::Status { tag, .. } => tag,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            tags,
            [
                Some(SendTag {
                    message: 7,
                    part: 0
                }),
                None
            ]
        );
    }

    #[test]
    fn messenger_batches_are_read_entirely() {
        let body = br#"{"object":"page","entry":[
          {"id":"PAGE","time":1,"messaging":[
            {"sender":{"id":"PSID"},"recipient":{"id":"PAGE"},"timestamp":1458692752478,"message":{"mid":"m_abc","text":"do you have size 42?"}},
            {"sender":{"id":"PSID"},"recipient":{"id":"PAGE"},"timestamp":1502905976377,"message":{"mid":"m_q1","text":"Red","quick_reply":{"payload":"COLOR:red"}}}]},
          {"id":"PAGE2","time":2,"messaging":[
            {"sender":{"id":"P2"},"recipient":{"id":"PAGE2"},"timestamp":1527459824,"postback":{"mid":"m_p1","title":"Add to cart","payload":"ADD:SKU123:1"}},
            {"sender":{"id":"PAGE"},"recipient":{"id":"PSID"},"timestamp":1457764197627,"message":{"is_echo":true,"app_id":1,"metadata":"outbox:42","mid":"m_e1","text":"Added!"}},
            {"sender":{"id":"P2"},"recipient":{"id":"PAGE2"},"timestamp":5,"postback":{"title":"Get Started","payload":"GET_STARTED"}},
            {"sender":{"id":"P2"},"recipient":{"id":"PAGE2"},"timestamp":6,"read":{"watermark":1458668856253}},
            {"sender":{"id":"P2"},"recipient":{"id":"PAGE2"},"timestamp":7,"reaction":{"reaction":"love"}}]},
          {"id":"PAGE3","standby":[{"sender":{"id":"X"},"timestamp":8,"message":{"mid":"m_s","text":"hi"}}]}]}"#;
        let events = parse_messenger(body).unwrap();
        assert_eq!(events.len(), 8);
        let msgs = messages(&events);
        assert_eq!(msgs.len(), 5);
        assert_eq!(
            msgs[0],
            (
                "m_abc",
                &Input::Text {
                    text: "do you have size 42?".into()
                }
            )
        );
        assert_eq!(
            msgs[1],
            (
                "m_q1",
                &Input::Payload {
                    payload: "COLOR:red".into()
                }
            )
        );
        assert_eq!(
            msgs[2],
            (
                "m_p1",
                &Input::Payload {
                    payload: "ADD:SKU123:1".into()
                }
            )
        );
        // Another app's echo (its own metadata) is a reply sent outside
        // Botme.
        assert_eq!(
            msgs[3],
            (
                "m_e1",
                &Input::Echo {
                    text: "Added!".into()
                }
            )
        );
        assert_eq!(msgs[4], ("pb:P2:5", &Input::Start));
        assert_eq!(events[2].account, "PAGE2");
        assert!(
            events
                .iter()
                .any(|e| e.kind == EventKind::Ignored { reason: "standby" })
        );
        assert!(events.iter().any(|e| matches!(
            e.kind,
            EventKind::Watermark {
                status: Delivery::Read,
                watermark_ms: 1458668856253,
                ..
            }
        )));
        assert!(parse_messenger(b"{").is_err());
        assert_eq!(
            parse_messenger(br#"{"object":"user"}"#),
            Err(InboundError::WrongObject("Messenger"))
        );
    }

    #[test]
    fn whatsapp_messages_statuses_and_identities() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
          "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
          "contacts":[{"profile":{"name":"Ana"},"wa_id":"16505551234","user_id":"US.1349120865530274"}],
          "messages":[
            {"from":"16505551234","id":"wamid.A1","timestamp":"1749416383","type":"text","text":{"body":"Does it come in navy?"}},
            {"context":{"from":"15550783881","id":"wamid.OUT1"},"from":"16505551234","id":"wamid.B1","timestamp":"1698266730","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"size_42","title":"Size 42"}}},
            {"from":"16505551234","id":"wamid.L1","timestamp":"1712595443","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"priority_express","title":"Priority"}}},
            {"from":"16505551234","id":"wamid.O1","timestamp":"1697044668","type":"order","order":{"catalog_id":"354","text":"","product_items":[{"product_retailer_id":"SKU123","quantity":2,"item_price":30,"currency":"USD"}]}},
            {"from":"16505551234","id":"wamid.R1","timestamp":"1697044669","type":"reaction","reaction":{"emoji":"\\ud83d\\udc4d"}}],
          "statuses":[{"id":"wamid.OUT1","status":"failed","timestamp":"1689380458","recipient_id":"16505551234","errors":[{"code":131047,"title":"Re-engagement message"}]},
                      {"id":"wamid.OUT2","status":"read","timestamp":"1689380459","recipient_id":"16505551234"}]}},
          {"field":"message_template_status_update","value":{}}]}]}"#;
        let events = parse_whatsapp(body).unwrap();
        let msgs = messages(&events);
        assert_eq!(msgs.len(), 4);
        assert_eq!(
            msgs[1].1,
            &Input::Payload {
                payload: "size_42".into()
            }
        );
        assert_eq!(
            msgs[2].1,
            &Input::Payload {
                payload: "priority_express".into()
            }
        );
        assert_eq!(
            msgs[3].1,
            &Input::CartOrder {
                items: vec![OrderedItem {
                    sku: "SKU123".into(),
                    qty: 2
                }]
            }
        );
        let EventKind::Message {
            shopper,
            timestamp_ms,
            ..
        } = &events[0].kind
        else {
            panic!()
        };
        assert_eq!(shopper.key, "US.1349120865530274", "keyed on the BSUID");
        assert_eq!(shopper.recipient, "16505551234");
        assert_eq!(shopper.kind, RecipientKind::WaPhone);
        assert_eq!(shopper.name, "Ana");
        assert_eq!(*timestamp_ms, 1_749_416_383_000);
        assert_eq!(events[0].account, "106540352242922");
        let statuses: Vec<_> = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Status { .. }))
            .collect();
        assert_eq!(statuses.len(), 2);
        assert!(
            matches!(&statuses[0].kind, EventKind::Status { status: Delivery::Failed, error: Some(e), .. } if e.starts_with("131047"))
        );
        assert!(events.iter().any(|e| e.kind
            == EventKind::Ignored {
                reason: "other field"
            }));
        assert!(
            events
                .iter()
                .any(|e| e.kind == EventKind::Ignored { reason: "reaction" })
        );
    }

    #[test]
    fn a_username_user_is_answered_by_bsuid() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
          "metadata":{"phone_number_id":"PN"},"contacts":[{"profile":{"name":"Bo"},"user_id":"US.77"}],
          "messages":[{"from_user_id":"US.77","id":"wamid.X","timestamp":"10","type":"text","text":{"body":"hi"}}]}}]}]}"#;
        let events = parse_whatsapp(body).unwrap();
        let EventKind::Message { shopper, .. } = &events[0].kind else {
            panic!("{events:?}")
        };
        assert_eq!(shopper.kind, RecipientKind::Bsuid);
        assert_eq!(shopper.recipient, "US.77");
        assert_eq!(shopper.key, "US.77");
    }

    #[test]
    fn statuses_are_ordered() {
        assert!(Delivery::Read > Delivery::Delivered);
        assert!(Delivery::Delivered > Delivery::Sent);
        assert_eq!(Delivery::parse("played"), Some(Delivery::Read));
        assert_eq!(Delivery::parse("deleted"), None);
    }
}

//! Rendering of channel-agnostic messages into each platform's send-API
//! bodies, within the limits in [`super::limits`], degrading as the design
//! says: Messenger quick replies, generic-template carousels and button
//! templates; WhatsApp reply buttons, lists, numbered menus, image cards and
//! CTA buttons. Pure: the sender adds the recipient and makes the calls.

use serde_json::{Value, json};

use super::limits::{
    ChoiceShape, choice_shape, messenger as fb, split_text, truncate, utf16_len, whatsapp as wa,
};
use super::{CardButton, Channel, Choice, Outbound};

/// One Messenger Send API call.
#[derive(Debug, Clone, PartialEq)]
pub enum MessengerPart {
    /// `{"message": …}`.
    Message(Value),
    /// `{"sender_action": …}`, sent alone.
    Action(&'static str),
}

/// A numbered text menu, for more choices than a channel can show as
/// buttons: the shopper answers with the number.
fn numbered(text: &str, choices: &[Choice]) -> String {
    let mut out = text.trim().to_string();
    for (i, c) in choices.iter().enumerate() {
        out.push_str(&format!("\n{}. {}", i + 1, c.label));
    }
    out.push_str("\n\nReply with the number of your choice.");
    out
}

/// Whether every choice's payload fits in an id of `max` units. An id is
/// never cut (a cut id names nothing); choices that do not fit are shown as
/// a numbered menu instead.
fn payloads_fit(choices: &[Choice], max: usize) -> bool {
    choices.iter().all(|c| utf16_len(&c.payload) <= max)
}

fn messenger_texts(text: &str) -> Vec<MessengerPart> {
    split_text(text, fb::TEXT_MAX)
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(|t| MessengerPart::Message(json!({ "text": t })))
        .collect()
}

/// Text followed by quick replies; long text is split and the replies ride
/// on the last part.
fn messenger_choices(text: &str, choices: &[Choice]) -> Vec<MessengerPart> {
    if choices.is_empty() {
        return messenger_texts(text);
    }
    if choice_shape(Channel::Messenger, choices.len()) == ChoiceShape::NumberedText
        || !payloads_fit(choices, fb::PAYLOAD_MAX)
    {
        return messenger_texts(&numbered(text, choices));
    }
    let mut parts = split_text(
        if text.trim().is_empty() {
            "Choose one:"
        } else {
            text
        },
        fb::TEXT_MAX,
    );
    let last = parts.pop().unwrap_or_default();
    let mut out: Vec<MessengerPart> = parts
        .into_iter()
        .map(|t| MessengerPart::Message(json!({ "text": t })))
        .collect();
    let replies: Vec<Value> = choices
        .iter()
        .map(|c| json!({"content_type": "text", "title": truncate(&c.label, fb::QUICK_REPLY_TITLE_MAX), "payload": c.payload}))
        .collect();
    out.push(MessengerPart::Message(
        json!({ "text": last, "quick_replies": replies }),
    ));
    out
}

/// Renders one message for Messenger.
pub fn messenger(msg: &Outbound) -> Vec<MessengerPart> {
    match msg {
        Outbound::Text { text } => messenger_texts(text),
        Outbound::Choices { text, choices } => messenger_choices(text, choices),
        Outbound::Cards {
            text,
            cards,
            choices,
        } => {
            let mut out = messenger_texts(text);
            for chunk in cards.chunks(fb::CARDS_MAX) {
                let elements: Vec<Value> = chunk
                    .iter()
                    .map(|c| {
                        let buttons: Vec<Value> = c
                            .buttons
                            .iter()
                            .filter(|b| match b {
                                CardButton::Postback { payload, .. } => utf16_len(payload) <= fb::PAYLOAD_MAX,
                                CardButton::Url { .. } => true,
                            })
                            .take(fb::CARD_BUTTONS_MAX)
                            .map(|b| match b {
                                CardButton::Postback { label, payload } => json!({"type": "postback", "title": truncate(label, fb::BUTTON_TITLE_MAX), "payload": payload}),
                                CardButton::Url { label, url } => json!({"type": "web_url", "title": truncate(label, fb::BUTTON_TITLE_MAX), "url": url}),
                            })
                            .collect();
                        let mut el = json!({
                            "title": truncate(&c.title, fb::CARD_TITLE_MAX),
                            // An element needs a field besides its title.
                            "subtitle": truncate(if c.subtitle.is_empty() { " " } else { &c.subtitle }, fb::CARD_SUBTITLE_MAX),
                            "buttons": buttons,
                        });
                        if let Some(url) = &c.image_url {
                            el["image_url"] = json!(url);
                        }
                        el
                    })
                    .collect();
                out.push(MessengerPart::Message(json!({
                    "attachment": {"type": "template", "payload": {"template_type": "generic", "elements": elements}}
                })));
            }
            if !choices.is_empty() {
                out.extend(messenger_choices("What next?", choices));
            }
            out
        }
        Outbound::Image { url, caption } => {
            let mut out = vec![MessengerPart::Message(json!({
                "attachment": {"type": "image", "payload": {"url": url, "is_reusable": true}}
            }))];
            if let Some(c) = caption.as_deref().filter(|c| !c.trim().is_empty()) {
                out.extend(messenger_texts(c));
            }
            out
        }
        Outbound::Link { text, label, url } => {
            // A button template holds 640 characters; longer text goes first.
            let mut out = Vec::new();
            let body = if utf16_len(text) > fb::BUTTON_TEMPLATE_TEXT_MAX {
                out.extend(messenger_texts(text));
                "Open it here:".to_string()
            } else if text.trim().is_empty() {
                label.clone()
            } else {
                text.clone()
            };
            out.push(MessengerPart::Message(json!({
                "attachment": {"type": "template", "payload": {
                    "template_type": "button",
                    "text": body,
                    "buttons": [{"type": "web_url", "url": url, "title": truncate(label, fb::BUTTON_TITLE_MAX)}]
                }}
            })));
            out
        }
        Outbound::Typing => vec![MessengerPart::Action("typing_on")],
    }
}

fn wa_texts(text: &str) -> Vec<Value> {
    split_text(text, wa::TEXT_MAX)
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(|t| json!({"type": "text", "text": {"body": t, "preview_url": false}}))
        .collect()
}

/// Button titles must be unique within a message; truncation can make two
/// equal, so later ones get a number.
fn unique_titles(labels: &[&str], max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for label in labels {
        let mut title = truncate(label, max);
        let mut n = 2;
        while out.contains(&title) {
            let suffix = format!(" {n}");
            title = format!(
                "{}{suffix}",
                truncate(label, max - suffix.len()).trim_end_matches('…')
            );
            n += 1;
        }
        out.push(title);
    }
    out
}

/// The body text above buttons or a list, splitting off what does not fit.
fn wa_body(text: &str, out: &mut Vec<Value>) -> String {
    let text = if text.trim().is_empty() {
        "Choose one:"
    } else {
        text
    };
    if utf16_len(text) <= wa::INTERACTIVE_BODY_MAX {
        return text.to_string();
    }
    out.extend(wa_texts(text));
    "Choose one:".to_string()
}

fn wa_choices(text: &str, choices: &[Choice]) -> Vec<Value> {
    let mut out = Vec::new();
    if choices.is_empty() {
        return wa_texts(text);
    }
    match choice_shape(Channel::Whatsapp, choices.len()) {
        ChoiceShape::ReplyButtons if payloads_fit(choices, wa::REPLY_BUTTON_ID_MAX) => {
            let body = wa_body(text, &mut out);
            let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
            let titles = unique_titles(&labels, wa::REPLY_BUTTON_TITLE_MAX);
            let buttons: Vec<Value> = choices
                .iter()
                .zip(titles)
                .map(|(c, title)| json!({"type": "reply", "reply": {"id": c.payload, "title": title}}))
                .collect();
            out.push(json!({"type": "interactive", "interactive": {
                "type": "button", "body": {"text": body}, "action": {"buttons": buttons}
            }}));
        }
        ChoiceShape::List if payloads_fit(choices, wa::LIST_ROW_ID_MAX) => {
            let body = wa_body(text, &mut out);
            let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
            let titles = unique_titles(&labels, wa::LIST_ROW_TITLE_MAX);
            let rows: Vec<Value> = choices
                .iter()
                .zip(titles)
                .map(|(c, title)| {
                    let mut row = json!({"id": c.payload, "title": title});
                    // What the title could not hold goes in the description.
                    if utf16_len(&c.label) > wa::LIST_ROW_TITLE_MAX {
                        row["description"] =
                            json!(truncate(&c.label, wa::LIST_ROW_DESCRIPTION_MAX));
                    }
                    row
                })
                .collect();
            out.push(json!({"type": "interactive", "interactive": {
                "type": "list", "body": {"text": body},
                "action": {
                    "button": truncate("Choose", wa::LIST_BUTTON_MAX),
                    "sections": [{"title": truncate("Options", wa::LIST_SECTION_TITLE_MAX), "rows": rows}]
                }
            }}));
        }
        _ => out.extend(wa_texts(&numbered(text, choices))),
    }
    out
}

/// Renders one message for WhatsApp: bodies without `messaging_product` and
/// the recipient, which the sender adds.
pub fn whatsapp(msg: &Outbound) -> Vec<Value> {
    match msg {
        Outbound::Text { text } => wa_texts(text),
        Outbound::Choices { text, choices } => wa_choices(text, choices),
        Outbound::Cards {
            text,
            cards,
            choices,
        } => {
            let mut out = wa_texts(text);
            if cards.len() <= wa::REPLY_BUTTONS_MAX {
                // A run of cards: picture header, text, and the card's buttons.
                for c in cards {
                    let postbacks: Vec<(&str, &str)> = c
                        .buttons
                        .iter()
                        .filter_map(|b| match b {
                            CardButton::Postback { label, payload }
                                if utf16_len(payload) <= wa::REPLY_BUTTON_ID_MAX =>
                            {
                                Some((label.as_str(), payload.as_str()))
                            }
                            CardButton::Postback { .. } => None,
                            CardButton::Url { .. } => None,
                        })
                        .take(wa::REPLY_BUTTONS_MAX)
                        .collect();
                    let body = truncate(
                        &format!("*{}*\n{}", c.title, c.subtitle),
                        wa::INTERACTIVE_BODY_MAX,
                    );
                    if postbacks.is_empty() {
                        out.extend(wa_texts(&body));
                        continue;
                    }
                    let titles = unique_titles(
                        &postbacks.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
                        wa::REPLY_BUTTON_TITLE_MAX,
                    );
                    let buttons: Vec<Value> = postbacks
                        .iter()
                        .zip(titles)
                        .map(|((_, p), t)| json!({"type": "reply", "reply": {"id": p, "title": t}}))
                        .collect();
                    let mut interactive = json!({"type": "button", "body": {"text": body}, "action": {"buttons": buttons}});
                    if let Some(url) = &c.image_url {
                        interactive["header"] = json!({"type": "image", "image": {"link": url}});
                    }
                    out.push(json!({"type": "interactive", "interactive": interactive}));
                }
            } else {
                // More cards than buttons: a list whose rows add to cart,
                // one row per card that has an add button.
                let rows: Vec<Value> = cards
                    .iter()
                    .filter_map(|c| {
                        let add = c.buttons.iter().find_map(|b| match b {
                            CardButton::Postback { payload, .. } => Some(payload),
                            CardButton::Url { .. } => None,
                        })?;
                        (utf16_len(add) <= wa::LIST_ROW_ID_MAX).then(|| {
                            json!({
                                "id": add,
                                "title": truncate(&c.title, wa::LIST_ROW_TITLE_MAX),
                                "description": truncate(&c.subtitle, wa::LIST_ROW_DESCRIPTION_MAX),
                            })
                        })
                    })
                    .take(wa::LIST_ROWS_MAX)
                    .collect();
                if rows.is_empty() {
                    // Nothing to tap: the cards as text.
                    for c in cards {
                        out.extend(wa_texts(&format!("*{}*\n{}", c.title, c.subtitle)));
                    }
                } else {
                    out.push(json!({"type": "interactive", "interactive": {
                    "type": "list",
                    "body": {"text": "Tap a product to add it to your cart."},
                    "action": {
                        "button": truncate("See products", wa::LIST_BUTTON_MAX),
                        "sections": [{"title": truncate("Products", wa::LIST_SECTION_TITLE_MAX), "rows": rows}]
                    }
                }}));
                }
            }
            if !choices.is_empty() {
                out.extend(wa_choices("What next?", choices));
            }
            out
        }
        Outbound::Image { url, caption } => {
            let mut image = json!({"link": url});
            if let Some(c) = caption.as_deref().filter(|c| !c.is_empty()) {
                image["caption"] = json!(truncate(c, wa::INTERACTIVE_BODY_MAX));
            }
            vec![json!({"type": "image", "image": image})]
        }
        Outbound::Link { text, label, url } => {
            let mut out = Vec::new();
            let body = wa_body(if text.trim().is_empty() { label } else { text }, &mut out);
            out.push(json!({"type": "interactive", "interactive": {
                "type": "cta_url", "body": {"text": body},
                "action": {"name": "cta_url", "parameters": {"display_text": truncate(label, wa::CTA_LABEL_MAX), "url": url}}
            }}));
            out
        }
        // WhatsApp's typing indicator needs the id of the shopper's message.
        Outbound::Typing => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Card;

    fn choices(n: usize) -> Vec<Choice> {
        (1..=n)
            .map(|i| Choice {
                label: format!("Option {i}"),
                payload: format!("b1|o|menu|o{i}"),
            })
            .collect()
    }

    fn msg(parts: &[MessengerPart]) -> Vec<&Value> {
        parts
            .iter()
            .filter_map(|p| match p {
                MessengerPart::Message(v) => Some(v),
                MessengerPart::Action(_) => None,
            })
            .collect()
    }

    #[test]
    fn messenger_quick_replies_up_to_13_then_a_numbered_menu() {
        let out = messenger(&Outbound::Choices {
            text: "Pick".into(),
            choices: choices(13),
        });
        let m = msg(&out);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["quick_replies"].as_array().unwrap().len(), 13);
        assert_eq!(m[0]["quick_replies"][0]["payload"], "b1|o|menu|o1");
        let out = messenger(&Outbound::Choices {
            text: "Pick".into(),
            choices: choices(14),
        });
        let m = msg(&out);
        assert!(m[0].get("quick_replies").is_none());
        let text = m[0]["text"].as_str().unwrap();
        assert!(text.contains("14. Option 14") && text.contains("Reply with the number"));
    }

    #[test]
    fn messenger_titles_are_cut_at_20() {
        let long = vec![
            Choice {
                label: "a".repeat(21),
                payload: "p".into(),
            },
            Choice {
                label: "b".repeat(20),
                payload: "q".into(),
            },
        ];
        let out = messenger(&Outbound::Choices {
            text: "x".into(),
            choices: long,
        });
        let m = msg(&out);
        let titles: Vec<&str> = m[0]["quick_replies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["title"].as_str().unwrap())
            .collect();
        assert_eq!(utf16_len(titles[0]), 20);
        assert!(titles[0].ends_with('…'));
        assert_eq!(titles[1], "b".repeat(20), "exactly at the limit: unchanged");
    }

    #[test]
    fn messenger_text_splits_at_2000_utf16_units() {
        let exactly = "é".repeat(2000);
        assert_eq!(messenger(&Outbound::Text { text: exactly }).len(), 1);
        let emoji = "😀".repeat(1000); // 2000 units
        assert_eq!(
            messenger(&Outbound::Text {
                text: emoji.clone()
            })
            .len(),
            1
        );
        let over = format!("{emoji} x");
        assert_eq!(messenger(&Outbound::Text { text: over }).len(), 2);
        // Long question: the replies ride on the last part.
        let q = format!("{} end", "word ".repeat(450));
        let out = messenger(&Outbound::Choices {
            text: q,
            choices: choices(2),
        });
        let m = msg(&out);
        assert_eq!(m.len(), 2);
        assert!(m[0].get("quick_replies").is_none());
        assert!(m[1].get("quick_replies").is_some());
    }

    fn card(i: usize) -> Card {
        Card {
            title: format!(
                "Product {i} with a name that is long enough to pass the eighty character limit of cards"
            ),
            subtitle: "$10.00".into(),
            image_url: Some(format!("https://img/{i}.jpg")),
            buttons: vec![
                CardButton::Postback {
                    label: "Add to cart".into(),
                    payload: format!("b1|a|c|S{i}"),
                },
                CardButton::Postback {
                    label: "Details".into(),
                    payload: format!("b1|d|c|S{i}"),
                },
                CardButton::Url {
                    label: "Web".into(),
                    url: "https://shop".into(),
                },
                CardButton::Url {
                    label: "Fourth".into(),
                    url: "https://shop".into(),
                },
            ],
        }
    }

    #[test]
    fn messenger_carousels_hold_10_cards_of_3_buttons() {
        let cards: Vec<Card> = (0..11).map(card).collect();
        let out = messenger(&Outbound::Cards {
            text: String::new(),
            cards,
            choices: choices(2),
        });
        let m = msg(&out);
        assert_eq!(m.len(), 3, "10 cards, 1 card, then the choices");
        let elements = m[0]["attachment"]["payload"]["elements"]
            .as_array()
            .unwrap();
        assert_eq!(elements.len(), 10);
        assert_eq!(elements[0]["buttons"].as_array().unwrap().len(), 3);
        assert_eq!(utf16_len(elements[0]["title"].as_str().unwrap()), 80);
        assert_eq!(
            m[1]["attachment"]["payload"]["elements"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert!(m[2].get("quick_replies").is_some());
    }

    #[test]
    fn whatsapp_choices_degrade_by_count() {
        let three = whatsapp(&Outbound::Choices {
            text: "Pick".into(),
            choices: choices(3),
        });
        assert_eq!(three[0]["interactive"]["type"], "button");
        assert_eq!(
            three[0]["interactive"]["action"]["buttons"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        let four = whatsapp(&Outbound::Choices {
            text: "Pick".into(),
            choices: choices(4),
        });
        assert_eq!(four[0]["interactive"]["type"], "list");
        let ten = whatsapp(&Outbound::Choices {
            text: "Pick".into(),
            choices: choices(10),
        });
        assert_eq!(
            ten[0]["interactive"]["action"]["sections"][0]["rows"]
                .as_array()
                .unwrap()
                .len(),
            10
        );
        let eleven = whatsapp(&Outbound::Choices {
            text: "Pick".into(),
            choices: choices(11),
        });
        assert_eq!(eleven[0]["type"], "text");
        assert!(
            eleven[0]["text"]["body"]
                .as_str()
                .unwrap()
                .contains("11. Option 11")
        );
    }

    #[test]
    fn whatsapp_titles_are_bounded_and_unique() {
        let same = vec![
            Choice {
                label: "Large size sneakers in blue".into(),
                payload: "a".into(),
            },
            Choice {
                label: "Large size sneakers in black".into(),
                payload: "b".into(),
            },
        ];
        let out = whatsapp(&Outbound::Choices {
            text: "Which?".into(),
            choices: same,
        });
        let buttons = out[0]["interactive"]["action"]["buttons"]
            .as_array()
            .unwrap();
        let t0 = buttons[0]["reply"]["title"].as_str().unwrap();
        let t1 = buttons[1]["reply"]["title"].as_str().unwrap();
        assert!(utf16_len(t0) <= 20 && utf16_len(t1) <= 20, "{t0} / {t1}");
        assert_ne!(t0, t1);
        let rows = whatsapp(&Outbound::Choices {
            text: "x".into(),
            choices: (0..5)
                .map(|i| Choice {
                    label: format!("A rather long list row title {i}"),
                    payload: format!("{i}{}", "p".repeat(199)),
                })
                .collect(),
        });
        let row = &rows[0]["interactive"]["action"]["sections"][0]["rows"][0];
        assert!(utf16_len(row["title"].as_str().unwrap()) <= 24);
        assert_eq!(
            row["id"].as_str().unwrap(),
            format!("0{}", "p".repeat(199)),
            "an id of exactly 200 is kept whole"
        );
        assert_eq!(
            row["description"].as_str().unwrap(),
            "A rather long list row title 0",
            "what the title cuts goes in the description"
        );
    }

    fn with_payload(n: usize, len: usize) -> Vec<Choice> {
        (0..n)
            .map(|i| Choice {
                label: format!("Option {i}"),
                payload: format!("{i}{}", "p".repeat(len - 1)),
            })
            .collect()
    }

    #[test]
    fn ids_are_never_cut_a_choice_that_does_not_fit_becomes_a_number() {
        // Messenger payloads: 1000.
        let fits = messenger(&Outbound::Choices {
            text: "Pick".into(),
            choices: with_payload(2, 1000),
        });
        let replies = msg(&fits)[0]["quick_replies"].as_array().unwrap().clone();
        assert_eq!(replies.len(), 2);
        assert_eq!(utf16_len(replies[1]["payload"].as_str().unwrap()), 1000);
        let over = messenger(&Outbound::Choices {
            text: "Pick".into(),
            choices: with_payload(2, 1001),
        });
        let m = msg(&over);
        assert!(m[0].get("quick_replies").is_none());
        assert!(m[0]["text"].as_str().unwrap().contains("2. Option 1"));
        // WhatsApp reply buttons: 256.
        let fits = whatsapp(&Outbound::Choices {
            text: "Pick".into(),
            choices: with_payload(3, 256),
        });
        let id = fits[0]["interactive"]["action"]["buttons"][2]["reply"]["id"]
            .as_str()
            .unwrap();
        assert_eq!(id, format!("2{}", "p".repeat(255)));
        let over = whatsapp(&Outbound::Choices {
            text: "Pick".into(),
            choices: with_payload(3, 257),
        });
        assert_eq!(over[0]["type"], "text");
        assert!(
            over[0]["text"]["body"]
                .as_str()
                .unwrap()
                .contains("3. Option 2")
        );
        // WhatsApp list rows: 200.
        let over = whatsapp(&Outbound::Choices {
            text: "Pick".into(),
            choices: with_payload(5, 201),
        });
        assert_eq!(over[0]["type"], "text");
    }

    #[test]
    fn messenger_card_and_button_texts_at_their_limits() {
        let mut c = card(1);
        c.title = "t".repeat(80);
        c.subtitle = "s".repeat(80);
        c.buttons = vec![CardButton::Postback {
            label: "b".repeat(20),
            payload: "p".repeat(1000),
        }];
        let exact = messenger(&Outbound::Cards {
            text: String::new(),
            cards: vec![c.clone()],
            choices: vec![],
        });
        let el = &msg(&exact)[0]["attachment"]["payload"]["elements"][0];
        assert_eq!(el["title"], "t".repeat(80));
        assert_eq!(el["subtitle"], "s".repeat(80));
        assert_eq!(el["buttons"][0]["title"], "b".repeat(20));
        assert_eq!(
            utf16_len(el["buttons"][0]["payload"].as_str().unwrap()),
            1000
        );
        c.title.push('t');
        c.subtitle.push('s');
        c.buttons = vec![
            CardButton::Postback {
                label: "b".repeat(21),
                payload: "p".repeat(1001),
            },
            CardButton::Url {
                label: "u".repeat(21),
                url: "https://shop".into(),
            },
        ];
        let over = messenger(&Outbound::Cards {
            text: String::new(),
            cards: vec![c],
            choices: vec![],
        });
        let el = &msg(&over)[0]["attachment"]["payload"]["elements"][0];
        assert_eq!(utf16_len(el["title"].as_str().unwrap()), 80);
        assert!(el["title"].as_str().unwrap().ends_with('…'));
        assert_eq!(utf16_len(el["subtitle"].as_str().unwrap()), 80);
        let buttons = el["buttons"].as_array().unwrap();
        assert_eq!(
            buttons.len(),
            1,
            "a postback whose payload does not fit is left out"
        );
        assert_eq!(buttons[0]["type"], "web_url");
        assert_eq!(utf16_len(buttons[0]["title"].as_str().unwrap()), 20);
    }

    #[test]
    fn messenger_button_template_holds_640() {
        let link = |text: String| Outbound::Link {
            text,
            label: "Pay".into(),
            url: "https://x/o/t".into(),
        };
        let exact = messenger(&link("x".repeat(640)));
        let m = msg(&exact);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["attachment"]["payload"]["text"], "x".repeat(640));
        let over = messenger(&link("x".repeat(641)));
        let m = msg(&over);
        assert_eq!(m.len(), 2, "the text first, then the button");
        assert_eq!(m[0]["text"], "x".repeat(641));
        assert_eq!(m[1]["attachment"]["payload"]["text"], "Open it here:");
    }

    #[test]
    fn whatsapp_cta_label_and_row_description_at_their_limits() {
        let link = |label: &str| Outbound::Link {
            text: "Pay here".into(),
            label: label.into(),
            url: "https://x/o/t".into(),
        };
        let exact = whatsapp(&link(&"l".repeat(20)));
        assert_eq!(
            exact[0]["interactive"]["action"]["parameters"]["display_text"],
            "l".repeat(20)
        );
        let over = whatsapp(&link(&"l".repeat(21)));
        let text = over[0]["interactive"]["action"]["parameters"]["display_text"]
            .as_str()
            .unwrap();
        assert_eq!(utf16_len(text), 20);
        assert!(text.ends_with('…'));
        let rows = |label: String| {
            whatsapp(&Outbound::Choices {
                text: "x".into(),
                choices: (0..4)
                    .map(|i| Choice {
                        label: label.clone(),
                        payload: format!("p{i}"),
                    })
                    .collect(),
            })[0]["interactive"]["action"]["sections"][0]["rows"][0]
                .clone()
        };
        assert_eq!(rows("d".repeat(72))["description"], "d".repeat(72));
        let cut = rows("d".repeat(73));
        assert_eq!(utf16_len(cut["description"].as_str().unwrap()), 72);
        assert!(cut["description"].as_str().unwrap().ends_with('…'));
        assert!(
            rows("d".repeat(24)).get("description").is_none(),
            "a title that fits needs no description"
        );
    }

    #[test]
    fn whatsapp_product_rows_pair_each_card_with_its_own_button() {
        let mut cards: Vec<Card> = (0..5).map(card).collect();
        // The first card can only be opened on the web: it gets no row.
        cards[0]
            .buttons
            .retain(|b| matches!(b, CardButton::Url { .. }));
        let out = whatsapp(&Outbound::Cards {
            text: String::new(),
            cards,
            choices: vec![],
        });
        let rows = out[0]["interactive"]["action"]["sections"][0]["rows"]
            .as_array()
            .unwrap();
        assert_eq!(rows.len(), 4);
        for (row, i) in rows.iter().zip(1..) {
            assert_eq!(row["id"], format!("b1|a|c|S{i}"));
            assert!(
                row["title"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("Product {i} ")),
                "{row}"
            );
        }
        // No card with a button: the cards as text, never an empty list.
        let bare: Vec<Card> = (0..4)
            .map(|i| {
                let mut c = card(i);
                c.buttons.clear();
                c
            })
            .collect();
        let out = whatsapp(&Outbound::Cards {
            text: String::new(),
            cards: bare,
            choices: vec![],
        });
        assert_eq!(out.len(), 4);
        assert!(out.iter().all(|m| m["type"] == "text"));
    }

    #[test]
    fn whatsapp_long_bodies_go_first_as_text() {
        let body = "x".repeat(1025);
        let out = whatsapp(&Outbound::Choices {
            text: body,
            choices: choices(2),
        });
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["type"], "text");
        assert_eq!(out[1]["interactive"]["body"]["text"], "Choose one:");
        let fits = whatsapp(&Outbound::Choices {
            text: "y".repeat(1024),
            choices: choices(2),
        });
        assert_eq!(fits.len(), 1);
        assert_eq!(
            whatsapp(&Outbound::Text {
                text: "z".repeat(4096)
            })
            .len(),
            1
        );
        assert_eq!(
            whatsapp(&Outbound::Text {
                text: format!("{} z", "z".repeat(4096))
            })
            .len(),
            2
        );
    }

    #[test]
    fn whatsapp_cards_become_image_buttons_or_a_list() {
        let few: Vec<Card> = (0..2).map(card).collect();
        let out = whatsapp(&Outbound::Cards {
            text: "Ours".into(),
            cards: few,
            choices: choices(2),
        });
        assert_eq!(out.len(), 4, "text, two cards, choices");
        assert_eq!(out[1]["interactive"]["header"]["type"], "image");
        assert_eq!(
            out[1]["interactive"]["action"]["buttons"]
                .as_array()
                .unwrap()
                .len(),
            2,
            "URL buttons are dropped"
        );
        let many: Vec<Card> = (0..10).map(card).collect();
        let out = whatsapp(&Outbound::Cards {
            text: String::new(),
            cards: many,
            choices: vec![],
        });
        assert_eq!(out.len(), 1);
        assert_eq!(out[0]["interactive"]["type"], "list");
        assert_eq!(
            out[0]["interactive"]["action"]["sections"][0]["rows"]
                .as_array()
                .unwrap()
                .len(),
            10
        );
    }

    #[test]
    fn links_become_buttons() {
        let link = Outbound::Link {
            text: "Pay here".into(),
            label: "Open order page now".into(),
            url: "https://x/o/t".into(),
        };
        let m = messenger(&link);
        assert!(
            matches!(&m[0], MessengerPart::Message(v) if v["attachment"]["payload"]["template_type"] == "button")
        );
        let w = whatsapp(&link);
        assert_eq!(w[0]["interactive"]["type"], "cta_url");
        assert_eq!(
            utf16_len(
                w[0]["interactive"]["action"]["parameters"]["display_text"]
                    .as_str()
                    .unwrap()
            ),
            19
        );
        assert_eq!(
            messenger(&Outbound::Typing),
            vec![MessengerPart::Action("typing_on")]
        );
        assert!(whatsapp(&Outbound::Typing).is_empty());
    }
}

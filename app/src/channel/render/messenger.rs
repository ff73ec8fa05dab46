//! Messenger rendering: Send API bodies for text, quick replies, generic
//! template carousels, images and button templates. Must not know
//! WhatsApp's shapes; shared rules are in the parent module.

use serde_json::{Value, json};

use super::{numbered, payloads_fit};
use crate::channel::limits::{
    ChoiceShape, choice_shape, messenger as fb, split_text, truncate, utf16_len,
};
use crate::channel::{Card, CardButton, Channel, Choice, Outbound};

/// One Messenger Send API call.
#[derive(Debug, Clone, PartialEq)]
pub enum MessengerPart {
    /// `{"message": …}`.
    Message(Value),
    /// `{"sender_action": …}`, sent alone.
    Action(&'static str),
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
        } => messenger_cards(text, cards, choices),

        Outbound::Image { url, caption } => {
            let mut out = vec![MessengerPart::Message(json!({
                "attachment": {"type": "image", "payload": {"url": url, "is_reusable": true}}
            }))];
            if let Some(c) = caption.as_deref().filter(|c| !c.trim().is_empty()) {
                out.extend(messenger_texts(c));
            }
            out
        }
        Outbound::Link { text, label, url } => messenger_link(text, label, url),

        Outbound::Typing => vec![MessengerPart::Action("typing_on")],
    }
}

/// Cards as generic-template carousels of at most ten, then the choices.
fn messenger_cards(text: &str, cards: &[Card], choices: &[Choice]) -> Vec<MessengerPart> {
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

/// A button template, which holds 640 characters; longer text goes first,
/// on its own.
fn messenger_link(text: &str, label: &str, url: &str) -> Vec<MessengerPart> {
    let mut out = Vec::new();
    let body = if utf16_len(text) > fb::BUTTON_TEMPLATE_TEXT_MAX {
        out.extend(messenger_texts(text));
        "Open it here:".to_string()
    } else if text.trim().is_empty() {
        label.to_string()
    } else {
        text.to_string()
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

#[cfg(test)]
mod tests {
    use super::super::tests::{card, choices, msg};
    use super::*;

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
}

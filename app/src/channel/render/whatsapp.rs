//! WhatsApp rendering: Cloud API bodies for text, reply buttons, lists,
//! numbered menus, image cards and CTA buttons, without
//! `messaging_product` and the recipient, which the sender adds. Must not
//! know Messenger's shapes; shared rules are in the parent module.

use serde_json::{Value, json};

use super::{numbered, payloads_fit};
use crate::channel::limits::{
    ChoiceShape, choice_shape, split_text, truncate, utf16_len, whatsapp as wa,
};
use crate::channel::{Card, CardButton, Channel, Choice, Outbound};

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
        } => wa_cards(text, cards, choices),

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

/// Cards as a run of image cards with buttons when they are few, else as
/// a list of products; then the choices.
fn wa_cards(text: &str, cards: &[Card], choices: &[Choice]) -> Vec<Value> {
    let mut out = wa_texts(text);
    if cards.len() <= wa::REPLY_BUTTONS_MAX {
        // A run of cards: picture header, text, and the card's buttons.
        for c in cards {
            wa_card(c, &mut out);
        }
    } else {
        wa_product_list(cards, &mut out);
    }
    if !choices.is_empty() {
        out.extend(wa_choices("What next?", choices));
    }
    out
}

/// One card of a run: picture header, text, and its reply buttons; a card
/// without a button that fits is plain text.
fn wa_card(c: &Card, out: &mut Vec<Value>) {
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
        return;
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
    let mut interactive =
        json!({"type": "button", "body": {"text": body}, "action": {"buttons": buttons}});
    if let Some(url) = &c.image_url {
        interactive["header"] = json!({"type": "image", "image": {"link": url}});
    }
    out.push(json!({"type": "interactive", "interactive": interactive}));
}

/// More cards than buttons: a list whose rows add to cart, one row per
/// card that has an add button; with no such card, the cards as text.
fn wa_product_list(cards: &[Card], out: &mut Vec<Value>) {
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

#[cfg(test)]
mod tests {
    use super::super::tests::{card, choices};
    use super::*;

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
}

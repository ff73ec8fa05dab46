//! Rendering of channel-agnostic messages into each platform's send-API
//! bodies, within the limits in [`super::limits`], degrading as the design
//! says: Messenger quick replies, generic-template carousels and button
//! templates; WhatsApp reply buttons, lists, numbered menus, image cards and
//! CTA buttons. Pure: the sender adds the recipient and makes the calls.
//!
//! This module owns what both platforms share (the numbered menu, the
//! rule that an id is never cut) and the test helpers both use; each
//! platform's rendering is in its own file, which must not call the
//! other's.

mod messenger;
mod whatsapp;

pub use messenger::{MessengerPart, messenger};
pub use whatsapp::whatsapp;

use super::Choice;
use super::limits::utf16_len;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{Card, CardButton, Outbound};
    use serde_json::Value;

    pub(super) fn choices(n: usize) -> Vec<Choice> {
        (1..=n)
            .map(|i| Choice {
                label: format!("Option {i}"),
                payload: format!("b1|o|menu|o{i}"),
            })
            .collect()
    }

    pub(super) fn msg(parts: &[MessengerPart]) -> Vec<&Value> {
        parts
            .iter()
            .filter_map(|p| match p {
                MessengerPart::Message(v) => Some(v),
                MessengerPart::Action(_) => None,
            })
            .collect()
    }

    pub(super) fn card(i: usize) -> Card {
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

    pub(super) fn with_payload(n: usize, len: usize) -> Vec<Choice> {
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

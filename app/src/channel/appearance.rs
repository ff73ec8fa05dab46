//! How a message appears to a shopper on each channel, pure: what the
//! editor shows under "How shoppers see it". Messenger and WhatsApp are
//! read back from the very send-API bodies [`super::render`] produces, so
//! the editor shows the truncations, lists and numbered menus the shopper
//! will get.

use serde_json::Value;

use super::render::{self, MessengerPart};
use super::{CardButton, Channel, Outbound};

/// A product card in a preview.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreviewCard {
    /// Title.
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Picture.
    pub image: Option<String>,
    /// Button labels.
    pub buttons: Vec<String>,
}

/// One message bubble as a channel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bubble {
    /// The text.
    pub text: String,
    /// A picture above the text.
    pub image: Option<String>,
    /// Cards, side by side.
    pub cards: Vec<PreviewCard>,
    /// Buttons attached to the bubble.
    pub buttons: Vec<String>,
    /// Quick-reply chips shown under it.
    pub chips: Vec<String>,
    /// A list: the button that opens it, and its rows.
    pub list: Option<(String, Vec<String>)>,
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn labels(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|b| s(&b[key])).collect())
        .unwrap_or_default()
}

/// The bubbles Messenger shows for `messages`.
pub fn messenger(messages: &[Outbound]) -> Vec<Bubble> {
    messages
        .iter()
        .flat_map(render::messenger)
        .filter_map(|part| match part {
            MessengerPart::Message(m) => Some(m),
            MessengerPart::Action(_) => None,
        })
        .map(|m| {
            let mut b = Bubble {
                text: s(&m["text"]),
                chips: labels(&m["quick_replies"], "title"),
                ..Default::default()
            };
            let att = &m["attachment"];
            match (
                s(&att["type"]).as_str(),
                s(&att["payload"]["template_type"]).as_str(),
            ) {
                ("image", _) => b.image = Some(s(&att["payload"]["url"])),
                ("template", "generic") => {
                    b.cards = att["payload"]["elements"]
                        .as_array()
                        .map(|els| {
                            els.iter()
                                .map(|e| PreviewCard {
                                    title: s(&e["title"]),
                                    subtitle: s(&e["subtitle"]),
                                    image: e["image_url"].as_str().map(String::from),
                                    buttons: labels(&e["buttons"], "title"),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                }
                ("template", "button") => {
                    b.text = s(&att["payload"]["text"]);
                    b.buttons = labels(&att["payload"]["buttons"], "title");
                }
                _ => {}
            }
            b
        })
        .collect()
}

/// The bubbles WhatsApp shows for `messages`.
pub fn whatsapp(messages: &[Outbound]) -> Vec<Bubble> {
    messages
        .iter()
        .flat_map(render::whatsapp)
        .map(|m| {
            let mut b = Bubble::default();
            match s(&m["type"]).as_str() {
                "text" => b.text = s(&m["text"]["body"]),
                "image" => {
                    b.image = Some(s(&m["image"]["link"]));
                    b.text = s(&m["image"]["caption"]);
                }
                "interactive" => {
                    let i = &m["interactive"];
                    b.text = s(&i["body"]["text"]);
                    if let Some(link) = i["header"]["image"]["link"].as_str() {
                        b.image = Some(link.to_string());
                    }
                    match s(&i["type"]).as_str() {
                        "button" => {
                            b.buttons = i["action"]["buttons"]
                                .as_array()
                                .map(|a| a.iter().map(|x| s(&x["reply"]["title"])).collect())
                                .unwrap_or_default();
                        }
                        "list" => {
                            let rows = i["action"]["sections"]
                                .as_array()
                                .map(|secs| {
                                    secs.iter()
                                        .flat_map(|sec| labels(&sec["rows"], "title"))
                                        .collect()
                                })
                                .unwrap_or_default();
                            b.list = Some((s(&i["action"]["button"]), rows));
                        }
                        "cta_url" => {
                            b.buttons = vec![s(&i["action"]["parameters"]["display_text"])];
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
            b
        })
        .collect()
}

/// The bubbles the web widget shows for `messages`: everything, as sent.
pub fn web(messages: &[Outbound]) -> Vec<Bubble> {
    messages
        .iter()
        .filter_map(|m| {
            Some(match m {
                Outbound::Text { text } => Bubble {
                    text: text.clone(),
                    ..Default::default()
                },
                Outbound::Choices { text, choices } => Bubble {
                    text: text.clone(),
                    buttons: choices.iter().map(|c| c.label.clone()).collect(),
                    ..Default::default()
                },
                Outbound::Cards {
                    text,
                    cards,
                    choices,
                } => Bubble {
                    text: text.clone(),
                    cards: cards
                        .iter()
                        .map(|c| PreviewCard {
                            title: c.title.clone(),
                            subtitle: c.subtitle.clone(),
                            image: c.image_url.clone(),
                            buttons: c
                                .buttons
                                .iter()
                                .map(|b| match b {
                                    CardButton::Postback { label, .. }
                                    | CardButton::Url { label, .. } => label.clone(),
                                })
                                .collect(),
                        })
                        .collect(),
                    buttons: choices.iter().map(|c| c.label.clone()).collect(),
                    ..Default::default()
                },
                Outbound::Image { url, caption } => Bubble {
                    image: Some(url.clone()),
                    text: caption.clone().unwrap_or_default(),
                    ..Default::default()
                },
                Outbound::Link { text, label, .. } => Bubble {
                    text: text.clone(),
                    buttons: vec![label.clone()],
                    ..Default::default()
                },
                Outbound::Typing => return None,
            })
        })
        .collect()
}

/// The bubbles `channel` shows for `messages`.
pub fn bubbles(channel: Channel, messages: &[Outbound]) -> Vec<Bubble> {
    match channel {
        Channel::Messenger => messenger(messages),
        Channel::Whatsapp => whatsapp(messages),
        Channel::Web => web(messages),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Choice;

    fn choices(n: usize) -> Outbound {
        Outbound::Choices {
            text: "Pick one".into(),
            choices: (1..=n)
                .map(|i| Choice {
                    label: format!("Option {i}"),
                    payload: format!("p{i}"),
                })
                .collect(),
        }
    }

    #[test]
    fn three_options_are_buttons_everywhere() {
        let m = [choices(3)];
        assert_eq!(messenger(&m)[0].chips.len(), 3);
        assert_eq!(whatsapp(&m)[0].buttons.len(), 3);
        assert_eq!(web(&m)[0].buttons.len(), 3);
    }

    #[test]
    fn five_options_become_a_whatsapp_list() {
        let m = [choices(5)];
        let wa = whatsapp(&m);
        assert!(wa[0].buttons.is_empty());
        let (button, rows) = wa[0].list.clone().unwrap();
        assert_eq!(button, "Choose");
        assert_eq!(rows.len(), 5);
        assert_eq!(messenger(&m)[0].chips.len(), 5);
    }

    #[test]
    fn too_many_options_become_a_numbered_menu() {
        let m = [choices(14)];
        let fb = messenger(&m);
        assert!(fb[0].chips.is_empty());
        assert!(fb[0].text.contains("14. Option 14"));
        assert_eq!(web(&m)[0].buttons.len(), 14);
    }

    #[test]
    fn long_labels_are_shown_cut() {
        let m = [Outbound::Choices {
            text: "?".into(),
            choices: vec![Choice {
                label: "A very long option label indeed".into(),
                payload: "p".into(),
            }],
        }];
        let chip = &messenger(&m)[0].chips[0];
        assert!(chip.ends_with('…') && chip.chars().count() <= 20);
        assert_eq!(web(&m)[0].buttons[0], "A very long option label indeed");
    }
}

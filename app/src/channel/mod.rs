//! Channel-agnostic outbound messages, and every platform limit in one
//! place (`limits`). The interpreter speaks [`Outbound`]; each channel
//! renders it within its limits. Lengths are counted in UTF-16 units, as
//! the platforms do.

pub mod appearance;
pub mod limits;
pub mod render;
pub mod window;

use serde::{Deserialize, Serialize};

/// A channel name that is not one of [`Channel::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {0:?}")]
pub struct UnknownChannel(pub String);

/// Where a conversation happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Facebook Messenger.
    Messenger,
    /// WhatsApp Cloud API.
    Whatsapp,
    /// The web-chat widget.
    Web,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Messenger, Channel::Whatsapp, Channel::Web];

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Messenger => "Messenger",
            Channel::Whatsapp => "WhatsApp",
            Channel::Web => "Web chat",
        }
    }

    /// The channel with this stable name.
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether messages reach the shopper through Meta's Graph API
    /// (Messenger, WhatsApp), rather than being read by the widget.
    pub fn is_meta(self) -> bool {
        matches!(self, Channel::Messenger | Channel::Whatsapp)
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Messenger => "messenger",
            Channel::Whatsapp => "whatsapp",
            Channel::Web => "web",
        }
    }
}

impl TryFrom<String> for Channel {
    type Error = UnknownChannel;

    /// The one mapping from a stored name (the store reads `kind` columns
    /// through it).
    fn try_from(name: String) -> Result<Channel, UnknownChannel> {
        Channel::parse(&name).ok_or(UnknownChannel(name))
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The mark Botme puts on each part it sends to Meta (Messenger's
/// `message.metadata`, WhatsApp's `biz_opaque_callback_data`), which the
/// platform hands back on the echo or status of that part. It names the
/// outbox message and the part, so a send whose answer was lost (a timeout,
/// a 5xx) can be proven delivered before it is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendTag {
    /// The outbound message's id (its transcript row).
    pub message: i64,
    /// Which call of that message, from 0.
    pub part: i64,
}

impl SendTag {
    const PREFIX: &'static str = "botme:";

    /// Reads a tag Botme wrote; `None` for anything else (a person's echo
    /// from the Page inbox, another app's metadata).
    pub fn parse(s: &str) -> Option<SendTag> {
        let (message, part) = s.strip_prefix(Self::PREFIX)?.split_once(':')?;
        let digits =
            |t: &str| !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(message) || !digits(part) {
            return None;
        }
        Some(SendTag {
            message: message.parse().ok()?,
            part: part.parse().ok()?,
        })
    }
}

impl std::fmt::Display for SendTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}:{}", Self::PREFIX, self.message, self.part)
    }
}

/// Whether `url` is a web address (http or https), the only kind a
/// product picture, a card button or the widget may open.
pub fn is_web_address(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// A tappable choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// What the shopper sees.
    pub label: String,
    /// What the tap sends back (see `flow::payload`).
    pub payload: String,
}

/// A button on a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardButton {
    /// Sends a payload back.
    Postback {
        /// Label.
        label: String,
        /// Payload.
        payload: String,
    },
    /// Opens a web page.
    Url {
        /// Label.
        label: String,
        /// Address.
        url: String,
    },
}

/// A product card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// Product name.
    pub title: String,
    /// Price and a line of description.
    pub subtitle: String,
    /// Picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Up to three buttons.
    pub buttons: Vec<CardButton>,
}

/// A message the bot sends, before any channel has shaped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outbound {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A question with choices.
    Choices {
        /// The question.
        text: String,
        /// The choices, in order.
        choices: Vec<Choice>,
    },
    /// A carousel of cards, with choices under it ("More", "Done").
    Cards {
        /// Said above the cards.
        text: String,
        /// The cards.
        cards: Vec<Card>,
        /// Choices after the cards.
        choices: Vec<Choice>,
    },
    /// A picture.
    Image {
        /// Its address.
        url: String,
        /// A caption.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    /// A button that opens a page (checkout, payment, order page).
    Link {
        /// Said with the button.
        text: String,
        /// The button's label.
        label: String,
        /// Where it leads.
        url: String,
    },
    /// "The bot is typing…".
    Typing,
}

impl Outbound {
    /// About how many bytes this message takes: the sum of its texts,
    /// labels, payloads and addresses. What a turn's output cap counts.
    pub fn weight(&self) -> usize {
        let choices = |cs: &[Choice]| -> usize {
            cs.iter()
                .map(|c| c.label.len() + c.payload.len() + 16)
                .sum()
        };
        let card = |c: &Card| -> usize {
            c.title.len()
                + c.subtitle.len()
                + c.image_url.as_ref().map_or(0, String::len)
                + c.buttons
                    .iter()
                    .map(|b| match b {
                        CardButton::Postback { label, payload } => label.len() + payload.len() + 16,
                        CardButton::Url { label, url } => label.len() + url.len() + 16,
                    })
                    .sum::<usize>()
                + 32
        };
        32 + match self {
            Outbound::Text { text } => text.len(),
            Outbound::Choices { text, choices: cs } => text.len() + choices(cs),
            Outbound::Cards {
                text,
                cards,
                choices: cs,
            } => text.len() + cards.iter().map(card).sum::<usize>() + choices(cs),
            Outbound::Image { url, caption } => url.len() + caption.as_ref().map_or(0, String::len),
            Outbound::Link { text, label, url } => text.len() + label.len() + url.len(),
            Outbound::Typing => 0,
        }
    }

    /// The text people read in this message, in one line: the transcript's summary.
    pub fn summary(&self) -> String {
        match self {
            Outbound::Text { text }
            | Outbound::Choices { text, .. }
            | Outbound::Link { text, .. } => text.clone(),
            Outbound::Cards { text, cards, .. } => {
                let titles: Vec<&str> = cards.iter().map(|c| c.title.as_str()).collect();
                if text.is_empty() {
                    titles.join(", ")
                } else {
                    format!("{text} ({})", titles.join(", "))
                }
            }
            Outbound::Image { caption, .. } => caption.clone().unwrap_or_else(|| "[image]".into()),
            Outbound::Typing => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SendTag;

    #[test]
    fn a_send_tag_reads_back_and_nothing_else_does() {
        let tag = SendTag {
            message: 42,
            part: 3,
        };
        assert_eq!(tag.to_string(), "botme:42:3");
        assert_eq!(SendTag::parse(&tag.to_string()), Some(tag));
        for other in [
            "",
            "botme:",
            "botme:42",
            "botme:42:",
            "botme::3",
            "botme:-1:0",
            "botme:4 2:0",
            "botme:42:3:1",
            "outbox:42",
            "BOTME:42:3",
            "botme:99999999999999999999:0",
        ] {
            assert_eq!(SendTag::parse(other), None, "{other:?}");
        }
    }
}

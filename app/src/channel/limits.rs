//! Every platform limit, in one place, with the helpers that apply them.
//! Sources and confidence are in `platforms.md` §5; where sources disagree,
//! the conservative number is used. Lengths are UTF-16 code units. Only the
//! limits of what Botme sends are here (it sends no headers, footers,
//! metadata or multi-product messages).

use super::Channel;

/// Messenger Send API limits.
pub mod messenger {
    /// Text message body.
    pub const TEXT_MAX: usize = 2000;
    /// Quick replies per message.
    pub const QUICK_REPLIES_MAX: usize = 13;
    /// Quick reply title (longer titles are cut by Messenger).
    pub const QUICK_REPLY_TITLE_MAX: usize = 20;
    /// Quick reply and postback payload.
    pub const PAYLOAD_MAX: usize = 1000;
    /// Elements of a generic template (carousel cards).
    pub const CARDS_MAX: usize = 10;
    /// Card title.
    pub const CARD_TITLE_MAX: usize = 80;
    /// Card subtitle.
    pub const CARD_SUBTITLE_MAX: usize = 80;
    /// Buttons per card.
    pub const CARD_BUTTONS_MAX: usize = 3;
    /// Button title.
    pub const BUTTON_TITLE_MAX: usize = 20;
    /// Text of a button template.
    pub const BUTTON_TEMPLATE_TEXT_MAX: usize = 640;
}

/// WhatsApp Cloud API limits.
pub mod whatsapp {
    /// Text message body.
    pub const TEXT_MAX: usize = 4096;
    /// Reply buttons per message.
    pub const REPLY_BUTTONS_MAX: usize = 3;
    /// Reply button title (unique within the message).
    pub const REPLY_BUTTON_TITLE_MAX: usize = 20;
    /// Reply button id.
    pub const REPLY_BUTTON_ID_MAX: usize = 256;
    /// Body of an interactive message (buttons, list; the list figure is
    /// disputed, 1024 is the safe one).
    pub const INTERACTIVE_BODY_MAX: usize = 1024;
    /// Label of the button that opens a list.
    pub const LIST_BUTTON_MAX: usize = 20;
    /// Rows of a list, across all sections.
    pub const LIST_ROWS_MAX: usize = 10;
    /// Row title.
    pub const LIST_ROW_TITLE_MAX: usize = 24;
    /// Row description.
    pub const LIST_ROW_DESCRIPTION_MAX: usize = 72;
    /// Row id.
    pub const LIST_ROW_ID_MAX: usize = 200;
    /// Section title.
    pub const LIST_SECTION_TITLE_MAX: usize = 24;
    /// Label of a call-to-action URL button.
    pub const CTA_LABEL_MAX: usize = 20;
}

/// Web chat limits (ours, to keep bubbles readable).
pub mod web {
    /// Text per bubble.
    pub const TEXT_MAX: usize = 4096;
}

/// Length in UTF-16 code units, the unit the platforms count in.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The longest text one message may carry on `channel`.
pub fn text_max(channel: Channel) -> usize {
    match channel {
        Channel::Messenger => messenger::TEXT_MAX,
        Channel::Whatsapp => whatsapp::TEXT_MAX,
        Channel::Web => web::TEXT_MAX,
    }
}

/// Cuts `text` to at most `max` UTF-16 units, never inside a character,
/// ending with `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if utf16_len(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        // Leave room for the ellipsis (one unit).
        if used + c.len_utf16() > max - 1 {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    let trimmed = out.trim_end().to_string();
    format!("{trimmed}…")
}

/// Splits `text` into parts of at most `max` UTF-16 units, at the last
/// paragraph break, line break or space before the limit; a single word
/// longer than the limit is split between characters, never inside one.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let max = max.max(2);
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while utf16_len(rest) > max {
        // The byte index just past the last character that fits.
        let mut fit = 0;
        let mut units = 0;
        for (i, c) in rest.char_indices() {
            if units + c.len_utf16() > max {
                break;
            }
            units += c.len_utf16();
            fit = i + c.len_utf8();
        }
        let window = &rest[..fit];
        let cut = window
            .rfind("\n\n")
            .or_else(|| window.rfind('\n'))
            .or_else(|| window.rfind(' '))
            .filter(|&i| i > 0)
            .unwrap_or(fit);
        let (head, tail) = rest.split_at(cut);
        parts.push(head.trim_end().to_string());
        rest = tail.trim_start();
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

/// How a list of choices is shown on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceShape {
    /// Messenger quick replies.
    QuickReplies,
    /// WhatsApp reply buttons.
    ReplyButtons,
    /// WhatsApp list message.
    List,
    /// A numbered text menu; the shopper answers with the number.
    NumberedText,
    /// Web chat buttons.
    Buttons,
}

/// The shape `n` choices take on `channel`.
pub fn choice_shape(channel: Channel, n: usize) -> ChoiceShape {
    match channel {
        Channel::Messenger if n <= messenger::QUICK_REPLIES_MAX => ChoiceShape::QuickReplies,
        Channel::Messenger => ChoiceShape::NumberedText,
        Channel::Whatsapp if n <= whatsapp::REPLY_BUTTONS_MAX => ChoiceShape::ReplyButtons,
        Channel::Whatsapp if n <= whatsapp::LIST_ROWS_MAX => ChoiceShape::List,
        Channel::Whatsapp => ChoiceShape::NumberedText,
        Channel::Web => ChoiceShape::Buttons,
    }
}

/// How a setting will be changed to fit a channel, worded for the merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// The channel concerned.
    pub channel: Channel,
    /// What will happen.
    pub message: String,
}

fn advice(channel: Channel, message: String) -> Advice {
    Advice { channel, message }
}

/// Advice for a text message.
pub fn advise_text(text: &str) -> Vec<Advice> {
    let len = utf16_len(text);
    [Channel::Messenger, Channel::Whatsapp]
        .into_iter()
        .filter(|c| len > text_max(*c))
        .map(|c| {
            let parts = split_text(text, text_max(c)).len();
            advice(
                c,
                format!(
                    "{} shows at most {} characters per message: this text ({len}) will be sent as {parts} messages.",
                    c.label(),
                    text_max(c)
                ),
            )
        })
        .collect()
}

/// Advice for a question with choices labelled `labels`.
pub fn advise_choices(text: &str, labels: &[&str]) -> Vec<Advice> {
    let n = labels.len();
    let mut out = Vec::new();
    match choice_shape(Channel::Whatsapp, n) {
        ChoiceShape::List => out.push(advice(
            Channel::Whatsapp,
            format!(
                "WhatsApp shows at most {} buttons: these {n} options become a list.",
                whatsapp::REPLY_BUTTONS_MAX
            ),
        )),
        ChoiceShape::NumberedText => out.push(advice(
            Channel::Whatsapp,
            format!(
                "WhatsApp lists hold at most {} rows: these {n} options become a numbered menu the shopper answers by typing a number.",
                whatsapp::LIST_ROWS_MAX
            ),
        )),
        _ => {}
    }
    if choice_shape(Channel::Messenger, n) == ChoiceShape::NumberedText {
        out.push(advice(
            Channel::Messenger,
            format!(
                "Messenger shows at most {} quick replies: these {n} options become a numbered menu the shopper answers by typing a number.",
                messenger::QUICK_REPLIES_MAX
            ),
        ));
    }
    let (wa_max, wa_what) = if n <= whatsapp::REPLY_BUTTONS_MAX {
        (whatsapp::REPLY_BUTTON_TITLE_MAX, "button")
    } else {
        (whatsapp::LIST_ROW_TITLE_MAX, "list row")
    };
    for label in labels {
        if utf16_len(label) > messenger::QUICK_REPLY_TITLE_MAX && n <= messenger::QUICK_REPLIES_MAX
        {
            out.push(advice(
                Channel::Messenger,
                format!(
                    "Messenger cuts quick replies at {} characters: “{label}” shows as “{}”.",
                    messenger::QUICK_REPLY_TITLE_MAX,
                    truncate(label, messenger::QUICK_REPLY_TITLE_MAX)
                ),
            ));
        }
        if utf16_len(label) > wa_max && n <= whatsapp::LIST_ROWS_MAX {
            out.push(advice(
                Channel::Whatsapp,
                format!(
                    "WhatsApp cuts {wa_what} titles at {wa_max} characters: “{label}” shows as “{}”.",
                    truncate(label, wa_max)
                ),
            ));
        }
    }
    if utf16_len(text) > whatsapp::INTERACTIVE_BODY_MAX && n <= whatsapp::LIST_ROWS_MAX {
        out.push(advice(
            Channel::Whatsapp,
            format!(
                "WhatsApp allows {} characters above buttons: the question will be sent as a separate message first.",
                whatsapp::INTERACTIVE_BODY_MAX
            ),
        ));
    }
    if utf16_len(text) > messenger::TEXT_MAX {
        out.push(advice(
            Channel::Messenger,
            format!(
                "Messenger allows {} characters per message: the question will be split.",
                messenger::TEXT_MAX
            ),
        ));
    }
    out
}

/// Advice for a carousel showing up to `page_size` cards at a time.
pub fn advise_cards(page_size: usize) -> Vec<Advice> {
    let mut out = Vec::new();
    if page_size > whatsapp::REPLY_BUTTONS_MAX {
        out.push(advice(
            Channel::Whatsapp,
            format!(
                "WhatsApp has no card carousel for your own catalog: the {page_size} products are sent as a list to pick from, with pictures on request."
            ),
        ));
    }
    if page_size > messenger::CARDS_MAX {
        out.push(advice(
            Channel::Messenger,
            format!(
                "Messenger shows at most {} cards at once: a “More” button shows the rest.",
                messenger::CARDS_MAX
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_utf16_units() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("é"), 1);
        assert_eq!(utf16_len("😀"), 2, "an emoji outside the BMP is two units");
    }

    #[test]
    fn truncation_respects_the_limit_exactly() {
        let label = "a".repeat(20);
        assert_eq!(truncate(&label, 20), label, "at the limit: unchanged");
        let over = "a".repeat(21);
        let cut = truncate(&over, 20);
        assert_eq!(utf16_len(&cut), 20);
        assert!(cut.ends_with('…'));
        // Never cut inside a surrogate pair.
        let emoji = "😀".repeat(11);
        let cut = truncate(&emoji, 20);
        assert!(utf16_len(&cut) <= 20);
        assert_eq!(cut.chars().filter(|c| *c == '😀').count(), 9);
    }

    #[test]
    fn splitting_happens_at_word_boundaries_within_the_limit() {
        let at_limit = "word ".repeat(400);
        let at_limit = at_limit.trim();
        assert_eq!(utf16_len(at_limit), 1999);
        assert_eq!(split_text(at_limit, messenger::TEXT_MAX).len(), 1);
        let exactly = "a".repeat(2000);
        assert_eq!(
            split_text(&exactly, messenger::TEXT_MAX),
            vec![exactly.clone()]
        );
        let over = format!("{exactly} b");
        let parts = split_text(&over, messenger::TEXT_MAX);
        assert_eq!(parts, vec![exactly.clone(), "b".to_string()]);
        let long = "hello world ".repeat(300);
        for part in split_text(&long, messenger::TEXT_MAX) {
            assert!(utf16_len(&part) <= messenger::TEXT_MAX);
            assert!(
                part.split(' ').all(|w| w == "hello" || w == "world"),
                "a word was cut: {part:?}"
            );
        }
        // A word longer than the limit is split between characters.
        let emoji = "😀".repeat(1001);
        let parts = split_text(&emoji, messenger::TEXT_MAX);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| utf16_len(p) <= messenger::TEXT_MAX));
        assert_eq!(parts.concat(), emoji);
        assert_eq!(split_text("", 10), vec![String::new()]);
    }

    #[test]
    fn choices_take_the_shape_each_channel_allows() {
        use ChoiceShape::*;
        assert_eq!(choice_shape(Channel::Whatsapp, 3), ReplyButtons);
        assert_eq!(choice_shape(Channel::Whatsapp, 4), List);
        assert_eq!(choice_shape(Channel::Whatsapp, 10), List);
        assert_eq!(choice_shape(Channel::Whatsapp, 11), NumberedText);
        assert_eq!(choice_shape(Channel::Messenger, 13), QuickReplies);
        assert_eq!(choice_shape(Channel::Messenger, 14), NumberedText);
        assert_eq!(choice_shape(Channel::Web, 40), Buttons);
    }

    #[test]
    fn advice_names_the_degradation() {
        let five = ["A", "B", "C", "D", "E"];
        let advice = advise_choices("Pick one", &five);
        assert_eq!(advice.len(), 1);
        assert_eq!(
            advice[0].message,
            "WhatsApp shows at most 3 buttons: these 5 options become a list."
        );
        assert!(advise_choices("Pick", &["A", "B", "C"]).is_empty());
        let long = advise_choices("Pick", &["A very long option label"]);
        assert_eq!(long.len(), 2, "{long:?}");
        let fourteen: Vec<&str> = vec!["x"; 14];
        let advice = advise_choices("Pick", &fourteen);
        assert!(advice.iter().any(|a| a.channel == Channel::Messenger));
        assert!(advise_text(&"a".repeat(2000)).is_empty());
        let over = advise_text(&"a ".repeat(1001));
        assert_eq!(over.len(), 1);
        assert!(
            over[0].message.contains("2 messages"),
            "{}",
            over[0].message
        );
    }
}

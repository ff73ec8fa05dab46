//! When a person may reply to a shopper: the platforms' messaging windows
//! (platforms.md §7). Pure, so the inbox shows the same answer the server
//! enforces.
//!
//! - Messenger: free-form within 24 hours of the shopper's last message;
//!   from 24 hours to 7 days only a person's reply, with the `HUMAN_AGENT`
//!   tag; after that nothing.
//! - WhatsApp: free-form within 24 hours; after that only approved
//!   templates, which Botme does not send.
//! - The web widget: always.

use serde::{Deserialize, Serialize};

use super::Channel;

/// An hour, in milliseconds.
const HOUR_MS: i64 = 60 * 60 * 1000;
/// The standard window.
pub const STANDARD_WINDOW_MS: i64 = 24 * HOUR_MS;
/// Messenger's window for a person's replies (`HUMAN_AGENT`).
pub const HUMAN_AGENT_WINDOW_MS: i64 = 7 * 24 * HOUR_MS;

/// Whether a person can reply now, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReplyWindow {
    /// A reply can be sent now.
    pub can_send: bool,
    /// The reply goes with Messenger's `HUMAN_AGENT` tag.
    pub human_agent: bool,
    /// When the window that applies closes (none: it does not close).
    pub closes_at: Option<i64>,
    /// What applies, in a sentence for the reply box.
    pub note: String,
}

/// `ms` as "3 h 12 min" (or "12 min", or "2 days 4 h").
pub fn span(ms: i64) -> String {
    let mins = (ms.max(0) + 59_999) / 60_000;
    let (days, hours, mins) = (mins / 1440, mins % 1440 / 60, mins % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins} min"),
        (1, 0) => "1 day".into(),
        (1, h) => format!("1 day {h} h"),
        (d, 0) => format!("{d} days"),
        (d, h) => format!("{d} days {h} h"),
    }
}

/// The window of a conversation on `channel` whose shopper last wrote at
/// `last_inbound_at`, at `now` (all in milliseconds since the epoch).
pub fn reply_window(channel: Channel, last_inbound_at: Option<i64>, now: i64) -> ReplyWindow {
    let open = |closes_at: Option<i64>, human_agent: bool, note: String| ReplyWindow {
        can_send: true,
        human_agent,
        closes_at,
        note,
    };
    let shut = |note: &str| ReplyWindow {
        can_send: false,
        human_agent: false,
        closes_at: None,
        note: note.to_string(),
    };
    if !channel.is_meta() {
        return open(
            None,
            false,
            "The shopper sees your reply in the chat.".into(),
        );
    }
    let Some(last) = last_inbound_at else {
        return shut("The shopper has not written yet, so the platform does not allow a message.");
    };
    let since = now.saturating_sub(last);
    let standard = last.saturating_add(STANDARD_WINDOW_MS);
    if since < STANDARD_WINDOW_MS {
        let name = if channel == Channel::Whatsapp {
            "WhatsApp's 24-hour window"
        } else {
            "The 24-hour window"
        };
        return open(
            Some(standard),
            false,
            format!("{name}: {} left.", span(standard - now)),
        );
    }
    match channel {
        Channel::Messenger if since < HUMAN_AGENT_WINDOW_MS => {
            let closes = last.saturating_add(HUMAN_AGENT_WINDOW_MS);
            open(
                Some(closes),
                true,
                format!(
                    "More than 24 hours since the shopper's last message: your reply goes with Messenger's human agent tag, allowed for {} more.",
                    span(closes - now)
                ),
            )
        }
        Channel::Messenger => shut(
            "More than 7 days have passed since the shopper's last message, so Messenger does not allow a reply until they write again.",
        ),
        _ => shut(
            "More than 24 hours have passed since the shopper's last message, so WhatsApp only allows approved template messages until they write again.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn messenger_has_a_standard_window_then_a_human_agent_one() {
        let w = reply_window(Channel::Messenger, Some(NOW - HOUR_MS), NOW);
        assert!(w.can_send && !w.human_agent);
        assert_eq!(w.closes_at, Some(NOW + 23 * HOUR_MS));
        assert!(w.note.contains("23 h 0 min left"), "{}", w.note);

        let w = reply_window(Channel::Messenger, Some(NOW - STANDARD_WINDOW_MS), NOW);
        assert!(w.can_send && w.human_agent, "24 h exactly needs the tag");
        let w = reply_window(Channel::Messenger, Some(NOW - 2 * STANDARD_WINDOW_MS), NOW);
        assert!(w.can_send && w.human_agent);
        assert_eq!(w.closes_at, Some(NOW + 5 * STANDARD_WINDOW_MS));
        assert!(w.note.contains("5 days"), "{}", w.note);

        let w = reply_window(Channel::Messenger, Some(NOW - HUMAN_AGENT_WINDOW_MS), NOW);
        assert!(!w.can_send);
        assert!(w.note.contains("7 days"));
    }

    #[test]
    fn whatsapp_closes_after_24_hours() {
        let w = reply_window(
            Channel::Whatsapp,
            Some(NOW - 20 * HOUR_MS - 48 * 60_000),
            NOW,
        );
        assert!(w.can_send && !w.human_agent);
        assert!(w.note.contains("3 h 12 min left"), "{}", w.note);
        let w = reply_window(Channel::Whatsapp, Some(NOW - 25 * HOUR_MS), NOW);
        assert!(!w.can_send);
        assert!(w.note.contains("template"));
    }

    #[test]
    fn the_widget_is_always_open_and_silence_is_closed() {
        assert!(reply_window(Channel::Web, None, NOW).can_send);
        assert!(!reply_window(Channel::Messenger, None, NOW).can_send);
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(60_000), "1 min");
        assert_eq!(span(1), "1 min");
        assert_eq!(span(3 * HOUR_MS + 12 * 60_000), "3 h 12 min");
        assert_eq!(span(STANDARD_WINDOW_MS + 4 * HOUR_MS), "1 day 4 h");
        assert_eq!(span(5 * STANDARD_WINDOW_MS), "5 days");
    }
}

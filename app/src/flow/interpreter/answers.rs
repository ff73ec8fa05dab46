//! Answers: what typed text and tapped buttons mean at the node the
//! conversation waits at, and re-asking when they mean nothing there.
//! Each node family handles its own answers; this file dispatches to them.

use super::{MAX_VAR_CHARS, Next, Run, Status};
use crate::flow::doc::{AskKind, AskSettings, NodeId, NodeKind, QuickReplySettings};
use crate::flow::number::{format_decimal, parse_decimal};
use crate::flow::payload::Payload;
use crate::flow::text::normalize;

impl Run<'_> {
    /// Typed text at the node the conversation waits at; `typed` is the
    /// text normalized.
    pub(super) fn on_text(&mut self, text: &str, typed: &str) {
        let flow = self.flow;
        let Some(ix) = self
            .s
            .node
            .as_ref()
            .and_then(|id| flow.by_id.get(id).copied())
        else {
            self.restart();
            return;
        };
        let node = &flow.doc.nodes[ix];
        let id = &node.id;
        match &node.kind {
            NodeKind::QuickReply(s) => {
                let labels = &flow.labels[ix];
                match pick_option(typed, labels.len(), |i| labels[i] == typed) {
                    Some(i) => self.choose(id, s, i),
                    None => self.no_match(id, s),
                }
            }
            NodeKind::ProductCarousel(s) => self.carousel_text(id, s, typed),
            NodeKind::Checkout(s) => self.checkout_text(id, s, typed),
            NodeKind::Ask(s) => self.answer_ask(id, s, text),
            NodeKind::ShowCart(s) => self.cart_text(id, s, typed),
            // Nodes that do not wait for text: start over from here.
            _ => self.goto(ix),
        }
    }

    /// Stores a valid answer and moves on, or asks again.
    fn answer_ask(&mut self, id: &NodeId, s: &AskSettings, text: &str) {
        match check_answer(s.kind, text) {
            Some(value) => {
                self.set_var_owned(&s.save_as, value);
                self.proceed(Next::Port("next"));
            }
            None => {
                self.s.attempts += 1;
                if self.s.attempts >= s.max_attempts.max(1)
                    && self.flow.target_index(id, "invalid").is_some()
                {
                    self.proceed(Next::Port("invalid"));
                } else {
                    let again = match &s.reprompt {
                        Some(r) if !r.trim().is_empty() => self.fill(r),
                        _ => reprompt_for(s.kind).to_string(),
                    };
                    self.say(again);
                    self.say(self.fill(&s.text));
                }
            }
        }
    }

    fn choose(&mut self, id: &NodeId, s: &QuickReplySettings, i: usize) {
        let Some(option) = s.options.get(i) else {
            return;
        };
        if let Some(var) = &s.save_as {
            let label = self.fill(&option.label);
            self.set_var_owned(var, label);
        }
        self.set_node(id);
        self.proceed(Next::Port(&option.id));
    }

    fn no_match(&mut self, id: &NodeId, s: &QuickReplySettings) {
        self.s.attempts += 1;
        if self.flow.target_index(id, "fallback").is_some() {
            self.proceed(Next::Port("fallback"));
            return;
        }
        let again = match &s.reprompt {
            Some(r) if !r.trim().is_empty() => self.fill(r),
            _ => "Sorry, I didn't catch that. Please choose one of the options.".to_string(),
        };
        self.say(again);
        self.prompt_choices(id, s);
    }

    /// Re-asks whatever the current node waits for, after input it could not use.
    pub(super) fn reprompt_current(&mut self) {
        let Some(node) = self.current() else {
            self.restart();
            return;
        };
        match (&node.kind, self.s.status) {
            (NodeKind::QuickReply(s), Status::Waiting) => self.no_match(&node.id, s),
            (NodeKind::ProductCarousel(s), Status::Waiting) => {
                let page = self.s.page;
                self.carousel_choices(&node.id, s, page);
            }
            (NodeKind::Ask(s), Status::Waiting) => self.say(self.fill(&s.text)),
            (NodeKind::Checkout(s), Status::Waiting) => self.checkout_text(&node.id, s, ""),
            (NodeKind::ShowCart(s), Status::Waiting) => self.cart_choices(&node.id, s),
            (_, Status::New | Status::Ended) => self.restart(),
            _ => {}
        }
    }

    pub(super) fn on_payload(&mut self, p: Payload) {
        let flow = self.flow;
        let Some(node) = flow.node(p.node()) else {
            // A button from a flow version that no longer has that step.
            self.reprompt_current();
            return;
        };
        let id = &node.id;
        match (p, &node.kind) {
            (Payload::Option { option, .. }, NodeKind::QuickReply(s)) => {
                match s.options.iter().position(|o| o.id == option) {
                    // An old question's button still means that answer.
                    Some(i) => self.choose(id, s, i),
                    None => self.reprompt_current(),
                }
            }
            (Payload::Add { sku, .. }, NodeKind::ProductCarousel(_)) => {
                self.add_from_card(id, &sku)
            }
            (Payload::Details { sku, .. }, NodeKind::ProductCarousel(_)) => {
                self.show_details(id, &sku)
            }
            (Payload::More { page, .. }, NodeKind::ProductCarousel(s)) => self.more(id, s, page),
            (Payload::Done { .. }, NodeKind::ProductCarousel(_)) => {
                self.set_node(id);
                self.s.status = Status::Waiting;
                self.proceed(Next::Port("done"));
            }
            (Payload::Checkout { cart, action, .. }, NodeKind::Checkout(s)) => {
                self.checkout_tap(id, s, &cart, action)
            }
            (Payload::Cart { action, .. }, NodeKind::ShowCart(_)) => self.cart_tap(id, action),
            // A payload that does not fit its node (a hand-made or corrupted one).
            _ => self.reprompt_current(),
        }
    }
}

/// Which option a typed answer means: its label (ignoring case, accents and
/// punctuation) or its number in the list.
pub fn match_option(s: &QuickReplySettings, text: &str) -> Option<usize> {
    let typed = normalize(text);
    pick_option(&typed, s.options.len(), |i| {
        normalize(&s.options[i].label) == typed
    })
}

/// The option `typed` (normalized) means among `count`: the first whose
/// label `is_label`, or its number in the list.
fn pick_option(typed: &str, count: usize, is_label: impl Fn(usize) -> bool) -> Option<usize> {
    if typed.is_empty() {
        return None;
    }
    if let Some(i) = (0..count).position(is_label) {
        return Some(i);
    }
    let number = typed
        .strip_prefix("option ")
        .or_else(|| typed.strip_prefix("number "))
        .unwrap_or(typed);
    match number.parse::<usize>() {
        Ok(n) if (1..=count).contains(&n) => Some(n - 1),
        _ => None,
    }
}

/// The stored value of a valid answer, or `None` when it is not valid.
pub fn check_answer(kind: AskKind, text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_VAR_CHARS {
        return None;
    }
    match kind {
        AskKind::Text => Some(t.to_string()),
        AskKind::Email => crate::account::Email::parse(t)
            .ok()
            .map(|e| e.as_str().to_string()),
        AskKind::Phone => {
            let plus = t.starts_with('+');
            let ok_chars = t
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            let digits: String = t.chars().filter(char::is_ascii_digit).collect();
            (ok_chars && (7..=15).contains(&digits.len()))
                .then(|| if plus { format!("+{digits}") } else { digits })
        }
        // The number as parsed, written plainly: "1,000.50" → "1000.5".
        AskKind::Number => parse_decimal(t).map(format_decimal),
        AskKind::Address => {
            let words = t.split_whitespace().count();
            (t.chars().count() >= 8 && words >= 2).then(|| t.to_string())
        }
    }
}

fn reprompt_for(kind: AskKind) -> &'static str {
    match kind {
        AskKind::Text => "Please type your answer.",
        AskKind::Email => {
            "That doesn't look like an email address. Please try again, like name@example.com."
        }
        AskKind::Phone => {
            "That doesn't look like a phone number. Please type it with the country code, like +1 650 555 1234."
        }
        AskKind::Number => "Please answer with a number, like 1000 or 12.5.",
        AskKind::Address => "Please type your full address: street and number, postcode and city.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_answers_are_stored_as_parsed() {
        let n = |t: &str| check_answer(AskKind::Number, t);
        assert_eq!(n("1,000.50").as_deref(), Some("1000.5"));
        assert_eq!(n("12,5").as_deref(), Some("12.5"));
        assert_eq!(n(" 42 ").as_deref(), Some("42"));
        assert_eq!(n("+7").as_deref(), Some("7"));
        assert_eq!(n("-0.25").as_deref(), Some("-0.25"));
        assert_eq!(n(".5").as_deref(), Some("0.5"));
        assert_eq!(n("3.000001").as_deref(), Some("3.000001"));
        assert_eq!(n("1.000.50"), None);
        // A thousand, or one? Asked again rather than guessed.
        assert_eq!(n("1,000"), None);
        assert_eq!(n("2,500"), None);
        assert_eq!(n("1,000,000"), None);
        assert_eq!(n("2,50").as_deref(), Some("2.5"));
        assert_eq!(n("2,5000").as_deref(), Some("2.5"));
        assert_eq!(n("twelve"), None);
        // What is stored reads back as the same number.
        for t in ["1,000.50", "12,5", "-0.25", "0.000001"] {
            let stored = n(t).unwrap();
            assert_eq!(parse_decimal(&stored), parse_decimal(t), "{t}");
        }
    }
}

//! The shopper's contact, as a flow reads and writes it.
//!
//! Reading: `{{contact.name}}` (the channel's profile name, WhatsApp's
//! `profile.name`), `{{contact.phone}}` (WhatsApp's number, `+` first),
//! `{{contact.channel}}`, `{{contact.tags}}` (the tags, comma-separated)
//! and `{{contact.<key>}}` for any attribute (`{{contact.email}}`).
//!
//! Writing, from a "set variable" step whose variable is named
//! `contact.…`: `contact.tag` adds the value as a tag, `contact.untag`
//! removes it, and `contact.<key>` sets attribute `<key>` (an empty value
//! removes it). Each write becomes an [`Effect`] the caller stores with the
//! turn; later steps of the same turn already see it.
//!
//! Conditions test a tag with [`Comparison::HasTag`](crate::flow::doc::Comparison::HasTag).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Effect, Run};
use crate::flow::text::normalize;

/// Most tags a contact has.
pub const MAX_TAGS: usize = 50;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// Most attributes a contact has.
pub const MAX_ATTRIBUTES: usize = 100;
/// Longest attribute key (`[a-z0-9_]`).
pub const MAX_ATTRIBUTE_KEY: usize = 40;
/// Longest attribute value, in characters.
pub const MAX_ATTRIBUTE_CHARS: usize = 1000;

/// The names after `contact.` a flow reads but cannot write as attributes.
pub const CONTACT_FIELDS: [&str; 6] = ["name", "phone", "channel", "tags", "tag", "untag"];

/// What a flow knows of the shopper's contact.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    /// The profile name the channel gives.
    pub name: String,
    /// The phone number (WhatsApp), `+` first; empty elsewhere.
    pub phone: String,
    /// The channel kind: `messenger`, `whatsapp` or `web`.
    pub channel: String,
    /// Tags, in the order they were added.
    pub tags: Vec<String>,
    /// Custom attributes.
    pub attributes: BTreeMap<String, String>,
}

/// Whether `key` may name an attribute: 1 to 40 of `a-z`, `0-9` and `_`.
pub fn is_attribute_key(key: &str) -> bool {
    (1..=MAX_ATTRIBUTE_KEY).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// What a "set variable" step named `name` writes to the contact, if it
/// writes to it at all: `Some(Ok(..))` for a write, `Some(Err(why))` for a
/// `contact.` name that cannot be written, `None` for an ordinary variable.
pub fn contact_target(name: &str) -> Option<Result<ContactWrite<'_>, String>> {
    let rest = name.strip_prefix("contact.")?;
    Some(match rest {
        "tag" => Ok(ContactWrite::Tag { add: true }),
        "untag" => Ok(ContactWrite::Tag { add: false }),
        "name" | "phone" | "channel" | "tags" => Err(format!(
            "“{name}” comes from the channel and cannot be set; use contact.tag, contact.untag or contact.<attribute>."
        )),
        key if is_attribute_key(key) => Ok(ContactWrite::Attribute { key }),
        _ => Err(format!(
            "“{name}” is not a contact attribute: after “contact.” use lowercase letters, digits and “_”."
        )),
    })
}

/// A write to the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactWrite<'a> {
    /// Adds (or removes) the value as a tag.
    Tag {
        /// Add, or remove.
        add: bool,
    },
    /// Sets an attribute (an empty value removes it).
    Attribute {
        /// The attribute.
        key: &'a str,
    },
}

impl Contact {
    /// Whether the contact has `tag`, ignoring case and accents.
    pub fn has_tag(&self, tag: &str) -> bool {
        let tag = normalize(tag);
        !tag.is_empty() && self.tags.iter().any(|t| normalize(t) == tag)
    }

    /// Adds or removes a tag (trimmed, cut to [`MAX_TAG_CHARS`]); `false`
    /// when nothing changed (already there, absent, empty, or
    /// [`MAX_TAGS`] reached).
    pub fn tag(&mut self, tag: &str, add: bool) -> bool {
        let tag: String = tag.trim().chars().take(MAX_TAG_CHARS).collect();
        if tag.is_empty() {
            return false;
        }
        let had = self.has_tag(&tag);
        if add {
            if had || self.tags.len() >= MAX_TAGS {
                return false;
            }
            self.tags.push(tag);
        } else {
            if !had {
                return false;
            }
            let folded = normalize(&tag);
            self.tags.retain(|t| normalize(t) != folded);
        }
        true
    }

    /// Sets an attribute (cut to [`MAX_ATTRIBUTE_CHARS`]), or removes it
    /// when `value` is empty; `false` when nothing changed or the key is
    /// not usable or [`MAX_ATTRIBUTES`] is reached.
    pub fn set_attribute(&mut self, key: &str, value: &str) -> bool {
        if !is_attribute_key(key) {
            return false;
        }
        if value.is_empty() {
            return self.attributes.remove(key).is_some();
        }
        let value: String = value.chars().take(MAX_ATTRIBUTE_CHARS).collect();
        let full = self.attributes.len() >= MAX_ATTRIBUTES;
        match self.attributes.get_mut(key) {
            Some(old) if *old == value => false,
            Some(old) => {
                *old = value;
                true
            }
            None if full => false,
            None => {
                self.attributes.insert(key.to_string(), value);
                true
            }
        }
    }

    /// Applies one of [`Effect::SetContact`] or [`Effect::TagContact`];
    /// other effects change nothing. `true` when the contact changed.
    pub fn apply(&mut self, effect: &Effect) -> bool {
        match effect {
            Effect::SetContact { key, value } => self.set_attribute(key, value),
            Effect::TagContact { tag, add } => self.tag(tag, *add),
            _ => false,
        }
    }

    /// Appends the value of `field` (what follows `contact.`) to `out`.
    fn value_into(&self, field: &str, out: &mut String) {
        match field {
            "name" => out.push_str(&self.name),
            "phone" => out.push_str(&self.phone),
            "channel" => out.push_str(&self.channel),
            "tags" => {
                for (i, t) in self.tags.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(t);
                }
            }
            key => {
                if let Some(v) = self.attributes.get(key) {
                    out.push_str(v);
                }
            }
        }
    }
}

impl Run<'_> {
    /// Appends the value of `contact.<field>` to `out`.
    pub(super) fn contact_into(&self, field: &str, out: &mut String) {
        self.contact.value_into(field, out);
    }

    /// A "set variable" step writing `value` to the contact through
    /// `name` (`contact.…`); `false` when `name` is an ordinary variable.
    /// A name that cannot be written changes nothing.
    pub(super) fn write_contact(&mut self, name: &str, value: String) -> bool {
        let Some(target) = contact_target(name) else {
            return false;
        };
        let effect = match target {
            Ok(ContactWrite::Tag { add }) => Effect::TagContact {
                tag: value.trim().to_string(),
                add,
            },
            Ok(ContactWrite::Attribute { key }) => Effect::SetContact {
                key: key.to_string(),
                value,
            },
            Err(_) => return true,
        };
        if self.contact.to_mut().apply(&effect) {
            self.effects.push(effect);
        }
        true
    }

    /// Whether the contact has the tag.
    pub(super) fn contact_has_tag(&self, tag: &str) -> bool {
        self.contact.has_tag(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commerce::CatalogView;
    use crate::flow::doc::*;
    use crate::flow::interpreter::{Ctx, Input, Session, ValidFlow, step};

    fn node(id: &str, kind: NodeKind) -> Node {
        Node {
            id: id.into(),
            position: Position::default(),
            kind,
        }
    }

    fn ana() -> Contact {
        Contact {
            name: "Ana".into(),
            phone: "+16505551234".into(),
            channel: "whatsapp".into(),
            tags: vec!["new".into()],
            attributes: [("email".to_string(), "ana@example.com".to_string())].into(),
        }
    }

    /// hi → set contact.tag=vip → condition has_tag vip → "yes"/"no".
    fn flow() -> ValidFlow {
        let msg = |t: &str| {
            NodeKind::Message(MessageSettings {
                text: t.into(),
                image_url: None,
            })
        };
        let doc = FlowDoc {
            start: Some("hi".into()),
            nodes: vec![
                node(
                    "hi",
                    msg(
                        "Hi {{contact.name}} ({{contact.phone}}, {{contact.email}}, {{contact.tags}})",
                    ),
                ),
                node(
                    "tag",
                    NodeKind::SetVariable(SetVariableSettings {
                        name: "contact.tag".into(),
                        value: "vip".into(),
                    }),
                ),
                node(
                    "mail",
                    NodeKind::SetVariable(SetVariableSettings {
                        name: "contact.email".into(),
                        value: "{{contact.name}}@shop.example".into(),
                    }),
                ),
                node(
                    "check",
                    NodeKind::Condition(ConditionSettings {
                        branches: vec![Branch {
                            id: "vip".into(),
                            label: String::new(),
                            subject: Subject::Variable {
                                name: String::new(),
                            },
                            op: Comparison::HasTag,
                            value: "VIP".into(),
                        }],
                    }),
                ),
                node("yes", msg("yes {{contact.email}}")),
                node("no", msg("no")),
            ],
            edges: vec![
                Edge::new("hi", "next", "tag"),
                Edge::new("tag", "next", "mail"),
                Edge::new("mail", "next", "check"),
                Edge::new("check", "vip", "yes"),
                Edge::new("check", "else", "no"),
            ],
            ..Default::default()
        };
        ValidFlow::unchecked(doc)
    }

    fn texts(effects: &[Effect]) -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send {
                    message: crate::channel::Outbound::Text { text },
                } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_flow_reads_tags_and_writes_the_contact() {
        let catalog = CatalogView::default();
        let contact = ana();
        let ctx = Ctx {
            now_ms: 0,
            conversation: "c",
            event_id: "e",
            catalog: &catalog,
            orders: &[],
            contact: Some(&contact),
        };
        let out = step(&flow(), Session::default(), Input::Start, &ctx);
        assert_eq!(
            texts(&out.effects),
            [
                "Hi Ana (+16505551234, ana@example.com, new)",
                "yes Ana@shop.example"
            ]
        );
        assert!(out.effects.contains(&Effect::TagContact {
            tag: "vip".into(),
            add: true
        }));
        assert!(out.effects.contains(&Effect::SetContact {
            key: "email".into(),
            value: "Ana@shop.example".into()
        }));
        assert!(
            !out.session.vars.contains_key("contact.tag"),
            "contact writes are not session variables"
        );
    }

    #[test]
    fn without_a_contact_reads_are_empty_and_the_tag_holds_within_the_turn() {
        let catalog = CatalogView::default();
        let ctx = Ctx {
            now_ms: 0,
            conversation: "c",
            event_id: "e",
            catalog: &catalog,
            orders: &[],
            contact: None,
        };
        let out = step(&flow(), Session::default(), Input::Start, &ctx);
        assert_eq!(texts(&out.effects), ["Hi  (, , )", "yes @shop.example"]);
    }

    #[test]
    fn an_existing_tag_is_not_written_again() {
        let mut c = ana();
        assert!(!c.tag(" NEW ", true), "case-insensitive");
        assert!(c.tag("vip", true));
        assert!(c.has_tag("Vip"));
        assert!(c.tag("VIP", false));
        assert!(!c.has_tag("vip"));
        assert!(!c.tag("  ", true));
        for i in 0..60 {
            c.tag(&format!("t{i}"), true);
        }
        assert_eq!(c.tags.len(), MAX_TAGS);
        assert!(!c.set_attribute("Bad-Key", "x"));
        assert!(c.set_attribute("email", ""));
        assert!(!c.attributes.contains_key("email"));
    }

    #[test]
    fn contact_names_say_what_they_write() {
        assert_eq!(
            contact_target("contact.tag"),
            Some(Ok(ContactWrite::Tag { add: true }))
        );
        assert_eq!(
            contact_target("contact.email"),
            Some(Ok(ContactWrite::Attribute { key: "email" }))
        );
        assert!(matches!(contact_target("contact.name"), Some(Err(_))));
        assert!(matches!(contact_target("contact.Email"), Some(Err(_))));
        assert_eq!(contact_target("email"), None);
    }

    #[test]
    fn validation_refuses_contact_fields_and_accepts_tag_tests() {
        let mut doc = flow().doc().clone();
        let report = crate::flow::validate::validate(&doc, None);
        // The test flow's last messages lead nowhere; nothing else is wrong.
        assert!(
            report
                .problems
                .iter()
                .all(|p| p.code == "unconnected_output"),
            "{report:?}"
        );
        if let NodeKind::SetVariable(s) = &mut doc.nodes[1].kind {
            s.name = "contact.name".into();
        }
        if let NodeKind::Condition(s) = &mut doc.nodes[3].kind {
            s.branches[0].value = " ".into();
        }
        let report = crate::flow::validate::validate(&doc, None);
        let text = format!("{report:?}");
        assert!(text.contains("comes from the channel"), "{text}");
        assert!(text.contains("tests a tag but names none"), "{text}");
    }
}

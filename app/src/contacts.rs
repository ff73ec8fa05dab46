//! Contacts: one per shopper per channel of a workspace, with tags and
//! custom attributes. The views the REST API returns and the contacts page
//! shows, and the rules a change must follow (pure; the server and the
//! page share them).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::flow::interpreter::{
    MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTES, MAX_TAG_CHARS, MAX_TAGS,
    is_attribute_key,
};
use crate::views::OrderSummary;

/// What a contact's orders add up to in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// How many orders in this currency.
    pub orders: i64,
    /// The sum, in the currency's main unit with its decimals (`129.80`).
    pub total: String,
    /// The sum as people read it (`$129.80`).
    pub total_label: String,
}

/// A contact in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactSummary {
    /// Id.
    pub id: i64,
    /// `messenger`, `whatsapp` or `web`.
    pub channel: String,
    /// The shopper's id on that channel (PSID, WhatsApp id, web visitor).
    pub external_user: String,
    /// The profile name the channel gives (WhatsApp's `profile.name`).
    pub name: String,
    /// The phone number (WhatsApp), `+` first; empty elsewhere.
    pub phone: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom attributes.
    pub attributes: BTreeMap<String, String>,
    /// The shopper asked not to be messaged.
    pub opted_out: bool,
    /// First seen, in milliseconds since the Unix epoch.
    pub first_seen: i64,
    /// Last seen (to the minute), in milliseconds since the Unix epoch.
    pub last_seen: i64,
    /// How many orders the shopper placed, in every currency.
    pub orders: i64,
    /// The orders' totals, one per currency.
    pub totals: Vec<ContactTotal>,
}

impl ContactSummary {
    /// The name to show: the profile name, else the phone, else the id.
    pub fn label(&self) -> &str {
        [&self.name, &self.phone, &self.external_user]
            .into_iter()
            .find(|s| !s.trim().is_empty())
            .map_or("", |s| s.as_str())
    }

    /// The totals as one line (`$12.00 · €3.50`), `—` without orders.
    pub fn totals_label(&self) -> String {
        if self.totals.is_empty() {
            return "—".into();
        }
        self.totals
            .iter()
            .map(|t| t.total_label.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// A page of contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactPage {
    /// Most recently seen first.
    pub contacts: Vec<ContactSummary>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// One of a contact's conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactConversation {
    /// The conversation's id.
    pub id: i64,
    /// Its bot.
    pub bot_id: i64,
    /// The bot's name.
    pub bot_name: String,
    /// `open`, `waiting` or `closed`.
    pub status: String,
    /// Last activity, in milliseconds since the Unix epoch.
    pub updated_at: i64,
}

/// A contact with its conversations and latest orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactDetail {
    /// The contact.
    pub contact: ContactSummary,
    /// Its conversations (one per bot), most recent first.
    pub conversations: Vec<ContactConversation>,
    /// Its latest orders (at most 20), newest first.
    pub orders: Vec<OrderSummary>,
    /// Whether the viewer may change tags and attributes.
    #[serde(default)]
    pub can_edit: bool,
}

/// Trims, drops empty and repeated (ignoring case) tags, and checks the
/// limits: at most 50 tags of at most 64 characters. The error says which.
pub fn clean_tags<S: AsRef<str>>(tags: &[S]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.as_ref().trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_TAG_CHARS {
            return Err(format!(
                "The tag “{}…” is longer than {MAX_TAG_CHARS} characters.",
                t.chars().take(20).collect::<String>()
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(format!("The tag “{t}” holds a control character."));
        }
        let folded = t.to_lowercase();
        if !out.iter().any(|o| o.to_lowercase() == folded) {
            out.push(t.to_string());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(format!(
            "A contact has at most {MAX_TAGS} tags; this gives {}.",
            out.len()
        ));
    }
    Ok(out)
}

/// Applies attribute changes to `current`: a string sets a key, `null`
/// removes it. Keys are 1 to 40 of `a-z`, `0-9` and `_`; values strings of
/// at most 1000 characters; at most 100 keys in the end. The error says
/// which key is wrong, and nothing is changed.
pub fn apply_attributes(
    current: &BTreeMap<String, String>,
    changes: &serde_json::Map<String, serde_json::Value>,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = current.clone();
    for (key, value) in changes {
        if !is_attribute_key(key) {
            return Err(format!(
                "The attribute “{key}” is not a usable key: use 1 to {MAX_ATTRIBUTE_KEY} lowercase letters, digits and “_”."
            ));
        }
        match value {
            serde_json::Value::Null => {
                out.remove(key);
            }
            serde_json::Value::String(v) => {
                if v.chars().count() > MAX_ATTRIBUTE_CHARS {
                    return Err(format!(
                        "The attribute “{key}” is longer than {MAX_ATTRIBUTE_CHARS} characters."
                    ));
                }
                if v.is_empty() {
                    out.remove(key);
                } else {
                    out.insert(key.clone(), v.clone());
                }
            }
            _ => {
                return Err(format!(
                    "The attribute “{key}” must be a string, or null to remove it."
                ));
            }
        }
    }
    if out.len() > MAX_ATTRIBUTES {
        return Err(format!(
            "A contact has at most {MAX_ATTRIBUTES} attributes; this gives {}.",
            out.len()
        ));
    }
    Ok(out)
}

/// Reads the attributes of the contact page's form: one `key = value` a
/// line. Keys left out are removed; the result replaces every attribute.
pub fn parse_attribute_lines(
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let mut out = serde_json::Map::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "Line {} of the attributes has no “=”: write one key = value a line.",
                i + 1
            ));
        };
        out.insert(
            key.trim().to_string(),
            serde_json::Value::String(value.trim().to_string()),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            clean_tags(&[" vip ", "VIP", "", "new"]).unwrap(),
            ["vip", "new"]
        );
        assert!(clean_tags(&["x".repeat(65)]).unwrap_err().contains("64"));
        let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
        assert!(clean_tags(&many).unwrap_err().contains("50"));
    }

    #[test]
    fn attributes_set_remove_and_say_what_is_wrong() {
        let current: BTreeMap<String, String> = [
            ("email".into(), "a@b.c".into()),
            ("size".into(), "42".into()),
        ]
        .into();
        let changed = apply_attributes(
            &current,
            json!({"email": null, "city": "Lisbon"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(changed.get("city").map(String::as_str), Some("Lisbon"));
        assert!(!changed.contains_key("email"));
        let bad =
            |v: serde_json::Value| apply_attributes(&current, v.as_object().unwrap()).unwrap_err();
        assert!(bad(json!({"Bad Key": "x"})).contains("Bad Key"));
        assert!(bad(json!({"n": 3})).contains("“n” must be a string"));
        assert!(bad(json!({"long": "x".repeat(1001)})).contains("1000"));
        let many: serde_json::Map<_, _> = (0..101).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(
            apply_attributes(&BTreeMap::new(), &many)
                .unwrap_err()
                .contains("100")
        );
    }

    #[test]
    fn form_lines_become_attributes() {
        let m = parse_attribute_lines("email = a@b.c\n\n size=42 \n").unwrap();
        assert_eq!(m["email"], "a@b.c");
        assert_eq!(m["size"], "42");
        assert!(
            parse_attribute_lines("nonsense")
                .unwrap_err()
                .contains("Line 1")
        );
    }
}

//! The variable picker: which variables a flow offers, and inserting
//! `{{name}}` at a caret counted as the browser counts it. Must not change
//! a document; the text it returns is saved with an [`Op`](super::Op).

use crate::flow::doc::{FlowDoc, NodeKind};

/// Every variable name a flow sets or that is always available, sorted:
/// what the editor's variable picker offers.
pub fn known_variables(doc: &FlowDoc) -> Vec<String> {
    let mut vars: Vec<String> = [
        "cart.total",
        "cart.count",
        "cart.items",
        "contact.name",
        "contact.phone",
        "contact.tags",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for n in &doc.nodes {
        let name = match &n.kind {
            NodeKind::Ask(s) => Some(s.save_as.clone()),
            NodeKind::QuickReply(s) => s.save_as.clone(),
            NodeKind::SetVariable(s) => Some(s.name.clone()),
            NodeKind::HttpRequest(s) => s.save_as.clone(),
            NodeKind::Checkout(_) => {
                vars.extend(["order.number", "order.total", "order.url"].map(String::from));
                None
            }
            _ => None,
        };
        // `contact.tag` and `contact.untag` write tags; they read as nothing.
        if let Some(name) = name.filter(|n| {
            crate::flow::text::is_var_name(n)
                && !matches!(n.as_str(), "contact.tag" | "contact.untag")
        }) {
            vars.push(name);
        }
    }
    vars.sort();
    vars.dedup();
    vars
}

/// The byte offset in `text` of a caret `units` UTF-16 code units in, as
/// the browser counts a text field's selection; past the end (or inside a
/// character, which a browser does not report) it is the end, or the start
/// of the character it falls in.
pub fn caret_byte_offset(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, ch) in text.char_indices() {
        if seen >= units {
            return i;
        }
        seen += ch.len_utf16();
        if seen > units {
            return i;
        }
    }
    text.len()
}

/// `text` with `{{name}}` inserted where a caret `caret` UTF-16 units in
/// stands, or at the end without a caret: what the variable picker does.
pub fn insert_variable(text: &str, caret: Option<usize>, name: &str) -> String {
    let at = caret.map_or(text.len(), |c| caret_byte_offset(text, c));
    let mut out = String::with_capacity(text.len() + name.len() + 4);
    out.push_str(&text[..at]);
    out.push_str("{{");
    out.push_str(name);
    out.push_str("}}");
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_go_in_at_the_caret_counted_in_utf16_units() {
        // ASCII: units and bytes agree.
        assert_eq!(insert_variable("Hi !", Some(3), "name"), "Hi {{name}}!");
        assert_eq!(insert_variable("Hi", Some(0), "x"), "{{x}}Hi");
        assert_eq!(insert_variable("Hi", None, "x"), "Hi{{x}}");
        assert_eq!(insert_variable("Hi", Some(99), "x"), "Hi{{x}}");
        // "é" is 1 unit and 2 bytes; "👋" is 2 units and 4 bytes.
        assert_eq!(caret_byte_offset("é!", 1), 2);
        assert_eq!(caret_byte_offset("👋 x", 2), 4);
        assert_eq!(caret_byte_offset("👋 x", 3), 5);
        assert_eq!(
            insert_variable("Olá 👋, !", Some(8), "name"),
            "Olá 👋, {{name}}!"
        );
        // A caret inside a surrogate pair lands before the emoji, never
        // inside its bytes.
        assert_eq!(caret_byte_offset("a👋b", 2), 1);
        assert_eq!(insert_variable("a👋b", Some(2), "v"), "a{{v}}👋b");
        assert_eq!(caret_byte_offset("", 3), 0);
    }

    #[test]
    fn variables_come_from_the_flow() {
        let d = crate::flow::templates::shop();
        let vars = known_variables(&d);
        assert!(vars.contains(&"cart.total".to_string()));
        assert!(vars.contains(&"order.number".to_string()));
        assert!(vars.windows(2).all(|w| w[0] < w[1]));
    }
}

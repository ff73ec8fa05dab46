//! Text helpers for conversations: matching what shoppers type (case and
//! accents ignored) and `{{variable}}` interpolation.

use std::collections::BTreeMap;

pub use crate::fold::normalize;

/// Replaces `{{name}}` with the variable's value; unknown names become
/// empty. Whitespace inside the braces is ignored (`{{ name }}`). An opening
/// `{{` without a closing `}}` is kept as written.
pub fn interpolate(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    interpolate_into(template, &mut out, |name, out| {
        if let Some(value) = lookup(name) {
            out.push_str(&value);
        }
    });
    out
}

/// [`interpolate`] appending to `out`, with `fill` appending a variable's
/// value (nothing for an unknown name), so no value is copied twice.
pub fn interpolate_into(template: &str, out: &mut String, mut fill: impl FnMut(&str, &mut String)) {
    let mut rest = template;
    while let Some(start) = find_pair(rest, b'{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match find_pair(after, b'}') {
            Some(end) => {
                let name = after[..end].trim();
                if is_var_name(name) {
                    fill(name, out);
                } else {
                    out.push_str(&rest[start..start + 2 + end + 2]);
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
}

/// Where `text` first has `byte` twice in a row (`{{` or `}}`): what
/// `text.find("{{")` says, without setting up a substring search for each
/// template filled.
fn find_pair(text: &str, byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    // `byte` is ASCII, so every match is a character boundary.
    while let Some(i) = text[from..].find(char::from(byte)) {
        let at = from + i;
        if bytes.get(at + 1) == Some(&byte) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The variable names a template refers to, in order, without repeats.
pub fn referenced_vars(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if is_var_name(name) && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    names
}

/// Variable names: letters, digits, `_` and `.`, starting with a letter, at
/// most 40 characters (`first_name`, `cart.total`).
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Interpolates from a map of variables.
pub fn interpolate_vars(template: &str, vars: &BTreeMap<String, String>) -> String {
    interpolate(template, |name| vars.get(name).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_ignores_case_accents_and_punctuation() {
        assert_eq!(normalize("  Çà  va, Señor! "), "ca va senor");
        assert_eq!(normalize("CRÈME brûlée"), "creme brulee");
        assert_eq!(normalize("Straße"), "strasse");
        assert_eq!(normalize("Size-42"), "size 42");
        assert_eq!(normalize("👍"), "👍");
        assert_eq!(normalize("?!"), "");
        assert_eq!(normalize("Ünïcödé"), normalize("unicode"));
    }

    #[test]
    fn decomposed_accents_fold_like_composed_ones() {
        assert_eq!(normalize("cafe\u{301}"), "cafe");
        assert_eq!(normalize("cafe\u{301}"), normalize("café"));
        assert_eq!(
            normalize("Cre\u{300}me bru\u{302}le\u{301}e"),
            "creme brulee"
        );
        assert_eq!(normalize("Sen\u{303}or"), "senor");
        assert_eq!(normalize("\u{301}"), "", "a lone mark is nothing");
    }

    #[test]
    fn interpolation_fills_known_variables() {
        let mut vars = BTreeMap::new();
        vars.insert("name".to_string(), "Ana".to_string());
        assert_eq!(interpolate_vars("Hi {{name}}!", &vars), "Hi Ana!");
        assert_eq!(interpolate_vars("Hi {{ name }}!", &vars), "Hi Ana!");
        assert_eq!(interpolate_vars("Hi {{missing}}.", &vars), "Hi .");
        assert_eq!(interpolate_vars("{{name}}{{name}}", &vars), "AnaAna");
        assert_eq!(interpolate_vars("Open {{ brace", &vars), "Open {{ brace");
        assert_eq!(
            interpolate_vars("Not {{a var!}} here", &vars),
            "Not {{a var!}} here"
        );
        assert_eq!(interpolate_vars("é{{name}}é", &vars), "éAnaé");
    }

    #[test]
    fn pairs_are_found_where_find_finds_them() {
        for text in [
            "", "{", "{{", "a{b{{c", "{{{", "x}}", "}{}}", "é{{n}}", "{a{{",
        ] {
            assert_eq!(find_pair(text, b'{'), text.find("{{"), "{text:?}");
            assert_eq!(find_pair(text, b'}'), text.find("}}"), "{text:?}");
        }
    }

    #[test]
    fn referenced_variables_are_listed_once() {
        assert_eq!(
            referenced_vars("{{a}} {{b}} {{a}} {{ c.d }} {{x y}}"),
            ["a", "b", "c.d"]
        );
        assert!(is_var_name("first_name"));
        assert!(!is_var_name("1st"));
        assert!(!is_var_name(""));
        assert!(!is_var_name("a-b"));
    }
}

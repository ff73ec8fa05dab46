//! The one HTML escaper for pages written by hand (the order page, the
//! forms' not-found page). Leptos escapes its own views.

/// `s` made safe inside HTML text and quoted attribute values (either
/// quote).
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::html;

    #[test]
    fn every_markup_character_is_escaped() {
        assert_eq!(
            html(r#"<a href="x" title='y'>Tom & Jerry</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;"
        );
        // Already escaped text is escaped again, not left as markup.
        assert_eq!(html("&amp;"), "&amp;amp;");
        assert_eq!(html("plain é text"), "plain é text");
    }
}

//! Folding what people type for matching, pure: case, accents and
//! punctuation ignored. Shared by the interpreter (answers, keywords) and
//! the catalog search, so both match text the same way.

/// Lower-cases, strips accents from Latin letters, turns punctuation into
/// spaces and collapses whitespace: `"  Çà  va, Señor! "` → `"ca va senor"`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    // ASCII, by far the common case, is folded a byte at a time: its
    // letters and digits are kept (lower-cased), everything else is a
    // separator, exactly as the general path below would decide.
    if text.is_ascii() {
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(char::from(b.to_ascii_lowercase()));
            } else {
                pending_space = true;
            }
        }
        return out;
    }
    fold_chars(text, out)
}

/// [`normalize`] for any text, a character at a time.
fn fold_chars(text: &str, mut out: String) -> String {
    let mut pending_space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        // A decomposed accent ("e" + U+0301) goes the way of a composed one.
        if is_combining_mark(c) {
            continue;
        }
        let base = fold(c);
        let keep = base.is_alphanumeric() || base.is_other_symbol_like();
        if keep {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            match base {
                'ß' => out.push_str("ss"),
                'æ' => out.push_str("ae"),
                'œ' => out.push_str("oe"),
                other => out.push(other),
            }
        } else {
            pending_space = true;
        }
    }
    out
}

trait SymbolLike {
    fn is_other_symbol_like(&self) -> bool;
}

impl SymbolLike for char {
    /// Emoji and other pictographs count as content, so "👍" still matches.
    fn is_other_symbol_like(&self) -> bool {
        (*self as u32) >= 0x2190 && !self.is_whitespace()
    }
}

/// Combining marks: the accents of decomposed text, as typed by some
/// keyboards and sent by macOS and iOS.
fn is_combining_mark(c: char) -> bool {
    matches!(
        c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
    )
}

/// Maps an accented Latin letter to its base letter.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => 's',
        'ţ' | 'ť' | 'ŧ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_path_folds_like_the_general_one() {
        let ascii: String = (0u8..128).map(char::from).collect();
        let samples = [
            ascii.as_str(),
            "  Hello,  World!! ",
            "Size-42",
            "a\tb\nc",
            "?!",
            "",
            "Rua Augusta 100, 1100-053 Lisboa",
        ];
        for text in samples {
            assert_eq!(normalize(text), fold_chars(text, String::new()), "{text:?}");
        }
        for a in 0u8..128 {
            for b in 0u8..128 {
                let text: String = [char::from(a), char::from(b), 'x'].into_iter().collect();
                assert_eq!(
                    normalize(&text),
                    fold_chars(&text, String::new()),
                    "{text:?}"
                );
            }
        }
    }
}

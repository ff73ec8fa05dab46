//! Exact decimal numbers as shoppers type them: parsing to millionths and
//! writing them back plainly. A leaf module: it depends on nothing else in
//! the flow, so validation and the interpreter can both use it.

/// Parses a decimal number exactly, as millionths: `"12.5"` → 12_500_000.
/// With a dot, commas group thousands (`"1,000.50"`); without one, a comma
/// is the decimal point (`"12,5"`). One comma before exactly three digits
/// (`"1,000"`) is a thousand to some shoppers and one to others: it is
/// refused rather than guessed.
pub fn parse_decimal(s: &str) -> Option<i128> {
    let s = s.trim();
    if !s.contains('.')
        && let Some((_, after)) = s.split_once(',')
        && after.len() == 3
        && after.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let s = if s.contains('.') {
        s.replace(',', "")
    } else {
        s.replace(',', ".")
    };
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() > 24
        || frac.len() > 6
    {
        return None;
    }
    let mut v: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    v = v.checked_mul(1_000_000)?;
    let mut f: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..6 {
        f *= 10;
    }
    v = v.checked_add(f)?;
    Some(if neg { -v } else { v })
}

/// Writes millionths from [`parse_decimal`] as a plain decimal, without
/// trailing zeros: 1_000_500_000 → `"1000.5"`, -3_000_000 → `"-3"`.
pub fn format_decimal(millionths: i128) -> String {
    let sign = if millionths < 0 { "-" } else { "" };
    let abs = millionths.unsigned_abs();
    let (int, frac) = (abs / 1_000_000, abs % 1_000_000);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:06}");
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_parsed_exactly_as_millionths() {
        assert_eq!(parse_decimal("12.5"), Some(12_500_000));
        assert_eq!(parse_decimal("1,000.50"), Some(1_000_500_000));
        assert_eq!(parse_decimal("12,5"), Some(12_500_000));
        assert_eq!(parse_decimal("-0.25"), Some(-250_000));
        // A thousand, or one? Refused rather than guessed.
        assert_eq!(parse_decimal("1,000"), None);
        assert_eq!(parse_decimal("0.0000001"), None);
        assert_eq!(parse_decimal("twelve"), None);
    }

    #[test]
    fn decimals_are_written_without_trailing_zeros() {
        assert_eq!(format_decimal(0), "0");
        assert_eq!(format_decimal(12_500_000), "12.5");
        assert_eq!(format_decimal(-3_000_000), "-3");
        assert_eq!(format_decimal(-250_000), "-0.25");
        assert_eq!(format_decimal(1), "0.000001");
    }
}

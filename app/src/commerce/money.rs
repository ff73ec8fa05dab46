//! Money as integer minor units with an ISO 4217 currency. No floats, ever:
//! amounts add and multiply exactly, and overflow is an error, not a wrap.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A three-letter ISO 4217 currency code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// ISO 4217's "no currency", for data that lost its code.
    pub const XXX: Currency = Currency(*b"XXX");

    /// Parses `usd`, `EUR`, … (any three ASCII letters).
    pub fn parse(code: &str) -> Option<Currency> {
        let code = code.trim();
        let bytes = code.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_alphabetic) {
            Some(Currency([
                bytes[0].to_ascii_uppercase(),
                bytes[1].to_ascii_uppercase(),
                bytes[2].to_ascii_uppercase(),
            ]))
        } else {
            None
        }
    }

    /// The code, such as `"EUR"`.
    pub fn code(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// How many digits follow the decimal point.
    pub fn exponent(&self) -> u32 {
        match &self.0 {
            b"BIF" | b"CLP" | b"DJF" | b"GNF" | b"ISK" | b"JPY" | b"KMF" | b"KRW" | b"PYG"
            | b"RWF" | b"UGX" | b"UYI" | b"VND" | b"VUV" | b"XAF" | b"XOF" | b"XPF" => 0,
            b"BHD" | b"IQD" | b"JOD" | b"KWD" | b"LYD" | b"OMR" | b"TND" => 3,
            _ => 2,
        }
    }

    fn symbol(&self) -> Option<&'static str> {
        Some(match &self.0 {
            b"USD" => "$",
            b"EUR" => "€",
            b"GBP" => "£",
            b"JPY" => "¥",
            b"INR" => "₹",
            b"BRL" => "R$",
            b"NGN" => "₦",
            _ => return None,
        })
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s).ok_or_else(|| format!("“{s}” is not a three-letter currency code"))
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money: integer minor units (cents) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units: cents for EUR/USD, yen for JPY.
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

/// Why a money operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit.
    #[error("amount too large")]
    Overflow,
    /// Text that is not an amount.
    #[error("“{0}” is not an amount; write it like 12.50")]
    Invalid(String),
    /// More decimals than the currency has (rounding would change the price).
    #[error("{}", too_many_decimals(text, *currency))]
    TooManyDecimals {
        /// The amount as written.
        text: String,
        /// Its currency.
        currency: Currency,
    },
}

fn too_many_decimals(text: &str, currency: Currency) -> String {
    match currency.exponent() {
        0 => format!("{currency} amounts are whole numbers, without decimals like in “{text}”"),
        1 => format!("{currency} amounts have at most 1 decimal; “{text}” has more"),
        n => format!("{currency} amounts have at most {n} decimals; “{text}” has more"),
    }
}

impl Money {
    /// `minor` units of `currency`.
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Zero of `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// The sum, in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// This amount times a quantity.
    pub fn checked_mul(self, qty: u32) -> Result<Money, MoneyError> {
        self.minor
            .checked_mul(i64::from(qty))
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Parses a decimal amount written by a person (`12.5`, `12,50`, `1 200`)
    /// into minor units of `currency`, without floating point. More decimals
    /// than the currency has is an error, not a rounding.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let invalid = || MoneyError::Invalid(text.to_string());
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (int_part, frac_part) = match digits.rfind(['.', ',']) {
            Some(i) => (&digits[..i], &digits[i + 1..]),
            None => (digits, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let exp = currency.exponent() as usize;
        if !frac_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        if frac_part.len() > exp {
            return Err(MoneyError::TooManyDecimals {
                text: text.trim().to_string(),
                currency,
            });
        }
        // Thousands separators may only appear in the integer part, one
        // kind, other than the decimal point, between groups of three
        // digits: "1,200.50" and "1.200,50", never "12.5.0" or "1.2.3".
        let decimal_mark = digits[int_part.len()..].chars().next();
        let mut marks = int_part.chars().filter(|c| matches!(c, ',' | '.'));
        if let Some(mark) = marks.next() {
            let groups: Vec<&str> = int_part.split(mark).collect();
            let grouped = groups[0].len() <= 3
                && !groups[0].is_empty()
                && groups[1..].iter().all(|g| g.len() == 3);
            if Some(mark) == decimal_mark || marks.any(|c| c != mark) || !grouped {
                return Err(invalid());
            }
        }
        let int_digits: String = int_part
            .chars()
            .filter(|c| *c != ',' && *c != '.')
            .collect();
        if !int_digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let int: i64 = if int_digits.is_empty() {
            0
        } else {
            int_digits.parse().map_err(|_| MoneyError::Overflow)?
        };
        let mut frac: i64 = if frac_part.is_empty() {
            0
        } else {
            frac_part.parse().map_err(|_| invalid())?
        };
        for _ in frac_part.len()..exp {
            frac *= 10;
        }
        let scale = 10_i64.pow(exp as u32);
        let minor = int
            .checked_mul(scale)
            .and_then(|v| v.checked_add(frac))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// The amount without its sign, as [`Money::decimal`] writes it.
    fn write_abs(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Digits right to left into a buffer: 20 for any u64, a point and
        // at most 3 decimals (zero-padded) fit.
        let exp = self.currency.exponent();
        let mut abs = self.minor.unsigned_abs();
        let mut buf = [0u8; 32];
        let mut at = buf.len();
        for _ in 0..exp {
            at -= 1;
            buf[at] = b'0' + (abs % 10) as u8;
            abs /= 10;
        }
        if exp > 0 {
            at -= 1;
            buf[at] = b'.';
        }
        loop {
            at -= 1;
            buf[at] = b'0' + (abs % 10) as u8;
            abs /= 10;
            if abs == 0 {
                break;
            }
        }
        f.write_str(std::str::from_utf8(&buf[at..]).unwrap_or_default())
    }

    /// The amount as a plain decimal: `12.50`.
    pub fn decimal(&self) -> String {
        let exp = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10_u64.pow(exp);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exp as usize
        )
    }
}

impl fmt::Display for Money {
    /// `$12.50`, `€3.00`, or `12.50 CHF` for currencies without a symbol here.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written straight out, without building `decimal()` first: this
        // runs for every price on every product card.
        let sign = if self.minor < 0 { "-" } else { "" };
        match self.currency.symbol() {
            Some(sym) => {
                f.write_str(sign)?;
                f.write_str(sym)?;
                self.write_abs(f)
            }
            None => {
                f.write_str(sign)?;
                self.write_abs(f)?;
                write!(f, " {}", self.currency)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("usd").unwrap()
    }

    #[test]
    fn display_writes_what_decimal_says() {
        for code in ["USD", "JPY", "KWD", "CHF", "EUR", "BRL"] {
            let currency = Currency::parse(code).unwrap();
            for minor in [
                i64::MIN,
                -1_000_001,
                -100,
                -5,
                0,
                7,
                10,
                1234,
                100_000,
                i64::MAX,
            ] {
                let m = Money::new(minor, currency);
                let decimal = m.decimal();
                let expected = match currency.symbol() {
                    Some(sym) => match decimal.strip_prefix('-') {
                        Some(abs) => format!("-{sym}{abs}"),
                        None => format!("{sym}{decimal}"),
                    },
                    None => format!("{decimal} {currency}"),
                };
                assert_eq!(m.to_string(), expected);
            }
        }
    }

    #[test]
    fn currencies_parse_and_know_their_decimals() {
        assert_eq!(usd().code(), "USD");
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert!(Currency::parse("US").is_none());
        assert!(Currency::parse("U$D").is_none());
        let json = serde_json::to_string(&usd()).unwrap();
        assert_eq!(json, "\"USD\"");
        assert!(serde_json::from_str::<Currency>("\"dollars\"").is_err());
    }

    #[test]
    fn money_adds_and_multiplies_exactly() {
        let a = Money::new(1999, usd());
        assert_eq!(a.checked_mul(3).unwrap().minor, 5997);
        assert_eq!(a.checked_add(Money::new(1, usd())).unwrap().minor, 2000);
        let eur = Money::new(1, Currency::parse("EUR").unwrap());
        assert!(matches!(
            a.checked_add(eur),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(
            Money::new(i64::MAX, usd()).checked_mul(2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::new(i64::MAX, usd()).checked_add(Money::new(1, usd())),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn money_formats_per_currency() {
        assert_eq!(Money::new(1250, usd()).to_string(), "$12.50");
        assert_eq!(Money::new(5, usd()).to_string(), "$0.05");
        assert_eq!(
            Money::new(-300, Currency::parse("EUR").unwrap()).to_string(),
            "-€3.00"
        );
        assert_eq!(
            Money::new(1200, Currency::parse("JPY").unwrap()).to_string(),
            "¥1200"
        );
        assert_eq!(
            Money::new(1234, Currency::parse("CHF").unwrap()).to_string(),
            "12.34 CHF"
        );
        assert_eq!(
            Money::new(1234, Currency::parse("KWD").unwrap()).decimal(),
            "1.234"
        );
    }

    #[test]
    fn amounts_parse_without_floats() {
        let p = |s: &str| Money::parse(s, usd()).map(|m| m.minor);
        assert_eq!(p("12.5"), Ok(1250));
        assert_eq!(p("12,50"), Ok(1250));
        assert_eq!(p("12"), Ok(1200));
        assert_eq!(p(".99"), Ok(99));
        assert_eq!(p("1 200.00"), Ok(120_000));
        assert_eq!(p("1,200.00"), Ok(120_000));
        assert_eq!(p("0.1"), Ok(10));
        assert_eq!(p("-3"), Ok(-300));
        assert!(p("12.345").is_err(), "more decimals than cents");
        assert_eq!(
            Money::parse("12.345", usd()).unwrap_err().to_string(),
            "USD amounts have at most 2 decimals; “12.345” has more"
        );
        assert_eq!(
            Money::parse("12.5", Currency::parse("JPY").unwrap())
                .unwrap_err()
                .to_string(),
            "JPY amounts are whole numbers, without decimals like in “12.5”"
        );
        assert!(matches!(p("1.2x"), Err(MoneyError::Invalid(_))));
        // Separators group thousands or they are a mistake, not a price.
        assert_eq!(p("1.234,56"), Ok(123_456));
        assert_eq!(p("1,234,567.00"), Ok(123_456_700));
        for bad in [
            "12.5.0",
            "1.2.3",
            "1,2,3",
            "1,23.00",
            "1.234.50",
            "1,234.567,00",
            ",5.00",
        ] {
            assert!(matches!(p(bad), Err(MoneyError::Invalid(_))), "{bad}");
        }
        assert!(p("abc").is_err());
        assert!(p("").is_err());
        assert!(p("1e3").is_err());
        assert_eq!(p("99999999999999999999"), Err(MoneyError::Overflow));
        assert_eq!(
            Money::parse("1200", Currency::parse("JPY").unwrap())
                .unwrap()
                .minor,
            1200
        );
        assert!(Money::parse("12.5", Currency::parse("JPY").unwrap()).is_err());
    }
}

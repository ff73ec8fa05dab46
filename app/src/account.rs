//! Parsing of what people type into account forms: emails, passwords and
//! names. Pure, so the sign-up page can check a password while it is typed
//! with exactly the rule the server enforces.

use crate::model::{AppError, ErrorCode};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted; bounds the hashing work one request can cause.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest workspace, bot or token name.
pub const MAX_NAME_CHARS: usize = 80;

/// Passwords so common that length alone does not make them safe.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "1q2w3e4r5t",
    "qwertyuiop",
    "1qaz2wsx3edc",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou123",
    "qwerty12345",
    "qwerty123456",
    "abcdefghij",
    "abc1234567",
    "administrator",
    "letmein123",
    "welcome123",
    "football123",
    "baseball123",
    "sunshine123",
    "princess123",
    "dragon1234",
    "monkey1234",
    "changeme123",
    "trustno1234",
    "1111111111",
    "passwordpassword",
    "botmebotme",
];

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks the shape of an address and normalises it. This is not a full
    /// RFC 5322 parser: it catches typos, not every invalid address.
    pub fn parse(raw: &str) -> Result<Email, AppError> {
        let email = raw.trim().to_lowercase();
        let invalid = || {
            AppError::new(
                ErrorCode::InvalidEmail,
                "Enter an email address like name@example.com.",
            )
        };
        if email.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidEmail,
                "Enter your email address.",
            ));
        }
        if email.chars().count() > MAX_EMAIL_CHARS
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(Email(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a password was refused, or `None` when it is acceptable. `email` is
/// the address it will protect, when known.
pub fn password_problem(password: &str, email: Option<&str>) -> Option<&'static str> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some("Use at least 10 characters for your password.");
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some("Use at most 128 characters for your password.");
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Some("That password is too common. Choose one that is harder to guess.");
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Some("Use more different characters in your password.");
    }
    if let Some(email) = email {
        let local = email.split('@').next().unwrap_or_default();
        if local.chars().count() >= 4 && lower.contains(&local.to_lowercase()) {
            return Some("Your password should not contain your email address.");
        }
    }
    None
}

/// Checks a password; the error says how to choose a better one.
pub fn check_password(password: &str, email: Option<&str>) -> Result<(), AppError> {
    match password_problem(password, email) {
        Some(msg) => Err(AppError::new(ErrorCode::WeakPassword, msg)),
        None => Ok(()),
    }
}

/// Trims a display name and checks it is present, not too long and free of
/// control characters. `what` names the thing in the error ("workspace name").
pub fn parse_name(raw: &str, what: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::new(
            ErrorCode::InvalidName,
            format!("Enter a {what}."),
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::new(
            ErrorCode::InvalidName,
            format!("Keep the {what} to at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::new(
            ErrorCode::InvalidName,
            format!("The {what} cannot contain line breaks or control characters."),
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        let e = Email::parse("  Ana.Shop@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ana.shop@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "   ",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "ana@.com",
            "ana@example.",
            "ana@exa..mple.com",
            "an a@example.com",
            "ana@@example.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(
                err.code,
                ErrorCode::InvalidEmail,
                "{bad:?} should be refused"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn password_rules_hold_at_their_boundaries() {
        assert!(password_problem("Tr0ub4dor", None).is_some(), "9 chars");
        assert!(password_problem("Tr0ub4dor&", None).is_none(), "10 chars");
        let max = "ab1!".repeat(32);
        assert_eq!(max.chars().count(), 128);
        assert!(password_problem(&max, None).is_none());
        assert!(password_problem(&format!("{max}x"), None).is_some());
    }

    #[test]
    fn guessable_passwords_are_refused() {
        assert!(password_problem("Password123", None).is_some());
        assert!(password_problem("aaaaaaaaaaaa", None).is_some());
        assert!(password_problem("ababababab12", None).is_none());
        assert!(password_problem("xx-anashop-xx", Some("anashop@example.com")).is_some());
        assert!(password_problem("correct horse battery", Some("ana@example.com")).is_none());
        assert_eq!(
            check_password("short", None).unwrap_err().code,
            ErrorCode::WeakPassword
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            parse_name("  Ana's shop ", "workspace name").unwrap(),
            "Ana's shop"
        );
        assert!(parse_name("   ", "bot name").is_err());
        assert!(parse_name(&"é".repeat(80), "bot name").is_ok());
        assert!(parse_name(&"é".repeat(81), "bot name").is_err());
        assert!(parse_name("a\nb", "bot name").is_err());
    }
}

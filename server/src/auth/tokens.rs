//! API tokens and invitation links: 256 random bits, shown once, stored as
//! a SHA-256.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A new API token: the secret (shown once), its SHA-256 (stored) and a
/// display prefix.
pub struct NewToken {
    /// `bm_` followed by 43 base64url characters (256 random bits).
    pub secret: String,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    /// The first ten characters, for telling tokens apart.
    pub prefix: String,
}

impl NewToken {
    /// Draws a fresh API token.
    pub fn generate() -> NewToken {
        NewToken::prefixed("bm_")
    }

    /// Draws the secret of an invitation link, `inv_` and 43 base64url
    /// characters: told apart from an API token at a glance, and by
    /// secret scanners.
    pub fn invitation() -> NewToken {
        NewToken::prefixed("inv_")
    }

    fn prefixed(kind: &str) -> NewToken {
        let bytes: [u8; 32] = rand::random();
        let secret = format!(
            "{kind}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        NewToken {
            hash: hash_token(&secret),
            prefix: secret.chars().take(10).collect(),
            secret,
        }
    }
}

/// Hex SHA-256 of a token secret. Tokens carry 256 random bits, so a fast
/// hash is enough; lookups go by this value.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = NewToken::generate();
        let b = NewToken::generate();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with("bm_"));
        assert_eq!(a.secret.len(), 46);
        assert_eq!(a.hash, hash_token(&a.secret));
        assert_eq!(a.hash.len(), 64);
        assert!(a.secret.starts_with(&a.prefix));
        let i = NewToken::invitation();
        assert!(i.secret.starts_with("inv_"));
        assert_eq!(i.secret.len(), 47);
        assert_eq!(i.hash, hash_token(&i.secret));
    }
}

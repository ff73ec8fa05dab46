//! Secrets at rest: channel access tokens are sealed with AES-256-GCM under
//! the server key. Each ciphertext is bound to the row it belongs to
//! (associated data), so swapping ciphertexts between channels fails to
//! open instead of sending with another page's token.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;

/// Why a secret could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// Not produced by [`Sealer::seal`], or sealed under another key or for
    /// another row.
    #[error("the stored secret cannot be decrypted with this server key")]
    Undecryptable,
}

const PREFIX: &str = "v1.";

/// The context a channel's token is sealed for: the channel's kind and
/// its page id, phone number id or widget key.
pub fn token_context(kind: app::channel::Channel, external_id: &str) -> String {
    format!("channel:{kind}:{external_id}")
}

/// Seals and opens secrets with the server key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    /// A sealer for `key`.
    pub fn new(key: &[u8; 32]) -> Sealer {
        Sealer {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Encrypts `plaintext` for the row identified by `context`.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let nonce: [u8; 12] = rand::random();
        // Encryption with a fresh random nonce cannot fail for short inputs.
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend(ct);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Decrypts a sealed secret of the row identified by `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, CryptoError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .ok_or(CryptoError::Undecryptable)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| CryptoError::Undecryptable)?;
        if bytes.len() < 12 + 16 {
            return Err(CryptoError::Undecryptable);
        }
        let (nonce, ct) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_only_with_their_key_and_row() {
        let s = Sealer::new(&[1; 32]);
        let sealed = s.seal("EAAB-page-token", "messenger:123");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("EAAB"));
        assert_eq!(s.open(&sealed, "messenger:123").unwrap(), "EAAB-page-token");
        assert_ne!(
            sealed,
            s.seal("EAAB-page-token", "messenger:123"),
            "a fresh nonce each time"
        );
        assert!(
            s.open(&sealed, "messenger:999").is_err(),
            "bound to its row"
        );
        assert!(
            Sealer::new(&[2; 32])
                .open(&sealed, "messenger:123")
                .is_err(),
            "bound to the key"
        );
        assert!(s.open("v1.AAAA", "x").is_err());
        assert!(s.open("plain", "x").is_err());
    }
}

//! Recovery codes: ten single-use codes shown once at enrolment (and on regeneration), for
//! when the authenticator is lost. Each is 10 characters from a 31-symbol alphabet (49 random
//! bits), shown as `xxxxx-xxxxx`. Like API tokens, only their SHA-256 is stored: they are
//! random, so a slow password hash would add nothing.

use rand::Rng as _;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest, Sha256};

/// How many codes a user gets.
pub const COUNT: usize = 10;
const GROUP: usize = 5;
const LEN: usize = 2 * GROUP;
/// Lowercase letters and digits without the look-alikes 0/o, 1/l/i.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// One fresh code, `xxxxx-xxxxx`.
fn generate_one() -> SecretString {
    let symbols = ALPHABET;
    let mut rng = rand::rng();
    let mut code = String::with_capacity(LEN + 1);
    for i in 0..LEN {
        if i == GROUP {
            code.push('-');
        }
        code.push(char::from(symbols[rng.random_range(0..symbols.len())]));
    }
    SecretString::from(code)
}

/// `COUNT` fresh codes.
pub fn generate() -> Vec<SecretString> {
    (0..COUNT).map(|_| generate_one()).collect()
}

/// The code as stored: lowercase, without spaces or dashes; `None` if it cannot be a code.
pub fn normalise(code: &str) -> Option<String> {
    let cleaned: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (cleaned.len() == LEN && cleaned.bytes().all(|b| ALPHABET.contains(&b))).then_some(cleaned)
}

/// Whether `code` looks like a recovery code (rather than a TOTP code).
pub fn looks_like(code: &str) -> bool {
    normalise(code).is_some()
}

/// Hex SHA-256 of the normalised code; `None` if it cannot be a code.
pub fn hash(code: &str) -> Option<String> {
    normalise(code).map(|c| hex::encode(Sha256::digest(c.as_bytes())))
}

/// Hashes of freshly generated codes (what is stored).
pub fn hashes(codes: &[SecretString]) -> Vec<String> {
    codes
        .iter()
        .filter_map(|c| hash(c.expose_secret()))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_distinct_well_formed_and_hash_when_typed_loosely() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let distinct: HashSet<_> = codes.iter().map(|c| c.expose_secret().to_owned()).collect();
        assert_eq!(distinct.len(), COUNT);
        for code in &codes {
            let text = code.expose_secret();
            assert_eq!(text.len(), 11);
            assert_eq!(&text[5..6], "-");
            assert!(looks_like(text));
            let sloppy = format!(" {} ", text.replace('-', " ").to_uppercase());
            assert_eq!(hash(&sloppy), hash(text));
        }
        assert_eq!(hashes(&codes).len(), COUNT);
    }

    #[test]
    fn totp_codes_and_garbage_are_not_recovery_codes() {
        assert!(!looks_like("123456"));
        assert!(!looks_like("abcde-fghj"));
        assert!(!looks_like("abcde-fghjk-m"));
        assert!(!looks_like("abcde-fghj0"));
        assert!(hash("oops").is_none());
        assert!(looks_like("abcde-fghjk"));
    }
}

//! The shape of a Keygate key: `sk-proxy-` + 40 random base62 characters + a 6-character
//! checksum of those 40. The checksum lets a secret scanner, or the proxy itself, tell a real
//! key from a typo or a truncated paste without asking the database.

use rand::Rng as _;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "sk-proxy-";
const RANDOM_LEN: usize = 40;
const CHECKSUM_LEN: usize = 6;
pub const KEY_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Six base62 characters derived from SHA-256 of the random part (62^6 ≈ 5.7·10^10 values).
/// Public so the fuzz targets (`fuzz/fuzz_targets/key_format.rs`) can build well-formed keys
/// from arbitrary input; nothing in the server needs it outside this module.
pub fn checksum(random: &str) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::digest(random.as_bytes());
    let mut n = u64::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ]);
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// A new key. Shown once; only its digest is stored.
pub fn generate() -> SecretString {
    let mut rng = rand::rng();
    let random: String = (0..RANDOM_LEN)
        .map(|_| char::from(BASE62[rng.random_range(0..BASE62.len())]))
        .collect();
    let check = checksum(&random);
    let mut key = String::with_capacity(KEY_LEN);
    key.push_str(PREFIX);
    key.push_str(&random);
    key.extend(check.iter().map(|b| char::from(*b)));
    SecretString::from(key)
}

/// Prefix, length, alphabet and checksum all correct. Pure: no I/O.
pub fn is_well_formed(presented: &str) -> bool {
    let Some(rest) = presented.strip_prefix(PREFIX) else {
        return false;
    };
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = rest.split_at(RANDOM_LEN);
    checksum(random).as_slice() == check.as_bytes()
}

/// Hex SHA-256 of the whole key: the only form stored.
pub fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// `sk-proxy-AbCd`: enough to recognise a key in a list.
pub fn display_prefix(key: &str) -> String {
    key.chars().take(PREFIX.len() + 4).collect()
}

pub fn last_four(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use secrecy::ExposeSecret as _;

    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate();
        let b = generate();
        assert_ne!(a.expose_secret(), b.expose_secret());
        for key in [a.expose_secret(), b.expose_secret()] {
            assert_eq!(key.len(), KEY_LEN);
            assert!(key.starts_with("sk-proxy-"));
            assert!(is_well_formed(key), "{}", display_prefix(key));
        }
    }

    #[test]
    fn typos_truncation_and_other_shapes_fail_the_checksum() {
        let key = generate().expose_secret().to_owned();
        // Change each character of the random part in turn: every change is caught.
        for i in PREFIX.len()..key.len() {
            let mut bytes = key.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(bytes).unwrap();
            assert!(!is_well_formed(&typo), "position {i}");
        }
        assert!(!is_well_formed(&key[..key.len() - 1]));
        assert!(!is_well_formed(&format!("{key}x")));
        assert!(!is_well_formed(&key.replace("sk-proxy-", "sk-proj-")));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed(
            "kg_admin_abcdefghijklmnopqrstuvwxyz0123456789ABCD"
        ));
        assert!(!is_well_formed(&format!("{}é{}", &key[..20], &key[21..])));
    }

    #[test]
    fn display_parts() {
        let key = format!("{PREFIX}{}", "Ab".repeat(23));
        assert_eq!(display_prefix(&key), "sk-proxy-AbAb");
        assert_eq!(last_four(&key), "AbAb");
        assert_eq!(digest("x").len(), 64);
    }
}

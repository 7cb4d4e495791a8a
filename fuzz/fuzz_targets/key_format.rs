//! The Keygate key format (`domain::virtual_keys::format`): arbitrary text never panics the
//! parser, and a key built from any 40 base62 characters plus its checksum is well formed, while
//! any single-character change to it is not.

#![no_main]

use domain::virtual_keys::format::{self, KEY_LEN, PREFIX};
use libfuzzer_sys::fuzz_target;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LEN: usize = 40;

fuzz_target!(|data: &[u8]| {
    // 1. Whatever arrives in an `Authorization` header.
    let text = String::from_utf8_lossy(data);
    let well_formed = format::is_well_formed(&text);
    if well_formed {
        assert_eq!(text.len(), KEY_LEN);
        assert!(text.starts_with(PREFIX));
    }
    let digest = format::digest(&text);
    assert_eq!(digest.len(), 64);
    assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(format::display_prefix(&text).chars().count() <= PREFIX.len() + 4);
    assert!(format::last_four(&text).chars().count() <= 4);

    // 2. Round trip: 40 base62 characters taken from the input, plus their checksum.
    if data.len() < RANDOM_LEN + 2 {
        return;
    }
    let random: String = data[..RANDOM_LEN]
        .iter()
        .map(|b| char::from(BASE62[usize::from(*b) % BASE62.len()]))
        .collect();
    let check = format::checksum(&random);
    let key = format!("{PREFIX}{random}{}", String::from_utf8_lossy(&check));
    assert_eq!(key.len(), KEY_LEN);
    assert!(format::is_well_formed(&key), "{key}");
    assert_eq!(format::digest(&key), format::digest(&key.clone()));

    // 3. One changed character (position and replacement from the input) breaks the checksum.
    let position = PREFIX.len() + usize::from(data[RANDOM_LEN]) % (KEY_LEN - PREFIX.len());
    let mut bytes = key.clone().into_bytes();
    let replacement = BASE62[usize::from(data[RANDOM_LEN + 1]) % BASE62.len()];
    if bytes[position] != replacement {
        bytes[position] = replacement;
        let typo = String::from_utf8(bytes).unwrap_or_default();
        assert!(!format::is_well_formed(&typo), "{key} -> {typo}");
    }
    // Truncated or extended keys never pass.
    assert!(!format::is_well_formed(&key[..KEY_LEN - 1]));
    assert!(!format::is_well_formed(&format!("{key}0")));
});

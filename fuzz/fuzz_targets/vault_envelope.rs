//! The vault's envelope decoding (`domain::vault`): a stored envelope (keyring version, wrapped
//! data key, ciphertext) made of arbitrary bytes, or a real envelope with bytes flipped, opens
//! to an error, never a panic; an untouched envelope opens to its plaintext; master keys parse
//! from arbitrary text without panicking and round-trip through base64.

#![no_main]

use std::sync::OnceLock;

use domain::vault::envelope::{SealedSecret, SecretContext};
use domain::vault::keyring::Keyring;
use domain::vault::{MasterKey, VaultError};
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret as _;

const PLAINTEXT: &[u8] = b"sk-proj-fuzzing-secret-0123456789";

fn context() -> SecretContext<'static> {
    SecretContext {
        purpose: "provider_key",
        org_id: 1,
        record: "provider_keys:fuzz",
        field: "secret",
    }
}

fn master(byte: u8) -> MasterKey {
    match MasterKey::from_bytes(&[byte; 32]) {
        Ok(key) => key,
        Err(_) => unreachable!("32 bytes make a key"),
    }
}

/// A fixed two-version keyring and one envelope sealed under it.
fn fixture() -> &'static (Keyring, SealedSecret) {
    static FIXTURE: OnceLock<(Keyring, SealedSecret)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ring = Keyring::in_memory([(1, master(7)), (2, master(9))]);
        let Ok(sealed) = ring.seal(&context(), PLAINTEXT) else {
            unreachable!("sealing with an in-memory keyring cannot fail")
        };
        (ring, sealed)
    })
}

fn u16_at(data: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([
        data.get(at).copied().unwrap_or(0),
        data.get(at + 1).copied().unwrap_or(0),
    ]))
}

fuzz_target!(|data: &[u8]| {
    let (ring, sealed) = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        // An envelope made of arbitrary bytes: version, then wrapped key and ciphertext.
        0 => {
            if rest.len() < 6 {
                return;
            }
            let version = i32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let body = &rest[6..];
            let split = u16_at(rest, 4) % (body.len() + 1);
            let forged = SealedSecret {
                key_version: version,
                wrapped_key: body[..split].to_vec(),
                ciphertext: body[split..].to_vec(),
            };
            let opened = ring.open(&context(), &forged);
            assert!(opened.is_err(), "arbitrary bytes opened");
            if !(1..=2).contains(&version) {
                assert_eq!(opened.err(), Some(VaultError::UnknownVersion(version)));
            }
            assert!(ring.rewrap(&context(), &forged).is_err());
        }
        // The real envelope, XORed with the input (and cut or extended to the input's length).
        1 => {
            let split = u16_at(rest, 0);
            let mask = rest.get(2..).unwrap_or_default();
            let mut joined = sealed.wrapped_key.clone();
            joined.extend_from_slice(&sealed.ciphertext);
            let mut tampered = joined.clone();
            for (i, m) in mask.iter().enumerate() {
                match tampered.get_mut(i) {
                    Some(byte) => *byte ^= m,
                    None => tampered.push(*m),
                }
            }
            let split = split % (tampered.len() + 1);
            let candidate = SealedSecret {
                key_version: sealed.key_version,
                wrapped_key: tampered[..split].to_vec(),
                ciphertext: tampered[split..].to_vec(),
            };
            let opened = ring.open(&context(), &candidate);
            if candidate == *sealed {
                let Ok(plain) = opened else {
                    panic!("the untouched envelope did not open")
                };
                assert_eq!(plain.expose_secret(), PLAINTEXT);
            } else {
                assert!(opened.is_err(), "a tampered envelope opened");
            }
        }
        // The same envelope in another context (record name from the input) never opens.
        2 => {
            let record = String::from_utf8_lossy(rest);
            let other = SecretContext {
                record: record.as_ref(),
                ..context()
            };
            let opened = ring.open(&other, sealed);
            assert_eq!(opened.is_ok(), other == context());
            // And whatever is sealed in that context opens there, to the same bytes.
            let Ok(mine) = ring.seal(&other, rest) else {
                panic!("sealing failed")
            };
            let Ok(plain) = ring.open(&other, &mine) else {
                panic!("own envelope did not open")
            };
            assert_eq!(plain.expose_secret(), rest);
        }
        // A master key typed by the operator; and raw `nonce ‖ ciphertext ‖ tag` blobs.
        _ => {
            if let Ok(key) = MasterKey::from_base64(&String::from_utf8_lossy(rest)) {
                let again = MasterKey::from_base64(&key.to_base64());
                assert!(again.is_ok_and(|k| *k.to_base64() == *key.to_base64()));
            }
            assert!(master(7).open(rest, b"keygate/v1|fuzz").is_err());
        }
    }
});

//! A rule's e-mail recipients: typed as a list (commas, semicolons or new lines), checked one
//! by one, and stored trimmed and without duplicates. Only bare addresses are accepted — no
//! display names, comments or quoted local parts — so nothing typed here can add headers or
//! recipients to a message.

use crate::error::DomainError;

/// The most recipients one rule may have.
pub const MAX_RECIPIENTS: usize = 20;
/// RFC 5321's limits on a path and its local part.
const MAX_ADDRESS: usize = 254;
const MAX_LOCAL: usize = 64;

/// Splits what a form holds ("a@x.com, b@y.org" or one per line) into addresses.
pub fn split(raw: &str) -> Vec<String> {
    raw.split([',', ';', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn local_part_ok(local: &str) -> bool {
    // The dot-atom form: atext characters, dots only between them.
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";
    !local.is_empty()
        && local.len() <= MAX_LOCAL
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || SPECIALS.contains(c))
}

fn domain_ok(domain: &str) -> bool {
    // A host name with at least one dot: catches "ops@acme" typos; IP literals are refused.
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Whether `address` is a plain, well-formed e-mail address.
pub fn is_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    address.len() <= MAX_ADDRESS
        && local_part_ok(local)
        && domain_ok(domain)
        // What the SMTP library will be handed must parse there too.
        && address.parse::<lettre::Address>().is_ok()
}

/// Checks every address; answers them trimmed, in order, without duplicates (ignoring case).
pub fn validate(list: Vec<String>) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for raw in list {
        let address = raw.trim();
        if address.is_empty() {
            continue;
        }
        if !is_address(address) {
            let shown: String = address.chars().take(100).collect();
            return Err(DomainError::validation(
                "emailTo",
                format!("Not an e-mail address: {shown}"),
            ));
        }
        if !out.iter().any(|a| a.eq_ignore_ascii_case(address)) {
            out.push(address.to_owned());
        }
    }
    if out.len() > MAX_RECIPIENTS {
        return Err(DomainError::validation(
            "emailTo",
            format!("At most {MAX_RECIPIENTS} e-mail recipients per rule."),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn plain_addresses_pass() {
        for ok in [
            "ops@acme.test",
            "first.last+alerts@mail.example.co.uk",
            "o'brien@example.org",
            "x@a-b.example",
        ] {
            assert!(is_address(ok), "{ok}");
        }
    }

    #[test]
    fn malformed_or_dangerous_addresses_fail() {
        for bad in [
            "",
            "ops",
            "ops@",
            "@acme.test",
            "ops@acme",
            "ops@@acme.test",
            "ops@acme..test",
            ".ops@acme.test",
            "ops.@acme.test",
            "o..ps@acme.test",
            "ops@-acme.test",
            "ops@acme-.test",
            "ops @acme.test",
            "Ops <ops@acme.test>",
            "\"ops\"@acme.test",
            "ops@acme.test\r\nBcc: evil@x.test",
            "ops@[127.0.0.1]",
            "ops@acme.test>",
            "ops@ac_me.test",
        ] {
            assert!(!is_address(bad), "{bad:?}");
        }
        let long_local = format!("{}@acme.test", "a".repeat(65));
        assert!(!is_address(&long_local));
    }

    #[test]
    fn lists_are_split_trimmed_and_deduplicated() {
        let list = split(" a@x.test, b@y.test;\nA@X.test\r\n\n");
        assert_eq!(list, ["a@x.test", "b@y.test", "A@X.test"]);
        assert_eq!(validate(list).unwrap(), ["a@x.test", "b@y.test"]);
        assert!(validate(vec![]).unwrap().is_empty());
    }

    #[test]
    fn bad_entries_and_long_lists_are_refused() {
        let err = validate(vec!["a@x.test".into(), "nope".into()]).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let many: Vec<String> = (0..=MAX_RECIPIENTS)
            .map(|i| format!("u{i}@x.test"))
            .collect();
        assert!(validate(many[..MAX_RECIPIENTS].to_vec()).is_ok());
        assert!(validate(many).is_err());
    }
}

//! Removing anything that could be a credential from upstream error text before it reaches a
//! client, a log line or the database.
//!
//! Providers echo keys back ("Incorrect API key provided: sk-proj-…"), and an upstream may echo a
//! whole request header. The scanner errs on the side of redacting: besides known key shapes,
//! any long opaque run of token characters is removed, while ordinary prose and model names
//! (which are short and broken up by dots and slashes) pass through untouched.
//!
//! It is one left-to-right pass over bytes. Every byte that can belong to a token is ASCII, so
//! every cut falls on a UTF-8 character boundary and multi-byte text is kept as it was.

use std::borrow::Cow;

use serde_json::Value;

/// What a redacted credential is replaced with.
pub const REDACTED: &str = "[redacted]";

/// A run of token characters at least this long is treated as a secret whatever it starts with.
const LONG_TOKEN: usize = 32;

/// A known prefix must be followed by at least this many token characters to count as a key.
const MIN_AFTER_PREFIX: usize = 8;

/// Known key prefixes, longest first within a family so the rule "8 characters after the prefix"
/// applies to the whole prefix (`sk-proj-` + 8, not `sk-` + `proj-…`).
const KEY_PREFIXES: &[&str] = &[
    "sk-svcacct-", // OpenAI service account
    "sk-proxy-",   // Keygate proxy key
    "sk-proj-",    // OpenAI project key
    "sk-ant-",     // Anthropic
    "sk-or-",      // OpenRouter
    "sk-",         // OpenAI (legacy) and OpenAI-compatible providers
    "kg_admin_",   // Keygate admin REST token
    "kg_svc_",     // Keygate service token
    "AIza",        // Google
    "gsk_",        // Groq
    "xai-",        // xAI
];

/// AWS access key ids: one of these, then exactly this many uppercase letters or digits.
const AWS_PREFIXES: &[&str] = &["AKIA", "ASIA"];
const AWS_ID_REST: usize = 16;

/// Replaces every substring that looks like a credential with "[redacted]": OpenAI `sk-…`
/// (incl. sk-proj-, sk-svcacct-), Anthropic `sk-ant-…`, OpenRouter `sk-or-…`, Keygate
/// `sk-proxy-…`, `kg_admin_…`/`kg_svc_…`, Google `AIza…`, Groq `gsk_…`, xAI `xai-…`, AWS
/// `AKIA…`/`ASIA…` (16 more uppercase alnum), `Bearer <token>` (the word is kept), and any run
/// of 32+ characters of [A-Za-z0-9_-] (long opaque tokens). Prefix matches need at least 8
/// following [A-Za-z0-9_-] characters to count (so prose like "sk-" or "task-list" is
/// untouched). Returns `Cow::Borrowed` when nothing changed.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out = Redactor::new(text);
    let mut i = 0;
    while i < bytes.len() {
        if !is_token_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let end = run_end(bytes, start, is_token_byte);
        // Both ends are ASCII boundaries, so `get` always succeeds.
        let run = text.get(start..end).unwrap_or_default();
        if run.eq_ignore_ascii_case("bearer") {
            // `Bearer <token>`: keep the scheme, drop the credential (which may hold `.`, `/`, `=`).
            let token_start = run_end(bytes, end, |b| b == b' ' || b == b'\t');
            let token_end = run_end(bytes, token_start, is_bearer_byte);
            if token_start > end && token_end - token_start >= MIN_AFTER_PREFIX {
                out.redact(token_start, token_end);
                i = token_end;
                continue;
            }
        } else if is_secret(run) {
            out.redact(start, end);
        }
        i = end;
    }
    out.finish()
}

/// Scrubs every string (values, not keys) inside a JSON value, recursively, in place.
pub fn scrub_json(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Cow::Owned(clean) = scrub(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_json),
        Value::Object(map) => map.values_mut().for_each(scrub_json),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Builds the output lazily, so clean text is never copied.
struct Redactor<'a> {
    text: &'a str,
    out: Option<String>,
    /// Bytes of `text` before this are already in `out` (or redacted).
    copied: usize,
}

impl<'a> Redactor<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            out: None,
            copied: 0,
        }
    }

    /// Replace `text[start..end]`; callers go left to right with `start >= copied`, and both
    /// ends are ASCII token boundaries, hence character boundaries.
    fn redact(&mut self, start: usize, end: usize) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.text.len()));
        out.push_str(self.text.get(self.copied..start).unwrap_or_default());
        out.push_str(REDACTED);
        self.copied = end;
    }

    fn finish(self) -> Cow<'a, str> {
        match self.out {
            None => Cow::Borrowed(self.text),
            Some(mut out) => {
                out.push_str(self.text.get(self.copied..).unwrap_or_default());
                Cow::Owned(out)
            }
        }
    }
}

/// `[A-Za-z0-9_-]`: the alphabet of every key format above.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Bearer tokens may be JWTs or base64 (RFC 6750's `b64token`).
fn is_bearer_byte(b: u8) -> bool {
    is_token_byte(b) || matches!(b, b'.' | b'~' | b'+' | b'/' | b'=')
}

/// The index after the run of bytes matching `pred` that starts at `start`.
fn run_end(bytes: &[u8], start: usize, pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(start..)
        .and_then(|rest| rest.iter().position(|&b| !pred(b)))
        .map_or(bytes.len(), |n| start + n)
}

/// Whether a whole run of token characters is (or starts as) a credential.
fn is_secret(run: &str) -> bool {
    if run.len() >= LONG_TOKEN {
        return true;
    }
    if let Some(prefix) = KEY_PREFIXES.iter().find(|p| run.starts_with(**p)) {
        return run.len() - prefix.len() >= MIN_AFTER_PREFIX;
    }
    AWS_PREFIXES.iter().any(|p| {
        run.strip_prefix(p).is_some_and(|rest| {
            rest.len() >= AWS_ID_REST
                && rest
                    .bytes()
                    .take(AWS_ID_REST)
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::json;

    use super::*;

    /// 40 characters of key material.
    const BODY: &str = "AbC123xyz_DEF456-ghi789JKL012mno345PQR67";

    fn redacted(text: &str) -> String {
        let out = scrub(text);
        assert!(
            matches!(out, Cow::Owned(_)),
            "expected a change in {text:?}"
        );
        out.into_owned()
    }

    fn untouched(text: &str) {
        let out = scrub(text);
        assert!(
            matches!(out, Cow::Borrowed(_)),
            "changed {text:?} to {out:?}"
        );
        assert_eq!(out, text);
    }

    #[test]
    fn every_key_family_is_redacted() {
        let keys = [
            format!("sk-{BODY}"),
            format!("sk-proj-{BODY}"),
            format!("sk-svcacct-{BODY}"),
            format!("sk-ant-api03-{BODY}"),
            format!("sk-or-v1-{BODY}"),
            format!("sk-proxy-{BODY}"),
            format!("kg_admin_{}", &BODY[..20]),
            format!("kg_svc_{}", &BODY[..20]),
            "AIzaSyA1b2C3d4E5f6G7h8".to_string(),
            "gsk_0123456789abcdef".to_string(),
            "xai-0123456789abcdef".to_string(),
            "AKIAIOSFODNN7EXAMPLE".to_string(),
            "ASIAY34FZKBOKMUTVV7A".to_string(),
        ];
        for key in &keys {
            assert_eq!(redacted(key), REDACTED, "{key}");
            assert_eq!(
                redacted(&format!("key {key} rejected")),
                format!("key {REDACTED} rejected"),
                "{key}"
            );
        }
    }

    #[test]
    fn short_keys_with_a_known_prefix_are_redacted() {
        // Well under the 32-character rule, caught by their prefix alone.
        assert_eq!(redacted("sk-abcdefgh"), REDACTED);
        assert_eq!(redacted("sk-proj-abcdefgh"), REDACTED);
        assert_eq!(redacted("(gsk_12345678)"), format!("({REDACTED})"));
        assert_eq!(redacted("key=kg_svc_Ab12Cd34"), format!("key={REDACTED}"));
    }

    #[test]
    fn a_prefix_needs_eight_following_characters() {
        untouched("sk-");
        untouched("sk-1234567");
        untouched("sk-proj-AbC1234"); // 7 after the full prefix
        untouched("Use an sk- key or a gsk_ key.");
        untouched("xai-grok");
        untouched("AIza");
        untouched("kg_admin_…");
    }

    #[test]
    fn prefixes_only_count_at_the_start_of_a_word() {
        untouched("task-list");
        untouched("the risk-adjusted number");
        untouched("desk-organizer-42");
        untouched("mask_12345678");
    }

    #[test]
    fn aws_ids_need_sixteen_uppercase_alnum() {
        untouched("AKIA");
        untouched("AKIAiosfodnn7example"); // lowercase
        untouched("AKIAIOSFODNN7EXAMP"); // 14 after the prefix
        untouched("ASIAN-PACIFIC");
        assert_eq!(
            redacted("id AKIAIOSFODNN7EXAMPLE."),
            format!("id {REDACTED}.")
        );
    }

    #[test]
    fn bearer_tokens_keep_the_scheme() {
        assert_eq!(
            redacted("Authorization: Bearer abcdefgh12345"),
            format!("Authorization: Bearer {REDACTED}")
        );
        // JWTs and base64 tokens are removed whole.
        assert_eq!(
            redacted("bearer eyJhbGciOi.eyJzdWIiOiIx.SflKxw/RJ+SM=="),
            format!("bearer {REDACTED}")
        );
        assert_eq!(
            redacted("BEARER\tabcdefgh12, then"),
            format!("BEARER\t{REDACTED}, then")
        );
        // The key families are still caught when sent as bearer tokens.
        assert_eq!(
            redacted(&format!("Bearer sk-proj-{BODY}")),
            format!("Bearer {REDACTED}")
        );
    }

    #[test]
    fn bearer_prose_is_kept() {
        untouched("using Bearer auth (i.e. Authorization: Bearer KEY)");
        untouched("Bearer");
        untouched("Bearer ");
        untouched("Bearer: abcdefgh12345");
        untouched("Bearers abcdefgh12345");
    }

    #[test]
    fn long_opaque_runs_are_redacted() {
        let run = "a".repeat(32);
        assert_eq!(redacted(&run), REDACTED);
        assert_eq!(
            redacted("id 0123456789abcdef0123456789abcdef!"),
            format!("id {REDACTED}!")
        );
        assert_eq!(
            redacted("token: 7c9e6679-7425-40de-944b-e07fc1f90ae7"),
            format!("token: {REDACTED}")
        );
        untouched(&"a".repeat(31));
    }

    #[test]
    fn normal_text_and_model_names_are_untouched() {
        untouched("");
        untouched(
            "The model `gpt-4o-mini-2024-07-18` does not exist or you do not have access to it.",
        );
        untouched("claude-sonnet-4-5-20250929 is overloaded, please retry.");
        untouched("models/gemini-2.5-flash-preview-09-2025 not found for API version v1beta");
        untouched("meta-llama/Llama-3.3-70B-Instruct-Turbo");
        untouched("Rate limit reached for requests per min (RPM): Limit 500, Used 500.");
        untouched("request req_abc123 failed; org-XyZ12 over quota; chatcmpl-9abc");
        untouched("state-of-the-art, well-known, up-to-date");
    }

    #[test]
    fn multibyte_text_around_keys_is_preserved() {
        let text = format!("Clé invalide «sk-ant-{BODY}» — réessayez 🔑 日本語");
        assert_eq!(
            redacted(&text),
            format!("Clé invalide «{REDACTED}» — réessayez 🔑 日本語")
        );
        let text = format!("é{}ü", "x".repeat(40));
        assert_eq!(redacted(&text), format!("é{REDACTED}ü"));
        untouched("Ошибка: ключ неверен. 请检查您的密钥。");
    }

    #[test]
    fn several_keys_in_one_text() {
        let text = format!("a=sk-{BODY}&b=AIzaSyA1b2C3d4E5f6G7h8&c=gsk_0123456789, d=ok");
        assert_eq!(
            redacted(&text),
            format!("a={REDACTED}&b={REDACTED}&c={REDACTED}, d=ok")
        );
    }

    #[test]
    fn openai_style_error_body() {
        let raw = format!(
            r#"{{"error": {{"message": "Incorrect API key provided: sk-proj-{BODY}. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "code": "invalid_api_key"}}}}"#
        );
        let clean = redacted(&raw);
        assert!(!clean.contains(BODY));
        assert!(clean.contains(&format!("Incorrect API key provided: {REDACTED}. You can")));
        assert!(clean.contains("https://platform.openai.com/account/api-keys."));
        // Still valid JSON: quotes and structure are not touched.
        let parsed: Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(parsed["error"]["code"], "invalid_api_key");
    }

    #[test]
    fn scrub_json_cleans_values_recursively_but_not_keys() {
        let key = format!("sk-ant-{BODY}");
        let mut value = json!({
            "type": "error",
            "error": {
                "type": "authentication_error",
                "message": format!("invalid x-api-key {key}"),
                "details": [format!("Bearer {key}"), 42, null, true, {"nested": key.clone()}]
            },
            key.clone(): "the key is a map key here"
        });
        scrub_json(&mut value);
        assert_eq!(
            value["error"]["message"],
            format!("invalid x-api-key {REDACTED}")
        );
        assert_eq!(value["error"]["details"][0], format!("Bearer {REDACTED}"));
        assert_eq!(value["error"]["details"][1], 42);
        assert_eq!(value["error"]["details"][4]["nested"], REDACTED);
        assert_eq!(value["error"]["type"], "authentication_error");
        assert_eq!(value[key.as_str()], "the key is a map key here");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "\0\0\0",
            "-",
            "_",
            "Bearer\u{a0}abcdefgh12345",
            "sk-\u{10FFFF}",
            "🦀sk-abcdefgh🦀",
            "AKIA\u{301}IOSFODNN7EXAMPLE",
        ] {
            let _ = scrub(text);
        }
        assert_eq!(redacted("🦀sk-abcdefgh🦀"), format!("🦀{REDACTED}🦀"));
        // A huge input is handled in one pass.
        let big = format!("{} ", "word ".repeat(200_000));
        assert!(matches!(scrub(&big), Cow::Borrowed(_)));
    }
}

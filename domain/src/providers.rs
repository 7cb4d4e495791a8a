//! The AI providers Keygate knows: identifiers, default endpoints, key-format checks, and the
//! rules for custom base URLs (which must not point Keygate at its own network).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::DomainError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    OpenAi,
    Anthropic,
    Google,
    Groq,
    Xai,
    OpenRouter,
    Aws,
    Custom,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 8] = [
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
        ProviderKind::Google,
        ProviderKind::Groq,
        ProviderKind::Xai,
        ProviderKind::OpenRouter,
        ProviderKind::Aws,
        ProviderKind::Custom,
    ];

    /// The identifier used in the API, the database and environment variables.
    pub fn id(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Google => "google",
            ProviderKind::Groq => "groq",
            ProviderKind::Xai => "xai",
            ProviderKind::OpenRouter => "openrouter",
            ProviderKind::Aws => "aws",
            ProviderKind::Custom => "custom",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "OpenAI",
            ProviderKind::Anthropic => "Anthropic",
            ProviderKind::Google => "Google Gemini",
            ProviderKind::Groq => "Groq",
            ProviderKind::Xai => "xAI",
            ProviderKind::OpenRouter => "OpenRouter",
            ProviderKind::Aws => "AWS",
            ProviderKind::Custom => "Custom",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let wanted = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|p| p.id() == wanted)
            .ok_or_else(|| {
                DomainError::validation("provider", format!("Unknown provider {raw:?}."))
            })
    }

    /// The public endpoint, before any environment override. AWS endpoints are regional and
    /// custom providers bring their own.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            ProviderKind::OpenAi => Some("https://api.openai.com/v1"),
            ProviderKind::Anthropic => Some("https://api.anthropic.com"),
            ProviderKind::Google => Some("https://generativelanguage.googleapis.com"),
            ProviderKind::Groq => Some("https://api.groq.com/openai/v1"),
            ProviderKind::Xai => Some("https://api.x.ai/v1"),
            ProviderKind::OpenRouter => Some("https://openrouter.ai/api/v1"),
            ProviderKind::Aws | ProviderKind::Custom => None,
        }
    }

    /// The environment variable that overrides the base URL, e.g. `KEYGATE_OPENAI_BASE_URL`.
    pub fn base_url_env_var(self) -> String {
        format!("KEYGATE_{}_BASE_URL", self.id().to_ascii_uppercase())
    }

    /// The key prefixes a well-formed secret starts with (empty: no known format).
    pub fn key_prefixes(self) -> &'static [&'static str] {
        match self {
            ProviderKind::OpenAi => &["sk-proj-", "sk-"],
            ProviderKind::Anthropic => &["sk-ant-"],
            ProviderKind::Google => &["AIza"],
            ProviderKind::Groq => &["gsk_"],
            ProviderKind::Xai => &["xai-"],
            ProviderKind::OpenRouter => &["sk-or-"],
            ProviderKind::Aws => &["AKIA", "ASIA"],
            ProviderKind::Custom => &[],
        }
    }

    /// Trims the secret and checks its format; for AWS this is the access key id.
    pub fn validate_key(self, raw: &str) -> Result<String, DomainError> {
        let key = raw.trim();
        let invalid = || DomainError::validation("key", "Invalid API key format");
        if key.is_empty()
            || key.len() > 4096
            || key.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let prefixes = self.key_prefixes();
        let well_formed = prefixes.is_empty()
            || prefixes
                .iter()
                .any(|prefix| key.starts_with(prefix) && key.len() > prefix.len() + 8);
        if !well_formed {
            return Err(invalid());
        }
        Ok(key.to_owned())
    }
}

/// Addresses an upstream must never resolve to (unless the operator allows private upstreams):
/// loopback, private, link-local (incl. cloud metadata at 169.254.169.254), carrier-grade NAT,
/// unspecified, broadcast, multicast and IPv6 unique-local.
pub fn is_forbidden_upstream_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_forbidden_v4(v4),
            None => is_forbidden_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 one carries where the network may route it to that IPv4 host:
/// IPv4-mapped (`::ffff:a.b.c.d`), the deprecated IPv4-compatible form (`::a.b.c.d`, not
/// `::` or `::1`) and the NAT64 well-known prefix (`64:ff9b::a.b.c.d`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    let compatible = s[..6] == [0; 6] && s[6] != 0;
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    (compatible || nat64).then_some(tail)
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || (a == 100 && (64..128).contains(&b))
        || a == 0
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Checks a base URL set on a key: https only, and no IP literal in a forbidden range. Host
/// names are checked again on the resolved address when connecting.
pub fn validate_base_url(raw: &str, allow_private: bool) -> Result<url::Url, DomainError> {
    let invalid = |message: &str| DomainError::validation("base_url", message.to_owned());
    let url = url::Url::parse(raw.trim())
        .map_err(|_| invalid("Enter a full URL, like https://api.example.com/v1."))?;
    if allow_private {
        return match url.scheme() {
            "https" | "http" => Ok(url),
            _ => Err(invalid("Base URLs must use https.")),
        };
    }
    if url.scheme() != "https" {
        return Err(invalid("Base URLs must use https."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("Base URLs must not carry credentials."));
    }
    let forbidden = match url.host() {
        Some(url::Host::Ipv4(v4)) => is_forbidden_upstream_ip(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => is_forbidden_upstream_ip(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost"
                || name.ends_with(".localhost")
                || name == "metadata.google.internal"
        }
        None => true,
    };
    if forbidden {
        return Err(invalid(
            "Base URLs must not point at loopback, private or link-local addresses.",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip_and_name_their_env_var() {
        for p in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(p.id()).unwrap(), p);
        }
        assert_eq!(
            ProviderKind::parse(" OpenAI ").unwrap(),
            ProviderKind::OpenAi
        );
        assert!(ProviderKind::parse("mistral-ish").is_err());
        assert_eq!(
            ProviderKind::OpenAi.base_url_env_var(),
            "KEYGATE_OPENAI_BASE_URL"
        );
        assert_eq!(
            ProviderKind::Anthropic.base_url_env_var(),
            "KEYGATE_ANTHROPIC_BASE_URL"
        );
    }

    #[test]
    fn key_formats_are_checked_per_provider_and_trimmed() {
        let good = [
            (ProviderKind::OpenAi, "sk-proj-abcdefghijklmnop"),
            (ProviderKind::OpenAi, "sk-abcdefghijklmnop"),
            (ProviderKind::Anthropic, "sk-ant-api03-abcdefghijk"),
            (ProviderKind::Google, "AIzaSyAbcdefghijklmnop"),
            (ProviderKind::Groq, "gsk_abcdefghijklmnop"),
            (ProviderKind::Xai, "xai-abcdefghijklmnop"),
            (ProviderKind::OpenRouter, "sk-or-v1-abcdefghijkl"),
            (ProviderKind::Aws, "AKIAIOSFODNN7EXAMPLE"),
            (ProviderKind::Aws, "ASIAIOSFODNN7EXAMPLE"),
            (ProviderKind::Custom, "anything-goes-here"),
        ];
        for (provider, key) in good {
            assert_eq!(
                provider.validate_key(&format!("  {key}\n")).unwrap(),
                key,
                "{provider:?}"
            );
        }
        let bad = [
            (ProviderKind::OpenAi, "pk-abcdefghijklmnop"),
            (ProviderKind::Anthropic, "sk-abcdefghijklmnop"),
            (ProviderKind::Google, "aiza-lowercase-1234"),
            (ProviderKind::Groq, "gsk_"),
            (ProviderKind::Xai, "sk-abcdefghijklmnop"),
            (ProviderKind::OpenRouter, "sk-abcdefghijklmnop"),
            (ProviderKind::Aws, "AKZZIOSFODNN7EXAMPLE"),
            (ProviderKind::OpenAi, "sk-proj-abc def ghijklm"),
            (ProviderKind::Custom, ""),
        ];
        for (provider, key) in bad {
            let err = provider.validate_key(key).unwrap_err();
            assert_eq!(
                err.to_string(),
                "Invalid API key format",
                "{provider:?} {key:?}"
            );
        }
    }

    #[test]
    fn forbidden_upstream_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(is_forbidden_upstream_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "104.18.6.192", "2606:4700::6812:6c0"] {
            assert!(!is_forbidden_upstream_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn base_urls_must_be_public_https() {
        assert!(validate_base_url("https://api.example.com/v1", false).is_ok());
        for bad in [
            "http://api.example.com",
            "https://127.0.0.1/v1",
            "https://[::1]/",
            "https://localhost:8080",
            "https://169.254.169.254/latest",
            "https://user:pw@api.example.com",
            "ftp://x.example.com",
            "not a url",
        ] {
            assert!(validate_base_url(bad, false).is_err(), "{bad}");
        }
        // The operator may allow private upstreams (tests, private deployments).
        assert!(validate_base_url("http://127.0.0.1:9999/v1", true).is_ok());
    }
}

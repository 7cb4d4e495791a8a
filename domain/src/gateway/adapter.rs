//! Where and how a proxied request is sent: the URL for each API on each provider, and the
//! provider's own authentication headers. OpenAI-compatible providers (OpenAI, Groq, xAI,
//! OpenRouter, Gemini's OpenAI endpoint, custom providers) share one shape parameterised by
//! base URL and auth method; Anthropic differs only in paths and headers.
//!
//! Nothing the client sent decides the upstream URL or credentials: only these functions do.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret as _;

use super::candidates::Candidate;
use super::routing::Target;
use super::usage::WireFormat;
use crate::custom_providers::AuthMethod;
use crate::entities::custom_provider;
use crate::error::DomainError;
use crate::providers::ProviderKind;
use crate::upstream::Upstreams;

/// The APIs the proxy serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    ChatCompletions,
    Completions,
    Embeddings,
    Responses,
    Messages,
    CountTokens,
    Files,
}

impl Api {
    /// Every API, for looking one up by its ledger name.
    pub const ALL: [Api; 7] = [
        Api::ChatCompletions,
        Api::Completions,
        Api::Embeddings,
        Api::Responses,
        Api::Messages,
        Api::CountTokens,
        Api::Files,
    ];

    /// The API whose ledger name is `name`.
    pub fn from_name(name: &str) -> Option<Api> {
        Self::ALL.into_iter().find(|api| api.name() == name)
    }

    /// The endpoint's name in the ledger.
    pub fn name(self) -> &'static str {
        match self {
            Api::ChatCompletions => "chat/completions",
            Api::Completions => "completions",
            Api::Embeddings => "embeddings",
            Api::Responses => "responses",
            Api::Messages => "messages",
            Api::CountTokens => "messages/count_tokens",
            Api::Files => "files",
        }
    }

    /// How usage is read from this API's answers.
    pub fn wire(self) -> Option<WireFormat> {
        match self {
            Api::ChatCompletions => Some(WireFormat::ChatCompletions),
            Api::Completions => Some(WireFormat::Completions),
            Api::Embeddings => Some(WireFormat::Embeddings),
            Api::Responses => Some(WireFormat::Responses),
            Api::Messages => Some(WireFormat::AnthropicMessages),
            Api::CountTokens | Api::Files => None,
        }
    }

    /// True for Anthropic-shaped APIs (errors in Anthropic's shape, key in `x-api-key`).
    pub fn is_anthropic(self) -> bool {
        matches!(self, Api::Messages | Api::CountTokens)
    }
}

/// The default `anthropic-version` when the client sends none.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Client headers passed on as they are (everything else is dropped).
const PASSED_HEADERS: [&str; 4] = [
    "anthropic-version",
    "anthropic-beta",
    "openai-beta",
    "accept",
];

/// A request ready to send.
pub struct Prepared {
    pub client: reqwest::Client,
    pub url: url::Url,
    pub headers: HeaderMap,
}

fn join(base: &url::Url, relative: &str) -> url::Url {
    let mut url = base.clone();
    let path = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        relative.trim_start_matches('/')
    );
    url.set_path(&path);
    url
}

fn header_value(raw: &str) -> Result<HeaderValue, DomainError> {
    HeaderValue::from_str(raw)
        .map_err(|_| DomainError::internal("upstream header", "invalid value"))
}

/// Builds the upstream URL and headers for one attempt with one key. `subpath` follows the
/// API's path (e.g. `/file-abc` for `files`).
pub fn prepare(
    upstreams: &Upstreams,
    target: &Target,
    custom: Option<&custom_provider::Model>,
    candidate: &Candidate,
    api: Api,
    subpath: &str,
    client_headers: &HeaderMap,
) -> Result<Prepared, DomainError> {
    let mut headers = HeaderMap::new();
    for name in PASSED_HEADERS {
        if let Some(value) = client_headers.get(name) {
            headers.insert(HeaderName::from_static(name), value.clone());
        }
    }
    let key = candidate.secret.expose_secret();
    let relative = format!("{}{subpath}", api.name());
    let (endpoint, url) = match target {
        Target::Builtin(ProviderKind::Aws) => {
            return Err(DomainError::validation(
                "model",
                "The proxy does not serve AWS (Bedrock) models yet.",
            ));
        }
        Target::Builtin(ProviderKind::Anthropic) => {
            let endpoint =
                upstreams.proxy_endpoint(ProviderKind::Anthropic, candidate.base_url.as_deref())?;
            let url = join(&endpoint.base, &format!("v1/{relative}"));
            headers.insert("x-api-key", header_value(key)?);
            if !headers.contains_key("anthropic-version") {
                headers.insert(
                    "anthropic-version",
                    HeaderValue::from_static(ANTHROPIC_VERSION),
                );
            }
            (endpoint, url)
        }
        Target::Builtin(provider) => {
            let endpoint = upstreams.proxy_endpoint(*provider, candidate.base_url.as_deref())?;
            let relative = if *provider == ProviderKind::Google {
                format!("v1beta/openai/{relative}")
            } else {
                relative
            };
            let url = join(&endpoint.base, &relative);
            headers.insert("authorization", header_value(&format!("Bearer {key}"))?);
            if *provider == ProviderKind::OpenAi
                && let Some(org) = candidate.provider_org_id.as_deref()
            {
                headers.insert("openai-organization", header_value(org)?);
            }
            (endpoint, url)
        }
        Target::Custom(_) => {
            let custom = custom.ok_or(DomainError::NotFound)?;
            let base = candidate.base_url.as_deref().unwrap_or(&custom.base_url);
            let endpoint = upstreams.proxy_custom_endpoint(base)?;
            let mut url = join(&endpoint.base, &relative);
            if let Some(version) = custom.api_version.as_deref() {
                url.query_pairs_mut().append_pair("api-version", version);
            }
            match AuthMethod::of(custom) {
                AuthMethod::Bearer => {
                    headers.insert("authorization", header_value(&format!("Bearer {key}"))?);
                }
                AuthMethod::Header(name) => {
                    let name = HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| DomainError::internal("custom auth header", "invalid name"))?;
                    headers.insert(name, header_value(key)?);
                }
                AuthMethod::Query(param) => {
                    url.query_pairs_mut().append_pair(&param, key);
                }
            }
            if let Some(org) = candidate.provider_org_id.as_deref() {
                headers.insert("openai-organization", header_value(org)?);
            }
            let endpoint = crate::upstream::Endpoint {
                base: endpoint.base,
                client: endpoint.client,
            };
            (endpoint, url)
        }
    };
    Ok(Prepared {
        client: endpoint.client.clone(),
        url,
        headers,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::gateway::candidates::KeySource;

    fn candidate(key: &str) -> Candidate {
        Candidate {
            key_id: Some(1),
            source: KeySource::Project,
            secret: key.to_owned().into(),
            provider_org_id: Some("org-1".into()),
            base_url: None,
            weight: 1,
            previous: None,
        }
    }

    #[test]
    fn urls_and_auth_per_provider() {
        let mut overrides = HashMap::new();
        overrides.insert(
            ProviderKind::OpenAi,
            url::Url::parse("http://fake/v1").unwrap(),
        );
        overrides.insert(
            ProviderKind::Anthropic,
            url::Url::parse("http://fake/anthropic").unwrap(),
        );
        overrides.insert(
            ProviderKind::Google,
            url::Url::parse("http://fake/google").unwrap(),
        );
        let upstreams = Upstreams::new(overrides, false).unwrap();
        let mut client_headers = HeaderMap::new();
        client_headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer sk-proxy-client"),
        );
        client_headers.insert("x-api-key", HeaderValue::from_static("sk-proxy-client"));
        client_headers.insert("openai-beta", HeaderValue::from_static("assistants=v2"));

        let p = prepare(
            &upstreams,
            &Target::Builtin(ProviderKind::OpenAi),
            None,
            &candidate("sk-up"),
            Api::ChatCompletions,
            "",
            &client_headers,
        )
        .unwrap();
        assert_eq!(p.url.as_str(), "http://fake/v1/chat/completions");
        assert_eq!(p.headers["authorization"], "Bearer sk-up");
        assert_eq!(p.headers["openai-organization"], "org-1");
        assert_eq!(p.headers["openai-beta"], "assistants=v2");
        assert!(p.headers.get("x-api-key").is_none());

        let p = prepare(
            &upstreams,
            &Target::Builtin(ProviderKind::Anthropic),
            None,
            &candidate("sk-ant-up"),
            Api::Messages,
            "",
            &client_headers,
        )
        .unwrap();
        assert_eq!(p.url.as_str(), "http://fake/anthropic/v1/messages");
        assert_eq!(p.headers["x-api-key"], "sk-ant-up");
        assert_eq!(p.headers["anthropic-version"], ANTHROPIC_VERSION);
        assert!(p.headers.get("authorization").is_none());

        let p = prepare(
            &upstreams,
            &Target::Builtin(ProviderKind::Google),
            None,
            &candidate("AIza-up"),
            Api::Embeddings,
            "",
            &client_headers,
        )
        .unwrap();
        assert_eq!(
            p.url.as_str(),
            "http://fake/google/v1beta/openai/embeddings"
        );

        let p = prepare(
            &upstreams,
            &Target::Builtin(ProviderKind::OpenAi),
            None,
            &candidate("sk-up"),
            Api::Files,
            "/file-1",
            &client_headers,
        )
        .unwrap();
        assert_eq!(p.url.as_str(), "http://fake/v1/files/file-1");

        assert!(
            prepare(
                &upstreams,
                &Target::Builtin(ProviderKind::Aws),
                None,
                &candidate("AKIA"),
                Api::ChatCompletions,
                "",
                &client_headers
            )
            .is_err()
        );
        let _ = Arc::new(());
    }
}

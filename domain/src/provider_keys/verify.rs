//! "Test key": one cheap authenticated call to the provider, recorded on the key.
//!
//! The upstream's own error text is never shown: some providers echo the key they were sent.
//! Outcomes are Keygate's own words plus the HTTP status and, when present, the organization
//! and rate-limit headers.

use reqwest::header::HeaderMap;
use sea_orm::{ActiveModelTrait, Set};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use super::events::record;
use super::secret::ProviderSecret;
use super::sigv4::{SignedRequest, Signer};
use super::{can_operate, get, open_secret};
use crate::auth::SessionUser;
use crate::custom_providers::AuthMethod;
use crate::entities::{custom_provider, provider_key};
use crate::error::DomainError;
use crate::providers::ProviderKind;
use crate::state::AppState;
use crate::upstream::{Endpoint, UPSTREAM_TIMEOUT};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    Valid,
    Invalid,
    Unreachable,
}

impl VerifyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyStatus::Valid => "valid",
            VerifyStatus::Invalid => "invalid",
            VerifyStatus::Unreachable => "unreachable",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyDetails {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_requests: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_tokens: Option<u64>,
    /// AWS: the account the credentials belong to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyOutcome {
    pub status: VerifyStatus,
    pub details: VerifyDetails,
    pub checked_at: chrono::DateTime<chrono::Utc>,
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .map(str::to_owned)
}

fn header_number(headers: &HeaderMap, names: &[&str]) -> Option<u64> {
    names
        .iter()
        .find_map(|n| header_text(headers, n)?.parse().ok())
}

fn joined(base: &url::Url, path: &str) -> String {
    format!("{}/{path}", base.as_str().trim_end_matches('/'))
}

/// Builds the provider's cheapest authenticated request.
fn request_for(
    provider: ProviderKind,
    key: &provider_key::Model,
    custom: Option<&custom_provider::Model>,
    secret: &ProviderSecret,
    endpoint: &Endpoint<'_>,
) -> Result<reqwest::RequestBuilder, DomainError> {
    let api_key = secret.key.expose_secret();
    let client = endpoint.client;
    let builder = match provider {
        ProviderKind::Custom if custom.is_some() => {
            let custom = custom.ok_or_else(|| DomainError::Internal("custom provider".into()))?;
            let mut url = url::Url::parse(&joined(&endpoint.base, "models"))
                .map_err(|e| DomainError::internal("custom provider url", e))?;
            if let Some(version) = &custom.api_version {
                url.query_pairs_mut().append_pair("api-version", version);
            }
            if let AuthMethod::Query(param) = AuthMethod::of(custom) {
                url.query_pairs_mut().append_pair(&param, api_key);
            }
            let mut b = client.get(url);
            match AuthMethod::of(custom) {
                AuthMethod::Bearer => b = b.bearer_auth(api_key),
                AuthMethod::Header(name) => b = b.header(name, api_key),
                AuthMethod::Query(_) => {}
            }
            if let Some(org) = &key.provider_org_id {
                b = b.header("OpenAI-Organization", org);
            }
            b
        }
        ProviderKind::OpenAi
        | ProviderKind::Groq
        | ProviderKind::Xai
        | ProviderKind::OpenRouter
        | ProviderKind::Custom => {
            let mut b = client
                .get(joined(&endpoint.base, "models"))
                .bearer_auth(api_key);
            if let Some(org) = &key.provider_org_id {
                b = b.header("OpenAI-Organization", org);
            }
            b
        }
        ProviderKind::Anthropic => client
            .get(joined(&endpoint.base, "v1/models"))
            .header("x-api-key", api_key)
            .header("anthropic-version", "2023-06-01"),
        ProviderKind::Google => client
            .get(joined(&endpoint.base, "v1beta/models"))
            .header("x-goog-api-key", api_key),
        ProviderKind::Aws => {
            let secret_access_key = secret
                .secret_access_key
                .as_ref()
                .ok_or_else(|| DomainError::Internal("AWS key without secret part".into()))?;
            let region = key.region.as_deref().unwrap_or("us-east-1");
            let host = endpoint
                .base
                .host_str()
                .ok_or_else(|| DomainError::Internal("STS endpoint without host".into()))?;
            let host = match endpoint.base.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            };
            let body = "Action=GetCallerIdentity&Version=2011-06-15";
            let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            let content_type = "application/x-www-form-urlencoded; charset=utf-8";
            let authorization = Signer {
                access_key_id: api_key,
                secret_access_key: secret_access_key.expose_secret(),
                region,
                service: "sts",
                amz_date: &amz_date,
            }
            .authorization(&SignedRequest {
                method: "POST",
                path: "/",
                query: "",
                headers: &[
                    ("content-type", content_type),
                    ("host", &host),
                    ("x-amz-date", &amz_date),
                ],
                payload: body.as_bytes(),
            });
            client
                .post(joined(&endpoint.base, ""))
                .header("content-type", content_type)
                .header("x-amz-date", amz_date)
                .header("authorization", authorization)
                .body(body)
        }
    };
    Ok(builder)
}

fn endpoint_for<'a>(
    state: &'a AppState,
    provider: ProviderKind,
    key: &provider_key::Model,
    custom: Option<&custom_provider::Model>,
) -> Result<Endpoint<'a>, DomainError> {
    if let Some(custom) = custom {
        // An admin-set address: checked like a base URL set on a key.
        let base = key.base_url.as_deref().unwrap_or(&custom.base_url);
        return state.upstreams.endpoint(provider, Some(base));
    }
    let default = match provider {
        ProviderKind::Aws => Some(format!(
            "https://sts.{}.amazonaws.com",
            key.region.as_deref().unwrap_or("us-east-1")
        )),
        other => other.default_base_url().map(str::to_owned),
    };
    state
        .upstreams
        .endpoint_with_default(provider, key.base_url.as_deref(), default)
}

/// Text between `<tag>` and `</tag>` in a small XML answer.
fn xml_value(body: &str, tag: &str) -> Option<String> {
    let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    let value = body[start..end].trim();
    (!value.is_empty() && value.len() <= 64 && value.chars().all(|c| c.is_ascii_digit()))
        .then(|| value.to_owned())
}

/// Calls the provider and classifies the answer. Never returns the upstream's body text.
pub async fn check(
    state: &AppState,
    key: &provider_key::Model,
) -> Result<VerifyOutcome, DomainError> {
    let secret = open_secret(state, key).await?;
    check_secret(state, key, &secret).await
}

/// Like [`check`], for a secret that is not stored yet (a rotation checks the new secret
/// before switching to it); `key` supplies the provider, endpoint and organization.
pub async fn check_secret(
    state: &AppState,
    key: &provider_key::Model,
    secret: &ProviderSecret,
) -> Result<VerifyOutcome, DomainError> {
    let provider = ProviderKind::parse(&key.provider)?;
    let custom = match key.custom_provider_id {
        Some(id) => Some(crate::custom_providers::get(&state.db, key.org_id, id).await?),
        None => None,
    };
    let name = custom
        .as_ref()
        .map(|c| c.name.clone())
        .unwrap_or_else(|| provider.display_name().to_owned());
    let endpoint = match endpoint_for(state, provider, key, custom.as_ref()) {
        Ok(endpoint) => endpoint,
        Err(DomainError::Validation { message, .. }) => {
            return Ok(outcome(
                VerifyStatus::Unreachable,
                VerifyDetails {
                    message,
                    ..Default::default()
                },
            ));
        }
        Err(other) => return Err(other),
    };
    let response = match request_for(provider, key, custom.as_ref(), secret, &endpoint)?
        .send()
        .await
    {
        Ok(response) => response,
        Err(err) => {
            let why = if err.is_timeout() {
                format!("timed out after {} s", UPSTREAM_TIMEOUT.as_secs())
            } else if err.is_connect() {
                "could not connect".to_owned()
            } else {
                "the request failed".to_owned()
            };
            return Ok(outcome(
                VerifyStatus::Unreachable,
                VerifyDetails {
                    message: format!("Could not reach {name}: {why}."),
                    ..Default::default()
                },
            ));
        }
    };
    let status = response.status();
    let headers = response.headers().clone();
    let mut details = VerifyDetails {
        http_status: Some(status.as_u16()),
        organization: header_text(&headers, "openai-organization"),
        rate_limit_requests: header_number(
            &headers,
            &[
                "x-ratelimit-limit-requests",
                "anthropic-ratelimit-requests-limit",
            ],
        ),
        rate_limit_tokens: header_number(
            &headers,
            &[
                "x-ratelimit-limit-tokens",
                "anthropic-ratelimit-tokens-limit",
            ],
        ),
        ..Default::default()
    };
    let code = status.as_u16();
    let verdict = if status.is_success() {
        if provider == ProviderKind::Aws {
            let body = response.text().await.unwrap_or_default();
            details.account = xml_value(&body, "Account");
        }
        details.message = format!("{name} accepted the key.");
        VerifyStatus::Valid
    } else if code == 401 || code == 403 {
        details.message = format!("{name} rejected the key (HTTP {code}).");
        VerifyStatus::Invalid
    } else if code == 429 {
        details.message =
            format!("{name} accepted the key but is rate limiting it or it is out of quota.");
        VerifyStatus::Valid
    } else {
        details.message = format!("{name} answered with HTTP {code}; the key was not checked.");
        VerifyStatus::Unreachable
    };
    Ok(outcome(verdict, details))
}

fn outcome(status: VerifyStatus, details: VerifyDetails) -> VerifyOutcome {
    VerifyOutcome {
        status,
        details,
        checked_at: chrono::Utc::now(),
    }
}

/// Tests a key the caller may operate and records the result on it and in its history.
pub async fn verify(
    state: &AppState,
    user: &SessionUser,
    id: i32,
) -> Result<(provider_key::Model, VerifyOutcome), DomainError> {
    let key = get(&state.db, user, id).await?;
    if !can_operate(user, &key) {
        return Err(DomainError::NotFound);
    }
    let result = check(state, &key).await?;
    let detail_json = serde_json::to_string(&result.details)
        .map_err(|e| DomainError::internal("encoding verification", e))?;
    let mut row: provider_key::ActiveModel = key.into();
    row.verify_status = Set(result.status.as_str().to_owned());
    row.verified_at = Set(Some(result.checked_at));
    row.verify_detail = Set(Some(detail_json));
    let updated = row.update(&state.db).await?;
    record(
        &state.db,
        &updated,
        Some(user.id),
        "verified",
        result.status.as_str(),
    )
    .await?;
    Ok((updated, result))
}

/// The last recorded verification details of a key, if any.
pub fn stored_details(key: &provider_key::Model) -> Option<VerifyDetails> {
    serde_json::from_str(key.verify_detail.as_deref()?).ok()
}

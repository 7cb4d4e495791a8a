//! `POST /api/broker/credentials`: the credential broker for server-side apps, authenticated
//! by a `Bearer kg_svc_…` service token only (no session cookie, no admin token).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use domain::AppState;
use domain::api_tokens::TokenKind;
use domain::audit::{self, Actor, Entry, Outcome};
use domain::broker::{self, UserRef};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::Client;
use super::error::{ApiError, ApiJson, ErrorBody};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CredentialRequest {
    /// Keygate's user id, or
    user_id: Option<i32>,
    /// the app's own id for the user (the user's external id), or
    external_id: Option<String>,
    /// the user's e-mail address. Exactly one of the three.
    email: Option<String>,
    service: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialBody {
    service: String,
    /// `personal`, `project` or `environment`.
    source: &'static str,
    key_id: Option<i32>,
    name: Option<String>,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_access_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_id: Option<String>,
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "The broker needs a live Keygate service token (Authorization: Bearer kg_svc_…).",
    )
}

/// The key a user should use for a service: their own, else the token's project's, else the
/// environment fallback. Service tokens only; every fetch is recorded.
#[utoipa::path(post, path = "/api/broker/credentials", tag = "broker", request_body = CredentialRequest,
    security(("serviceToken" = [])),
    responses((status = 200, body = CredentialBody), (status = 401, body = ErrorBody),
        (status = 404, description = "No key available", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn credentials(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    ApiJson(body): ApiJson<CredentialRequest>,
) -> Result<Json<CredentialBody>, ApiError> {
    let presented = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(unauthorized)?;
    let (token, _) = domain::api_tokens::authenticate(&state.db, TokenKind::Service, presented)
        .await
        .map_err(|e| match e {
            domain::DomainError::Internal(_) => ApiError::from(e),
            _ => unauthorized(),
        })?;
    let who = match (body.user_id, body.external_id, body.email) {
        (Some(id), None, None) => UserRef::Id(id),
        (None, Some(ext), None) => UserRef::External(ext),
        (None, None, Some(email)) => UserRef::Email(email),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Give exactly one of userId, externalId or email.",
            ));
        }
    };
    let entry = Entry::new(
        Some(token.org_id),
        Actor::anonymous(&format!("token:{}", token.id)),
        "broker.fetch",
    )
    .client(&client);
    let for_user = match &who {
        UserRef::Id(id) => json!({ "user_id": id }),
        UserRef::External(ext) => json!({ "external_id": ext }),
        UserRef::Email(email) => json!({ "email": email }),
    };
    let brokered = match broker::fetch(&state, &token, &who, &body.service).await {
        Ok(brokered) => brokered,
        Err(e) => {
            let detail =
                json!({ "service": body.service, "for": for_user, "error": e.to_string() });
            audit::record(&state.db, entry.outcome(Outcome::Failure).detail(detail)).await;
            return Err(match e {
                domain::DomainError::NotFound => ApiError::new(
                    StatusCode::NOT_FOUND,
                    "no_key_available",
                    "No key is available for this user and service.",
                ),
                other => other.into(),
            });
        }
    };
    // The secret leaves Keygate only once the fetch is in the audit log.
    let detail = json!({
        "service": body.service,
        "for": for_user,
        "source": brokered.source.as_str(),
    });
    let entry = match brokered.key.as_ref() {
        Some(k) => entry.target("provider_key", k.id, k.name.clone()),
        None => entry.target("fallback", body.service.trim(), ""),
    };
    audit::append(&state.db, entry.detail(detail)).await?;
    tracing::info!(token_id = token.id, source = brokered.source.as_str(), key_id = ?brokered.key.as_ref().map(|k| k.id), "credential brokered");
    let key = brokered.key.as_ref();
    Ok(Json(CredentialBody {
        service: body.service.trim().to_ascii_lowercase(),
        source: brokered.source.as_str(),
        key_id: key.map(|k| k.id),
        name: key.map(|k| k.name.clone()),
        value: brokered.secret.key.expose_secret().to_owned(),
        secret_access_key: brokered
            .secret
            .secret_access_key
            .as_ref()
            .map(|s| s.expose_secret().to_owned()),
        region: key.and_then(|k| k.region.clone()),
        base_url: key.and_then(|k| k.base_url.clone()),
        organization_id: key.and_then(|k| k.provider_org_id.clone()),
    }))
}

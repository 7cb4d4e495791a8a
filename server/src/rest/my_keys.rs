//! `/api/api-keys` (seed 003): the caller's own personal provider keys, any role.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use domain::AppState;
use domain::audit;
use domain::auth::SessionUser;
use domain::entities::provider_key;
use domain::provider_keys::{self, KeyFilter, KeyScope, NewKey};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use super::api_keys::{UpdateKey, parse_provider, parse_status};
use super::auth::RestUser;
use super::client::Client;
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use super::key_body::{KeyBody, VerifyBody};
use super::projects::ProjectId as KeyId;

/// The header carrying the caller's password for `?includeValue=true`.
pub const PASSWORD_HEADER: &str = "x-keygate-password";

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListQuery {
    service: Option<String>,
    status: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = CreatePersonalKey)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKey {
    name: String,
    service: String,
    value: String,
    #[serde(default)]
    description: String,
    expires_at: Option<DateTime<Utc>>,
    secret_access_key: Option<String>,
    region: Option<String>,
    base_url: Option<String>,
    organization_id: Option<String>,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GetQuery {
    #[serde(default)]
    include_value: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TestRequest {
    key_id: i32,
}

/// Seed 003 calls the provider `service` and the secret `value`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyKeyBody {
    #[serde(flatten)]
    key: KeyBody,
    service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_access_key: Option<String>,
}

impl From<&provider_key::Model> for MyKeyBody {
    fn from(k: &provider_key::Model) -> Self {
        Self {
            key: KeyBody::from(k),
            service: k.provider.clone(),
            value: None,
            secret_access_key: None,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MyKeyList {
    keys: Vec<MyKeyBody>,
    total: usize,
}

/// One of the caller's own personal keys; anything else looks absent here.
async fn own_key(
    state: &AppState,
    user: &SessionUser,
    id: i32,
) -> Result<provider_key::Model, ApiError> {
    let key = provider_keys::get(&state.db, user, id).await?;
    if key.owner_user_id != Some(user.id) {
        return Err(domain::DomainError::NotFound.into());
    }
    Ok(key)
}

/// The caller's own personal keys (masked).
#[utoipa::path(get, path = "/api/api-keys", tag = "my keys", params(ListQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = MyKeyList), (status = 401, description = "No session or token", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<MyKeyList>, ApiError> {
    let filter = KeyFilter {
        provider: parse_provider(query.service.as_deref())?,
        active: parse_status(query.status.as_deref())?,
        mine_only: true,
        name_contains: query.name,
        ..Default::default()
    };
    let keys = provider_keys::list(&state.db, &user, &filter).await?;
    Ok(Json(MyKeyList {
        total: keys.len(),
        keys: keys.iter().map(MyKeyBody::from).collect(),
    }))
}

/// Adds one of the caller's own keys.
#[utoipa::path(post, path = "/api/api-keys", tag = "my keys", request_body = CreateKey, security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = MyKeyBody), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    client: Client,
    ApiJson(body): ApiJson<CreateKey>,
) -> Result<(StatusCode, Json<MyKeyBody>), ApiError> {
    let input = NewKey {
        scope: KeyScope::Personal,
        provider: body.service,
        name: body.name,
        description: body.description,
        key: SecretString::from(body.value),
        secret_access_key: body.secret_access_key.map(SecretString::from),
        region: body.region,
        provider_org_id: body.organization_id,
        base_url: body.base_url,
        expires_at: body.expires_at,
        weight: None,
        rotation_schedule: None,
    };
    let created = provider_keys::create(&state, &user, input).await?;
    tracing::info!(actor = user.id, key_id = created.id, provider = %created.provider, "personal key created");
    let entry = client
        .entry(&user, "provider_key.create")
        .provider_key(&created);
    audit::record(&state.db, entry).await;
    Ok((StatusCode::CREATED, Json(MyKeyBody::from(&created))))
}

/// `?includeValue=true` returns the secret, only with the caller's password in
/// `X-Keygate-Password`; every reveal (and refusal) is recorded in the key's history.
/// One own key; `includeValue=true` with the caller's password in `X-Keygate-Password`
/// returns the secret (recorded in the key's history).
#[utoipa::path(get, path = "/api/api-keys/{id}", tag = "my keys", params(("id" = i32, Path, description = "Key id"), GetQuery,
        ("X-Keygate-Password" = Option<String>, Header, description = "The caller's password, for includeValue=true")),
    security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = MyKeyBody), (status = 404, body = ErrorBody), (status = 422, description = "Wrong password", body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody),
        (status = 403, description = "`mfa_verification_required`: with two-factor on, a session must verify a code (POST /api/auth/mfa) within five minutes before a reveal", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    client: Client,
    KeyId(id): KeyId,
    ApiQuery(query): ApiQuery<GetQuery>,
    auth: domain::auth::AuthSession,
    headers: HeaderMap,
) -> Result<Json<MyKeyBody>, ApiError> {
    let key = own_key(&state, &user, id).await?;
    let mut body = MyKeyBody::from(&key);
    if query.include_value {
        // Session callers with two-factor on first prove a code (`POST /api/auth/mfa`).
        super::mfa::require_recent(&state, &auth, &headers, &user).await?;
        let password = headers
            .get(PASSWORD_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "password_required",
                    "Send your password in the X-Keygate-Password header to reveal a key.",
                )
            })?;
        let secret = provider_keys::reveal(
            &state,
            &user,
            id,
            SecretString::from(password.to_owned()),
            &client.0,
        )
        .await?;
        body.value = Some(secret.key.expose_secret().to_owned());
        body.secret_access_key = secret
            .secret_access_key
            .as_ref()
            .map(|s| s.expose_secret().to_owned());
        tracing::info!(actor = user.id, key_id = id, "personal key revealed");
    }
    Ok(Json(body))
}

/// Changes an own key; a blank `key` keeps the secret.
#[utoipa::path(put, path = "/api/api-keys/{id}", tag = "my keys", params(("id" = i32, Path, description = "Key id")), request_body = UpdateKey, security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = MyKeyBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    client: Client,
    KeyId(id): KeyId,
    ApiJson(body): ApiJson<UpdateKey>,
) -> Result<Json<MyKeyBody>, ApiError> {
    own_key(&state, &user, id).await?;
    let updated = provider_keys::update(&state, &user, id, body.into_changes()).await?;
    let entry = client
        .entry(&user, "provider_key.update")
        .provider_key(&updated);
    audit::record(&state.db, entry).await;
    Ok(Json(MyKeyBody::from(&updated)))
}

/// Deletes an own key (the secret is destroyed).
#[utoipa::path(delete, path = "/api/api-keys/{id}", tag = "my keys", params(("id" = i32, Path, description = "Key id")), security(("session" = []), ("adminToken" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    client: Client,
    KeyId(id): KeyId,
) -> Result<StatusCode, ApiError> {
    let key = own_key(&state, &user, id).await?;
    provider_keys::delete(&state.db, &user, id).await?;
    let entry = client
        .entry(&user, "provider_key.delete")
        .provider_key(&key);
    audit::record(&state.db, entry).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Tests an own key against its provider.
#[utoipa::path(post, path = "/api/api-keys/test", tag = "my keys", request_body = TestRequest, security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = VerifyBody), (status = 404, body = ErrorBody), (status = 401, description = "No session or token", body = ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    client: Client,
    ApiJson(body): ApiJson<TestRequest>,
) -> Result<Json<VerifyBody>, ApiError> {
    own_key(&state, &user, body.key_id).await?;
    let (key, outcome) = provider_keys::verify::verify(&state, &user, body.key_id).await?;
    let entry = client
        .entry(&user, "provider_key.verify")
        .provider_key_check(&key, &outcome);
    audit::record(&state.db, entry).await;
    Ok(Json(outcome.into()))
}

#[derive(Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStats {
    service: String,
    keys: usize,
    active_keys: usize,
    verified_keys: usize,
    last_used: Option<String>,
    /// The caller's proxied requests to this service this month (UTC), whichever key served
    /// them.
    requests_this_month: i64,
    tokens_this_month: i64,
    cost_micros_this_month: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Stats {
    services: Vec<ServiceStats>,
    total: usize,
}

/// The caller's keys per service, with their own usage of each service this month.
#[utoipa::path(get, path = "/api/api-keys/stats", tag = "my keys", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = Stats), (status = 401, description = "No session or token", body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    RestUser(user): RestUser,
) -> Result<Json<Stats>, ApiError> {
    let filter = KeyFilter {
        mine_only: true,
        ..Default::default()
    };
    let keys = provider_keys::list(&state.db, &user, &filter).await?;
    let mut by_service: BTreeMap<String, ServiceStats> = BTreeMap::new();
    for key in &keys {
        let entry = by_service
            .entry(key.provider.clone())
            .or_insert_with(|| ServiceStats {
                service: key.provider.clone(),
                ..Default::default()
            });
        entry.keys += 1;
        entry.active_keys += usize::from(key.active);
        entry.verified_keys += usize::from(key.verify_status == "valid");
        let used = key.last_used_at.map(|t| t.to_rfc3339());
        if used > entry.last_used {
            entry.last_used = used;
        }
    }
    let now = chrono::Utc::now();
    let month_start = domain::ledger::projection::month_start(now);
    let mut filter = domain::ledger::query::UsageFilter::new(
        user.org_id,
        month_start,
        domain::ledger::projection::next_month_start(now),
    );
    filter.user_id = Some(user.id);
    let used = domain::ledger::query::grouped(
        &state.db,
        &filter,
        domain::ledger::query::GroupBy::Provider,
    )
    .await?;
    for g in used {
        let entry = by_service
            .entry(g.key.clone())
            .or_insert_with(|| ServiceStats {
                service: g.key.clone(),
                ..Default::default()
            });
        entry.requests_this_month = g.requests;
        entry.tokens_this_month = g.tokens();
        entry.cost_micros_this_month = g.cost_micros;
    }
    Ok(Json(Stats {
        total: keys.len(),
        services: by_service.into_values().collect(),
    }))
}

//! `/api/admin/alerts` (rules, fired events, the alert e-mail log), `/api/admin/webhooks`
//! (endpoints, secrets, delivery log, test messages) and `/api/notifications` (the caller's
//! bell).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::AppState;
use domain::alerts::rules::{self, params_of, recipients_of, webhooks_of};
use domain::alerts::{RuleInput, RuleKind, RuleParams, email, notifications, webhooks};
use domain::audit;
use domain::auth::SessionUser;
use domain::entities::{
    alert_event, alert_rule, email_delivery, notification, webhook, webhook_delivery,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::auth::{RestAdmin, RestUser};
use super::client::Client;
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleBody {
    id: i32,
    name: String,
    /// budget_threshold | budget_exhausted | cost_above | error_rate | key_expiring |
    /// rotation_overdue | key_quarantined
    kind: String,
    #[schema(value_type = Object)]
    params: RuleParams,
    in_app: bool,
    webhook_ids: Vec<i32>,
    /// E-mail recipients.
    email_to: Vec<String>,
    /// `none` (no recipients), `ready`, or `smtp_not_configured`: the rule has recipients
    /// but the server has no `KEYGATE_SMTP_URL`, so its e-mails fail (see the e-mail log).
    email_status: String,
    enabled: bool,
    updated_at: String,
}

impl RuleBody {
    fn new(r: alert_rule::Model, smtp_configured: bool) -> Self {
        let email_to = recipients_of(&r);
        Self {
            params: params_of(&r),
            webhook_ids: webhooks_of(&r),
            email_status: match (email_to.is_empty(), smtp_configured) {
                (true, _) => "none",
                (false, true) => "ready",
                (false, false) => "smtp_not_configured",
            }
            .to_owned(),
            email_to,
            id: r.id,
            name: r.name,
            kind: r.kind,
            in_app: r.in_app,
            enabled: r.enabled,
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleRequest {
    name: String,
    kind: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    params: RuleParams,
    #[serde(default = "yes")]
    in_app: bool,
    #[serde(default)]
    webhook_ids: Vec<i32>,
    /// E-mail recipients: plain addresses, at most 20 (sent when SMTP is configured).
    #[serde(default)]
    email_to: Vec<String>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

impl RuleRequest {
    fn input(self) -> Result<RuleInput, ApiError> {
        let kind = RuleKind::parse(&self.kind).ok_or_else(|| {
            ApiError::from(domain::DomainError::validation(
                "kind",
                "Unknown alert kind; see the API documentation for the kinds.",
            ))
        })?;
        Ok(RuleInput {
            name: self.name,
            kind,
            params: self.params,
            in_app: self.in_app,
            webhook_ids: self.webhook_ids,
            email_to: self.email_to,
            enabled: self.enabled,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleList {
    rules: Vec<RuleBody>,
    /// Whether the server can send e-mail (`KEYGATE_SMTP_URL` and `KEYGATE_SMTP_FROM`).
    smtp_configured: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventBody {
    id: i32,
    rule_id: i32,
    condition: String,
    /// firing | resolved
    state: String,
    message: String,
    fired_at: String,
    resolved_at: Option<String>,
}

impl From<alert_event::Model> for EventBody {
    fn from(e: alert_event::Model) -> Self {
        Self {
            id: e.id,
            rule_id: e.rule_id,
            condition: e.condition_key,
            state: e.state,
            message: e.message,
            fired_at: e.fired_at.to_rfc3339(),
            resolved_at: e.resolved_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventList {
    events: Vec<EventBody>,
}

impl From<Vec<alert_event::Model>> for EventList {
    fn from(found: Vec<alert_event::Model>) -> Self {
        Self {
            events: found.into_iter().map(EventBody::from).collect(),
        }
    }
}

/// Audits `action` by `user` on `target` (kind, id, name). Best effort (`audit::record`): the
/// change is already made, so a failed audit write must not turn it into an error.
async fn audit_change(
    state: &AppState,
    client: &Client,
    user: &SessionUser,
    action: &str,
    target: (&str, i32, &str),
) {
    let (kind, id, name) = target;
    audit::record(&state.db, client.entry(user, action).target(kind, id, name)).await;
}

#[utoipa::path(get, path = "/api/admin/alerts/rules", tag = "alerts", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RuleList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_rules(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
) -> Result<Json<RuleList>, ApiError> {
    let found = rules::list(&state.db, admin.user().org_id).await?;
    let smtp = state.mailer.is_some();
    Ok(Json(RuleList {
        rules: found.into_iter().map(|r| RuleBody::new(r, smtp)).collect(),
        smtp_configured: smtp,
    }))
}

#[utoipa::path(post, path = "/api/admin/alerts/rules", tag = "alerts", request_body = RuleRequest, security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = RuleBody), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiJson(body): ApiJson<RuleRequest>,
) -> Result<(StatusCode, Json<RuleBody>), ApiError> {
    let user = admin.user();
    let created = rules::create(
        &state.db,
        user.org_id,
        Some(user.id),
        body.input()?,
        chrono::Utc::now(),
    )
    .await?;
    let target = ("alert_rule", created.id, created.name.as_str());
    audit_change(&state, &client, user, "alert_rule.create", target).await;
    let body = RuleBody::new(created, state.mailer.is_some());
    Ok((StatusCode::CREATED, Json(body)))
}

#[utoipa::path(put, path = "/api/admin/alerts/rules/{id}", tag = "alerts", request_body = RuleRequest, params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = RuleBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_rule(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<RuleRequest>,
) -> Result<Json<RuleBody>, ApiError> {
    let user = admin.user();
    let updated = rules::update(
        &state.db,
        user.org_id,
        id,
        body.input()?,
        chrono::Utc::now(),
    )
    .await?;
    let target = ("alert_rule", updated.id, updated.name.as_str());
    audit_change(&state, &client, user, "alert_rule.update", target).await;
    Ok(Json(RuleBody::new(updated, state.mailer.is_some())))
}

#[utoipa::path(delete, path = "/api/admin/alerts/rules/{id}", tag = "alerts", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    let user = admin.user();
    rules::delete(&state.db, user.org_id, id).await?;
    audit_change(
        &state,
        &client,
        user,
        "alert_rule.delete",
        ("alert_rule", id, ""),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's most recent alert events (100).
#[utoipa::path(get, path = "/api/admin/alerts/events", tag = "alerts", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = EventList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
) -> Result<Json<EventList>, ApiError> {
    let found = alert_event::Entity::find()
        .filter(alert_event::Column::OrgId.eq(admin.user().org_id))
        .order_by_desc(alert_event::Column::FiredAt)
        .limit(100)
        .all(&state.db)
        .await
        .map_err(domain::DomainError::from)?;
    Ok(Json(found.into()))
}

/// Evaluates the rules now (they are also evaluated every 30 s) and sends due webhooks and
/// e-mails.
#[utoipa::path(post, path = "/api/admin/alerts/evaluate", tag = "alerts", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = EventList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn evaluate(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
) -> Result<Json<EventList>, ApiError> {
    let now = chrono::Utc::now();
    let done = domain::alerts::evaluate(&state.db, now).await?;
    webhooks::deliver_due(&state, now).await?;
    email::deliver_due(&state, now).await?;
    let ids: Vec<i32> = done.fired.into_iter().chain(done.resolved).collect();
    let found = alert_event::Entity::find()
        .filter(alert_event::Column::OrgId.eq(admin.user().org_id))
        .filter(alert_event::Column::Id.is_in(ids))
        .all(&state.db)
        .await
        .map_err(domain::DomainError::from)?;
    Ok(Json(found.into()))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailDeliveryBody {
    id: i32,
    rule_id: Option<i32>,
    alert_event_id: Option<i32>,
    /// alert.fired | alert.resolved
    event: String,
    recipients: Vec<String>,
    subject: String,
    /// pending | delivered | failed
    status: String,
    attempts: i32,
    /// The SMTP server's answer, or why nothing was sent (e.g. SMTP not configured).
    last_error: Option<String>,
    next_attempt_at: String,
    created_at: String,
    delivered_at: Option<String>,
}

impl From<email_delivery::Model> for EmailDeliveryBody {
    fn from(d: email_delivery::Model) -> Self {
        Self {
            id: d.id,
            rule_id: d.rule_id,
            alert_event_id: d.alert_event_id,
            event: d.event,
            recipients: serde_json::from_str(&d.recipients).unwrap_or_default(),
            subject: d.subject,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.to_rfc3339(),
            created_at: d.created_at.to_rfc3339(),
            delivered_at: d.delivered_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailDeliveryList {
    smtp_configured: bool,
    deliveries: Vec<EmailDeliveryBody>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmailDeliveryQuery {
    /// Only this rule's e-mails.
    rule_id: Option<i32>,
}

/// The organization's alert e-mails and their delivery state, newest first (100).
#[utoipa::path(get, path = "/api/admin/alerts/email-deliveries", tag = "alerts", params(EmailDeliveryQuery), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = EmailDeliveryList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn email_deliveries(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    ApiQuery(query): ApiQuery<EmailDeliveryQuery>,
) -> Result<Json<EmailDeliveryList>, ApiError> {
    let found = email::deliveries(&state.db, admin.user().org_id, query.rule_id, 100).await?;
    Ok(Json(EmailDeliveryList {
        smtp_configured: state.mailer.is_some(),
        deliveries: found.into_iter().map(EmailDeliveryBody::from).collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookBody {
    id: i32,
    name: String,
    url: String,
    active: bool,
    created_at: String,
    /// Only when the webhook is created or its secret is asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl WebhookBody {
    fn new(w: webhook::Model, secret: Option<String>) -> Self {
        Self {
            id: w.id,
            name: w.name,
            url: w.url,
            active: w.active,
            created_at: w.created_at.to_rfc3339(),
            secret,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    webhooks: Vec<WebhookBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    name: String,
    url: String,
}

#[utoipa::path(get, path = "/api/admin/webhooks", tag = "alerts", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = WebhookList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
) -> Result<Json<WebhookList>, ApiError> {
    let found = webhooks::list(&state.db, admin.user().org_id).await?;
    Ok(Json(WebhookList {
        webhooks: found
            .into_iter()
            .map(|w| WebhookBody::new(w, None))
            .collect(),
    }))
}

/// Adds a webhook; the answer carries its signing secret.
#[utoipa::path(post, path = "/api/admin/webhooks", tag = "alerts", request_body = WebhookRequest, security(("session" = []), ("adminToken" = [])),
    responses((status = 201, body = WebhookBody), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    ApiJson(body): ApiJson<WebhookRequest>,
) -> Result<(StatusCode, Json<WebhookBody>), ApiError> {
    let user = admin.user();
    let created = webhooks::create(
        &state,
        user.org_id,
        Some(user.id),
        &body.name,
        &body.url,
        chrono::Utc::now(),
    )
    .await?;
    let secret = webhooks::signing_secret(&state.master_key, &created.uid)?;
    let target = ("webhook", created.id, created.name.as_str());
    audit_change(&state, &client, user, "webhook.create", target).await;
    Ok((
        StatusCode::CREATED,
        Json(WebhookBody::new(created, Some(secret))),
    ))
}

/// The webhook's signing secret (audited).
#[utoipa::path(get, path = "/api/admin/webhooks/{id}/secret", tag = "alerts", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = WebhookBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn webhook_secret(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    Path(id): Path<i32>,
) -> Result<Json<WebhookBody>, ApiError> {
    let user = admin.user();
    let hook = webhooks::get(&state.db, user.org_id, id).await?;
    audit::append(
        &state.db,
        client
            .entry(user, "webhook.reveal_secret")
            .target("webhook", hook.id, hook.name.clone()),
    )
    .await?;
    let secret = webhooks::signing_secret(&state.master_key, &hook.uid)?;
    Ok(Json(WebhookBody::new(hook, Some(secret))))
}

#[utoipa::path(delete, path = "/api/admin/webhooks/{id}", tag = "alerts", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    client: Client,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    let user = admin.user();
    webhooks::delete(&state.db, user.org_id, id).await?;
    audit_change(&state, &client, user, "webhook.delete", ("webhook", id, "")).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryBody {
    id: i32,
    event: String,
    /// pending | delivered | failed
    status: String,
    attempts: i32,
    last_status: Option<i32>,
    last_error: Option<String>,
    next_attempt_at: String,
    created_at: String,
    delivered_at: Option<String>,
}

impl From<webhook_delivery::Model> for DeliveryBody {
    fn from(d: webhook_delivery::Model) -> Self {
        Self {
            id: d.id,
            event: d.event,
            status: d.status,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.to_rfc3339(),
            created_at: d.created_at.to_rfc3339(),
            delivered_at: d.delivered_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    deliveries: Vec<DeliveryBody>,
}

/// The webhook's delivery log, newest first (100).
#[utoipa::path(get, path = "/api/admin/webhooks/{id}/deliveries", tag = "alerts", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = DeliveryList), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    Path(id): Path<i32>,
) -> Result<Json<DeliveryList>, ApiError> {
    let found = webhooks::deliveries(&state.db, admin.user().org_id, id, 100).await?;
    Ok(Json(DeliveryList {
        deliveries: found.into_iter().map(DeliveryBody::from).collect(),
    }))
}

/// Sends a `webhook.test` message now.
#[utoipa::path(post, path = "/api/admin/webhooks/{id}/test", tag = "alerts", params(("id" = i32, Path)), security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = DeliveryBody), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn test_webhook(
    State(state): State<AppState>,
    RestAdmin(admin): RestAdmin,
    Path(id): Path<i32>,
) -> Result<Json<DeliveryBody>, ApiError> {
    let now = chrono::Utc::now();
    let queued = webhooks::queue_test(&state.db, admin.user().org_id, id, now).await?;
    webhooks::deliver_due(&state, now).await?;
    let sent = webhook_delivery::Entity::find_by_id(queued.id)
        .one(&state.db)
        .await
        .map_err(domain::DomainError::from)?
        .unwrap_or(queued);
    Ok(Json(sent.into()))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationBody {
    id: i32,
    /// info | warning | critical
    severity: String,
    title: String,
    body: String,
    created_at: String,
    read: bool,
}

impl From<notification::Model> for NotificationBody {
    fn from(n: notification::Model) -> Self {
        Self {
            id: n.id,
            severity: n.severity,
            title: n.title,
            body: n.body,
            created_at: n.created_at.to_rfc3339(),
            read: n.read_at.is_some(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationList {
    unread: u64,
    notifications: Vec<NotificationBody>,
}

/// The caller's notifications (newest 50) and unread count.
#[utoipa::path(get, path = "/api/notifications", tag = "alerts", security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody)))]
pub async fn my_notifications(
    State(state): State<AppState>,
    RestUser(user): RestUser,
) -> Result<Json<NotificationList>, ApiError> {
    let found = notifications::list(&state.db, user.id, 50).await?;
    Ok(Json(NotificationList {
        unread: notifications::unread(&state.db, user.id).await?,
        notifications: found.into_iter().map(NotificationBody::from).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// One notification; all of them when absent.
    id: Option<i32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadResult {
    marked: u64,
}

#[utoipa::path(post, path = "/api/notifications/read", tag = "alerts", request_body = ReadRequest, security(("session" = []), ("adminToken" = [])),
    responses((status = 200, body = ReadResult), (status = 401, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    RestUser(user): RestUser,
    ApiJson(body): ApiJson<ReadRequest>,
) -> Result<Json<ReadResult>, ApiError> {
    let marked = notifications::mark_read(&state.db, user.id, body.id, chrono::Utc::now()).await?;
    Ok(Json(ReadResult { marked }))
}

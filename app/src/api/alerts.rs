//! Alerts (the Alerts page, admins): rules, recent events, "Evaluate now", webhooks with their
//! signing secret (shown once), test messages and delivery log; and the bell (everyone): the
//! signed-in user's notifications, unread count, marking them read. Changes are audited as
//! over REST (`/api/admin/alerts`, `/api/admin/webhooks`).
// One argument per form field; `alerts_rule_save` has many.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::dto_alerts::{
    AlertEventDto, AlertLimitDto, DeliveryDto, EmailDeliveryDto, NewWebhookDto, NotificationsDto,
    RuleDto, WebhookDto,
};
use crate::error::AppError;

/// A refused form field (or the whole form, for `field: None`), answered with 422.
#[cfg(feature = "ssr")]
fn refused(field: Option<&str>, message: &str) -> AppError {
    let err = AppError::Validation {
        field: field.map(str::to_owned),
        message: message.to_owned(),
    };
    crate::ssr::answer_with(&err);
    err
}

/// The domain names fields as the REST API does; the form's inputs are named after the server
/// function's arguments. "Channels" belongs to the whole form.
#[cfg(feature = "ssr")]
fn form_field(err: domain::DomainError, name_field: &str) -> AppError {
    match AppError::from(err) {
        AppError::Validation { field, message } => {
            let field = match field.as_deref() {
                Some("name") => Some(name_field.to_owned()),
                Some("amount") => Some("amount_usd".to_owned()),
                Some("windowMinutes") => Some("window_minutes".to_owned()),
                Some("minRequests") => Some("min_requests".to_owned()),
                Some("emailTo") => Some("email_to".to_owned()),
                Some("channels") | Some("webhooks") | None => None,
                Some(other) => Some(other.to_owned()),
            };
            let err = AppError::Validation { field, message };
            crate::ssr::answer_with(&err);
            err
        }
        other => {
            crate::ssr::answer_with(&other);
            other
        }
    }
}

/// A whole number typed in the form; blank is `None`.
#[cfg(feature = "ssr")]
fn number(raw: &str, field: &str) -> Result<Option<u32>, AppError> {
    let text = raw.trim().replace(['_', ',', '%'], "");
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>()
        .map(Some)
        .map_err(|_| refused(Some(field), "Enter a whole number."))
}

#[cfg(feature = "ssr")]
async fn limit_labels() -> Result<Vec<AlertLimitDto>, AppError> {
    let limits = crate::api::limits::limits_list().await?;
    Ok(limits
        .into_iter()
        .filter(|l| l.limit_micros.is_some() || l.limit_tokens.is_some())
        .map(|l| AlertLimitDto {
            id: l.id,
            label: format!(
                "{} {} ({})",
                crate::dto_limits::scope_label(&l.scope),
                l.target,
                crate::dto_limits::period_label(&l.period).to_lowercase()
            ),
        })
        .collect())
}

#[cfg(feature = "ssr")]
fn rule_dto(r: domain::entities::alert_rule::Model, limits: &[AlertLimitDto]) -> RuleDto {
    use domain::alerts::rules::{params_of, recipients_of, webhooks_of};
    let p = params_of(&r);
    let webhook_ids = webhooks_of(&r);
    let email_to = recipients_of(&r);
    let limit = || match p.limit_id {
        Some(id) => limits
            .iter()
            .find(|l| l.id == id)
            .map_or_else(|| format!("limit #{id}"), |l| l.label.clone()),
        None => "any budget".to_owned(),
    };
    let summary = match r.kind.as_str() {
        "budget_threshold" => format!("{}% of {}", p.percent.unwrap_or(0), limit()),
        "budget_exhausted" => format!("{} used up", limit()),
        "cost_above" => format!(
            "{} cost above {}",
            if p.period.as_deref() == Some("daily") {
                "Daily"
            } else {
                "Monthly"
            },
            crate::dto_insight::format_usd(p.amount_micros.unwrap_or(0))
        ),
        "error_rate" => format!(
            "Errors above {}% over {} min (at least {} requests)",
            p.percent.unwrap_or(0),
            p.window_minutes.unwrap_or(0),
            p.min_requests.unwrap_or(0)
        ),
        "key_expiring" => format!("Keys expiring within {} days", p.days.unwrap_or(0)),
        other => crate::dto_alerts::kind_label(other).to_owned(),
    };
    RuleDto {
        id: r.id,
        name: r.name,
        kind: r.kind,
        percent: p.percent,
        limit_id: p.limit_id,
        amount_micros: p.amount_micros,
        period: p.period,
        window_minutes: p.window_minutes,
        min_requests: p.min_requests,
        days: p.days,
        in_app: r.in_app,
        webhook_ids,
        email_to,
        enabled: r.enabled,
        summary,
    }
}

#[cfg(feature = "ssr")]
fn event_dto(e: domain::entities::alert_event::Model, rule_name: String) -> AlertEventDto {
    AlertEventDto {
        id: e.id,
        rule_id: e.rule_id,
        rule_name,
        state: e.state,
        message: e.message,
        fired_at: e.fired_at.to_rfc3339(),
        resolved_at: e.resolved_at.map(|t| t.to_rfc3339()),
    }
}

#[cfg(feature = "ssr")]
fn webhook_dto(w: domain::entities::webhook::Model) -> WebhookDto {
    WebhookDto {
        id: w.id,
        name: w.name,
        url: w.url,
        active: w.active,
        created_at: w.created_at.to_rfc3339(),
    }
}

/// The organization's alert rules.
#[server(prefix = "/rpc", endpoint = "alerts_rules")]
pub async fn alerts_rules() -> Result<Vec<RuleDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let limits = limit_labels().await?;
    let rules = domain::alerts::rules::list(&state.db, admin.user().org_id).await?;
    Ok(rules.into_iter().map(|r| rule_dto(r, &limits)).collect())
}

/// The budgets a rule can watch.
#[server(prefix = "/rpc", endpoint = "alerts_limits")]
pub async fn alerts_limits() -> Result<Vec<AlertLimitDto>, AppError> {
    crate::ssr::require_admin().await?;
    limit_labels().await
}

/// Creates (`id` 0) or replaces a rule. Numbers come as text (blank: the kind's default);
/// `amount_usd` is dollars; `limit_id` blank means any budget; `webhook_ids` is a
/// comma-separated list; `email_to` holds addresses separated by commas or new lines.
#[server(prefix = "/rpc", endpoint = "alerts_rule_save")]
pub async fn alerts_rule_save(
    id: i32,
    rule_name: String,
    kind: String,
    #[server(default)] percent: String,
    #[server(default)] limit_id: String,
    #[server(default)] amount_usd: String,
    #[server(default)] period: String,
    #[server(default)] window_minutes: String,
    #[server(default)] min_requests: String,
    #[server(default)] days: String,
    #[server(default)] in_app: bool,
    #[server(default)] webhook_ids: String,
    #[server(default)] email_to: String,
    #[server(default)] enabled: bool,
) -> Result<RuleDto, AppError> {
    use crate::ssr;
    use domain::alerts::{RuleInput, RuleKind, RuleParams, rules};
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let user = admin.user();
    let kind = RuleKind::parse(&kind).ok_or_else(|| refused(Some("kind"), "Choose a kind."))?;
    let limit_id = match limit_id.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i32>()
                .map_err(|_| refused(Some("limit_id"), "Choose a budget."))?,
        ),
    };
    let amount_micros = crate::dto_limits::parse_dollars(&amount_usd)
        .map_err(|message| refused(Some("amount_usd"), message))?;
    let mut webhooks = Vec::new();
    for raw in webhook_ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        webhooks.push(
            raw.parse::<i32>()
                .map_err(|_| refused(None, "Choose webhooks from the list."))?,
        );
    }
    let uses_limit = matches!(kind, RuleKind::BudgetThreshold | RuleKind::BudgetExhausted);
    let params = RuleParams {
        percent: match kind {
            RuleKind::BudgetThreshold | RuleKind::ErrorRate => number(&percent, "percent")?,
            _ => None,
        },
        limit_id: if uses_limit { limit_id } else { None },
        amount_micros: (kind == RuleKind::CostAbove)
            .then_some(amount_micros)
            .flatten(),
        period: (kind == RuleKind::CostAbove && !period.trim().is_empty())
            .then(|| period.trim().to_owned()),
        window_minutes: if kind == RuleKind::ErrorRate {
            number(&window_minutes, "window_minutes")?
        } else {
            None
        },
        min_requests: if kind == RuleKind::ErrorRate {
            number(&min_requests, "min_requests")?
        } else {
            None
        },
        days: if kind == RuleKind::KeyExpiring {
            number(&days, "days")?
        } else {
            None
        },
    };
    let input = RuleInput {
        name: rule_name,
        kind,
        params,
        in_app,
        webhook_ids: webhooks,
        email_to: domain::alerts::recipients::split(&email_to),
        enabled,
    };
    let now = chrono::Utc::now();
    let (saved, action) = if id > 0 {
        let saved = rules::update(&state.db, user.org_id, id, input, now)
            .await
            .map_err(|e| form_field(e, "rule_name"))?;
        (saved, "alert_rule.update")
    } else {
        let saved = rules::create(&state.db, user.org_id, Some(user.id), input, now)
            .await
            .map_err(|e| form_field(e, "rule_name"))?;
        (saved, "alert_rule.create")
    };
    let entry = ssr::audit_entry(user, action).target("alert_rule", saved.id, saved.name.clone());
    ssr::audit(entry).await;
    let limits = limit_labels().await?;
    Ok(rule_dto(saved, &limits))
}

/// Turns a rule on or off.
#[server(prefix = "/rpc", endpoint = "alerts_rule_enable")]
pub async fn alerts_rule_enable(id: i32, enabled: bool) -> Result<RuleDto, AppError> {
    use crate::ssr;
    use domain::alerts::rules::{self, params_of, recipients_of, webhooks_of};
    use domain::alerts::{RuleInput, RuleKind};
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let user = admin.user();
    let rule = rules::get(&state.db, user.org_id, id).await?;
    let kind = RuleKind::parse(&rule.kind).ok_or(AppError::NotFound)?;
    let input = RuleInput {
        name: rule.name.clone(),
        kind,
        params: params_of(&rule),
        in_app: rule.in_app,
        webhook_ids: webhooks_of(&rule),
        email_to: recipients_of(&rule),
        enabled,
    };
    let saved = rules::update(&state.db, user.org_id, id, input, chrono::Utc::now()).await?;
    let entry = ssr::audit_entry(user, "alert_rule.update")
        .target("alert_rule", saved.id, saved.name.clone())
        .detail(serde_json::json!({ "enabled": enabled }));
    ssr::audit(entry).await;
    let limits = limit_labels().await?;
    Ok(rule_dto(saved, &limits))
}

/// Deletes a rule and its events; returns its name.
#[server(prefix = "/rpc", endpoint = "alerts_rule_delete")]
pub async fn alerts_rule_delete(id: i32) -> Result<String, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let user = admin.user();
    let rule = domain::alerts::rules::get(&state.db, user.org_id, id).await?;
    domain::alerts::rules::delete(&state.db, user.org_id, id).await?;
    let entry =
        ssr::audit_entry(user, "alert_rule.delete").target("alert_rule", id, rule.name.clone());
    ssr::audit(entry).await;
    Ok(rule.name)
}

/// The organization's most recent alert events (50).
#[server(prefix = "/rpc", endpoint = "alerts_events")]
pub async fn alerts_events() -> Result<Vec<AlertEventDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let org_id = admin.user().org_id;
    let names: std::collections::HashMap<i32, String> =
        domain::alerts::rules::list(&state.db, org_id)
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect();
    let events = domain::alerts::engine::recent_events(&state.db, org_id, 50).await?;
    Ok(events
        .into_iter()
        .map(|e| {
            let name = names
                .get(&e.rule_id)
                .cloned()
                .unwrap_or_else(|| format!("Rule #{}", e.rule_id));
            event_dto(e, name)
        })
        .collect())
}

/// Evaluates every rule now and sends due webhooks and e-mails; returns (fired, resolved) counts.
#[server(prefix = "/rpc", endpoint = "alerts_evaluate")]
pub async fn alerts_evaluate() -> Result<(usize, usize), AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    ssr::require_admin().await?;
    let now = chrono::Utc::now();
    let done = domain::alerts::evaluate(&state.db, now).await?;
    domain::alerts::webhooks::deliver_due(&state, now).await?;
    domain::alerts::email::deliver_due(&state, now).await?;
    Ok((done.fired.len(), done.resolved.len()))
}

/// Whether the server can send alert e-mails (`KEYGATE_SMTP_URL` is set).
#[server(prefix = "/rpc", endpoint = "alerts_email_ready")]
pub async fn alerts_email_ready() -> Result<bool, AppError> {
    let state = crate::ssr::state()?;
    crate::ssr::require_admin().await?;
    Ok(state.mailer.is_some())
}

/// The organization's latest alert e-mails (20), newest first.
#[server(prefix = "/rpc", endpoint = "alerts_email_log")]
pub async fn alerts_email_log() -> Result<Vec<EmailDeliveryDto>, AppError> {
    let state = crate::ssr::state()?;
    let (admin, _) = crate::ssr::require_admin().await?;
    let found = domain::alerts::email::deliveries(&state.db, admin.user().org_id, None, 20).await?;
    Ok(found
        .into_iter()
        .map(|d| EmailDeliveryDto {
            id: d.id,
            event: d.event,
            recipients: serde_json::from_str(&d.recipients).unwrap_or_default(),
            subject: d.subject,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            created_at: d.created_at.to_rfc3339(),
        })
        .collect())
}

/// The organization's webhooks.
#[server(prefix = "/rpc", endpoint = "alerts_webhooks")]
pub async fn alerts_webhooks() -> Result<Vec<WebhookDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let found = domain::alerts::webhooks::list(&state.db, admin.user().org_id).await?;
    Ok(found.into_iter().map(webhook_dto).collect())
}

/// Adds a webhook; the answer carries its signing secret, shown once.
#[server(prefix = "/rpc", endpoint = "alerts_webhook_create")]
pub async fn alerts_webhook_create(
    webhook_name: String,
    url: String,
) -> Result<NewWebhookDto, AppError> {
    use crate::ssr;
    use domain::alerts::webhooks;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let user = admin.user();
    let created = webhooks::create(
        &state,
        user.org_id,
        Some(user.id),
        &webhook_name,
        &url,
        chrono::Utc::now(),
    )
    .await
    .map_err(|e| form_field(e, "webhook_name"))?;
    let secret = webhooks::signing_secret(&state.master_key, &created.uid)?;
    let entry = ssr::audit_entry(user, "webhook.create").target(
        "webhook",
        created.id,
        created.name.clone(),
    );
    ssr::audit(entry).await;
    Ok(NewWebhookDto {
        webhook: webhook_dto(created),
        secret,
    })
}

/// Deletes a webhook; returns its name.
#[server(prefix = "/rpc", endpoint = "alerts_webhook_delete")]
pub async fn alerts_webhook_delete(id: i32) -> Result<String, AppError> {
    use crate::ssr;
    use domain::alerts::webhooks;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let user = admin.user();
    let hook = webhooks::get(&state.db, user.org_id, id).await?;
    webhooks::delete(&state.db, user.org_id, id).await?;
    let entry = ssr::audit_entry(user, "webhook.delete").target("webhook", id, hook.name.clone());
    ssr::audit(entry).await;
    Ok(hook.name)
}

#[cfg(feature = "ssr")]
fn delivery_dto(d: domain::entities::webhook_delivery::Model) -> DeliveryDto {
    DeliveryDto {
        id: d.id,
        event: d.event,
        status: d.status,
        attempts: d.attempts,
        last_status: d.last_status,
        last_error: d.last_error,
        created_at: d.created_at.to_rfc3339(),
    }
}

/// Sends a `webhook.test` message now; returns the delivery as it stands.
#[server(prefix = "/rpc", endpoint = "alerts_webhook_test")]
pub async fn alerts_webhook_test(id: i32) -> Result<DeliveryDto, AppError> {
    use crate::ssr;
    use domain::alerts::webhooks;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let org_id = admin.user().org_id;
    let now = chrono::Utc::now();
    let queued = webhooks::queue_test(&state.db, org_id, id, now).await?;
    webhooks::deliver_due(&state, now).await?;
    let sent = webhooks::deliveries(&state.db, org_id, id, 20)
        .await?
        .into_iter()
        .find(|d| d.id == queued.id)
        .unwrap_or(queued);
    Ok(delivery_dto(sent))
}

/// A webhook's last 20 deliveries, newest first.
#[server(prefix = "/rpc", endpoint = "alerts_deliveries")]
pub async fn alerts_deliveries(id: i32) -> Result<Vec<DeliveryDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let found =
        domain::alerts::webhooks::deliveries(&state.db, admin.user().org_id, id, 20).await?;
    Ok(found.into_iter().map(delivery_dto).collect())
}

/// The signed-in user's latest notifications (20) and unread count.
#[server(prefix = "/rpc", endpoint = "notifications_mine")]
pub async fn notifications_mine() -> Result<NotificationsDto, AppError> {
    use crate::ssr;
    use domain::alerts::notifications;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let items = notifications::list(&state.db, user.id, 20).await?;
    Ok(NotificationsDto {
        unread: notifications::unread(&state.db, user.id).await?,
        items: items
            .into_iter()
            .map(|n| crate::dto_alerts::NotificationDto {
                id: n.id,
                severity: n.severity,
                title: n.title,
                body: n.body,
                created_at: n.created_at.to_rfc3339(),
                read: n.read_at.is_some(),
            })
            .collect(),
    })
}

/// How many of the signed-in user's notifications are unread.
#[server(prefix = "/rpc", endpoint = "notifications_unread")]
pub async fn notifications_unread() -> Result<u64, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    Ok(domain::alerts::notifications::unread(&state.db, user.id).await?)
}

/// Marks one notification (`id` > 0) or all of them (`id` 0) read; returns how many changed.
#[server(prefix = "/rpc", endpoint = "notifications_read")]
pub async fn notifications_read(id: i32) -> Result<u64, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (user, _) = ssr::require_user().await?;
    let target = (id > 0).then_some(id);
    Ok(
        domain::alerts::notifications::mark_read(&state.db, user.id, target, chrono::Utc::now())
            .await?,
    )
}

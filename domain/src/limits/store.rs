//! Setting, reading and removing limits, and their status (spent, reserved, reset time).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{Enforcement, Period, Scope};
use crate::entities::{project, provider_key, usage_limit, user, virtual_key};
use crate::error::DomainError;

/// Largest budget accepted: $1 billion in micro-dollars, or a trillion tokens.
const MAX_MICROS: i64 = 1_000_000_000_000_000;
const MAX_TOKENS: i64 = 1_000_000_000_000;
const MAX_RPM: u32 = 1_000_000;
const MAX_TPM: u32 = 1_000_000_000;

/// The limits an admin sets on one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitSettings {
    pub period: Period,
    /// Budget in micro-dollars (1 USD = 1,000,000).
    pub limit_micros: Option<i64>,
    /// Budget in tokens (input + output).
    pub limit_tokens: Option<i64>,
    pub enforcement: Enforcement,
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Tokens per minute (estimated at admission: prompt + maximum output).
    pub tpm: Option<u32>,
}

impl LimitSettings {
    pub fn validate(&self, scope: Scope) -> Result<(), DomainError> {
        if self.limit_micros.is_none()
            && self.limit_tokens.is_none()
            && self.rpm.is_none()
            && self.tpm.is_none()
        {
            return Err(DomainError::validation(
                "limit",
                "Set a budget (dollars or tokens) or a rate limit.",
            ));
        }
        if let Some(m) = self.limit_micros
            && !(1..=MAX_MICROS).contains(&m)
        {
            return Err(DomainError::validation(
                "limitUsd",
                "The dollar budget must be more than $0 and at most $1,000,000,000.",
            ));
        }
        if let Some(t) = self.limit_tokens
            && !(1..=MAX_TOKENS).contains(&t)
        {
            return Err(DomainError::validation(
                "limitTokens",
                "The token budget must be between 1 and 1,000,000,000,000.",
            ));
        }
        if let Some(rpm) = self.rpm
            && !(1..=MAX_RPM).contains(&rpm)
        {
            return Err(DomainError::validation(
                "rpm",
                "Requests per minute must be between 1 and 1,000,000.",
            ));
        }
        if let Some(tpm) = self.tpm
            && !(1..=MAX_TPM).contains(&tpm)
        {
            return Err(DomainError::validation(
                "tpm",
                "Tokens per minute must be between 1 and 1,000,000,000.",
            ));
        }
        if scope == Scope::ProviderKey && (self.rpm.is_some() || self.tpm.is_some()) {
            return Err(DomainError::validation(
                "rpm",
                "Rate limits apply to Keygate keys, users and projects; a provider key takes a budget.",
            ));
        }
        Ok(())
    }
}

/// Where a limit stands now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitStatus {
    pub spent_micros: i64,
    pub spent_tokens: i64,
    pub reserved_micros: i64,
    pub reserved_tokens: i64,
    pub period_start: DateTime<Utc>,
    pub reset_at: Option<DateTime<Utc>>,
    /// A hard budget with nothing left: requests are refused until `reset_at`.
    pub exhausted: bool,
}

/// The period fields of a stored limit (`Never` if the stored value is unknown).
pub fn period_of(model: &usage_limit::Model) -> Period {
    Period::parse(&model.period).unwrap_or(Period::Never)
}

pub fn enforcement_of(model: &usage_limit::Model) -> Enforcement {
    Enforcement::parse(&model.enforcement).unwrap_or(Enforcement::Hard)
}

pub fn scope_of(model: &usage_limit::Model) -> Option<Scope> {
    Scope::parse(&model.scope)
}

/// The limit's status at `now`: a period that has ended but not yet been rolled over in the
/// database reads as empty.
pub fn status(model: &usage_limit::Model, now: DateTime<Utc>) -> LimitStatus {
    let period = period_of(model);
    let current_start = period.start(now);
    let rolled = model.period_start < current_start;
    let (spent_micros, spent_tokens) = if rolled {
        (0, 0)
    } else {
        (model.spent_micros, model.spent_tokens)
    };
    let over = |limit: Option<i64>, used: i64| limit.is_some_and(|l| used >= l);
    LimitStatus {
        spent_micros,
        spent_tokens,
        reserved_micros: model.reserved_micros,
        reserved_tokens: model.reserved_tokens,
        period_start: current_start,
        reset_at: period.reset_at(current_start),
        exhausted: enforcement_of(model) == Enforcement::Hard
            && (over(model.limit_micros, spent_micros) || over(model.limit_tokens, spent_tokens)),
    }
}

/// Checks that the scope's target exists in the organization.
async fn check_target(
    db: &DatabaseConnection,
    org_id: i32,
    scope: Scope,
    scope_id: i32,
) -> Result<(), DomainError> {
    let found = match scope {
        Scope::Key => virtual_key::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .is_some_and(|k| k.org_id == org_id),
        Scope::User => user::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .is_some_and(|u| u.org_id == org_id),
        Scope::Project => project::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .is_some_and(|p| p.org_id == org_id),
        Scope::ProviderKey => provider_key::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .is_some_and(|k| k.org_id == org_id && k.deleted_at.is_none()),
    };
    if found {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

pub async fn get(
    db: &DatabaseConnection,
    org_id: i32,
    scope: Scope,
    scope_id: i32,
) -> Result<Option<usage_limit::Model>, DomainError> {
    Ok(usage_limit::Entity::find()
        .filter(usage_limit::Column::OrgId.eq(org_id))
        .filter(usage_limit::Column::Scope.eq(scope.as_str()))
        .filter(usage_limit::Column::ScopeId.eq(scope_id))
        .one(db)
        .await?)
}

pub async fn list(
    db: &DatabaseConnection,
    org_id: i32,
) -> Result<Vec<usage_limit::Model>, DomainError> {
    Ok(usage_limit::Entity::find()
        .filter(usage_limit::Column::OrgId.eq(org_id))
        .order_by_asc(usage_limit::Column::Scope)
        .order_by_asc(usage_limit::Column::ScopeId)
        .all(db)
        .await?)
}

/// Sets (creates or replaces) the limits of one scope. Changing the period starts a fresh
/// period; changing only the amounts keeps what was spent in the current one.
pub async fn set(
    db: &DatabaseConnection,
    org_id: i32,
    scope: Scope,
    scope_id: i32,
    settings: &LimitSettings,
    actor_user_id: Option<i32>,
    now: DateTime<Utc>,
) -> Result<usage_limit::Model, DomainError> {
    settings.validate(scope)?;
    check_target(db, org_id, scope, scope_id).await?;
    let to_i32 = |v: Option<u32>| v.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
    let existing = get(db, org_id, scope, scope_id).await?;
    let model = match existing {
        Some(existing) => {
            let period_changed = existing.period != settings.period.as_str();
            let mut active: usage_limit::ActiveModel = existing.into();
            if period_changed {
                active.period_start = Set(settings.period.start(now));
                active.spent_micros = Set(0);
                active.spent_tokens = Set(0);
            }
            active.period = Set(settings.period.as_str().to_owned());
            active.limit_micros = Set(settings.limit_micros);
            active.limit_tokens = Set(settings.limit_tokens);
            active.enforcement = Set(settings.enforcement.as_str().to_owned());
            active.rpm = Set(to_i32(settings.rpm));
            active.tpm = Set(to_i32(settings.tpm));
            active.updated_at = Set(now);
            active.update(db).await?
        }
        None => {
            usage_limit::ActiveModel {
                org_id: Set(org_id),
                scope: Set(scope.as_str().to_owned()),
                scope_id: Set(scope_id),
                period: Set(settings.period.as_str().to_owned()),
                limit_micros: Set(settings.limit_micros),
                limit_tokens: Set(settings.limit_tokens),
                enforcement: Set(settings.enforcement.as_str().to_owned()),
                rpm: Set(to_i32(settings.rpm)),
                tpm: Set(to_i32(settings.tpm)),
                period_start: Set(settings.period.start(now)),
                spent_micros: Set(0),
                spent_tokens: Set(0),
                reserved_micros: Set(0),
                reserved_tokens: Set(0),
                created_by: Set(actor_user_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(model)
}

/// Removes the limits of one scope. `NotFound` if it had none.
pub async fn remove(
    db: &DatabaseConnection,
    org_id: i32,
    scope: Scope,
    scope_id: i32,
) -> Result<(), DomainError> {
    let deleted = usage_limit::Entity::delete_many()
        .filter(usage_limit::Column::OrgId.eq(org_id))
        .filter(usage_limit::Column::Scope.eq(scope.as_str()))
        .filter(usage_limit::Column::ScopeId.eq(scope_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::NotFound);
    }
    Ok(())
}

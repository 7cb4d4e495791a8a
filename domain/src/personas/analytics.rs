//! A persona's analytics (seed: `get-analytics`): all-time totals, success rate, top models,
//! top users, the last seven days and its ratings — read from the rollups and ratings.

use chrono::{DateTime, DurationRound as _, TimeDelta, TimeZone as _, Utc};
use sea_orm::DatabaseConnection;

use crate::auth::SessionUser;
use crate::error::DomainError;
use crate::ledger::query::{self, Group, GroupBy, UsageFilter};
use crate::ratings::{self, RatingSummary};

/// How many models and users the analytics list.
pub const TOP: usize = 5;

#[derive(Clone, Debug, PartialEq)]
pub struct PersonaAnalytics {
    pub persona: crate::entities::persona::Model,
    pub total: Group,
    pub top_models: Vec<Group>,
    /// Groups keyed by user id ("0": calls by keys without a user).
    pub top_users: Vec<Group>,
    /// The last seven days, oldest first, including today.
    pub daily: Vec<Group>,
    pub ratings: RatingSummary,
}

impl PersonaAnalytics {
    /// Successful requests as a share of all (1 when there were none).
    pub fn success_rate(&self) -> f64 {
        1.0 - self.total.error_rate()
    }
}

pub async fn analytics(
    db: &DatabaseConnection,
    viewer: &SessionUser,
    persona_id: i32,
    now: DateTime<Utc>,
) -> Result<PersonaAnalytics, DomainError> {
    let persona = super::get(db, viewer, persona_id).await?;
    let tomorrow = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now) + TimeDelta::days(1);
    let beginning = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let mut all_time = UsageFilter::new(persona.org_id, beginning, tomorrow);
    all_time.persona_id = Some(persona.id);
    let mut week = all_time.clone();
    week.from = tomorrow - TimeDelta::days(7);
    let (mut top_models, mut top_users, daily, ratings) = futures_util::try_join!(
        query::grouped(db, &all_time, GroupBy::Model),
        query::grouped(db, &all_time, GroupBy::User),
        query::series(db, &week, GroupBy::Day),
        ratings::summary(db, persona.org_id, ratings::Subject::Persona(persona.id)),
    )?;
    // Every request has a model, so the per-model groups sum to the total.
    let mut total = Group::default();
    for g in &top_models {
        total.add(g);
    }
    top_models.truncate(TOP);
    top_users.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.key.cmp(&b.key)));
    top_users.truncate(TOP);
    Ok(PersonaAnalytics {
        persona,
        total,
        top_models,
        top_users,
        daily,
        ratings,
    })
}

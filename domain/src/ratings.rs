//! Ratings of proxied answers: the caller that made a request scores its answer (1–5, or a
//! thumbs up/down stored as 5/1) with an optional comment; re-rating replaces the score.
//! Summaries per persona and per model feed the persona and usage pages.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::{rating, usage_event};
use crate::error::DomainError;
use crate::types::parse_text;

pub const MAX_COMMENT_CHARS: usize = 2000;

/// A score as the caller sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    Thumbs(bool),
    Stars(u8),
}

impl Score {
    /// Reads `{"score": 1..=5}` or `{"thumbs": "up"|"down"}` / `{"thumbs": true|false}`.
    pub fn from_json(body: &serde_json::Value) -> Result<Self, DomainError> {
        if let Some(score) = body.get("score").filter(|v| !v.is_null()) {
            return match score.as_u64() {
                Some(n @ 1..=5) => Ok(Score::Stars(n as u8)),
                _ => Err(DomainError::validation(
                    "score",
                    "`score` must be a whole number from 1 to 5.",
                )),
            };
        }
        match body.get("thumbs") {
            Some(serde_json::Value::Bool(up)) => Ok(Score::Thumbs(*up)),
            Some(serde_json::Value::String(s)) if s == "up" => Ok(Score::Thumbs(true)),
            Some(serde_json::Value::String(s)) if s == "down" => Ok(Score::Thumbs(false)),
            _ => Err(DomainError::validation(
                "score",
                "Send `score` (1 to 5) or `thumbs` (\"up\" or \"down\").",
            )),
        }
    }

    pub fn value(self) -> i16 {
        match self {
            Score::Thumbs(true) => 5,
            Score::Thumbs(false) => 1,
            Score::Stars(n) => i16::from(n),
        }
    }
}

/// Who is rating: the Keygate key (and its user) the request must have come from.
#[derive(Clone, Copy, Debug)]
pub struct Rater {
    pub org_id: i32,
    pub virtual_key_id: i32,
    pub user_id: Option<i32>,
}

/// Records a rating of the answer `response_id`. Only the key that made the request — or
/// another key of the same user — may rate it; anyone else gets `NotFound`, so answer ids
/// of other callers cannot be probed.
pub async fn rate(
    db: &DatabaseConnection,
    rater: Rater,
    response_id: &str,
    score: Score,
    comment: &str,
) -> Result<rating::Model, DomainError> {
    let comment = parse_text(comment, "comment", MAX_COMMENT_CHARS, None, "Comments")?;
    let candidates = usage_event::Entity::find()
        .filter(usage_event::Column::ResponseId.eq(response_id))
        .filter(usage_event::Column::OrgId.eq(rater.org_id))
        .order_by_desc(usage_event::Column::Id)
        .all(db)
        .await?;
    let event = candidates
        .into_iter()
        .find(|e| {
            // Key 0 stands for "no Keygate key" (organization-JWT calls): those match by user.
            (rater.virtual_key_id != 0 && e.virtual_key_id == rater.virtual_key_id)
                || (rater.user_id.is_some() && e.user_id == rater.user_id)
        })
        .ok_or(DomainError::NotFound)?;
    let row = rating::ActiveModel {
        org_id: Set(event.org_id),
        request_id: Set(event.request_id.clone()),
        response_id: Set(response_id.to_owned()),
        virtual_key_id: Set(rater.virtual_key_id),
        user_id: Set(event.user_id),
        persona_id: Set(event.persona_id),
        model: Set(event.model.clone()),
        score: Set(score.value()),
        comment: Set(comment),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    rating::Entity::insert(row)
        .on_conflict(
            OnConflict::column(rating::Column::RequestId)
                .update_columns([
                    rating::Column::Score,
                    rating::Column::Comment,
                    rating::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    rating::Entity::find()
        .filter(rating::Column::RequestId.eq(event.request_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)
}

/// What a summary covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Persona(i32),
    Model(String),
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RatingSummary {
    pub count: i64,
    /// Mean score 1–5 (`None` without ratings).
    pub average: Option<f64>,
    /// Scores of 4–5.
    pub positive: i64,
    /// Scores of 1–2.
    pub negative: i64,
}

fn summarize(scores: impl Iterator<Item = i16>) -> RatingSummary {
    let mut s = RatingSummary::default();
    let mut sum = 0_i64;
    for score in scores {
        s.count += 1;
        sum += i64::from(score);
        if score >= 4 {
            s.positive += 1;
        } else if score <= 2 {
            s.negative += 1;
        }
    }
    if s.count > 0 {
        s.average = Some(sum as f64 / s.count as f64);
    }
    s
}

pub async fn summary(
    db: &DatabaseConnection,
    org_id: i32,
    subject: Subject,
) -> Result<RatingSummary, DomainError> {
    let mut q = rating::Entity::find().filter(rating::Column::OrgId.eq(org_id));
    q = match subject {
        Subject::Persona(id) => q.filter(rating::Column::PersonaId.eq(id)),
        Subject::Model(model) => q.filter(rating::Column::Model.eq(model)),
    };
    let rows = q.all(db).await?;
    Ok(summarize(rows.iter().map(|r| r.score)))
}

/// Rating summaries per model of an organization, best-rated first.
pub async fn per_model(
    db: &DatabaseConnection,
    org_id: i32,
) -> Result<Vec<(String, RatingSummary)>, DomainError> {
    let rows = rating::Entity::find()
        .filter(rating::Column::OrgId.eq(org_id))
        .all(db)
        .await?;
    let mut by_model: std::collections::BTreeMap<String, Vec<i16>> = Default::default();
    for r in rows {
        by_model.entry(r.model).or_default().push(r.score);
    }
    let mut out: Vec<(String, RatingSummary)> = by_model
        .into_iter()
        .map(|(model, scores)| (model, summarize(scores.into_iter())))
        .collect();
    out.sort_by(|a, b| {
        b.1.average
            .partial_cmp(&a.1.average)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scores_from_json() {
        assert_eq!(
            Score::from_json(&json!({"score": 4})).ok(),
            Some(Score::Stars(4))
        );
        assert_eq!(
            Score::from_json(&json!({"thumbs": "up"}))
                .ok()
                .map(Score::value),
            Some(5)
        );
        assert_eq!(
            Score::from_json(&json!({"thumbs": false}))
                .ok()
                .map(Score::value),
            Some(1)
        );
        assert!(Score::from_json(&json!({"score": 0})).is_err());
        assert!(Score::from_json(&json!({"score": 6})).is_err());
        assert!(Score::from_json(&json!({"score": 2.5})).is_err());
        assert!(Score::from_json(&json!({"thumbs": "sideways"})).is_err());
        assert!(Score::from_json(&json!({})).is_err());
    }

    #[test]
    fn summaries_average_and_split() {
        let s = summarize([5_i16, 4, 1, 3].into_iter());
        assert_eq!(s.count, 4);
        assert_eq!(s.average, Some(3.25));
        assert_eq!((s.positive, s.negative), (2, 1));
        assert_eq!(summarize(std::iter::empty()).average, None);
    }
}

//! The price of a request: the organization's own prices (editable by admins) over the
//! built-in table. Every ledger row records which version priced it; a model neither knows
//! costs 0 and is flagged unpriced.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::pricing::{BUILTIN_PRICE_VERSION, ModelPrice, builtin_price};
use crate::auth::Admin;
use crate::entities::model_price;
use crate::error::DomainError;

/// Organization prices are re-read this often.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// The price used for one request, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Priced {
    pub price: Option<ModelPrice>,
    pub version: String,
}

type OrgPrices = Arc<Vec<model_price::Model>>;

#[derive(Default)]
pub struct PriceCache {
    entries: RwLock<HashMap<i32, (Instant, OrgPrices)>>,
}

impl std::fmt::Debug for PriceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PriceCache")
    }
}

/// The organization's row for the model: exact, else the longest matching prefix.
fn org_price<'a>(
    rows: &'a [model_price::Model],
    provider: &str,
    model: &str,
) -> Option<&'a model_price::Model> {
    let model = model.to_ascii_lowercase();
    rows.iter()
        .filter(|r| r.provider.eq_ignore_ascii_case(provider))
        .filter(|r| model.starts_with(&r.model.to_ascii_lowercase()))
        .max_by_key(|r| r.model.len())
}

impl PriceCache {
    pub async fn price(
        &self,
        db: &DatabaseConnection,
        org_id: i32,
        provider: &str,
        model: &str,
    ) -> Priced {
        let rows = match self.rows(db, org_id).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read organization prices; using built-in prices");
                Arc::new(Vec::new())
            }
        };
        if let Some(row) = org_price(&rows, provider, model) {
            return Priced {
                price: Some(ModelPrice {
                    input: row.input_micros,
                    output: row.output_micros,
                    cached_input: row.cached_input_micros,
                }),
                version: format!("org-{}-r{}", row.id, row.revision),
            };
        }
        Priced {
            price: builtin_price(provider, model),
            version: BUILTIN_PRICE_VERSION.to_owned(),
        }
    }

    async fn rows(
        &self,
        db: &DatabaseConnection,
        org_id: i32,
    ) -> Result<Arc<Vec<model_price::Model>>, DomainError> {
        if let Some((_, rows)) = self
            .entries
            .read()
            .ok()
            .and_then(|map| map.get(&org_id).cloned())
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
        {
            return Ok(rows);
        }
        let rows = Arc::new(
            model_price::Entity::find()
                .filter(model_price::Column::OrgId.eq(org_id))
                .all(db)
                .await?,
        );
        if let Ok(mut map) = self.entries.write() {
            map.insert(org_id, (Instant::now(), rows.clone()));
        }
        Ok(rows)
    }

    pub fn forget_all(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }
}

/// The organization's own prices.
pub async fn list(
    db: &DatabaseConnection,
    admin: &Admin,
) -> Result<Vec<model_price::Model>, DomainError> {
    Ok(model_price::Entity::find()
        .filter(model_price::Column::OrgId.eq(admin.user().org_id))
        .order_by_asc(model_price::Column::Provider)
        .order_by_asc(model_price::Column::Model)
        .all(db)
        .await?)
}

/// Sets (or changes) the organization's price for a model, in micro-dollars per million
/// tokens. Each change is a new revision.
pub async fn set(
    db: &DatabaseConnection,
    admin: &Admin,
    provider: &str,
    model: &str,
    price: ModelPrice,
) -> Result<model_price::Model, DomainError> {
    let provider = provider.trim().to_ascii_lowercase();
    let model = model.trim().to_ascii_lowercase();
    if provider.is_empty() || provider.len() > 64 {
        return Err(DomainError::validation("provider", "Choose a provider."));
    }
    if model.is_empty() || model.len() > 200 || model.chars().any(char::is_control) {
        return Err(DomainError::validation("model", "Enter a model name."));
    }
    const MAX: i64 = 1_000_000_000_000; // $1M per million tokens: clearly a typo beyond this
    for (field, value) in [
        ("input", price.input),
        ("output", price.output),
        ("cached_input", price.cached_input),
    ] {
        if !(0..=MAX).contains(&value) {
            return Err(DomainError::validation(
                field,
                "Prices are micro-dollars per million tokens, from 0 to 10^12.",
            ));
        }
    }
    let existing = model_price::Entity::find()
        .filter(model_price::Column::OrgId.eq(admin.user().org_id))
        .filter(model_price::Column::Provider.eq(provider.as_str()))
        .filter(model_price::Column::Model.eq(model.as_str()))
        .one(db)
        .await?;
    let now = Utc::now();
    let row = match existing {
        Some(row) => {
            let revision = row.revision + 1;
            let mut active: model_price::ActiveModel = row.into();
            active.input_micros = Set(price.input);
            active.output_micros = Set(price.output);
            active.cached_input_micros = Set(price.cached_input);
            active.revision = Set(revision);
            active.updated_by = Set(admin.user().id);
            active.updated_at = Set(now);
            active.update(db).await?
        }
        None => {
            model_price::ActiveModel {
                org_id: Set(admin.user().org_id),
                provider: Set(provider),
                model: Set(model),
                input_micros: Set(price.input),
                output_micros: Set(price.output),
                cached_input_micros: Set(price.cached_input),
                revision: Set(1),
                updated_by: Set(admin.user().id),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(row)
}

pub async fn delete(db: &DatabaseConnection, admin: &Admin, id: i32) -> Result<(), DomainError> {
    let result = model_price::Entity::delete_many()
        .filter(model_price::Column::Id.eq(id))
        .filter(model_price::Column::OrgId.eq(admin.user().org_id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(DomainError::NotFound);
    }
    Ok(())
}

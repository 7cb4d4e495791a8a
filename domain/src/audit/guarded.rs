//! Sensitive actions: written to the log *before* they happen, and refused when the log
//! cannot be written. A failed attempt adds a second entry with outcome `failure`.

use std::future::Future;

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use super::entry::{Entry, Outcome};
use crate::error::DomainError;

/// Appends `entry`, then runs `action` (a future does nothing until awaited, so it only starts
/// once the entry is stored). When `action` fails, the failure is recorded as well.
pub async fn guarded<C, T, F>(db: &C, entry: Entry, action: F) -> Result<T, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
    F: Future<Output = Result<T, DomainError>>,
{
    super::append(db, entry.clone()).await?;
    match action.await {
        Ok(value) => Ok(value),
        Err(err) => {
            let mut detail = entry.detail.clone().unwrap_or_else(|| json!({}));
            if let Some(map) = detail.as_object_mut() {
                map.insert("error".into(), err.to_string().into());
            }
            super::record(db, entry.outcome(Outcome::Failure).detail(detail)).await;
            Err(err)
        }
    }
}

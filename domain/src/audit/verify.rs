//! Verification: walk the chain oldest-first in pages, recompute every hash, check every link,
//! the anchor of the oldest kept entry, and that the head names the last entry.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::chain::{GENESIS, entry_hash};
use super::retention::PRUNE_ACTION;
use crate::entities::{audit_head, audit_log};
use crate::error::DomainError;

/// Rows read per page.
const PAGE: u64 = 1_000;

/// The result of walking the chain. `first_broken` is the id of the first entry that does not
/// verify (for a missing tail: the first missing id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: u64,
    pub ok: bool,
    pub first_broken: Option<i64>,
    pub reason: Option<String>,
}

struct Walk {
    entries: u64,
    last: Option<(i64, String)>,
    broken: Option<(Option<i64>, String)>,
}

impl Walk {
    fn break_at(&mut self, id: Option<i64>, reason: String) {
        if self.broken.is_none() {
            self.broken = Some((id, reason));
        }
    }
}

/// Walks the whole chain. Errors only when the database cannot be read.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Verification, DomainError> {
    let mut walk = Walk {
        entries: 0,
        last: None,
        broken: None,
    };
    let mut after = i64::MIN;
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(after))
            .order_by_asc(audit_log::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        for row in &rows {
            check_row(db, &mut walk, row).await?;
        }
        match rows.last() {
            Some(row) if rows.len() as u64 == PAGE => after = row.id,
            _ => break,
        }
    }
    check_head(db, &mut walk).await?;
    Ok(match walk.broken {
        None => Verification {
            entries: walk.entries,
            ok: true,
            first_broken: None,
            reason: None,
        },
        Some((id, reason)) => Verification {
            entries: walk.entries,
            ok: false,
            first_broken: id,
            reason: Some(reason),
        },
    })
}

async fn check_row(
    db: &impl ConnectionTrait,
    walk: &mut Walk,
    row: &audit_log::Model,
) -> Result<(), DomainError> {
    walk.entries += 1;
    if walk.broken.is_some() {
        return Ok(());
    }
    if entry_hash(row) != row.hash {
        walk.break_at(
            Some(row.id),
            "the entry's contents do not match its hash (it was edited)".into(),
        );
    } else {
        match &walk.last {
            None => {
                if let Some(reason) = anchor_problem(db, row).await? {
                    walk.break_at(Some(row.id), reason);
                }
            }
            Some((last_id, last_hash)) => {
                if row.id != last_id + 1 {
                    walk.break_at(
                        Some(row.id),
                        format!("entries {} to {} are missing", last_id + 1, row.id - 1),
                    );
                } else if &row.prev_hash != last_hash {
                    walk.break_at(
                        Some(row.id),
                        format!("the entry does not link to entry {last_id}"),
                    );
                }
            }
        }
    }
    walk.last = Some((row.id, row.hash.clone()));
    Ok(())
}

/// Why the oldest kept entry cannot be trusted as the chain's start, if it cannot.
async fn anchor_problem(
    db: &impl ConnectionTrait,
    first: &audit_log::Model,
) -> Result<Option<String>, DomainError> {
    if first.prev_hash == GENESIS {
        return Ok(None);
    }
    let prune = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(PRUNE_ACTION))
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await?;
    let anchor = prune
        .and_then(|p| p.detail)
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .and_then(|d| {
            Some((
                d.get("anchor_id")?.as_i64()?,
                d.get("anchor_prev_hash")?.as_str()?.to_owned(),
            ))
        });
    Ok(match anchor {
        Some((id, hash)) if id == first.id && hash == first.prev_hash => None,
        _ => Some(format!(
            "entries before {} were removed without a recorded prune",
            first.id
        )),
    })
}

async fn check_head(db: &impl ConnectionTrait, walk: &mut Walk) -> Result<(), DomainError> {
    let Some(head) = audit_head::Entity::find_by_id(1).one(db).await? else {
        walk.break_at(None, "the chain head is missing".into());
        return Ok(());
    };
    match &walk.last {
        None if head.last_hash != GENESIS || head.last_id != 0 => walk.break_at(
            Some(1.max(head.last_id)),
            format!(
                "the log is empty but the head records entry {}",
                head.last_id
            ),
        ),
        None => {}
        Some((id, _)) if head.last_id > *id => walk.break_at(
            Some(id + 1),
            format!(
                "entries {} to {} are missing from the end",
                id + 1,
                head.last_id
            ),
        ),
        Some((id, hash)) if head.last_id != *id || &head.last_hash != hash => walk.break_at(
            Some(*id),
            format!("the chain head does not match entry {id}"),
        ),
        Some(_) => {}
    }
    Ok(())
}

//! CSV export of the log: oldest first, streamed page by page (keyset over the id), with
//! every text cell guarded against spreadsheet formula injection.

use bytes::Bytes;
use futures_util::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect};

use super::chain::time_text;
use super::query::{AuditFilter, filtered};
use crate::entities::audit_log;
use crate::error::DomainError;

/// Rows fetched per page.
const PAGE: u64 = 1_000;

pub const AUDIT_HEADER: [&str; 15] = [
    "id",
    "created_at",
    "org_id",
    "actor",
    "actor_user_id",
    "action",
    "target_kind",
    "target_id",
    "target_label",
    "outcome",
    "ip",
    "user_agent",
    "detail",
    "prev_hash",
    "hash",
];

/// A text cell a spreadsheet will not evaluate: values starting with `=`, `+`, `-`, `@`, tab
/// or carriage return get a leading apostrophe. (The CSV writer does the quoting.)
pub fn csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn text(value: &Option<String>) -> String {
    value.as_deref().map(csv_cell).unwrap_or_default()
}

fn record(e: &audit_log::Model) -> [String; 15] {
    [
        e.id.to_string(),
        time_text(&e.created_at),
        e.org_id.map(|v| v.to_string()).unwrap_or_default(),
        csv_cell(&e.actor),
        e.actor_user_id.map(|v| v.to_string()).unwrap_or_default(),
        csv_cell(&e.action),
        text(&e.target_kind),
        text(&e.target_id),
        text(&e.target_label),
        csv_cell(&e.outcome),
        text(&e.ip),
        text(&e.user_agent),
        text(&e.detail),
        e.prev_hash.clone(),
        e.hash.clone(),
    ]
}

fn csv_bytes<I, R>(records: I) -> Result<Bytes, DomainError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer
            .write_record(record)
            .map_err(|e| DomainError::internal("csv", e))?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| DomainError::internal("csv", e))
}

/// The entries matching `filter` as CSV (header first), one chunk per page.
pub fn audit_csv(
    db: DatabaseConnection,
    filter: AuditFilter,
) -> impl Stream<Item = Result<Bytes, DomainError>> + Send + 'static {
    enum Next {
        Header,
        After(i64),
        Done,
    }
    futures_util::stream::unfold(Next::Header, move |next| {
        let db = db.clone();
        let filter = filter.clone();
        async move {
            match next {
                Next::Done => None,
                Next::Header => Some((csv_bytes([AUDIT_HEADER]), Next::After(i64::MIN))),
                Next::After(after) => {
                    let page = filtered(&filter)
                        .filter(audit_log::Column::Id.gt(after))
                        .order_by_asc(audit_log::Column::Id)
                        .limit(PAGE)
                        .all(&db)
                        .await;
                    match page {
                        Err(e) => Some((Err(e.into()), Next::Done)),
                        Ok(rows) if rows.is_empty() => None,
                        Ok(rows) => {
                            let next = match rows.last() {
                                Some(last) if rows.len() as u64 == PAGE => Next::After(last.id),
                                _ => Next::Done,
                            };
                            Some((csv_bytes(rows.iter().map(record)), next))
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("ada@example.com"), "ada@example.com");
    }

    #[test]
    fn awkward_cells_are_quoted() {
        let bytes = csv_bytes([[csv_cell("a,\"b\""), csv_cell("=1+1")]]).unwrap();
        assert_eq!(
            String::from_utf8(bytes.to_vec()).unwrap(),
            "\"a,\"\"b\"\"\",'=1+1\n"
        );
    }
}

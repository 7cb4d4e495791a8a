//! CSV export: the ledger's rows for a filter, streamed page by page (keyset pagination over
//! the id, so memory stays constant however many rows match), and any grouped breakdown.

use bytes::Bytes;
use futures_util::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::usage_event;
use crate::error::DomainError;
use crate::ledger::query::{Group, UsageFilter};

/// Rows fetched per page.
pub const PAGE: u64 = 1_000;

pub const LEDGER_HEADER: [&str; 20] = [
    "request_id",
    "created_at",
    "project_id",
    "virtual_key_id",
    "user_id",
    "provider_key_id",
    "persona_id",
    "provider",
    "model",
    "endpoint",
    "stream",
    "outcome",
    "error_type",
    "upstream_status",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_usd",
    "total_ms",
    "estimated",
];

/// Micro-dollars as a decimal dollar amount with six places.
pub fn usd(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn ledger_record(e: &usage_event::Model) -> [String; 20] {
    [
        e.request_id.clone(),
        e.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        e.project_id.to_string(),
        e.virtual_key_id.to_string(),
        opt(e.user_id),
        opt(e.provider_key_id),
        opt(e.persona_id),
        e.provider.clone(),
        e.model.clone(),
        e.endpoint.clone(),
        e.stream.to_string(),
        e.outcome.clone(),
        e.error_type.clone().unwrap_or_default(),
        opt(e.upstream_status),
        opt(e.prompt_tokens),
        opt(e.completion_tokens),
        opt(e.cached_tokens),
        usd(e.cost_micros),
        e.total_ms.to_string(),
        e.estimated.to_string(),
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

async fn ledger_page(
    db: &DatabaseConnection,
    filter: &UsageFilter,
    after_id: i64,
) -> Result<Vec<usage_event::Model>, DomainError> {
    let mut q = usage_event::Entity::find()
        .filter(usage_event::Column::OrgId.eq(filter.org_id))
        .filter(usage_event::Column::CreatedAt.gte(filter.from))
        .filter(usage_event::Column::CreatedAt.lt(filter.to))
        .filter(usage_event::Column::Id.gt(after_id));
    if let Some(id) = filter.project_id {
        q = q.filter(usage_event::Column::ProjectId.eq(id));
    }
    if let Some(id) = filter.user_id {
        q = q.filter(usage_event::Column::UserId.eq(id));
    }
    if let Some(id) = filter.virtual_key_id {
        q = q.filter(usage_event::Column::VirtualKeyId.eq(id));
    }
    if let Some(id) = filter.provider_key_id {
        q = q.filter(usage_event::Column::ProviderKeyId.eq(id));
    }
    if let Some(id) = filter.persona_id {
        q = q.filter(usage_event::Column::PersonaId.eq(id));
    }
    if let Some(provider) = &filter.provider {
        q = q.filter(usage_event::Column::Provider.eq(provider.as_str()));
    }
    if let Some(model) = &filter.model {
        q = q.filter(usage_event::Column::Model.eq(model.as_str()));
    }
    Ok(q.order_by_asc(usage_event::Column::Id)
        .limit(PAGE)
        .all(db)
        .await?)
}

/// The ledger rows matching `filter` as CSV (header first), one chunk per page.
pub fn ledger_csv(
    db: DatabaseConnection,
    filter: UsageFilter,
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
                Next::Header => Some((csv_bytes([LEDGER_HEADER]), Next::After(0))),
                Next::After(after) => match ledger_page(&db, &filter, after).await {
                    Err(e) => Some((Err(e), Next::Done)),
                    Ok(rows) if rows.is_empty() => None,
                    Ok(rows) => {
                        let last = rows.last().map(|r| r.id).unwrap_or(after);
                        let next = if (rows.len() as u64) < PAGE {
                            Next::Done
                        } else {
                            Next::After(last)
                        };
                        Some((csv_bytes(rows.iter().map(ledger_record)), next))
                    }
                },
            }
        }
    })
}

/// A breakdown as CSV: the grouping's name, the label, then the sums.
pub fn groups_csv(
    group_by_name: &str,
    groups: &[Group],
    label: impl Fn(&Group) -> String,
) -> Result<Bytes, DomainError> {
    let header: Vec<String> = [
        group_by_name,
        "label",
        "requests",
        "errors",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "p50_ms",
        "p95_ms",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
    let rows = groups.iter().map(|g| {
        vec![
            g.key.clone(),
            label(g),
            g.requests.to_string(),
            g.errors.to_string(),
            g.prompt_tokens.to_string(),
            g.completion_tokens.to_string(),
            usd(g.cost_micros),
            ms(g.p50_ms()),
            ms(g.p95_ms()),
        ]
    });
    csv_bytes(std::iter::once(header).chain(rows))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dollars_have_six_places() {
        assert_eq!(usd(0), "0.000000");
        assert_eq!(usd(1_234_567), "1.234567");
        assert_eq!(usd(-5), "-0.000005");
    }

    #[test]
    fn group_csv_quotes_awkward_labels() {
        let g = Group {
            key: "7".into(),
            requests: 2,
            ..Group::default()
        };
        let bytes = groups_csv("user", &[g], |_| "Doe, \"Jane\"".into()).unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "user,label,requests,errors,prompt_tokens,completion_tokens,cost_usd,p50_ms,p95_ms"
            )
        );
        assert_eq!(
            lines.next(),
            Some("7,\"Doe, \"\"Jane\"\"\",2,0,0,0,0.000000,,")
        );
    }
}

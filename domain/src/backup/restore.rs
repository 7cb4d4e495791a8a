//! The restore: a backup's rows into this database (already migrated), inside one
//! transaction. The target's tables are emptied first; rows go in parent-first order (SQLite
//! also defers its foreign-key checks to the commit); every value is bound with the type of
//! the target column, so a SQLite backup restores into PostgreSQL and back. PostgreSQL's
//! sequences then continue after the restored ids. Any error rolls everything back.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};

use flate2::read::GzDecoder;
use migrations::{Migrator, MigratorTrait as _};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait as _, Statement, TransactionTrait as _, Value,
};
use serde_json::Value as Json;

use super::format::{self, Header, Kind, Line};
use super::schema::{self, Table};
use super::{BackupError, Summary};
use crate::entities::{organization, user};

/// Parameters per INSERT statement, under SQLite's (32,766) and PostgreSQL's (65,535) limits.
/// Big statements matter on PostgreSQL: each one may wait out a delayed TCP acknowledgement
/// (~40 ms; sqlx leaves Nagle on). 200,000 rows took 123 s in 2,000-parameter statements, 68 s
/// in 4,000, 15 s in 16,000 and 12 s in 60,000.
fn max_params(backend: DbBackend) -> usize {
    if backend == DbBackend::Postgres {
        60_000
    } else {
        30_000
    }
}

/// Reads the header of a backup (gzip'd) and checks its format.
pub fn read_header<R: BufRead>(lines: &mut R) -> Result<Header, BackupError> {
    let mut first = String::new();
    lines
        .read_line(&mut first)
        .map_err(|e| BackupError::Format(e.to_string()))?;
    let header: Header = serde_json::from_str(first.trim_end())
        .map_err(|e| BackupError::Format(format!("bad header: {e}")))?;
    if header.format != format::FORMAT {
        return Err(BackupError::Format(format!(
            "unknown format {:?}",
            header.format
        )));
    }
    if header.version != format::VERSION {
        return Err(BackupError::Format(format!(
            "format version {} is not supported (this Keygate reads version {})",
            header.version,
            format::VERSION
        )));
    }
    Ok(header)
}

/// Whether the database holds organizations or users (a restore then needs `force`).
pub async fn holds_data(db: &DatabaseConnection) -> Result<bool, BackupError> {
    let orgs = organization::Entity::find().count(db).await?;
    let users = user::Entity::find().count(db).await?;
    Ok(orgs + users > 0)
}

/// Replaces the database's data with the backup read from `input` (gzip'd). Refuses when the
/// database holds organizations or users unless `force`, and refuses a backup whose schema
/// has migrations this binary does not know.
pub async fn restore<R: Read>(
    db: &DatabaseConnection,
    input: R,
    force: bool,
) -> Result<Summary, BackupError> {
    let mut lines = BufReader::new(GzDecoder::new(input));
    let header = read_header(&mut lines)?;
    let known: BTreeSet<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let unknown: Vec<&str> = header
        .schema
        .iter()
        .filter(|m| !known.contains(*m))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(BackupError::NewerSchema(unknown.join(", ")));
    }
    if !force && holds_data(db).await? {
        return Err(BackupError::NotEmpty);
    }
    let tables = schema::tables(db).await?;
    let by_name: BTreeMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
    for info in &header.tables {
        let table = by_name.get(info.name.as_str()).ok_or_else(|| {
            BackupError::Schema(format!("this database has no table {}", info.name))
        })?;
        if let Some(missing) = info
            .columns
            .iter()
            .find(|c| table.column(&c.name).is_none())
        {
            return Err(BackupError::Schema(format!(
                "this database has no column {}.{}",
                info.name, missing.name
            )));
        }
    }

    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    if backend == DbBackend::Sqlite {
        txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
            .await?;
    }
    for table in tables.iter().rev() {
        txn.execute_unprepared(&format!("DELETE FROM \"{}\"", table.name))
            .await?;
    }
    let summary = copy_rows(&txn, &header, &by_name, &mut lines).await?;
    if backend == DbBackend::Postgres {
        reset_sequences(&txn, &tables).await?;
    }
    txn.commit().await?;
    Ok(summary)
}

/// The rows after the header, table by table, up to the end line.
async fn copy_rows<R: BufRead>(
    txn: &DatabaseTransaction,
    header: &Header,
    by_name: &BTreeMap<&str, &Table>,
    lines: &mut R,
) -> Result<Summary, BackupError> {
    let mut summary = Summary::default();
    let mut batch: Option<Batch> = None;
    let mut number = 1;
    let mut text = String::new();
    loop {
        text.clear();
        number += 1;
        let read = lines
            .read_line(&mut text)
            .map_err(|e| BackupError::Format(format!("line {number}: {e}")))?;
        if read == 0 {
            return Err(BackupError::Format(
                "the file ends before its end line (truncated?)".into(),
            ));
        }
        match format::parse_line(text.trim_end(), number)? {
            Line::Table(name) => {
                if let Some(done) = batch.take() {
                    summary.rows += done.finish(txn).await?;
                }
                let info = header
                    .tables
                    .iter()
                    .find(|t| t.name == name)
                    .ok_or_else(|| {
                        BackupError::Format(format!("table {name} is not in the header"))
                    })?;
                let table = by_name.get(name.as_str()).ok_or_else(|| {
                    BackupError::Schema(format!("this database has no table {name}"))
                })?;
                let columns = info.columns.iter().map(|c| c.name.clone()).collect();
                batch = Some(Batch::new(table, columns, info.rows));
                summary.tables += 1;
            }
            Line::Row(row) => {
                let current = batch.as_mut().ok_or_else(|| {
                    BackupError::Format(format!("line {number}: a row before any table"))
                })?;
                current.push(txn, row, number).await?;
            }
            Line::End { tables, rows } => {
                if let Some(done) = batch.take() {
                    summary.rows += done.finish(txn).await?;
                }
                if tables != summary.tables || rows != summary.rows {
                    return Err(BackupError::Format(format!(
                        "the end line counts {tables} tables and {rows} rows, the file holds \
                         {} and {}",
                        summary.tables, summary.rows
                    )));
                }
                break;
            }
        }
    }
    // Reading to the end checks the gzip trailer (its CRC and length).
    let mut rest = Vec::new();
    lines
        .read_to_end(&mut rest)
        .map_err(|e| BackupError::Format(format!("after the end line: {e}")))?;
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return Err(BackupError::Format("data after the end line".into()));
    }
    Ok(summary)
}

/// One table's rows, inserted a few hundred at a time.
struct Batch<'t> {
    table: &'t Table,
    columns: Vec<String>,
    kinds: Vec<Kind>,
    expected: u64,
    inserted: u64,
    pending: Vec<Value>,
    pending_rows: usize,
}

impl<'t> Batch<'t> {
    fn new(table: &'t Table, columns: Vec<String>, expected: u64) -> Self {
        let kinds = columns
            .iter()
            .map(|c| table.column(c).map_or(Kind::Text, |c| c.kind))
            .collect();
        Self {
            table,
            columns,
            kinds,
            expected,
            inserted: 0,
            pending: Vec::new(),
            pending_rows: 0,
        }
    }

    async fn push(
        &mut self,
        txn: &DatabaseTransaction,
        mut row: serde_json::Map<String, Json>,
        number: u64,
    ) -> Result<(), BackupError> {
        for (column, kind) in self.columns.iter().zip(&self.kinds) {
            let json = row.remove(column).unwrap_or(Json::Null);
            let value = to_value(&json, *kind).ok_or_else(|| {
                BackupError::Format(format!(
                    "line {number}: {}.{column} does not hold a {kind:?} value",
                    self.table.name
                ))
            })?;
            self.pending.push(value);
        }
        if let Some(extra) = row.keys().next() {
            return Err(BackupError::Format(format!(
                "line {number}: column {extra} is not in the header of {}",
                self.table.name
            )));
        }
        self.pending_rows += 1;
        if self.pending.len() + self.columns.len() > max_params(txn.get_database_backend()) {
            self.flush(txn).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, txn: &DatabaseTransaction) -> Result<(), BackupError> {
        if self.pending_rows == 0 || self.columns.is_empty() {
            return Ok(());
        }
        let backend = txn.get_database_backend();
        let names: Vec<String> = self.columns.iter().map(|c| format!("\"{c}\"")).collect();
        let mut sql = format!(
            "INSERT INTO \"{}\" ({}) VALUES ",
            self.table.name,
            names.join(", ")
        );
        let mut param = 0;
        for row in 0..self.pending_rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for column in 0..self.columns.len() {
                param += 1;
                if column > 0 {
                    sql.push_str(", ");
                }
                if backend == DbBackend::Postgres {
                    sql.push_str(&format!("${param}"));
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        let values = std::mem::take(&mut self.pending);
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .map_err(|e| BackupError::Database(format!("restoring {}: {e}", self.table.name)))?;
        self.inserted += self.pending_rows as u64;
        self.pending_rows = 0;
        Ok(())
    }

    async fn finish(mut self, txn: &DatabaseTransaction) -> Result<u64, BackupError> {
        self.flush(txn).await?;
        if self.inserted != self.expected {
            return Err(BackupError::Format(format!(
                "table {} holds {} rows, its header says {}",
                self.table.name, self.inserted, self.expected
            )));
        }
        Ok(self.inserted)
    }
}

/// A backup's JSON value as a value for a column of `kind` (`None`: it does not fit).
pub fn to_value(json: &Json, kind: Kind) -> Option<Value> {
    let value = match (kind, json) {
        (Kind::Integer, Json::Null) => Value::BigInt(None),
        (Kind::Integer, Json::Bool(b)) => Value::BigInt(Some(i64::from(*b))),
        (Kind::Integer, j) => Value::BigInt(Some(j.as_i64()?)),
        (Kind::Float, Json::Null) => Value::Double(None),
        (Kind::Float, j) => Value::Double(Some(j.as_f64()?)),
        (Kind::Boolean, Json::Null) => Value::Bool(None),
        (Kind::Boolean, Json::Bool(b)) => Value::Bool(Some(*b)),
        (Kind::Boolean, j) => Value::Bool(Some(j.as_i64()? != 0)),
        (Kind::Text, Json::Null) => Value::String(None),
        (Kind::Text, Json::String(s)) => Value::from(s.clone()),
        (Kind::Text, j @ (Json::Number(_) | Json::Bool(_))) => Value::from(j.to_string()),
        (Kind::Text, _) => return None,
        (Kind::Timestamp, Json::Null) => Value::from(None::<chrono::DateTime<chrono::Utc>>),
        (Kind::Timestamp, j) => Value::from(format::parse_time(j.as_str()?)?),
        (Kind::Blob, Json::Null) => Value::Bytes(None),
        (Kind::Blob, j) => Value::from(format::decode_blob(j.as_str()?)?),
    };
    Some(value)
}

/// Sets each serial `id` sequence past the restored ids (PostgreSQL).
async fn reset_sequences(txn: &DatabaseTransaction, tables: &[Table]) -> Result<(), BackupError> {
    for table in tables {
        let Some(id) = table.column("id") else {
            continue;
        };
        if id.kind != Kind::Integer {
            continue;
        }
        let name = &table.name;
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), \
             COALESCE(MAX(\"id\"), 1), MAX(\"id\") IS NOT NULL) FROM \"{name}\""
        );
        txn.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_the_target_columns_type() {
        assert_eq!(
            to_value(&Json::from(1), Kind::Boolean),
            Some(Value::Bool(Some(true)))
        );
        assert_eq!(
            to_value(&Json::from(true), Kind::Boolean),
            Some(Value::Bool(Some(true)))
        );
        assert_eq!(
            to_value(&Json::from("AQID"), Kind::Blob),
            Some(Value::from(vec![1u8, 2, 3]))
        );
        assert!(to_value(&Json::from("not base64!"), Kind::Blob).is_none());
        assert!(to_value(&Json::from("2026-11-26 15:00:00+00:00"), Kind::Timestamp).is_some());
        assert!(to_value(&Json::from("soon"), Kind::Timestamp).is_none());
        assert!(to_value(&serde_json::json!({"a": 1}), Kind::Text).is_none());
        assert_eq!(
            to_value(&Json::Null, Kind::Integer),
            Some(Value::BigInt(None))
        );
    }
}

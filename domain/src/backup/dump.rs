//! The snapshot: every table's rows, read inside one read-only transaction (PostgreSQL:
//! `REPEATABLE READ READ ONLY`; SQLite: one read transaction over WAL), so the rows are
//! mutually consistent while the server keeps writing.

use std::io::{BufWriter, Write};

use chrono::{DateTime, NaiveDateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use futures_util::TryStreamExt as _;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, IsolationLevel, QueryResult,
    Statement, StreamTrait as _, TransactionTrait as _,
};
use serde_json::Value as Json;

use super::format::{self, Header, Kind, TableInfo};
use super::schema::{self, Column, Table};
use super::{BackupError, Summary};

/// Writes a backup of the whole database to `out` (gzip'd; see [`super::format`]).
pub async fn dump<W: Write>(db: &DatabaseConnection, out: W) -> Result<Summary, BackupError> {
    let backend = db.get_database_backend();
    let txn = if backend == DbBackend::Postgres {
        db.begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?
    } else {
        db.begin().await?
    };
    // SQLite's snapshot starts with the transaction's first read: this one.
    let schema = schema::applied_migrations(&txn).await?;
    let tables = schema::tables(&txn).await?;
    let mut infos = Vec::with_capacity(tables.len());
    for table in &tables {
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", table.name);
        let rows = match txn
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
        {
            Some(row) => row.try_get_by_index::<i64>(0)?,
            None => 0,
        };
        infos.push(TableInfo {
            name: table.name.clone(),
            columns: table.infos(),
            rows: u64::try_from(rows).unwrap_or(0),
        });
    }
    let header = Header {
        format: format::FORMAT.to_owned(),
        version: format::VERSION,
        keygate_version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: if backend == DbBackend::Postgres {
            "postgres"
        } else {
            "sqlite"
        }
        .to_owned(),
        schema,
        created_at: format::time_text(&Utc::now()),
        tables: infos,
    };
    // The fastest level: rows repeat themselves, so it still shrinks them ~50 times. The
    // buffer in front matters: every write into the encoder costs a pass over its 32 KiB
    // output buffer, and serde_json writes each token separately.
    let mut gz = BufWriter::with_capacity(256 * 1024, GzEncoder::new(out, Compression::fast()));
    write_line(&mut gz, &serde_json::to_value(&header).map_err(io_error)?)?;
    let mut summary = Summary::default();
    for table in &tables {
        write_line(&mut gz, &format::table_line(&table.name))?;
        summary.rows += dump_table(&txn, backend, table, &mut gz).await?;
        summary.tables += 1;
    }
    write_line(&mut gz, &format::end_line(summary.tables, summary.rows))?;
    let encoder = gz
        .into_inner()
        .map_err(|e| BackupError::Io(e.error().to_string()))?;
    encoder.finish()?.flush()?;
    txn.commit().await?;
    Ok(summary)
}

async fn dump_table<W: Write>(
    txn: &sea_orm::DatabaseTransaction,
    backend: DbBackend,
    table: &Table,
    out: &mut W,
) -> Result<u64, BackupError> {
    if table.columns.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    // Rows in key order, so a table referring to itself restores parents first.
    let order = if table.column("id").is_some() {
        "\"id\"".to_owned()
    } else {
        "1".to_owned()
    };
    let sql = format!(
        "SELECT {} FROM \"{}\" ORDER BY {order}",
        list.join(", "),
        table.name
    );
    let mut rows = txn.stream_raw(Statement::from_string(backend, sql)).await?;
    let mut count = 0;
    while let Some(row) = rows.try_next().await? {
        let mut object = serde_json::Map::with_capacity(table.columns.len());
        for (i, column) in table.columns.iter().enumerate() {
            object.insert(column.name.clone(), value_of(&row, i, backend, column)?);
        }
        write_line(out, &Json::Object(object))?;
        count += 1;
    }
    Ok(count)
}

/// A column's value as JSON, read with the Rust type its declared type calls for.
fn value_of(
    row: &QueryResult,
    i: usize,
    backend: DbBackend,
    column: &Column,
) -> Result<Json, BackupError> {
    let pg = backend == DbBackend::Postgres;
    let json = match column.kind {
        Kind::Integer if pg && column.declared == "integer" => {
            row.try_get_by_index::<Option<i32>>(i)?.map(Json::from)
        }
        Kind::Integer if pg && column.declared == "smallint" => {
            row.try_get_by_index::<Option<i16>>(i)?.map(Json::from)
        }
        Kind::Integer => row.try_get_by_index::<Option<i64>>(i)?.map(Json::from),
        Kind::Float if pg && column.declared == "real" => {
            row.try_get_by_index::<Option<f32>>(i)?.map(Json::from)
        }
        Kind::Float => row.try_get_by_index::<Option<f64>>(i)?.map(Json::from),
        Kind::Boolean => row.try_get_by_index::<Option<bool>>(i)?.map(Json::from),
        Kind::Text => row.try_get_by_index::<Option<String>>(i)?.map(Json::from),
        Kind::Blob => row
            .try_get_by_index::<Option<Vec<u8>>>(i)?
            .map(|b| format::encode_blob(&b)),
        Kind::Timestamp => timestamp_of(row, i)?,
    };
    Ok(json.unwrap_or(Json::Null))
}

/// A timestamp as RFC 3339 UTC text; on SQLite, text that is not a timestamp stays as is.
fn timestamp_of(row: &QueryResult, i: usize) -> Result<Option<Json>, BackupError> {
    if let Ok(at) = row.try_get_by_index::<Option<DateTime<Utc>>>(i) {
        return Ok(at.map(|at| Json::from(format::time_text(&at))));
    }
    if let Ok(at) = row.try_get_by_index::<Option<NaiveDateTime>>(i) {
        return Ok(at.map(|at| Json::from(format::time_text(&at.and_utc()))));
    }
    let text = row.try_get_by_index::<Option<String>>(i)?;
    Ok(text.map(|t| match format::parse_time(&t) {
        Some(at) => Json::from(format::time_text(&at)),
        None => Json::from(t),
    }))
}

fn write_line<W: Write>(out: &mut W, value: &Json) -> Result<(), BackupError> {
    serde_json::to_writer(&mut *out, value).map_err(io_error)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn io_error(err: serde_json::Error) -> BackupError {
    BackupError::Io(err.to_string())
}

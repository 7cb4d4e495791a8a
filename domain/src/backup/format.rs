//! The backup file: gzip'd JSON lines.
//!
//! 1. A [`Header`]: format, version, Keygate version, source backend, the applied migrations,
//!    creation time, and every table with its columns (name and kind) and row count.
//! 2. Per table, a line `{"$table":"name"}`, then one JSON object per row, keyed by column.
//!    Integers and floats are JSON numbers, booleans JSON booleans, timestamps RFC 3339 text
//!    (UTC), blobs base64 (standard alphabet) and NULL `null`.
//! 3. A line `{"$end":{"tables":N,"rows":N}}`; a file without it is truncated and refused.

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::BackupError;

pub const FORMAT: &str = "keygate-backup";
pub const VERSION: u32 = 1;
pub const TABLE_KEY: &str = "$table";
pub const END_KEY: &str = "$end";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub keygate_version: String,
    /// `sqlite` or `postgres`: where the backup was taken (restores go to either).
    pub backend: String,
    /// The applied migrations, oldest first.
    pub schema: Vec<String>,
    pub created_at: String,
    pub tables: Vec<TableInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<ColumnInfo>,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    pub kind: Kind,
}

/// A column's portable kind, from its declared SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Integer,
    Float,
    Boolean,
    Text,
    Timestamp,
    Blob,
}

impl Kind {
    /// The kind of a declared type: SQLite's (`integer`, `bigint`, `varchar`, `boolean`,
    /// `timestamp_with_timezone_text`, `blob` …) or PostgreSQL's `data_type`.
    pub fn of(declared: &str) -> Self {
        let t = declared.to_ascii_lowercase();
        if t.contains("timestamp") || t == "datetime" {
            Self::Timestamp
        } else if t.contains("bool") {
            Self::Boolean
        } else if t.contains("int") || t == "serial" || t == "bigserial" {
            Self::Integer
        } else if t.contains("blob") || t.contains("bytea") || t.contains("binary") {
            Self::Blob
        } else if ["real", "double", "float", "numeric", "decimal"]
            .iter()
            .any(|k| t.contains(k))
        {
            Self::Float
        } else {
            Self::Text
        }
    }
}

/// One line after the header.
#[derive(Debug)]
pub enum Line {
    Table(String),
    Row(serde_json::Map<String, Json>),
    End { tables: u64, rows: u64 },
}

pub fn table_line(name: &str) -> Json {
    serde_json::json!({ TABLE_KEY: name })
}

pub fn end_line(tables: u64, rows: u64) -> Json {
    serde_json::json!({ END_KEY: { "tables": tables, "rows": rows } })
}

pub fn parse_line(text: &str, number: u64) -> Result<Line, BackupError> {
    let value: Json = serde_json::from_str(text)
        .map_err(|e| BackupError::Format(format!("line {number}: {e}")))?;
    let Json::Object(mut map) = value else {
        return Err(BackupError::Format(format!(
            "line {number}: not a JSON object"
        )));
    };
    if let Some(name) = map.get(TABLE_KEY) {
        let name = name.as_str().ok_or_else(|| {
            BackupError::Format(format!("line {number}: a table name must be text"))
        })?;
        return Ok(Line::Table(name.to_owned()));
    }
    if let Some(end) = map.remove(END_KEY) {
        let count = |key: &str| end.get(key).and_then(Json::as_u64);
        return match (count("tables"), count("rows")) {
            (Some(tables), Some(rows)) => Ok(Line::End { tables, rows }),
            _ => Err(BackupError::Format(format!(
                "line {number}: a malformed end line"
            ))),
        };
    }
    Ok(Line::Row(map))
}

pub fn time_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A timestamp as a backup or SQLite stores it: RFC 3339, `YYYY-MM-DD HH:MM:SS[.f]±hh:mm`, or
/// without an offset (taken as UTC).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for pattern in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(at) = DateTime::parse_from_str(text, pattern) {
            return Some(at.with_timezone(&Utc));
        }
    }
    for pattern in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, pattern) {
            return Some(at.and_utc());
        }
    }
    None
}

pub fn encode_blob(bytes: &[u8]) -> Json {
    Json::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub fn decode_blob(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_declared_types() {
        assert_eq!(Kind::of("timestamp_with_timezone_text"), Kind::Timestamp);
        assert_eq!(Kind::of("timestamp with time zone"), Kind::Timestamp);
        assert_eq!(Kind::of("bigint"), Kind::Integer);
        assert_eq!(Kind::of("INTEGER"), Kind::Integer);
        assert_eq!(Kind::of("boolean"), Kind::Boolean);
        assert_eq!(Kind::of("blob"), Kind::Blob);
        assert_eq!(Kind::of("bytea"), Kind::Blob);
        assert_eq!(Kind::of("character varying"), Kind::Text);
        assert_eq!(Kind::of("varchar"), Kind::Text);
        assert_eq!(Kind::of("double precision"), Kind::Float);
    }

    #[test]
    fn times_parse_in_every_stored_shape() {
        let want = parse_time("2026-11-26T15:00:00.123456Z");
        assert!(want.is_some());
        assert_eq!(parse_time("2026-11-26 15:00:00.123456+00:00"), want);
        assert_eq!(parse_time("2026-11-26 16:00:00.123456+01:00"), want);
        assert_eq!(parse_time("2026-11-26 15:00:00.123456"), want);
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn lines_round_trip() {
        assert!(matches!(
            parse_line(&table_line("users").to_string(), 2),
            Ok(Line::Table(name)) if name == "users"
        ));
        assert!(matches!(
            parse_line(&end_line(3, 7).to_string(), 9),
            Ok(Line::End { tables: 3, rows: 7 })
        ));
        assert!(matches!(parse_line(r#"{"id":1}"#, 3), Ok(Line::Row(_))));
        assert!(parse_line("[1]", 3).is_err());
        assert!(parse_line("{\"id\":", 3).is_err());
    }
}

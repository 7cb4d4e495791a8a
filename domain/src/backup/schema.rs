//! The live database's shape, read generically: its tables (all but `seaql_migrations`),
//! their columns with a portable [`Kind`], and an order that puts every table after the
//! tables its foreign keys point to.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::BackupError;
use super::format::{ColumnInfo, Kind};

/// A table and its columns, as this database declares them.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// The declared type, lower case (`integer`, `bigint`, `timestamp with time zone` …).
    pub declared: String,
    pub kind: Kind,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn infos(&self) -> Vec<ColumnInfo> {
        self.columns
            .iter()
            .map(|c| ColumnInfo {
                name: c.name.clone(),
                kind: c.kind,
            })
            .collect()
    }
}

/// Names go into SQL text (quoted), so only plain identifiers are accepted.
pub fn check_identifier(name: &str) -> Result<&str, BackupError> {
    let plain = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        Ok(name)
    } else {
        Err(BackupError::Schema(format!(
            "unsupported table or column name {name:?}"
        )))
    }
}

async fn strings<C: ConnectionTrait>(db: &C, sql: &str) -> Result<Vec<Vec<String>>, BackupError> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await?;
    rows.iter()
        .map(|row| {
            (0..row.column_names().len())
                .map(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .map(Option::unwrap_or_default)
                        .map_err(BackupError::from)
                })
                .collect()
        })
        .collect()
}

/// The migrations applied to this database, oldest first.
pub async fn applied_migrations<C: ConnectionTrait>(db: &C) -> Result<Vec<String>, BackupError> {
    let rows = strings(db, "SELECT version FROM seaql_migrations ORDER BY version").await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect())
}

/// Every table but `seaql_migrations`, parents before children (then by name).
pub async fn tables<C: ConnectionTrait>(db: &C) -> Result<Vec<Table>, BackupError> {
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    let names_sql = if sqlite {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> 'seaql_migrations' ORDER BY name"
    } else {
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \
         current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'seaql_migrations' \
         ORDER BY table_name"
    };
    let mut tables = BTreeMap::new();
    for row in strings(db, names_sql).await? {
        let Some(name) = row.into_iter().next() else {
            continue;
        };
        check_identifier(&name)?;
        let columns_sql = if sqlite {
            format!("SELECT name, type FROM pragma_table_info('{name}') ORDER BY cid")
        } else {
            format!(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{name}' \
                 ORDER BY ordinal_position"
            )
        };
        let mut columns = Vec::new();
        for row in strings(db, &columns_sql).await? {
            let [column, declared] = <[String; 2]>::try_from(row)
                .map_err(|_| BackupError::Schema("unexpected column listing".into()))?;
            check_identifier(&column)?;
            let declared = declared.to_ascii_lowercase();
            columns.push(Column {
                name: column,
                kind: Kind::of(&declared),
                declared,
            });
        }
        tables.insert(name.clone(), Table { name, columns });
    }
    let edges = foreign_keys(db, sqlite, tables.keys()).await?;
    let order = parents_first(tables.keys().cloned().collect(), &edges);
    Ok(order
        .into_iter()
        .filter_map(|name| tables.remove(&name))
        .collect())
}

/// (child, parent) pairs of every foreign key between the tables.
async fn foreign_keys<C: ConnectionTrait>(
    db: &C,
    sqlite: bool,
    names: impl Iterator<Item = &String>,
) -> Result<Vec<(String, String)>, BackupError> {
    let mut edges = Vec::new();
    if sqlite {
        for name in names {
            let sql = format!("SELECT \"table\" FROM pragma_foreign_key_list('{name}')");
            for row in strings(db, &sql).await? {
                if let Some(parent) = row.into_iter().next() {
                    edges.push((name.clone(), parent));
                }
            }
        }
    } else {
        let sql = "SELECT cl.relname::text, pl.relname::text FROM pg_constraint c \
                   JOIN pg_class cl ON cl.oid = c.conrelid \
                   JOIN pg_class pl ON pl.oid = c.confrelid \
                   JOIN pg_namespace n ON n.oid = c.connamespace \
                   WHERE c.contype = 'f' AND n.nspname = current_schema()";
        for row in strings(db, sql).await? {
            if let [child, parent] = row.as_slice() {
                edges.push((child.clone(), parent.clone()));
            }
        }
    }
    Ok(edges)
}

/// A topological order (Kahn), alphabetical among the tables ready at each step; tables in a
/// cycle, if any, come last by name. Self-references are ignored (rows go in id order).
pub fn parents_first(names: BTreeSet<String>, edges: &[(String, String)]) -> Vec<String> {
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = names
        .iter()
        .map(|n| (n.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in edges {
        if child != parent
            && names.contains(parent)
            && let Some(set) = parents.get_mut(child.as_str())
        {
            set.insert(parent.as_str());
        }
    }
    let mut order: Vec<String> = Vec::with_capacity(names.len());
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    loop {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(name, deps)| !placed.contains(*name) && deps.is_subset(&placed))
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            break;
        }
        for name in ready {
            placed.insert(name);
            order.push(name.to_owned());
        }
    }
    for name in &names {
        if !placed.contains(name.as_str()) {
            order.push(name.clone());
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first() {
        let names: BTreeSet<String> = ["a_child", "b_parent", "c_grand", "d_alone"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let edges = vec![
            ("a_child".to_owned(), "b_parent".to_owned()),
            ("b_parent".to_owned(), "c_grand".to_owned()),
            ("a_child".to_owned(), "a_child".to_owned()),
        ];
        assert_eq!(
            parents_first(names, &edges),
            vec!["c_grand", "d_alone", "b_parent", "a_child"]
        );
    }

    #[test]
    fn identifiers_are_plain() {
        assert!(check_identifier("usage_events").is_ok());
        assert!(check_identifier("x\"; DROP TABLE users; --").is_err());
        assert!(check_identifier("").is_err());
    }
}

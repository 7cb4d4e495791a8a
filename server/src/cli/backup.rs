//! `keygate backup --out FILE` and `keygate restore --from FILE [--force]`: a consistent
//! logical dump of the whole database and its restore (see `domain::backup`). Neither needs
//! nor touches the master key; the operator is reminded to back it up separately.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use domain::audit;
use domain::backup::{self, BackupError};
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::print_json;
use crate::config::Config;

const MASTER_KEY_REMINDER: &str = "The backup does not contain the master key. Back up \
    KEYGATE_MASTER_KEY (or DATA_DIR/master.key) separately and keep it apart: the secrets in \
    the backup are useless without it.";

async fn connect(config: &Config) -> Result<DatabaseConnection, String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.data_dir)
        .map_err(|e| {
            format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
    domain::db::connect_and_migrate(&config.database_url())
        .await
        .map_err(|e| format!("database: {e}"))
}

fn fail(err: BackupError) -> String {
    err.to_string()
}

/// `out`'s temporary sibling: the backup is renamed into place only once complete.
fn temp_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    out.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

pub async fn run_backup(config: &Config, out: &Path, json: bool) -> Result<(), String> {
    let db = connect(config).await?;
    let started = Instant::now();
    let temp = temp_path(out);
    let result = write_backup(&db, &temp, out).await;
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    let summary = result?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    let seconds = started.elapsed().as_secs_f64();
    let detail = json!({
        "tables": summary.tables,
        "rows": summary.rows,
        "bytes": bytes,
        "file": out.display().to_string(),
    });
    audit::record(
        &db,
        audit::Entry::new(None, audit::Actor::cli(), "backup.create").detail(detail),
    )
    .await;
    if json {
        print_json(&json!({
            "tables": summary.tables,
            "rows": summary.rows,
            "bytes": bytes,
            "seconds": seconds,
            "file": out.display().to_string(),
        }))?;
    } else {
        println!(
            "Backed up {} rows from {} tables to {} ({bytes} bytes, {seconds:.2} s).",
            summary.rows,
            summary.tables,
            out.display()
        );
    }
    eprintln!("{MASTER_KEY_REMINDER}");
    Ok(())
}

async fn write_backup(
    db: &DatabaseConnection,
    temp: &Path,
    out: &Path,
) -> Result<backup::Summary, String> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temp)
        .map_err(|e| format!("cannot create {}: {e}", temp.display()))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot restrict {}: {e}", temp.display()))?;
    let mut writer = BufWriter::new(file);
    let summary = backup::dump(db, &mut writer).await.map_err(fail)?;
    let file = writer
        .into_inner()
        .map_err(|e| format!("cannot write {}: {}", temp.display(), e.error()))?;
    file.sync_all()
        .map_err(|e| format!("cannot write {}: {e}", temp.display()))?;
    drop(file);
    std::fs::rename(temp, out)
        .map_err(|e| format!("cannot move the backup to {}: {e}", out.display()))?;
    Ok(summary)
}

pub async fn run_restore(
    config: &Config,
    from: &Path,
    force: bool,
    json: bool,
) -> Result<(), String> {
    let file = File::open(from).map_err(|e| format!("cannot open {}: {e}", from.display()))?;
    let db = connect(config).await?;
    let started = Instant::now();
    let summary = backup::restore(&db, BufReader::new(file), force)
        .await
        .map_err(fail)?;
    let seconds = started.elapsed().as_secs_f64();
    let detail = json!({
        "tables": summary.tables,
        "rows": summary.rows,
        "file": from.display().to_string(),
        "force": force,
    });
    audit::record(
        &db,
        audit::Entry::new(None, audit::Actor::cli(), "backup.restore").detail(detail),
    )
    .await;
    if json {
        print_json(&json!({
            "tables": summary.tables,
            "rows": summary.rows,
            "seconds": seconds,
            "file": from.display().to_string(),
        }))?;
    } else {
        println!(
            "Restored {} rows into {} tables from {} ({seconds:.2} s). Start Keygate with the \
             master key the backup was made under.",
            summary.rows,
            summary.tables,
            from.display()
        );
    }
    Ok(())
}

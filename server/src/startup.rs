//! Start-up: data directory, database and migrations, the master key and its canary, and the
//! first-run setup token. Any failure here refuses to start with a message saying what to fix.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use domain::AppState;
use domain::alerts::smtp::Mailer;
use domain::fallback::FallbackKeys;
use domain::password::PasswordHasher;
use domain::state::{SessionPolicy, SetupGate};
use domain::upstream::Upstreams;
use domain::vault::keyring::Keyring;
use domain::vault::live::LiveKeyring;
use domain::vault::{self, MasterKey, VaultError};
use rand::RngCore as _;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(String),
    #[error("master key from {source_name}: {error}")]
    MasterKey {
        source_name: String,
        error: VaultError,
    },
    #[error("cannot read the master key file {path}: {source}")]
    MasterKeyRead {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "this database was initialised with a master key, but none was given and {path} does not exist. \
         Set KEYGATE_MASTER_KEY or KEYGATE_MASTER_KEY_FILE to the key Keygate was initialised with (restore it from your backup)."
    )]
    MasterKeyMissing { path: String },
    #[error("cannot write the new master key to {path}: {source}")]
    MasterKeyWrite {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

/// Everything a running server needs, plus the one-time setup token when no user exists.
pub struct Prepared {
    pub state: AppState,
    pub setup_token: Option<String>,
}

pub async fn prepare(config: &Config) -> Result<Prepared, StartupError> {
    // Settings first: a typo should not wait for the database.
    let mailer = mailer(config)?;
    create_private_dir(&config.data_dir)?;
    let db = domain::db::connect_and_migrate(&config.database_url())
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let initialised = vault::is_initialised(&db)
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let (master_key, source_name) = resolve_master_key(config, initialised)?;
    vault::verify_or_init_canary(&db, &master_key)
        .await
        .map_err(|error| StartupError::MasterKey {
            source_name: source_name.clone(),
            error,
        })?;
    let keyring = Keyring::load_or_init(&db, &master_key)
        .await
        .map_err(|error| StartupError::MasterKey { source_name, error })?;

    let master_key = Arc::new(master_key);
    let overrides = match &config.upstream_overrides {
        Some(overrides) => overrides.clone(),
        None => Upstreams::overrides_from_env().map_err(|e| StartupError::Other(e.to_string()))?,
    };
    let upstreams = Upstreams::with_proxy_timeouts(
        overrides,
        config.allow_private_upstreams,
        domain::upstream::ProxyTimeouts {
            connect: config.proxy_connect_timeout,
            idle: config.proxy_idle_timeout,
        },
    )
    .map_err(|e| StartupError::Other(e.to_string()))?;
    let fallbacks = match &config.fallback_keys {
        Some(keys) => keys.clone(),
        None => FallbackKeys::from_env().map_err(|e| match e {
            domain::DomainError::Internal(message) => StartupError::Other(message),
            other => StartupError::Other(other.to_string()),
        })?,
    };
    let hasher =
        PasswordHasher::for_this_machine().map_err(|e| StartupError::Other(e.to_string()))?;
    let setup_needed = domain::accounts::setup::is_needed(&db)
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let setup_token = setup_needed.then(random_token);
    let gateway = Arc::new(domain::gateway::Gateway::start(
        db.clone(),
        config.proxy_limits(),
    ));
    let state = AppState {
        db,
        gateway,
        hasher,
        keyring: Arc::new(LiveKeyring::new(master_key.clone(), keyring)),
        master_key,
        upstreams,
        fallbacks: Arc::new(fallbacks),
        setup: SetupGate::with_token(setup_token.clone()),
        sessions: SessionPolicy {
            idle_timeout: config.session_idle_timeout,
            absolute_lifetime: config.session_lifetime,
        },
        mailer,
        storage: Arc::new(domain::storage::StorageWatch::new(
            config.sqlite_dir(),
            config.min_free_disk_mb.saturating_mul(1024 * 1024),
        )),
    };
    Ok(Prepared { state, setup_token })
}

/// The SMTP server for alert e-mails: both settings or neither (then e-mail is off).
fn mailer(config: &Config) -> Result<Option<Arc<Mailer>>, StartupError> {
    match (&config.smtp_url, config.smtp_from.as_deref()) {
        (None, None) => {
            tracing::info!("alert e-mails are off: KEYGATE_SMTP_URL is not set");
            Ok(None)
        }
        (Some(url), Some(from)) => {
            let url = secrecy::SecretString::from(url.0.clone());
            let mailer =
                Mailer::new(&url, from, &config.public_url()).map_err(StartupError::Other)?;
            tracing::info!(smtp = %mailer.endpoint(), from = %mailer.sender(), "alert e-mails on");
            Ok(Some(Arc::new(mailer)))
        }
        (Some(_), None) => Err(StartupError::Other(
            "KEYGATE_SMTP_URL is set but KEYGATE_SMTP_FROM is not: set the sender address too"
                .into(),
        )),
        (None, Some(_)) => Err(StartupError::Other(
            "KEYGATE_SMTP_FROM is set but KEYGATE_SMTP_URL is not: set the SMTP server too".into(),
        )),
    }
}

/// Creates the data directory readable only by Keygate's user (it holds the key file).
fn create_private_dir(path: &Path) -> Result<(), StartupError> {
    let err = |source| StartupError::DataDir {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path).map_err(err)
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Finds the master key: the variable, then the file, then (only for a database that has
/// never been initialised) a freshly generated key file.
fn resolve_master_key(
    config: &Config,
    initialised: bool,
) -> Result<(MasterKey, String), StartupError> {
    if let Some(raw) = &config.master_key {
        let source_name = "KEYGATE_MASTER_KEY".to_owned();
        return MasterKey::from_base64(&raw.0)
            .map(|key| (key, source_name.clone()))
            .map_err(|error| StartupError::MasterKey { source_name, error });
    }
    let path = config.master_key_path();
    let source_name = path.display().to_string();
    if path.exists() {
        let text =
            std::fs::read_to_string(&path).map_err(|source| StartupError::MasterKeyRead {
                path: source_name.clone(),
                source,
            })?;
        let key = MasterKey::from_base64(&text).map_err(|error| StartupError::MasterKey {
            source_name: source_name.clone(),
            error,
        })?;
        return Ok((key, source_name));
    }
    if config.master_key_file.is_some() || initialised {
        return Err(StartupError::MasterKeyMissing { path: source_name });
    }
    let key = MasterKey::generate();
    write_key_file(&path, &key)?;
    tracing::warn!(
        path = %path.display(),
        "GENERATED A NEW MASTER KEY. Back this file up now and keep it apart from the database: \
         without it no stored secret can ever be decrypted."
    );
    Ok((key, source_name))
}

/// Writes the key with mode 0600, refusing to overwrite an existing file.
fn write_key_file(path: &Path, key: &MasterKey) -> Result<(), StartupError> {
    let err = |source| StartupError::MasterKeyWrite {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(err)?;
    file.write_all(key.to_base64().as_bytes()).map_err(err)?;
    file.write_all(b"\n").map_err(err)?;
    file.sync_all().map_err(err)?;
    Ok(())
}

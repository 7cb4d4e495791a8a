//! The keyring a running server uses. `keygate vault rotate` may add a version from another
//! process while the server runs; this handle notices: before sealing it checks for a newer
//! version, and a row wrapped under a version it has not loaded yet triggers a reload.

use std::sync::{Arc, RwLock};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use secrecy::SecretSlice;

use super::envelope::{SealedSecret, SecretContext};
use super::keyring::Keyring;
use super::{MasterKey, VaultError};
use crate::entities::vault_key;

pub struct LiveKeyring {
    root: Arc<MasterKey>,
    current: RwLock<Arc<Keyring>>,
}

impl std::fmt::Debug for LiveKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveKeyring")
            .field("current", &self.snapshot())
            .finish_non_exhaustive()
    }
}

impl LiveKeyring {
    pub fn new(root: Arc<MasterKey>, keyring: Keyring) -> Self {
        Self {
            root,
            current: RwLock::new(Arc::new(keyring)),
        }
    }

    /// The keyring as last loaded.
    pub fn snapshot(&self) -> Arc<Keyring> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn current_version(&self) -> i32 {
        self.snapshot().current_version()
    }

    /// Loads every live version from the database again.
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<Arc<Keyring>, VaultError> {
        let fresh = Arc::new(Keyring::load_or_init(db, &self.root).await?);
        match self.current.write() {
            Ok(mut guard) => *guard = fresh.clone(),
            Err(poisoned) => *poisoned.into_inner() = fresh.clone(),
        }
        Ok(fresh)
    }

    async fn newest_version_in_db(db: &DatabaseConnection) -> Result<i32, VaultError> {
        let newest = vault_key::Entity::find()
            .filter(vault_key::Column::RetiredAt.is_null())
            .order_by_desc(vault_key::Column::Version)
            .one(db)
            .await
            .map_err(|e| VaultError::Storage(e.to_string()))?;
        Ok(newest.map(|v| v.version).unwrap_or(0))
    }

    /// Seals under the newest version in the database (reloading first if another process
    /// added one), so a running rotation never has to chase rows this server keeps writing.
    pub async fn seal(
        &self,
        db: &DatabaseConnection,
        context: &SecretContext<'_>,
        plaintext: &[u8],
    ) -> Result<SealedSecret, VaultError> {
        let mut ring = self.snapshot();
        if Self::newest_version_in_db(db).await? > ring.current_version() {
            ring = self.reload(db).await?;
        }
        ring.seal(context, plaintext)
    }

    /// Opens a sealed secret, reloading once if it names a version this process has not seen.
    pub async fn open(
        &self,
        db: &DatabaseConnection,
        context: &SecretContext<'_>,
        sealed: &SealedSecret,
    ) -> Result<SecretSlice<u8>, VaultError> {
        let ring = self.snapshot();
        match ring.open(context, sealed) {
            Err(VaultError::UnknownVersion(_)) => self.reload(db).await?.open(context, sealed),
            other => other,
        }
    }
}

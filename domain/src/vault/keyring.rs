//! The keyring: master-key versions stored in the database, each a random 256-bit key sealed
//! under the root key's secrets-purpose key. New secrets use the newest version; rotation adds a
//! version and re-wraps data keys (see `envelope::Keyring::rewrap`), so the root key can stay in
//! the operator's hands while versions come and go.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{MasterKey, PURPOSE_SECRETS, VaultError};
use crate::entities::vault_key;

fn storage(err: impl std::fmt::Display) -> VaultError {
    VaultError::Storage(err.to_string())
}

fn version_aad(version: i32) -> Vec<u8> {
    format!("keygate/v1|vault_keys:{version}|sealed_key").into_bytes()
}

/// The unsealed master-key versions. `Debug` shows versions only.
pub struct Keyring {
    versions: BTreeMap<i32, MasterKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("versions", &self.versions.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Keyring {
    /// A keyring held only in memory (tests and tools).
    pub fn in_memory(versions: impl IntoIterator<Item = (i32, MasterKey)>) -> Self {
        Self {
            versions: versions.into_iter().collect(),
        }
    }

    /// Loads every version, creating version 1 on a database that has none. A version that
    /// does not open under `root` is a wrong root key: refuse.
    pub async fn load_or_init(
        db: &DatabaseConnection,
        root: &MasterKey,
    ) -> Result<Self, VaultError> {
        let wrapping = root.derive(PURPOSE_SECRETS)?;
        let mut rows = Self::active_rows(db).await?;
        if rows.is_empty() {
            // Replicas starting together on one empty database race to create version 1;
            // the loser's insert fails and it loads the winner's version instead.
            let created = Self::insert_version(db, &wrapping, 1).await;
            rows = Self::active_rows(db).await?;
            if rows.is_empty() {
                created?;
                return Err(VaultError::Storage(
                    "the vault's key version 1 was not stored".into(),
                ));
            }
        }
        let mut versions = BTreeMap::new();
        for row in rows {
            let sealed = STANDARD
                .decode(&row.sealed_key)
                .map_err(|_| VaultError::WrongKey)?;
            let raw = wrapping
                .open(&sealed, &version_aad(row.version))
                .map_err(|_| VaultError::WrongKey)?;
            let key = MasterKey::from_bytes(&raw)?;
            versions.insert(row.version, key);
        }
        Ok(Self { versions })
    }

    async fn active_rows(db: &DatabaseConnection) -> Result<Vec<vault_key::Model>, VaultError> {
        vault_key::Entity::find()
            .filter(vault_key::Column::RetiredAt.is_null())
            .order_by_asc(vault_key::Column::Version)
            .all(db)
            .await
            .map_err(storage)
    }

    async fn insert_version(
        db: &DatabaseConnection,
        wrapping: &MasterKey,
        version: i32,
    ) -> Result<(), VaultError> {
        let key = MasterKey::generate();
        let sealed = wrapping.seal(key.expose_bytes(), &version_aad(version))?;
        vault_key::ActiveModel {
            version: Set(version),
            sealed_key: Set(STANDARD.encode(sealed)),
            created_at: Set(chrono::Utc::now()),
            retired_at: Set(None),
        }
        .insert(db)
        .await
        .map_err(storage)?;
        Ok(())
    }

    /// Adds a new newest version and returns the reloaded keyring.
    pub async fn add_version(
        &self,
        db: &DatabaseConnection,
        root: &MasterKey,
    ) -> Result<Self, VaultError> {
        let next = self.current_version().saturating_add(1);
        Self::insert_version(db, &root.derive(PURPOSE_SECRETS)?, next).await?;
        Self::load_or_init(db, root).await
    }

    /// The version new secrets are sealed under.
    pub fn current_version(&self) -> i32 {
        self.versions.keys().next_back().copied().unwrap_or(0)
    }

    pub fn versions(&self) -> impl Iterator<Item = i32> + '_ {
        self.versions.keys().copied()
    }

    pub(super) fn key(&self, version: i32) -> Result<&MasterKey, VaultError> {
        self.versions
            .get(&version)
            .ok_or(VaultError::UnknownVersion(version))
    }

    pub(super) fn current(&self) -> Result<(i32, &MasterKey), VaultError> {
        let version = self.current_version();
        Ok((version, self.key(version)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn database() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display());
        let db = crate::db::connect_and_migrate(&url).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn versions_persist_and_only_open_with_the_same_root() {
        let (_dir, db) = database().await;
        let root = MasterKey::generate();
        let first = Keyring::load_or_init(&db, &root).await.unwrap();
        assert_eq!(first.current_version(), 1);
        let second = first.add_version(&db, &root).await.unwrap();
        assert_eq!(second.versions().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(second.current_version(), 2);

        let reloaded = Keyring::load_or_init(&db, &root).await.unwrap();
        assert_eq!(
            reloaded.key(2).unwrap().to_base64().as_str(),
            second.key(2).unwrap().to_base64().as_str()
        );
        let wrong = Keyring::load_or_init(&db, &MasterKey::generate()).await;
        assert_eq!(wrong.unwrap_err(), VaultError::WrongKey);
    }

    /// Replicas starting together on one empty database: every one of them comes up, with
    /// the same canary and the same version-1 data key.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_first_starts_agree_on_one_vault() {
        let (_dir, db) = database().await;
        let root = MasterKey::generate();
        let starts = (0..8).map(|_| {
            let (db, root) = (
                db.clone(),
                MasterKey::from_bytes(root.expose_bytes()).unwrap(),
            );
            tokio::spawn(async move {
                crate::vault::verify_or_init_canary(&db, &root).await?;
                Keyring::load_or_init(&db, &root).await
            })
        });
        let keyrings: Vec<Keyring> = futures_util::future::join_all(starts)
            .await
            .into_iter()
            .map(|joined| joined.unwrap().unwrap())
            .collect();
        let first = keyrings[0].key(1).unwrap().to_base64();
        for keyring in &keyrings {
            assert_eq!(keyring.versions().collect::<Vec<_>>(), vec![1]);
            assert_eq!(keyring.key(1).unwrap().to_base64().as_str(), first.as_str());
        }
        let wrong = crate::vault::verify_or_init_canary(&db, &MasterKey::generate()).await;
        assert_eq!(wrong.unwrap_err(), VaultError::WrongKey);
    }
}

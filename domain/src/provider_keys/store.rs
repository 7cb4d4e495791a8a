//! Creating, listing, editing, (de)activating, deleting and revealing provider keys.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use secrecy::{ExposeSecret as _, SecretString};

use super::events::record;
use super::input::{
    KeyChanges, KeyFilter, KeyScope, NewKey, ScopeFilter, parse_base_url, parse_description,
    parse_expiry, parse_name, parse_region, parse_token, parse_weight,
};
use super::secret::ProviderSecret;
use super::{can_edit, can_operate, can_reveal, can_view, record_name, secret_context};
use crate::auth::SessionUser;
use crate::entities::{project, provider_key, user};
use crate::error::DomainError;
use crate::providers::ProviderKind;
use crate::state::AppState;
use crate::throttle;
use crate::types::Email;
use crate::vault::envelope::SealedSecret;

fn sealed_of(key: &provider_key::Model) -> Option<SealedSecret> {
    Some(SealedSecret {
        key_version: key.key_version?,
        wrapped_key: key.wrapped_key.clone()?,
        ciphertext: key.ciphertext.clone()?,
    })
}

/// Destroys a rotated key's previous secret.
fn clear_previous(row: &mut provider_key::ActiveModel) {
    row.previous_key_version = Set(None);
    row.previous_wrapped_key = Set(None);
    row.previous_ciphertext = Set(None);
    row.previous_expires_at = Set(None);
}

/// Seals a key's secret for its record (`provider_keys:<uid>`).
pub(crate) async fn seal(
    state: &AppState,
    org_id: i32,
    uid: &str,
    secret: &ProviderSecret,
) -> Result<SealedSecret, DomainError> {
    let record = format!("provider_keys:{uid}");
    let plaintext = secret.to_plaintext()?;
    state
        .keyring
        .seal(&state.db, &secret_context(org_id, &record), &plaintext)
        .await
        .map_err(|e| DomainError::internal("sealing a provider key", e))
}

/// Opens a key's secret (server-side use: verification, the proxy, the credential broker).
pub async fn open_secret(
    state: &AppState,
    key: &provider_key::Model,
) -> Result<ProviderSecret, DomainError> {
    let sealed = sealed_of(key).ok_or(DomainError::NotFound)?;
    let record = record_name(key);
    let plaintext = state
        .keyring
        .open(&state.db, &secret_context(key.org_id, &record), &sealed)
        .await
        .map_err(|e| DomainError::internal("opening a provider key", e))?;
    ProviderSecret::from_plaintext(secrecy::ExposeSecret::expose_secret(&plaintext))
}

/// Loads a live (not deleted) key the caller may see; anything else looks absent.
pub async fn get(
    db: &DatabaseConnection,
    user: &SessionUser,
    id: i32,
) -> Result<provider_key::Model, DomainError> {
    let key = provider_key::Entity::find_by_id(id)
        .filter(provider_key::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !can_view(user, &key) {
        return Err(DomainError::NotFound);
    }
    Ok(key)
}

async fn project_of_org(
    db: &DatabaseConnection,
    org_id: i32,
    project_id: i32,
) -> Result<project::Model, DomainError> {
    project::Entity::find_by_id(project_id)
        .filter(project::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::validation("project_id", "Choose a project."))
}

pub async fn create(
    state: &AppState,
    user: &SessionUser,
    input: NewKey,
) -> Result<provider_key::Model, DomainError> {
    let db = &state.db;
    let (project_id, owner_user_id) = match input.scope {
        KeyScope::Project(project_id) => {
            if !user.role.is_admin() {
                return Err(DomainError::Forbidden(
                    "Only admins can add project keys.".into(),
                ));
            }
            (
                Some(project_of_org(db, user.org_id, project_id).await?.id),
                None,
            )
        }
        KeyScope::Personal => (None, Some(user.id)),
    };
    // A built-in provider, or one the organization defined (named by its slug).
    let (provider, custom) = match ProviderKind::parse(&input.provider) {
        Ok(kind) => (kind, None),
        Err(unknown) => {
            match crate::custom_providers::by_slug(db, user.org_id, &input.provider).await? {
                Some(custom) => (ProviderKind::Custom, Some(custom)),
                None => return Err(unknown),
            }
        }
    };
    let name = parse_name(&input.name)?;
    let description = parse_description(&input.description)?;
    let secret = ProviderSecret::parse(
        provider,
        input.key.expose_secret(),
        input.secret_access_key.as_ref().map(|s| s.expose_secret()),
    )?;
    let base_url = parse_base_url(input.base_url.as_deref(), state.upstreams.allow_private())?;
    if provider == ProviderKind::Custom && custom.is_none() && base_url.is_none() {
        return Err(DomainError::validation(
            "base_url",
            "Custom providers need a base URL.",
        ));
    }
    let region = match provider {
        ProviderKind::Aws => {
            Some(parse_region(input.region.as_deref())?.unwrap_or_else(|| "us-east-1".into()))
        }
        _ => None,
    };
    let provider_org_id = parse_token(
        input.provider_org_id.as_deref(),
        "provider_org_id",
        "The organization id",
        200,
        false,
    )?;
    let rotation_schedule =
        crate::rotation::schedule::parse_optional(input.rotation_schedule.as_deref())
            .map_err(|e| crate::rotation::schedule::for_field(e, "rotation_schedule"))?;
    let weight = parse_weight(input.weight)?;
    let expires_at = parse_expiry(input.expires_at)?;
    if custom.as_ref().is_some_and(|c| c.requires_org) && provider_org_id.is_none() {
        return Err(DomainError::validation(
            "provider_org_id",
            "This provider needs an organization id.",
        ));
    }

    let uid = uuid::Uuid::new_v4().to_string();
    let sealed = seal(state, user.org_id, &uid, &secret).await?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let created = provider_key::ActiveModel {
        uid: Set(uid),
        org_id: Set(user.org_id),
        project_id: Set(project_id),
        owner_user_id: Set(owner_user_id),
        provider: Set(provider.id().to_owned()),
        name: Set(name),
        description: Set(description),
        key_version: Set(Some(sealed.key_version)),
        wrapped_key: Set(Some(sealed.wrapped_key)),
        ciphertext: Set(Some(sealed.ciphertext)),
        secret_hint: Set(secret.mask(provider)),
        provider_org_id: Set(provider_org_id),
        base_url: Set(base_url),
        region: Set(region),
        next_rotation_at: Set(rotation_schedule.as_ref().and_then(|s| s.next_after(now))),
        rotation_schedule: Set(rotation_schedule.as_ref().map(|s| s.text())),
        active: Set(true),
        weight: Set(weight),
        expires_at: Set(expires_at),
        created_by: Set(user.id),
        created_at: Set(now),
        updated_at: Set(now),
        last_used_at: Set(None),
        verify_status: Set("never".into()),
        verified_at: Set(None),
        verify_detail: Set(None),
        deleted_at: Set(None),
        custom_provider_id: Set(custom.as_ref().map(|c| c.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(&txn, &created, Some(user.id), "created", "").await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn list(
    db: &DatabaseConnection,
    user: &SessionUser,
    filter: &KeyFilter,
) -> Result<Vec<provider_key::Model>, DomainError> {
    let mut condition = Condition::all()
        .add(provider_key::Column::OrgId.eq(user.org_id))
        .add(provider_key::Column::DeletedAt.is_null());
    if filter.mine_only || !user.role.is_admin() {
        condition = condition.add(provider_key::Column::OwnerUserId.eq(user.id));
    }
    if let Some(provider) = filter.provider {
        condition = condition.add(provider_key::Column::Provider.eq(provider.id()));
    }
    if let Some(active) = filter.active {
        condition = condition.add(provider_key::Column::Active.eq(active));
    }
    match filter.scope {
        Some(ScopeFilter::Project) => {
            condition = condition.add(provider_key::Column::ProjectId.is_not_null());
        }
        Some(ScopeFilter::Personal) => {
            condition = condition.add(provider_key::Column::OwnerUserId.is_not_null());
        }
        None => {}
    }
    if let Some(project_id) = filter.project_id {
        condition = condition.add(provider_key::Column::ProjectId.eq(project_id));
    }
    let mut keys = provider_key::Entity::find()
        .filter(condition)
        .order_by_asc(provider_key::Column::Provider)
        .order_by_asc(provider_key::Column::Name)
        .order_by_asc(provider_key::Column::Id)
        .all(db)
        .await?;
    if let Some(needle) = filter
        .name_contains
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let needle = needle.to_lowercase();
        keys.retain(|k| k.name.to_lowercase().contains(&needle));
    }
    Ok(keys)
}

pub async fn update(
    state: &AppState,
    user: &SessionUser,
    id: i32,
    changes: KeyChanges,
) -> Result<provider_key::Model, DomainError> {
    let db = &state.db;
    let current = get(db, user, id).await?;
    let touches_content = changes.name.is_some()
        || changes.description.is_some()
        || changes
            .key
            .as_ref()
            .is_some_and(|k| !k.expose_secret().trim().is_empty())
        || changes.secret_access_key.is_some()
        || changes.region.is_some()
        || changes.provider_org_id.is_some()
        || changes.base_url.is_some()
        || changes.expires_at.is_some()
        || changes.weight.is_some()
        || changes.rotation_schedule.is_some();
    if touches_content && !can_edit(user, &current) {
        return Err(DomainError::Forbidden(
            "Only the owner of a personal key can change it.".into(),
        ));
    }
    let provider = ProviderKind::parse(&current.provider)?;
    let mut row: provider_key::ActiveModel = current.clone().into();
    let mut events: Vec<(&str, String)> = Vec::new();
    if let Some(name) = changes.name.as_deref() {
        row.name = Set(parse_name(name)?);
    }
    if let Some(description) = changes.description.as_deref() {
        row.description = Set(parse_description(description)?);
    }
    if let Some(region) = changes.region.as_deref()
        && provider == ProviderKind::Aws
    {
        row.region = Set(Some(
            parse_region(Some(region))?.unwrap_or_else(|| "us-east-1".into()),
        ));
    }
    if let Some(org) = changes.provider_org_id.as_deref() {
        row.provider_org_id = Set(parse_token(
            Some(org),
            "provider_org_id",
            "The organization id",
            200,
            false,
        )?);
    }
    if let Some(base_url) = changes.base_url.as_deref() {
        let parsed = parse_base_url(Some(base_url), state.upstreams.allow_private())?;
        if provider == ProviderKind::Custom
            && current.custom_provider_id.is_none()
            && parsed.is_none()
        {
            return Err(DomainError::validation(
                "base_url",
                "Custom providers need a base URL.",
            ));
        }
        row.base_url = Set(parsed);
    }
    if let Some(expires_at) = changes.expires_at {
        row.expires_at = Set(parse_expiry(expires_at)?);
    }
    if let Some(weight) = changes.weight {
        row.weight = Set(parse_weight(Some(weight))?);
    }
    if let Some(schedule) = changes.rotation_schedule.as_deref() {
        let parsed = crate::rotation::schedule::parse_optional(Some(schedule))
            .map_err(|e| crate::rotation::schedule::for_field(e, "rotation_schedule"))?;
        row.next_rotation_at = Set(parsed.as_ref().and_then(|s| s.next_after(Utc::now())));
        row.rotation_schedule = Set(parsed.as_ref().map(|s| s.text()));
    }
    // A blank secret keeps the stored one; a new one replaces (and so destroys) it.
    let new_key = changes
        .key
        .as_ref()
        .map(|k| k.expose_secret().trim().to_owned())
        .filter(|k| !k.is_empty());
    if let Some(new_key) = new_key {
        let secret = ProviderSecret::parse(
            provider,
            &new_key,
            changes
                .secret_access_key
                .as_ref()
                .map(|s| s.expose_secret()),
        )?;
        let sealed = seal(state, current.org_id, &current.uid, &secret).await?;
        let hint = secret.mask(provider);
        row.key_version = Set(Some(sealed.key_version));
        row.wrapped_key = Set(Some(sealed.wrapped_key));
        row.ciphertext = Set(Some(sealed.ciphertext));
        // Replacing the secret by editing keeps no fallback (rotation does, for a while).
        clear_previous(&mut row);
        events.push((
            "rotated",
            format!("secret replaced ({} → {hint})", current.secret_hint),
        ));
        row.secret_hint = Set(hint);
        // The new secret has not been tested yet.
        row.verify_status = Set("never".into());
        row.verified_at = Set(None);
        row.verify_detail = Set(None);
    } else if changes.secret_access_key.is_some() {
        return Err(DomainError::validation(
            "key",
            "Enter the access key id together with a new secret access key.",
        ));
    }
    if touches_content && events.is_empty() {
        events.push(("updated", String::new()));
    }
    if let Some(active) = changes.active
        && active != current.active
    {
        if !can_operate(user, &current) {
            return Err(DomainError::NotFound);
        }
        row.active = Set(active);
        events.push((
            if active { "activated" } else { "deactivated" },
            String::new(),
        ));
    }
    if events.is_empty() {
        return Ok(current);
    }
    row.updated_at = Set(Utc::now());
    let txn = state.db.begin().await?;
    let updated = row.update(&txn).await?;
    for (action, detail) in events {
        record(&txn, &updated, Some(user.id), action, &detail).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Activates or deactivates a key.
pub async fn set_active(
    state: &AppState,
    user: &SessionUser,
    id: i32,
    active: bool,
) -> Result<provider_key::Model, DomainError> {
    update(
        state,
        user,
        id,
        KeyChanges {
            active: Some(active),
            ..Default::default()
        },
    )
    .await
}

/// Soft delete: the secret is destroyed, the row and its history stay.
pub async fn delete(
    db: &DatabaseConnection,
    user: &SessionUser,
    id: i32,
) -> Result<(), DomainError> {
    let current = get(db, user, id).await?;
    if !can_operate(user, &current) {
        return Err(DomainError::NotFound);
    }
    let mut row: provider_key::ActiveModel = current.clone().into();
    row.active = Set(false);
    row.key_version = Set(None);
    row.wrapped_key = Set(None);
    row.ciphertext = Set(None);
    clear_previous(&mut row);
    row.deleted_at = Set(Some(Utc::now()));
    row.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let deleted = row.update(&txn).await?;
    record(&txn, &deleted, Some(user.id), "deleted", "secret destroyed").await?;
    txn.commit().await?;
    Ok(())
}

/// The plaintext of a personal key, for its owner after re-entering their password. Every
/// attempt is recorded, refused or not; a reveal is written to the audit log before the
/// secret is decrypted, and refused when the log cannot be written.
pub async fn reveal(
    state: &AppState,
    user: &SessionUser,
    id: i32,
    password: SecretString,
    client: &crate::audit::ClientInfo,
) -> Result<ProviderSecret, DomainError> {
    use crate::audit::{self, Actor, Entry, Outcome};
    let entry = |key: &provider_key::Model| {
        Entry::new(Some(user.org_id), Actor::user(user), "provider_key.reveal")
            .provider_key(key)
            .client(client)
    };
    let key = get(&state.db, user, id).await?;
    let refused = |key: &provider_key::Model, reason: &str| {
        let mut e = entry(key).outcome(Outcome::Denied);
        let mut detail = e.detail.take().unwrap_or_default();
        detail["reason"] = reason.into();
        e.detail(detail)
    };
    if !can_reveal(user, &key) {
        audit::record(&state.db, refused(&key, "not the owner")).await;
        record(
            &state.db,
            &key,
            Some(user.id),
            "reveal_refused",
            "not the owner",
        )
        .await?;
        return Err(DomainError::Forbidden(
            "Only the owner of a personal key can reveal it.".into(),
        ));
    }
    // Wrong passwords here count against the same throttle as sign-ins: a stolen session
    // cannot be used to guess the password.
    let email = Email::parse(&user.email)?;
    throttle::check(&state.db, &email, None).await?;
    let stored = user::Entity::find_by_id(user.id)
        .one(&state.db)
        .await?
        .map(|u| u.password_hash);
    if !state.hasher.verify(password, stored).await? {
        throttle::record_failure(&state.db, &email, None).await?;
        audit::record(&state.db, refused(&key, "wrong password")).await;
        record(
            &state.db,
            &key,
            Some(user.id),
            "reveal_refused",
            "wrong password",
        )
        .await?;
        return Err(DomainError::validation(
            "password",
            "The password is not correct.",
        ));
    }
    throttle::record_success(&state.db, &email).await?;
    audit::append(&state.db, entry(&key)).await?;
    let secret = open_secret(state, &key).await?;
    record(&state.db, &key, Some(user.id), "revealed", "").await?;
    Ok(secret)
}

/// Live keys per project of an organization: `project id → (keys, active keys)`.
pub async fn count_by_project(
    db: &DatabaseConnection,
    org_id: i32,
) -> Result<std::collections::HashMap<i32, (u64, u64)>, DomainError> {
    let rows = provider_key::Entity::find()
        .filter(provider_key::Column::OrgId.eq(org_id))
        .filter(provider_key::Column::DeletedAt.is_null())
        .filter(provider_key::Column::ProjectId.is_not_null())
        .all(db)
        .await?;
    let mut counts = std::collections::HashMap::new();
    for key in rows {
        if let Some(project_id) = key.project_id {
            let entry: &mut (u64, u64) = counts.entry(project_id).or_default();
            entry.0 += 1;
            entry.1 += u64::from(key.active);
        }
    }
    Ok(counts)
}

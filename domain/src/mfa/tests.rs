//! The store against a real (SQLite) database and vault, at fixed times.

use std::sync::Arc;

use chrono::{DateTime, TimeZone as _, Utc};
use sea_orm::{ActiveModelTrait as _, DatabaseConnection, EntityTrait as _, Set};
use secrecy::ExposeSecret as _;

use super::store::{self, Method};
use super::totp::{STEP_SECS, TotpSecret};
use crate::entities::{organization, user, user_mfa};
use crate::error::DomainError;
use crate::vault::MasterKey;
use crate::vault::keyring::Keyring;
use crate::vault::live::LiveKeyring;

struct Fixture {
    _dir: tempfile::TempDir,
    db: DatabaseConnection,
    root: Arc<MasterKey>,
    ring: LiveKeyring,
    user_id: i32,
    org_id: i32,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let db = crate::db::connect_and_migrate(&url).await.unwrap();
    let root = Arc::new(MasterKey::generate());
    let ring = LiveKeyring::new(
        root.clone(),
        Keyring::load_or_init(&db, &root).await.unwrap(),
    );
    let now = Utc::now();
    let org = organization::ActiveModel {
        name: Set("Acme".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    let user = user::ActiveModel {
        org_id: Set(org.id),
        email: Set("ada@acme.test".into()),
        display_name: Set("Ada".into()),
        role: Set("member".into()),
        external_id: Set(None),
        password_hash: Set("x".into()),
        session_epoch: Set(0),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    Fixture {
        _dir: dir,
        db,
        root,
        ring,
        user_id: user.id,
        org_id: org.id,
    }
}

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).unwrap()
}

fn secret_of(enrolment: &store::Enrolment) -> TotpSecret {
    let raw = totp_rs::Secret::try_from_base32(enrolment.secret.expose_secret()).unwrap();
    TotpSecret::from_bytes(raw.as_bytes()).unwrap()
}

fn code(secret: &TotpSecret, unix: i64) -> String {
    secret.code_at(u64::try_from(unix).unwrap()).unwrap()
}

fn is_code_error(err: &DomainError) -> bool {
    matches!(
        err,
        DomainError::Validation {
            field: Some("code"),
            ..
        }
    )
}

/// Enrols the fixture's user at `t` and returns the secret and recovery codes.
async fn enrol(f: &Fixture, t: i64) -> (TotpSecret, Vec<String>) {
    let enrolment = store::begin(&f.db, &f.ring, f.user_id, f.org_id, "ada@acme.test", at(t))
        .await
        .unwrap();
    let secret = secret_of(&enrolment);
    let codes = store::confirm(&f.db, &f.ring, f.user_id, &code(&secret, t), at(t))
        .await
        .unwrap();
    (
        secret,
        codes.iter().map(|c| c.expose_secret().to_owned()).collect(),
    )
}

#[tokio::test]
async fn enrolment_needs_a_right_code_and_seals_the_secret() {
    let f = fixture().await;
    let t = 1_800_000_000;
    let enrolment = store::begin(&f.db, &f.ring, f.user_id, f.org_id, "ada@acme.test", at(t))
        .await
        .unwrap();
    assert_eq!(format!("{enrolment:?}"), "Enrolment(<redacted>)");
    assert!(
        enrolment
            .otpauth_url
            .expose_secret()
            .starts_with("otpauth://totp/Keygate:ada%40acme.test?secret=")
    );
    assert!(!store::is_enabled(&f.db, f.user_id).await.unwrap());
    let secret = secret_of(&enrolment);
    // The stored row holds no plaintext.
    let row = user_mfa::Entity::find().one(&f.db).await.unwrap().unwrap();
    assert!(
        !row.ciphertext
            .windows(8)
            .any(|w| secret.expose_bytes().starts_with(w))
    );

    let wrong = store::confirm(&f.db, &f.ring, f.user_id, "000000", at(t)).await;
    assert!(is_code_error(&wrong.unwrap_err()));
    let codes = store::confirm(&f.db, &f.ring, f.user_id, &code(&secret, t), at(t))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let status = store::status(&f.db, f.user_id).await.unwrap();
    assert!(status.enabled);
    assert_eq!(status.recovery_codes_left, 10);
    // Starting again while enabled is refused.
    let again = store::begin(&f.db, &f.ring, f.user_id, f.org_id, "ada@acme.test", at(t)).await;
    assert!(matches!(again, Err(DomainError::Conflict(_))));
}

#[tokio::test]
async fn codes_work_one_step_either_side_and_never_twice() {
    let f = fixture().await;
    let t = 1_800_000_000;
    let (secret, _) = enrol(&f, t).await;
    // The enrolment code's step is used up.
    let replay = store::check_code(&f.db, &f.ring, f.user_id, &code(&secret, t), true, at(t)).await;
    assert!(is_code_error(&replay.unwrap_err()));

    let step = STEP_SECS as i64;
    let later = t + 4 * step;
    // The next step's code, typed just before its step began, is accepted once.
    let next = code(&secret, later + step);
    let method = store::check_code(&f.db, &f.ring, f.user_id, &next, true, at(later)).await;
    assert_eq!(method.unwrap(), Method::Totp);
    let again = store::check_code(&f.db, &f.ring, f.user_id, &next, true, at(later)).await;
    assert!(is_code_error(&again.unwrap_err()));
    // An older step's code is refused after a newer one was accepted.
    let previous = code(&secret, later - step);
    let stale = store::check_code(&f.db, &f.ring, f.user_id, &previous, true, at(later)).await;
    assert!(is_code_error(&stale.unwrap_err()));
    // Two steps away is outside the window.
    let far = code(&secret, later + 4 * step);
    let early = store::check_code(&f.db, &f.ring, f.user_id, &far, true, at(later + step)).await;
    assert!(is_code_error(&early.unwrap_err()));
}

#[tokio::test]
async fn recovery_codes_work_once_and_can_be_replaced() {
    let f = fixture().await;
    let t = 1_800_000_000;
    let (_, codes) = enrol(&f, t).await;
    let first = codes[0].to_uppercase();
    let used = store::check_code(&f.db, &f.ring, f.user_id, &first, true, at(t)).await;
    assert_eq!(used.unwrap(), Method::RecoveryCode);
    let twice = store::check_code(&f.db, &f.ring, f.user_id, &first, true, at(t)).await;
    assert!(is_code_error(&twice.unwrap_err()));
    assert_eq!(
        store::status(&f.db, f.user_id)
            .await
            .unwrap()
            .recovery_codes_left,
        9
    );
    // Where only TOTP codes count, a recovery code is just a wrong code.
    let refused = store::check_code(&f.db, &f.ring, f.user_id, &codes[1], false, at(t)).await;
    assert!(is_code_error(&refused.unwrap_err()));

    let fresh = store::regenerate_codes(&f.db, f.user_id, at(t))
        .await
        .unwrap();
    let old = store::check_code(&f.db, &f.ring, f.user_id, &codes[1], true, at(t)).await;
    assert!(is_code_error(&old.unwrap_err()));
    let new = fresh[0].expose_secret();
    let ok = store::check_code(&f.db, &f.ring, f.user_id, new, true, at(t)).await;
    assert_eq!(ok.unwrap(), Method::RecoveryCode);

    store::remove(&f.db, f.user_id).await.unwrap();
    assert_eq!(
        store::status(&f.db, f.user_id).await.unwrap(),
        store::Status::default()
    );
    let off = store::check_code(
        &f.db,
        &f.ring,
        f.user_id,
        fresh[1].expose_secret(),
        true,
        at(t),
    )
    .await;
    assert!(matches!(off, Err(DomainError::Conflict(_))));
}

#[tokio::test]
async fn vault_rotation_rewraps_totp_secrets() {
    let f = fixture().await;
    let t = 1_800_000_000;
    let (secret, _) = enrol(&f, t).await;
    let before = user_mfa::Entity::find().one(&f.db).await.unwrap().unwrap();
    let ring = Keyring::load_or_init(&f.db, &f.root).await.unwrap();
    let ring = ring.add_version(&f.db, &f.root).await.unwrap();
    assert_eq!(
        super::rewrap::rows_not_on(&f.db, ring.current_version())
            .await
            .unwrap(),
        1
    );
    let (seen, rewrapped) = super::rewrap::batch(&f.db, &ring, 10).await.unwrap();
    assert_eq!((seen, rewrapped), (1, 1));
    let after = user_mfa::Entity::find().one(&f.db).await.unwrap().unwrap();
    assert_eq!(after.key_version, ring.current_version());
    assert_ne!(after.key_version, before.key_version);
    // The re-wrapped secret still yields the same codes.
    f.ring.reload(&f.db).await.unwrap();
    let t2 = t + 10 * STEP_SECS as i64;
    let ok = store::check_code(&f.db, &f.ring, f.user_id, &code(&secret, t2), true, at(t2)).await;
    assert_eq!(ok.unwrap(), Method::Totp);
}

//! Key rotation over real HTTP, on SQLite and PostgreSQL, against the fake provider: grace
//! periods for Keygate keys, provider keys verified before switching and falling back to the
//! old secret, schedules firing on a controlled clock, one-time delivery, history and audit.

use crate::common;

use chrono::{DateTime, Duration, Utc};
use common::gateway::Gateway;
use common::{Backend, PASSWORD, json_of};
use domain::entities::{audit_log, key_rotation, provider_key, virtual_key};
use domain::rotation::scheduler::run_due;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

const CHAT: &str = "/v1/chat/completions";
const OLD_SECRET: &str = "sk-proj-VALID-old-secret-0001";
const NEW_SECRET: &str = "sk-proj-VALID-new-secret-0002";
const REFUSED_SECRET: &str = "sk-proj-refused-secret-0003";

/// A gateway whose own scheduler stays out of the way (tests run it on their own clock).
async fn start(backend: Backend) -> Gateway {
    Gateway::start_with(backend, |c| {
        c.rotation_tick = std::time::Duration::from_secs(3600)
    })
    .await
}

fn chat() -> Value {
    json!({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})
}

async fn post(
    gw: &Gateway,
    client: &reqwest::Client,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let res = client
        .post(gw.app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn put(gw: &Gateway, path: &str, body: Value) -> (StatusCode, Value) {
    let res = gw
        .owner
        .put(gw.app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(gw: &Gateway, client: &reqwest::Client, path: &str) -> Value {
    let res = client.get(gw.app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    json_of(res).await
}

async fn status_of(gw: &Gateway, key: &str) -> StatusCode {
    gw.call(key, CHAT, chat()).await.status()
}

async fn rotations(gw: &Gateway, kind: &str, id: i64) -> Vec<key_rotation::Model> {
    key_rotation::Entity::find()
        .filter(key_rotation::Column::KeyKind.eq(kind))
        .filter(key_rotation::Column::KeyId.eq(id as i32))
        .all(&gw.app.state.db)
        .await
        .unwrap()
}

async fn audited(gw: &Gateway, action: &str) -> usize {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .all(&gw.app.state.db)
        .await
        .unwrap()
        .len()
}

/// Ends a Keygate key's grace period now (instead of waiting for it).
async fn end_virtual_grace(gw: &Gateway, id: i64) {
    let key = virtual_key::Entity::find_by_id(id as i32)
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: virtual_key::ActiveModel = key.into();
    row.previous_expires_at = Set(Some(Utc::now() - Duration::seconds(1)));
    row.update(&gw.app.state.db).await.unwrap();
}

fn parse_time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn keygate_keys_keep_working_until_their_grace_period_ends(backend: Backend) {
    let gw = start(backend).await;
    gw.add_key("openai", OLD_SECRET).await;
    let (id, old) = gw.mint(json!({})).await;
    let path = format!("/api/admin/virtual-keys/{id}/rotate");

    let (status, body) = post(&gw, &gw.owner, &path, json!({"graceHours": 721})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let res = gw.owner.post(gw.app.url(&path)).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "no body: default grace period"
    );
    let body = json_of(res).await;
    let new = body["newKey"].as_str().unwrap().to_owned();
    assert!(new.starts_with("sk-proxy-") && new != old);
    assert!(
        body["oldKey"]
            .as_str()
            .unwrap()
            .ends_with(&old[old.len() - 4..])
    );
    let grace = parse_time(&body["expiresAt"]) - Utc::now();
    assert!(
        grace > Duration::hours(23) && grace <= Duration::hours(24),
        "{grace}"
    );

    // Both keys work during the grace period; the new one at once.
    assert_eq!(status_of(&gw, &new).await, StatusCode::OK);
    assert_eq!(status_of(&gw, &old).await, StatusCode::OK);
    // When it ends, the old key answers 401 (a cached lookup is re-read within 500 ms).
    end_virtual_grace(&gw, id).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let res = gw.call(&old, CHAT, chat()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("rotated"));
    assert_eq!(status_of(&gw, &new).await, StatusCode::OK);

    // Grace 0: the replaced key stops at once.
    let (status, body) = post(&gw, &gw.owner, &path, json!({"graceHours": 0})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let newest = body["newKey"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&gw, &new).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&gw, &newest).await, StatusCode::OK);

    // Revoking stops the key and its predecessor; revoked keys cannot be rotated.
    let (_, body) = post(&gw, &gw.owner, &path, json!({"graceHours": 5})).await;
    let last = body["newKey"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&gw, &newest).await, StatusCode::OK);
    let (status, _) = post(
        &gw,
        &gw.owner,
        &format!("/api/admin/virtual-keys/{id}/revoke"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_of(&gw, &newest).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&gw, &last).await, StatusCode::UNAUTHORIZED);
    let (status, _) = post(&gw, &gw.owner, &path, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let history = get(
        &gw,
        &gw.owner,
        &format!("/api/admin/virtual-keys/{id}/rotations"),
    )
    .await;
    let entries = history["rotations"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let owner_id = gw.app.user_id("owner@acme.test").await;
    for entry in entries {
        assert_eq!(entry["trigger"], "manual");
        assert_eq!(entry["outcome"], "success");
        assert_eq!(entry["actorUserId"], owner_id);
        assert!(entry["graceUntil"].is_string());
    }
    assert_eq!(audited(&gw, "virtual_key.rotate").await, 3);
    gw.finish().await;
}

async fn owners_rotate_their_own_keygate_keys(backend: Backend) {
    let gw = start(backend).await;
    let res = gw
        .app
        .create_user(&gw.owner, "Mia", "mia@acme.test", "member", PASSWORD)
        .await;
    assert!(res.status().is_success());
    let mia = gw.app.signed_in("mia@acme.test", PASSWORD).await;
    let mia_id = gw.app.user_id("mia@acme.test").await;
    let (hers, _) = gw.mint(json!({"userId": mia_id})).await;
    let (other, _) = gw.mint(json!({})).await;

    let (status, body) = post(
        &gw,
        &mia,
        &format!("/api/virtual-keys/{hers}/rotate"),
        json!({"graceHours": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["newKey"].as_str().unwrap().starts_with("sk-proxy-"));
    let (status, _) = post(
        &gw,
        &mia,
        &format!("/api/virtual-keys/{other}/rotate"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not hers");
    let (status, _) = post(
        &gw,
        &mia,
        &format!("/api/admin/virtual-keys/{hers}/rotate"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admin route");
    gw.finish().await;
}

async fn provider_rotation_is_refused_when_the_provider_refuses_the_new_secret(backend: Backend) {
    let gw = start(backend).await;
    let id = gw.add_key("openai", OLD_SECRET).await;
    let (_, key) = gw.mint(json!({})).await;
    let before = gw.app.open_every_key().await;
    let path = format!("/api/admin/api-keys/{id}/rotate");

    let (status, body) = put(&gw, &path, json!({"key": REFUSED_SECRET})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("rejected") && message.contains("not rotated"),
        "{message}"
    );
    assert!(!body.to_string().contains("refused-secret"), "{body}");
    let (status, _) = put(&gw, &path, json!({"key": OLD_SECRET})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the current secret again"
    );

    // Nothing changed: same secret, same mask, still serving.
    assert_eq!(gw.app.open_every_key().await, before);
    let shown = get(&gw, &gw.owner, &format!("/api/admin/api-keys/{id}")).await;
    assert_eq!(shown["key"], "sk-proj-…0001");
    assert!(shown["previousSecretUntil"].is_null());
    gw.fake.clear();
    assert_eq!(status_of(&gw, &key).await, StatusCode::OK);
    assert_eq!(gw.fake.credentials_seen(), vec![OLD_SECRET.to_owned()]);
    let history = get(
        &gw,
        &gw.owner,
        &format!("/api/admin/api-keys/{id}/rotations"),
    )
    .await;
    let entries = history["rotations"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["outcome"], "failed");
    assert!(
        !entries[0]["detail"]
            .as_str()
            .unwrap()
            .contains("refused-secret")
    );
    gw.finish().await;
}

async fn provider_rotation_switches_and_falls_back_to_the_old_secret(backend: Backend) {
    let gw = start(backend).await;
    let id = gw.add_key("openai", OLD_SECRET).await;
    let (_, key) = gw.mint(json!({})).await;
    assert_eq!(status_of(&gw, &key).await, StatusCode::OK);

    let path = format!("/api/admin/api-keys/{id}/rotate");
    let (status, body) = put(&gw, &path, json!({"key": NEW_SECRET, "graceHours": 2})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["oldKey"], "sk-proj-…0001");
    assert_eq!(body["newKey"], "sk-proj-…0002");
    let grace = parse_time(&body["expiresAt"]) - Utc::now();
    assert!(grace > Duration::minutes(119) && grace <= Duration::hours(2));
    assert!(
        !body.to_string().contains("VALID"),
        "no secret in the answer"
    );

    // The proxy uses the new secret at once…
    gw.fake.clear();
    assert_eq!(status_of(&gw, &key).await, StatusCode::OK);
    assert_eq!(gw.fake.credentials_seen(), vec![NEW_SECRET.to_owned()]);
    // …and falls back to the old one when the provider refuses the new one.
    gw.fake.refuse(NEW_SECRET);
    gw.fake.clear();
    assert_eq!(status_of(&gw, &key).await, StatusCode::OK);
    assert_eq!(
        gw.fake.credentials_seen(),
        vec![NEW_SECRET.to_owned(), OLD_SECRET.to_owned()]
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let shown = get(&gw, &gw.owner, &format!("/api/admin/api-keys/{id}")).await;
    assert_eq!(shown["verification"]["status"], "valid", "not quarantined");
    assert!(shown["previousSecretUntil"].is_string());

    // After the grace period the old secret is gone (swept) and no longer tried.
    let row = provider_key::Entity::find_by_id(id as i32)
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: provider_key::ActiveModel = row.into();
    active.previous_expires_at = Set(Some(Utc::now() - Duration::seconds(1)));
    active.update(&gw.app.state.db).await.unwrap();
    let report = run_due(&gw.app.state, Utc::now()).await.unwrap();
    assert_eq!(report.expired, 1);
    let row = provider_key::Entity::find_by_id(id as i32)
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.previous_ciphertext.is_none() && row.previous_key_version.is_none());
    gw.fake.clear();
    assert_eq!(status_of(&gw, &key).await, StatusCode::BAD_GATEWAY);
    assert_eq!(gw.fake.credentials_seen(), vec![NEW_SECRET.to_owned()]);

    let history = get(
        &gw,
        &gw.owner,
        &format!("/api/admin/api-keys/{id}/rotations"),
    )
    .await;
    assert_eq!(history["rotations"][0]["outcome"], "success");
    assert_eq!(audited(&gw, "provider_key.rotate").await, 1);
    gw.finish().await;
}

async fn schedules_rotate_keygate_keys_and_deliver_the_new_key_once(backend: Backend) {
    let gw = start(backend).await;
    gw.add_key("openai", OLD_SECRET).await;
    let (id, old) = gw.mint(json!({})).await;
    let path = format!("/api/admin/virtual-keys/{id}/rotation-schedule");
    for (bad, hint) in [
        ("every 0 days", "whole number"),
        ("* * * * *", "an hour apart"),
        ("0 3 * *", "five fields"),
    ] {
        let (status, body) = put(&gw, &path, json!({"schedule": bad})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(hint),
            "{body}"
        );
    }
    let (status, body) = put(&gw, &path, json!({"schedule": "every 7 days"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let next = parse_time(&body["nextRotationAt"]);
    let ahead = next - Utc::now();
    assert!(ahead > Duration::days(7) - Duration::minutes(1) && ahead <= Duration::days(7));

    // Not due yet: nothing happens.
    assert!(
        run_due(&gw.app.state, Utc::now())
            .await
            .unwrap()
            .rotated
            .is_empty()
    );
    // Due: rotated once, however often the scheduler runs.
    let at = next + Duration::seconds(1);
    assert_eq!(
        run_due(&gw.app.state, at).await.unwrap().rotated,
        vec![id as i32]
    );
    assert!(run_due(&gw.app.state, at).await.unwrap().rotated.is_empty());
    let history = rotations(&gw, "virtual", id).await;
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].trigger.as_str(), history[0].outcome.as_str()),
        ("schedule", "success")
    );
    assert_eq!(history[0].actor_user_id, None);
    let row = virtual_key::Entity::find_by_id(id as i32)
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let drift = row.next_rotation_at.unwrap() - (at + Duration::days(7));
    assert!(drift.num_milliseconds().abs() < 1, "{drift}");
    assert_eq!(status_of(&gw, &old).await, StatusCode::OK, "grace period");

    // A master-key rotation re-wraps the sealed delivery too.
    let report =
        domain::vault::rotation::rotate(&gw.app.state.db, &gw.app.state.master_key, 10, None)
            .await
            .unwrap();
    assert!(report.rewrapped >= 2, "{report:?}");
    assert!(report.retired.contains(&1), "{report:?}");

    // The owner (the key's creator) reveals the new key once; nobody else can.
    let list = get(&gw, &gw.owner, "/api/deliveries").await;
    let deliveries = list["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0]["keyId"], id);
    let delivery = deliveries[0]["id"].as_i64().unwrap();
    let reveal = format!("/api/deliveries/{delivery}/reveal");
    gw.app
        .create_user(&gw.owner, "Mia", "mia@acme.test", "admin", PASSWORD)
        .await;
    let mia = gw.app.signed_in("mia@acme.test", PASSWORD).await;
    assert_eq!(
        post(&gw, &mia, &reveal, json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = post(&gw, &gw.owner, &reveal, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new = body["key"].as_str().unwrap().to_owned();
    assert!(new.starts_with("sk-proxy-") && new != old);
    assert_eq!(status_of(&gw, &new).await, StatusCode::OK);
    assert_eq!(
        post(&gw, &gw.owner, &reveal, json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        get(&gw, &gw.owner, "/api/deliveries").await["deliveries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(audited(&gw, "virtual_key.rotate").await, 1);
    assert_eq!(audited(&gw, "virtual_key.delivery_reveal").await, 1);
    gw.finish().await;
}

async fn due_provider_keys_are_noted_once_and_shown_overdue(backend: Backend) {
    let gw = start(backend).await;
    let id = gw.add_key("openai", OLD_SECRET).await;
    let path = format!("/api/admin/api-keys/{id}/rotation-schedule");
    let (status, body) = put(&gw, &path, json!({"schedule": "0 3 1 * *"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let next = parse_time(&body["nextRotationAt"]);
    assert!(body["overdueSince"].is_null());

    let at = next + Duration::seconds(1);
    assert_eq!(
        run_due(&gw.app.state, at).await.unwrap().due,
        vec![id as i32]
    );
    assert!(run_due(&gw.app.state, at).await.unwrap().due.is_empty());
    assert!(
        run_due(&gw.app.state, at + Duration::hours(1))
            .await
            .unwrap()
            .due
            .is_empty()
    );
    let history = rotations(&gw, "provider", id).await;
    assert_eq!(history.len(), 1, "one entry per due time");
    assert_eq!(
        (history[0].trigger.as_str(), history[0].outcome.as_str()),
        ("schedule", "due")
    );

    // Shown overdue once the due time has passed, until someone rotates the key.
    let row = provider_key::Entity::find_by_id(id as i32)
        .one(&gw.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: provider_key::ActiveModel = row.into();
    active.next_rotation_at = Set(Some(Utc::now() - Duration::hours(2)));
    active.update(&gw.app.state.db).await.unwrap();
    let shown = get(&gw, &gw.owner, &format!("/api/admin/api-keys/{id}")).await;
    assert!(shown["rotationOverdueSince"].is_string(), "{shown}");
    let overdue = domain::rotation::provider_keys::overdue(&gw.app.state.db, None, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        overdue.iter().map(|o| o.key_id).collect::<Vec<_>>(),
        vec![id as i32]
    );
    let (status, body) = put(
        &gw,
        &format!("/api/admin/api-keys/{id}/rotate"),
        json!({"key": NEW_SECRET}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let shown = get(&gw, &gw.owner, &format!("/api/admin/api-keys/{id}")).await;
    assert!(shown["rotationOverdueSince"].is_null(), "{shown}");
    assert!(parse_time(&shown["nextRotationAt"]) > Utc::now());
    gw.finish().await;
}

on_both_databases!(
    keygate_keys_keep_working_until_their_grace_period_ends,
    owners_rotate_their_own_keygate_keys,
    provider_rotation_is_refused_when_the_provider_refuses_the_new_secret,
    provider_rotation_switches_and_falls_back_to_the_old_secret,
    schedules_rotate_keygate_keys_and_deliver_the_new_key_once,
    due_provider_keys_are_noted_once_and_shown_overdue,
);

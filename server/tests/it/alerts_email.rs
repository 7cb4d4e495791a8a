//! Alert e-mails end to end, through a real SMTP conversation with a fake server: a rule with
//! recipients sends exactly one message when it fires (and one when it resolves), never
//! again for the same condition; an SMTP server that is down is retried with back-off; an
//! unreachable one is given up on; bad recipients are refused; without SMTP configured rules
//! are kept and their e-mails fail with the reason in the log.

use crate::common;

use common::fake_smtp::FakeSmtp;
use common::gateway::Gateway;
use common::{Backend, json_of};
use domain::alerts::{email, webhooks};
use domain::entities::provider_key;
use keygate_server::config::Redacted;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";
const FROM: &str = "Keygate Alerts <keygate@acme.test>";

async fn with_smtp(backend: Backend, url: String) -> Gateway {
    Gateway::start_with(backend, move |c| {
        c.smtp_url = Some(Redacted(url));
        c.smtp_from = Some(FROM.into());
    })
    .await
}

async fn post(gw: &Gateway, path: &str, body: Value) -> reqwest::Response {
    gw.owner
        .post(gw.app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(gw: &Gateway, path: &str) -> Value {
    let res = gw.owner.get(gw.app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    json_of(res).await
}

/// A provider key (named apart from its secret) and a rule e-mailing `to` when it is
/// quarantined; returns the key's id.
async fn quarantine_rule(gw: &Gateway, to: Value) -> i32 {
    let key_id = gw
        .add_key_with(
            json!({"provider": "openai", "name": "Prod OpenAI", "key": OPENAI_KEY,
                             "projectId": gw.project}),
        )
        .await;
    let res = post(
        gw,
        "/api/admin/alerts/rules",
        json!({"name": "Refused keys", "kind": "key_quarantined", "inApp": false, "emailTo": to}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    i32::try_from(key_id).unwrap()
}

async fn clear_quarantine(gw: &Gateway, key_id: i32) {
    let db = &gw.app.state.db;
    let key = provider_key::Entity::find_by_id(key_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut active: provider_key::ActiveModel = key.into();
    active.verify_status = Set("valid".into());
    active.verify_detail = Set(None);
    active.update(db).await.unwrap();
}

async fn a_rule_with_recipients_sends_one_email(backend: Backend) {
    let smtp = FakeSmtp::start().await;
    let gw = with_smtp(backend, smtp.url()).await;
    let key_id = quarantine_rule(&gw, json!(["ops@acme.test", " oncall@acme.test "])).await;
    let rules = get(&gw, "/api/admin/alerts/rules").await;
    assert_eq!(rules["smtpConfigured"], true);
    assert_eq!(
        rules["rules"][0]["emailTo"],
        json!(["ops@acme.test", "oncall@acme.test"])
    );
    assert_eq!(rules["rules"][0]["emailStatus"], "ready");

    let db = &gw.app.state.db;
    let state = &gw.app.state;
    domain::gateway::quarantine::quarantine(db, key_id, 401).await;
    let now = chrono::Utc::now();
    assert_eq!(
        domain::alerts::evaluate(db, now).await.unwrap().fired.len(),
        1
    );
    let report = email::deliver_due(state, now).await.unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");

    let sent = smtp.messages();
    assert_eq!(sent.len(), 1);
    let message = &sent[0];
    assert_eq!(message.mail_from, "keygate@acme.test");
    assert_eq!(message.rcpt_to, ["ops@acme.test", "oncall@acme.test"]);
    let from = message.header("From").unwrap();
    assert!(from.contains("keygate@acme.test"), "{from}");
    let to = message.header("To").unwrap();
    assert!(
        to.contains("ops@acme.test") && to.contains("oncall@acme.test"),
        "{to}"
    );
    assert_eq!(
        message.header("Subject").unwrap(),
        "[Keygate] Alert: Refused keys"
    );
    assert!(message.data.contains("quarantined"), "{}", message.data);
    assert!(message.data.contains("/alerts"), "{}", message.data);
    // Nothing secret travels: not the provider key, not the SMTP settings' sender secrets.
    assert!(!message.data.contains(OPENAI_KEY));
    assert!(!message.data.contains("whsec_"));

    // The same condition never mails again, however often the rules run.
    for _ in 0..3 {
        let later = chrono::Utc::now();
        assert!(
            domain::alerts::evaluate(db, later)
                .await
                .unwrap()
                .fired
                .is_empty()
        );
        email::deliver_due(state, later).await.unwrap();
    }
    assert_eq!(smtp.messages().len(), 1);
    let log = get(&gw, "/api/admin/alerts/email-deliveries").await;
    assert_eq!(log["smtpConfigured"], true);
    let entries = log["deliveries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["status"], "delivered");
    assert_eq!(entries[0]["attempts"], 1);
    assert_eq!(entries[0]["event"], "alert.fired");
    assert_eq!(
        entries[0]["recipients"],
        json!(["ops@acme.test", "oncall@acme.test"])
    );

    // Cleared: one "Resolved" message, through the REST evaluate as well.
    clear_quarantine(&gw, key_id).await;
    let res = post(&gw, "/api/admin/alerts/evaluate", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let sent = smtp.messages();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].header("Subject").unwrap(),
        "[Keygate] Resolved: Refused keys"
    );
    gw.finish().await;
}

async fn an_smtp_server_that_is_down_is_retried(backend: Backend) {
    let smtp = FakeSmtp::start().await;
    let gw = with_smtp(backend, smtp.url()).await;
    let key_id = quarantine_rule(&gw, json!(["ops@acme.test"])).await;
    let state = &gw.app.state;
    smtp.set_down(true);
    domain::gateway::quarantine::quarantine(&state.db, key_id, 403).await;
    let now = chrono::Utc::now();
    domain::alerts::evaluate(&state.db, now).await.unwrap();
    let report = email::deliver_due(state, now).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (0, 1));
    let log = get(&gw, "/api/admin/alerts/email-deliveries").await;
    assert_eq!(log["deliveries"][0]["status"], "pending");
    let reason = log["deliveries"][0]["lastError"].as_str().unwrap();
    assert!(reason.contains("421"), "{reason}");

    // Not before the back-off (30 s) …
    smtp.set_down(false);
    let report = email::deliver_due(state, now + chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(report, webhooks::DeliveryReport::default());
    assert!(smtp.messages().is_empty());
    // … then delivered, once.
    let report = email::deliver_due(state, now + chrono::Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
    email::deliver_due(state, now + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(smtp.messages().len(), 1);
    let log = get(&gw, "/api/admin/alerts/email-deliveries").await;
    assert_eq!(log["deliveries"][0]["status"], "delivered");
    assert_eq!(log["deliveries"][0]["attempts"], 2);
    gw.finish().await;
}

async fn an_unreachable_smtp_server_is_given_up_on(backend: Backend) {
    // A port nobody listens on.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let gw = with_smtp(backend, format!("smtp://127.0.0.1:{port}?tls=none")).await;
    let key_id = quarantine_rule(&gw, json!(["ops@acme.test"])).await;
    let state = &gw.app.state;
    domain::gateway::quarantine::quarantine(&state.db, key_id, 401).await;
    let mut at = chrono::Utc::now();
    domain::alerts::evaluate(&state.db, at).await.unwrap();
    for _ in 0..10 {
        email::deliver_due(state, at).await.unwrap();
        at += chrono::Duration::hours(7);
    }
    let log = get(&gw, "/api/admin/alerts/email-deliveries").await;
    let entry = &log["deliveries"][0];
    assert_eq!(entry["status"], "failed", "{log}");
    assert_eq!(entry["attempts"], webhooks::MAX_ATTEMPTS);
    let reason = entry["lastError"].as_str().unwrap();
    assert!(reason.contains("could not reach"), "{reason}");
    gw.finish().await;
}

async fn bad_recipients_are_refused(backend: Backend) {
    let smtp = FakeSmtp::start().await;
    let gw = with_smtp(backend, smtp.url()).await;
    let too_many: Vec<String> = (0..21).map(|i| format!("u{i}@acme.test")).collect();
    for (to, message) in [
        (
            json!(["ops@acme.test", "nope"]),
            "Not an e-mail address: nope",
        ),
        (json!(["Ops <ops@acme.test>"]), "Not an e-mail address"),
        (
            json!(["ops@acme.test\r\nBcc: evil@elsewhere.test"]),
            "Not an e-mail address",
        ),
        (json!(too_many), "At most 20"),
    ] {
        let res = post(
            &gw,
            "/api/admin/alerts/rules",
            json!({"name": "x", "kind": "key_quarantined", "emailTo": to}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{to}");
        let body = json_of(res).await;
        assert_eq!(body["error"]["code"], "validation_failed", "{body}");
        let text = body["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{to}: {text}");
    }
    let res = post(
        &gw,
        "/api/admin/alerts/rules",
        json!({"name": "x", "kind": "key_quarantined", "emailTo": "ops@acme.test"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        get(&gw, "/api/admin/alerts/rules").await["rules"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    gw.finish().await;
}

async fn without_smtp_rules_are_kept_and_emails_fail_visibly(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let key_id = quarantine_rule(&gw, json!(["ops@acme.test"])).await;
    let rules = get(&gw, "/api/admin/alerts/rules").await;
    assert_eq!(rules["smtpConfigured"], false);
    assert_eq!(rules["rules"][0]["emailStatus"], "smtp_not_configured");
    let state = &gw.app.state;
    domain::gateway::quarantine::quarantine(&state.db, key_id, 401).await;
    let now = chrono::Utc::now();
    domain::alerts::evaluate(&state.db, now).await.unwrap();
    let report = email::deliver_due(state, now).await.unwrap();
    assert_eq!(report.failed, 1);
    let log = get(&gw, "/api/admin/alerts/email-deliveries").await;
    assert_eq!(log["smtpConfigured"], false);
    assert_eq!(log["deliveries"][0]["status"], "failed");
    assert_eq!(log["deliveries"][0]["attempts"], 0);
    let reason = log["deliveries"][0]["lastError"].as_str().unwrap();
    assert!(reason.contains("SMTP is not configured"), "{reason}");
    gw.finish().await;
}

async fn smtp_settings_are_checked_at_start(backend: Backend) {
    let database = common::TestDatabase::create(backend).await;
    for (url, from, expected) in [
        ("smtp://mail.acme.test", None, "KEYGATE_SMTP_FROM is not"),
        (
            "smtp://alice:hunter2@mail.acme.test:25?tls=none",
            Some(FROM),
            "need TLS",
        ),
        (
            "gopher://alice:hunter2@mail.acme.test",
            Some(FROM),
            "unknown scheme",
        ),
        (
            "smtp://mail.acme.test",
            Some("not an address"),
            "KEYGATE_SMTP_FROM",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = common::config_for(&dir, &database);
        config.smtp_url = Some(Redacted(url.into()));
        config.smtp_from = from.map(str::to_owned);
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let Err(err) = keygate_server::Server::bind(&config).await else {
            panic!("{url} was accepted");
        };
        let text = err.to_string();
        assert!(text.contains(expected), "{url}: {text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
    database.drop_database().await;
}

on_both_databases!(
    a_rule_with_recipients_sends_one_email,
    an_smtp_server_that_is_down_is_retried,
    an_unreachable_smtp_server_is_given_up_on,
    bad_recipients_are_refused,
    without_smtp_rules_are_kept_and_emails_fail_visibly,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_settings_are_checked_at_start_sqlite() {
    smtp_settings_are_checked_at_start(Backend::Sqlite).await;
}

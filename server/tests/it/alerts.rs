//! Alerts end to end: a budget rule fires once per condition and period (no floods), reaches
//! the bell and a signed webhook (retried with back-off after a failure), and resolves when
//! the condition clears; a quarantined key fires and resolves; the REST API validates rules.

use crate::common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use common::gateway::Gateway;
use common::{Backend, json_of};
use domain::alerts::webhooks;
use domain::entities::{provider_key, webhook_delivery};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-proj-VALID-openai-0001";

/// A webhook receiver on loopback: records every request and answers the queued statuses
/// (200 once the queue is empty).
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(answers: &[u16]) -> (Self, String) {
        let receiver = Self::default();
        receiver.answers.lock().unwrap().extend(answers);
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    state.seen.lock().unwrap().push((headers, body));
                    let status = state.answers.lock().unwrap().pop_front().unwrap_or(200);
                    AxumStatus::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn seen(&self) -> Vec<(HeaderMap, String)> {
        self.seen.lock().unwrap().clone()
    }
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

async fn a_budget_alert_fires_once_notifies_and_resolves(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", OPENAI_KEY).await;
    let (key_id, key) = gw.mint(json!({})).await;
    let (receiver, url) = Receiver::start(&[500]).await;

    let res = post(
        &gw,
        "/api/admin/webhooks",
        json!({"name": "ops", "url": url}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let hook = json_of(res).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let listed = get(&gw, "/api/admin/webhooks").await;
    assert!(listed["webhooks"][0].get("secret").is_none(), "{listed}");

    let res = post(
        &gw,
        "/api/admin/alerts/rules",
        json!({"name": "Half the budget", "kind": "budget_threshold",
               "params": {"percent": 50}, "webhookIds": [hook["id"]]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = gw
        .owner
        .put(gw.app.url(&format!("/api/admin/limits/key/{key_id}")))
        .json(&json!({"limitTokens": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let db = &gw.app.state.db;
    let now = chrono::Utc::now();
    assert!(
        domain::alerts::evaluate(db, now)
            .await
            .unwrap()
            .fired
            .is_empty()
    );

    // 18 of 30 tokens: 60%.
    let res = gw
        .call(
            &key,
            "/v1/chat/completions",
            json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    gw.app.state.gateway.ledger.flush().await;
    let first = domain::alerts::evaluate(db, now).await.unwrap();
    assert_eq!(first.fired.len(), 1);
    // No floods: the same condition in the same period does not fire again.
    for _ in 0..3 {
        assert!(
            domain::alerts::evaluate(db, now)
                .await
                .unwrap()
                .fired
                .is_empty()
        );
    }
    let bell = get(&gw, "/api/notifications").await;
    assert_eq!(bell["unread"], 1);
    assert_eq!(bell["notifications"][0]["title"], "Alert: Half the budget");
    assert!(
        bell["notifications"][0]["body"]
            .as_str()
            .unwrap()
            .contains("60%")
    );

    // The webhook: refused once (500), retried after the back-off, then delivered.
    let state = &gw.app.state;
    let report = webhooks::deliver_due(state, now).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (0, 1));
    let report = webhooks::deliver_due(state, now + chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(report, webhooks::DeliveryReport::default());
    let report = webhooks::deliver_due(state, now + chrono::Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
    let seen = receiver.seen();
    assert_eq!(seen.len(), 2);
    let (headers, body) = &seen[1];
    let timestamp: i64 = headers["x-keygate-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        headers["x-keygate-signature"].to_str().unwrap(),
        webhooks::sign(&secret, timestamp, body)
    );
    assert_ne!(
        headers["x-keygate-signature"].to_str().unwrap(),
        webhooks::sign("whsec_wrong", timestamp, body)
    );
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["event"], "alert.fired");
    assert!(
        payload["text"]
            .as_str()
            .unwrap()
            .contains("Half the budget")
    );
    assert_eq!(payload["alert"]["state"], "firing");
    let log = get(
        &gw,
        &format!("/api/admin/webhooks/{}/deliveries", hook["id"]),
    )
    .await;
    assert_eq!(log["deliveries"][0]["status"], "delivered");
    assert_eq!(log["deliveries"][0]["attempts"], 2);

    // Raising the budget clears the condition: resolved, once.
    let res = gw
        .owner
        .put(gw.app.url(&format!("/api/admin/limits/key/{key_id}")))
        .json(&json!({"limitTokens": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let later = now + chrono::Duration::minutes(1);
    assert_eq!(
        domain::alerts::evaluate(db, later)
            .await
            .unwrap()
            .resolved
            .len(),
        1
    );
    assert!(
        domain::alerts::evaluate(db, later)
            .await
            .unwrap()
            .resolved
            .is_empty()
    );
    webhooks::deliver_due(state, later).await.unwrap();
    let last: Value = serde_json::from_str(&receiver.seen().last().unwrap().1).unwrap();
    assert_eq!(last["event"], "alert.resolved");
    let bell = get(&gw, "/api/notifications").await;
    assert_eq!(bell["unread"], 2);
    let res = post(&gw, "/api/notifications/read", json!({})).await;
    assert_eq!(json_of(res).await["marked"], 2);
    assert_eq!(get(&gw, "/api/notifications").await["unread"], 0);
    gw.finish().await;
}

async fn a_failing_webhook_gives_up_after_its_attempts(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let (receiver, url) = Receiver::start(&[500; 10]).await;
    let hook = json_of(
        post(
            &gw,
            "/api/admin/webhooks",
            json!({"name": "down", "url": url}),
        )
        .await,
    )
    .await;
    let id = hook["id"].as_i64().unwrap();
    let sent = json_of(post(&gw, &format!("/api/admin/webhooks/{id}/test"), json!({})).await).await;
    assert_eq!(sent["status"], "pending");
    assert_eq!(sent["lastStatus"], 500);
    let mut at = chrono::Utc::now();
    for _ in 0..10 {
        at += chrono::Duration::hours(7);
        webhooks::deliver_due(&gw.app.state, at).await.unwrap();
    }
    let row =
        webhook_delivery::Entity::find_by_id(i32::try_from(sent["id"].as_i64().unwrap()).unwrap())
            .one(&gw.app.state.db)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(row.status, "failed");
    assert_eq!(row.attempts, webhooks::MAX_ATTEMPTS);
    assert_eq!(
        receiver.seen().len(),
        usize::try_from(webhooks::MAX_ATTEMPTS).unwrap()
    );
    gw.finish().await;
}

async fn quarantined_keys_alert_and_resolve(backend: Backend) {
    let gw = Gateway::start(backend).await;
    let key_id = gw.add_key("openai", OPENAI_KEY).await;
    let res = post(
        &gw,
        "/api/admin/alerts/rules",
        json!({"name": "Refused keys", "kind": "key_quarantined"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let db = &gw.app.state.db;
    domain::gateway::quarantine::quarantine(db, i32::try_from(key_id).unwrap(), 401).await;
    let fired = json_of(post(&gw, "/api/admin/alerts/evaluate", json!({})).await).await;
    assert_eq!(fired["events"].as_array().unwrap().len(), 1);
    assert!(
        fired["events"][0]["message"]
            .as_str()
            .unwrap()
            .contains("quarantined")
    );
    let key = provider_key::Entity::find_by_id(i32::try_from(key_id).unwrap())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut active: provider_key::ActiveModel = key.into();
    active.verify_status = Set("valid".into());
    active.verify_detail = Set(None);
    active.update(db).await.unwrap();
    let now = chrono::Utc::now();
    assert_eq!(
        domain::alerts::evaluate(db, now)
            .await
            .unwrap()
            .resolved
            .len(),
        1
    );
    // Quarantined again later: it fires again (it had resolved).
    domain::gateway::quarantine::quarantine(db, i32::try_from(key_id).unwrap(), 403).await;
    assert_eq!(
        domain::alerts::evaluate(db, now).await.unwrap().fired.len(),
        1
    );
    let events = get(&gw, "/api/admin/alerts/events").await;
    assert_eq!(events["events"][0]["state"], "firing");
    gw.finish().await;
}

async fn rules_are_validated_and_for_admins(backend: Backend) {
    let gw = Gateway::start(backend).await;
    for (body, message) in [
        (
            json!({"name": "x", "kind": "budget_threshold"}),
            "percentage",
        ),
        (
            json!({"name": "x", "kind": "nonsense"}),
            "Unknown alert kind",
        ),
        (
            json!({"name": " ", "kind": "key_quarantined"}),
            "Name the rule",
        ),
        (
            json!({"name": "x", "kind": "key_quarantined", "inApp": false}),
            "Send the alert somewhere",
        ),
        (
            json!({"name": "x", "kind": "key_quarantined", "webhookIds": [999]}),
            "webhook does not exist",
        ),
        (
            json!({"name": "x", "kind": "error_rate", "params": {"windowMinutes": 1}}),
            "5–1440 minutes",
        ),
    ] {
        let res = post(&gw, "/api/admin/alerts/rules", body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let text = res.text().await.unwrap();
        assert!(text.contains(message), "{body}: {text}");
    }
    let res = post(
        &gw,
        "/api/admin/webhooks",
        json!({"name": "x", "url": "ftp://nope"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    gw.app
        .create_user(
            &gw.owner,
            "Mia",
            "mia@acme.test",
            "member",
            common::PASSWORD,
        )
        .await;
    let member = gw.app.signed_in("mia@acme.test", common::PASSWORD).await;
    let res = member
        .get(gw.app.url("/api/admin/alerts/rules"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = member
        .get(gw.app.url("/api/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    gw.finish().await;
}

on_both_databases!(
    a_budget_alert_fires_once_notifies_and_resolves,
    a_failing_webhook_gives_up_after_its_attempts,
    quarantined_keys_alert_and_resolve,
    rules_are_validated_and_for_admins,
);

//! A Keygate server wired to the fake provider, with helpers to store provider keys, mint
//! Keygate keys and read the usage ledger.
#![allow(dead_code)]

use domain::entities::usage_event;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use super::fake_provider::FakeProvider;
use super::{Backend, PASSWORD, TestApp, json_of, spawn_app_with};

pub struct Gateway {
    pub app: TestApp,
    pub owner: reqwest::Client,
    pub fake: FakeProvider,
    pub project: i64,
}

impl Gateway {
    /// A server whose built-in providers all point at a fresh fake provider.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(
        backend: Backend,
        adjust: impl FnOnce(&mut keygate_server::config::Config),
    ) -> Self {
        let fake = FakeProvider::start().await;
        let overrides = fake.overrides();
        let app = spawn_app_with(backend, |c| {
            c.allow_private_upstreams = true;
            c.upstream_overrides = Some(overrides);
            adjust(c);
        })
        .await;
        app.create_owner("owner@acme.test").await;
        let owner = app.signed_in("owner@acme.test", PASSWORD).await;
        let project = app.create_project(&owner, "Backend").await;
        Self {
            app,
            owner,
            fake,
            project,
        }
    }

    /// Stores a provider key in the project; returns its id.
    pub async fn add_key(&self, provider: &str, key: &str) -> i64 {
        self.add_key_with(
            json!({"provider": provider, "name": key, "key": key, "projectId": self.project}),
        )
        .await
    }

    pub async fn add_key_with(&self, body: Value) -> i64 {
        let res = self
            .owner
            .post(self.app.url("/api/admin/api-keys"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{body}");
        json_of(res).await["id"].as_i64().unwrap()
    }

    /// Mints a Keygate key for the project; returns (id, key).
    pub async fn mint(&self, extra: Value) -> (i64, String) {
        let mut body = json!({"projectId": self.project, "name": "test key"});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        let res = self
            .owner
            .post(self.app.url("/api/admin/virtual-keys"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{body}");
        let created = json_of(res).await;
        (
            created["virtualKey"]["id"].as_i64().unwrap(),
            created["key"].as_str().unwrap().to_owned(),
        )
    }

    /// POSTs JSON to the proxy with the key as a bearer token.
    pub async fn call(&self, key: &str, path: &str, body: Value) -> reqwest::Response {
        self.app
            .client()
            .post(self.app.url(path))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Every ledger row, oldest first, after the writer has caught up.
    pub async fn ledger(&self) -> Vec<usage_event::Model> {
        self.app.state.gateway.ledger.flush().await;
        usage_event::Entity::find()
            .order_by_asc(usage_event::Column::Id)
            .all(&self.app.state.db)
            .await
            .unwrap()
    }

    pub async fn finish(self) {
        self.app.finish().await;
    }
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

//! Custom providers (seed 004's ProviderConfig) over real HTTP: defined by admins, used by
//! keys through their slug, verified with their own auth method.

use crate::common;

use common::fake_provider::FakeProvider;
use common::{Backend, PASSWORD, json_of, spawn_app_with, spawn_with_owner};
use reqwest::StatusCode;
use serde_json::json;

async fn admins_define_providers_that_keys_use_with_their_auth_method(backend: Backend) {
    let fake = FakeProvider::start().await;
    // The fake listens on loopback, which only an operator may allow.
    let app = spawn_app_with(backend, |c| c.allow_private_upstreams = true).await;
    app.create_owner("owner@acme.test").await;
    let owner = app.signed_in("owner@acme.test", PASSWORD).await;
    let project = app.create_project(&owner, "Labs").await;
    let base = format!("{}/custom", fake.base);
    let mut ids = Vec::new();
    for body in [
        json!({"slug":"together","name":"Together AI","baseUrl":base,"authMethod":"header","authParam":"x-custom-key","models":["llama-3-70b"]}),
        json!({"slug":"azureish","name":"Azure-ish","baseUrl":base,"authMethod":"query","authParam":"key","apiVersion":"2024-06-01"}),
        json!({"slug":"plain","name":"Plain bearer","baseUrl":base,"requiresOrg":true}),
    ] {
        let res = owner
            .post(app.url("/api/admin/providers"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{body}");
        let created = json_of(res).await;
        assert_eq!(created["endpoints"][0], base);
        ids.push(created["id"].as_i64().unwrap());
    }
    let catalog = json_of(owner.get(app.url("/api/providers")).send().await.unwrap()).await;
    assert_eq!(catalog["builtIn"].as_array().unwrap().len(), 8);
    assert_eq!(catalog["custom"].as_array().unwrap().len(), 3);
    assert_eq!(catalog["custom"][2]["models"][0], "llama-3-70b");

    // Keys name the provider by slug and verify with its auth method.
    for (provider, key, extra, expected) in [
        ("together", "tg-VALID-together-key-1", json!({}), "valid"),
        ("together", "tg-wrong-together-key-1", json!({}), "invalid"),
        ("azureish", "az-VALID-azure-key-0001", json!({}), "valid"),
        (
            "plain",
            "pl-VALID-plain-key-00001",
            json!({"organizationId":"org-1"}),
            "valid",
        ),
    ] {
        let mut body = json!({"provider":provider,"name":provider,"key":key,"projectId":project});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = owner
            .post(app.url("/api/admin/api-keys"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{body}");
        let created = json_of(res).await;
        assert_eq!(created["provider"], "custom");
        assert!(created["customProviderId"].is_number());
        let id = created["id"].as_i64().unwrap();
        let verified = json_of(
            owner
                .post(app.url(&format!("/api/admin/api-keys/{id}/verify")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(verified["status"], expected, "{provider}: {verified}");
        assert!(!verified.to_string().contains(key));
    }
    let seen = fake.credentials_seen();
    assert!(
        seen.contains(&"az-VALID-azure-key-0001".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"api-version=2024-06-01".to_owned()),
        "{seen:?}"
    );

    // A provider that needs an organization id refuses keys without one.
    let res = owner
        .post(app.url("/api/admin/api-keys"))
        .json(&json!({"provider":"plain","name":"x","key":"pl-VALID-plain-key-2","projectId":project}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("organization id"));

    // In use: cannot be deleted. Unused: can. Duplicates and built-in names are refused.
    let res = owner
        .delete(app.url(&format!("/api/admin/providers/{}", ids[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    for (body, status) in [
        (
            json!({"slug":"together","name":"Again","baseUrl":base}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"slug":"openai","name":"Nope","baseUrl":base}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"slug":"q","name":"Nope","baseUrl":base,"authMethod":"query"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let res = owner
            .post(app.url("/api/admin/providers"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{body}");
    }
    // Members see the catalog but cannot define providers.
    app.create_user(&owner, "Mo", "mo@acme.test", "member", PASSWORD)
        .await;
    let mo = app.signed_in("mo@acme.test", PASSWORD).await;
    let catalog = json_of(mo.get(app.url("/api/providers")).send().await.unwrap()).await;
    assert_eq!(catalog["custom"].as_array().unwrap().len(), 3);
    let res = mo
        .post(app.url("/api/admin/providers"))
        .json(&json!({"slug":"mine","name":"Mine","baseUrl":base}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

async fn without_the_operators_consent_custom_providers_cannot_point_inside(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    for base in [
        "http://127.0.0.1:9/v1",
        "https://127.0.0.1/v1",
        "https://169.254.169.254/latest",
        "https://localhost/v1",
        "https://[::1]/v1",
        "https://10.1.2.3/v1",
    ] {
        let res = owner
            .post(app.url("/api/admin/providers"))
            .json(&json!({"slug":"inside","name":"Inside","baseUrl":base}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{base}");
    }
    app.finish().await;
}

on_both_databases!(
    admins_define_providers_that_keys_use_with_their_auth_method,
    without_the_operators_consent_custom_providers_cannot_point_inside,
);

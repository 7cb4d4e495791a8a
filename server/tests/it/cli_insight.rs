//! `keygate persona …` and `keygate jwt …` with the real binary, and organization JWTs on the
//! proxy: an application calls as its users (`X-User-ID`), unknown users are created only
//! when the organization allows it, revoked tokens stop working, and key resolution is the
//! user's own key first, then the project's.

use crate::common;

use common::Backend;
use common::cli::{fails, json_ok, ok};
use common::gateway::Gateway;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROJECT_KEY: &str = "sk-proj-VALID-openai-0001";
const PERSONAL_KEY: &str = "sk-proj-VALID-openai-personal";

fn chat() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
}

async fn the_persona_cli_manages_personas(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", PROJECT_KEY).await;
    let created = json_ok(
        &gw.app,
        &[
            "persona",
            "create",
            "--name",
            "Technical Support",
            "--content",
            "-",
            "--description",
            "For technical support inquiries",
            "--json",
        ],
        "You are a support specialist.\nBe precise.\n",
    );
    assert_eq!(created["name"], "Technical Support");
    assert_eq!(
        created["content"],
        "You are a support specialist.\nBe precise."
    );
    assert_eq!(created["userId"], Value::Null);
    let id = created["id"].as_i64().unwrap().to_string();

    let listed = json_ok(&gw.app, &["persona", "list", "--json"], "");
    assert_eq!(listed["total"], 1);
    let text = ok(&gw.app, &["persona", "list"], "");
    assert!(text.contains("Technical Support") && text.contains("organization-wide"));

    let updated = json_ok(
        &gw.app,
        &[
            "persona",
            "update",
            &id,
            "--name",
            "Advanced Technical Support",
            "--json",
        ],
        "",
    );
    assert_eq!(updated["name"], "Advanced Technical Support");
    let shown = ok(&gw.app, &["persona", "get", &id], "");
    assert!(shown.contains("Be precise."), "{shown}");

    // Used through the proxy, then visible in its analytics.
    let (_, key) = gw.mint(json!({})).await;
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .header("x-keygate-persona", "Advanced Technical Support")
        .json(&chat())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    gw.ledger().await;
    let analytics = json_ok(&gw.app, &["persona", "analytics", &id, "--json"], "");
    assert_eq!(analytics["totalRequests"], 1);
    assert_eq!(analytics["topModels"][0]["key"], "gpt-4o-mini");
    let text = ok(&gw.app, &["persona", "analytics", &id], "");
    assert!(text.contains("Total Requests: 1"), "{text}");
    assert!(text.contains("Success Rate: 100.0%"), "{text}");

    let deactivated = json_ok(&gw.app, &["persona", "deactivate", &id, "--json"], "");
    assert_eq!(deactivated["active"], false);
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .header("x-keygate-persona", id.as_str())
        .json(&chat())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    json_ok(&gw.app, &["persona", "activate", &id, "--json"], "");
    ok(&gw.app, &["persona", "delete", &id], "");
    let message = fails(&gw.app, &["persona", "get", &id], "");
    assert!(message.contains("no persona"), "{message}");
    // Bad input: empty content.
    let message = fails(
        &gw.app,
        &["persona", "create", "--name", "Blank", "--content", " "],
        "",
    );
    assert!(message.contains("system prompt"), "{message}");
    gw.finish().await;
}

async fn organization_jwts_call_as_application_users(backend: Backend) {
    let gw = Gateway::start(backend).await;
    gw.add_key("openai", PROJECT_KEY).await;
    let org = json_ok(&gw.app, &["org", "list", "--json"], "")["organizations"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let minted = json_ok(
        &gw.app,
        &[
            "jwt", "create", "--org-id", &org, "--days", "30", "--name", "app", "--json",
        ],
        "",
    );
    let token = minted["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("eyJ") && token.matches('.').count() == 2);
    assert_eq!(minted["status"], "active");
    let jwt_id = minted["id"].as_i64().unwrap().to_string();

    let call = |user: Option<&str>| {
        let mut req = gw
            .app
            .client()
            .post(gw.app.url("/v1/chat/completions"))
            .bearer_auth(&token)
            .json(&chat());
        if let Some(user) = user {
            req = req.header("x-user-id", user);
        }
        async move { req.send().await.unwrap() }
    };
    // Without X-User-ID: 401. Unknown user while auto-create is off: 403.
    assert_eq!(call(None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(call(Some("user123")).await.status(), StatusCode::FORBIDDEN);
    ok(
        &gw.app,
        &["jwt", "auto-create-users", "--org-id", &org, "on"],
        "",
    );
    let res = call(Some("user123")).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The project's key served the new user; the ledger names them.
    assert_eq!(
        gw.fake
            .requests_to("/v1/chat/completions")
            .last()
            .unwrap()
            .credential,
        PROJECT_KEY
    );
    let rows = gw.ledger().await;
    let user_id = rows.last().unwrap().user_id.unwrap();
    assert_eq!(rows.last().unwrap().virtual_key_id, 0);
    // The same external id is the same user next time.
    assert_eq!(call(Some("user123")).await.status(), StatusCode::OK);
    let rows = gw.ledger().await;
    assert_eq!(rows.last().unwrap().user_id, Some(user_id));

    // The user's own key comes first once they have one.
    let external_user_email = {
        use sea_orm::EntityTrait as _;
        domain::entities::user::Entity::find_by_id(user_id)
            .one(&gw.app.state.db)
            .await
            .unwrap()
            .unwrap()
            .email
    };
    assert!(external_user_email.ends_with("@users.keygate.invalid"));
    {
        use sea_orm::{ActiveModelTrait as _, EntityTrait as _, IntoActiveModel as _, Set};
        // Give the application user a password so they can sign in and add a personal key.
        let hash = gw
            .app
            .state
            .hasher
            .hash(secrecy::SecretString::from(common::PASSWORD.to_owned()))
            .await
            .unwrap();
        let mut user = domain::entities::user::Entity::find_by_id(user_id)
            .one(&gw.app.state.db)
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        user.password_hash = Set(hash);
        user.update(&gw.app.state.db).await.unwrap();
    }
    let member = gw
        .app
        .signed_in(&external_user_email, common::PASSWORD)
        .await;
    let res = member
        .post(gw.app.url("/api/api-keys"))
        .json(&json!({"name": "Mine", "service": "openai", "value": PERSONAL_KEY}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    gw.app.state.gateway.forget_cached();
    assert_eq!(call(Some("user123")).await.status(), StatusCode::OK);
    assert_eq!(
        gw.fake
            .requests_to("/v1/chat/completions")
            .last()
            .unwrap()
            .credential,
        PERSONAL_KEY
    );

    // Listed, revoked, refused.
    let listed = json_ok(&gw.app, &["jwt", "list", "--org-id", &org, "--json"], "");
    assert_eq!(
        listed["tokens"][0]["id"].as_i64().unwrap().to_string(),
        jwt_id
    );
    assert!(listed["tokens"][0]["lastUsedAt"].is_string());
    assert!(
        listed.to_string().find(&token).is_none(),
        "tokens are not stored"
    );
    ok(&gw.app, &["jwt", "revoke", &jwt_id, "--org-id", &org], "");
    let res = call(Some("user123")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    // A forged token (signed with another key) is refused.
    let mut forged = token.clone();
    forged.truncate(forged.rfind('.').unwrap() + 1);
    forged.push_str("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let res = gw
        .app
        .client()
        .post(gw.app.url("/v1/chat/completions"))
        .bearer_auth(&forged)
        .header("x-user-id", "user123")
        .json(&chat())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let message = fails(
        &gw.app,
        &["jwt", "create", "--org-id", &org, "--days", "0"],
        "",
    );
    assert!(message.contains("1 to 3650 days"), "{message}");
    gw.finish().await;
}

on_both_databases!(
    the_persona_cli_manages_personas,
    organization_jwts_call_as_application_users,
);

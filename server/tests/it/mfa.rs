//! Two-factor authentication over real HTTP, on SQLite and on PostgreSQL: enrolment, sign-in
//! with a code (server functions and REST), throttling, recovery codes, the organization's
//! requirement, and re-verification before revealing a key. Codes are computed here with
//! totp-rs from the secret the enrolment showed, as an authenticator app would.

use crate::common;

use common::{Backend, PASSWORD, TestApp, json_of, spawn_with_owner};
use reqwest::{Client, StatusCode};
use sea_orm::ConnectionTrait as _;
use serde_json::{Value, json};

const OWNER: &str = "owner@acme.test";
const SECRET: &str = "sk-ant-api03-MFApersonal-secret-wxyz";

/// What an authenticator app holds after scanning the QR code.
struct App(totp_rs::Totp);

impl App {
    fn from_base32(secret: &str) -> Self {
        let bytes = totp_rs::Secret::try_from_base32(secret).unwrap();
        let totp = totp_rs::Builder::new()
            .with_secret(bytes.as_bytes().to_vec())
            .build()
            .unwrap();
        Self(totp)
    }

    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// The code the app shows now.
    fn code(&self) -> String {
        self.0.generate(self.now()).to_string()
    }

    /// The next step's code (accepted: the server allows one step of drift).
    fn next_code(&self) -> String {
        self.0.generate(self.now() + 30).to_string()
    }
}

/// Enrols the signed-in `client`: returns its authenticator and the ten recovery codes.
async fn enrol(app: &TestApp, client: &Client) -> (App, Vec<String>) {
    let res = app.rpc(client, "mfa_begin", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let enrolment = json_of(res).await;
    let qr = enrolment["qr_data_url"].as_str().unwrap();
    assert!(qr.starts_with("data:image/png;base64,"), "{qr}");
    let authenticator = App::from_base32(enrolment["secret"].as_str().unwrap());

    let wrong = app.rpc(client, "mfa_confirm", &[("code", "000000")]).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let code = authenticator.code();
    let res = app.rpc(client, "mfa_confirm", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let codes: Vec<String> = serde_json::from_value(json_of(res).await).unwrap();
    assert_eq!(codes.len(), 10);
    (authenticator, codes)
}

/// Lets the user's next code reuse a step already used (tests that need several codes within
/// one 30-second step; replay protection has its own test).
async fn forget_last_step(app: &TestApp) {
    app.state
        .db
        .execute_unprepared("UPDATE user_mfa SET last_step = NULL")
        .await
        .unwrap();
}

async fn rest_login(app: &TestApp, client: &Client, body: Value) -> reqwest::Response {
    client
        .post(app.url("/api/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn error_code(res: reqwest::Response) -> String {
    json_of(res).await["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn audit_actions(app: &TestApp, admin: &Client, action: &str) -> Vec<Value> {
    let res = admin
        .get(app.url(&format!("/api/admin/audit?action={action}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await["entries"].as_array().unwrap().clone()
}

async fn enrolment_then_sign_in_needs_the_code(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let (authenticator, _) = enrol(&app, &owner).await;
    let status = json_of(app.rpc(&owner, "mfa_status", &[]).await).await;
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 10);

    // The web sign-in: the password step answers 401 "mfa_required" and signs nothing in.
    let browser = app.client();
    let res = app
        .rpc(
            &browser,
            "login",
            &[("email", OWNER), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me_status(&browser).await, StatusCode::UNAUTHORIZED);
    // The code step needs no password: the session remembers the pending sign-in.
    let wrong = app.rpc(&browser, "login_mfa", &[("code", "123456")]).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.me_status(&browser).await, StatusCode::UNAUTHORIZED);
    let res = app
        .rpc(
            &browser,
            "login_mfa",
            &[("code", &authenticator.next_code())],
        )
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert_eq!(app.me_status(&browser).await, StatusCode::OK);

    // A session without a pending sign-in cannot use the code step.
    let stranger = app.client();
    let res = app
        .rpc(&stranger, "login_mfa", &[("code", &authenticator.code())])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.me_status(&stranger).await, StatusCode::UNAUTHORIZED);

    // REST: 401 mfa_required, then the code alone; or everything in one call.
    forget_last_step(&app).await;
    let api = app.client();
    let res = rest_login(&app, &api, json!({ "email": OWNER, "password": PASSWORD })).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(res).await, "mfa_required");
    assert_eq!(app.me_status(&api).await, StatusCode::UNAUTHORIZED);
    let res = api
        .post(app.url("/api/auth/mfa"))
        .json(&json!({ "code": authenticator.code() }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["email"], OWNER);
    assert_eq!(app.me_status(&api).await, StatusCode::OK);

    forget_last_step(&app).await;
    let one_call = app.client();
    let body = json!({ "email": OWNER, "password": PASSWORD, "code": authenticator.code() });
    let res = rest_login(&app, &one_call, body).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The same code again is a replay.
    let again = json!({ "email": OWNER, "password": PASSWORD, "code": authenticator.code() });
    let res = rest_login(&app, &app.client(), again).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let enrolled = audit_actions(&app, &one_call, "mfa.enroll").await;
    assert!(enrolled.iter().any(|e| e["outcome"] == "success"));
    let failed = audit_actions(&app, &one_call, "auth.sign_in").await;
    assert!(
        failed.iter().any(
            |e| e["outcome"] == "failure" && e["detail"].as_str().unwrap_or("").contains("mfa")
        ),
        "{failed:?}"
    );
    // No entry carries a code.
    let all = audit_actions(&app, &one_call, "mfa.verify").await;
    assert!(!all.is_empty());
    assert!(
        all.iter()
            .all(|e| !e.to_string().contains(&authenticator.code()))
    );
    app.finish().await;
}

async fn wrong_codes_are_throttled_like_passwords(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let (authenticator, _) = enrol(&app, &owner).await;
    let attacker = app.client();
    let res = rest_login(
        &app,
        &attacker,
        json!({ "email": OWNER, "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for guess in 0..5 {
        let res = attacker
            .post(app.url("/api/auth/mfa"))
            .json(&json!({ "code": format!("{:06}", 100_000 + guess) }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "guess {guess}"
        );
    }
    // Now even the right code waits, and re-entering the password does not reset the count.
    let res = attacker
        .post(app.url("/api/auth/mfa"))
        .json(&json!({ "code": authenticator.next_code() }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = rest_login(
        &app,
        &app.client(),
        json!({ "email": OWNER, "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.me_status(&attacker).await, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

async fn a_recovery_code_signs_in_once(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let (_, codes) = enrol(&app, &owner).await;
    let code = codes[3].clone();
    let body = json!({ "email": OWNER, "password": PASSWORD, "code": code });
    let res = rest_login(&app, &app.client(), body.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = rest_login(&app, &app.client(), body).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let status = json_of(app.rpc(&owner, "mfa_status", &[]).await).await;
    assert_eq!(status["recovery_codes_left"], 9);
    app.finish().await;
}

async fn the_organization_can_require_enrolment(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let res = app
        .create_user(&owner, "Mia", "mia@acme.test", "member", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The owner must use two-factor sign-in before requiring it.
    let res = app
        .rpc(&owner, "org_set_require_mfa", &[("required", "true")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    enrol(&app, &owner).await;
    let res = app
        .rpc(&owner, "org_set_require_mfa", &[("required", "true")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["require_mfa"], true);

    // Mia signs in with her password, and may do nothing but set up two-factor.
    let mia = app.signed_in("mia@acme.test", PASSWORD).await;
    let me = json_of(mia.get(app.url("/api/me")).send().await.unwrap()).await;
    assert_eq!(me["mfa_setup_required"], true);
    let refused = app
        .rpc(&mia, "projects_list", &[("name", ""), ("status", "active")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = mia.get(app.url("/api/api-keys")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, "mfa_setup_required");
    let page = mia
        .get(app.url("/keys"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(page.status().is_redirection(), "{}", page.status());
    assert_eq!(page.headers()["location"], "/account");
    let page = mia
        .get(app.url("/account"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    let (_, _) = enrol(&app, &mia).await;
    let allowed = mia.get(app.url("/api/api-keys")).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    // While required it cannot be turned off.
    let res = app
        .rpc(&mia, "mfa_disable", &[("credential", PASSWORD)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

async fn a_reveal_needs_a_recent_code(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let created = owner
        .post(app.url("/api/api-keys"))
        .json(&json!({ "name": "Mine", "service": "anthropic", "value": SECRET }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = json_of(created).await["id"].as_i64().unwrap().to_string();
    let (authenticator, _) = enrol(&app, &owner).await;

    // Signing in with a code counts as a verification for five minutes; age it out by
    // renaming the stored verification time.
    let session = app.client();
    let res = rest_login(
        &app,
        &session,
        json!({ "email": OWNER, "password": PASSWORD, "code": authenticator.next_code() }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.state
        .db
        .execute_unprepared(
            "UPDATE sessions SET data = REPLACE(data, '\"keygate.mfa_verified_at\":', '\"keygate.mfa_verified_before\":')",
        )
        .await
        .unwrap();

    let form = [("id", id.as_str()), ("password", PASSWORD)];
    let reveal = || app.rpc(&session, "keys_reveal", &form);
    let res = reveal().await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!res.text().await.unwrap().contains(SECRET));
    let rest = app.url(&format!("/api/api-keys/{id}?includeValue=true"));
    let res = session
        .get(&rest)
        .header("x-keygate-password", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(res).await, "mfa_verification_required");

    // Verify a code, then the reveal works (server function and REST).
    forget_last_step(&app).await;
    let wrong = app.rpc(&session, "mfa_verify", &[("code", "000000")]).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app
        .rpc(&session, "mfa_verify", &[("code", &authenticator.code())])
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let res = reveal().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains(SECRET));
    let res = session
        .get(&rest)
        .header("x-keygate-password", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["value"], SECRET);

    let verified = audit_actions(&app, &session, "mfa.verify").await;
    assert!(verified.iter().any(|e| e["outcome"] == "failure"));
    assert!(verified.iter().any(|e| e["outcome"] == "success"));
    app.finish().await;
}

async fn recovery_codes_can_be_replaced_and_mfa_turned_off(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let (authenticator, old) = enrol(&app, &owner).await;
    let res = app
        .rpc(&owner, "mfa_recovery_codes", &[("code", "000000")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .rpc(
            &owner,
            "mfa_recovery_codes",
            &[("code", &authenticator.next_code())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let fresh: Vec<String> = serde_json::from_value(json_of(res).await).unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !old.contains(c)));
    let body = json!({ "email": OWNER, "password": PASSWORD, "code": old[0] });
    let res = rest_login(&app, &app.client(), body).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Turning it off needs the password (or a code); then the password alone signs in.
    let res = app
        .rpc(
            &owner,
            "mfa_disable",
            &[("credential", "not my password at all")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .rpc(&owner, "mfa_disable", &[("credential", PASSWORD)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.login_status(OWNER, PASSWORD).await, StatusCode::OK);
    let disabled = audit_actions(&app, &owner, "mfa.disable").await;
    assert!(disabled.iter().any(|e| e["outcome"] == "success"));
    assert!(disabled.iter().any(|e| e["outcome"] == "failure"));
    app.finish().await;
}

async fn an_admin_resets_a_lost_second_factor_with_the_cli(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let res = app
        .create_user(&owner, "Mia", "mia@acme.test", "member", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mia = app.signed_in("mia@acme.test", PASSWORD).await;
    enrol(&app, &mia).await;
    assert_eq!(
        app.login_status("mia@acme.test", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    let text = common::cli::ok(&app, &["user", "reset-mfa", "mia@acme.test"], "");
    assert!(
        text.contains("Turned off two-factor authentication"),
        "{text}"
    );
    assert_eq!(
        app.login_status("mia@acme.test", PASSWORD).await,
        StatusCode::OK
    );
    let again = common::cli::json_ok(&app, &["user", "reset-mfa", "mia@acme.test", "--json"], "");
    assert_eq!(again["wasEnabled"], false);
    let reset = audit_actions(&app, &owner, "mfa.disable").await;
    assert_eq!(reset.len(), 1);
    assert_eq!(reset[0]["actor"], "cli");
    app.finish().await;
}

on_both_databases!(
    enrolment_then_sign_in_needs_the_code,
    wrong_codes_are_throttled_like_passwords,
    a_recovery_code_signs_in_once,
    the_organization_can_require_enrolment,
    a_reveal_needs_a_recent_code,
    recovery_codes_can_be_replaced_and_mfa_turned_off,
    an_admin_resets_a_lost_second_factor_with_the_cli,
);

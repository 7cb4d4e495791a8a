//! Accounts and sessions over real HTTP, on SQLite and on PostgreSQL.

use crate::common;

use common::{Backend, PASSWORD, spawn_app, spawn_app_with, spawn_with_owner};
use reqwest::StatusCode;
use serde_json::Value;

async fn json(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

/// Posts the first-run setup form (password confirmed with the same value).
async fn run_setup(
    app: &common::TestApp,
    client: &reqwest::Client,
    token: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let form = [
        ("token", token),
        ("org_name", "Acme"),
        ("display_name", "Olivia"),
        ("email", email),
        ("password", password),
        ("password_confirm", password),
    ];
    app.rpc(client, "setup", &form).await
}

async fn first_run_setup_creates_the_owner_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app
        .setup_token
        .clone()
        .expect("a fresh install offers setup");
    let browser = app.client();

    let wrong = run_setup(&app, &browser, "nope", "owner@acme.test", PASSWORD).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);

    let short = run_setup(&app, &browser, &token, "owner@acme.test", "short").await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let ok = run_setup(&app, &browser, &token, "Owner@Acme.test", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::OK, "{}", ok.text().await.unwrap());

    let me = browser.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me = json(me).await;
    assert_eq!(me["email"], "owner@acme.test");
    assert_eq!(me["role"], "owner");
    assert_eq!(me["org_name"], "Acme");

    let again = run_setup(&app, &app.client(), &token, "eve@evil.test", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

async fn concurrent_setups_create_exactly_one_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.setup_token.clone().unwrap();
    let attempts = (0..5).map(|i| {
        let (app, token) = (&app, token.clone());
        async move {
            let email = format!("owner{i}@acme.test");
            run_setup(app, &app.client(), &token, &email, PASSWORD)
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::OK, StatusCode::FORBIDDEN, StatusCode::CONFLICT].contains(s)),
        "{statuses:?}"
    );
    app.finish().await;
}

async fn rest_login_me_and_logout(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_owner("owner@acme.test").await;
    let client = app.client();

    let anonymous = client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(anonymous).await["error"]["code"], "unauthorized");

    let login = app.login(&client, "OWNER@acme.test", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("keygate_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );
    assert_eq!(json(login).await["role"], "owner");

    let me = client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    let logout = client
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let after = client.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    app.finish().await;
}

async fn unknown_email_and_wrong_password_look_the_same(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_owner("owner@acme.test").await;
    let wrong = app
        .login(&app.client(), "owner@acme.test", "not the password")
        .await;
    let unknown = app
        .login(&app.client(), "nobody@acme.test", "not the password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(wrong).await, json(unknown).await);
    app.finish().await;
}

async fn repeated_failures_back_off_then_the_user_gets_in(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_owner("owner@acme.test").await;
    for _ in 0..5 {
        let res = app
            .login(&app.client(), "owner@acme.test", "guess guess guess")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account must wait.
    let locked = app.login(&app.client(), "owner@acme.test", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "retry-after {retry_after}");
    let body = json(locked).await;
    assert_eq!(body["error"]["code"], "too_many_attempts");

    tokio::time::sleep(std::time::Duration::from_millis(retry_after * 1000 + 200)).await;
    let ok = app.login(&app.client(), "owner@acme.test", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::OK);
    app.finish().await;
}

async fn password_change_ends_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_owner("owner@acme.test").await;
    let (laptop, phone) = (app.client(), app.client());
    assert_eq!(
        app.login(&laptop, "owner@acme.test", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login(&phone, "owner@acme.test", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );

    let mismatch = app
        .change_password(
            &laptop,
            PASSWORD,
            "a brand new passphrase",
            "something else entirely",
        )
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_current = app
        .change_password(
            &laptop,
            "not my password",
            "a brand new passphrase",
            "a brand new passphrase",
        )
        .await;
    assert_eq!(wrong_current.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let changed = app
        .change_password(
            &laptop,
            PASSWORD,
            "a brand new passphrase",
            "a brand new passphrase",
        )
        .await;
    assert_eq!(
        changed.status(),
        StatusCode::OK,
        "{}",
        changed.text().await.unwrap()
    );

    assert_eq!(app.me_status(&laptop).await, StatusCode::OK);
    assert_eq!(app.me_status(&phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login_status("owner@acme.test", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_status("owner@acme.test", "a brand new passphrase")
            .await,
        StatusCode::OK
    );
    app.finish().await;
}

async fn sign_out_everywhere_ends_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.create_owner("owner@acme.test").await;
    let (laptop, phone) = (app.client(), app.client());
    app.login(&laptop, "owner@acme.test", PASSWORD).await;
    app.login(&phone, "owner@acme.test", PASSWORD).await;
    assert_eq!(
        domain::session_store::count_user_sessions(&app.state.db, owner.id)
            .await
            .unwrap(),
        2
    );

    let res = app.rpc(&laptop, "sign_out_everywhere", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    for client in [&laptop, &phone] {
        assert_eq!(app.me_status(client).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        domain::session_store::count_user_sessions(&app.state.db, owner.id)
            .await
            .unwrap(),
        0
    );
    app.finish().await;
}

async fn members_are_refused_admin_functions(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let created = app
        .create_user(
            &owner,
            "Max",
            "max@acme.test",
            "member",
            "member password 1",
        )
        .await;
    assert_eq!(
        created.status(),
        StatusCode::OK,
        "{}",
        created.text().await.unwrap()
    );
    let duplicate = app
        .create_user(
            &owner,
            "Max",
            "MAX@acme.test",
            "member",
            "member password 1",
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);

    let member = app.client();
    assert_eq!(
        app.login(&member, "max@acme.test", "member password 1")
            .await
            .status(),
        StatusCode::OK
    );
    for (name, form) in [
        ("users_list", vec![]),
        (
            "users_create",
            vec![
                ("display_name", "Eve"),
                ("email", "eve@acme.test"),
                ("role", "owner"),
                ("password", "member password 1"),
            ],
        ),
        ("org_rename", vec![("name", "Pwned")]),
    ] {
        let res = app.rpc(&member, name, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}");
    }
    let listed = app.rpc(&owner, "users_list", &[]).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let users: Value = listed.json().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 2);
    app.finish().await;
}

async fn disabling_a_user_signs_them_out_and_keeps_them_out(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let created: Value = app
        .create_user(&owner, "Max", "max@acme.test", "admin", "member password 1")
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].to_string();
    let max = app.signed_in("max@acme.test", "member password 1").await;

    let res = app
        .rpc(
            &owner,
            "users_set_disabled",
            &[("user_id", &id), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.me_status(&max).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login_status("max@acme.test", "member password 1").await,
        StatusCode::UNAUTHORIZED
    );
    app.finish().await;
}

async fn users_carry_an_optional_unique_external_id(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let form = |email: &'static str, external_id: &'static str| {
        [
            ("display_name", "Sam"),
            ("email", email),
            ("role", "member"),
            ("password", "member password 1"),
            ("external_id", external_id),
        ]
    };
    let first = app
        .rpc(&owner, "users_create", &form("sam@acme.test", "  ext-42 "))
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(json(first).await["external_id"], "ext-42");
    let blank = app
        .rpc(&owner, "users_create", &form("kim@acme.test", ""))
        .await;
    assert_eq!(json(blank).await["external_id"], Value::Null);
    let taken = app
        .rpc(&owner, "users_create", &form("lee@acme.test", "ext-42"))
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    app.finish().await;
}

async fn admins_rename_the_organization(backend: Backend) {
    let (app, owner) = spawn_with_owner(backend).await;
    let blank = app.rpc(&owner, "org_rename", &[("name", "   ")]).await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let renamed = app
        .rpc(&owner, "org_rename", &[("name", " Acme Holdings ")])
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let me = json(owner.get(app.url("/api/me")).send().await.unwrap()).await;
    assert_eq!(me["org_name"], "Acme Holdings");
    app.finish().await;
}

async fn role_rules_protect_owners(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner_model = app.create_owner("owner@acme.test").await;
    let owner = app.signed_in("owner@acme.test", PASSWORD).await;
    app.create_user(&owner, "Ada", "ada@acme.test", "admin", "admin password 1")
        .await;
    let admin = app.signed_in("ada@acme.test", "admin password 1").await;
    let owner_id = owner_model.id.to_string();

    // An admin cannot demote or disable an owner, nor create one.
    let demote = app
        .rpc(
            &admin,
            "users_set_role",
            &[("user_id", &owner_id), ("role", "member")],
        )
        .await;
    assert_eq!(demote.status(), StatusCode::FORBIDDEN);
    let disable = app
        .rpc(
            &admin,
            "users_set_disabled",
            &[("user_id", &owner_id), ("disabled", "true")],
        )
        .await;
    assert_eq!(disable.status(), StatusCode::FORBIDDEN);
    let make_owner = app
        .create_user(&admin, "Eve", "eve@acme.test", "owner", "admin password 1")
        .await;
    assert_eq!(make_owner.status(), StatusCode::FORBIDDEN);
    // Nobody changes their own role.
    let own = app
        .rpc(
            &owner,
            "users_set_role",
            &[("user_id", &owner_id), ("role", "member")],
        )
        .await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    app.finish().await;
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_owner("owner@acme.test").await;
    let client = app.signed_in("owner@acme.test", PASSWORD).await;

    let foreign_origin = client
        .post(app.url("/rpc/logout"))
        .header("origin", "http://evil.test")
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_origin.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json(foreign_origin).await["error"]["code"],
        "cross_site_request"
    );

    let fetch_metadata = client
        .post(app.url("/api/auth/logout"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_metadata.status(), StatusCode::FORBIDDEN);

    let bare_form = client
        .post(app.url("/rpc/logout"))
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(bare_form.status(), StatusCode::FORBIDDEN);

    // Still signed in: none of the above changed anything.
    assert_eq!(app.me_status(&client).await, StatusCode::OK);
    app.finish().await;
}

async fn pages_carry_security_headers_and_a_matching_nonce(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client().get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    assert_eq!(headers["cache-control"], "no-store");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")),
        "hydration script lacks the nonce"
    );
    assert!(html.contains("<h1>Sign in</h1>"));

    let protected = app
        .client()
        .get(app.url("/users"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(
        protected.status().is_redirection(),
        "{}",
        protected.status()
    );
    assert_eq!(protected.headers()["location"], "/login");
    app.finish().await;
}

async fn api_errors_are_json_with_the_right_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.client();
    let cases = [
        (
            client.get(app.url("/api/no-such-thing")),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            client.get(app.url("/api/auth/login")),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            client
                .post(app.url("/api/auth/login"))
                .header("content-type", "application/json")
                .body("{not json"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            client
                .post(app.url("/api/auth/login"))
                .json(&serde_json::json!({ "email": "a@b.co" })),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            client.post(app.url("/api/auth/login")).body("email=a"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (request, status, code) in cases {
        let res = request.send().await.unwrap();
        assert_eq!(res.status(), status);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body = json(res).await;
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    app.finish().await;
}

async fn sessions_expire_after_inactivity_and_absolute_lifetime(backend: Backend) {
    let idle = spawn_app_with(backend, |c| {
        c.session_idle_timeout = std::time::Duration::from_secs(1)
    })
    .await;
    idle.create_owner("owner@acme.test").await;
    let client = idle.client();
    idle.login(&client, "owner@acme.test", PASSWORD).await;
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_eq!(idle.me_status(&client).await, StatusCode::UNAUTHORIZED);
    idle.finish().await;

    let absolute = spawn_app_with(backend, |c| {
        c.session_lifetime = std::time::Duration::from_secs(1)
    })
    .await;
    absolute.create_owner("owner@acme.test").await;
    let client = absolute.client();
    absolute.login(&client, "owner@acme.test", PASSWORD).await;
    // Active all along, yet signed out once the lifetime has passed.
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        client.get(absolute.url("/api/me")).send().await.unwrap();
    }
    assert_eq!(absolute.me_status(&client).await, StatusCode::UNAUTHORIZED);
    absolute.finish().await;
}

async fn a_burst_of_logins_is_hashed_with_bounded_concurrency(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_owner("owner@acme.test").await;
    let requests = (0..200).map(|_| {
        let client = app.client();
        let url = app.url("/api/auth/login");
        async move {
            client
                .post(url)
                .json(&serde_json::json!({ "email": "owner@acme.test", "password": PASSWORD }))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    assert!(
        app.state.hasher.peak_in_flight() <= cores,
        "peak {}",
        app.state.hasher.peak_in_flight()
    );
    app.finish().await;
}

on_both_databases!(
    first_run_setup_creates_the_owner_once,
    rest_login_me_and_logout,
    unknown_email_and_wrong_password_look_the_same,
    repeated_failures_back_off_then_the_user_gets_in,
    password_change_ends_other_sessions,
    sign_out_everywhere_ends_every_session,
    members_are_refused_admin_functions,
    disabling_a_user_signs_them_out_and_keeps_them_out,
    role_rules_protect_owners,
    cross_site_posts_are_refused,
    pages_carry_security_headers_and_a_matching_nonce,
    api_errors_are_json_with_the_right_status,
    sessions_expire_after_inactivity_and_absolute_lifetime,
    a_burst_of_logins_is_hashed_with_bounded_concurrency,
    users_carry_an_optional_unique_external_id,
    concurrent_setups_create_exactly_one_organization,
    admins_rename_the_organization,
);

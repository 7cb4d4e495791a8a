//! `keygate org|project|key|user …`: the real binary driven the way an operator would, against
//! the data of a running server, on SQLite and PostgreSQL.

use crate::common;

use common::cli::{assert_never_shown, fails, json_ok, ok, run, stderr_of, stdout_of};
use common::{Backend, PASSWORD, TestApp, spawn_with_owner};
use domain::entities::{provider_key, user};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::ExposeSecret as _;
use serde_json::Value;

async fn key_named(app: &TestApp, name: &str) -> provider_key::Model {
    provider_key::Entity::find()
        .filter(provider_key::Column::Name.eq(name))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no key named {name}"))
}

async fn user_by_email(app: &TestApp, email: &str) -> user::Model {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

fn names(list: &Value, field: &str, key: &str) -> Vec<String> {
    list[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_str().unwrap().to_owned())
        .collect()
}

const OPENAI_KEY: &str = "sk-proj-CLIsecretOpenAI0000wxyz";
const GROQ_KEY: &str = "gsk_CLIsecretGroq00009876";
const AWS_KEY_ID: &str = "AKIACLISECRETAWS0042";
const AWS_SECRET: &str = "CLIsecretAwsSecretAccessKey/0123456789";
const ANTHROPIC_KEY: &str = "sk-ant-api03-CLIsecretAnthropic5555";

async fn an_operator_manages_projects_keys_and_users(backend: Backend) {
    let (app, _owner) = spawn_with_owner(backend).await;

    // Projects.
    let backend_project = json_ok(
        &app,
        &[
            "project",
            "create",
            "--name",
            "Backend",
            "--description",
            "The public API",
            "--json",
        ],
        "",
    );
    assert_eq!(backend_project["name"], "Backend");
    assert_eq!(backend_project["active"], true);
    let project_id = backend_project["id"].as_i64().unwrap();
    let text = ok(&app, &["project", "create", "--name", "Billing"], "");
    assert!(text.contains("Created project \"Billing\""), "{text}");
    let text = ok(&app, &["project", "list"], "");
    assert!(text.lines().next().unwrap().contains("name"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("Backend") && l.contains("The public API")),
        "{text}"
    );
    let projects = json_ok(&app, &["project", "list", "--json"], "");
    assert_eq!(names(&projects, "projects", "name"), ["Backend", "Billing"]);

    // A project key by name: the secret comes from stdin and only its masked form comes out.
    let out = run(
        &app,
        &[
            "key",
            "create",
            "Backend",
            "openai",
            "--name",
            "prod",
            "--description",
            "production traffic",
        ],
        &format!("{OPENAI_KEY}\n"),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_never_shown(&out, OPENAI_KEY);
    assert_never_shown(&out, "CLIsecret");
    let prod = key_named(&app, "prod").await;
    assert_eq!(prod.project_id, Some(project_id as i32));
    assert_eq!(prod.owner_user_id, None);
    assert_eq!(prod.description, "production traffic");
    let text = stdout_of(&out);
    assert!(text.contains(&prod.secret_hint), "{text}");
    assert!(text.contains("prod") && text.contains("Backend"), "{text}");
    let opened = domain::provider_keys::open_secret(&app.state, &prod)
        .await
        .unwrap();
    assert_eq!(opened.key.expose_secret(), OPENAI_KEY);

    // A project key by id, JSON out; whitespace around the secret is trimmed.
    let out = run(
        &app,
        &[
            "key",
            "create",
            &project_id.to_string(),
            "groq",
            "--name",
            "batch",
            "--json",
        ],
        &format!("  {GROQ_KEY}  \n"),
    );
    assert_never_shown(&out, GROQ_KEY);
    let batch: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(batch["scope"], "project");
    assert_eq!(batch["projectName"], "Backend");
    assert_eq!(batch["provider"], "groq");
    assert_eq!(
        batch["secretHint"],
        key_named(&app, "batch").await.secret_hint
    );
    let opened = domain::provider_keys::open_secret(&app.state, &key_named(&app, "batch").await)
        .await
        .unwrap();
    assert_eq!(opened.key.expose_secret(), GROQ_KEY);

    // AWS: two stdin lines and a region.
    let out = run(
        &app,
        &[
            "key",
            "create",
            "Backend",
            "aws",
            "--name",
            "bedrock",
            "--region",
            "eu-west-1",
            "--json",
        ],
        &format!("{AWS_KEY_ID}\n{AWS_SECRET}\n"),
    );
    assert_never_shown(&out, AWS_KEY_ID);
    assert_never_shown(&out, AWS_SECRET);
    let bedrock: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bedrock["region"], "eu-west-1");
    let opened = domain::provider_keys::open_secret(&app.state, &key_named(&app, "bedrock").await)
        .await
        .unwrap();
    assert_eq!(opened.key.expose_secret(), AWS_KEY_ID);
    assert_eq!(
        opened.secret_access_key.unwrap().expose_secret(),
        AWS_SECRET
    );

    // A user, with the password from stdin, who can then sign in.
    let out = run(
        &app,
        &[
            "user",
            "create",
            "--email",
            "Dev@Acme.test",
            "--name",
            "Dee Veloper",
            "--json",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_never_shown(&out, PASSWORD);
    let dev: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dev["email"], "dev@acme.test");
    assert_eq!(dev["role"], "member");
    assert_eq!(dev["disabled"], false);
    assert_eq!(
        app.login_status("dev@acme.test", PASSWORD).await,
        StatusCode::OK
    );

    // Their personal key: `-` instead of a project, with --user.
    let out = run(
        &app,
        &[
            "key",
            "create",
            "-",
            "anthropic",
            "--name",
            "mine",
            "--user",
            "dev@acme.test",
        ],
        &format!("{ANTHROPIC_KEY}\n"),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_never_shown(&out, ANTHROPIC_KEY);
    let mine = key_named(&app, "mine").await;
    assert_eq!(mine.project_id, None);
    assert_eq!(mine.owner_user_id, Some(dev["id"].as_i64().unwrap() as i32));
    assert!(stdout_of(&out).contains("personal dev@acme.test"));

    // Listing: JSON for scripts, masked everywhere.
    let out = run(&app, &["key", "list", "--json"], "");
    assert!(out.status.success(), "{}", stderr_of(&out));
    for secret in [OPENAI_KEY, GROQ_KEY, AWS_KEY_ID, AWS_SECRET, ANTHROPIC_KEY] {
        assert_never_shown(&out, secret);
    }
    assert_never_shown(&out, "CLIsecret");
    let keys: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut listed = names(&keys, "keys", "name");
    listed.sort();
    assert_eq!(listed, ["batch", "bedrock", "mine", "prod"]);
    let prod_json = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "prod")
        .unwrap()
        .clone();
    assert_eq!(prod_json["id"], prod.id);
    assert_eq!(prod_json["provider"], "openai");
    assert_eq!(prod_json["secretHint"], prod.secret_hint);
    assert_eq!(prod_json["scope"], "project");
    assert_eq!(prod_json["projectId"], project_id);
    assert_eq!(prod_json["active"], true);
    let mine_json = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "mine")
        .unwrap()
        .clone();
    assert_eq!(mine_json["scope"], "personal");
    assert_eq!(mine_json["ownerEmail"], "dev@acme.test");

    let only_openai = json_ok(
        &app,
        &[
            "key",
            "list",
            "--project",
            "backend",
            "--provider",
            "openai",
            "--json",
        ],
        "",
    );
    assert_eq!(names(&only_openai, "keys", "name"), ["prod"]);
    let billing = json_ok(&app, &["key", "list", "--project", "Billing", "--json"], "");
    assert_eq!(billing["keys"], serde_json::json!([]));

    // Listing for people: a table with the masked key and whose key it is.
    let text = ok(&app, &["key", "list"], "");
    let header = text.lines().next().unwrap();
    for column in ["id", "provider", "name", "key", "scope", "active"] {
        assert!(header.contains(column), "{text}");
    }
    let prod_line = text.lines().find(|l| l.contains(" prod ")).unwrap();
    assert!(prod_line.contains(&prod.secret_hint), "{text}");
    assert!(prod_line.contains("project Backend"), "{text}");
    assert!(prod_line.trim_end().ends_with("yes"), "{text}");
    let mine_line = text.lines().find(|l| l.contains(" mine ")).unwrap();
    assert!(mine_line.contains("personal dev@acme.test"), "{text}");

    // Deactivating.
    let text = ok(&app, &["key", "deactivate", &prod.id.to_string()], "");
    assert!(text.contains("Deactivated"), "{text}");
    assert!(text.contains(&prod.secret_hint), "{text}");
    assert!(!key_named(&app, "prod").await.active);
    let keys = json_ok(&app, &["key", "list", "--provider", "openai", "--json"], "");
    assert_eq!(keys["keys"][0]["active"], false);
    let text = ok(&app, &["key", "list", "--provider", "openai"], "");
    assert!(
        text.lines()
            .any(|l| l.contains(" prod ") && l.trim_end().ends_with("no")),
        "{text}"
    );
    assert!(key_named(&app, "batch").await.active);

    // Users: listed, then "deleted" (disabled: they cannot sign in, their row stays).
    let users = json_ok(&app, &["user", "list", "--json"], "");
    assert_eq!(
        names(&users, "users", "email"),
        ["dev@acme.test", "owner@acme.test"]
    );
    let text = ok(&app, &["user", "list"], "");
    let dev_line = text.lines().find(|l| l.contains("dev@acme.test")).unwrap();
    assert!(
        dev_line.contains("Dee Veloper") && dev_line.contains("member"),
        "{text}"
    );
    assert!(dev_line.trim_end().ends_with("active"), "{text}");

    let text = ok(&app, &["user", "delete", "dev@acme.test"], "");
    assert!(text.contains("Disabled user dev@acme.test"), "{text}");
    assert!(text.contains("never erased"), "{text}");
    assert!(user_by_email(&app, "dev@acme.test").await.disabled);
    assert_eq!(
        app.login_status("dev@acme.test", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    let users = json_ok(&app, &["user", "list", "--json"], "");
    assert_eq!(users["users"][0]["email"], "dev@acme.test");
    assert_eq!(users["users"][0]["disabled"], true);
    let text = ok(&app, &["user", "list"], "");
    assert!(
        text.lines()
            .any(|l| l.contains("dev@acme.test") && l.trim_end().ends_with("disabled")),
        "{text}"
    );
    // By id, again: nothing changes.
    let again = json_ok(
        &app,
        &["user", "delete", &dev["id"].to_string(), "--json"],
        "",
    );
    assert_eq!(again["disabled"], true);
    // The acting owner cannot disable themselves.
    let stderr = fails(&app, &["user", "delete", "owner@acme.test"], "");
    assert!(stderr.contains("acts as"), "{stderr}");
    assert!(!user_by_email(&app, "owner@acme.test").await.disabled);

    // `token create` still works next to the new commands.
    let token = json_ok(&app, &["token", "create", "--name", "ci", "--json"], "");
    assert!(token["token"].as_str().unwrap().starts_with("kg_admin_"));
    app.finish().await;
}

async fn organizations_are_created_listed_and_picked_with_org_id(backend: Backend) {
    let (app, _owner) = spawn_with_owner(backend).await;
    // With a single organization, --org-id is optional.
    ok(&app, &["project", "create", "--name", "Shared"], "");

    let out = run(
        &app,
        &[
            "org",
            "create",
            "--name",
            "Globex",
            "--owner-email",
            "hank@globex.test",
            "--owner-name",
            "Hank",
            "--json",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_never_shown(&out, PASSWORD);
    let globex: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(globex["name"], "Globex");
    assert_eq!(globex["owner"]["email"], "hank@globex.test");
    assert_eq!(globex["owner"]["displayName"], "Hank");
    let globex_id = globex["id"].as_i64().unwrap().to_string();
    let hank = user_by_email(&app, "hank@globex.test").await;
    assert_eq!(hank.role, "owner");
    assert_eq!(hank.org_id.to_string(), globex_id);
    assert_eq!(
        app.login_status("hank@globex.test", PASSWORD).await,
        StatusCode::OK
    );

    let orgs = json_ok(&app, &["org", "list", "--json"], "");
    assert_eq!(names(&orgs, "organizations", "name"), ["Acme", "Globex"]);
    assert_eq!(orgs["organizations"][1]["users"], 1);
    let text = ok(&app, &["org", "list"], "");
    assert!(
        text.lines()
            .any(|l| l.starts_with(&globex_id) && l.contains("Globex")),
        "{text}"
    );

    // Two organizations: commands that act inside one need --org-id.
    let stderr = fails(&app, &["project", "list"], "");
    assert!(
        stderr.contains("several organizations exist; pass --org-id"),
        "{stderr}"
    );
    let out = run(
        &app,
        &["key", "create", "Shared", "openai", "--name", "x"],
        &format!("{OPENAI_KEY}\n"),
    );
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("pass --org-id"));
    assert_never_shown(&out, OPENAI_KEY);

    // Each organization sees only its own projects; the default actor is its owner.
    let created = json_ok(
        &app,
        &[
            "project", "create", "--name", "Rockets", "--org-id", &globex_id, "--json",
        ],
        "",
    );
    assert_eq!(created["orgId"].to_string(), globex_id);
    let listed = json_ok(
        &app,
        &["project", "list", "--org-id", &globex_id, "--json"],
        "",
    );
    assert_eq!(names(&listed, "projects", "name"), ["Rockets"]);
    let acme_id = user_by_email(&app, "owner@acme.test")
        .await
        .org_id
        .to_string();
    let listed = json_ok(
        &app,
        &["project", "list", "--org-id", &acme_id, "--json"],
        "",
    );
    assert_eq!(names(&listed, "projects", "name"), ["Shared"]);
    // Another organization's project is not found, and nobody acts across organizations.
    let stderr = fails(
        &app,
        &[
            "key", "create", "Shared", "openai", "--name", "x", "--org-id", &globex_id,
        ],
        &format!("{OPENAI_KEY}\n"),
    );
    assert!(stderr.contains("no project \"Shared\""), "{stderr}");
    let stderr = fails(
        &app,
        &[
            "project",
            "list",
            "--org-id",
            &globex_id,
            "--as",
            "owner@acme.test",
        ],
        "",
    );
    assert!(stderr.contains("no such active user"), "{stderr}");
    let stderr = fails(&app, &["project", "list", "--org-id", "9999"], "");
    assert!(stderr.contains("no organization with id 9999"), "{stderr}");
    // The e-mail is taken.
    let stderr = fails(
        &app,
        &[
            "org",
            "create",
            "--name",
            "Again",
            "--owner-email",
            "hank@globex.test",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(stderr.contains("already exists"), "{stderr}");
    app.finish().await;
}

async fn errors_are_clear_and_never_echo_secrets(backend: Backend) {
    let (app, _owner) = spawn_with_owner(backend).await;
    ok(&app, &["project", "create", "--name", "Backend"], "");

    let stderr = fails(
        &app,
        &["key", "create", "Nowhere", "openai", "--name", "x"],
        &format!("{OPENAI_KEY}\n"),
    );
    assert!(stderr.contains("no project \"Nowhere\""), "{stderr}");
    assert!(!stderr.contains(OPENAI_KEY));

    let bad = "pk-CLIsecretNotAnOpenAIKey";
    let out = run(
        &app,
        &["key", "create", "Backend", "openai", "--name", "x"],
        &format!("{bad}\n"),
    );
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("Invalid API key format"));
    assert_never_shown(&out, bad);
    assert_never_shown(&out, "CLIsecret");

    let stderr = fails(
        &app,
        &["key", "create", "Backend", "openai", "--name", "x"],
        "",
    );
    assert!(stderr.contains("no API key given on stdin"), "{stderr}");
    let stderr = fails(
        &app,
        &["key", "create", "Backend", "gpt", "--name", "x"],
        &format!("{OPENAI_KEY}\n"),
    );
    assert!(stderr.contains("Unknown provider"), "{stderr}");
    let stderr = fails(
        &app,
        &["key", "create", "Backend", "aws", "--name", "x"],
        &format!("{AWS_KEY_ID}\n"),
    );
    assert!(stderr.contains("two lines"), "{stderr}");
    assert!(!stderr.contains(AWS_KEY_ID));
    let stderr = fails(
        &app,
        &[
            "key",
            "create",
            "Backend",
            "openai",
            "--name",
            "x",
            "--user",
            "owner@acme.test",
        ],
        &format!("{OPENAI_KEY}\n"),
    );
    assert!(
        stderr.contains("personal keys belong to no project"),
        "{stderr}"
    );
    let stderr = fails(
        &app,
        &[
            "key",
            "create",
            "-",
            "openai",
            "--name",
            "x",
            "--user",
            "ghost@acme.test",
        ],
        &format!("{OPENAI_KEY}\n"),
    );
    assert!(stderr.contains("no user \"ghost@acme.test\""), "{stderr}");
    assert!(
        provider_key::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .is_empty(),
        "no failed command may store a key"
    );

    let stderr = fails(&app, &["key", "deactivate", "999"], "");
    assert!(stderr.contains("no key with id 999"), "{stderr}");
    let stderr = fails(&app, &["user", "delete", "ghost@acme.test"], "");
    assert!(stderr.contains("no user"), "{stderr}");

    // Domain validation messages come through as they are.
    let stderr = fails(
        &app,
        &["user", "create", "--email", "x@acme.test", "--name", "X"],
        "short\n",
    );
    assert!(stderr.contains("Use at least"), "{stderr}");
    let stderr = fails(
        &app,
        &[
            "user",
            "create",
            "--email",
            "owner@acme.test",
            "--name",
            "X",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(stderr.contains("already exists"), "{stderr}");
    let stderr = fails(&app, &["project", "create", "--name", "Backend"], "");
    assert!(
        stderr.contains("A project with this name already exists."),
        "{stderr}"
    );

    // Members cannot act as admins.
    ok(
        &app,
        &["user", "create", "--email", "m@acme.test", "--name", "M"],
        &format!("{PASSWORD}\n"),
    );
    let stderr = fails(&app, &["project", "list", "--as", "m@acme.test"], "");
    assert!(stderr.contains("m@acme.test is not an admin"), "{stderr}");
    app.finish().await;
}

on_both_databases!(
    an_operator_manages_projects_keys_and_users,
    organizations_are_created_listed_and_picked_with_org_id,
    errors_are_clear_and_never_echo_secrets,
);

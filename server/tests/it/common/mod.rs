//! `spawn_app()`: the real server on port 0, with a fresh SQLite file or a fresh PostgreSQL
//! database per test, driven over real HTTP.
#![allow(dead_code)] // not every helper is used by the current tests

use std::sync::Arc;

use domain::AppState;
use domain::accounts::setup::{NewOrganization, create_organization};
use keygate_server::Server;
use keygate_server::config::Config;
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;

pub mod cli;
pub mod fake_provider;
pub mod fake_smtp;
pub mod gateway;
pub mod process;

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per database backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )*
    };
}

pub fn pg_admin_url() -> String {
    std::env::var("KEYGATE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres:keygate@127.0.0.1:5432/postgres".into())
}

/// A database for one test: a file in a temp dir, or a new PostgreSQL database.
pub struct TestDatabase {
    pub url: Option<String>,
    pg_name: Option<String>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self {
                url: None,
                pg_name: None,
            },
            Backend::Postgres => {
                let admin_url = pg_admin_url();
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin_url} is required for these tests: {e}")
                });
                let name = format!("kg_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                let (base, _) = admin_url.rsplit_once('/').unwrap();
                Self {
                    url: Some(format!("{base}/{name}")),
                    pg_name: Some(name),
                }
            }
        }
    }

    /// The PostgreSQL database's name (`None` on SQLite).
    pub fn pg_name(&self) -> Option<&str> {
        self.pg_name.as_deref()
    }

    pub async fn drop_database(&self) {
        if let Some(name) = &self.pg_name {
            let admin = Database::connect(&pg_admin_url()).await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .unwrap();
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub setup_token: Option<String>,
    pub config: Config,
    pub database: Arc<TestDatabase>,
    pub dir: Arc<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Resolves when the server's `run` has returned (after its shutdown).
    stopped: Option<tokio::sync::oneshot::Receiver<()>>,
}

pub fn config_for(dir: &tempfile::TempDir, database: &TestDatabase) -> Config {
    let mut config = Config::for_data_dir(dir.path().to_path_buf());
    config.database_url = database.url.clone().map(keygate_server::config::Redacted);
    config
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// A server with an organization "Acme" whose owner is `owner@acme.test`, and that owner's
/// signed-in client.
pub async fn spawn_with_owner(backend: Backend) -> (TestApp, reqwest::Client) {
    let app = spawn_app(backend).await;
    app.create_owner("owner@acme.test").await;
    let owner = app.signed_in("owner@acme.test", PASSWORD).await;
    (app, owner)
}

pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(backend).await;
    let mut config = config_for(&dir, &database);
    adjust(&mut config);
    start(config, Arc::new(database), Arc::new(dir)).await
}

async fn start(
    config: Config,
    database: Arc<TestDatabase>,
    dir: Arc<tempfile::TempDir>,
) -> TestApp {
    try_start(config, database, dir).await.unwrap()
}

async fn try_start(
    config: Config,
    database: Arc<TestDatabase>,
    dir: Arc<tempfile::TempDir>,
) -> Result<TestApp, String> {
    let server = Server::bind(&config).await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", server.addr);
    let state = server.state.clone();
    let setup_token = server.setup_token.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (stopped_tx, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        server
            .run(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        let _ = stopped_tx.send(());
    });
    Ok(TestApp {
        base,
        state,
        setup_token,
        config,
        database,
        dir,
        shutdown: Some(tx),
        stopped: Some(stopped),
    })
}

/// The JSON body of a response.
pub async fn json_of(res: reqwest::Response) -> serde_json::Value {
    res.json().await.unwrap()
}

impl TestApp {
    /// Creates a project through the REST API and returns its id.
    pub async fn create_project(&self, admin: &reqwest::Client, name: &str) -> i64 {
        let res = admin
            .post(self.url("/api/admin/projects"))
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::CREATED);
        json_of(res).await["id"].as_i64().unwrap()
    }

    /// Another organization ("Globex") whose owner is `email`, signed in.
    pub async fn other_org_owner(&self, email: &str) -> reqwest::Client {
        create_organization(
            &self.state.db,
            &self.state.hasher,
            NewOrganization {
                org_name: "Globex".into(),
                owner_name: "Gina".into(),
                owner_email: email.into(),
                password: SecretString::from(PASSWORD.to_owned()),
            },
            false,
        )
        .await
        .unwrap();
        self.signed_in(email, PASSWORD).await
    }

    /// Opens every sealed provider key with a keyring freshly loaded from the database (as a
    /// restarted server would): `(key name, secret)`. Panics if any row does not open.
    pub async fn open_every_key(&self) -> Vec<(String, Vec<u8>)> {
        use sea_orm::EntityTrait;
        use secrecy::ExposeSecret as _;
        let ring =
            domain::vault::keyring::Keyring::load_or_init(&self.state.db, &self.state.master_key)
                .await
                .unwrap();
        let rows = domain::entities::provider_key::Entity::find()
            .all(&self.state.db)
            .await
            .unwrap();
        rows.iter()
            .map(|row| {
                let record = format!("provider_keys:{}", row.uid);
                let sealed = domain::vault::envelope::SealedSecret {
                    key_version: row.key_version.unwrap(),
                    wrapped_key: row.wrapped_key.clone().unwrap(),
                    ciphertext: row.ciphertext.clone().unwrap(),
                };
                let opened = ring
                    .open(
                        &domain::provider_keys::secret_context(row.org_id, &record),
                        &sealed,
                    )
                    .unwrap();
                (row.name.clone(), opened.expose_secret().to_vec())
            })
            .collect()
    }

    /// A browser-like client with its own cookie jar.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates an organization and its owner directly through the domain layer.
    pub async fn create_owner(&self, email: &str) -> domain::entities::user::Model {
        create_organization(
            &self.state.db,
            &self.state.hasher,
            NewOrganization {
                org_name: "Acme".into(),
                owner_name: "Olivia Owner".into(),
                owner_email: email.into(),
                password: SecretString::from(PASSWORD.to_owned()),
            },
            false,
        )
        .await
        .unwrap()
    }

    /// The id of the user with this email.
    pub async fn user_id(&self, email: &str) -> i64 {
        use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
        let found = domain::entities::user::Entity::find()
            .filter(domain::entities::user::Column::Email.eq(email))
            .one(&self.state.db)
            .await
            .unwrap()
            .unwrap();
        i64::from(found.id)
    }

    pub async fn login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Calls a server function the way the browser does: a same-origin form post.
    pub async fn rpc(
        &self,
        client: &reqwest::Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&format!("/rpc/{name}")))
            .header("origin", &self.base)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// The status of `GET /api/me` for `client`: 200 when signed in, 401 when not.
    pub async fn me_status(&self, client: &reqwest::Client) -> reqwest::StatusCode {
        client
            .get(self.url("/api/me"))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// The status of a sign-in from a fresh client.
    pub async fn login_status(&self, email: &str, password: &str) -> reqwest::StatusCode {
        self.login(&self.client(), email, password).await.status()
    }

    /// A fresh client, signed in as `email` (asserts the sign-in worked).
    pub async fn signed_in(&self, email: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        let status = self.login(&client, email, password).await.status();
        assert_eq!(status, reqwest::StatusCode::OK, "sign-in as {email}");
        client
    }

    /// Creates a user through the `users_create` server function.
    pub async fn create_user(
        &self,
        admin: &reqwest::Client,
        display_name: &str,
        email: &str,
        role: &str,
        password: &str,
    ) -> reqwest::Response {
        let form = [
            ("display_name", display_name),
            ("email", email),
            ("role", role),
            ("password", password),
        ];
        self.rpc(admin, "users_create", &form).await
    }

    /// Changes the signed-in user's password through the `change_password` server function.
    pub async fn change_password(
        &self,
        client: &reqwest::Client,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> reqwest::Response {
        let form = [
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", confirm),
        ];
        self.rpc(client, "change_password", &form).await
    }

    /// Stops the server and closes its pool, keeping its data and this handle: `restart_with`
    /// starts it again (for work that needs the database to itself, like a restore).
    pub async fn pause(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        self.state.db.clone().close().await.ok();
    }

    /// Stops the server, then starts a new one on the same data (a restart).
    pub async fn restart_with(
        &mut self,
        adjust: impl FnOnce(&mut Config),
    ) -> Result<TestApp, String> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let mut config = self.config.clone();
        config.addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        adjust(&mut config);
        self.state.db.clone().close().await.ok();
        try_start(config, self.database.clone(), self.dir.clone()).await
    }

    /// Another server (a replica) on the same database and data directory, configured like
    /// this one but for `adjust`. Stop it with [`TestApp::stop`]: `finish` drops the database.
    pub async fn replica(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = self.config.clone();
        config.addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        adjust(&mut config);
        start(config, self.database.clone(), self.dir.clone()).await
    }

    /// Sends the shutdown signal (as SIGTERM does) and returns at once.
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits until the server's `run` has returned.
    pub async fn stopped(&mut self) {
        if let Some(stopped) = self.stopped.take() {
            let _ = stopped.await;
        }
    }

    /// Shuts this server down gracefully (as on SIGTERM), leaving the database in place.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        self.state.db.clone().close().await.ok();
    }

    pub async fn finish(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.state.db.clone().close().await.ok();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        self.database.drop_database().await;
    }
}

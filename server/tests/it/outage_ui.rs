//! The database goes away while people use the browser: pages and the UI's calls answer with
//! a clear "cannot reach its database" message (503), never a crash or a bare 500, and work
//! again once it is back.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::common::gateway::Gateway;
use crate::common::{self, Backend};

async fn set_connections(name: &str, allowed: bool) {
    use sea_orm::ConnectionTrait as _;
    let admin = sea_orm::Database::connect(&common::pg_admin_url())
        .await
        .unwrap();
    let sql = if allowed {
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    } else {
        format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )
    };
    admin.execute_unprepared(&sql).await.unwrap();
    admin.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_says_the_database_is_unreachable_and_recovers() {
    let gw = Gateway::start(Backend::Postgres).await;
    let name = gw.app.database.pg_name().unwrap().to_owned();
    let page = gw.owner.get(gw.app.url("/projects")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    set_connections(&name, false).await;
    // A browser asking for pages gets a page that explains and retries by itself.
    for path in ["/projects", "/", "/login"] {
        let res = gw
            .owner
            .get(gw.app.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(res.headers()["retry-after"], "5");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Keygate cannot reach its database"),
            "{path}: {body}"
        );
        assert!(body.contains("http-equiv=\"refresh\""));
    }
    // The UI's own calls get an error it shows as a message; programs get JSON.
    let res = gw.app.rpc(&gw.owner, "projects_list", &[]).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key("serverfnerror"));
    let body = res.text().await.unwrap();
    assert!(body.contains("cannot reach its database"), "{body}");
    let res = gw
        .owner
        .get(gw.app.url("/api/admin/projects"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = common::json_of(res).await;
    assert_eq!(body["error"]["code"], "unavailable", "{body}");

    set_connections(&name, true).await;
    let back = Instant::now();
    loop {
        let page = gw.owner.get(gw.app.url("/projects")).send().await.unwrap();
        if page.status() == StatusCode::OK {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "pages did not come back within 5 s of the database"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "database outage (PostgreSQL): pages, UI calls and REST answered 503 with an \
         explanation; pages served again {} ms after the database returned",
        back.elapsed().as_millis()
    );
    gw.finish().await;
}

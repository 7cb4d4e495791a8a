//! Start-up refuses a missing, malformed or wrong master key, on both databases.

use crate::common;

use common::{Backend, spawn_app};
use keygate_server::config::Redacted;

async fn the_master_key_must_match_the_database(backend: Backend) {
    let mut app = spawn_app(backend).await;
    assert_eq!(
        app.state.keyring.current_version(),
        1,
        "first start creates keyring version 1"
    );
    let key_file = app.config.master_key_path();
    let key_text = std::fs::read_to_string(&key_file).unwrap();
    let mode = {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode, 0o600, "generated key file must be private");

    // Wrong key.
    match app
        .restart_with(|c| {
            c.master_key = Some(Redacted(
                "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=".into(),
            ))
        })
        .await
    {
        Ok(_) => panic!("started with the wrong key"),
        Err(message) => {
            assert!(
                message.contains("does not match this database"),
                "{message}"
            );
            assert!(!message.contains(key_text.trim()), "error leaks the key");
        }
    }
    // Malformed and all-zero keys.
    for (bad, expected) in [
        ("not-a-key", "malformed"),
        ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "all zeros"),
    ] {
        let err = keygate_server::Server::bind(&{
            let mut c = app.config.clone();
            c.master_key = Some(Redacted(bad.into()));
            c
        })
        .await
        .err()
        .expect("refused");
        assert!(err.to_string().contains(expected), "{err}");
    }
    // Key file gone: refuse rather than generate a new key for an initialised database.
    std::fs::rename(&key_file, key_file.with_extension("bak")).unwrap();
    let err = keygate_server::Server::bind(&app.config)
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string()
            .contains("was initialised with a master key"),
        "{err}"
    );
    std::fs::rename(key_file.with_extension("bak"), &key_file).unwrap();
    // The right key (as a variable) works.
    let mut right = app.config.clone();
    right.master_key = Some(Redacted(key_text.trim().to_owned()));
    right.master_key_file = None;
    assert!(keygate_server::Server::bind(&right).await.is_ok());
    app.finish().await;
}

on_both_databases!(the_master_key_must_match_the_database);

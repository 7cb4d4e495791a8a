//! Integration tests: the real `keygate` server on real SQLite and PostgreSQL databases,
//! driven over HTTP and through the CLI. One test binary (rather than one per file) keeps
//! link time and disk use down: each extra binary statically links the whole server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

#[macro_use]
mod common;

mod accounts;
mod alerts;
mod alerts_email;
mod audit;
mod backup;
mod bad_input;
mod broker;
mod cli;
mod cli_insight;
mod cli_manage;
mod cli_proxy_keys;
mod cli_vault_tokens;
mod crash;
mod custom_providers;
mod deploy;
mod disk_full;
mod faults;
mod insight;
mod insight_rollups;
mod ip_allowlist;
mod limits;
mod metrics;
mod mfa;
mod openapi;
mod outage_ui;
mod projects;
mod provider_keys;
mod proxy;
mod proxy_auth;
mod proxy_failover;
mod proxy_files;
mod proxy_sdk;
mod proxy_stream;
mod replicas;
mod rolling;
mod rotation;
mod secret_scan;
mod shutdown;
mod soak;
mod startup;
mod telemetry;
mod token_scopes;
mod tokens;
mod vault;

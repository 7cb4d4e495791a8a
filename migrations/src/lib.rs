//! Schema migrations, run by the server at start-up. The same migrations serve SQLite and
//! PostgreSQL, so they only use portable column types.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_accounts;
mod m20261125_000002_vault_keyring;
mod m20261125_000003_projects;
mod m20261125_000004_provider_keys;
mod m20261125_000005_api_tokens;
mod m20261125_000006_custom_providers;
mod m20261125_000007_gateway;
mod m20261126_000008_proxy_files;
mod m20261126_000009_insight;
mod m20261127_000010_governance;
mod m20261127_000011_key_deliveries;
mod m20261127_000012_alerts;
mod m20261127_000013_mfa;
mod m20261127_000014_ip_allowlists;
mod m20261127_000015_alert_email;
mod m20261128_000016_job_leases;
mod m20261128_000017_rate_cells;
mod m20261129_000018_usage_intents;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_accounts::Migration),
            Box::new(m20261125_000002_vault_keyring::Migration),
            Box::new(m20261125_000003_projects::Migration),
            Box::new(m20261125_000004_provider_keys::Migration),
            Box::new(m20261125_000005_api_tokens::Migration),
            Box::new(m20261125_000006_custom_providers::Migration),
            Box::new(m20261125_000007_gateway::Migration),
            Box::new(m20261126_000008_proxy_files::Migration),
            Box::new(m20261126_000009_insight::Migration),
            Box::new(m20261127_000010_governance::Migration),
            Box::new(m20261127_000011_key_deliveries::Migration),
            Box::new(m20261127_000012_alerts::Migration),
            Box::new(m20261127_000013_mfa::Migration),
            Box::new(m20261127_000014_ip_allowlists::Migration),
            Box::new(m20261127_000015_alert_email::Migration),
            Box::new(m20261128_000016_job_leases::Migration),
            Box::new(m20261128_000017_rate_cells::Migration),
            Box::new(m20261129_000018_usage_intents::Migration),
        ]
    }
}

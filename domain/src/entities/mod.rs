//! SeaORM entities. Server-only: these never cross into the browser build.

pub mod api_token;
pub mod custom_provider;
pub mod login_throttle;
pub mod organization;
pub mod project;
pub mod provider_key;
pub mod provider_key_event;
pub mod session;
pub mod user;
pub mod vault_key;
pub mod vault_meta;

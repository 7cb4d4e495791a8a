//! SeaORM entities. Server-only: these never cross into the browser build.

pub mod api_token;
pub mod audit_head;
pub mod audit_log;
pub mod custom_provider;
pub mod key_delivery;
pub mod key_rotation;
pub mod login_throttle;
pub mod model_price;
pub mod model_route;
pub mod org_jwt;
pub mod organization;
pub mod persona;
pub mod project;
pub mod provider_key;
pub mod provider_key_event;
pub mod proxy_file;
pub mod rating;
pub mod session;
pub mod usage_event;
pub mod usage_limit;
pub mod usage_rollup;
pub mod user;
pub mod vault_key;
pub mod vault_meta;
pub mod virtual_key;

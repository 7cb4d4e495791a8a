//! Server functions, one file per area. All live under `/rpc/…` so the `/api` prefix stays
//! the REST API's, with its JSON error format.

pub mod access;
pub mod account;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod keys;
pub mod limits;
pub mod mfa;
pub mod org;
pub mod org_jwts;
pub mod personas;
pub mod projects;
pub mod providers;
pub mod reports;
pub mod rotation;
pub mod routing;
pub mod tokens;
pub mod usage;
pub mod users;
pub mod virtual_keys;

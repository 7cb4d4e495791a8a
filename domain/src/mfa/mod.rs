//! Two-factor authentication with TOTP (authenticator apps) and single-use recovery codes.
//!
//! - [`totp`]: codes (SHA-1, 6 digits, 30 s, ±1 step, replay refused) and the QR code;
//! - [`recovery`]: the ten recovery codes and their hashes;
//! - [`store`]: the sealed secret (envelope-encrypted with the vault, like provider secrets)
//!   and the code checks against the database;
//! - [`account`]: enrol, verify, turn off, new recovery codes — throttled and audited;
//! - [`sign_in`]: the password step and the code step of a sign-in;
//! - [`session`]: the pending sign-in and "recently verified" markers in the session;
//! - [`policy`]: the organization's "Require two-factor authentication" setting;
//! - [`rewrap`]: master-key rotation of the sealed secrets.
//!
//! Every function that depends on the time takes it as a parameter (`now`).

pub mod account;
pub mod policy;
pub mod recovery;
pub mod rewrap;
pub mod session;
pub mod sign_in;
pub mod store;
pub mod totp;

#[cfg(test)]
mod tests;

pub use store::{Enrolment, Method, Status, is_enabled, status};

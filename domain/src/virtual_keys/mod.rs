//! Keygate keys (a.k.a. virtual keys, tokens): what clients send to the `/v1` proxy.

pub mod cache;
pub mod format;
pub mod input;
pub mod store;

pub use cache::{AuthFailure, Caller, KeyCache};
pub use store::{KeyStatus, NewVirtualKey};

//! IP allowlists: which client networks may use a Keygate key, and which may reach an
//! organization's admin console.
//!
//! An empty list allows every address. A non-empty list allows only addresses inside one of
//! its CIDR blocks; a request whose client address is unknown is refused (fail closed).

mod admin;
mod allowlist;
mod client_ip;

pub use admin::{
    AdminAccess, admin_allowlist, ensure_admin_access, set_admin_allowlist, store_admin_allowlist,
};
pub use allowlist::{AllowlistError, IpAllowlist, MAX_ENTRIES};
pub use client_ip::{ClientAddr, client_ip};

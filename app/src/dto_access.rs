//! The admin console's IP allowlist as the Settings page and the REST API show it. Kept apart
//! from the other DTOs: it is about network access, not keys or accounts. Never entities.

use serde::{Deserialize, Serialize};

/// The organization's admin IP allowlist and the address this request came from, so the page
/// can say whether a list would let the admin back in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = AdminIpAllowlist))]
#[serde(rename_all = "camelCase")]
pub struct AdminIpAllowlistDto {
    /// IP addresses / CIDR blocks the admin console may be used from; empty = anywhere.
    pub allowed_ips: Vec<String>,
    /// The caller's address as Keygate sees it (after trusted proxies).
    #[serde(default)]
    pub your_ip: Option<String>,
}

/// A new admin IP allowlist.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = SetAdminIpAllowlist))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetAdminIpAllowlistDto {
    /// IP addresses or CIDR blocks; empty = anywhere. Refused (422) when it would not contain
    /// the caller's own address.
    pub allowed_ips: Vec<String>,
}

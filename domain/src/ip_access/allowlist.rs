//! A parsed list of CIDR blocks, stored as a JSON array of strings.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// Blocks one list may hold: enough for any office/VPN/CI setup, small enough to scan per
/// request without thinking about it.
pub const MAX_ENTRIES: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AllowlistError {
    #[error("`{0}` is not an IP address or CIDR block (e.g. 203.0.113.0/24 or 2001:db8::/32).")]
    Invalid(String),
    #[error("An allowlist holds at most {MAX_ENTRIES} entries.")]
    TooMany,
}

/// The networks an allowlist admits. Empty admits everyone.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IpAllowlist(Vec<IpNet>);

impl fmt::Debug for IpAllowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|n| n.to_string()))
            .finish()
    }
}

impl IpAllowlist {
    /// Parses entries such as `203.0.113.7`, `10.0.0.0/8` or `2001:db8::/32`. A bare address
    /// is a single host; host bits below the prefix are cleared (`10.1.2.3/8` → `10.0.0.0/8`);
    /// duplicates are dropped; blank entries are ignored.
    pub fn parse<I, S>(entries: I) -> Result<Self, AllowlistError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut nets: Vec<IpNet> = Vec::new();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            let net = parse_entry(entry)?;
            if !nets.contains(&net) {
                nets.push(net);
            }
            if nets.len() > MAX_ENTRIES {
                return Err(AllowlistError::TooMany);
            }
        }
        Ok(Self(nets))
    }

    /// Parses free text as typed in a form: entries separated by commas, spaces or newlines.
    pub fn parse_text(text: &str) -> Result<Self, AllowlistError> {
        Self::parse(text.split(|c: char| c == ',' || c.is_whitespace()))
    }

    /// Reads a stored column. A value that no longer parses admits nobody: a corrupted
    /// allowlist must not silently open access.
    pub fn from_stored(stored: Option<&str>) -> Self {
        let Some(json) = stored else {
            return Self::default();
        };
        let parsed = serde_json::from_str::<Vec<String>>(json)
            .ok()
            .and_then(|entries| Self::parse(entries).ok());
        match parsed {
            Some(list) => list,
            None => {
                tracing::error!("stored IP allowlist is unreadable; admitting no address");
                Self(vec![deny_all_marker()])
            }
        }
    }

    /// The column value: NULL for "anywhere".
    pub fn to_stored(&self) -> Option<String> {
        if self.0.is_empty() {
            None
        } else {
            serde_json::to_string(&self.entries()).ok()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The blocks in canonical text form, in the order given.
    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(|n| n.to_string()).collect()
    }

    /// Whether a client at `ip` may pass. An unknown address passes only an empty list.
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(ip) = ip else {
            return false;
        };
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

fn parse_entry(entry: &str) -> Result<IpNet, AllowlistError> {
    let invalid = || AllowlistError::Invalid(entry.chars().take(64).collect());
    if entry.contains('/') {
        let net: IpNet = entry.parse().map_err(|_| invalid())?;
        Ok(canonical_net(net.trunc()))
    } else {
        let ip: IpAddr = entry.parse().map_err(|_| invalid())?;
        Ok(IpNet::from(ip.to_canonical()))
    }
}

/// `::ffff:10.0.0.0/104` is written by some tools for an IPv4 block; keep it as IPv4 so it
/// matches IPv4 clients (which are compared in canonical form).
fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        other => other,
    }
}

/// A block no client address is in (the IPv6 discard-only prefix's first host, /128), used
/// when a stored list cannot be read.
fn deny_all_marker() -> IpNet {
    IpNet::from(IpAddr::V6(std::net::Ipv6Addr::new(
        0x100, 0, 0, 0, 0, 0, 0, 0,
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn empty_list_admits_everyone_even_unknown() {
        let list = IpAllowlist::parse_text("  ").unwrap();
        assert!(list.is_empty());
        assert!(list.allows(ip("198.51.100.1")));
        assert!(list.allows(None));
        assert_eq!(list.to_stored(), None);
    }

    #[test]
    fn blocks_and_hosts_match_inside_only() {
        let list = IpAllowlist::parse_text("10.0.0.0/8, 203.0.113.7\n2001:db8::/32").unwrap();
        assert!(list.allows(ip("10.200.3.4")));
        assert!(list.allows(ip("203.0.113.7")));
        assert!(list.allows(ip("2001:db8:1::5")));
        assert!(!list.allows(ip("203.0.113.8")));
        assert!(!list.allows(ip("11.0.0.1")));
        assert!(!list.allows(ip("2001:db9::1")));
        assert!(
            !list.allows(None),
            "unknown client refused by a non-empty list"
        );
    }

    #[test]
    fn ipv4_mapped_clients_match_ipv4_blocks() {
        let list = IpAllowlist::parse_text("127.0.0.0/8").unwrap();
        assert!(list.allows(ip("::ffff:127.0.0.1")));
        let mapped = IpAllowlist::parse_text("::ffff:192.168.0.0/112").unwrap();
        assert_eq!(mapped.entries(), vec!["192.168.0.0/16"]);
        assert!(mapped.allows(ip("192.168.4.4")));
    }

    #[test]
    fn host_bits_are_cleared_and_duplicates_dropped() {
        let list = IpAllowlist::parse_text("10.1.2.3/8 10.0.0.0/8 192.0.2.1").unwrap();
        assert_eq!(list.entries(), vec!["10.0.0.0/8", "192.0.2.1/32"]);
    }

    #[test]
    fn garbage_is_named_in_the_error() {
        for bad in [
            "10.0.0.0/33",
            "not-an-ip",
            "1.2.3",
            "::1/129",
            "10.0.0.0/8/8",
        ] {
            let err = IpAllowlist::parse([bad]).unwrap_err();
            assert_eq!(err, AllowlistError::Invalid(bad.to_owned()), "{bad}");
            assert!(err.to_string().contains(bad));
        }
    }

    #[test]
    fn too_many_entries_refused() {
        let many: Vec<String> = (0..=MAX_ENTRIES)
            .map(|i| format!("10.0.{i}.0/24"))
            .collect();
        assert_eq!(IpAllowlist::parse(&many), Err(AllowlistError::TooMany));
        assert!(IpAllowlist::parse(&many[..MAX_ENTRIES]).is_ok());
    }

    #[test]
    fn stored_round_trip_and_corruption_fails_closed() {
        let list = IpAllowlist::parse_text("10.0.0.0/8,::1").unwrap();
        let stored = list.to_stored().unwrap();
        assert_eq!(IpAllowlist::from_stored(Some(&stored)), list);
        assert_eq!(IpAllowlist::from_stored(None), IpAllowlist::default());
        let broken = IpAllowlist::from_stored(Some("[\"10.0.0.0/99\"]"));
        assert!(!broken.allows(ip("10.0.0.1")));
        assert!(!broken.allows(ip("::1")));
        assert!(!IpAllowlist::from_stored(Some("{")).allows(ip("127.0.0.1")));
    }
}

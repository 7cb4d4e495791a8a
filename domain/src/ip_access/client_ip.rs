//! The client's address when Keygate runs behind reverse proxies.

use std::net::IpAddr;

use super::IpAllowlist;

/// The resolved client address of a request, put in its extensions by the server's outermost
/// layer (see [`client_ip`]); `None` when the transport has no peer address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

/// The address a request came from. `peer` is the TCP peer. Only when it is one of the
/// `trusted` proxies is `X-Forwarded-For` read, right to left, skipping further trusted
/// hops: the first untrusted address is the client. (The left-most entries are whatever
/// the client claimed and are never believed.) An unparsable hop stops the walk at the last
/// trusted address, which no allowlist meant for clients should contain — fail closed.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &IpAllowlist) -> IpAddr {
    let peer = peer.to_canonical();
    if trusted.is_empty() || !trusted.allows(Some(peer)) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut current = peer;
    for hop in header.rsplit(',') {
        let Ok(addr) = hop.trim().parse::<IpAddr>() else {
            return current;
        };
        let addr = addr.to_canonical();
        if !trusted.allows(Some(addr)) {
            return addr;
        }
        current = addr;
    }
    current
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = IpAllowlist::parse_text("10.0.0.0/8").unwrap();
        assert_eq!(
            client_ip(ip("198.51.100.9"), Some("203.0.113.1"), &trusted),
            ip("198.51.100.9")
        );
        let none = IpAllowlist::default();
        assert_eq!(
            client_ip(ip("10.0.0.1"), Some("203.0.113.1"), &none),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn trusted_hops_are_skipped_from_the_right() {
        let trusted = IpAllowlist::parse_text("10.0.0.0/8").unwrap();
        // The client forged "1.1.1.1"; the edge proxy appended the real 203.0.113.5, an inner
        // proxy appended the edge's 10.0.0.2.
        let xff = "1.1.1.1, 203.0.113.5, 10.0.0.2";
        assert_eq!(
            client_ip(ip("10.0.0.3"), Some(xff), &trusted),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn missing_or_broken_header_keeps_a_trusted_address() {
        let trusted = IpAllowlist::parse_text("10.0.0.0/8").unwrap();
        assert_eq!(client_ip(ip("10.0.0.3"), None, &trusted), ip("10.0.0.3"));
        assert_eq!(
            client_ip(
                ip("10.0.0.3"),
                Some("203.0.113.5, garbage, 10.0.0.2"),
                &trusted
            ),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.3"), Some("::ffff:198.51.100.4"), &trusted),
            ip("198.51.100.4")
        );
    }
}

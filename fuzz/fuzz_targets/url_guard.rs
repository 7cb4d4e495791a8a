//! The SSRF guard on provider base URLs (`domain::providers::validate_base_url`) and the CIDR
//! allowlists (`domain::ip_access`). Invariants: whenever a base URL is accepted (private
//! upstreams not allowed) it is https, carries no credentials, and its host is not an IP
//! literal in a forbidden range nor a local name, and the accepted URL is accepted again as
//! serialised; an allowlist round-trips through its stored form.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use domain::ip_access::{IpAllowlist, client_ip};
use domain::providers::{is_forbidden_upstream_ip, validate_base_url};
use libfuzzer_sys::fuzz_target;
use url::Host;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Ok(url) = validate_base_url(&text, false) {
        assert_eq!(url.scheme(), "https");
        assert!(url.username().is_empty() && url.password().is_none());
        match url.host() {
            Some(Host::Ipv4(v4)) => {
                assert!(!is_forbidden_upstream_ip(IpAddr::V4(v4)), "{url}");
                assert!(!v4.is_loopback() && !v4.is_private() && !v4.is_link_local());
            }
            Some(Host::Ipv6(v6)) => {
                assert!(!is_forbidden_upstream_ip(IpAddr::V6(v6)), "{url}");
                assert!(!v6.is_loopback() && !v6.is_unspecified());
                if let Some(v4) = v6.to_ipv4_mapped() {
                    assert!(!v4.is_loopback() && !v4.is_private(), "{url}");
                }
            }
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                assert!(name.parse::<IpAddr>().is_err(), "{url}");
                assert!(
                    name != "localhost" && !name.ends_with(".localhost"),
                    "{url}"
                );
            }
            None => panic!("accepted a URL without a host: {url}"),
        }
        let again = validate_base_url(url.as_str(), false);
        assert!(again.is_ok_and(|u| u == url), "{url} not accepted again");
    }
    if let Ok(url) = validate_base_url(&text, true) {
        assert!(matches!(url.scheme(), "https" | "http"));
    }

    if let Ok(list) = IpAllowlist::parse_text(&text) {
        let stored = list.to_stored();
        assert_eq!(IpAllowlist::from_stored(stored.as_deref()), list);
        assert_eq!(
            IpAllowlist::parse(list.entries()).ok().as_ref(),
            Some(&list)
        );
        for ip in [
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped()),
        ] {
            // Canonical forms decide: a mapped address is judged as its IPv4 address.
            assert_eq!(list.allows(Some(ip)), list.allows(Some(ip.to_canonical())));
            let client = client_ip(ip, Some(text.as_ref()), &list);
            let _ = is_forbidden_upstream_ip(client);
        }
    }
    for word in text.split(|c: char| c == ',' || c.is_whitespace()) {
        if let Ok(ip) = word.parse::<IpAddr>() {
            let _ = is_forbidden_upstream_ip(ip);
        }
    }
});

//! Who is calling, for the audit log: the client address (the peer, or what trusted proxies
//! forwarded — see `crate::client_addr`) and the `User-Agent`, cut to 512 characters.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use domain::audit::{self, Actor, ClientInfo, Entry};
use domain::auth::SessionUser;

/// The client of a request, from its parts.
pub fn client_of(parts: &Parts) -> ClientInfo {
    ClientInfo {
        ip: crate::client_addr::of(parts).map(|ip| ip.to_string()),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| audit::truncate(ua, audit::MAX_USER_AGENT)),
    }
}

/// Extracts the request's [`ClientInfo`]; never rejects.
#[derive(Clone, Debug, Default)]
pub struct Client(pub ClientInfo);

impl Client {
    /// An entry for `action` by `user` in their organization, from this client.
    pub fn entry(&self, user: &SessionUser, action: &str) -> Entry {
        Entry::new(Some(user.org_id), Actor::user(user), action).client(&self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self(client_of(parts)))
    }
}

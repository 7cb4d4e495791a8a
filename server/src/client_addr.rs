//! Resolves each request's client address once, for IP allowlists and the audit log.
//!
//! The TCP peer is the client unless it is one of `KEYGATE_TRUSTED_PROXIES`; then
//! `X-Forwarded-For` is read from the right (see [`domain::ip_access::client_ip`]).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use domain::ip_access::{ClientAddr, IpAllowlist, client_ip};

/// Middleware: stores the [`ClientAddr`] in the request's extensions.
pub async fn resolve(trusted: Arc<IpAllowlist>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    // Several X-Forwarded-For headers read as one list, in order.
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    let client = peer.map(|peer| client_ip(peer, forwarded.as_deref(), &trusted));
    request.extensions_mut().insert(ClientAddr(client));
    next.run(request).await
}

/// The client address of a request (the peer's when the middleware did not run).
pub fn of(parts: &Parts) -> Option<IpAddr> {
    match parts.extensions.get::<ClientAddr>() {
        Some(ClientAddr(ip)) => *ip,
        None => parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_canonical()),
    }
}

/// Extractor for handlers; never rejects.
#[derive(Clone, Copy, Debug)]
pub struct Client(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self(of(parts)))
    }
}

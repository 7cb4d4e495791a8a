//! Request-level protections: security headers with a per-request CSP nonce, refusal of
//! cross-site state-changing requests, and the absolute session lifetime.

use app::ssr::CspNonce;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use domain::auth::AuthSession;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use rand::RngCore as _;

use crate::rest::error::ApiError;

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn content_security_policy(nonce: &str) -> String {
    // 'wasm-unsafe-eval' lets the hydration script compile the app's WASM; no other script
    // runs without the nonce.
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Adds a fresh nonce to the request and the security headers to the response.
pub async fn security_headers(hsts: bool, mut req: Request, next: Next) -> Response {
    let nonce = new_nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // Pages and API answers can show private data: never keep them in a cache, so the back
    // button after signing out cannot show a signed-in page.
    let is_static = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/wasm")
                || ct.starts_with("text/css")
                || ct.starts_with("text/javascript")
                || ct.starts_with("application/javascript")
                || ct.starts_with("image/")
        });
    if !is_static {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Why a request is judged cross-site, if it is.
fn cross_site_reason(req: &Request) -> Option<&'static str> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => None,
            _ => Some("sec-fetch-site"),
        };
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.trim_end_matches('/'));
        return match (origin_host, host) {
            (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => None,
            _ => Some("origin"),
        };
    }
    // Browsers send Origin or Sec-Fetch-Site on every cross-site POST. A cookie-bearing form
    // post with neither is what an old browser's cross-site form looks like: refuse it.
    // Programs (JSON bodies, or no cookie) are not affected.
    let simple_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/x-www-form-urlencoded")
                || ct.starts_with("multipart/form-data")
                || ct.starts_with("text/plain")
        });
    (simple_body && headers.contains_key(header::COOKIE)).then_some("form-without-origin")
}

/// Refuses state-changing requests that come from another site with 403.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if let Some(reason) = cross_site_reason(&req) {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), reason, "refused cross-site request");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "Cross-site requests are not allowed.",
        )
        .into_response();
    }
    next.run(req).await
}

/// Signs out sessions older than the absolute lifetime, whatever their activity.
pub async fn enforce_session_lifetime(
    State(lifetime): State<std::time::Duration>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    if let Some(mut auth) = req.extensions().get::<AuthSession>().cloned()
        && auth.user.is_some()
        && domain::auth::past_absolute_lifetime(&auth, lifetime).await
    {
        if let Err(e) = domain::auth::end_session(&mut auth).await {
            tracing::error!(error = %e, "could not end an expired session");
        }
        // Later extractors read the session from the extensions: give them the signed-out one.
        req.extensions_mut().insert(auth);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(Method::POST).uri("/rpc/logout");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn same_origin_requests_pass() {
        assert_eq!(
            cross_site_reason(&post(&[("sec-fetch-site", "same-origin")])),
            None
        );
        assert_eq!(
            cross_site_reason(&post(&[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ])),
            None
        );
        // A program posting JSON with no browser headers.
        assert_eq!(
            cross_site_reason(&post(&[
                ("content-type", "application/json"),
                ("cookie", "a=b")
            ])),
            None
        );
    }

    #[test]
    fn cross_site_requests_are_refused() {
        assert!(cross_site_reason(&post(&[("sec-fetch-site", "cross-site")])).is_some());
        assert!(cross_site_reason(&post(&[("sec-fetch-site", "same-site")])).is_some());
        assert!(
            cross_site_reason(&post(&[
                ("origin", "http://evil.test"),
                ("host", "127.0.0.1:3000")
            ]))
            .is_some()
        );
        assert!(
            cross_site_reason(&post(&[("origin", "null"), ("host", "127.0.0.1:3000")])).is_some()
        );
        assert!(
            cross_site_reason(&post(&[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", "keygate_session=x")
            ]))
            .is_some()
        );
    }

    #[test]
    fn reads_are_never_refused() {
        let get = Request::builder()
            .method(Method::GET)
            .uri("/")
            .header("sec-fetch-site", "cross-site")
            .body(Body::empty())
            .unwrap();
        assert_eq!(cross_site_reason(&get), None);
    }

    #[test]
    fn csp_carries_the_nonce_and_forbids_framing() {
        let csp = content_security_policy("abc123");
        assert!(csp.contains("'nonce-abc123'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }
}

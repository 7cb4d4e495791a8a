//! Where Keygate sends requests for each provider, and the HTTP clients it uses.
//!
//! Two clients: one for endpoints the operator chose (defaults and `KEYGATE_<P>_BASE_URL`
//! overrides), and a guarded one for base URLs set on individual keys. The guarded client
//! resolves names itself and drops loopback, private, link-local and metadata addresses at
//! connect time, so a name that resolves (or re-resolves) to an internal address is never
//! reached. Neither client follows redirects.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::DomainError;
use crate::providers::{ProviderKind, is_forbidden_upstream_ip, validate_base_url};

/// Operator-set base URLs per provider.
pub type Overrides = HashMap<ProviderKind, url::Url>;

/// Every upstream call (verification included) gives up after this long.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// A resolver that only hands out public addresses.
struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found
                .filter(|addr| !is_forbidden_upstream_ip(addr.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!(
                    "{} resolves only to addresses Keygate may not reach",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Upstream endpoints and clients, built once at start-up.
#[derive(Clone)]
pub struct Upstreams {
    overrides: Arc<HashMap<ProviderKind, url::Url>>,
    allow_private: bool,
    trusted: reqwest::Client,
    guarded: reqwest::Client,
    /// The proxy's clients: no overall deadline (streams may last minutes), an idle timeout
    /// between reads instead.
    proxy_trusted: reqwest::Client,
    proxy_guarded: reqwest::Client,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstreams")
            .field("overrides", &self.overrides)
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

/// A resolved endpoint: its base URL and the client allowed to reach it.
pub struct Endpoint<'a> {
    pub base: url::Url,
    pub client: &'a reqwest::Client,
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(UPSTREAM_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("keygate/", env!("CARGO_PKG_VERSION")))
}

/// Timeouts of proxied requests (the first-byte deadline is applied by the proxy itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyTimeouts {
    pub connect: Duration,
    /// Longest silence between two reads of an upstream answer.
    pub idle: Duration,
}

impl Default for ProxyTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            idle: Duration::from_secs(120),
        }
    }
}

fn proxy_builder(timeouts: ProxyTimeouts) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.idle)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        .user_agent(concat!("keygate/", env!("CARGO_PKG_VERSION")))
}

impl Upstreams {
    /// `overrides` are operator-set base URLs per provider; `allow_private` lets keys point at
    /// private addresses (tests, private deployments).
    pub fn new(
        overrides: HashMap<ProviderKind, url::Url>,
        allow_private: bool,
    ) -> Result<Self, DomainError> {
        Self::with_proxy_timeouts(overrides, allow_private, ProxyTimeouts::default())
    }

    pub fn with_proxy_timeouts(
        overrides: HashMap<ProviderKind, url::Url>,
        allow_private: bool,
        timeouts: ProxyTimeouts,
    ) -> Result<Self, DomainError> {
        let trusted = builder()
            .build()
            .map_err(|e| DomainError::internal("http client", e))?;
        let guarded = builder()
            .dns_resolver(Arc::new(PublicOnlyResolver))
            .build()
            .map_err(|e| DomainError::internal("http client", e))?;
        let proxy_trusted = proxy_builder(timeouts)
            .build()
            .map_err(|e| DomainError::internal("http client", e))?;
        let proxy_guarded = proxy_builder(timeouts)
            .dns_resolver(Arc::new(PublicOnlyResolver))
            .build()
            .map_err(|e| DomainError::internal("http client", e))?;
        Ok(Self {
            overrides: Arc::new(overrides),
            allow_private,
            trusted,
            guarded,
            proxy_trusted,
            proxy_guarded,
        })
    }

    /// Reads `KEYGATE_<PROVIDER>_BASE_URL` for every built-in provider.
    pub fn overrides_from_env() -> Result<HashMap<ProviderKind, url::Url>, DomainError> {
        let mut overrides = HashMap::new();
        for provider in ProviderKind::ALL {
            let var = provider.base_url_env_var();
            if let Ok(raw) = std::env::var(&var) {
                if raw.trim().is_empty() {
                    continue;
                }
                let url = url::Url::parse(raw.trim()).map_err(|_| {
                    DomainError::Internal(format!("{var} is not a valid URL: {raw}"))
                })?;
                overrides.insert(provider, url);
            }
        }
        Ok(overrides)
    }

    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// The endpoint for `provider`, or for a base URL set on a key (checked again here: the
    /// key may have been saved under a more permissive configuration).
    pub fn endpoint(
        &self,
        provider: ProviderKind,
        key_base_url: Option<&str>,
    ) -> Result<Endpoint<'_>, DomainError> {
        self.endpoint_with_default(
            provider,
            key_base_url,
            provider.default_base_url().map(str::to_owned),
        )
    }

    /// Like `endpoint`, with the proxy's clients (no overall deadline).
    pub fn proxy_endpoint(
        &self,
        provider: ProviderKind,
        key_base_url: Option<&str>,
    ) -> Result<Endpoint<'_>, DomainError> {
        let mut endpoint = self.endpoint(provider, key_base_url)?;
        endpoint.client = if std::ptr::eq(endpoint.client, &self.guarded) {
            &self.proxy_guarded
        } else {
            &self.proxy_trusted
        };
        Ok(endpoint)
    }

    /// A webhook's URL (always checked; private addresses only when allowed) and the client
    /// that may reach it, which re-checks every resolved address (no DNS rebinding).
    pub fn webhook_endpoint(&self, url: &str) -> Result<Endpoint<'_>, DomainError> {
        let base = validate_base_url(url, self.allow_private)?;
        let client = if self.allow_private {
            &self.trusted
        } else {
            &self.guarded
        };
        Ok(Endpoint { base, client })
    }

    /// Like `endpoint_with_default`, for a custom provider's base URL (always checked).
    pub fn proxy_custom_endpoint(&self, base_url: &str) -> Result<Endpoint<'_>, DomainError> {
        let base = validate_base_url(base_url, self.allow_private)?;
        let client = if self.allow_private {
            &self.proxy_trusted
        } else {
            &self.proxy_guarded
        };
        Ok(Endpoint { base, client })
    }

    /// Like `endpoint`, with the public default given by the caller (AWS endpoints depend on
    /// the key's region).
    pub fn endpoint_with_default(
        &self,
        provider: ProviderKind,
        key_base_url: Option<&str>,
        default: Option<String>,
    ) -> Result<Endpoint<'_>, DomainError> {
        if let Some(raw) = key_base_url.filter(|u| !u.trim().is_empty()) {
            let base = validate_base_url(raw, self.allow_private)?;
            let client = if self.allow_private {
                &self.trusted
            } else {
                &self.guarded
            };
            return Ok(Endpoint { base, client });
        }
        if let Some(base) = self.overrides.get(&provider) {
            return Ok(Endpoint {
                base: base.clone(),
                client: &self.trusted,
            });
        }
        let default = default.ok_or_else(|| {
            DomainError::validation(
                "base_url",
                format!("{} keys need a base URL.", provider.display_name()),
            )
        })?;
        let base = url::Url::parse(&default).map_err(|e| DomainError::internal("base url", e))?;
        Ok(Endpoint {
            base,
            client: &self.trusted,
        })
    }
}

#[cfg(test)]
mod ssrf_corpus;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_guarded_client_never_connects_to_private_addresses() {
        // A listener on loopback that counts connections.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while listener.accept().await.is_ok() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        let upstreams = Upstreams::new(HashMap::new(), false).unwrap();
        // `localhost` is refused when the key is saved; a name that resolves to loopback at
        // connect time is refused by the resolver.
        assert!(
            upstreams
                .endpoint(
                    ProviderKind::Custom,
                    Some(&format!("https://localhost:{port}"))
                )
                .is_err()
        );
        let result = upstreams
            .guarded
            .get(format!("http://localhost:{port}/"))
            .send()
            .await;
        assert!(result.is_err());
        let result = PublicOnlyResolver
            .resolve("localhost".parse().unwrap())
            .await;
        assert!(result.is_err());
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn overrides_win_over_defaults_and_key_urls_win_over_both() {
        let mut overrides = HashMap::new();
        overrides.insert(
            ProviderKind::OpenAi,
            url::Url::parse("http://127.0.0.1:9/v1").unwrap(),
        );
        let upstreams = Upstreams::new(overrides, false).unwrap();
        assert_eq!(
            upstreams
                .endpoint(ProviderKind::OpenAi, None)
                .unwrap()
                .base
                .as_str(),
            "http://127.0.0.1:9/v1"
        );
        assert_eq!(
            upstreams
                .endpoint(ProviderKind::Groq, None)
                .unwrap()
                .base
                .as_str(),
            "https://api.groq.com/openai/v1"
        );
        assert_eq!(
            upstreams
                .endpoint(ProviderKind::OpenAi, Some("https://llm.example.com/v1"))
                .unwrap()
                .base
                .as_str(),
            "https://llm.example.com/v1"
        );
        assert!(upstreams.endpoint(ProviderKind::Custom, None).is_err());
        assert!(
            upstreams
                .endpoint(ProviderKind::OpenAi, Some("https://10.0.0.8/v1"))
                .is_err()
        );
    }
}

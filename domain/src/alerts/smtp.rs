//! The SMTP server alert e-mails leave through, from `KEYGATE_SMTP_URL` and
//! `KEYGATE_SMTP_FROM`:
//!
//! - `smtp://user:pass@host:587` — STARTTLS, required (the default for `smtp://`; port 587);
//! - `smtp://…?tls=opportunistic` — STARTTLS when the server offers it;
//! - `smtps://user:pass@host:465` — TLS from the first byte (port 465);
//! - `smtp://host:25?tls=none` — plain text, for a relay on the same host or network; a
//!   password is refused here, since it would cross the network readable.
//!
//! The password lives only inside the transport: [`Mailer`]'s `Debug`, the configuration
//! errors and the delivery errors never contain it.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// Longest a single SMTP command may wait, and a whole message.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);
const SEND_TIMEOUT: Duration = Duration::from_secs(60);

const URL_FORMS: &str = "use smtp://user:password@host:587 (STARTTLS), smtps://user:password@host:465 \
                         or smtp://host:25?tls=none";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Security {
    /// TLS from the first byte (`smtps://`).
    Wrapper,
    /// STARTTLS, refused when the server does not offer it.
    StartTls,
    /// STARTTLS when offered.
    Opportunistic,
    /// Plain text.
    None,
}

impl Security {
    fn as_str(self) -> &'static str {
        match self {
            Security::Wrapper => "tls",
            Security::StartTls => "starttls",
            Security::Opportunistic => "opportunistic starttls",
            Security::None => "no tls",
        }
    }
}

/// Sends alert e-mails. Built once at start-up; cheap to share.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port (security)`: what logs and the UI may show.
    endpoint: String,
    /// Keygate's public URL, for the link at the foot of each message.
    public_url: String,
    /// Kept only to scrub it from any error text a server might echo.
    password: Option<SecretString>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("endpoint", &self.endpoint)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

fn decode(part: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| "KEYGATE_SMTP_URL: the user name or password is not valid UTF-8".to_owned())
}

impl Mailer {
    /// Reads the URL and sender; the error says what to fix and never repeats the URL.
    pub fn new(url: &SecretString, from: &str, public_url: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url.expose_secret().trim())
            .map_err(|_| format!("KEYGATE_SMTP_URL is not a URL; {URL_FORMS}"))?;
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtps", None) => (Security::Wrapper, 465),
            ("smtp", None | Some("required")) => (Security::StartTls, 587),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic, 587),
            ("smtp", Some("none")) => (Security::None, 25),
            _ => {
                return Err(format!(
                    "KEYGATE_SMTP_URL: unknown scheme or tls= setting (tls may be required, \
                     opportunistic or none, with smtp:// only); {URL_FORMS}"
                ));
            }
        };
        let host = parsed
            .host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("KEYGATE_SMTP_URL names no host; {URL_FORMS}"))?;
        let port = parsed.port().unwrap_or(default_port);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .timeout(Some(COMMAND_TIMEOUT));
        let parameters = || {
            TlsParameters::new(host.clone())
                .map_err(|_| "KEYGATE_SMTP_URL: cannot set up TLS for this host".to_owned())
        };
        builder = builder.tls(match security {
            Security::Wrapper => Tls::Wrapper(parameters()?),
            Security::StartTls => Tls::Required(parameters()?),
            Security::Opportunistic => Tls::Opportunistic(parameters()?),
            Security::None => Tls::None,
        });
        let mut password = None;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            if security == Security::None {
                return Err(
                    "KEYGATE_SMTP_URL: a user name and password need TLS; drop ?tls=none \
                     (STARTTLS) or use smtps://"
                        .to_owned(),
                );
            }
            let secret = decode(parsed.password().unwrap_or(""))?;
            builder =
                builder.credentials(Credentials::new(decode(parsed.username())?, secret.clone()));
            password = Some(SecretString::from(secret));
        }
        let from: Mailbox = from.trim().parse().map_err(|_| {
            "KEYGATE_SMTP_FROM is not an e-mail address (e.g. keygate@example.com or \
             \"Keygate <keygate@example.com>\")"
                .to_owned()
        })?;
        Ok(Self {
            transport: builder.build(),
            from,
            endpoint: format!("{host}:{port} ({})", security.as_str()),
            public_url: public_url.trim_end_matches('/').to_owned(),
            password,
        })
    }

    /// `host:port (security)`, without credentials.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The sender, as configured.
    pub fn sender(&self) -> String {
        self.from.to_string()
    }

    /// Keygate's public URL (no trailing slash), for links in messages.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Sends one plain-text message to every address in `to`. The error is short and safe
    /// to store: the server's reply, never the credentials.
    pub async fn send(&self, to: &[String], subject: &str, body: &str) -> Result<(), String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .header(ContentType::TEXT_PLAIN);
        for address in to {
            let address: lettre::Address = address
                .parse()
                .map_err(|_| format!("not an e-mail address: {address}"))?;
            builder = builder.to(Mailbox::new(None, address));
        }
        let message = builder
            .body(body.to_owned())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Err(_) => Err("timed out".to_owned()),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(self.describe(&e)),
        }
    }

    fn describe(&self, err: &lettre::transport::smtp::Error) -> String {
        let text = if err.is_timeout() {
            "timed out".to_owned()
        } else if err.status().is_some() {
            // "permanent error (535): 5.7.8 authentication failed" — the server's words.
            err.to_string()
        } else if err.is_tls() {
            "TLS handshake failed".to_owned()
        } else {
            // Connection refused, reset, name not found …
            format!("could not reach {}", self.endpoint)
        };
        match &self.password {
            Some(password) if !password.expose_secret().is_empty() => {
                text.replace(password.expose_secret(), "<redacted>")
            }
            _ => text,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn mailer(url: &str) -> Result<Mailer, String> {
        Mailer::new(
            &SecretString::from(url.to_owned()),
            "Keygate <keygate@acme.test>",
            "https://keygate.acme.test/",
        )
    }

    #[test]
    fn url_forms_choose_port_and_security() {
        let m = mailer("smtp://user:pw@mail.acme.test").unwrap();
        assert_eq!(m.endpoint(), "mail.acme.test:587 (starttls)");
        let m = mailer("smtps://user:pw@mail.acme.test").unwrap();
        assert_eq!(m.endpoint(), "mail.acme.test:465 (tls)");
        let m = mailer("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!(m.endpoint(), "127.0.0.1:2525 (no tls)");
        let m = mailer("smtp://mail.acme.test:2587?tls=opportunistic").unwrap();
        assert_eq!(m.endpoint(), "mail.acme.test:2587 (opportunistic starttls)");
        assert_eq!(m.public_url(), "https://keygate.acme.test");
        assert_eq!(m.sender(), "Keygate <keygate@acme.test>");
    }

    #[test]
    fn bad_settings_are_refused_without_repeating_the_password() {
        for url in [
            "not a url hunter2",
            "http://u:hunter2@mail.acme.test",
            "smtps://u:hunter2@mail.acme.test?tls=none",
            "smtp://u:hunter2@mail.acme.test?tls=sometimes",
            "smtp://u:hunter2@mail.acme.test:25?tls=none",
        ] {
            let err = mailer(url).unwrap_err();
            assert!(err.starts_with("KEYGATE_SMTP_URL"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        let err = Mailer::new(
            &SecretString::from("smtp://mail.acme.test".to_owned()),
            "not an address",
            "",
        )
        .unwrap_err();
        assert!(err.starts_with("KEYGATE_SMTP_FROM"), "{err}");
    }

    #[test]
    fn debug_output_hides_the_credentials() {
        let m = mailer("smtp://alice:hunter2@mail.acme.test").unwrap();
        let shown = format!("{m:?}");
        assert!(shown.contains("mail.acme.test:587"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("alice"), "{shown}");
    }
}

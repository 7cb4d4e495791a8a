//! Proxy errors in the caller's dialect: OpenAI's `{"error":{"message","type","code"}}` on
//! OpenAI routes, Anthropic's `{"type":"error","error":{"type","message"}}` on `/v1/messages`.
//! Messages are Keygate's own (or scrubbed upstream text), never internal details.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which error shape the caller expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    OpenAi,
    Anthropic,
}

#[derive(Debug)]
pub struct ProxyError {
    pub status: StatusCode,
    pub dialect: Dialect,
    pub message: String,
    /// OpenAI `code` (e.g. `invalid_api_key`); Anthropic has none.
    pub code: Option<&'static str>,
    pub retry_after_secs: Option<u64>,
    pub request_id: Option<String>,
    /// Extra headers (e.g. `x-ratelimit-*` on a rate-limit refusal).
    pub headers: Vec<(&'static str, String)>,
}

impl ProxyError {
    pub fn new(status: StatusCode, dialect: Dialect, message: impl Into<String>) -> Self {
        Self {
            status,
            dialect,
            message: message.into(),
            code: None,
            retry_after_secs: None,
            request_id: None,
            headers: Vec::new(),
        }
    }

    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn retry_after(mut self, secs: Option<u64>) -> Self {
        self.retry_after_secs = secs;
        self
    }

    pub fn request_id(mut self, id: &str) -> Self {
        self.request_id = Some(id.to_owned());
        self
    }

    /// OpenAI's `type` and Anthropic's `error.type` for a status.
    fn error_type(&self) -> &'static str {
        match (self.dialect, self.status.as_u16()) {
            (Dialect::OpenAi, 401) => "invalid_request_error",
            (Dialect::Anthropic, 401) => "authentication_error",
            (_, 403) => "permission_error",
            (Dialect::OpenAi, 404) => "invalid_request_error",
            (Dialect::Anthropic, 404) => "not_found_error",
            (_, 413) => "request_too_large",
            (Dialect::OpenAi, 429) => "rate_limit_error",
            (Dialect::Anthropic, 429) => "rate_limit_error",
            (Dialect::Anthropic, 529) => "overloaded_error",
            (_, 400..=499) => "invalid_request_error",
            (Dialect::OpenAi, _) => "api_error",
            (Dialect::Anthropic, _) => "api_error",
        }
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let body = match self.dialect {
            Dialect::OpenAi => json!({
                "error": {
                    "message": self.message,
                    "type": self.error_type(),
                    "param": null,
                    "code": self.code,
                }
            }),
            Dialect::Anthropic => json!({
                "type": "error",
                "error": { "type": self.error_type(), "message": self.message },
            }),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert("retry-after", value);
        }
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(*name, value);
            }
        }
        if let Some(id) = self.request_id.as_deref()
            && let Ok(value) = HeaderValue::from_str(id)
        {
            response.headers_mut().insert("x-request-id", value);
        }
        response
    }
}

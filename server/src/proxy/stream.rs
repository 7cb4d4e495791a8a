//! Streaming answers: every server-sent event is forwarded as soon as it arrives, and read on
//! the way for usage. The ledger row is written exactly once, when the stream ends — normally,
//! because the provider cut it, or because the client went away (the meter's `Drop`).
//!
//! Policy for incomplete streams: when the provider did not report usage (or reported less
//! than was delivered), completion tokens are counted from the text actually delivered with a
//! real tokenizer, prompt tokens from the request, and the row is flagged `estimated`.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use domain::gateway::estimate;
use domain::gateway::prices::Priced;
use domain::gateway::usage::{self, Usage, WireFormat};
use domain::ledger::{Ledger, Outcome};
use eventsource_stream::{Event, Eventsource as _};
use futures_util::StreamExt as _;
use serde_json::Value;

use super::meta::RequestMeta;

/// Delivered text kept for estimating (beyond this, the count is an under-estimate).
const MAX_TEXT: usize = 4 * 1024 * 1024;

pub struct StreamMeter {
    meta: RequestMeta,
    key_id: Option<i32>,
    priced: Priced,
    wire: WireFormat,
    client_wants_usage: bool,
    request: Value,
    first_byte: Duration,
    ledger: Ledger,
    usage: Usage,
    text: String,
    saw_end: bool,
    finished: bool,
    response_id: Option<String>,
}

impl StreamMeter {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        meta: RequestMeta,
        key_id: Option<i32>,
        priced: Priced,
        wire: WireFormat,
        client_wants_usage: bool,
        request: Value,
        first_byte: Duration,
        ledger: Ledger,
    ) -> Self {
        Self {
            meta,
            key_id,
            priced,
            wire,
            client_wants_usage,
            request,
            first_byte,
            ledger,
            usage: Usage::default(),
            text: String::new(),
            saw_end: false,
            finished: false,
            response_id: None,
        }
    }

    /// Reads one event; returns the bytes to forward, or `None` to drop it (the usage chunk
    /// Keygate asked for on the client's behalf).
    fn observe(&mut self, event: &Event) -> Option<Bytes> {
        if event.data == "[DONE]" {
            self.saw_end = true;
            return Some(encode(event));
        }
        if let Ok(data) = serde_json::from_str::<Value>(&event.data) {
            let name = Some(event.event.as_str()).filter(|n| *n != "message");
            if self.response_id.is_none() {
                self.response_id = usage::response_id(&data).map(str::to_owned);
            }
            if let Some(reported) = usage::from_stream_event(self.wire, name, &data) {
                self.usage.merge_max(reported);
            }
            if let Some(delta) = usage::stream_text_delta(self.wire, name, &data)
                && self.text.len() < MAX_TEXT
            {
                self.text.push_str(delta);
            }
            let kind = data.get("type").and_then(Value::as_str).or(name);
            if matches!(
                kind,
                Some(
                    "message_stop"
                        | "response.completed"
                        | "response.incomplete"
                        | "response.failed"
                )
            ) {
                self.saw_end = true;
            }
            if !self.client_wants_usage
                && matches!(
                    self.wire,
                    WireFormat::ChatCompletions | WireFormat::Completions
                )
                && usage::is_usage_only_chunk(&data)
            {
                return None;
            }
        }
        Some(encode(event))
    }

    fn finish(&mut self, outcome: Outcome) {
        if self.finished {
            return;
        }
        self.finished = true;
        crate::metrics::stream_finished(
            &self.meta.provider,
            self.meta.api.name(),
            self.first_byte,
            self.meta.started.elapsed(),
        );
        let mut usage = self.usage;
        let mut estimated = false;
        let delivered = || estimate::count_tokens(&self.meta.model, &self.text);
        match usage.completion_tokens {
            None => {
                usage.completion_tokens = Some(delivered());
                estimated = true;
            }
            Some(reported) if outcome != Outcome::Success => {
                let counted = delivered();
                if counted > reported {
                    usage.completion_tokens = Some(counted);
                    estimated = true;
                }
            }
            Some(_) => {}
        }
        if usage.prompt_tokens.is_none() {
            usage.prompt_tokens = Some(estimate::prompt_tokens(
                self.wire,
                &self.meta.model,
                &self.request,
            ));
            estimated = true;
        }
        let error_type = match outcome {
            Outcome::UpstreamCut => Some("stream_cut".to_owned()),
            Outcome::ClientDisconnected => Some("client_disconnected".to_owned()),
            _ => None,
        };
        let mut record = self.meta.record(
            self.key_id,
            usage,
            Some(&self.priced),
            Some(self.first_byte),
            Some(200),
            outcome,
            error_type,
            estimated,
        );
        record.response_id = self.response_id.take();
        self.ledger.record(record);
    }
}

impl Drop for StreamMeter {
    /// The client went away before the stream ended (the body was dropped).
    fn drop(&mut self) {
        self.finish(Outcome::ClientDisconnected);
    }
}

/// Re-encodes a parsed event exactly as SSE (`event:` only when named).
fn encode(event: &Event) -> Bytes {
    let mut out = String::with_capacity(event.data.len() + event.event.len() + 16);
    if !event.event.is_empty() && event.event != "message" {
        out.push_str("event: ");
        out.push_str(&event.event);
        out.push('\n');
    }
    for line in event.data.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// Starts forwarding `upstream` to the client through `meter`.
pub fn respond(meter: StreamMeter, upstream: reqwest::Response) -> Response {
    let events = upstream.bytes_stream().eventsource();
    let body = futures_util::stream::unfold(Some((events, meter)), |state| async move {
        let (mut events, mut meter) = state?;
        loop {
            match events.next().await {
                Some(Ok(event)) => {
                    if let Some(bytes) = meter.observe(&event) {
                        return Some((Ok::<Bytes, std::io::Error>(bytes), Some((events, meter))));
                    }
                }
                Some(Err(_)) => {
                    meter.finish(Outcome::UpstreamCut);
                    return Some((
                        Err(std::io::Error::other("the provider cut the stream")),
                        None,
                    ));
                }
                None => {
                    let outcome = if meter.saw_end {
                        Outcome::Success
                    } else {
                        Outcome::UpstreamCut
                    };
                    meter.finish(outcome);
                    return None;
                }
            }
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    response
}

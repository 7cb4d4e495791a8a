//! Reading token usage out of provider answers, complete or streamed.
//!
//! The proxy bills from what the provider reports, so every reader here is total: provider JSON
//! is untrusted, and a missing, negative, fractional or oversized count is simply "not said"
//! (`None`) rather than an error or a panic.

use serde_json::Value;

/// Token counts of one request. `None` = the provider did not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// All input tokens, cached ones included.
    pub prompt_tokens: Option<u32>,
    /// All generated tokens, reasoning ones included.
    pub completion_tokens: Option<u32>,
    /// The part of `prompt_tokens` served from the provider's prompt cache.
    pub cached_tokens: Option<u32>,
    /// The part of `completion_tokens` spent on hidden reasoning.
    pub reasoning_tokens: Option<u32>,
}

impl Usage {
    /// Combine usage seen in a stream: field-wise maximum (Anthropic sends cumulative counts in
    /// `message_start` then `message_delta`; OpenAI sends usage once at the end). None+Some = Some.
    pub fn merge_max(&mut self, other: Usage) {
        // `Option`'s ordering puts `None` below every `Some`, which is exactly "None+Some = Some".
        self.prompt_tokens = self.prompt_tokens.max(other.prompt_tokens);
        self.completion_tokens = self.completion_tokens.max(other.completion_tokens);
        self.cached_tokens = self.cached_tokens.max(other.cached_tokens);
        self.reasoning_tokens = self.reasoning_tokens.max(other.reasoning_tokens);
    }

    /// True when the provider said nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Usage::default()
    }

    /// `Some(self)` unless empty, so readers never hand back a usage that carries no count.
    fn non_empty(self) -> Option<Usage> {
        (!self.is_empty()).then_some(self)
    }
}

/// The API shape of a request and its answer; decides where usage and text live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireFormat {
    /// OpenAI `/v1/chat/completions` (and every OpenAI-compatible provider).
    ChatCompletions,
    /// OpenAI legacy `/v1/completions`.
    Completions,
    /// OpenAI `/v1/embeddings`.
    Embeddings,
    /// OpenAI `/v1/responses`.
    Responses,
    /// Anthropic `/v1/messages`.
    AnthropicMessages,
}

/// Usage in a complete (non-streaming) JSON answer.
pub fn from_body(format: WireFormat, body: &Value) -> Option<Usage> {
    let usage = body.get("usage")?;
    match format {
        WireFormat::ChatCompletions | WireFormat::Completions => openai_usage(usage),
        WireFormat::Embeddings => embeddings_usage(usage),
        WireFormat::Responses => responses_usage(usage),
        WireFormat::AnthropicMessages => anthropic_usage(usage),
    }
}

/// Usage carried by one streamed SSE event (its `data` parsed as JSON; `event_name` is the SSE
/// `event:` field if any).
pub fn from_stream_event(
    format: WireFormat,
    event_name: Option<&str>,
    data: &Value,
) -> Option<Usage> {
    match format {
        // Chunks repeat the body's `usage` object (`null` until the last chunk).
        WireFormat::ChatCompletions | WireFormat::Completions | WireFormat::Embeddings => {
            from_body(format, data)
        }
        WireFormat::Responses => match event_type(event_name, data)? {
            "response.completed" | "response.incomplete" | "response.failed" => {
                responses_usage(data.get("response")?.get("usage")?)
            }
            _ => None,
        },
        WireFormat::AnthropicMessages => match event_type(event_name, data)? {
            "message_start" => anthropic_usage(data.get("message")?.get("usage")?),
            "message_delta" => anthropic_usage(data.get("usage")?),
            _ => None,
        },
    }
}

/// Generated text carried by one streamed event (for estimating tokens when a stream is cut
/// before usage arrives).
///
/// Besides visible text this also returns reasoning text (`reasoning_content`/`reasoning` in
/// chat chunks, Anthropic `thinking_delta`) and tool-call argument fragments, because providers
/// bill those as completion tokens too; leaving them out would under-count a cut stream.
pub fn stream_text_delta<'a>(
    format: WireFormat,
    event_name: Option<&str>,
    data: &'a Value,
) -> Option<&'a str> {
    match format {
        WireFormat::ChatCompletions => {
            let delta = data.get("choices")?.get(0)?.get("delta")?;
            ["content", "reasoning_content", "reasoning"]
                .iter()
                .filter_map(|field| delta.get(field)?.as_str())
                .find(|text| !text.is_empty())
                .or_else(|| {
                    delta
                        .get("tool_calls")?
                        .get(0)?
                        .get("function")?
                        .get("arguments")?
                        .as_str()
                })
        }
        WireFormat::Completions => data.get("choices")?.get(0)?.get("text")?.as_str(),
        WireFormat::Embeddings => None,
        WireFormat::Responses => match event_type(event_name, data)? {
            "response.output_text.delta"
            | "response.refusal.delta"
            | "response.function_call_arguments.delta" => data.get("delta")?.as_str(),
            _ => None,
        },
        WireFormat::AnthropicMessages => {
            if event_type(event_name, data)? != "content_block_delta" {
                return None;
            }
            let delta = data.get("delta")?;
            let field = match delta.get("type")?.as_str()? {
                "text_delta" => "text",
                "thinking_delta" => "thinking",
                "input_json_delta" => "partial_json",
                _ => return None,
            };
            delta.get(field)?.as_str()
        }
    }
}

/// True for the final `chat.completion.chunk` that OpenAI sends only because
/// `stream_options.include_usage` was set: `choices` is an empty array and `usage` is present.
///
/// The proxy may have added that option itself, and then must not forward this chunk to a
/// client that never asked for it.
pub fn is_usage_only_chunk(data: &Value) -> bool {
    let no_choices = data
        .get("choices")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty);
    let has_usage = data.get("usage").is_some_and(Value::is_object);
    no_choices && has_usage
}

/// The event type: the JSON `type` field (always present in real streams), else the SSE name.
fn event_type<'a>(event_name: Option<&'a str>, data: &'a Value) -> Option<&'a str> {
    data.get("type").and_then(Value::as_str).or(event_name)
}

/// A token count at `value[key]`; anything but a whole number in `0..=u32::MAX` is absent.
fn count(value: &Value, key: &str) -> Option<u32> {
    let n = value.get(key)?;
    if let Some(n) = n.as_u64() {
        return u32::try_from(n).ok();
    }
    // Some OpenAI-compatible servers write counts as `12.0`; accept whole floats only.
    let f = n.as_f64()?;
    let whole = f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f);
    whole.then_some(f as u32)
}

/// A count nested one object deep, e.g. `prompt_tokens_details.cached_tokens`.
fn nested_count(value: &Value, outer: &str, key: &str) -> Option<u32> {
    count(value.get(outer)?, key)
}

/// Chat completions and legacy completions.
fn openai_usage(u: &Value) -> Option<Usage> {
    Usage {
        prompt_tokens: count(u, "prompt_tokens"),
        completion_tokens: count(u, "completion_tokens"),
        cached_tokens: nested_count(u, "prompt_tokens_details", "cached_tokens"),
        reasoning_tokens: nested_count(u, "completion_tokens_details", "reasoning_tokens"),
    }
    .non_empty()
}

/// Embeddings generate nothing, so a reported usage means zero completion tokens.
fn embeddings_usage(u: &Value) -> Option<Usage> {
    let mut usage = openai_usage(u)?;
    usage.completion_tokens.get_or_insert(0);
    Some(usage)
}

/// The Responses API names its counts input/output.
fn responses_usage(u: &Value) -> Option<Usage> {
    Usage {
        prompt_tokens: count(u, "input_tokens"),
        completion_tokens: count(u, "output_tokens"),
        cached_tokens: nested_count(u, "input_tokens_details", "cached_tokens"),
        reasoning_tokens: nested_count(u, "output_tokens_details", "reasoning_tokens"),
    }
    .non_empty()
}

/// Anthropic's `input_tokens` excludes cache reads and writes, so the prompt is their sum.
fn anthropic_usage(u: &Value) -> Option<Usage> {
    let input = count(u, "input_tokens");
    let cache_read = count(u, "cache_read_input_tokens");
    let cache_write = count(u, "cache_creation_input_tokens");
    let prompt_tokens = [input, cache_read, cache_write]
        .into_iter()
        .flatten()
        .reduce(u32::saturating_add);
    Usage {
        prompt_tokens,
        completion_tokens: count(u, "output_tokens"),
        cached_tokens: cache_read,
        reasoning_tokens: None,
    }
    .non_empty()
}

#[cfg(test)]
mod tests;

/// The provider's id of an answer — from a whole body (`chatcmpl-…`, `resp_…`, `msg_…`) or a
/// stream event (chat chunks carry it at the top, Responses events in `response`, Anthropic's
/// `message_start` in `message`). Ratings refer to answers by this id.
pub fn response_id(data: &Value) -> Option<&str> {
    data.get("id")
        .and_then(Value::as_str)
        .or_else(|| data.pointer("/response/id").and_then(Value::as_str))
        .or_else(|| data.pointer("/message/id").and_then(Value::as_str))
        .filter(|id| !id.is_empty() && id.len() <= 200)
}

//! Token counts with a real tokenizer, for when the provider does not report usage.
//!
//! Used when a stream is cut before the provider's usage arrives (count the generated text) and
//! for the prompt estimate of a request (budget checks before the answer exists). OpenAI models
//! are counted with their own encoding; every other model is counted with `cl100k_base`, a
//! documented approximation (Claude, Gemini and Llama tokenizers land within a few tens of
//! percent of it on ordinary text).

use std::sync::OnceLock;

use serde_json::Value;
use tiktoken_rs::CoreBPE;

use super::usage::WireFormat;

/// Tokens OpenAI documents for each chat message's framing (role, separators).
const TOKENS_PER_MESSAGE: u32 = 3;
/// Tokens OpenAI documents for priming the assistant's reply.
const TOKENS_PER_REPLY: u32 = 3;

/// Model name prefixes that use `o200k_base`.
const O200K_PREFIXES: &[&str] = &[
    "gpt-4o",
    "chatgpt-4o",
    "gpt-4.1",
    "gpt-5",
    "gpt-oss",
    "o1",
    "o3",
    "o4",
];

/// Tokens in `text` for `model`: o200k_base for gpt-4o*, gpt-4.1*, gpt-5*, o1*, o3*, o4*;
/// cl100k_base for everything else (a documented approximation for non-OpenAI models).
/// Encoders are built once and reused; if building fails, fall back to (chars+3)/4.
///
/// Special-token text such as `<|endoftext|>` is counted as ordinary text, since it comes from
/// untrusted requests and answers.
pub fn count_tokens(model: &str, text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    match encoder(model) {
        Some(bpe) => saturate(bpe.count_ordinary(text)),
        None => saturate(text.chars().count().saturating_add(3) / 4),
    }
}

/// Estimated prompt tokens of a request body: for chat `messages[].content` (string or array of
/// `{type:"text", text}`), Anthropic `system` (string or blocks) + `messages`, Responses `input`
/// (string or array of items with content/text) + `instructions`, completions `prompt` (string or
/// array of strings), embeddings `input` (string or array of strings). Chat-style formats add
/// 3 tokens per message + 3 for the reply, as OpenAI documents. Non-text parts are ignored.
pub fn prompt_tokens(format: WireFormat, model: &str, body: &Value) -> u32 {
    let count = |text: &str| count_tokens(model, text);
    match format {
        WireFormat::ChatCompletions => {
            conversation(body.get("messages"), None, TOKENS_PER_REPLY, &count)
        }
        WireFormat::AnthropicMessages => {
            // The system prompt is framed like one more message.
            let system = body
                .get("system")
                .map(|s| TOKENS_PER_MESSAGE.saturating_add(content_tokens(Some(s), &count)));
            conversation(body.get("messages"), system, TOKENS_PER_REPLY, &count)
        }
        WireFormat::Responses => {
            let instructions = body
                .get("instructions")
                .and_then(Value::as_str)
                .map(|text| TOKENS_PER_MESSAGE.saturating_add(count(text)));
            match body.get("input") {
                // A bare string is one user message.
                Some(Value::String(text)) => TOKENS_PER_MESSAGE
                    .saturating_add(count(text))
                    .saturating_add(instructions.unwrap_or(0))
                    .saturating_add(TOKENS_PER_REPLY),
                items => conversation(items, instructions, TOKENS_PER_REPLY, &count),
            }
        }
        WireFormat::Completions => plain_inputs(body.get("prompt"), &count),
        WireFormat::Embeddings => plain_inputs(body.get("input"), &count),
    }
}

/// The shared encoder for `model`, or `None` if it could not be built.
fn encoder(model: &str) -> Option<&'static CoreBPE> {
    static O200K: OnceLock<Option<CoreBPE>> = OnceLock::new();
    static CL100K: OnceLock<Option<CoreBPE>> = OnceLock::new();
    if uses_o200k(model) {
        O200K
            .get_or_init(|| build("o200k_base", tiktoken_rs::o200k_base()))
            .as_ref()
    } else {
        CL100K
            .get_or_init(|| build("cl100k_base", tiktoken_rs::cl100k_base()))
            .as_ref()
    }
}

/// The encoder, or `None` (logged once) when tiktoken could not build it.
fn build<E: std::fmt::Display>(name: &str, made: Result<CoreBPE, E>) -> Option<CoreBPE> {
    match made {
        Ok(bpe) => Some(bpe),
        Err(error) => {
            tracing::warn!(%error, encoding = name, "tokenizer unavailable; estimating chars/4");
            None
        }
    }
}

/// Whether `model` (optionally routed as `vendor/model`) uses OpenAI's `o200k_base`.
fn uses_o200k(model: &str) -> bool {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    O200K_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A list of messages/items, each with its framing overhead, plus an optional leading block
/// (system prompt or instructions, already counted) and the reply priming.
fn conversation(
    messages: Option<&Value>,
    leading: Option<u32>,
    reply: u32,
    count: &dyn Fn(&str) -> u32,
) -> u32 {
    let messages = messages
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    messages.iter().map(|m| message_tokens(m, count)).fold(
        leading.unwrap_or(0).saturating_add(reply),
        u32::saturating_add,
    )
}

/// One message (chat, Anthropic) or input item (Responses): overhead, role, name and text.
fn message_tokens(message: &Value, count: &dyn Fn(&str) -> u32) -> u32 {
    let field = |key: &str| message.get(key).and_then(Value::as_str).map_or(0, count);
    TOKENS_PER_MESSAGE
        .saturating_add(field("role"))
        .saturating_add(field("name"))
        .saturating_add(content_tokens(message.get("content"), count))
        // Responses items may carry text directly (`{"type": "input_text", "text": ...}`), a
        // replayed tool call (`arguments`) or a tool result (`output`).
        .saturating_add(field("text"))
        .saturating_add(field("arguments"))
        .saturating_add(field("output"))
}

/// Text content: a string, or an array of parts of which only text parts count.
fn content_tokens(content: Option<&Value>, count: &dyn Fn(&str) -> u32) -> u32 {
    match content {
        Some(Value::String(text)) => count(text),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|part| is_text_part(part))
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .map(count)
            .fold(0, u32::saturating_add),
        _ => 0,
    }
}

/// `text` (chat, Anthropic) and `input_text`/`output_text` (Responses); a part without a type
/// but with a text string is taken as text too.
fn is_text_part(part: &Value) -> bool {
    match part.get("type") {
        None => true,
        Some(kind) => matches!(kind.as_str(), Some("text" | "input_text" | "output_text")),
    }
}

/// Completions `prompt` / embeddings `input`: a string, an array of strings, or pre-tokenised
/// input (an array of token ids, or an array of such arrays) whose length is its count.
fn plain_inputs(input: Option<&Value>, count: &dyn Fn(&str) -> u32) -> u32 {
    match input {
        Some(Value::String(text)) => count(text),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => count(text),
                Value::Number(_) => 1,
                Value::Array(ids) => saturate(ids.iter().filter(|id| id.is_number()).count()),
                _ => 0,
            })
            .fold(0, u32::saturating_add),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::json;

    use super::*;

    const CLAUDE: &str = "claude-sonnet-4-5";

    #[test]
    fn known_counts() {
        // Reference counts from OpenAI's tiktoken.
        assert_eq!(count_tokens("gpt-4", "tiktoken is great!"), 6);
        assert_eq!(count_tokens("gpt-4o", "hello world"), 2);
        assert_eq!(count_tokens(CLAUDE, "hello world"), 2);
        assert_eq!(count_tokens("gpt-4o", ""), 0);
        assert_eq!(count_tokens(CLAUDE, ""), 0);
    }

    #[test]
    fn openai_families_pick_o200k() {
        for model in [
            "gpt-4o",
            "gpt-4o-mini-2024-07-18",
            "GPT-4.1-nano",
            "gpt-5",
            "o1-preview",
            "o3-mini",
            "o4-mini",
            "openai/gpt-4o",
        ] {
            assert!(uses_o200k(model), "{model}");
        }
        for model in [
            "gpt-4",
            "gpt-3.5-turbo",
            "text-embedding-3-small",
            CLAUDE,
            "gemini-2.5-pro",
            "llama-3.3-70b-versatile",
            "grok-4",
            "",
        ] {
            assert!(!uses_o200k(model), "{model}");
        }
    }

    #[test]
    fn the_two_encodings_really_differ() {
        // o200k has far more non-English tokens than cl100k.
        let text = "नमस्ते, आप कैसे हैं? मुझे हिंदी में बात करना पसंद है।";
        let o200k = count_tokens("gpt-4o", text);
        let cl100k = count_tokens("gpt-4", text);
        assert!(
            o200k > 0 && o200k < cl100k,
            "o200k {o200k}, cl100k {cl100k}"
        );
    }

    #[test]
    fn special_token_text_counts_as_ordinary_text() {
        // Encoded as ordinary text this is several tokens, not the single special token.
        assert!(count_tokens("gpt-4o", "<|endoftext|>") > 1);
        assert!(count_tokens(CLAUDE, "<|endoftext|>") > 1);
    }

    #[test]
    fn counts_grow_with_text_and_never_panic_on_odd_input() {
        let short = count_tokens(CLAUDE, "The quick brown fox.");
        let long = count_tokens(CLAUDE, &"The quick brown fox. ".repeat(100));
        assert!(long > short * 50);
        for text in ["\0", "\u{FFFD}\u{FFFD}", "🦀🦀🦀", "   \n\t  ", "a\u{301}"] {
            assert!(count_tokens("gpt-4o", text) >= 1, "{text:?}");
        }
    }

    #[test]
    fn chat_messages_with_overhead() {
        let body = json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "name": "ann", "content": "What is 2+2?"}
            ]
        });
        let c = |t| count_tokens("gpt-4o", t);
        let expected = 3
            + (3 + c("system") + c("You are helpful."))
            + (3 + c("user") + c("ann") + c("What is 2+2?"));
        assert_eq!(
            prompt_tokens(WireFormat::ChatCompletions, "gpt-4o", &body),
            expected
        );
    }

    #[test]
    fn chat_content_parts_count_only_text() {
        let body = json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "Describe this picture."},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
            {"type": "text", "text": "Briefly."}
        ]}]});
        let c = |t| count_tokens("gpt-4o", t);
        assert_eq!(
            prompt_tokens(WireFormat::ChatCompletions, "gpt-4o", &body),
            3 + 3 + c("user") + c("Describe this picture.") + c("Briefly.")
        );
    }

    #[test]
    fn chat_tolerates_junk_bodies() {
        for body in [
            json!(null),
            json!({}),
            json!({"messages": "hi"}),
            json!({"messages": []}),
            json!({"messages": [null, 5, "x"]}),
        ] {
            let n = prompt_tokens(WireFormat::ChatCompletions, "gpt-4o", &body);
            // Only fixed overhead: the reply priming, plus 3 per (empty) message.
            assert!(n <= 3 + 3 * 3, "{body}: {n}");
        }
        let null_content = json!({"messages": [{"role": "assistant", "content": null}]});
        assert_eq!(
            prompt_tokens(WireFormat::ChatCompletions, "gpt-4o", &null_content),
            3 + 3 + count_tokens("gpt-4o", "assistant")
        );
    }

    #[test]
    fn anthropic_system_and_messages() {
        let c = |t| count_tokens(CLAUDE, t);
        let string_system = json!({
            "model": CLAUDE,
            "system": "Be terse.",
            "messages": [{"role": "user", "content": "Hello there"}]
        });
        let expected = 3 + (3 + c("Be terse.")) + (3 + c("user") + c("Hello there"));
        assert_eq!(
            prompt_tokens(WireFormat::AnthropicMessages, CLAUDE, &string_system),
            expected
        );

        let block_system = json!({
            "system": [{"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "Hello there"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
            ]}]
        });
        assert_eq!(
            prompt_tokens(WireFormat::AnthropicMessages, CLAUDE, &block_system),
            expected
        );

        let no_system = json!({"messages": [{"role": "user", "content": "Hello there"}]});
        assert_eq!(
            prompt_tokens(WireFormat::AnthropicMessages, CLAUDE, &no_system),
            3 + 3 + c("user") + c("Hello there")
        );
    }

    #[test]
    fn responses_string_input_and_instructions() {
        let c = |t| count_tokens("gpt-5", t);
        let body = json!({"model": "gpt-5", "input": "Tell me a joke", "instructions": "Be funny"});
        assert_eq!(
            prompt_tokens(WireFormat::Responses, "gpt-5", &body),
            3 + c("Tell me a joke") + (3 + c("Be funny")) + 3
        );
        let bare = json!({"input": "Tell me a joke"});
        assert_eq!(
            prompt_tokens(WireFormat::Responses, "gpt-5", &bare),
            3 + c("Tell me a joke") + 3
        );
    }

    #[test]
    fn responses_item_array() {
        let c = |t| count_tokens("gpt-5", t);
        let body = json!({"input": [
            {"role": "user", "content": "Hi"},
            {"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "Hello!"}
            ]},
            {"role": "user", "content": [
                {"type": "input_text", "text": "What is in this image?"},
                {"type": "input_image", "image_url": "https://example.com/a.png"}
            ]},
            {"type": "function_call_output", "call_id": "call_1", "output": "{\"temp\": 21}"}
        ]});
        let expected = 3
            + (3 + c("user") + c("Hi"))
            + (3 + c("assistant") + c("Hello!"))
            + (3 + c("user") + c("What is in this image?"))
            + (3 + c("{\"temp\": 21}"));
        assert_eq!(
            prompt_tokens(WireFormat::Responses, "gpt-5", &body),
            expected
        );
    }

    #[test]
    fn completions_prompt_forms() {
        let c = |t| count_tokens("gpt-3.5-turbo-instruct", t);
        let m = "gpt-3.5-turbo-instruct";
        assert_eq!(
            prompt_tokens(
                WireFormat::Completions,
                m,
                &json!({"prompt": "Say this is a test"})
            ),
            c("Say this is a test")
        );
        assert_eq!(
            prompt_tokens(
                WireFormat::Completions,
                m,
                &json!({"prompt": ["one", "two three"]})
            ),
            c("one") + c("two three")
        );
        // Pre-tokenised prompts count their ids.
        assert_eq!(
            prompt_tokens(WireFormat::Completions, m, &json!({"prompt": [1, 2, 3]})),
            3
        );
        assert_eq!(
            prompt_tokens(
                WireFormat::Completions,
                m,
                &json!({"prompt": [[1, 2], [3, "x"]]})
            ),
            3
        );
        assert_eq!(prompt_tokens(WireFormat::Completions, m, &json!({})), 0);
        assert_eq!(
            prompt_tokens(WireFormat::Completions, m, &json!({"prompt": {"a": 1}})),
            0
        );
    }

    #[test]
    fn embeddings_input_forms() {
        let m = "text-embedding-3-small";
        let c = |t| count_tokens(m, t);
        assert_eq!(
            prompt_tokens(
                WireFormat::Embeddings,
                m,
                &json!({"input": "The food was delicious"})
            ),
            c("The food was delicious")
        );
        assert_eq!(
            prompt_tokens(
                WireFormat::Embeddings,
                m,
                &json!({"input": ["a cat", "a dog", null]})
            ),
            c("a cat") + c("a dog")
        );
        assert_eq!(
            prompt_tokens(WireFormat::Embeddings, m, &json!({"input": []})),
            0
        );
    }

    #[test]
    fn matches_what_openai_reports_for_a_simple_chat() {
        // gpt-4o reports `prompt_tokens: 19` for exactly this request.
        let body = json!({"messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello!"}
        ]});
        assert_eq!(
            prompt_tokens(WireFormat::ChatCompletions, "gpt-4o", &body),
            19
        );
    }
}

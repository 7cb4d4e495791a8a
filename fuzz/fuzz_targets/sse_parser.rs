//! The proxy's reading of streamed answers: the body is split into chunks at points chosen by
//! the input, parsed as server-sent events exactly as `server/src/proxy/stream.rs` does
//! (`eventsource_stream` over the byte stream), and every event goes through the usage and
//! text readers of `domain::gateway::usage` for each wire format. Invariants: no panic, the
//! same events whatever the chunking, and usage merging never loses a count.

#![no_main]

use std::convert::Infallible;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use domain::gateway::estimate;
use domain::gateway::usage::{self, Usage, WireFormat};
use eventsource_stream::{Event, Eventsource as _};
use futures_util::Stream;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const FORMATS: [WireFormat; 5] = [
    WireFormat::ChatCompletions,
    WireFormat::Completions,
    WireFormat::Embeddings,
    WireFormat::Responses,
    WireFormat::AnthropicMessages,
];

/// The events of `chunks` (an always-ready stream, so a no-op waker suffices), and whether the
/// parser stopped on an error.
fn parse(chunks: &[&[u8]]) -> (Vec<Event>, bool) {
    let items = chunks.iter().map(|c| Ok::<_, Infallible>(c.to_vec()));
    let mut events = pin!(futures_util::stream::iter(items).eventsource());
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::new();
    loop {
        match events.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(Ok(event))) => out.push(event),
            Poll::Ready(Some(Err(_))) => return (out, true),
            Poll::Ready(None) => return (out, false),
            Poll::Pending => unreachable!("an iterator stream is always ready"),
        }
    }
}

/// What `StreamMeter::observe` reads from one event, for every wire format.
fn observe(event: &Event, usages: &mut [Usage; 5], text: &mut String) {
    if event.data == "[DONE]" {
        return;
    }
    let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
        return;
    };
    let name = Some(event.event.as_str()).filter(|n| *n != "message");
    if let Some(id) = usage::response_id(&data) {
        assert!(!id.is_empty() && id.len() <= 200);
    }
    let _ = usage::is_usage_only_chunk(&data);
    for (format, total) in FORMATS.iter().zip(usages.iter_mut()) {
        if let Some(reported) = usage::from_stream_event(*format, name, &data) {
            assert!(!reported.is_empty(), "a reader returned an empty usage");
            let before = *total;
            total.merge_max(reported);
            for (merged, (old, new)) in [
                (
                    total.prompt_tokens,
                    (before.prompt_tokens, reported.prompt_tokens),
                ),
                (
                    total.completion_tokens,
                    (before.completion_tokens, reported.completion_tokens),
                ),
                (
                    total.cached_tokens,
                    (before.cached_tokens, reported.cached_tokens),
                ),
                (
                    total.reasoning_tokens,
                    (before.reasoning_tokens, reported.reasoning_tokens),
                ),
            ] {
                assert!(merged >= old && merged >= new);
            }
        }
        if let Some(delta) = usage::stream_text_delta(*format, name, &data)
            && text.len() < 64 * 1024
        {
            text.push_str(delta);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // First byte: how many cut points; then one byte per cut (a chunk length); then the body.
    let Some((&cuts, rest)) = data.split_first() else {
        return;
    };
    let cuts = usize::from(cuts % 16).min(rest.len());
    let (lengths, body) = rest.split_at(cuts);
    let mut chunks: Vec<&[u8]> = Vec::new();
    let mut remaining = body;
    for length in lengths {
        let at = usize::from(*length).min(remaining.len());
        let (chunk, tail) = remaining.split_at(at);
        chunks.push(chunk);
        remaining = tail;
    }
    chunks.push(remaining);

    let (events, failed) = parse(&chunks);
    if std::str::from_utf8(body).is_ok() {
        // Valid UTF-8: chunking must not change what the client sees.
        let (whole, whole_failed) = parse(&[body]);
        assert!(!failed && !whole_failed);
        assert_eq!(events, whole, "chunking changed the events");
    }

    let mut usages = [Usage::default(); 5];
    let mut text = String::new();
    for event in &events {
        observe(event, &mut usages, &mut text);
    }
    // A cut stream is estimated from the delivered text with the real tokenizer.
    let _ = estimate::count_tokens("gpt-4o", &text);
    let _ = estimate::count_tokens("claude-sonnet-4", &text);
});

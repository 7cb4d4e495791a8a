//! Reading usage from every wire format's bodies and stream events, with real shapes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::*;

fn usage(p: u32, c: u32, cached: Option<u32>, reasoning: Option<u32>) -> Usage {
    Usage {
        prompt_tokens: Some(p),
        completion_tokens: Some(c),
        cached_tokens: cached,
        reasoning_tokens: reasoning,
    }
}

#[test]
fn merge_max_takes_the_larger_of_each_field_and_keeps_known_values() {
    let mut a = Usage {
        prompt_tokens: Some(10),
        completion_tokens: Some(1),
        cached_tokens: None,
        reasoning_tokens: Some(7),
    };
    a.merge_max(Usage {
        prompt_tokens: None,
        completion_tokens: Some(42),
        cached_tokens: Some(3),
        reasoning_tokens: Some(2),
    });
    assert_eq!(
        a,
        Usage {
            prompt_tokens: Some(10),
            completion_tokens: Some(42),
            cached_tokens: Some(3),
            reasoning_tokens: Some(7),
        }
    );
    let before = a;
    a.merge_max(Usage::default());
    assert_eq!(a, before);
}

#[test]
fn is_empty_only_when_every_field_is_none() {
    assert!(Usage::default().is_empty());
    let one = Usage {
        reasoning_tokens: Some(0),
        ..Usage::default()
    };
    assert!(!one.is_empty());
}

#[test]
fn chat_body_reads_counts_and_details() {
    let body = json!({
        "id": "chatcmpl-1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
        "usage": {
            "prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500,
            "prompt_tokens_details": {"cached_tokens": 200, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 64}
        }
    });
    assert_eq!(
        from_body(WireFormat::ChatCompletions, &body),
        Some(usage(1000, 500, Some(200), Some(64)))
    );
}

#[test]
fn chat_body_without_details_leaves_them_unknown() {
    let body = json!({"usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}});
    assert_eq!(
        from_body(WireFormat::ChatCompletions, &body),
        Some(usage(9, 12, None, None))
    );
    assert_eq!(
        from_body(WireFormat::Completions, &body),
        Some(usage(9, 12, None, None))
    );
}

#[test]
fn missing_null_or_empty_usage_is_none() {
    for format in [
        WireFormat::ChatCompletions,
        WireFormat::Completions,
        WireFormat::Embeddings,
        WireFormat::Responses,
        WireFormat::AnthropicMessages,
    ] {
        assert_eq!(from_body(format, &json!({"id": "x"})), None, "{format:?}");
        assert_eq!(
            from_body(format, &json!({"usage": null})),
            None,
            "{format:?}"
        );
        assert_eq!(from_body(format, &json!({"usage": {}})), None, "{format:?}");
        assert_eq!(
            from_body(format, &json!({"usage": "lots"})),
            None,
            "{format:?}"
        );
        assert_eq!(from_body(format, &json!([1, 2])), None, "{format:?}");
        assert_eq!(from_body(format, &json!(null)), None, "{format:?}");
    }
}

#[test]
fn bad_numbers_are_treated_as_absent() {
    let body = json!({"usage": {
        "prompt_tokens": -5,
        "completion_tokens": 1.5,
        "prompt_tokens_details": {"cached_tokens": 4_294_967_296_u64},
        "completion_tokens_details": {"reasoning_tokens": "12"}
    }});
    assert_eq!(from_body(WireFormat::ChatCompletions, &body), None);

    let body = json!({"usage": {"prompt_tokens": 4_294_967_295_u64, "completion_tokens": 1e300}});
    assert_eq!(
        from_body(WireFormat::ChatCompletions, &body),
        Some(Usage {
            prompt_tokens: Some(u32::MAX),
            ..Usage::default()
        })
    );
}

#[test]
fn whole_floats_are_accepted() {
    let body = json!({"usage": {"prompt_tokens": 12.0, "completion_tokens": 3}});
    assert_eq!(
        from_body(WireFormat::ChatCompletions, &body),
        Some(usage(12, 3, None, None))
    );
}

#[test]
fn embeddings_report_zero_completion_tokens() {
    let body = json!({
        "object": "list", "data": [], "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8}
    });
    assert_eq!(
        from_body(WireFormat::Embeddings, &body),
        Some(usage(8, 0, None, None))
    );
}

#[test]
fn responses_body_reads_input_and_output_names() {
    let body = json!({
        "id": "resp_1", "object": "response", "status": "completed",
        "usage": {
            "input_tokens": 328, "output_tokens": 52, "total_tokens": 380,
            "input_tokens_details": {"cached_tokens": 128},
            "output_tokens_details": {"reasoning_tokens": 10}
        }
    });
    assert_eq!(
        from_body(WireFormat::Responses, &body),
        Some(usage(328, 52, Some(128), Some(10)))
    );
    // The chat names mean nothing in a Responses body.
    let chat_shaped = json!({"usage": {"prompt_tokens": 1, "completion_tokens": 2}});
    assert_eq!(from_body(WireFormat::Responses, &chat_shaped), None);
}

#[test]
fn anthropic_prompt_adds_cache_reads_and_writes() {
    let body = json!({
        "id": "msg_1", "type": "message", "role": "assistant",
        "usage": {
            "input_tokens": 100, "output_tokens": 50,
            "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 20
        }
    });
    assert_eq!(
        from_body(WireFormat::AnthropicMessages, &body),
        Some(usage(1120, 50, Some(1000), None))
    );
    let plain = json!({"usage": {"input_tokens": 7, "output_tokens": 3}});
    assert_eq!(
        from_body(WireFormat::AnthropicMessages, &plain),
        Some(usage(7, 3, None, None))
    );
}

#[test]
fn anthropic_prompt_sum_saturates() {
    let body = json!({"usage": {
        "input_tokens": u32::MAX, "cache_read_input_tokens": 10, "output_tokens": 1
    }});
    let u = from_body(WireFormat::AnthropicMessages, &body).unwrap();
    assert_eq!(u.prompt_tokens, Some(u32::MAX));
}

#[test]
fn chat_stream_usage_only_in_the_final_chunk() {
    let first = json!({
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}],
        "usage": null
    });
    let last = json!({
        "object": "chat.completion.chunk", "choices": [],
        "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25,
                  "prompt_tokens_details": {"cached_tokens": 0}}
    });
    assert_eq!(
        from_stream_event(WireFormat::ChatCompletions, None, &first),
        None
    );
    assert_eq!(
        from_stream_event(WireFormat::ChatCompletions, None, &last),
        Some(usage(20, 5, Some(0), None))
    );
}

#[test]
fn responses_stream_usage_comes_from_terminal_events() {
    let completed = json!({
        "type": "response.completed", "sequence_number": 9,
        "response": {"id": "resp_1", "status": "completed",
            "usage": {"input_tokens": 11, "output_tokens": 22, "total_tokens": 33,
                      "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 4}}}
    });
    assert_eq!(
        from_stream_event(
            WireFormat::Responses,
            Some("response.completed"),
            &completed
        ),
        Some(usage(11, 22, Some(0), Some(4)))
    );
    for kind in ["response.incomplete", "response.failed"] {
        let event =
            json!({"type": kind, "response": {"usage": {"input_tokens": 1, "output_tokens": 2}}});
        assert_eq!(
            from_stream_event(WireFormat::Responses, None, &event),
            Some(usage(1, 2, None, None)),
            "{kind}"
        );
    }
    // An earlier event with a `response` object but no usage yet.
    let created = json!({"type": "response.created", "response": {"usage": null}});
    assert_eq!(
        from_stream_event(WireFormat::Responses, None, &created),
        None
    );
    // Usage on a non-terminal event is ignored.
    let odd = json!({"type": "response.in_progress", "response": {"usage": {"input_tokens": 1}}});
    assert_eq!(from_stream_event(WireFormat::Responses, None, &odd), None);
}

#[test]
fn event_type_falls_back_to_the_sse_name() {
    let completed = json!({"response": {"usage": {"input_tokens": 3, "output_tokens": 4}}});
    assert_eq!(
        from_stream_event(
            WireFormat::Responses,
            Some("response.completed"),
            &completed
        ),
        Some(usage(3, 4, None, None))
    );
    assert_eq!(
        from_stream_event(WireFormat::Responses, None, &completed),
        None
    );
    let delta = json!({"delta": {"type": "text_delta", "text": "hi"}});
    assert_eq!(
        stream_text_delta(
            WireFormat::AnthropicMessages,
            Some("content_block_delta"),
            &delta
        ),
        Some("hi")
    );
    // The JSON `type` wins over a contradicting SSE name.
    let typed = json!({"type": "ping", "delta": {"type": "text_delta", "text": "hi"}});
    assert_eq!(
        stream_text_delta(
            WireFormat::AnthropicMessages,
            Some("content_block_delta"),
            &typed
        ),
        None
    );
}

#[test]
fn anthropic_stream_merges_to_the_final_counts() {
    let start = json!({
        "type": "message_start",
        "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [],
            "usage": {"input_tokens": 25, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 100, "output_tokens": 1}}
    });
    let delta = json!({
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": null},
        "usage": {"output_tokens": 15}
    });
    let ping = json!({"type": "ping"});
    let mut total = Usage::default();
    for event in [&start, &ping, &delta] {
        if let Some(u) = from_stream_event(WireFormat::AnthropicMessages, None, event) {
            total.merge_max(u);
        }
    }
    assert_eq!(total, usage(125, 15, Some(100), None));
}

#[test]
fn anthropic_message_delta_may_repeat_input_counts() {
    let delta = json!({
        "type": "message_delta", "delta": {},
        "usage": {"input_tokens": 25, "cache_read_input_tokens": 100,
                  "cache_creation_input_tokens": 0, "output_tokens": 80}
    });
    assert_eq!(
        from_stream_event(WireFormat::AnthropicMessages, Some("message_delta"), &delta),
        Some(usage(125, 80, Some(100), None))
    );
}

#[test]
fn anthropic_other_events_carry_no_usage() {
    let stop = json!({"type": "message_stop", "usage": {"output_tokens": 9}});
    assert_eq!(
        from_stream_event(WireFormat::AnthropicMessages, None, &stop),
        None
    );
    let no_type = json!({"usage": {"output_tokens": 9}});
    assert_eq!(
        from_stream_event(WireFormat::AnthropicMessages, None, &no_type),
        None
    );
}

#[test]
fn chat_text_deltas() {
    let chunk = json!({"choices": [{"index": 0, "delta": {"content": "Hello"}}]});
    assert_eq!(
        stream_text_delta(WireFormat::ChatCompletions, None, &chunk),
        Some("Hello")
    );
    let role_only =
        json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": null}}]});
    assert_eq!(
        stream_text_delta(WireFormat::ChatCompletions, None, &role_only),
        None
    );
    let reasoning =
        json!({"choices": [{"delta": {"content": "", "reasoning_content": "Let me think"}}]});
    assert_eq!(
        stream_text_delta(WireFormat::ChatCompletions, None, &reasoning),
        Some("Let me think")
    );
    let tool = json!({"choices": [{"delta": {"tool_calls": [
        {"index": 0, "function": {"arguments": "{\"city\":"}}
    ]}}]});
    assert_eq!(
        stream_text_delta(WireFormat::ChatCompletions, None, &tool),
        Some("{\"city\":")
    );
    let usage_only = json!({"choices": [], "usage": {"prompt_tokens": 1}});
    assert_eq!(
        stream_text_delta(WireFormat::ChatCompletions, None, &usage_only),
        None
    );
}

#[test]
fn completions_text_deltas() {
    let chunk = json!({"object": "text_completion", "choices": [{"text": " world", "index": 0}]});
    assert_eq!(
        stream_text_delta(WireFormat::Completions, None, &chunk),
        Some(" world")
    );
    assert_eq!(
        stream_text_delta(WireFormat::Embeddings, None, &chunk),
        None
    );
}

#[test]
fn responses_text_deltas() {
    let delta = json!({"type": "response.output_text.delta", "item_id": "msg_1",
                       "output_index": 0, "content_index": 0, "delta": "Hi"});
    assert_eq!(
        stream_text_delta(WireFormat::Responses, None, &delta),
        Some("Hi")
    );
    let done = json!({"type": "response.output_text.done", "text": "Hi there"});
    assert_eq!(stream_text_delta(WireFormat::Responses, None, &done), None);
    let args = json!({"type": "response.function_call_arguments.delta", "delta": "{\"a\""});
    assert_eq!(
        stream_text_delta(WireFormat::Responses, None, &args),
        Some("{\"a\"")
    );
}

#[test]
fn anthropic_text_deltas() {
    let text = json!({"type": "content_block_delta", "index": 0,
                      "delta": {"type": "text_delta", "text": "Bonjour"}});
    assert_eq!(
        stream_text_delta(WireFormat::AnthropicMessages, None, &text),
        Some("Bonjour")
    );
    let thinking = json!({"type": "content_block_delta", "index": 0,
                          "delta": {"type": "thinking_delta", "thinking": "hmm"}});
    assert_eq!(
        stream_text_delta(WireFormat::AnthropicMessages, None, &thinking),
        Some("hmm")
    );
    let json_delta = json!({"type": "content_block_delta", "index": 1,
                            "delta": {"type": "input_json_delta", "partial_json": "{\"q\": 1"}});
    assert_eq!(
        stream_text_delta(WireFormat::AnthropicMessages, None, &json_delta),
        Some("{\"q\": 1")
    );
    let signature = json!({"type": "content_block_delta",
                           "delta": {"type": "signature_delta", "signature": "abc"}});
    assert_eq!(
        stream_text_delta(WireFormat::AnthropicMessages, None, &signature),
        None
    );
    let start = json!({"type": "content_block_start", "index": 0,
                       "content_block": {"type": "text", "text": ""}});
    assert_eq!(
        stream_text_delta(WireFormat::AnthropicMessages, None, &start),
        None
    );
}

#[test]
fn text_delta_tolerates_junk() {
    for data in [
        json!(null),
        json!("text"),
        json!({"choices": "no"}),
        json!({"choices": [{"delta": 5}]}),
        json!({"type": 7, "delta": "x"}),
        json!({"type": "content_block_delta", "delta": {"type": "text_delta", "text": 5}}),
    ] {
        for format in [
            WireFormat::ChatCompletions,
            WireFormat::Completions,
            WireFormat::Responses,
            WireFormat::AnthropicMessages,
        ] {
            assert_eq!(
                stream_text_delta(format, None, &data),
                None,
                "{format:?} {data}"
            );
            assert_eq!(
                from_stream_event(format, None, &data),
                None,
                "{format:?} {data}"
            );
        }
    }
}

#[test]
fn usage_only_chunk_detection() {
    assert!(is_usage_only_chunk(&json!({
        "object": "chat.completion.chunk", "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2}
    })));
    // Normal chunks, and the final content chunk, are forwarded.
    assert!(!is_usage_only_chunk(&json!({
        "choices": [{"delta": {"content": "x"}}], "usage": null
    })));
    assert!(!is_usage_only_chunk(&json!({
        "choices": [{"delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1}
    })));
    assert!(!is_usage_only_chunk(&json!({"choices": [], "usage": null})));
    assert!(!is_usage_only_chunk(&json!({"choices": []})));
    assert!(!is_usage_only_chunk(
        &json!({"usage": {"prompt_tokens": 1}})
    ));
    assert!(!is_usage_only_chunk(&json!(null)));
}

//! The fake's OpenAI-compatible generation routes: chat, completions, embeddings, responses.

use super::*;

pub(super) fn chat_usage() -> Value {
    json!({
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "total_tokens": 18,
        "prompt_tokens_details": {"cached_tokens": 3},
        "completion_tokens_details": {"reasoning_tokens": 0},
    })
}

pub(super) async fn chat_completions(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = match admit(&fake, uri.path(), &headers, &body, Flavor::OpenAi).await {
        Ok(incoming) => incoming,
        Err(refused) => return refused,
    };
    let model = incoming.model();
    if !incoming.streaming() && model.contains("truncate-body") {
        return super::truncated_json();
    }
    if !incoming.streaming() {
        return json_response(
            StatusCode::OK,
            json!({
                "id": "chatcmpl-fake1",
                "object": "chat.completion",
                "created": CREATED,
                "model": model,
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": TEXT},
                    "finish_reason": "stop",
                }],
                "usage": chat_usage(),
            }),
        );
    }
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": "chatcmpl-fake1",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
            "usage": null,
        })
    };
    let mut events = vec![data(&chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    ))];
    let pieces: &[&str] = if incoming.cut() {
        &PIECES[..2]
    } else {
        &PIECES
    };
    for piece in pieces {
        events.push(data(&chunk(json!({"content": piece}), Value::Null)));
    }
    if incoming.cut() {
        return sse(events, true);
    }
    if model.contains("stall") {
        return super::sse_stalled(events);
    }
    events.push(data(&chunk(json!({}), json!("stop"))));
    if incoming.include_usage() {
        events.push(data(&json!({
            "id": "chatcmpl-fake1",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [],
            "usage": chat_usage(),
        })));
    }
    events.push("data: [DONE]\n\n".into());
    sse(events, false)
}

pub(super) fn completion_usage() -> Value {
    json!({"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10})
}

pub(super) async fn completions(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = match admit(&fake, uri.path(), &headers, &body, Flavor::OpenAi).await {
        Ok(incoming) => incoming,
        Err(refused) => return refused,
    };
    let model = incoming.model();
    let completion = |text: &str, finish: Value, usage: Value| {
        json!({
            "id": "cmpl-fake1",
            "object": "text_completion",
            "created": CREATED,
            "model": model,
            "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": finish}],
            "usage": usage,
        })
    };
    if !incoming.streaming() {
        return json_response(
            StatusCode::OK,
            completion(TEXT, json!("stop"), completion_usage()),
        );
    }
    let pieces: &[&str] = if incoming.cut() {
        &PIECES[..2]
    } else {
        &PIECES
    };
    let mut events: Vec<String> = pieces
        .iter()
        .map(|piece| data(&completion(piece, Value::Null, Value::Null)))
        .collect();
    if incoming.cut() {
        return sse(events, true);
    }
    events.push(data(&completion("", json!("stop"), Value::Null)));
    if incoming.include_usage() {
        events.push(data(&json!({
            "id": "cmpl-fake1",
            "object": "text_completion",
            "created": CREATED,
            "model": model,
            "choices": [],
            "usage": completion_usage(),
        })));
    }
    events.push("data: [DONE]\n\n".into());
    sse(events, false)
}

pub(super) async fn embeddings(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = match admit(&fake, uri.path(), &headers, &body, Flavor::OpenAi).await {
        Ok(incoming) => incoming,
        Err(refused) => return refused,
    };
    // One embedding per input: a string or a token array is one input; an array of strings
    // (or of token arrays) is one per element.
    let count = match &incoming.body["input"] {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => 1,
        Value::Array(items) => items.len(),
        _ => 1,
    };
    let base64 = incoming.body["encoding_format"].as_str() == Some("base64");
    let vector = [0.1f64, 0.2, 0.3];
    let embedding = if base64 {
        // Little-endian f32s, as OpenAI sends them.
        use base64::Engine as _;
        let bytes: Vec<u8> = vector
            .iter()
            .flat_map(|&f| (f as f32).to_le_bytes())
            .collect();
        json!(base64::engine::general_purpose::STANDARD.encode(bytes))
    } else {
        json!(vector)
    };
    let data: Vec<Value> = (0..count)
        .map(|index| json!({"object": "embedding", "index": index, "embedding": embedding}))
        .collect();
    json_response(
        StatusCode::OK,
        json!({
            "object": "list",
            "data": data,
            "model": incoming.model(),
            "usage": {"prompt_tokens": 5, "total_tokens": 5},
        }),
    )
}

pub(super) fn response_usage() -> Value {
    json!({
        "input_tokens": 12,
        "output_tokens": 8,
        "total_tokens": 20,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    })
}

pub(super) fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

pub(super) fn output_message(status: &str, content: Vec<Value>) -> Value {
    json!({
        "type": "message",
        "id": "msg_fake1",
        "status": status,
        "role": "assistant",
        "content": content,
    })
}

/// A Responses API `Response` object.
pub(super) fn response_object(
    model: &str,
    status: &str,
    output: Vec<Value>,
    usage: Value,
) -> Value {
    json!({
        "id": "resp_fake1",
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "model": model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "service_tier": "default",
        "store": true,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": null,
        "metadata": {},
    })
}

pub(super) async fn responses(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = match admit(&fake, uri.path(), &headers, &body, Flavor::OpenAi).await {
        Ok(incoming) => incoming,
        Err(refused) => return refused,
    };
    let model = incoming.model();
    let done_message = output_message("completed", vec![output_text(TEXT)]);
    let completed = response_object(
        &model,
        "completed",
        vec![done_message.clone()],
        response_usage(),
    );
    if !incoming.streaming() {
        return json_response(StatusCode::OK, completed);
    }
    let in_progress = response_object(&model, "in_progress", vec![], Value::Null);
    let mut sequence = 0u64;
    let mut events = Vec::new();
    let mut push = |mut value: Value| {
        value["sequence_number"] = json!(sequence);
        sequence += 1;
        events.push(event(&value));
    };
    push(json!({"type": "response.created", "response": in_progress}));
    push(json!({"type": "response.in_progress", "response": in_progress}));
    push(json!({
        "type": "response.output_item.added",
        "output_index": 0,
        "item": output_message("in_progress", vec![]),
    }));
    push(json!({
        "type": "response.content_part.added",
        "item_id": "msg_fake1",
        "output_index": 0,
        "content_index": 0,
        "part": output_text(""),
    }));
    let pieces: &[&str] = if incoming.cut() {
        &PIECES[..2]
    } else {
        &PIECES
    };
    for piece in pieces {
        push(json!({
            "type": "response.output_text.delta",
            "item_id": "msg_fake1",
            "output_index": 0,
            "content_index": 0,
            "delta": piece,
            "logprobs": [],
        }));
    }
    if incoming.cut() {
        return sse(events, true);
    }
    push(json!({
        "type": "response.output_text.done",
        "item_id": "msg_fake1",
        "output_index": 0,
        "content_index": 0,
        "text": TEXT,
        "logprobs": [],
    }));
    push(json!({
        "type": "response.content_part.done",
        "item_id": "msg_fake1",
        "output_index": 0,
        "content_index": 0,
        "part": output_text(TEXT),
    }));
    push(json!({
        "type": "response.output_item.done",
        "output_index": 0,
        "item": done_message,
    }));
    push(json!({"type": "response.completed", "response": completed}));
    sse(events, false)
}

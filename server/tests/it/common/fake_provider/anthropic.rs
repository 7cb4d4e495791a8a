//! The fake's Anthropic routes: messages (streaming and not) and count_tokens.

use super::*;

pub(super) async fn anthropic_messages(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = match admit(&fake, uri.path(), &headers, &body, Flavor::Anthropic).await {
        Ok(incoming) => incoming,
        Err(refused) => return refused,
    };
    let model = incoming.model();
    if !incoming.streaming() {
        return json_response(
            StatusCode::OK,
            json!({
                "id": "msg_fake1",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": TEXT}],
                "stop_reason": "end_turn",
                "stop_sequence": null,
                "usage": {
                    "input_tokens": 13,
                    "output_tokens": 9,
                    "cache_read_input_tokens": 2,
                    "cache_creation_input_tokens": 0,
                },
            }),
        );
    }
    let mut events = vec![
        event(&json!({
            "type": "message_start",
            "message": {
                "id": "msg_fake1",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {
                    "input_tokens": 13,
                    "output_tokens": 1,
                    "cache_read_input_tokens": 2,
                    "cache_creation_input_tokens": 0,
                },
            },
        })),
        event(&json!({
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        })),
    ];
    if !incoming.cut() {
        events.push(event(&json!({"type": "ping"})));
    }
    let pieces: &[&str] = if incoming.cut() {
        &PIECES[..2]
    } else {
        &PIECES
    };
    for piece in pieces {
        events.push(event(&json!({
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": piece},
        })));
    }
    if incoming.cut() {
        return sse(events, true);
    }
    events.push(event(&json!({"type": "content_block_stop", "index": 0})));
    events.push(event(&json!({
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": null},
        "usage": {"output_tokens": 9},
    })));
    events.push(event(&json!({"type": "message_stop"})));
    sse(events, false)
}

pub(super) async fn anthropic_count_tokens(
    State(fake): State<Fake>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match admit(&fake, uri.path(), &headers, &body, Flavor::Anthropic).await {
        Ok(_) => json_response(StatusCode::OK, json!({"input_tokens": 13})),
        Err(refused) => refused,
    }
}

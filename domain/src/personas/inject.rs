//! Applying a persona to a request body, in each API's own place for system text: a leading
//! system message (chat completions), `instructions` (responses), `system` (messages and
//! token counting). The caller's own system text is kept, after the persona's, so the
//! persona sets the frame and the caller refines it.

use serde_json::{Value, json};

/// The request shapes a persona can be applied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Chat,
    Responses,
    Messages,
}

/// Why a persona could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotApplicable(pub &'static str);

fn joined(persona: &str, own: &str) -> String {
    if own.trim().is_empty() {
        persona.to_owned()
    } else {
        format!("{persona}\n\n{own}")
    }
}

/// Adds the persona's content to `body` (a JSON object) for `shape`.
pub fn apply(shape: Shape, body: &mut Value, content: &str) -> Result<(), NotApplicable> {
    let Some(object) = body.as_object_mut() else {
        return Err(NotApplicable("The request body must be a JSON object."));
    };
    match shape {
        Shape::Chat => {
            let Some(messages) = object.get_mut("messages").and_then(Value::as_array_mut) else {
                return Err(NotApplicable("The request has no `messages` array."));
            };
            messages.insert(0, json!({ "role": "system", "content": content }));
        }
        Shape::Responses => {
            let combined = match object.get("instructions") {
                Some(Value::String(own)) => joined(content, own),
                None | Some(Value::Null) => content.to_owned(),
                Some(_) => return Err(NotApplicable("`instructions` must be a string.")),
            };
            object.insert("instructions".into(), Value::String(combined));
        }
        Shape::Messages => {
            let combined = match object.remove("system") {
                Some(Value::String(own)) => Value::String(joined(content, &own)),
                Some(Value::Array(mut blocks)) => {
                    blocks.insert(0, json!({ "type": "text", "text": content }));
                    Value::Array(blocks)
                }
                None | Some(Value::Null) => Value::String(content.to_owned()),
                Some(other) => {
                    object.insert("system".into(), other);
                    return Err(NotApplicable(
                        "`system` must be a string or an array of blocks.",
                    ));
                }
            };
            object.insert("system".into(), combined);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn chat_gets_a_leading_system_message_and_keeps_the_callers() {
        let mut body = json!({"model": "m", "messages": [
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "Hi"}
        ]});
        apply(Shape::Chat, &mut body, "You are Support.").unwrap();
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3);
        assert_eq!(
            messages[0],
            json!({"role": "system", "content": "You are Support."})
        );
        assert_eq!(messages[1]["content"], "Answer in French.");
        assert_eq!(messages[2]["role"], "user");
    }

    #[test]
    fn chat_without_messages_is_refused() {
        let mut body = json!({"model": "m", "prompt": "x"});
        assert!(apply(Shape::Chat, &mut body, "p").is_err());
    }

    #[test]
    fn responses_instructions_are_set_or_prefixed() {
        let mut body = json!({"model": "m", "input": "Hi"});
        apply(Shape::Responses, &mut body, "You are Support.").unwrap();
        assert_eq!(body["instructions"], "You are Support.");
        let mut body = json!({"model": "m", "input": "Hi", "instructions": "Be brief."});
        apply(Shape::Responses, &mut body, "You are Support.").unwrap();
        assert_eq!(body["instructions"], "You are Support.\n\nBe brief.");
        let mut body = json!({"model": "m", "instructions": 3});
        assert!(apply(Shape::Responses, &mut body, "p").is_err());
    }

    #[test]
    fn messages_system_string_array_or_absent() {
        let mut body = json!({"model": "m", "messages": []});
        apply(Shape::Messages, &mut body, "You are Support.").unwrap();
        assert_eq!(body["system"], "You are Support.");

        let mut body = json!({"model": "m", "system": "Be brief."});
        apply(Shape::Messages, &mut body, "You are Support.").unwrap();
        assert_eq!(body["system"], "You are Support.\n\nBe brief.");

        let mut body = json!({"model": "m", "system": [{"type": "text", "text": "Be brief."}]});
        apply(Shape::Messages, &mut body, "You are Support.").unwrap();
        assert_eq!(
            body["system"],
            json!([{"type": "text", "text": "You are Support."}, {"type": "text", "text": "Be brief."}])
        );

        let mut body = json!({"model": "m", "system": 7});
        assert!(apply(Shape::Messages, &mut body, "p").is_err());
        assert_eq!(body["system"], 7, "a refused body is left as it was");
    }
}

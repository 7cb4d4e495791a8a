//! Request bodies as the proxy maps them (`domain::gateway` and `domain::personas`): any JSON a
//! client sends goes through the prompt-token estimator and the usage readers for every wire
//! format, the persona injector for every request shape, the secret scrubber and the rating
//! reader. Invariants: no panic; an applied persona is where the API reads system text; a
//! refused persona leaves the body as it was; scrubbing is idempotent (nothing that still looks
//! like a secret survives it).

#![no_main]

use domain::gateway::usage::{self, WireFormat};
use domain::gateway::{estimate, scrub};
use domain::personas::inject::{self, Shape};
use domain::ratings::Score;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const FORMATS: [WireFormat; 5] = [
    WireFormat::ChatCompletions,
    WireFormat::Completions,
    WireFormat::Embeddings,
    WireFormat::Responses,
    WireFormat::AnthropicMessages,
];
const PERSONA: &str = "You are Support.";

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("gpt-4o-mini");
    for format in FORMATS {
        let _ = estimate::prompt_tokens(format, model, &body);
        if let Some(found) = usage::from_body(format, &body) {
            assert!(!found.is_empty());
        }
    }
    let _ = usage::response_id(&body);

    for shape in [Shape::Chat, Shape::Responses, Shape::Messages] {
        let mut mapped = body.clone();
        match inject::apply(shape, &mut mapped, PERSONA) {
            Ok(()) => {
                match shape {
                    Shape::Chat => {
                        assert_eq!(mapped["messages"][0]["role"], "system");
                        assert_eq!(mapped["messages"][0]["content"], PERSONA);
                    }
                    Shape::Responses => {
                        let instructions = mapped["instructions"].as_str().unwrap_or_default();
                        assert!(instructions.starts_with(PERSONA));
                    }
                    Shape::Messages => match &mapped["system"] {
                        Value::String(system) => assert!(system.starts_with(PERSONA)),
                        Value::Array(blocks) => assert_eq!(blocks[0]["text"], PERSONA),
                        other => panic!("system became {other}"),
                    },
                }
                let wire = match shape {
                    Shape::Chat => WireFormat::ChatCompletions,
                    Shape::Responses => WireFormat::Responses,
                    Shape::Messages => WireFormat::AnthropicMessages,
                };
                let _ = estimate::prompt_tokens(wire, model, &mapped);
            }
            Err(_) => assert_eq!(mapped, body, "a refused persona changed the body"),
        }
    }

    let mut scrubbed = body.clone();
    scrub::scrub_json(&mut scrubbed);
    let mut twice = scrubbed.clone();
    scrub::scrub_json(&mut twice);
    assert_eq!(scrubbed, twice, "scrubbing is not idempotent");

    let _ = Score::from_json(&body).map(Score::value);
});

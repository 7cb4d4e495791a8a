//! The built-in price table and the cost of a request in integer micro-dollars.
//!
//! Money is kept in whole micro-dollars (`i64`) so ledger sums are exact; prices are micro-dollars
//! per million tokens, so a price of `$2.50 / MTok` is `2_500_000`. The table is a snapshot of
//! public list prices; its version string goes on every ledger row so later price changes never
//! rewrite history.

use serde::{Deserialize, Serialize};

use super::usage::Usage;

/// The version string of the built-in table, recorded on every ledger row.
pub const BUILTIN_PRICE_VERSION: &str = "builtin-2026-11";

/// Prices in micro-dollars per million tokens (i.e. $2.50 / MTok = 2_500_000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelPrice {
    pub input: i64,
    pub output: i64,
    /// Input tokens served from the provider's prompt cache. Models without a cache discount
    /// carry their normal input price here.
    pub cached_input: i64,
}

/// One built-in entry: provider id ("openai","anthropic","google","groq","xai","openrouter"),
/// a model id or prefix pattern, its price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceEntry {
    pub provider: &'static str,
    pub model: &'static str,
    pub price: ModelPrice,
}

/// Micro-dollars per million tokens from dollars per million tokens, written as
/// `thousandths of a dollar` so every list price (down to $0.005) is an exact integer.
const fn milli(m: i64) -> i64 {
    m * 1_000
}

const fn entry(
    provider: &'static str,
    model: &'static str,
    input: i64,
    output: i64,
    cached_input: i64,
) -> PriceEntry {
    PriceEntry {
        provider,
        model,
        price: ModelPrice {
            input: milli(input),
            output: milli(output),
            cached_input: milli(cached_input),
        },
    }
}

/// Prices below are in thousandths of a dollar per million tokens: `2_500` = $2.50 / MTok.
/// Entries are matched as prefixes, so some variants whose price differs a lot from their base
/// model's (`o1-pro`, `gpt-5-pro`, `claude-opus-4-5`, `gemini-2.5-flash-lite`, …) have their own
/// line to keep them from inheriting the shorter entry's price.
static BUILTIN: &[PriceEntry] = &[
    // OpenAI
    entry("openai", "gpt-5", 1_250, 10_000, 125),
    entry("openai", "gpt-5-mini", 250, 2_000, 25),
    entry("openai", "gpt-5-nano", 50, 400, 5),
    entry("openai", "gpt-5-pro", 15_000, 120_000, 15_000),
    entry("openai", "gpt-4.1", 2_000, 8_000, 500),
    entry("openai", "gpt-4.1-mini", 400, 1_600, 100),
    entry("openai", "gpt-4.1-nano", 100, 400, 25),
    entry("openai", "gpt-4o", 2_500, 10_000, 1_250),
    entry("openai", "gpt-4o-mini", 150, 600, 75),
    entry("openai", "o1", 15_000, 60_000, 7_500),
    entry("openai", "o1-mini", 1_100, 4_400, 550),
    entry("openai", "o1-pro", 150_000, 600_000, 150_000),
    entry("openai", "o3", 2_000, 8_000, 500),
    entry("openai", "o3-mini", 1_100, 4_400, 550),
    entry("openai", "o3-pro", 20_000, 80_000, 20_000),
    entry("openai", "o4-mini", 1_100, 4_400, 275),
    entry("openai", "text-embedding-3-small", 20, 0, 20),
    entry("openai", "text-embedding-3-large", 130, 0, 130),
    entry("openai", "gpt-3.5-turbo", 500, 1_500, 500),
    entry("openai", "gpt-3.5-turbo-instruct", 1_500, 2_000, 1_500),
    // Anthropic: cache reads cost a tenth of input. Cache writes (1.25x input) are billed at
    // the plain input price here — a small, documented under-count.
    entry("anthropic", "claude-opus-4-5", 5_000, 25_000, 500),
    entry("anthropic", "claude-opus-4-1", 15_000, 75_000, 1_500),
    entry("anthropic", "claude-opus-4", 15_000, 75_000, 1_500),
    entry("anthropic", "claude-sonnet-4-5", 3_000, 15_000, 300),
    entry("anthropic", "claude-sonnet-4", 3_000, 15_000, 300),
    entry("anthropic", "claude-3-7-sonnet", 3_000, 15_000, 300),
    entry("anthropic", "claude-3-5-sonnet", 3_000, 15_000, 300),
    entry("anthropic", "claude-haiku-4-5", 1_000, 5_000, 100),
    entry("anthropic", "claude-3-5-haiku", 800, 4_000, 80),
    entry("anthropic", "claude-3-haiku", 250, 1_250, 30),
    // Google (prompts up to 200k tokens)
    entry("google", "gemini-2.5-pro", 1_250, 10_000, 125),
    entry("google", "gemini-2.5-flash", 300, 2_500, 30),
    entry("google", "gemini-2.5-flash-lite", 100, 400, 10),
    entry("google", "gemini-2.0-flash", 100, 400, 25),
    entry("google", "gemini-2.0-flash-lite", 75, 300, 75),
    // Groq (no prompt cache discount)
    entry("groq", "llama-3.3-70b-versatile", 590, 790, 590),
    entry("groq", "llama-3.1-8b-instant", 50, 80, 50),
    // xAI
    entry("xai", "grok-4", 3_000, 15_000, 750),
    entry("xai", "grok-4-fast", 200, 500, 50),
    entry("xai", "grok-3", 3_000, 15_000, 750),
    entry("xai", "grok-3-mini", 300, 500, 75),
];

/// The whole built-in table (for listing prices in the UI and for tests).
pub fn builtin_table() -> &'static [PriceEntry] {
    BUILTIN
}

/// The built-in price for (provider, model): exact match first, else the longest entry that the
/// model starts with (so dated snapshots like "gpt-4o-2024-08-06" or "claude-sonnet-4-5-20250929"
/// match "gpt-4o"/"claude-sonnet-4-5"; "gpt-4o-mini" gets its own price, not "gpt-4o"'s, because
/// the longer entry wins). Case-insensitive. None when unknown.
///
/// OpenRouter resells other providers' models at their list price under ids like
/// `openai/gpt-4o` or `anthropic/claude-sonnet-4.5`, so an `openrouter` model is looked up under
/// the vendor named before the slash (with `.` read as `-` in Anthropic models, whose own ids
/// spell versions with dashes).
pub fn builtin_price(provider: &str, model: &str) -> Option<ModelPrice> {
    let provider = provider.trim().to_ascii_lowercase();
    let model = model.trim().to_ascii_lowercase();
    if provider == "openrouter" {
        let (vendor, name) = model.split_once('/')?;
        return match vendor {
            "x-ai" => lookup("xai", name),
            // Only Anthropic's ids change spelling; dots in "gpt-4.1" or "gemini-2.5" are real.
            "anthropic" => lookup(vendor, &name.replace('.', "-")),
            _ => lookup(vendor, name),
        };
    }
    lookup(&provider, &model)
}

/// Exact-or-longest-prefix match in the built-in table; both arguments already lowercase.
fn lookup(provider: &str, model: &str) -> Option<ModelPrice> {
    // The longest prefix of `model` is also its exact match when there is one.
    BUILTIN
        .iter()
        .filter(|e| e.provider == provider && model.starts_with(e.model))
        .max_by_key(|e| e.model.len())
        .map(|e| e.price)
}

/// Cost of a request: uncached input at `input`, cached input at `cached_input`, output
/// (reasoning tokens are already included in completion tokens, do not add them again) at
/// `output`. Missing counts are 0. Round half up to whole micro-dollars, computed in i128 to
/// avoid overflow, saturating into i64.
///
/// A cached count larger than the prompt (an inconsistent report) is billed in full at the
/// cached price with no uncached input, so no reported token goes unbilled.
pub fn cost_micros(price: &ModelPrice, usage: &Usage) -> i64 {
    let prompt = usage.prompt_tokens.unwrap_or(0);
    let cached = usage.cached_tokens.unwrap_or(0);
    let uncached = prompt.saturating_sub(cached);
    let completion = usage.completion_tokens.unwrap_or(0);

    let per_million = i128::from(uncached) * i128::from(price.input)
        + i128::from(cached) * i128::from(price.cached_input)
        + i128::from(completion) * i128::from(price.output);
    // Half up (towards +inf) also for negative totals; `div_euclid` floors.
    let micros = (per_million + 500_000).div_euclid(1_000_000);
    i64::try_from(micros).unwrap_or(if micros < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashSet;

    use super::*;

    fn usage(prompt: u32, cached: u32, completion: u32) -> Usage {
        Usage {
            prompt_tokens: Some(prompt),
            completion_tokens: Some(completion),
            cached_tokens: Some(cached),
            reasoning_tokens: None,
        }
    }

    fn price(input: i64, output: i64, cached_input: i64) -> ModelPrice {
        ModelPrice {
            input,
            output,
            cached_input,
        }
    }

    #[test]
    fn table_has_every_required_model() {
        let required = [
            ("openai", "gpt-5"),
            ("openai", "gpt-5-mini"),
            ("openai", "gpt-5-nano"),
            ("openai", "gpt-4.1"),
            ("openai", "gpt-4.1-mini"),
            ("openai", "gpt-4.1-nano"),
            ("openai", "gpt-4o"),
            ("openai", "gpt-4o-mini"),
            ("openai", "o1"),
            ("openai", "o3"),
            ("openai", "o3-mini"),
            ("openai", "o4-mini"),
            ("openai", "text-embedding-3-small"),
            ("openai", "text-embedding-3-large"),
            ("openai", "gpt-3.5-turbo-instruct"),
            ("anthropic", "claude-opus-4-1"),
            ("anthropic", "claude-opus-4"),
            ("anthropic", "claude-sonnet-4-5"),
            ("anthropic", "claude-sonnet-4"),
            ("anthropic", "claude-3-7-sonnet"),
            ("anthropic", "claude-3-5-haiku"),
            ("anthropic", "claude-haiku-4-5"),
            ("google", "gemini-2.5-pro"),
            ("google", "gemini-2.5-flash"),
            ("google", "gemini-2.0-flash"),
            ("groq", "llama-3.3-70b-versatile"),
            ("groq", "llama-3.1-8b-instant"),
            ("xai", "grok-4"),
            ("xai", "grok-3"),
            ("xai", "grok-3-mini"),
        ];
        for (provider, model) in required {
            assert!(
                builtin_table()
                    .iter()
                    .any(|e| e.provider == provider && e.model == model),
                "{provider}/{model} missing"
            );
        }
    }

    #[test]
    fn table_is_sane() {
        let mut seen = HashSet::new();
        for e in builtin_table() {
            assert!(seen.insert((e.provider, e.model)), "duplicate {}", e.model);
            assert_eq!(e.model, e.model.to_ascii_lowercase(), "lookup lowercases");
            assert!(e.price.input > 0, "{}", e.model);
            assert!(e.price.output >= 0, "{}", e.model);
            assert!(e.price.cached_input > 0, "{}", e.model);
            assert!(e.price.cached_input <= e.price.input, "{}", e.model);
            // Nothing here costs more than $1000 per million tokens.
            assert!(e.price.output <= 1_000_000_000, "{}", e.model);
            assert!(
                e.price.output >= e.price.input || e.model.starts_with("text-embedding"),
                "{}",
                e.model
            );
        }
    }

    #[test]
    fn exact_match() {
        assert_eq!(
            builtin_price("openai", "gpt-4o-mini"),
            Some(price(150_000, 600_000, 75_000))
        );
        assert_eq!(
            builtin_price("openai", "gpt-4o"),
            Some(price(2_500_000, 10_000_000, 1_250_000))
        );
        assert_eq!(
            builtin_price("anthropic", "claude-sonnet-4-5"),
            Some(price(3_000_000, 15_000_000, 300_000))
        );
    }

    #[test]
    fn dated_snapshots_match_their_base_model() {
        assert_eq!(
            builtin_price("openai", "gpt-4o-2024-08-06"),
            builtin_price("openai", "gpt-4o")
        );
        assert_eq!(
            builtin_price("openai", "gpt-4o-mini-2024-07-18"),
            builtin_price("openai", "gpt-4o-mini")
        );
        assert_eq!(
            builtin_price("anthropic", "claude-sonnet-4-5-20250929"),
            builtin_price("anthropic", "claude-sonnet-4-5")
        );
        assert_eq!(
            builtin_price("anthropic", "claude-sonnet-4-20250514"),
            builtin_price("anthropic", "claude-sonnet-4")
        );
        assert_eq!(
            builtin_price("anthropic", "claude-3-7-sonnet-latest"),
            builtin_price("anthropic", "claude-3-7-sonnet")
        );
        assert_eq!(
            builtin_price("openai", "o3-mini-2025-01-31"),
            builtin_price("openai", "o3-mini")
        );
    }

    #[test]
    fn longest_prefix_wins_over_shorter_ones() {
        let mini = builtin_price("openai", "gpt-4o-mini-2024-07-18").unwrap();
        let full = builtin_price("openai", "gpt-4o").unwrap();
        assert_ne!(mini, full);
        assert_eq!(mini.input, 150_000);
        assert_eq!(
            builtin_price("openai", "gpt-4.1-nano-2025-04-14")
                .unwrap()
                .input,
            100_000
        );
        assert_eq!(
            builtin_price("openai", "gpt-5-mini-2025-08-07")
                .unwrap()
                .input,
            250_000
        );
        assert_eq!(
            builtin_price("openai", "o1-pro").unwrap().input,
            150_000_000
        );
        assert_eq!(
            builtin_price("anthropic", "claude-opus-4-5-20251101")
                .unwrap()
                .input,
            5_000_000
        );
        assert_eq!(
            builtin_price("anthropic", "claude-opus-4-20250514")
                .unwrap()
                .input,
            15_000_000
        );
    }

    #[test]
    fn lookup_is_case_insensitive_and_trims() {
        assert_eq!(
            builtin_price("OpenAI", "GPT-4o-Mini"),
            builtin_price("openai", "gpt-4o-mini")
        );
        assert!(builtin_price(" groq ", "Llama-3.3-70B-Versatile").is_some());
    }

    #[test]
    fn unknown_provider_or_model_is_none() {
        assert_eq!(builtin_price("openai", "davinci-002"), None);
        assert_eq!(builtin_price("openai", ""), None);
        assert_eq!(builtin_price("mistral", "gpt-4o"), None);
        // The provider must match: a model name alone is not enough.
        assert_eq!(builtin_price("anthropic", "gpt-4o"), None);
        // A prefix of an entry is not a match ("gpt-4" is not "gpt-4o").
        assert_eq!(builtin_price("openai", "gpt-4"), None);
    }

    #[test]
    fn openrouter_uses_the_vendor_price() {
        assert_eq!(
            builtin_price("openrouter", "openai/gpt-4o-mini"),
            builtin_price("openai", "gpt-4o-mini")
        );
        assert_eq!(
            builtin_price("openrouter", "anthropic/claude-sonnet-4.5"),
            builtin_price("anthropic", "claude-sonnet-4-5")
        );
        assert_eq!(
            builtin_price("openrouter", "anthropic/claude-haiku-4.5"),
            builtin_price("anthropic", "claude-haiku-4-5")
        );
        // Not "claude-opus-4", which "claude-opus-4.5" starts with.
        assert_eq!(
            builtin_price("openrouter", "anthropic/claude-opus-4.5"),
            builtin_price("anthropic", "claude-opus-4-5")
        );
        assert_eq!(
            builtin_price("openrouter", "openai/gpt-4.1-mini"),
            builtin_price("openai", "gpt-4.1-mini")
        );
        assert_eq!(
            builtin_price("openrouter", "google/gemini-2.5-flash"),
            builtin_price("google", "gemini-2.5-flash")
        );
        assert_eq!(
            builtin_price("openrouter", "x-ai/grok-4"),
            builtin_price("xai", "grok-4")
        );
        assert_eq!(builtin_price("openrouter", "gpt-4o"), None);
        assert_eq!(
            builtin_price("openrouter", "meta-llama/llama-3.3-70b-instruct"),
            None
        );
    }

    #[test]
    fn cost_of_the_documented_example() {
        // gpt-4o-mini: 800 uncached * $0.15 + 200 cached * $0.075 + 500 out * $0.60 per MTok.
        let p = builtin_price("openai", "gpt-4o-mini").unwrap();
        assert_eq!(cost_micros(&p, &usage(1_000, 200, 500)), 120 + 15 + 300);
    }

    #[test]
    fn reasoning_tokens_are_not_billed_twice() {
        let p = price(1_000_000, 2_000_000, 1_000_000);
        let mut u = usage(0, 0, 100);
        u.reasoning_tokens = Some(80);
        assert_eq!(cost_micros(&p, &u), 200);
    }

    #[test]
    fn missing_counts_are_zero() {
        let p = price(1_000_000, 2_000_000, 500_000);
        assert_eq!(cost_micros(&p, &Usage::default()), 0);
        let only_out = Usage {
            completion_tokens: Some(10),
            ..Usage::default()
        };
        assert_eq!(cost_micros(&p, &only_out), 20);
        let no_cache_info = Usage {
            prompt_tokens: Some(10),
            ..Usage::default()
        };
        assert_eq!(cost_micros(&p, &no_cache_info), 10);
    }

    #[test]
    fn cached_beyond_prompt_is_billed_at_the_cached_price() {
        let p = price(1_000_000, 0, 500_000);
        assert_eq!(cost_micros(&p, &usage(10, 40, 0)), 20);
        let cached_only = Usage {
            cached_tokens: Some(40),
            ..Usage::default()
        };
        assert_eq!(cost_micros(&p, &cached_only), 20);
    }

    #[test]
    fn rounds_half_up() {
        // 1 token at $0.50/MTok = 0.5 micro-dollars -> 1.
        let p = price(500_000, 0, 0);
        assert_eq!(cost_micros(&p, &usage(1, 0, 0)), 1);
        // 0.499999 -> 0.
        let p = price(499_999, 0, 0);
        assert_eq!(cost_micros(&p, &usage(1, 0, 0)), 0);
        // 1.5 -> 2, 2.5 -> 3 (not banker's rounding).
        let p = price(1_500_000, 2_500_000, 0);
        assert_eq!(cost_micros(&p, &usage(1, 0, 0)), 2);
        assert_eq!(cost_micros(&p, &usage(0, 0, 1)), 3);
        // Negative (a credit price) rounds half towards +inf too: -0.5 -> 0, -1.5 -> -1.
        let p = price(-500_000, -1_500_000, 0);
        assert_eq!(cost_micros(&p, &usage(1, 0, 0)), 0);
        assert_eq!(cost_micros(&p, &usage(0, 0, 1)), -1);
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        let all = usage(u32::MAX, 0, u32::MAX);
        assert_eq!(
            cost_micros(&price(i64::MAX, i64::MAX, i64::MAX), &all),
            i64::MAX
        );
        assert_eq!(cost_micros(&price(i64::MIN, i64::MIN, 0), &all), i64::MIN);
        // Large but representable: 4_294_967_295 tokens at $150/MTok.
        let p = price(150_000_000, 0, 0);
        assert_eq!(cost_micros(&p, &usage(u32::MAX, 0, 0)), 644_245_094_250);
    }

    #[test]
    fn anthropic_cache_read_is_discounted() {
        // 100 fresh + 1000 cache-read tokens, 50 out on claude-sonnet-4-5.
        let p = builtin_price("anthropic", "claude-sonnet-4-5-20250929").unwrap();
        let u = usage(1_100, 1_000, 50);
        // 100*3 + 1000*0.3 + 50*15 = 300 + 300 + 750
        assert_eq!(cost_micros(&p, &u), 1_350);
    }

    #[test]
    fn price_round_trips_through_json() {
        let p = price(1, 2, 3);
        let json = serde_json::to_value(p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"input": 1, "output": 2, "cached_input": 3})
        );
        assert_eq!(serde_json::from_value::<ModelPrice>(json).unwrap(), p);
    }
}

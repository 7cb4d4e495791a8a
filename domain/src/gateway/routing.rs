//! Which provider serves a model, and under which name.
//!
//! A project's own routes (pattern → provider, optional rename), tried in order, come first;
//! then the defaults: `gpt-*`, `o1*`, `o3*`, `o4*`, `text-embedding-*` → OpenAI, `claude-*` →
//! Anthropic, `gemini-*` → Google, `grok-*` → xAI, and `<provider>/<model>` prefixes (`groq/…`,
//! `openrouter/…`, `xai/…`, `gemini/…`, and a custom provider's slug) with the prefix removed.

use crate::entities::model_route;
use crate::providers::ProviderKind;
use crate::virtual_keys::input::pattern_matches;

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Builtin(ProviderKind),
    /// A custom provider of the organization, by slug.
    Custom(String),
}

impl Target {
    /// `openai`, `anthropic`, … or the custom provider's slug.
    pub fn id(&self) -> &str {
        match self {
            Target::Builtin(p) => p.id(),
            Target::Custom(slug) => slug,
        }
    }

    /// Reads a route's provider column: a built-in id, else a custom slug.
    pub fn parse(raw: &str) -> Self {
        match ProviderKind::parse(raw) {
            Ok(ProviderKind::Custom) | Err(_) => Target::Custom(raw.trim().to_owned()),
            Ok(p) => Target::Builtin(p),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub target: Target,
    /// The model name sent upstream.
    pub upstream_model: String,
}

/// `provider/` prefixes that select a built-in provider.
const PREFIXES: [(&str, ProviderKind); 7] = [
    ("openai/", ProviderKind::OpenAi),
    ("anthropic/", ProviderKind::Anthropic),
    ("groq/", ProviderKind::Groq),
    ("openrouter/", ProviderKind::OpenRouter),
    ("xai/", ProviderKind::Xai),
    ("gemini/", ProviderKind::Google),
    ("google/", ProviderKind::Google),
];

/// The default route for `model`; `custom_slugs` are the organization's custom providers.
pub fn default_route(model: &str, custom_slugs: &[String]) -> Option<Route> {
    let lower = model.to_ascii_lowercase();
    for (prefix, provider) in PREFIXES {
        if lower.starts_with(prefix) && model.len() > prefix.len() {
            return Some(Route {
                target: Target::Builtin(provider),
                upstream_model: model[prefix.len()..].to_owned(),
            });
        }
    }
    if let Some((slug, rest)) = model.split_once('/')
        && !rest.is_empty()
        && custom_slugs.iter().any(|s| s.eq_ignore_ascii_case(slug))
    {
        return Some(Route {
            target: Target::Custom(slug.to_ascii_lowercase()),
            upstream_model: rest.to_owned(),
        });
    }
    let provider = if ["gpt-", "o1", "o3", "o4", "text-embedding-", "chatgpt-"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        ProviderKind::OpenAi
    } else if lower.starts_with("claude-") {
        ProviderKind::Anthropic
    } else if lower.starts_with("gemini-") {
        ProviderKind::Google
    } else if lower.starts_with("grok-") {
        ProviderKind::Xai
    } else {
        return None;
    };
    Some(Route {
        target: Target::Builtin(provider),
        upstream_model: model.to_owned(),
    })
}

/// The project's first matching route (by position), else the default.
pub fn resolve(
    routes: &[model_route::Model],
    model: &str,
    custom_slugs: &[String],
) -> Option<Route> {
    let mut ordered: Vec<&model_route::Model> = routes.iter().collect();
    ordered.sort_by_key(|r| (r.position, r.id));
    for route in ordered {
        if pattern_matches(&route.pattern, model) {
            let upstream_model = route
                .target_model
                .as_deref()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or(model)
                .to_owned();
            return Some(Route {
                target: Target::parse(&route.provider),
                upstream_model,
            });
        }
    }
    default_route(model, custom_slugs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn route(
        id: i32,
        pattern: &str,
        provider: &str,
        target: Option<&str>,
        position: i32,
    ) -> model_route::Model {
        model_route::Model {
            id,
            org_id: 1,
            project_id: 1,
            pattern: pattern.into(),
            provider: provider.into(),
            target_model: target.map(Into::into),
            position,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn defaults() {
        let none: Vec<String> = vec![];
        let cases = [
            ("gpt-4o-mini", ProviderKind::OpenAi, "gpt-4o-mini"),
            ("o1-preview", ProviderKind::OpenAi, "o1-preview"),
            ("o3", ProviderKind::OpenAi, "o3"),
            ("o4-mini", ProviderKind::OpenAi, "o4-mini"),
            (
                "text-embedding-3-small",
                ProviderKind::OpenAi,
                "text-embedding-3-small",
            ),
            (
                "claude-sonnet-4-5",
                ProviderKind::Anthropic,
                "claude-sonnet-4-5",
            ),
            (
                "groq/llama-3.3-70b-versatile",
                ProviderKind::Groq,
                "llama-3.3-70b-versatile",
            ),
            (
                "openrouter/meta-llama/llama-3-8b",
                ProviderKind::OpenRouter,
                "meta-llama/llama-3-8b",
            ),
            ("xai/grok-4", ProviderKind::Xai, "grok-4"),
            (
                "gemini/gemini-2.0-flash",
                ProviderKind::Google,
                "gemini-2.0-flash",
            ),
            ("gemini-2.5-pro", ProviderKind::Google, "gemini-2.5-pro"),
        ];
        for (model, provider, upstream) in cases {
            let r = default_route(model, &none).unwrap();
            assert_eq!(r.target, Target::Builtin(provider), "{model}");
            assert_eq!(r.upstream_model, upstream, "{model}");
        }
        assert!(default_route("llama-3", &none).is_none());
        assert!(default_route("groq/", &none).is_none());
        let custom = vec!["acme".to_owned()];
        let r = default_route("acme/big-model", &custom).unwrap();
        assert_eq!(r.target, Target::Custom("acme".into()));
        assert_eq!(r.upstream_model, "big-model");
        assert!(default_route("other/big-model", &custom).is_none());
    }

    #[test]
    fn project_routes_come_first_in_position_order() {
        let routes = vec![
            route(1, "gpt-4o*", "openrouter", Some("openai/gpt-4o"), 2),
            route(2, "gpt-4o-mini", "groq", None, 1),
            route(3, "fast", "groq", Some("llama-3.1-8b-instant"), 3),
        ];
        let r = resolve(&routes, "gpt-4o-mini", &[]).unwrap();
        assert_eq!(r.target, Target::Builtin(ProviderKind::Groq));
        assert_eq!(r.upstream_model, "gpt-4o-mini");
        let r = resolve(&routes, "gpt-4o", &[]).unwrap();
        assert_eq!(r.target, Target::Builtin(ProviderKind::OpenRouter));
        assert_eq!(r.upstream_model, "openai/gpt-4o");
        let r = resolve(&routes, "fast", &[]).unwrap();
        assert_eq!(r.upstream_model, "llama-3.1-8b-instant");
        let r = resolve(&routes, "claude-3-5-haiku", &[]).unwrap();
        assert_eq!(r.target, Target::Builtin(ProviderKind::Anthropic));
        assert_eq!(Target::parse("acme"), Target::Custom("acme".into()));
    }
}

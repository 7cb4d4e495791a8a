//! `GET /v1/models`: the models this Keygate key may use — models of every provider the
//! project (or the key's user, or the environment) has a usable key for, the literal patterns
//! of the project's routes, filtered by the key's allowed models.

use crate::client_addr::Client;
use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use domain::AppState;
use domain::custom_providers;
use domain::gateway::pricing::builtin_table;
use domain::gateway::routing::Target;
use domain::providers::ProviderKind;
use domain::virtual_keys::input::model_allowed;
use serde_json::json;

use super::auth;
use super::error::Dialect;

/// The prefix a client uses to reach a built-in provider's models.
fn client_name(provider: ProviderKind, model: &str) -> String {
    match provider {
        ProviderKind::Groq => format!("groq/{model}"),
        ProviderKind::OpenRouter => format!("openrouter/{model}"),
        _ => model.to_owned(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
) -> Response {
    let caller = match auth::authenticate(&state, &headers, client, Dialect::OpenAi).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    // model id → owner
    let mut models: BTreeMap<String, String> = BTreeMap::new();
    for provider in ProviderKind::ALL {
        if matches!(provider, ProviderKind::Aws | ProviderKind::Custom) {
            continue;
        }
        let target = Target::Builtin(provider);
        let usable = state
            .gateway
            .candidates
            .get(&state, &caller, &target)
            .await
            .is_ok_and(|c| !c.personal.is_empty() || !c.project.is_empty() || c.fallback.is_some());
        if !usable {
            continue;
        }
        for entry in builtin_table()
            .iter()
            .filter(|e| e.provider == provider.id())
        {
            models.insert(client_name(provider, entry.model), provider.id().to_owned());
        }
    }
    if let Ok(routing) = state
        .gateway
        .routes
        .get(&state.db, caller.org_id, caller.project_id)
        .await
    {
        for route in &routing.routes {
            if !route.pattern.contains('*') {
                models.insert(route.pattern.clone(), route.provider.clone());
            }
        }
        for slug in &routing.custom_slugs {
            let target = Target::Custom(slug.clone());
            if let Ok(candidates) = state.gateway.candidates.get(&state, &caller, &target).await
                && let Some(custom) = &candidates.custom
                && !(candidates.personal.is_empty() && candidates.project.is_empty())
            {
                for model in custom_providers::models(custom) {
                    models.insert(format!("{slug}/{model}"), slug.clone());
                }
            }
        }
    }
    let data: Vec<_> = models
        .into_iter()
        .filter(|(id, _)| model_allowed(&caller.models, id))
        .map(|(id, owner)| json!({ "id": id, "object": "model", "created": 0, "owned_by": owner }))
        .collect();
    axum::Json(json!({ "object": "list", "data": data })).into_response()
}

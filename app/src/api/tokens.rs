//! Tokens for programs (`kg_admin_…`, `kg_svc_…`), managed by admins in Settings.

use leptos::prelude::*;

use crate::dto::{NewTokenDto, TokenDto};
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "tokens_list")]
pub async fn tokens_list() -> Result<Vec<TokenDto>, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let tokens = domain::api_tokens::list(&state.db, &admin).await?;
    Ok(tokens.iter().map(TokenDto::from).collect())
}

/// Creates a token and returns its secret, this once. `project_id` (optional, service tokens)
/// names the project whose keys the broker falls back to.
#[server(prefix = "/rpc", endpoint = "tokens_create")]
pub async fn tokens_create(
    token_name: String,
    kind: String,
    #[server(default)] project_id: Option<String>,
    #[server(default)] scope: Option<String>,
    #[server(default)] expires_in: Option<String>,
) -> Result<NewTokenDto, AppError> {
    use crate::ssr;
    use domain::api_tokens::{NewToken, TokenKind, TokenScope};
    use secrecy::ExposeSecret as _;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let input = NewToken {
        kind: TokenKind::parse(&kind)?,
        name: token_name,
        project_id: match project_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(raw.parse().map_err(|_| AppError::Validation {
                field: Some("project_id".into()),
                message: "Choose a project.".into(),
            })?),
        },
        expires_at: match expires_in.as_deref() {
            Some(raw) => domain::virtual_keys::input::parse_expires_in(raw)?
                .and_then(|d| chrono::TimeDelta::from_std(d).ok())
                .and_then(|d| chrono::Utc::now().checked_add_signed(d)),
            None => None,
        },
        scope: TokenScope::parse(scope.as_deref().unwrap_or("admin"))?,
    };
    let (token, secret) = domain::api_tokens::create(&state.db, &admin, input).await?;
    tracing::info!(actor = admin.user().id, token_id = token.id, kind = %token.kind, "token created");
    ssr::audit(ssr::audit_entry(admin.user(), "api_token.create").api_token(&token)).await;
    Ok(NewTokenDto {
        token: TokenDto::from(&token),
        secret: secret.expose_secret().to_owned(),
    })
}

#[server(prefix = "/rpc", endpoint = "tokens_revoke")]
pub async fn tokens_revoke(id: i32) -> Result<TokenDto, AppError> {
    use crate::ssr;
    let state = ssr::state()?;
    let (admin, _) = ssr::require_admin().await?;
    let name =
        domain::audit::targets::name_of(&state.db, "api_token", admin.user().org_id, id).await?;
    let entry = ssr::audit_entry(admin.user(), "api_token.revoke").target("api_token", id, name);
    let revoke = domain::api_tokens::revoke(&state.db, &admin, id, None);
    let token = domain::audit::guarded(&state.db, entry, revoke).await?;
    tracing::info!(actor = admin.user().id, token_id = id, "token revoked");
    Ok(TokenDto::from(&token))
}

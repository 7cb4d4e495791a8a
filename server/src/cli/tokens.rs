//! `keygate token create`: admin and service tokens for programs.

use secrecy::ExposeSecret as _;

use super::{acting_admin, fail, print_json};
use crate::config::Config;
use crate::startup;

/// `keygate token create`: prints the new token once.
pub async fn token_create(
    config: &Config,
    name: &str,
    kind: &str,
    org_id: Option<i32>,
    as_email: Option<&str>,
    json: bool,
) -> Result<(), String> {
    use domain::api_tokens::{NewToken, TokenKind};
    let prepared = startup::prepare(config).await.map_err(|e| e.to_string())?;
    let db = &prepared.state.db;
    let admin = acting_admin(db, org_id, as_email).await?;
    let input = NewToken {
        kind: TokenKind::parse(kind).map_err(fail)?,
        name: name.to_owned(),
        project_id: None,
        expires_at: None,
    };
    let (token, secret) = domain::api_tokens::create(db, &admin, input)
        .await
        .map_err(fail)?;
    if json {
        return print_json(&serde_json::json!({
            "id": token.id,
            "kind": token.kind,
            "name": token.name,
            "orgId": token.org_id,
            "actsAs": admin.user().email,
            "token": secret.expose_secret(),
        }));
    }
    println!(
        "Created {} token {:?} (id {}) acting as {}. It is shown only this once:",
        token.kind,
        token.name,
        token.id,
        admin.user().email
    );
    println!("{}", secret.expose_secret());
    Ok(())
}

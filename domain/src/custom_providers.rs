//! Providers an admin defines for their organization (seed 004's ProviderConfig): name, base
//! URL, API version, how the key is sent (`bearer`, `header <name>` or `query <param>`),
//! whether an organization id is required, and the models it offers. Keys name them by slug.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::auth::{Admin, SessionUser};
use crate::entities::{custom_provider, provider_key};
use crate::error::DomainError;
use crate::providers::{ProviderKind, validate_base_url};

/// How a custom provider wants the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    Bearer,
    Header(String),
    Query(String),
}

impl AuthMethod {
    pub fn of(model: &custom_provider::Model) -> Self {
        let param = model.auth_param.clone().unwrap_or_default();
        match model.auth_method.as_str() {
            "header" => AuthMethod::Header(param),
            "query" => AuthMethod::Query(param),
            _ => AuthMethod::Bearer,
        }
    }
}

/// Raw input for a custom provider.
#[derive(Clone, Debug, Default)]
pub struct ProviderInput {
    pub slug: String,
    pub name: String,
    pub base_url: String,
    pub api_version: Option<String>,
    /// `bearer`, `header` or `query`.
    pub auth_method: String,
    pub auth_param: Option<String>,
    pub requires_org: bool,
    pub models: Vec<String>,
}

struct Parsed {
    slug: String,
    name: String,
    base_url: String,
    api_version: Option<String>,
    auth_method: &'static str,
    auth_param: Option<String>,
    requires_org: bool,
    models: String,
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn parse(input: &ProviderInput, allow_private: bool) -> Result<Parsed, DomainError> {
    let slug = input.slug.trim().to_ascii_lowercase();
    let valid_slug = (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && slug.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid_slug {
        return Err(DomainError::validation(
            "slug",
            "Use 2–40 lower-case letters, digits or dashes, starting with a letter.",
        ));
    }
    if ProviderKind::parse(&slug).is_ok() {
        return Err(DomainError::validation(
            "slug",
            "That name belongs to a built-in provider.",
        ));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(DomainError::validation(
            "name",
            "Enter a name (at most 100 characters).",
        ));
    }
    let base_url = validate_base_url(&input.base_url, allow_private)?
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let api_version = input
        .api_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            if v.len() <= 40 && v.chars().all(is_token_char) {
                Ok(v.to_owned())
            } else {
                Err(DomainError::validation(
                    "api_version",
                    "API versions are at most 40 letters, digits, dots or dashes.",
                ))
            }
        })
        .transpose()?;
    let param = input
        .auth_param
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let (auth_method, auth_param) = match input.auth_method.trim() {
        "" | "bearer" => ("bearer", None),
        method @ ("header" | "query") => {
            let Some(param) = param.filter(|p| p.len() <= 64 && p.chars().all(is_token_char))
            else {
                return Err(DomainError::validation(
                    "auth_param",
                    format!(
                        "Name the {} that carries the key (letters, digits, dashes).",
                        if method == "header" {
                            "header"
                        } else {
                            "query parameter"
                        }
                    ),
                ));
            };
            let method = if method == "header" {
                "header"
            } else {
                "query"
            };
            (method, Some(param.to_owned()))
        }
        _ => {
            return Err(DomainError::validation(
                "auth_method",
                "The auth method is bearer, header or query.",
            ));
        }
    };
    let mut models: Vec<String> = input
        .models
        .iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    models.dedup();
    if models.len() > 200 || models.iter().any(|m| m.len() > 200) {
        return Err(DomainError::validation(
            "models",
            "At most 200 models of at most 200 characters each.",
        ));
    }
    let models =
        serde_json::to_string(&models).map_err(|e| DomainError::internal("encoding models", e))?;
    Ok(Parsed {
        slug,
        name: name.to_owned(),
        base_url,
        api_version,
        auth_method,
        auth_param,
        requires_org: input.requires_org,
        models,
    })
}

fn conflict_on_duplicate(err: sea_orm::DbErr) -> DomainError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::Conflict("A provider with this slug already exists.".into())
        }
        _ => err.into(),
    }
}

/// The models a custom provider offers.
pub fn models(model: &custom_provider::Model) -> Vec<String> {
    serde_json::from_str(&model.models).unwrap_or_default()
}

/// Custom providers of the caller's organization (any member may see them to add keys).
pub async fn list(
    db: &DatabaseConnection,
    user: &SessionUser,
) -> Result<Vec<custom_provider::Model>, DomainError> {
    Ok(custom_provider::Entity::find()
        .filter(custom_provider::Column::OrgId.eq(user.org_id))
        .order_by_asc(custom_provider::Column::Slug)
        .all(db)
        .await?)
}

pub async fn get(
    db: &DatabaseConnection,
    org_id: i32,
    id: i32,
) -> Result<custom_provider::Model, DomainError> {
    custom_provider::Entity::find_by_id(id)
        .filter(custom_provider::Column::OrgId.eq(org_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The organization's provider with this slug, if any.
pub async fn by_slug(
    db: &DatabaseConnection,
    org_id: i32,
    slug: &str,
) -> Result<Option<custom_provider::Model>, DomainError> {
    Ok(custom_provider::Entity::find()
        .filter(custom_provider::Column::OrgId.eq(org_id))
        .filter(custom_provider::Column::Slug.eq(slug.trim().to_ascii_lowercase()))
        .one(db)
        .await?)
}

pub async fn create(
    db: &DatabaseConnection,
    admin: &Admin,
    input: &ProviderInput,
    allow_private: bool,
) -> Result<custom_provider::Model, DomainError> {
    let p = parse(input, allow_private)?;
    let now = chrono::Utc::now();
    custom_provider::ActiveModel {
        org_id: Set(admin.user().org_id),
        slug: Set(p.slug),
        name: Set(p.name),
        base_url: Set(p.base_url),
        api_version: Set(p.api_version),
        auth_method: Set(p.auth_method.to_owned()),
        auth_param: Set(p.auth_param),
        requires_org: Set(p.requires_org),
        models: Set(p.models),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on_duplicate)
}

pub async fn update(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i32,
    input: &ProviderInput,
    allow_private: bool,
) -> Result<custom_provider::Model, DomainError> {
    let current = get(db, admin.user().org_id, id).await?;
    let p = parse(input, allow_private)?;
    let mut row: custom_provider::ActiveModel = current.into();
    row.slug = Set(p.slug);
    row.name = Set(p.name);
    row.base_url = Set(p.base_url);
    row.api_version = Set(p.api_version);
    row.auth_method = Set(p.auth_method.to_owned());
    row.auth_param = Set(p.auth_param);
    row.requires_org = Set(p.requires_org);
    row.models = Set(p.models);
    row.updated_at = Set(chrono::Utc::now());
    row.update(db).await.map_err(conflict_on_duplicate)
}

/// Removes a provider no live key uses; otherwise 409.
pub async fn delete(db: &DatabaseConnection, admin: &Admin, id: i32) -> Result<(), DomainError> {
    let current = get(db, admin.user().org_id, id).await?;
    let in_use = provider_key::Entity::find()
        .filter(provider_key::Column::CustomProviderId.eq(current.id))
        .filter(provider_key::Column::DeletedAt.is_null())
        .count(db)
        .await?;
    if in_use > 0 {
        return Err(DomainError::Conflict(format!(
            "{in_use} key(s) use this provider; delete them first."
        )));
    }
    custom_provider::Entity::delete_by_id(current.id)
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ProviderInput {
        ProviderInput {
            slug: " Together ".into(),
            name: "Together AI".into(),
            base_url: "https://api.together.xyz/v1/".into(),
            api_version: None,
            auth_method: "header".into(),
            auth_param: Some("x-api-key".into()),
            requires_org: false,
            models: vec!["llama-3".into(), " ".into(), "llama-3".into()],
        }
    }

    #[test]
    fn provider_configs_are_checked_and_normalised() {
        let p = parse(&input(), false).unwrap();
        assert_eq!(p.slug, "together");
        assert_eq!(p.base_url, "https://api.together.xyz/v1");
        assert_eq!(
            (p.auth_method, p.auth_param.as_deref()),
            ("header", Some("x-api-key"))
        );
        assert_eq!(p.models, r#"["llama-3"]"#);
        for (change, field) in [
            (
                ProviderInput {
                    slug: "openai".into(),
                    ..input()
                },
                "slug",
            ),
            (
                ProviderInput {
                    slug: "9lives".into(),
                    ..input()
                },
                "slug",
            ),
            (
                ProviderInput {
                    base_url: "http://10.0.0.1".into(),
                    ..input()
                },
                "base_url",
            ),
            (
                ProviderInput {
                    auth_method: "query".into(),
                    auth_param: None,
                    ..input()
                },
                "auth_param",
            ),
            (
                ProviderInput {
                    auth_method: "basic".into(),
                    ..input()
                },
                "auth_method",
            ),
            (
                ProviderInput {
                    api_version: Some("2024 06".into()),
                    ..input()
                },
                "api_version",
            ),
        ] {
            match parse(&change, false) {
                Err(DomainError::Validation { field: Some(f), .. }) => assert_eq!(f, field),
                other => panic!(
                    "{field}: expected a validation error, got {:?}",
                    other.map(|p| p.slug)
                ),
            }
        }
    }
}

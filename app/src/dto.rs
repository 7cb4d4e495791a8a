//! Data shared with the browser. Never entities, never secrets.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = Role))]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    Member,
    Admin,
    Owner,
}

impl RoleDto {
    pub const ALL: [RoleDto; 3] = [RoleDto::Member, RoleDto::Admin, RoleDto::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleDto::Member => "member",
            RoleDto::Admin => "admin",
            RoleDto::Owner => "owner",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    pub fn is_admin(self) -> bool {
        matches!(self, RoleDto::Admin | RoleDto::Owner)
    }
}

/// The signed-in user, as the app shell needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = Me))]
pub struct MeDto {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: RoleDto,
    pub org_id: i32,
    pub org_name: String,
    /// The organization requires two-factor authentication and this user has not set it up:
    /// every page but the account page sends them there.
    #[serde(default)]
    pub mfa_setup_required: bool,
}

impl MeDto {
    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDto {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: RoleDto,
    pub disabled: bool,
    pub external_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDto {
    pub id: i32,
    pub name: String,
    pub created_at: String,
    /// Members must sign in with a second factor.
    #[serde(default)]
    pub require_mfa: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDto {
    pub id: i32,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub storage_used_bytes: i64,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
    /// Live provider keys of the project, and how many are active.
    pub keys: u64,
    pub active_keys: u64,
}

/// One model route of a project: models matching `pattern` go to `provider`, optionally
/// renamed to `target_model`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRouteDto {
    pub id: i32,
    pub pattern: String,
    pub provider: String,
    pub target_model: Option<String>,
}

/// A project's routing: its balancing strategy, its routes (tried in order, before the
/// built-in defaults) and the custom providers a route may name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingDto {
    /// `least_used` or `weighted`.
    pub strategy: String,
    pub routes: Vec<ModelRouteDto>,
    pub custom_slugs: Vec<String>,
}

/// Balancing strategies: (stored id, label).
pub const STRATEGIES: [(&str, &str); 2] = [
    ("least_used", "Least used in the current minute"),
    ("weighted", "Weighted round-robin (by key weight)"),
];

/// The providers a key can be for: (id, display name, format hint).
pub const PROVIDERS: [(&str, &str, &str); 8] = [
    ("openai", "OpenAI", "sk-… or sk-proj-…"),
    ("anthropic", "Anthropic", "sk-ant-…"),
    ("google", "Google Gemini", "AIza…"),
    ("groq", "Groq", "gsk_…"),
    ("xai", "xAI", "xai-…"),
    ("openrouter", "OpenRouter", "sk-or-…"),
    ("aws", "AWS", "AKIA… or ASIA… (access key id)"),
    ("custom", "Custom", "any format; needs a base URL"),
];

pub fn provider_name(id: &str) -> &str {
    PROVIDERS
        .iter()
        .find(|(p, _, _)| *p == id)
        .map(|(_, name, _)| *name)
        .unwrap_or(id)
}

/// A provider key as the browser sees it: masked, with what the viewer may do to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderKeyDto {
    pub id: i32,
    pub provider: String,
    pub name: String,
    pub description: String,
    /// e.g. `sk-…abcd`.
    pub masked: String,
    pub personal: bool,
    pub project_id: Option<i32>,
    pub project_name: Option<String>,
    /// For keys of an organization-defined provider: its name.
    pub custom_provider_name: Option<String>,
    pub active: bool,
    pub expired: bool,
    pub expires_at: Option<String>,
    pub base_url: Option<String>,
    /// `never`, `valid`, `invalid` or `unreachable`.
    pub verify_status: String,
    pub verified_at: Option<String>,
    pub verify_message: Option<String>,
    pub created_at: String,
    pub can_edit: bool,
    pub can_reveal: bool,
    /// What the proxy thinks of the key: `healthy`, `cooling_down` (after a 429/5xx, on this
    /// replica) or `quarantined` (the provider refused it).
    pub health: String,
    /// Requests, tokens and cost through the proxy today and this month (in lists).
    pub usage: UsagePeriodsDto,
    /// RFC 3339: the rotation schedule fell due then and nobody rotated the key since.
    #[serde(default)]
    pub rotation_overdue_since: Option<String>,
}

/// A provider an admin defined (seed 004's ProviderConfig).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomProviderDto {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub base_url: String,
    pub api_version: Option<String>,
    pub auth_method: String,
    pub auth_param: Option<String>,
    pub requires_org: bool,
    pub models: Vec<String>,
}

/// A program's token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDto {
    pub id: i32,
    /// `admin` or `service`.
    pub kind: String,
    pub name: String,
    /// e.g. `kg_admin_…abcd`.
    pub hint: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
    /// Admin tokens: `read_only`, `keys` or `admin`.
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// A token just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTokenDto {
    pub token: TokenDto,
    pub secret: String,
}

/// Requests, tokens and cost over one period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotalsDto {
    pub requests: i64,
    pub errors: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// Micro-dollars (1,000,000 = $1).
    pub cost_micros: i64,
    /// `cost_micros` in dollars, as shown (see [`format_dollars`]).
    pub cost: String,
}

/// Today and this month (UTC).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsagePeriodsDto {
    pub today: UsageTotalsDto,
    pub month: UsageTotalsDto,
}

/// Micro-dollars as dollars: cents from one cent up (`$1.23`), the exact amount below one
/// cent (`$0.000006`), `$0.00` for nothing.
pub fn format_dollars(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    if m == 0 {
        "$0.00".to_owned()
    } else if m >= 10_000 {
        let cents = (m + 5_000) / 10_000;
        format!("{sign}${}.{:02}", cents / 100, cents % 100)
    } else {
        let digits = format!("{m:06}");
        format!("{sign}$0.{}", digits.trim_end_matches('0'))
    }
}

/// A Keygate key (what programs send to the `/v1` proxy) as listed: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualKeyDto {
    pub id: i32,
    pub project_id: i32,
    pub user_id: Option<i32>,
    /// The e-mail of the user the key acts as, when bound to one.
    pub user_email: Option<String>,
    pub name: String,
    /// e.g. `sk-proxy-AbCd…wxyz`.
    pub hint: String,
    /// `active`, `revoked` or `expired`.
    pub status: String,
    /// Allowed model patterns; empty = every model.
    pub models: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    pub today: UsageTotalsDto,
    pub month: UsageTotalsDto,
    /// Cron expression (UTC) or `every N days`; the key rotates itself when due.
    #[serde(default)]
    pub rotation_schedule: Option<String>,
    #[serde(default)]
    pub next_rotation_at: Option<String>,
    /// IP addresses / CIDR blocks the key may be used from; empty = anywhere.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
}

/// A project's Keygate keys, newest first, with their counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualKeysDto {
    pub keys: Vec<VirtualKeyDto>,
    pub total: u64,
    pub active: u64,
    /// Created in the last 7 days.
    pub recent: u64,
}

/// A Keygate key just generated: the only time the key itself is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVirtualKeyDto {
    pub key: VirtualKeyDto,
    pub secret: String,
}

#[cfg(feature = "ssr")]
mod from_domain {
    use super::*;
    use domain::entities::{organization, user};
    use domain::types::Role;

    impl MeDto {
        pub fn new(user: &domain::auth::SessionUser, org: &organization::Model) -> Self {
            MeDto {
                id: user.id,
                email: user.email.clone(),
                display_name: user.display_name.clone(),
                role: user.role.into(),
                org_id: user.org_id,
                org_name: org.name.clone(),
                mfa_setup_required: false,
            }
        }
    }

    impl From<Role> for RoleDto {
        fn from(role: Role) -> Self {
            match role {
                Role::Member => RoleDto::Member,
                Role::Admin => RoleDto::Admin,
                Role::Owner => RoleDto::Owner,
            }
        }
    }

    impl From<&user::Model> for UserDto {
        fn from(u: &user::Model) -> Self {
            UserDto {
                id: u.id,
                email: u.email.clone(),
                display_name: u.display_name.clone(),
                role: RoleDto::parse(&u.role).unwrap_or(RoleDto::Member),
                disabled: u.disabled,
                external_id: u.external_id.clone(),
                created_at: u.created_at.to_rfc3339(),
            }
        }
    }

    impl From<&domain::entities::project::Model> for ProjectDto {
        fn from(p: &domain::entities::project::Model) -> Self {
            ProjectDto {
                id: p.id,
                name: p.name.clone(),
                description: p.description.clone(),
                active: p.active,
                storage_used_bytes: p.storage_used_bytes,
                created_at: p.created_at.to_rfc3339(),
                updated_at: p.updated_at.to_rfc3339(),
                keys: 0,
                active_keys: 0,
            }
        }
    }

    impl From<&domain::entities::model_route::Model> for ModelRouteDto {
        fn from(r: &domain::entities::model_route::Model) -> Self {
            ModelRouteDto {
                id: r.id,
                pattern: r.pattern.clone(),
                provider: r.provider.clone(),
                target_model: r.target_model.clone(),
            }
        }
    }

    impl ProviderKeyDto {
        pub fn new(
            k: &domain::entities::provider_key::Model,
            viewer: &domain::auth::SessionUser,
        ) -> Self {
            use domain::gateway::health::HealthState;
            use domain::gateway::quarantine::QUARANTINE_DETAIL;
            use domain::provider_keys::{can_edit, can_reveal, verify::stored_details};
            // The proxy writes its quarantine reason as plain text, not as verify details.
            let quarantine = k
                .verify_detail
                .as_deref()
                .filter(|d| k.verify_status == "invalid" && d.starts_with(QUARANTINE_DETAIL));
            let health = if quarantine.is_some() {
                HealthState::Quarantined
            } else {
                HealthState::Healthy
            };
            ProviderKeyDto {
                id: k.id,
                provider: k.provider.clone(),
                name: k.name.clone(),
                description: k.description.clone(),
                masked: k.secret_hint.clone(),
                personal: k.owner_user_id.is_some(),
                project_id: k.project_id,
                project_name: None,
                custom_provider_name: None,
                active: k.active,
                expired: k.expires_at.is_some_and(|at| at <= chrono::Utc::now()),
                expires_at: k.expires_at.map(|t| t.to_rfc3339()),
                base_url: k.base_url.clone(),
                verify_status: k.verify_status.clone(),
                verified_at: k.verified_at.map(|t| t.to_rfc3339()),
                verify_message: stored_details(k)
                    .map(|d| d.message)
                    .or_else(|| quarantine.map(str::to_owned)),
                created_at: k.created_at.to_rfc3339(),
                can_edit: can_edit(viewer, k),
                can_reveal: can_reveal(viewer, k),
                health: health.as_str().to_owned(),
                usage: domain::ledger::summary::Periods::default().into(),
                rotation_overdue_since: k
                    .next_rotation_at
                    .filter(|at| k.rotation_schedule.is_some() && *at <= chrono::Utc::now())
                    .map(|t| t.to_rfc3339()),
            }
        }

        /// Marks a key the proxy is avoiding after a 429/5xx (unless it is quarantined).
        pub fn with_cooldown(mut self, health: &domain::gateway::health::KeyHealth) -> Self {
            use domain::gateway::health::HealthState;
            if self.health == HealthState::Healthy.as_str() && health.is_cooling_down(self.id) {
                self.health = HealthState::CoolingDown.as_str().to_owned();
            }
            self
        }
    }

    impl From<domain::ledger::summary::Totals> for UsageTotalsDto {
        fn from(t: domain::ledger::summary::Totals) -> Self {
            UsageTotalsDto {
                requests: t.requests,
                errors: t.errors,
                prompt_tokens: t.prompt_tokens,
                completion_tokens: t.completion_tokens,
                cost_micros: t.cost_micros,
                cost: format_dollars(t.cost_micros),
            }
        }
    }

    impl From<domain::ledger::summary::Periods> for UsagePeriodsDto {
        fn from(p: domain::ledger::summary::Periods) -> Self {
            UsagePeriodsDto {
                today: p.today.into(),
                month: p.month.into(),
            }
        }
    }

    impl VirtualKeyDto {
        /// Without usage or user e-mail; the server function fills those in.
        pub fn new(
            k: &domain::entities::virtual_key::Model,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Self {
            use domain::virtual_keys::store::{KeyStatus, models_of};
            VirtualKeyDto {
                id: k.id,
                project_id: k.project_id,
                user_id: k.user_id,
                user_email: None,
                name: k.name.clone(),
                hint: format!("{}…{}", k.prefix, k.last_four),
                status: KeyStatus::of(k, now).as_str().to_owned(),
                models: models_of(k),
                created_at: k.created_at.to_rfc3339(),
                expires_at: k.expires_at.map(|t| t.to_rfc3339()),
                revoked_at: k.revoked_at.map(|t| t.to_rfc3339()),
                last_used_at: k.last_used_at.map(|t| t.to_rfc3339()),
                today: UsageTotalsDto::default(),
                month: UsageTotalsDto::default(),
                rotation_schedule: k.rotation_schedule.clone(),
                next_rotation_at: k.next_rotation_at.map(|t| t.to_rfc3339()),
                allowed_ips: domain::virtual_keys::store::allowed_ips_of(k),
            }
        }
    }

    impl From<&domain::entities::api_token::Model> for TokenDto {
        fn from(t: &domain::entities::api_token::Model) -> Self {
            TokenDto {
                id: t.id,
                kind: t.kind.clone(),
                name: t.name.clone(),
                hint: t.hint.clone(),
                created_at: t.created_at.to_rfc3339(),
                last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
                revoked: t.revoked_at.is_some(),
                scope: t.scope.clone(),
                expires_at: t.expires_at.map(|at| at.to_rfc3339()),
            }
        }
    }

    impl From<&domain::entities::custom_provider::Model> for CustomProviderDto {
        fn from(p: &domain::entities::custom_provider::Model) -> Self {
            CustomProviderDto {
                id: p.id,
                slug: p.slug.clone(),
                name: p.name.clone(),
                base_url: p.base_url.clone(),
                api_version: p.api_version.clone(),
                auth_method: p.auth_method.clone(),
                auth_param: p.auth_param.clone(),
                requires_org: p.requires_org,
                models: domain::custom_providers::models(p),
            }
        }
    }

    impl From<&organization::Model> for OrgDto {
        fn from(o: &organization::Model) -> Self {
            OrgDto {
                id: o.id,
                name: o.name.clone(),
                created_at: o.created_at.to_rfc3339(),
                require_mfa: o.require_mfa,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_dollars;

    #[test]
    fn dollars_from_micro_dollars() {
        assert_eq!(format_dollars(0), "$0.00");
        assert_eq!(format_dollars(6), "$0.000006");
        assert_eq!(format_dollars(5_850), "$0.00585");
        assert_eq!(format_dollars(10_000), "$0.01");
        assert_eq!(format_dollars(1_234_567), "$1.23");
        assert_eq!(format_dollars(1_235_000), "$1.24");
        assert_eq!(format_dollars(-2_500_000), "-$2.50");
    }
}

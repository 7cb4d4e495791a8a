//! `keygate limit set|list|get|remove`: budgets and rate limits from the command line.

use domain::audit::{self, Actor, Entry};
use domain::entities::usage_limit;
use domain::insight::export::usd;
use domain::limits::store::{self, LimitSettings};
use domain::limits::{Enforcement, Period, Scope};
use serde_json::json;

use super::{fail, fail_or_missing, open, print_json, print_table};
use crate::config::{Config, LimitCommand};

fn scope_arg(raw: &str) -> Result<Scope, String> {
    Scope::parse(raw)
        .ok_or_else(|| format!("unknown scope {raw:?}: use key, user, project or provider_key"))
}

/// Dollars as text (`12.50`) → micro-dollars, exactly (no floating point).
fn micros_of(raw: &str) -> Result<i64, String> {
    let bad = || format!("{raw:?} is not an amount in dollars such as 12.50");
    let raw = raw.trim().trim_start_matches('$');
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 6
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let fraction: i64 = format!("{fraction:0<6}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(1_000_000)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)
}

fn limit_json(l: &usage_limit::Model) -> serde_json::Value {
    let status = store::status(l, chrono::Utc::now());
    json!({
        "id": l.id,
        "scope": l.scope,
        "scopeId": l.scope_id,
        "period": l.period,
        "limitMicros": l.limit_micros,
        "limitTokens": l.limit_tokens,
        "enforcement": l.enforcement,
        "rpm": l.rpm,
        "tpm": l.tpm,
        "usage": {
            "spentMicros": status.spent_micros,
            "spentTokens": status.spent_tokens,
            "reservedMicros": status.reserved_micros,
            "reservedTokens": status.reserved_tokens,
            "resetAt": status.reset_at.map(|t| t.to_rfc3339()),
            "exhausted": status.exhausted,
        },
    })
}

fn row(l: &usage_limit::Model) -> Vec<String> {
    let status = store::status(l, chrono::Utc::now());
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    vec![
        l.scope.clone(),
        l.scope_id.to_string(),
        l.period.clone(),
        or_dash(
            l.limit_micros
                .map(|m| format!("${} / ${}", usd(status.spent_micros), usd(m))),
        ),
        or_dash(
            l.limit_tokens
                .map(|t| format!("{} / {t}", status.spent_tokens)),
        ),
        l.enforcement.clone(),
        or_dash(l.rpm.map(|v| v.to_string())),
        or_dash(l.tpm.map(|v| v.to_string())),
        or_dash(
            status
                .reset_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        ),
    ]
}

pub async fn run(config: &Config, command: &LimitCommand) -> Result<(), String> {
    match command {
        LimitCommand::Set {
            scope,
            id,
            period,
            usd: dollars,
            tokens,
            soft,
            rpm,
            tpm,
            acting,
            json,
        } => {
            let scope = scope_arg(scope)?;
            let period = Period::parse(period)
                .ok_or("the period must be daily, weekly, monthly or never")?;
            let settings = LimitSettings {
                period,
                limit_micros: dollars.as_deref().map(micros_of).transpose()?,
                limit_tokens: *tokens,
                enforcement: if *soft {
                    Enforcement::Soft
                } else {
                    Enforcement::Hard
                },
                rpm: *rpm,
                tpm: *tpm,
            };
            let (state, admin) = open(config, acting).await?;
            let user = admin.user();
            let saved = store::set(
                &state.db,
                user.org_id,
                scope,
                *id,
                &settings,
                Some(user.id),
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| {
                fail_or_missing(e, || {
                    format!("no {} {id} in this organization", scope.noun())
                })
            })?;
            audit::record(
                &state.db,
                Entry::new(Some(user.org_id), Actor::cli(), "limit.set")
                    .target(scope.as_str(), id, format!("{} {id}", scope.noun()))
                    .detail(limit_json(&saved)),
            )
            .await;
            if *json {
                return print_json(&limit_json(&saved));
            }
            println!("Limit set on {} {id}.", scope.noun());
            Ok(())
        }
        LimitCommand::List { acting, json } => {
            let (state, admin) = open(config, acting).await?;
            let found = store::list(&state.db, admin.user().org_id)
                .await
                .map_err(fail)?;
            if *json {
                let rows: Vec<_> = found.iter().map(limit_json).collect();
                return print_json(&json!({ "limits": rows, "total": found.len() }));
            }
            if found.is_empty() {
                println!("No limits yet; set one with `keygate limit set`.");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = found.iter().map(row).collect();
            print_table(
                &[
                    "scope", "id", "period", "dollars", "tokens", "mode", "rpm", "tpm", "resets",
                ],
                &rows,
            );
            Ok(())
        }
        LimitCommand::Remove { scope, id, acting } => {
            let scope = scope_arg(scope)?;
            let (state, admin) = open(config, acting).await?;
            let user = admin.user();
            store::remove(&state.db, user.org_id, scope, *id)
                .await
                .map_err(|e| {
                    fail_or_missing(e, || format!("{} {id} has no limits", scope.noun()))
                })?;
            audit::record(
                &state.db,
                Entry::new(Some(user.org_id), Actor::cli(), "limit.remove").target(
                    scope.as_str(),
                    id,
                    format!("{} {id}", scope.noun()),
                ),
            )
            .await;
            println!("Limits removed from {} {id}.", scope.noun());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_amounts_convert_exactly() {
        assert_eq!(micros_of("12.50"), Ok(12_500_000));
        assert_eq!(micros_of("$0.000001"), Ok(1));
        assert_eq!(micros_of("3"), Ok(3_000_000));
        assert_eq!(micros_of(".5"), Ok(500_000));
        assert!(micros_of("1.0000001").is_err());
        assert!(micros_of("-1").is_err());
        assert!(micros_of("abc").is_err());
        assert!(micros_of("").is_err());
    }
}

//! The IAM password policy family: IAM.15 (minimum length), IAM.16 (reuse prevention),
//! IAM.11-14 (uppercase, lowercase, symbols, numbers), IAM.17 (expiry within 90 days) and
//! IAM.7 (all character classes and the minimum length).
//!
//! Each control raises only what it asks for. UpdateAccountPasswordPolicy resets every field
//! it is not given, so the new policy is the old one with those fields raised (never
//! lowered).

use super::remedy::{limiter, Fixes, Remedy};
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::checks::Settings;
use crate::collect::iam::password_policy;
use crate::snapshot::PasswordPolicy;

use rampart_common::arn;
use rampart_common::Permissions;
use serde_json::{json, Value};

/// A control of the family Rampart has no check for.
const fn control(control: &'static str) -> Fixes {
    Fixes::Control {
        control,
        judged_by: &[],
    }
}

pub const REMEDY: Remedy = Remedy {
    id: "iam-password-policy",
    scope: super::remedy::Scope::Account,
    fixes: &[
        Fixes::Check("iam.password-min-length"),
        Fixes::Check("iam.password-reuse"),
        control("IAM.7"),
        control("IAM.11"),
        control("IAM.12"),
        control("IAM.13"),
        control("IAM.14"),
        control("IAM.17"),
    ],
    permissions: Permissions {
        component: "remediate/iam-password-policy",
        actions: &[
            "iam:GetAccountPasswordPolicy",
            "iam:UpdateAccountPasswordPolicy",
            "iam:DeleteAccountPasswordPolicy",
        ],
    },
    changes: "Raises only what the control asks of the account password policy, keeping every other setting: minimum length to thresholds.password_min_length (IAM.15; CIS: 14), reuse prevention to thresholds.password_reuse_prevention (IAM.16; CIS: 24), an uppercase letter (IAM.11), a lowercase letter (IAM.12), a symbol (IAM.13), a number (IAM.14), expiry within 90 days (IAM.17), or all four classes and the minimum length (IAM.7).",
    undoes: "Puts the recorded policy back, or deletes the policy when there was none.",
    plan: |ctx, req| Box::pin(plan(ctx, req.control)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

/// What one control asks of the policy.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Demand {
    min_length: Option<i32>,
    reuse: Option<i32>,
    uppercase: bool,
    lowercase: bool,
    symbols: bool,
    numbers: bool,
    /// The longest password age allowed, in days.
    max_age: Option<i32>,
}

/// Security Hub's IAM.17 limit.
const MAX_AGE_DAYS: i32 = 90;

fn demand(control: &str, s: &Settings) -> Option<Demand> {
    let d = Demand::default();
    Some(match control.to_ascii_uppercase().as_str() {
        "IAM.15" => Demand {
            min_length: Some(s.password_min_length),
            ..d
        },
        "IAM.16" => Demand {
            reuse: Some(s.password_reuse_prevention),
            ..d
        },
        "IAM.11" => Demand {
            uppercase: true,
            ..d
        },
        "IAM.12" => Demand {
            lowercase: true,
            ..d
        },
        "IAM.13" => Demand { symbols: true, ..d },
        "IAM.14" => Demand { numbers: true, ..d },
        "IAM.17" => Demand {
            max_age: Some(MAX_AGE_DAYS),
            ..d
        },
        "IAM.7" => Demand {
            min_length: Some(s.password_min_length),
            uppercase: true,
            lowercase: true,
            symbols: true,
            numbers: true,
            ..d
        },
        _ => return None,
    })
}

/// The policy as recorded: every field UpdateAccountPasswordPolicy takes.
fn policy_json(p: &PasswordPolicy) -> Value {
    json!({
        "minimum_password_length": p.minimum_length,
        "require_symbols": p.require_symbols,
        "require_numbers": p.require_numbers,
        "require_uppercase_characters": p.require_uppercase_characters,
        "require_lowercase_characters": p.require_lowercase_characters,
        "allow_users_to_change_password": p.allow_users_to_change_password,
        "max_password_age": p.max_password_age,
        "password_reuse_prevention": p.reuse_prevention,
        "hard_expiry": p.hard_expiry,
    })
}

/// The policy with what `d` asks raised (never lowered), as (prior, next) documents; `None`
/// when it already meets it.
fn raised(p: Option<&PasswordPolicy>, d: Demand) -> Option<(Value, Value)> {
    let prior = p.map(policy_json);
    let mut next = prior.clone().unwrap_or_else(|| {
        // AWS's defaults for a policy created from nothing.
        json!({"allow_users_to_change_password": false})
    });
    let mut changed = false;
    let mut at_least = |field: &str, now: Option<i32>, want: Option<i32>| {
        if let Some(w) = want {
            let n = now.unwrap_or(0);
            if n < w {
                next[field] = json!(w);
                changed = true;
            }
        }
    };
    at_least(
        "minimum_password_length",
        p.and_then(|p| p.minimum_length),
        d.min_length,
    );
    at_least(
        "password_reuse_prevention",
        p.and_then(|p| p.reuse_prevention),
        d.reuse,
    );
    for (field, want, now) in [
        (
            "require_uppercase_characters",
            d.uppercase,
            p.is_some_and(|p| p.require_uppercase_characters),
        ),
        (
            "require_lowercase_characters",
            d.lowercase,
            p.is_some_and(|p| p.require_lowercase_characters),
        ),
        (
            "require_symbols",
            d.symbols,
            p.is_some_and(|p| p.require_symbols),
        ),
        (
            "require_numbers",
            d.numbers,
            p.is_some_and(|p| p.require_numbers),
        ),
    ] {
        if want && !now {
            next[field] = json!(true);
            changed = true;
        }
    }
    if let Some(limit) = d.max_age {
        // No expiry (absent or 0) is the longest age of all.
        let age = p.and_then(|p| p.max_password_age).filter(|&a| a > 0);
        if age.is_none_or(|a| a > limit) {
            next["max_password_age"] = json!(limit);
            changed = true;
        }
    }
    changed.then(|| (json!(prior), next))
}

pub async fn plan(ctx: &Ctx<'_>, control: &str) -> Result<Vec<Planned>, AwsError> {
    let resource = arn::account(ctx.account);
    let Some(d) = demand(control, ctx.settings) else {
        return Err(AwsError::invalid(
            "iam-password-policy",
            format!("{control} is not a password policy control"),
        ));
    };
    let iam = aws_sdk_iam::Client::new(ctx.member);
    let policy = password_policy(&iam, &limiter()).await?;
    let Some((prior, next)) = raised(policy.as_ref(), d) else {
        return Ok(vec![Planned::Skip {
            resource,
            why: format!("the password policy already meets {control}"),
        }]);
    };
    let what: Vec<String> = [
        "minimum_password_length",
        "password_reuse_prevention",
        "require_uppercase_characters",
        "require_lowercase_characters",
        "require_symbols",
        "require_numbers",
        "max_password_age",
    ]
    .iter()
    .filter(|f| prior.get(**f) != next.get(**f))
    .map(|f| format!("{f} {}", next[*f]))
    .collect();
    Ok(vec![Planned::Change(Change {
        resource,
        api: "iam:UpdateAccountPasswordPolicy".into(),
        summary: format!("password policy ({control}): {}", what.join(", ")),
        prior: json!({"policy": prior}),
        change: json!({"policy": next}),
    })])
}

async fn put(ctx: &Ctx<'_>, p: &Value) -> Result<(), AwsError> {
    let b = |k: &str| p.get(k).and_then(Value::as_bool);
    let n = |k: &str| {
        p.get(k)
            .and_then(Value::as_i64)
            .and_then(|x| i32::try_from(x).ok())
    };
    aws_sdk_iam::Client::new(ctx.member)
        .update_account_password_policy()
        .set_minimum_password_length(n("minimum_password_length"))
        .set_require_symbols(b("require_symbols"))
        .set_require_numbers(b("require_numbers"))
        .set_require_uppercase_characters(b("require_uppercase_characters"))
        .set_require_lowercase_characters(b("require_lowercase_characters"))
        .set_allow_users_to_change_password(b("allow_users_to_change_password"))
        .set_max_password_age(n("max_password_age").filter(|&d| d > 0))
        .set_password_reuse_prevention(n("password_reuse_prevention").filter(|&d| d > 0))
        .set_hard_expiry(b("hard_expiry"))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::sdk("iam:UpdateAccountPasswordPolicy", &e))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    let next = c.change.get("policy").ok_or("the change has no policy")?;
    put(ctx, next).await?;
    Ok(c.summary.clone())
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    match a.prior.get("policy") {
        Some(p) if p.is_object() => {
            put(ctx, p).await?;
            Ok("restored the recorded password policy".into())
        }
        _ => {
            let r = aws_sdk_iam::Client::new(ctx.member)
                .delete_account_password_policy()
                .send()
                .await;
            match r {
                Ok(_) => Ok("deleted the password policy Rampart created".into()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_no_such_entity_exception()) =>
                {
                    Ok("there is no password policy: nothing to delete".into())
                }
                Err(e) => Err(AwsError::sdk("iam:DeleteAccountPasswordPolicy", &e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand_of(c: &str) -> Demand {
        demand(c, &Settings::default()).expect("a family control")
    }

    #[test]
    fn each_control_raises_only_its_own_fields_and_keeps_the_rest() {
        let weak = PasswordPolicy {
            minimum_length: Some(8),
            reuse_prevention: None,
            require_symbols: true,
            max_password_age: Some(120),
            ..PasswordPolicy::default()
        };
        let (prior, next) = raised(Some(&weak), demand_of("IAM.15")).expect("a change");
        assert_eq!(prior["minimum_password_length"], 8);
        assert_eq!(prior["password_reuse_prevention"], Value::Null);
        assert_eq!(prior["hard_expiry"], Value::Null);
        assert_eq!(next["minimum_password_length"], 14);
        assert_eq!(
            next["password_reuse_prevention"],
            Value::Null,
            "IAM.15 leaves reuse"
        );
        assert_eq!(next["require_symbols"], true);
        assert_eq!(next["max_password_age"], 120);
        let (_, next) = raised(Some(&weak), demand_of("IAM.16")).expect("a change");
        assert_eq!(next["password_reuse_prevention"], 24);
        assert_eq!(
            next["minimum_password_length"], 8,
            "IAM.16 leaves the length"
        );
        let (_, next) = raised(Some(&weak), demand_of("IAM.11")).expect("a change");
        assert_eq!(next["require_uppercase_characters"], true);
        assert_eq!(next["require_lowercase_characters"], false);
        assert!(
            raised(Some(&weak), demand_of("IAM.13")).is_none(),
            "symbols already required"
        );
        let (_, next) = raised(Some(&weak), demand_of("IAM.17")).expect("120 days is too long");
        assert_eq!(next["max_password_age"], 90);
        let (_, next) = raised(Some(&weak), demand_of("IAM.7")).expect("a change");
        for f in [
            "require_uppercase_characters",
            "require_lowercase_characters",
            "require_symbols",
            "require_numbers",
        ] {
            assert_eq!(next[f], true, "{f}");
        }
        assert_eq!(next["minimum_password_length"], 14);
        assert_eq!(next["max_password_age"], 120, "IAM.7 leaves expiry");
        // Never lowered: a longer minimum stays.
        let long = PasswordPolicy {
            minimum_length: Some(20),
            ..weak.clone()
        };
        assert!(raised(Some(&long), demand_of("IAM.15")).is_none());
        // None at all: AWS's defaults and the one field; the prior is null.
        let (prior, next) = raised(None, demand_of("IAM.15")).expect("a change");
        assert!(prior.is_null());
        assert_eq!(
            next,
            json!({"allow_users_to_change_password": false, "minimum_password_length": 14})
        );
        // No expiry at all fails IAM.17.
        let (_, next) = raised(None, demand_of("IAM.17")).expect("a change");
        assert_eq!(next["max_password_age"], 90);
        assert!(demand("EC2.53", &Settings::default()).is_none());
    }
}

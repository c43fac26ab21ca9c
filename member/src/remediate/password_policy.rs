//! IAM.15 / IAM.16: the account password policy's minimum length and reuse prevention.
//!
//! UpdateAccountPasswordPolicy resets every field it is not given, so the new policy is the
//! old one with only the two thresholds raised (never lowered).

use super::remedy::{limiter, Fixes, Remedy};
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::iam::password_policy;
use crate::snapshot::PasswordPolicy;

use rampart_common::arn;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "iam-password-policy",
    scope: super::remedy::Scope::Account,
    fixes: &[
        Fixes::Check("iam.password-min-length"),
        Fixes::Check("iam.password-reuse"),
    ],
    permissions: Permissions {
        component: "remediate/iam-password-policy",
        actions: &[
            "iam:GetAccountPasswordPolicy",
            "iam:UpdateAccountPasswordPolicy",
            "iam:DeleteAccountPasswordPolicy",
        ],
    },
    changes: "Raises the account password policy's minimum length and reuse prevention to the configured thresholds (thresholds.password_min_length, password_reuse_prevention; CIS: 14 and 24), keeping every other setting.",
    undoes: "Puts the recorded policy back, or deletes the policy when there was none.",
    plan: |ctx, _| Box::pin(plan(ctx)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

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

/// The policy with both thresholds raised to at least `min_len` and `reuse` (never lowered),
/// as (prior, next) documents; `None` when it already meets both.
fn raised(p: Option<&PasswordPolicy>, min_len: i32, reuse: i32) -> Option<(Value, Value)> {
    let len_now = p.and_then(|p| p.minimum_length).unwrap_or(0);
    let reuse_now = p.and_then(|p| p.reuse_prevention).unwrap_or(0);
    if len_now >= min_len && reuse_now >= reuse {
        return None;
    }
    let prior = p.map(policy_json);
    let mut next = prior.clone().unwrap_or_else(|| {
        // AWS's defaults for a policy created from nothing.
        json!({"allow_users_to_change_password": false})
    });
    next["minimum_password_length"] = json!(len_now.max(min_len));
    next["password_reuse_prevention"] = json!(reuse_now.max(reuse));
    Some((json!(prior), next))
}

pub async fn plan(ctx: &Ctx<'_>) -> Result<Vec<Planned>, AwsError> {
    let resource = arn::account(ctx.account);
    let iam = aws_sdk_iam::Client::new(ctx.member);
    let policy = password_policy(&iam, &limiter()).await?;
    let (min_len, reuse) = (
        ctx.settings.password_min_length,
        ctx.settings.password_reuse_prevention,
    );
    let Some((prior, next)) = raised(policy.as_ref(), min_len, reuse) else {
        return Ok(vec![Planned::Skip {
            resource,
            why: format!(
                "the password policy already requires length >= {min_len} and reuse prevention >= {reuse}"
            ),
        }]);
    };
    Ok(vec![Planned::Change(Change {
        resource,
        api: "iam:UpdateAccountPasswordPolicy".into(),
        summary: format!(
            "password policy: minimum length {}, reuse prevention {}",
            next["minimum_password_length"], next["password_reuse_prevention"]
        ),
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

    #[test]
    fn raises_only_the_thresholds_and_keeps_the_rest() {
        let weak = PasswordPolicy {
            minimum_length: Some(8),
            reuse_prevention: None,
            require_symbols: true,
            max_password_age: Some(90),
            ..PasswordPolicy::default()
        };
        let (prior, next) = raised(Some(&weak), 14, 24).expect("a change");
        assert_eq!(prior["minimum_password_length"], 8);
        assert_eq!(prior["password_reuse_prevention"], Value::Null);
        assert_eq!(prior["hard_expiry"], Value::Null);
        assert_eq!(next["minimum_password_length"], 14);
        assert_eq!(next["password_reuse_prevention"], 24);
        assert_eq!(next["require_symbols"], true);
        assert_eq!(next["max_password_age"], 90);
        // Never lowered: a longer minimum stays.
        let long = PasswordPolicy {
            minimum_length: Some(20),
            ..weak.clone()
        };
        let (_, next) = raised(Some(&long), 14, 24).expect("reuse still low");
        assert_eq!(next["minimum_password_length"], 20);
        // None at all: AWS's defaults and the thresholds; the prior is null.
        let (prior, next) = raised(None, 14, 24).expect("a change");
        assert!(prior.is_null());
        assert_eq!(
            next,
            json!({"allow_users_to_change_password": false, "minimum_password_length": 14, "password_reuse_prevention": 24})
        );
        let strong = PasswordPolicy {
            minimum_length: Some(14),
            reuse_prevention: Some(24),
            ..PasswordPolicy::default()
        };
        assert!(raised(Some(&strong), 14, 24).is_none());
    }
}

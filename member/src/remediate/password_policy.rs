//! IAM.15 / IAM.16: the account password policy's minimum length and reuse prevention.
//!
//! UpdateAccountPasswordPolicy resets every field it is not given, so the new policy is the
//! old one with only the two thresholds raised (never lowered).

use super::remedy::{Fixes, Remedy};
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;

use aws_sdk_iam::types::PasswordPolicy;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "iam-password-policy",
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

fn policy_json(p: &PasswordPolicy) -> Value {
    json!({
        "minimum_password_length": p.minimum_password_length(),
        "require_symbols": p.require_symbols(),
        "require_numbers": p.require_numbers(),
        "require_uppercase_characters": p.require_uppercase_characters(),
        "require_lowercase_characters": p.require_lowercase_characters(),
        "allow_users_to_change_password": p.allow_users_to_change_password(),
        "max_password_age": p.max_password_age(),
        "password_reuse_prevention": p.password_reuse_prevention(),
        "hard_expiry": p.hard_expiry(),
    })
}

pub async fn plan(ctx: &Ctx<'_>) -> Result<Vec<Planned>, AwsError> {
    let resource = format!("AWS::::Account:{}", ctx.account);
    let iam = aws_sdk_iam::Client::new(ctx.member);
    let prior = match iam.get_account_password_policy().send().await {
        Ok(out) => out.password_policy().map(policy_json),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            None
        }
        Err(e) => return Err(AwsError::sdk("iam:GetAccountPasswordPolicy", &e)),
    };
    let (min_len, reuse) = (
        ctx.settings.password_min_length,
        ctx.settings.password_reuse_prevention,
    );
    let cur = |k: &str| {
        prior
            .as_ref()
            .and_then(|p| p.get(k))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    if cur("minimum_password_length") >= i64::from(min_len)
        && cur("password_reuse_prevention") >= i64::from(reuse)
    {
        return Ok(vec![Planned::Skip {
            resource,
            why: format!(
                "the password policy already requires length >= {min_len} and reuse prevention >= {reuse}"
            ),
        }]);
    }
    let mut next = prior.clone().unwrap_or_else(|| {
        // AWS's defaults for a policy created from nothing.
        json!({"allow_users_to_change_password": false})
    });
    next["minimum_password_length"] = json!(cur("minimum_password_length").max(i64::from(min_len)));
    next["password_reuse_prevention"] =
        json!(cur("password_reuse_prevention").max(i64::from(reuse)));
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

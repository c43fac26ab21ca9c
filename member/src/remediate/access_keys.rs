//! IAM.3 / IAM.22 / IAM.8: access keys past rotation age or unused: deactivated, never deleted, so
//! undo (or the owner, after rotating) can turn them back on.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::iam_keys;
use crate::snapshot::{tags, AccessKey, UserRef};

use aws_sdk_iam::types::StatusType;
use chrono::{DateTime, Utc};
use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::json;

pub const REMEDY: Remedy = Remedy {
    id: "iam-access-keys",
    scope: super::remedy::Scope::Resource,
    fixes: &[
        Fixes::Check("iam.key-rotation"),
        Fixes::Check("iam.unused-credentials"),
        Fixes::Control {
            control: "IAM.8",
            judged_by: &["iam.unused-credentials"],
        },
    ],
    permissions: Permissions {
        component: "remediate/iam-access-keys",
        actions: &[
            "iam:ListUsers",
            "iam:GetUser",
            "iam:ListUserTags",
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
            "iam:UpdateAccessKey",
        ],
    },
    changes: "Deactivates each active access key older than thresholds.key_rotation_days (IAM.3; CIS: 90) or unused for thresholds.unused_credential_days (IAM.22 and IAM.8; CIS: 45; Security Hub's IAM.8 finds keys unused for 90). Keys are never deleted; console passwords are reported, not touched.",
    undoes: "Activates the deactivated keys again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.control, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

/// Why an active key is stale for IAM.3 (`rotation`: older than `days`) or IAM.22 (unused,
/// or never used since it was created, for `days`); `None` when it is not.
fn stale(
    k: &AccessKey,
    rotation: bool,
    last_used: Option<DateTime<Utc>>,
    days: i64,
    now: DateTime<Utc>,
) -> Option<String> {
    let id = &k.id;
    if rotation {
        let age = k.created.map(|c| (now - c).num_days());
        age.filter(|&d| d >= days)
            .map(|d| format!("{id} is {d} days old"))
    } else {
        let last = last_used.or(k.created);
        last.map(|l| (now - l).num_days())
            .filter(|&d| d >= days)
            .map(|d| format!("{id} unused for {d} days"))
    }
}

pub async fn plan(
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let (iam, rl) = (aws_sdk_iam::Client::new(ctx.member), limiter());
    let rotation = control.eq_ignore_ascii_case("IAM.3");
    let days = if rotation {
        ctx.settings.key_rotation_days
    } else {
        ctx.settings.unused_credential_days
    };
    let users: Vec<UserRef> = match resource {
        Some(r) => {
            let name = resource_name(r);
            // The name as asked (IAM names are case-insensitive), the ARN as IAM has it.
            let found = iam_keys::user(&iam, name, &rl).await?;
            vec![UserRef {
                name: name.to_string(),
                arn: found.map_or_else(|| r.to_string(), |u| u.arn),
            }]
        }
        None => iam_keys::users(&iam, &rl).await?,
    };
    let now = Utc::now();
    let mut out = Vec::new();
    for UserRef { name, arn } in users {
        let mut found = Vec::new();
        for k in iam_keys::access_keys(&iam, &name, &rl).await? {
            if !k.is_active() {
                continue;
            }
            // Last use is read only for IAM.22, and live: the credential report is hours old.
            let last = if rotation {
                None
            } else {
                iam_keys::last_used(&iam, &k.id, &rl).await?
            };
            if let Some(why) = stale(&k, rotation, last, days, now) {
                found.push((k.id, why));
            }
        }
        if found.is_empty() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("{name} has no active key to deactivate for {control}"),
                });
            }
            continue;
        }
        if ctx.cfg.is_protected(&arn) {
            out.push(Planned::Skip {
                resource: arn,
                why: format!("{name} is a protected principal (response.protected_principals)"),
            });
            continue;
        }
        let tags = iam_keys::user_tags(&iam, &name, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        for (id, why) in found {
            out.push(Planned::Change(Change {
                resource: arn.clone(),
                api: "iam:UpdateAccessKey".into(),
                summary: format!("deactivate access key {id} of {name} ({why})"),
                prior: json!({"user": name, "access_key_id": id, "status": "Active"}),
                change: json!({"user": name, "access_key_id": id, "status": "Inactive"}),
            }));
        }
    }
    Ok(out)
}

async fn set(ctx: &Ctx<'_>, s: &serde_json::Value) -> Result<String, AwsError> {
    let user = text(s, "user")?;
    let id = text(s, "access_key_id")?;
    let status = text(s, "status")?;
    aws_sdk_iam::Client::new(ctx.member)
        .update_access_key()
        .user_name(user)
        .access_key_id(id)
        .status(StatusType::from(status))
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("iam:UpdateAccessKey {id}"), &e))?;
    Ok(format!("access key {id} of {user}: {status}"))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    set(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    set(ctx, &a.prior).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(days_old: i64, now: DateTime<Utc>) -> AccessKey {
        AccessKey {
            id: "AKIA1".into(),
            user: "u".into(),
            status: "Active".into(),
            created: Some(now - chrono::Duration::days(days_old)),
        }
    }

    #[test]
    fn stale_keys_by_age_or_last_use() {
        let now = Utc::now();
        let old = key(100, now);
        assert_eq!(
            stale(&old, true, None, 90, now).as_deref(),
            Some("AKIA1 is 100 days old")
        );
        assert_eq!(stale(&key(10, now), true, None, 90, now), None);
        // Unused: the last use counts, else the creation.
        let used = Some(now - chrono::Duration::days(3));
        assert_eq!(stale(&old, false, used, 45, now), None);
        assert_eq!(
            stale(&old, false, None, 45, now).as_deref(),
            Some("AKIA1 unused for 100 days")
        );
        // A key whose dates IAM left out is never judged stale.
        let undated = AccessKey {
            created: None,
            ..old
        };
        assert_eq!(stale(&undated, true, None, 0, now), None);
        assert_eq!(stale(&undated, false, None, 0, now), None);
    }
}

//! IAM.3 / IAM.22: access keys past rotation age or unused: deactivated, never deleted, so
//! undo (or the owner, after rotating) can turn them back on.

use super::remedy::{resource_name, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;

use aws_sdk_iam::types::StatusType;
use chrono::{DateTime, Utc};
use rampart_common::Permissions;
use serde_json::json;

pub const REMEDY: Remedy = Remedy {
    id: "iam-access-keys",
    fixes: &[
        Fixes::Check("iam.key-rotation"),
        Fixes::Check("iam.unused-credentials"),
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
    changes: "Deactivates each active access key older than thresholds.key_rotation_days (IAM.3; CIS: 90) or unused for thresholds.unused_credential_days (IAM.22; CIS: 45). Keys are never deleted; console passwords are reported, not touched.",
    undoes: "Activates the deactivated keys again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.control, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

pub async fn plan(
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let iam = aws_sdk_iam::Client::new(ctx.member);
    let rotation = control.eq_ignore_ascii_case("IAM.3");
    let users: Vec<(String, String)> = match resource {
        Some(r) => {
            let name = resource_name(r);
            let u = iam
                .get_user()
                .user_name(name)
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("iam:GetUser {name}"), &e))?;
            let arn = u
                .user()
                .map(|u| u.arn().to_string())
                .unwrap_or_else(|| r.to_string());
            vec![(name.to_string(), arn)]
        }
        None => {
            let mut pages = iam.list_users().into_paginator().send();
            let mut out = Vec::new();
            while let Some(p) = pages.next().await {
                let p = p.map_err(|e| AwsError::sdk("iam:ListUsers", &e))?;
                out.extend(
                    p.users()
                        .iter()
                        .map(|u| (u.user_name().to_string(), u.arn().to_string())),
                );
            }
            out
        }
    };
    let now = Utc::now();
    let mut out = Vec::new();
    for (name, arn) in users {
        let keys = iam
            .list_access_keys()
            .user_name(&name)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("iam:ListAccessKeys {name}"), &e))?;
        let mut stale = Vec::new();
        for k in keys.access_key_metadata() {
            if k.status() != Some(&StatusType::Active) {
                continue;
            }
            let Some(id) = k.access_key_id() else {
                continue;
            };
            let created = k.create_date().and_then(to_chrono);
            let why = if rotation {
                let age = created.map(|c| (now - c).num_days());
                age.filter(|&d| d >= ctx.settings.key_rotation_days)
                    .map(|d| format!("{id} is {d} days old"))
            } else {
                let used = iam
                    .get_access_key_last_used()
                    .access_key_id(id)
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk(format!("iam:GetAccessKeyLastUsed {id}"), &e))?;
                let last = used
                    .access_key_last_used()
                    .and_then(|u| u.last_used_date())
                    .and_then(to_chrono)
                    .or(created);
                last.map(|l| (now - l).num_days())
                    .filter(|&d| d >= ctx.settings.unused_credential_days)
                    .map(|d| format!("{id} unused for {d} days"))
            };
            if let Some(w) = why {
                stale.push((id.to_string(), w));
            }
        }
        if stale.is_empty() {
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
        let tags = iam
            .list_user_tags()
            .user_name(&name)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("iam:ListUserTags {name}"), &e))?;
        if let Some(why) =
            exempt_by_tag(ctx, &arn, tags.tags().iter().map(|t| (t.key(), t.value())))
        {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        for (id, why) in stale {
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

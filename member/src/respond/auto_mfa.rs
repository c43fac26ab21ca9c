//! Auto MFA: a new IAM user without MFA must not be usable without it.
//!
//! The default (`require`) attaches the require-MFA policy (deployed by the member stack):
//! everything is denied until the user signs in with MFA, except managing their own MFA
//! device, so the user enrols a device they hold and the second factor never leaves them. The
//! alert tells the operators.
//!
//! `enrol` creates a virtual device for the user instead. The order keeps a failure from ever
//! leaving a half-enrolled user unreported: create the device, store its seed (one secret per
//! user id, never reusing one that exists, readable only by the user and never with long-term
//! access keys alone), then enable it with two consecutive codes. If enabling fails, the secret
//! and the device are removed again; if that fails too, the record says exactly what was left.
//! The schedule deletes a seed once the user has signed in, or after `mfa_seed_max_age_hours`.

use super::playbook::{Job, Playbook, Routed, Trigger};
use crate::act::exempt::exempt;
use crate::act::{Ctx, Run, Stage, Status};
use crate::error_text::{describe, is_code};
use futures::future::BoxFuture;
use rampart_common::event::{Event, Kind};
use rampart_common::response::MfaMode;
use rampart_common::ResponseConfig;
use serde_json::json;

mod enrol;

use enrol::{enrol, Subject};
pub use enrol::{secret_name, seed_policy, sweep_seeds};

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "member/respond/auto-mfa",
    actions: &[
        "iam:GetUser",
        "iam:ListUserTags",
        "iam:ListMFADevices",
        "iam:ListAttachedUserPolicies",
        "iam:AttachUserPolicy",
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:DeleteVirtualMFADevice",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "secretsmanager:CreateSecret",
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:DeleteSecret",
        "secretsmanager:TagResource",
        "secretsmanager:ListSecrets",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    ],
};

pub const PLAYBOOK: Playbook = Playbook {
    name: "auto-mfa",
    mode_key: "auto_mfa",
    triggers: &[
        Trigger::ApiCall {
            source: "iam.amazonaws.com",
            names: &["CreateUser"],
        },
        Trigger::Command("rampart mfa enforce"),
    ],
    permissions: PERMISSIONS,
    stages: &[Stage::PriorityAction],
    budget: super::playbook::Budget::Resource,
    route,
};

fn route(e: &Event, _: &ResponseConfig) -> Routed {
    let Kind::ApiCall(call) = &e.kind else {
        return Routed::Ignore("not an API call".into());
    };
    match call
        .request_parameters
        .get("userName")
        .and_then(serde_json::Value::as_str)
    {
        Some(u) if !u.is_empty() => super::playbook::api_call_route(
            &PLAYBOOK,
            call,
            Some(u.to_string()),
            Enforce(u.to_string()),
        ),
        _ => Routed::Reject("CreateUser event without requestParameters.userName".into()),
    }
}

/// Make one IAM user's MFA unavoidable (by name).
#[derive(Debug)]
pub struct Enforce(pub String);

impl Job for Enforce {
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Run> {
        Box::pin(run(ctx, &self.0))
    }
}

/// The require-MFA policy the member stack creates (`require_mfa_policy`): without MFA the user
/// may only see and manage their own MFA device and password.
pub fn require_mfa_policy_document() -> serde_json::Value {
    let own_mfa = [
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:GetUser",
        "iam:GetMFADevice",
        "iam:ListMFADevices",
        "iam:ListVirtualMFADevices",
        "iam:ResyncMFADevice",
        "iam:ChangePassword",
        "iam:GetAccountPasswordPolicy",
        "sts:GetSessionToken",
    ];
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ManageOwnMFA", "Effect": "Allow",
             "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser",
                        "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice",
                        "iam:ChangePassword"],
             "Resource": ["arn:*:iam::*:user/${aws:username}", "arn:*:iam::*:mfa/*"]},
            {"Sid": "SeeMFAAndPasswordRules", "Effect": "Allow",
             "Action": ["iam:ListVirtualMFADevices", "iam:GetAccountPasswordPolicy"],
             "Resource": "*"},
            {"Sid": "DenyAllElseWithoutMFA", "Effect": "Deny", "NotAction": own_mfa,
             "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
        ]
    })
}

async fn subject(
    ctx: &Ctx<'_>,
    iam: &aws_sdk_iam::Client,
    user: &str,
    run: &mut Run,
) -> Option<Subject> {
    let guessed_arn = run.resource.clone();
    let (arn, id) = match iam.get_user().user_name(user).send().await {
        Ok(out) => match out.user() {
            Some(u) => (u.arn().to_string(), u.user_id().to_string()),
            None => (guessed_arn.clone(), String::new()),
        },
        Err(e) if is_code(&e, "NoSuchEntity") => {
            run.ignored = Some(format!("user {user} no longer exists"));
            return None;
        }
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "iam:GetUser",
                &guessed_arn,
                Status::Failed,
                format!("iam:GetUser: {}", describe(&e)),
                None,
            );
            return None;
        }
    };
    run.resource = arn.clone();
    if ctx.cfg.is_protected(&arn) {
        run.ignored = Some(format!("{arn} is a protected principal"));
        return None;
    }
    match iam.list_user_tags().user_name(user).send().await {
        Ok(out) => {
            if exempt(
                out.tags().iter().map(|t| (t.key(), t.value())),
                ctx.cfg.exempt_tag(),
            ) {
                run.ignored = Some(format!(
                    "user {user} is tagged {}=true",
                    ctx.cfg.exempt_tag()
                ));
                return None;
            }
        }
        Err(e) => {
            // Exemption cannot be verified: do not act on a maybe-exempt user.
            run.rec.note(
                Stage::PriorityAction,
                "iam:ListUserTags",
                &arn,
                Status::Failed,
                format!("iam:ListUserTags: {}", describe(&e)),
                None,
            );
            return None;
        }
    }
    match iam.list_mfa_devices().user_name(user).send().await {
        Ok(out) if !out.mfa_devices().is_empty() => {
            run.ignored = Some(format!(
                "user {user} already has MFA ({})",
                out.mfa_devices()
                    .iter()
                    .map(|d| d.serial_number())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "iam:ListMFADevices",
                &arn,
                Status::Failed,
                format!("iam:ListMFADevices: {}", describe(&e)),
                None,
            );
            return None;
        }
    }
    run.rec.note(
        Stage::Forensics,
        "iam:ListMFADevices",
        &arn,
        Status::Done,
        format!("user {user} has no MFA device"),
        Some(json!({"mfa_devices": []})),
    );
    Some(Subject { arn, id })
}

pub async fn run(ctx: &Ctx<'_>, user: &str) -> Run {
    let iam = aws_sdk_iam::Client::new(ctx.member);
    let part = ctx.partition();
    let mut run = Run::new(
        ctx.plan,
        format!("arn:{part}:iam::{}:user/{user}", ctx.account),
    );
    let Some(who) = subject(ctx, &iam, user, &mut run).await else {
        return run;
    };
    match ctx.cfg.mfa_mode() {
        MfaMode::Require => require(ctx, &iam, user, &who, &mut run).await,
        MfaMode::Enrol => enrol(ctx, &iam, user, &who, &mut run).await,
    }
    run
}

/// Attaches the require-MFA policy (idempotent: an attached policy is left as it is).
async fn require(
    ctx: &Ctx<'_>,
    iam: &aws_sdk_iam::Client,
    user: &str,
    who: &Subject,
    run: &mut Run,
) {
    let policy = format!(
        "arn:{}:iam::{}:policy/{}",
        ctx.partition(),
        ctx.account,
        ctx.cfg.require_mfa_policy()
    );
    let attached = match iam
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
    {
        Ok(out) => out
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect::<Vec<_>>(),
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "iam:ListAttachedUserPolicies",
                &who.arn,
                Status::Failed,
                format!("iam:ListAttachedUserPolicies: {}", describe(&e)),
                None,
            );
            return;
        }
    };
    if attached.contains(&policy) {
        run.rec.skip(
            Stage::PriorityAction,
            "iam:AttachUserPolicy",
            &who.arn,
            format!("{policy} is already attached"),
        );
        return;
    }
    let iam = iam.clone();
    run.rec
        .act(
            Stage::PriorityAction,
            "iam:AttachUserPolicy",
            &who.arn,
            Some(json!({"attached_policies": attached})),
            || async move {
                iam.attach_user_policy()
                    .user_name(user)
                    .policy_arn(&policy)
                    .send()
                    .await
                    .map(|_| {
                        format!("{policy} attached: everything but enrolling an MFA device is denied until {user} signs in with MFA")
                    })
                    .map_err(|e| format!("iam:AttachUserPolicy: {}", describe(&e)))
            },
        )
        .await;
}

/// Users of the account without MFA, from one credential report (no per-user calls).
pub async fn users_without_mfa(member: &aws_config::SdkConfig) -> Result<Vec<String>, String> {
    let iam = aws_sdk_iam::Client::new(member);
    let rl = crate::ratelimit::RateLimiter::new(10.0, 20);
    let report = crate::collect::credential_report::collect(&iam, &rl)
        .await
        .map_err(|e| format!("credential report: {e}"))?;
    Ok(report
        .rows
        .iter()
        .filter(|r| !r.is_root() && !r.mfa_active)
        .map(|r| r.user.clone())
        .collect())
}

#[cfg(test)]
mod tests;

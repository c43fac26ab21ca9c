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
use super::totp;
use crate::act::exempt::exempt;
use crate::act::{Ctx, Run, Stage, Status};
use crate::error_text::{describe, is_code};
use futures::future::BoxFuture;
use rampart_common::event::{Event, Kind};
use rampart_common::response::MfaMode;
use rampart_common::ResponseConfig;
use serde_json::json;

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
        Some(u) if !u.is_empty() => {
            super::playbook::api_call_route(&PLAYBOOK, call, Enforce(u.to_string()))
        }
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

/// Attempts at EnableMFADevice (a code can straddle a 30 s window boundary).
const ENABLE_ATTEMPTS: u32 = 2;

/// Where a user's seed is kept: by the user's unique id, which no other user shares (names
/// like `a,b` and `a-b` would collide once made safe for Secrets Manager).
pub fn secret_name(user_id: &str) -> String {
    format!("rampart/mfa/{user_id}")
}

/// Resource policy: the user reads their own seed, only with temporary credentials (a console
/// or session sign-in, not long-term access keys alone); nobody else but the response role.
pub fn seed_policy(user_arn: &str, responder_arn: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "UserReadsOwnSeed", "Effect": "Allow", "Principal": {"AWS": user_arn},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            {"Sid": "NobodyElseReads", "Effect": "Deny", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalArn": [user_arn, responder_arn]}}},
            {"Sid": "NotWithAccessKeysAlone", "Effect": "Deny", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}
        ]
    })
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

/// The user's standing before anything is done: None when the playbook must stop (recorded).
struct Subject {
    arn: String,
    id: String,
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

async fn enrol(ctx: &Ctx<'_>, iam: &aws_sdk_iam::Client, user: &str, who: &Subject, run: &mut Run) {
    let part = ctx.partition();
    let user_arn = who.arn.clone();
    if who.id.is_empty() {
        run.rec.note(
            Stage::PriorityAction,
            "iam:GetUser",
            &user_arn,
            Status::Failed,
            "iam:GetUser returned no user id; the seed's secret is named by it",
            None,
        );
        return;
    }
    let serial_guess = format!("arn:{part}:iam::{}:mfa/{user}", ctx.account);
    let secret = secret_name(&who.id);
    if ctx.plan {
        for (action, target) in [
            ("iam:CreateVirtualMFADevice", serial_guess.as_str()),
            ("secretsmanager:CreateSecret", secret.as_str()),
            ("iam:EnableMFADevice", user_arn.as_str()),
        ] {
            run.rec
                .act(Stage::PriorityAction, action, target, None, || async {
                    Ok::<_, String>(String::new())
                })
                .await;
        }
        return;
    }
    // 1. The device.
    let mut device: Option<(String, String)> = None;
    {
        let iam = iam.clone();
        let slot = &mut device;
        run.rec
            .act(
                Stage::PriorityAction,
                "iam:CreateVirtualMFADevice",
                &serial_guess,
                None,
                || async move {
                    let out = iam
                        .create_virtual_mfa_device()
                        .virtual_mfa_device_name(user)
                        .send()
                        .await
                        .map_err(|e| format!("iam:CreateVirtualMFADevice: {}", describe(&e)))?;
                    let d = out
                        .virtual_mfa_device()
                        .ok_or("no device in the response")?;
                    let seed = d
                        .base32_string_seed()
                        .map(|b| String::from_utf8_lossy(b.as_ref()).to_string())
                        .ok_or("no Base32StringSeed in the response")?;
                    *slot = Some((d.serial_number().to_string(), seed));
                    Ok::<_, String>(format!("virtual MFA device {} created", d.serial_number()))
                },
            )
            .await;
    }
    let Some((serial, seed)) = device else {
        return;
    };
    let key = match totp::decode_seed(&seed) {
        Ok(k) => k,
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "decode seed",
                &serial,
                Status::Failed,
                e,
                None,
            );
            rollback(ctx, iam, run, &serial, None).await;
            return;
        }
    };

    // 2. The seed, before the device is enabled: an enabled device whose seed is lost locks
    // the user out.
    let sm = aws_sdk_secretsmanager::Client::new(ctx.member);
    let responder = format!(
        "arn:{part}:iam::{}:role/{}",
        ctx.account,
        ctx.cfg.role_name()
    );
    let value = json!({"user": user, "user_id": who.id, "serial_number": serial,
                       "base32_seed": seed, "incident_id": ctx.incident_id})
    .to_string();
    // Only a secret this run created may be rolled back; a squatted one is left as found.
    let created = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stored = {
        let sm = sm.clone();
        let created = created.clone();
        let secret = secret.clone();
        let kms = ctx.cfg.mfa_kms_key.clone();
        let policy = seed_policy(&user_arn, &responder).to_string();
        let tag = |k: &str, v: &str| {
            aws_sdk_secretsmanager::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
        };
        let tags = vec![
            tag("rampart:user", user),
            tag("rampart:user-id", &who.id),
            tag("rampart:enrolled-at", &chrono::Utc::now().to_rfc3339()),
        ];
        run.rec
            .act(Stage::PriorityAction, "secretsmanager:CreateSecret", &secret.clone(), None, || async move {
                match sm
                    .create_secret()
                    .name(&secret)
                    .description("Virtual MFA seed enrolled by Rampart; readable by the user only")
                    .set_kms_key_id(kms.clone())
                    .secret_string(&value)
                    .set_tags(Some(tags))
                    .send()
                    .await
                {
                    Ok(_) => created.store(true, std::sync::atomic::Ordering::SeqCst),
                    // Someone else's secret at this name must not receive the seed.
                    Err(e) if is_code(&e, "ResourceExistsException") => {
                        return Err(format!(
                            "secret {secret} already exists; refusing to reuse it for a new seed"
                        ))
                    }
                    Err(e) => return Err(format!("secretsmanager:CreateSecret: {}", describe(&e))),
                }
                sm.put_resource_policy()
                    .secret_id(&secret)
                    .resource_policy(policy)
                    .block_public_policy(true)
                    .send()
                    .await
                    .map_err(|e| format!("secretsmanager:PutResourcePolicy: {}", describe(&e)))?;
                Ok(format!(
                    "seed stored in {secret} encrypted with {}, readable only by the user signed in (not with access keys alone)",
                    kms.as_deref().unwrap_or("aws/secretsmanager")
                ))
            })
            .await
    };
    if !stored {
        let ours = created.load(std::sync::atomic::Ordering::SeqCst);
        rollback(ctx, iam, run, &serial, ours.then_some(secret.as_str())).await;
        return;
    }

    // 3. Enable with two consecutive codes; bounded retries.
    let mut enabled = false;
    let mut last_error = String::new();
    for attempt in 1..=ENABLE_ATTEMPTS {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        let (c1, c2) = match totp::consecutive_codes(&key, now) {
            Ok(c) => c,
            Err(e) => {
                last_error = e;
                break;
            }
        };
        match iam
            .enable_mfa_device()
            .user_name(user)
            .serial_number(&serial)
            .authentication_code1(c1)
            .authentication_code2(c2)
            .send()
            .await
        {
            Ok(_) => {
                enabled = true;
                run.rec.note(
                    Stage::PriorityAction,
                    "iam:EnableMFADevice",
                    &user_arn,
                    Status::Done,
                    format!("MFA device {serial} enabled (attempt {attempt})"),
                    Some(json!({"mfa_devices": []})),
                );
                break;
            }
            Err(e) => {
                last_error = format!("iam:EnableMFADevice: {}", describe(&e));
                if !is_code(&e, "InvalidAuthenticationCode") {
                    break;
                }
            }
        }
    }
    if !enabled {
        run.rec.note(
            Stage::PriorityAction,
            "iam:EnableMFADevice",
            &user_arn,
            Status::Failed,
            last_error,
            None,
        );
        rollback(ctx, iam, run, &serial, Some(&secret)).await;
    }
}

/// Removes what a failed enrolment created; each step recorded, leftovers named.
async fn rollback(
    ctx: &Ctx<'_>,
    iam: &aws_sdk_iam::Client,
    run: &mut Run,
    serial: &str,
    secret: Option<&str>,
) {
    if let Some(secret) = secret {
        let sm = aws_sdk_secretsmanager::Client::new(ctx.member);
        run.rec
            .act(
                Stage::PriorityAction,
                "secretsmanager:DeleteSecret",
                secret,
                None,
                || async move {
                    sm.delete_secret()
                        .secret_id(secret)
                        .force_delete_without_recovery(true)
                        .send()
                        .await
                        .map(|_| "rolled back: seed deleted".to_string())
                        .map_err(|e| {
                            format!(
                                "half-enrolled: secret {secret} left behind: {}",
                                describe(&e)
                            )
                        })
                },
            )
            .await;
    }
    let iam = iam.clone();
    run.rec
        .act(
            Stage::PriorityAction,
            "iam:DeleteVirtualMFADevice",
            serial,
            None,
            || async move {
                iam.delete_virtual_mfa_device()
                    .serial_number(serial)
                    .send()
                    .await
                    .map(|_| "rolled back: unused device deleted".to_string())
                    .map_err(|e| {
                        format!(
                            "half-enrolled: device {serial} left behind: {}",
                            describe(&e)
                        )
                    })
            },
        )
        .await;
}

/// Deletes enrolled seeds that are no longer needed: the user has signed in since enrolment
/// (they hold the device now), the user is gone, or the seed is older than
/// `mfa_seed_max_age_hours`. One listing per account and region; a GetUser per seed.
pub async fn sweep_seeds(
    member: &aws_config::SdkConfig,
    cfg: &rampart_common::ResponseConfig,
    plan: bool,
) -> Vec<crate::act::ActionRecord> {
    use crate::act::record::{now, ActionRecord};
    use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
    let rec = |target: &str, status: Status, detail: String| ActionRecord {
        stage: Stage::Countermeasure,
        action: "secretsmanager:DeleteSecret".into(),
        target: target.to_string(),
        status,
        detail,
        prior_state: None,
        error_kind: None,
        started_at: now(),
        millis: 0,
    };
    let sm = aws_sdk_secretsmanager::Client::new(member);
    let iam = aws_sdk_iam::Client::new(member);
    let mut secrets = Vec::new();
    let mut pages = sm
        .list_secrets()
        .filters(
            Filter::builder()
                .key(FilterNameStringType::Name)
                .values("rampart/mfa/")
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => secrets.extend(p.secret_list().iter().cloned()),
            Err(e) => {
                return vec![rec(
                    "rampart/mfa/*",
                    Status::Failed,
                    format!("secretsmanager:ListSecrets: {}", describe(&e)),
                )]
            }
        }
    }
    let max_age =
        chrono::Duration::hours(i64::try_from(cfg.mfa_seed_max_age_hours()).unwrap_or(72));
    let mut out = Vec::new();
    for secret in secrets {
        let Some(name) = secret.name().filter(|n| n.starts_with("rampart/mfa/")) else {
            continue;
        };
        let tag = |k: &str| {
            secret
                .tags()
                .iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        let enrolled = tag("rampart:enrolled-at")
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&chrono::Utc));
        let why = match (tag("rampart:user"), enrolled) {
            (_, None) => None,
            (None, Some(_)) => None,
            (Some(user), Some(at)) => match iam.get_user().user_name(&user).send().await {
                Err(e) if is_code(&e, "NoSuchEntity") => Some(format!("user {user} is gone")),
                Err(e) => {
                    out.push(rec(
                        name,
                        Status::Failed,
                        format!("iam:GetUser {user}: {}", describe(&e)),
                    ));
                    continue;
                }
                Ok(u) => {
                    let last = u
                        .user()
                        .and_then(|u| u.password_last_used())
                        .map(|d| d.secs());
                    if last.is_some_and(|l| l > at.timestamp()) {
                        Some(format!("{user} has signed in since enrolment"))
                    } else if chrono::Utc::now() - at > max_age {
                        Some(format!("older than {} hours", cfg.mfa_seed_max_age_hours()))
                    } else {
                        None
                    }
                }
            },
        };
        let Some(why) = why else { continue };
        if plan {
            out.push(rec(name, Status::Planned, format!("seed to delete: {why}")));
            continue;
        }
        match sm
            .delete_secret()
            .secret_id(name)
            .force_delete_without_recovery(true)
            .send()
            .await
        {
            Ok(_) => out.push(rec(name, Status::Done, format!("seed deleted: {why}"))),
            Err(e) => out.push(rec(
                name,
                Status::Failed,
                format!("secretsmanager:DeleteSecret: {}", describe(&e)),
            )),
        }
    }
    out
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
mod tests {
    use super::*;

    #[test]
    fn seed_policy_names_only_the_user_and_the_responder() {
        let p = seed_policy(
            "arn:aws:iam::1:user/a",
            "arn:aws:iam::1:role/RampartResponder",
        );
        assert_eq!(
            p["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::1:user/a"
        );
        let allowed = &p["Statement"][1]["Condition"]["StringNotEquals"]["aws:PrincipalArn"];
        assert_eq!(allowed.as_array().map(Vec::len), Some(2));
        assert_eq!(
            p["Statement"][2]["Condition"]["Null"]["aws:TokenIssueTime"],
            "true"
        );
        // Named by the unique user id: `a,b` and `a-b` no longer share a secret.
        assert_eq!(secret_name("AIDAEXAMPLE1"), "rampart/mfa/AIDAEXAMPLE1");
    }

    #[test]
    fn require_policy_denies_everything_but_own_mfa_without_mfa() {
        let p = require_mfa_policy_document();
        let deny = &p["Statement"][2];
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(
            deny["Condition"]["BoolIfExists"]["aws:MultiFactorAuthPresent"],
            "false"
        );
        let exempt: Vec<&str> = deny["NotAction"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert!(exempt.contains(&"iam:EnableMFADevice"));
        assert!(!exempt.iter().any(|a| a.starts_with("s3:") || *a == "*"));
    }
}

//! `enrol` mode: a virtual MFA device for the user, its seed stored for the user alone, the
//! device enabled with two consecutive codes, everything rolled back on failure; and the
//! schedule's sweep of seeds no longer needed.

use super::super::totp;
use crate::act::{Ctx, Run, Stage, Status};
use crate::error_text::{describe, is_code};
use serde_json::json;

/// The user's standing before anything is done: None when the playbook must stop (recorded).
pub struct Subject {
    pub arn: String,
    pub id: String,
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

pub async fn enrol(
    ctx: &Ctx<'_>,
    iam: &aws_sdk_iam::Client,
    user: &str,
    who: &Subject,
    run: &mut Run,
) {
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

//! Playbook 2: every IAM user gets an enabled virtual MFA device.
//!
//! Order matters so that a failure never leaves a half-enrolled user unreported: create the
//! device, store its seed (encrypted, readable only by the user and the hub's response role),
//! then enable it with two consecutive codes. If enabling fails, the secret and the device are
//! removed again; if that fails too, the record says exactly what was left.

use super::{exempt, partition, Ctx, Run};
use crate::respond::record::{Stage, Status};
use crate::respond::totp;
use rampart_member::error_text::{describe, is_code};
use serde_json::json;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/respond/auto-mfa (member)",
    actions: &[
        "iam:GetUser",
        "iam:ListUserTags",
        "iam:ListMFADevices",
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:DeleteVirtualMFADevice",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:DeleteSecret",
        "secretsmanager:TagResource",
        "kms:Encrypt",
        "kms:GenerateDataKey",
    ],
};

/// Attempts at EnableMFADevice (a code can straddle a 30 s window boundary).
const ENABLE_ATTEMPTS: u32 = 2;

/// Where a user's seed is kept: Secrets Manager names allow `/_+=.@-`, not `,`.
pub fn secret_name(user: &str) -> String {
    format!("rampart/mfa/{}", user.replace(',', "-"))
}

/// Resource policy: the user reads their own seed; nobody but the user and the response role can.
pub fn seed_policy(user_arn: &str, responder_arn: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "UserReadsOwnSeed", "Effect": "Allow", "Principal": {"AWS": user_arn},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            {"Sid": "NobodyElseReads", "Effect": "Deny", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalArn": [user_arn, responder_arn]}}}
        ]
    })
}

pub async fn run(ctx: &Ctx<'_>, user: &str) -> Run {
    let iam = aws_sdk_iam::Client::new(ctx.member);
    let part = partition(ctx.region);
    let guessed_arn = format!("arn:{part}:iam::{}:user/{user}", ctx.account);
    let mut run = Run::new(ctx.plan, guessed_arn.clone());

    let user_arn = match iam.get_user().user_name(user).send().await {
        Ok(out) => out
            .user()
            .map(|u| u.arn().to_string())
            .unwrap_or(guessed_arn.clone()),
        Err(e) if is_code(&e, "NoSuchEntity") => {
            run.ignored = Some(format!("user {user} no longer exists"));
            return run;
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
            return run;
        }
    };
    run.resource = user_arn.clone();
    if ctx.cfg.is_protected(&user_arn) {
        run.ignored = Some(format!("{user_arn} is a protected principal"));
        return run;
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
                return run;
            }
        }
        Err(e) => {
            // Exemption cannot be verified: do not act on a maybe-exempt user.
            run.rec.note(
                Stage::PriorityAction,
                "iam:ListUserTags",
                &user_arn,
                Status::Failed,
                format!("iam:ListUserTags: {}", describe(&e)),
                None,
            );
            return run;
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
            return run;
        }
        Ok(_) => {}
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "iam:ListMFADevices",
                &user_arn,
                Status::Failed,
                format!("iam:ListMFADevices: {}", describe(&e)),
                None,
            );
            return run;
        }
    }
    run.rec.note(
        Stage::Forensics,
        "iam:ListMFADevices",
        &user_arn,
        Status::Done,
        format!("user {user} has no MFA device"),
        Some(json!({"mfa_devices": []})),
    );

    let serial_guess = format!("arn:{part}:iam::{}:mfa/{user}", ctx.account);
    let secret = secret_name(user);
    if ctx.plan {
        for (action, target) in [
            ("iam:CreateVirtualMFADevice", serial_guess.as_str()),
            ("secretsmanager:CreateSecret", secret.as_str()),
            ("iam:EnableMFADevice", user_arn.as_str()),
        ] {
            run.rec
                .act(Stage::PriorityAction, action, target, None, || async {
                    Ok(String::new())
                })
                .await;
        }
        return run;
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
                    Ok(format!("virtual MFA device {} created", d.serial_number()))
                },
            )
            .await;
    }
    let Some((serial, seed)) = device else {
        return run;
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
            rollback(ctx, &iam, &mut run, &serial, None).await;
            return run;
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
    let value = json!({"user": user, "serial_number": serial, "base32_seed": seed,
                       "incident_id": ctx.incident_id})
    .to_string();
    let stored = {
        let sm = sm.clone();
        let secret = secret.clone();
        let kms = ctx.cfg.mfa_kms_key.clone();
        let policy = seed_policy(&user_arn, &responder).to_string();
        run.rec
            .act(Stage::PriorityAction, "secretsmanager:CreateSecret", &secret.clone(), None, || async move {
                let created = sm
                    .create_secret()
                    .name(&secret)
                    .description("Virtual MFA seed enrolled by Rampart; readable by the user only")
                    .set_kms_key_id(kms.clone())
                    .secret_string(&value)
                    .tags(aws_sdk_secretsmanager::types::Tag::builder().key("rampart:user").value(user).build())
                    .send()
                    .await;
                match created {
                    Ok(_) => {}
                    Err(e) if is_code(&e, "ResourceExistsException") => {
                        sm.put_secret_value()
                            .secret_id(&secret)
                            .secret_string(&value)
                            .send()
                            .await
                            .map_err(|e| format!("secretsmanager:PutSecretValue: {}", describe(&e)))?;
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
                    "seed stored in {secret} encrypted with {}, readable by the user and the response role only",
                    kms.as_deref().unwrap_or("aws/secretsmanager")
                ))
            })
            .await
    };
    if !stored {
        rollback(ctx, &iam, &mut run, &serial, Some(&secret)).await;
        return run;
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
        rollback(ctx, &iam, &mut run, &serial, Some(&secret)).await;
    }
    run
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

/// Users of the account without MFA, from one credential report (no per-user calls).
pub async fn users_without_mfa(member: &aws_config::SdkConfig) -> Result<Vec<String>, String> {
    let iam = aws_sdk_iam::Client::new(member);
    let rl = rampart_member::ratelimit::RateLimiter::new(10.0, 20);
    let report = rampart_member::collect::credential_report::collect(&iam, &rl)
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
        assert_eq!(secret_name("a,b"), "rampart/mfa/a-b");
    }
}

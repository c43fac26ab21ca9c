//! The tamper playbook's countermeasure against the actor (off by default): deactivate a
//! user's access keys and deny it everything, or revoke a role's sessions older than now.

use crate::act::{Ctx, Run, Stage, Status};
use crate::error_text::describe;
use rampart_common::event::ApiCall;
use rampart_common::identity::Actor;
use rampart_common::response::Countermeasure;
use serde_json::json;

/// The AWS managed policy that denies everything, attached to an offending user (the responder
/// may attach nothing else, so it cannot write itself a policy).
pub fn deny_all_policy_arn(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/AWSDenyAll")
}

pub const REVOKE_POLICY_NAME: &str = "rampart-revoke-older-sessions";

pub async fn countermeasure(ctx: &Ctx<'_>, call: &ApiCall, actor: &Actor, run: &mut Run) {
    let target = actor.principal_arn();
    let mode = ctx.cfg.countermeasure.unwrap_or_default();
    if mode == Countermeasure::Off {
        run.rec.skip(
            Stage::Countermeasure,
            "countermeasure",
            &target,
            "countermeasure is off (response.countermeasure)",
        );
        return;
    }
    let protected = ctx.cfg.is_protected(&target) || ctx.own.is_own(actor, ctx.account);
    if protected {
        run.rec.skip(
            Stage::Countermeasure,
            "countermeasure",
            &target,
            "the actor is a protected principal",
        );
        return;
    }
    // Principals of another account are not ours to touch from this account's session.
    if let Some(other) = actor.account().filter(|a| a != ctx.account) {
        run.rec.skip(
            Stage::Countermeasure,
            "countermeasure",
            &target,
            format!(
                "the actor belongs to account {other}, not {}; alerting only",
                ctx.account
            ),
        );
        return;
    }
    if !matches!(actor, Actor::IamUser { .. } | Actor::AssumedRole { .. }) {
        run.rec.skip(
            Stage::Countermeasure,
            "countermeasure",
            &target,
            format!(
                "no countermeasure applies to {}; alerting only",
                actor.describe()
            ),
        );
        return;
    }
    // Offences are counted per principal across incidents (plan mode does not count).
    let before = if ctx.plan {
        0
    } else {
        match ctx.store.record_offence(&target, &call.event_id).await {
            Ok(n) => n,
            Err(e) => {
                run.rec.note(
                    Stage::Countermeasure,
                    "record offence",
                    &target,
                    Status::Failed,
                    e,
                    None,
                );
                return;
            }
        }
    };
    if mode == Countermeasure::Repeat && before == 0 && !ctx.plan {
        run.rec.skip(
            Stage::Countermeasure,
            "countermeasure",
            &target,
            "first offence; countermeasure is on repeat offences only",
        );
        return;
    }
    let iam = aws_sdk_iam::Client::new(ctx.member);
    match actor {
        Actor::IamUser { user_name, .. } => {
            let keys = match iam.list_access_keys().user_name(user_name).send().await {
                Ok(k) => k.access_key_metadata().to_vec(),
                Err(e) => {
                    run.rec.note(
                        Stage::Countermeasure,
                        "iam:ListAccessKeys",
                        &target,
                        Status::Failed,
                        format!("iam:ListAccessKeys: {}", describe(&e)),
                        None,
                    );
                    Vec::new()
                }
            };
            for k in keys
                .iter()
                .filter(|k| k.status().map(|s| s.as_str()) == Some("Active"))
            {
                let id = k.access_key_id().unwrap_or_default().to_string();
                let iam = iam.clone();
                let user = user_name.clone();
                run.rec
                    .act(
                        Stage::Countermeasure,
                        "iam:UpdateAccessKey",
                        &format!("{target}/{id}"),
                        Some(json!({"access_key_id": id, "status": "Active"})),
                        || async move {
                            iam.update_access_key()
                                .user_name(&user)
                                .access_key_id(&id)
                                .status(aws_sdk_iam::types::StatusType::Inactive)
                                .send()
                                .await
                                .map(|_| format!("access key {id} deactivated"))
                                .map_err(|e| format!("iam:UpdateAccessKey: {}", describe(&e)))
                        },
                    )
                    .await;
            }
            let policy = deny_all_policy_arn(ctx.partition());
            let user = user_name.clone();
            run.rec
                .act(
                    Stage::Countermeasure,
                    "iam:AttachUserPolicy",
                    &target,
                    None,
                    || async move {
                        iam.attach_user_policy()
                            .user_name(&user)
                            .policy_arn(&policy)
                            .send()
                            .await
                            .map(|_| format!("{policy} attached"))
                            .map_err(|e| format!("iam:AttachUserPolicy: {}", describe(&e)))
                    },
                )
                .await;
        }
        Actor::AssumedRole { role_name, .. } => {
            // The standard "revoke active sessions": deny credentials issued before now.
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let doc = json!({"Version":"2012-10-17","Statement":[{"Sid":"RampartRevokeOlderSessions","Effect":"Deny",
                "Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime": now}}}]});
            let role = role_name.clone();
            run.rec
                .act(
                    Stage::Countermeasure,
                    "iam:PutRolePolicy",
                    &target,
                    None,
                    || async move {
                        iam.put_role_policy()
                            .role_name(&role)
                            .policy_name(REVOKE_POLICY_NAME)
                            .policy_document(doc.to_string())
                            .send()
                            .await
                            .map(|_| format!("sessions of {role} issued before {now} revoked"))
                            .map_err(|e| format!("iam:PutRolePolicy: {}", describe(&e)))
                    },
                )
                .await;
        }
        _ => {}
    }
}

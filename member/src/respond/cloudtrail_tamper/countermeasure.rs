//! The tamper playbook's countermeasure against the actor (off by default): deactivate a
//! user's access keys and deny it everything, or deny a role everything (the AWS managed
//! `AWSDenyAll`, attached; never a policy document of the responder's own).

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
            // The AWS managed deny, attached (never a document of the responder's own: a role
            // allowed to write inline policies could write itself any permission). It stops
            // every session of the role, old and new, until an operator detaches it.
            let policy = deny_all_policy_arn(ctx.partition());
            let role = role_name.clone();
            run.rec
                .act(
                    Stage::Countermeasure,
                    "iam:AttachRolePolicy",
                    &target,
                    None,
                    || async move {
                        iam.attach_role_policy()
                            .role_name(&role)
                            .policy_arn(&policy)
                            .send()
                            .await
                            .map(|_| format!("{policy} attached to role {role}: its sessions are denied everything"))
                            .map_err(|e| format!("iam:AttachRolePolicy: {}", describe(&e)))
                    },
                )
                .await;
        }
        _ => {}
    }
}

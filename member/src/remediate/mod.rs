//! Control remediations inside one member account: one registry entry per fix, beside the
//! checks it answers.
//!
//! Every remedy works in three steps that never mix: `plan` reads the account and returns the
//! exact change it would make to each offending resource with the state it found (`prior`);
//! `apply` makes that one change; `undo` puts `prior` back. Plans skip exempt resources (the
//! exemption tag, `response.remediation_exempt`, protected principals) with a reason, and a
//! resource already compliant plans nothing, so running a remedy twice changes nothing twice.
//! No remedy deletes data or principals: keys are deactivated, rules revoked one by one,
//! policies restored.
//!
//! The hub decides whether and where a remedy runs (trust, leases, budgets, audit); it reaches
//! remedies only through [`for_control`], [`remediate`] and [`undo`].

mod access_keys;
mod cloudtrail;
mod config;
mod ec2_settings;
pub mod finding_update;
mod kms;
mod nacl;
mod password_policy;
mod s3;
mod security_groups;

use crate::respond::record::{Stage, Status};
use crate::respond::{Ctx, Run};
use rampart_common::Permissions;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One remediation: the controls it fixes, the Rampart checks that judge them, the IAM
/// actions it calls, and what it changes and restores (docs/remediation.md is this table).
#[derive(Debug, Clone, Copy)]
pub struct Remedy {
    /// Stable name, kept in undo records.
    pub id: &'static str,
    /// Security Hub control ids it fixes.
    pub controls: &'static [&'static str],
    /// Rampart check ids whose findings it fixes (re-evaluated after acting).
    pub checks: &'static [&'static str],
    /// Every IAM action it calls in the member account (plan, apply and undo).
    pub permissions: Permissions,
    /// What it changes.
    pub changes: &'static str,
    /// What undo restores.
    pub undoes: &'static str,
}

/// Every remedy.
pub const REMEDIES: &[Remedy] = &[
    security_groups::ADMIN_PORTS_REMEDY,
    security_groups::DEFAULT_GROUP,
    nacl::ADMIN_PORTS,
    password_policy::REMEDY,
    ec2_settings::EBS_DEFAULT_ENCRYPTION,
    ec2_settings::IMDSV2,
    s3::BLOCK_PUBLIC_ACCESS,
    s3::ACCOUNT_BLOCK_PUBLIC_ACCESS,
    s3::TLS_ONLY,
    kms::ROTATION,
    cloudtrail::LOG_FILE_VALIDATION,
    cloudtrail::MULTI_REGION,
    access_keys::REMEDY,
    config::RECORDER,
];

/// The remedy of a Security Hub control id (`EC2.53`), if Rampart has one.
pub fn for_control(control: &str) -> Option<&'static Remedy> {
    REMEDIES
        .iter()
        .find(|r| r.controls.iter().any(|c| c.eq_ignore_ascii_case(control)))
}

/// The remedy of a Rampart check id (`ec2.sg-admin-ports-ipv4`), if any.
pub fn for_check(check: &str) -> Option<&'static Remedy> {
    REMEDIES.iter().find(|r| r.checks.contains(&check))
}

/// The remedy by its stable name (undo records).
pub fn by_id(id: &str) -> Option<&'static Remedy> {
    REMEDIES.iter().find(|r| r.id == id)
}

/// Every IAM action the remedies need, per remedy.
pub fn permissions() -> Vec<Permissions> {
    REMEDIES.iter().map(|r| r.permissions).collect()
}

/// The change a remedy would make to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// ARN (or the most specific id) of the resource changed.
    pub resource: String,
    /// The API call that makes the change (`ec2:RevokeSecurityGroupIngress`).
    pub api: String,
    /// The state found: what undo restores.
    pub prior: Value,
    /// The change itself, in the remedy's terms.
    pub change: Value,
    /// One line for people.
    pub summary: String,
}

/// What a plan says about one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Change(Change),
    /// Nothing to do, or not allowed: `why` says which.
    Skip {
        resource: String,
        why: String,
    },
}

/// One remediation action as reported (`rampart remediate --format json`) and kept for undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The undo handle.
    pub id: String,
    pub account: String,
    pub region: String,
    pub control: String,
    pub remedy: String,
    pub resource: String,
    pub status: Status,
    pub prior: Value,
    pub change: Value,
    pub detail: String,
}

/// Resource-level guards every plan applies before proposing a change.
pub(crate) fn excluded(ctx: &Ctx<'_>, resource: &str) -> Option<String> {
    if ctx.cfg.is_remediation_exempt(resource) {
        return Some(format!(
            "{resource} is listed in response.remediation_exempt"
        ));
    }
    None
}

/// Whether a tag list marks the resource exempt, with the reason.
pub(crate) fn exempt_by_tag<'t>(
    ctx: &Ctx<'_>,
    resource: &str,
    tags: impl IntoIterator<Item = (&'t str, &'t str)>,
) -> Option<String> {
    let key = ctx.cfg.exempt_tag();
    crate::respond::exempt(tags, key).then(|| format!("{resource} is tagged {key}=true"))
}

/// EC2 tags (groups, NACLs, instances) as the (key, value) pairs [`exempt_by_tag`] reads.
pub(crate) fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> impl Iterator<Item = (&str, &str)> {
    tags.iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
}

/// Runs the remedy of `control` in the context's account and region: plans, then (unless the
/// context plans only) applies each change, recording it with the state it found.
/// `resource` narrows the remedy to one resource (a finding's); without it every offending
/// resource in the account and region is fixed.
pub async fn remediate(
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
    new_id: &mut (dyn FnMut() -> String + Send),
) -> (Run, Vec<Action>) {
    let mut run = Run::new(ctx.plan, resource.unwrap_or(ctx.account));
    let mut actions = Vec::new();
    let Some(remedy) = for_control(control) else {
        run.ignored = Some(format!("Rampart has no remediation for control {control}"));
        return (run, actions);
    };
    if let Some(r) = resource {
        if let Some(why) = excluded(ctx, r) {
            run.rec
                .skip(Stage::PriorityAction, remedy.id, r, why.clone());
            run.ignored = Some(why);
            return (run, actions);
        }
    }
    let planned = match plan(remedy, ctx, control, resource).await {
        Ok(p) => p,
        Err(e) => {
            run.rec.note(
                Stage::Forensics,
                &format!("plan {}", remedy.id),
                resource.unwrap_or(ctx.account),
                Status::Failed,
                e,
                None,
            );
            return (run, actions);
        }
    };
    let mut skipped = Vec::new();
    for p in planned {
        match p {
            Planned::Skip { resource, why } => {
                run.rec
                    .skip(Stage::PriorityAction, remedy.id, &resource, why.clone());
                skipped.push(why.clone());
                actions.push(Action {
                    id: new_id(),
                    account: ctx.account.to_string(),
                    region: ctx.region.to_string(),
                    control: control.to_string(),
                    remedy: remedy.id.to_string(),
                    resource,
                    status: Status::Skipped,
                    prior: Value::Null,
                    change: Value::Null,
                    detail: why,
                });
            }
            Planned::Change(c) => {
                if let Some(why) = excluded(ctx, &c.resource) {
                    run.rec
                        .skip(Stage::PriorityAction, remedy.id, &c.resource, why.clone());
                    skipped.push(why.clone());
                    actions.push(Action {
                        id: new_id(),
                        account: ctx.account.to_string(),
                        region: ctx.region.to_string(),
                        control: control.to_string(),
                        remedy: remedy.id.to_string(),
                        resource: c.resource,
                        status: Status::Skipped,
                        prior: Value::Null,
                        change: Value::Null,
                        detail: why,
                    });
                    continue;
                }
                let id = new_id();
                run.rec
                    .act(
                        Stage::PriorityAction,
                        &c.api,
                        &c.resource,
                        Some(c.prior.clone()),
                        || async { apply(remedy, ctx, &c).await },
                    )
                    .await;
                let (status, detail) = match run.rec.actions.last() {
                    Some(a) => (a.status, a.detail.clone()),
                    None => (Status::Failed, "not recorded".into()),
                };
                // The audit record names the undo handle beside the prior state.
                if let Some(a) = run.rec.actions.last_mut() {
                    a.detail = format!("{} [action {id}] {}", c.summary, a.detail);
                }
                actions.push(Action {
                    id,
                    account: ctx.account.to_string(),
                    region: ctx.region.to_string(),
                    control: control.to_string(),
                    remedy: remedy.id.to_string(),
                    resource: c.resource.clone(),
                    status,
                    prior: c.prior,
                    change: c.change,
                    detail: format!("{}: {detail}", c.summary),
                });
            }
        }
    }
    if actions.iter().all(|a| a.status == Status::Skipped) {
        run.ignored = Some(if skipped.is_empty() {
            format!("nothing to remediate for {control}")
        } else {
            skipped.join("; ")
        });
    }
    (run, actions)
}

/// Restores the state an applied action found (or plans to, in plan mode).
pub async fn undo(ctx: &Ctx<'_>, action: &Action) -> Run {
    let mut run = Run::new(ctx.plan, action.resource.clone());
    let Some(remedy) = by_id(&action.remedy) else {
        run.rec.note(
            Stage::PriorityAction,
            "undo",
            &action.resource,
            Status::Failed,
            format!("unknown remedy {} in action {}", action.remedy, action.id),
            None,
        );
        return run;
    };
    if action.status != Status::Done {
        run.ignored = Some(format!(
            "action {} was {:?}: it changed nothing, so there is nothing to undo",
            action.id, action.status
        ));
        return run;
    }
    run.rec
        .act(
            Stage::PriorityAction,
            &format!("undo {}", remedy.id),
            &action.resource,
            Some(action.prior.clone()),
            || async { undo_one(remedy, ctx, action).await },
        )
        .await;
    run
}

async fn plan(
    remedy: &Remedy,
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
) -> Result<Vec<Planned>, String> {
    match remedy.id {
        "ec2-sg-admin-ports" => security_groups::plan_admin_ports(ctx, control, resource).await,
        "ec2-default-sg-closed" => security_groups::plan_default_group(ctx, resource).await,
        "ec2-nacl-admin-ports" => nacl::plan(ctx, resource).await,
        "iam-password-policy" => password_policy::plan(ctx).await,
        "ec2-ebs-default-encryption" => ec2_settings::plan_ebs(ctx).await,
        "ec2-imdsv2" => ec2_settings::plan_imdsv2(ctx, resource).await,
        "s3-block-public-access" => s3::plan_bucket_bpa(ctx, resource).await,
        "s3-account-block-public-access" => s3::plan_account_bpa(ctx).await,
        "s3-tls-only" => s3::plan_tls_only(ctx, resource).await,
        "kms-rotation" => kms::plan(ctx, resource).await,
        "cloudtrail-log-file-validation" => cloudtrail::plan_validation(ctx, resource).await,
        "cloudtrail-multi-region" => cloudtrail::plan_multi_region(ctx, resource).await,
        "iam-access-keys" => access_keys::plan(ctx, control, resource).await,
        "config-recorder" => config::plan(ctx).await,
        other => Err(format!("remedy {other} has no plan")),
    }
}

async fn apply(remedy: &Remedy, ctx: &Ctx<'_>, c: &Change) -> Result<String, String> {
    match remedy.id {
        "ec2-sg-admin-ports" | "ec2-default-sg-closed" => security_groups::apply(ctx, c).await,
        "ec2-nacl-admin-ports" => nacl::apply(ctx, c).await,
        "iam-password-policy" => password_policy::apply(ctx, c).await,
        "ec2-ebs-default-encryption" | "ec2-imdsv2" => ec2_settings::apply(ctx, c).await,
        "s3-block-public-access" | "s3-account-block-public-access" | "s3-tls-only" => {
            s3::apply(ctx, c).await
        }
        "kms-rotation" => kms::apply(ctx, c).await,
        "cloudtrail-log-file-validation" | "cloudtrail-multi-region" => {
            cloudtrail::apply(ctx, c).await
        }
        "iam-access-keys" => access_keys::apply(ctx, c).await,
        "config-recorder" => config::apply(ctx, c).await,
        other => Err(format!("remedy {other} cannot apply")),
    }
}

async fn undo_one(remedy: &Remedy, ctx: &Ctx<'_>, a: &Action) -> Result<String, String> {
    match remedy.id {
        "ec2-sg-admin-ports" | "ec2-default-sg-closed" => security_groups::undo(ctx, a).await,
        "ec2-nacl-admin-ports" => nacl::undo(ctx, a).await,
        "iam-password-policy" => password_policy::undo(ctx, a).await,
        "ec2-ebs-default-encryption" | "ec2-imdsv2" => ec2_settings::undo(ctx, a).await,
        "s3-block-public-access" | "s3-account-block-public-access" | "s3-tls-only" => {
            s3::undo(ctx, a).await
        }
        "kms-rotation" => kms::undo(ctx, a).await,
        "cloudtrail-log-file-validation" | "cloudtrail-multi-region" => {
            cloudtrail::undo(ctx, a).await
        }
        "iam-access-keys" => access_keys::undo(ctx, a).await,
        "config-recorder" => config::undo(ctx, a).await,
        other => Err(format!("remedy {other} cannot undo")),
    }
}

/// The table of docs/remediation.md (between its `<!-- remedies -->` markers), from the
/// registry: controls, what each remedy changes, what undo restores, the IAM actions it adds.
pub fn docs_table() -> String {
    let mut out = String::from(
        "| Controls | Remedy | What it changes | What undo restores | IAM actions |\n|---|---|---|---|---|\n",
    );
    for r in REMEDIES {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            r.controls.join(", "),
            r.id,
            r.changes,
            r.undoes,
            r.permissions
                .actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    out
}

/// The last path segment of an ARN's resource part (`sg-1` of `...:security-group/sg-1`), or
/// the id itself when it is not an ARN.
pub(crate) fn resource_name(id: &str) -> &str {
    if id.starts_with("arn:") {
        let res = id.splitn(6, ':').nth(5).unwrap_or(id);
        res.rsplit('/').next().unwrap_or(res)
    } else {
        id
    }
}

/// The region field of an ARN, when it has one.
pub(crate) fn arn_region(id: &str) -> Option<&str> {
    id.starts_with("arn:")
        .then(|| id.split(':').nth(3))
        .flatten()
        .filter(|r| !r.is_empty())
}

/// Reads `field` of a prior/change document as a string.
pub(crate) fn text<'v>(v: &'v Value, field: &str) -> Result<&'v str, String> {
    v.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("the recorded state has no {field}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_remedy_is_reachable_and_declares_permissions() {
        for r in REMEDIES {
            assert!(!r.permissions.actions.is_empty(), "{}", r.id);
            assert!(by_id(r.id).is_some());
            for c in r.controls {
                assert_eq!(for_control(c).map(|x| x.id), Some(r.id), "{c}");
            }
            for c in r.checks {
                // A check may be fixed by more than one remedy (bucket or account block).
                assert!(for_check(c).is_some_and(|x| x.checks.contains(c)), "{c}");
            }
            assert!(!r.changes.is_empty() && !r.undoes.is_empty());
        }
        assert!(
            for_control("ec2.53").is_some(),
            "control ids match case-insensitively"
        );
        assert!(for_control("Macie.1").is_none());
    }

    /// docs/remediation.md carries the registry's table (RAMPART_WRITE_DOCS=1 rewrites it).
    #[test]
    fn docs_table_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/remediation.md");
        let text = std::fs::read_to_string(&path).expect("docs/remediation.md");
        let (open, close) = ("<!-- remedies -->\n", "<!-- /remedies -->");
        let start = text.find(open).expect("start marker") + open.len();
        let end = text.find(close).expect("end marker");
        let want = docs_table();
        if text[start..end] != want {
            if std::env::var("RAMPART_WRITE_DOCS").is_ok() {
                let new = format!("{}{want}{}", &text[..start], &text[end..]);
                std::fs::write(&path, new).expect("write docs/remediation.md");
            } else {
                panic!("docs/remediation.md is stale: RAMPART_WRITE_DOCS=1 cargo test -p rampart-member docs_table");
            }
        }
    }

    #[test]
    fn arn_parts() {
        assert_eq!(
            resource_name("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"),
            "sg-1"
        );
        assert_eq!(resource_name("arn:aws:s3:::bucket"), "bucket");
        assert_eq!(resource_name("sg-2"), "sg-2");
        assert_eq!(
            arn_region("arn:aws:kms:eu-west-1:111122223333:key/k"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:s3:::bucket"), None);
    }
}

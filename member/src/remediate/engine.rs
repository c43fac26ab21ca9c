//! Running a remedy: plan, then (unless the context plans only) apply each change, recording
//! it with the state it found; and undo, which puts one recorded state back.

use super::remedy::{Remedy, Request};
use crate::act::exempt::excluded;
use crate::act::{Action, Ctx, Planned, Run, Stage, Status};
use serde_json::Value;

/// Runs `remedy` for `control` in the context's account and region. `resource` narrows it to
/// one resource (a finding's); without it every offending resource in the account and region
/// is fixed.
pub async fn remediate(
    remedy: &Remedy,
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
    new_id: &mut (dyn FnMut() -> String + Send),
) -> (Run, Vec<Action>) {
    let mut run = Run::new(ctx.plan, resource.unwrap_or(ctx.account));
    let mut actions = Vec::new();
    if let Some(r) = resource {
        if let Some(why) = excluded(ctx, r) {
            run.rec
                .skip(Stage::PriorityAction, remedy.id, r, why.clone());
            run.ignored = Some(why);
            return (run, actions);
        }
    }
    let planned = match (remedy.plan)(ctx, Request { control, resource }).await {
        Ok(p) => p,
        Err(e) => {
            run.rec.note(
                Stage::Forensics,
                &format!("plan {}", remedy.id),
                resource.unwrap_or(ctx.account),
                Status::Failed,
                e.to_string(),
                None,
            );
            return (run, actions);
        }
    };
    let skipped_action = |resource: String, why: String, id: String| Action {
        id,
        account: ctx.account.to_string(),
        region: ctx.region.to_string(),
        control: control.to_string(),
        remedy: remedy.id.to_string(),
        resource,
        status: Status::Skipped,
        prior: Value::Null,
        change: Value::Null,
        detail: why,
    };
    let mut skipped = Vec::new();
    for p in planned {
        let c = match p {
            Planned::Skip { resource, why } => {
                run.rec
                    .skip(Stage::PriorityAction, remedy.id, &resource, why.clone());
                skipped.push(why.clone());
                actions.push(skipped_action(resource, why, new_id()));
                continue;
            }
            Planned::Change(c) => c,
        };
        if let Some(why) = excluded(ctx, &c.resource) {
            run.rec
                .skip(Stage::PriorityAction, remedy.id, &c.resource, why.clone());
            skipped.push(why.clone());
            actions.push(skipped_action(c.resource, why, new_id()));
            continue;
        }
        let id = new_id();
        run.rec
            .act(
                Stage::PriorityAction,
                &c.api,
                &c.resource,
                Some(c.prior.clone()),
                || (remedy.apply)(ctx, &c),
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
    if actions.iter().all(|a| a.status == Status::Skipped) {
        run.ignored = Some(if skipped.is_empty() {
            format!("nothing to remediate for {control}")
        } else {
            skipped.join("; ")
        });
    }
    if actions.iter().any(|a| a.status == Status::Done) {
        run.reevaluate = remedy.checks();
    }
    (run, actions)
}

/// Restores the state an applied action found (or plans to, in plan mode).
pub async fn undo(remedy: &Remedy, ctx: &Ctx<'_>, action: &Action) -> Run {
    let mut run = Run::new(ctx.plan, action.resource.clone());
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
            || (remedy.undo)(ctx, action),
        )
        .await;
    if run.rec.changes() > 0 {
        run.reevaluate = remedy.checks();
    }
    run
}

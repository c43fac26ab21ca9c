//! Running one admitted target: the gate, the playbook in the member, the undo handles of what
//! it changed, the re-evaluation of the checks it touched, and the lease completed or
//! released.

use super::gate::{self, Ready};
use super::parts::Parts;
use super::record::{elapsed, intake_record, Disposition, Outcome, Stage, Status};
use rampart_common::event::ApiCall;
use rampart_member::act::{Ctx, Run};
use rampart_member::respond::Target;
use std::time::Instant;

/// Runs one target: the intake gate, then the playbook.
pub async fn guarded(
    parts: &Parts,
    o: Outcome,
    t: Target,
    call: Option<&ApiCall>,
    started: Instant,
) -> Outcome {
    match gate::pass(parts, o, t, call, started).await {
        Ok(ready) => run(parts, ready, started).await,
        Err(mut done) => {
            done.millis = elapsed(started);
            parts.finish(done).await
        }
    }
}

/// Runs the playbook of a target that passed the gate, then completes or releases its lease.
async fn run(parts: &Parts, ready: Ready, started: Instant) -> Outcome {
    let Ready {
        mut o,
        t,
        plan,
        token,
        member,
    } = ready;
    let incident = o.incident_id.clone();
    let event_id = o.event_id.clone();
    let ctx = Ctx {
        cfg: &parts.cfg,
        store: &parts.store,
        member: &member,
        account: &t.account,
        region: &t.region,
        event_id: &event_id,
        incident_id: &incident,
        own: &parts.own,
        plan,
        settings: &parts.settings,
    };
    let mut run: Run = t.job.run(&ctx).await;
    if !plan {
        after_changes(parts, &t, &mut run, &event_id).await;
        // Only runs that changed something spend the budget.
        if let (true, Some(key)) = (run.rec.changes() > 0, t.budget_key()) {
            if let Err(e) = parts.store.charge_budget(&t.account, &key).await {
                run.rec.note(
                    Stage::Log,
                    "action budget",
                    &t.account,
                    Status::Skipped,
                    format!("not charged: {e}"),
                    None,
                );
            }
        }
    }
    o.resource = Some(run.resource);
    o.forensics = run.forensics;
    o.remediations = run.remediations;
    o.disposition = if run.rec.failed() {
        Disposition::Failed
    } else if run.ignored.is_some() {
        Disposition::Ignored
    } else if plan {
        Disposition::Planned
    } else {
        Disposition::Acted
    };
    o.reason = run.ignored;
    o.actions = run.rec.actions;
    if let Some(tk) = &token {
        if o.disposition == Disposition::Failed {
            gate::release(parts, &t.claim, Some(tk), &mut o).await;
        } else if let Err(e) = parts.store.complete(&t.claim, tk).await {
            // The work is done; a retry after the lease expires finds it done (idempotent).
            tracing::warn!(error = %e, claim = %t.claim, "could not mark the claim done");
            o.actions.push(intake_record(
                Stage::Log,
                "complete claim",
                &t.claim,
                Status::Skipped,
                &format!("{e}; the lease expires after response.lease_secs"),
            ));
        }
    }
    o.millis = elapsed(started);
    parts.finish(o).await
}

/// Keeps each applied remediation under its undo handle, then re-evaluates the checks the run
/// changed so their findings show the new state. A handle that cannot be kept fails the run
/// (alerted): a change nobody can undo must not pass silently.
async fn after_changes(parts: &Parts, t: &Target, run: &mut Run, event_id: &str) {
    for a in run.remediations.iter().filter(|a| a.status == Status::Done) {
        if let Err(e) = parts.store.put_remediation(a, event_id).await {
            run.rec.note(
                Stage::Log,
                "keep undo record",
                &a.id,
                Status::Failed,
                e,
                Some(a.prior.clone()),
            );
        }
    }
    if let (false, Some(r)) = (run.reevaluate.is_empty(), &parts.reassess) {
        run.rec
            .actions
            .push(r.run(&t.account, &t.region, &run.reevaluate).await);
    }
}

//! The intake gate one target passes before its playbook runs: region, Rampart's own calls and
//! the playbook's mode (pure, [`screen`]), then the lease (act once, never drop), the
//! playbook's budget in the account and the member session.

use super::parts::Parts;
use super::record::{elapsed, intake_record, ActionRecord, Disposition, Outcome, Stage, Status};
use super::store::Claim;
use aws_config::SdkConfig;
use rampart_common::event::ApiCall;
use rampart_common::response::Mode;
use rampart_common::ResponseConfig;
use rampart_member::respond::Target;
use std::time::Instant;

/// A target that passed the gate: leased (unless planned), budgeted, member reached.
pub struct Ready {
    pub o: Outcome,
    pub t: Target,
    pub plan: bool,
    pub token: Option<String>,
    pub member: SdkConfig,
}

/// The gate's decisions that need no AWS: `Ok(plan)` (whether the run only plans), or how the
/// target ends and why.
pub fn screen(
    cfg: &ResponseConfig,
    forced_plan: bool,
    t: &Target,
) -> Result<bool, (Disposition, String)> {
    if !cfg.region_allowed(&t.region) {
        let why = format!("region {} is not in response.allowed_regions", t.region);
        return Err((Disposition::Rejected, why));
    }
    let mode = t.playbook.mode(cfg);
    if mode == Mode::Off {
        let why = format!("playbook {} is off", t.playbook.name);
        return Err((Disposition::Ignored, why));
    }
    Ok(forced_plan || mode == Mode::Plan)
}

/// Passes one target through the gate. Returns it ready to run, or its finished outcome (with
/// any lease it took released, so a retry acts).
pub async fn pass(
    parts: &Parts,
    mut o: Outcome,
    t: Target,
    call: Option<&ApiCall>,
    started: Instant,
) -> Result<Ready, Outcome> {
    let account = t.account.clone();
    o.account = Some(account.clone());
    o.region = Some(t.region.clone());
    o.playbook = Some(t.playbook.name.to_string());
    let end = |mut o: Outcome, d: Disposition, why: String| {
        o.disposition = d;
        o.reason = Some(why);
        o.millis = elapsed(started);
        o
    };
    let plan = match screen(&parts.cfg, parts.plan, &t) {
        Ok(plan) => plan,
        Err((d, why)) => return Err(end(o, d, why)),
    };
    // Rampart's own calls (made with a session the hub opened) are not acted on; any other
    // session, on whatever role, is an ordinary actor.
    if let Some(key) = call.and_then(|c| {
        c.user_identity
            .get("accessKeyId")
            .and_then(serde_json::Value::as_str)
    }) {
        match parts.store.is_own_session(&account, key).await {
            Ok(true) => {
                let why =
                    format!("the call was made with Rampart's own session (access key {key})");
                return Err(end(o, Disposition::Ignored, why));
            }
            Ok(false) => {}
            // Unknown: act (a restore is idempotent) rather than risk ignoring an intruder.
            Err(e) => tracing::warn!(error = %e, "own-session lookup failed"),
        }
    }
    // Plans are not claimed: a later enforce run of the same event must still act.
    let token = if plan {
        None
    } else {
        match parts
            .store
            .claim(&t.claim, &o.event_id, parts.cfg.lease_secs())
            .await
        {
            Ok(Claim::Acquired { token }) => Some(token),
            Ok(Claim::Done { by }) => {
                let why = format!("already handled ({}, by event {by})", t.claim);
                return Err(end(o, Disposition::Duplicate, why));
            }
            Ok(Claim::Held { by, until }) => {
                let why = format!(
                    "event {by} holds the lease on {} until {until}; back in the intake queue until then",
                    t.claim
                );
                o.retry_after_secs = Some(
                    chrono::DateTime::parse_from_rfc3339(&until)
                        .map(|u| (u.timestamp() - parts.store.now_secs()).max(1) as u64)
                        .unwrap_or(60),
                );
                return Err(end(o, Disposition::Deferred, why));
            }
            // Without a claim the event could be acted on twice; fail so it is retried.
            Err(e) => {
                return Err(end(
                    o,
                    Disposition::Failed,
                    format!("cannot claim the event: {e}"),
                ))
            }
        }
    };
    // From here on a refusal gives the lease back.
    let (claim, held) = (t.claim.clone(), token.clone());
    let refuse = |mut o: Outcome, d: Disposition, why: String, record: Option<ActionRecord>| async move {
        release(parts, &claim, held.as_deref(), &mut o).await;
        o.actions.extend(record);
        Err(end(o, d, why))
    };
    if let (false, Some(key)) = (plan, t.budget_key()) {
        let name = t.playbook.name;
        let cap = parts.cfg.rate_cap_for(name);
        match parts.store.budget_left(&account, &key, cap).await {
            Ok(true) => {}
            Ok(false) => {
                o.resource = Some(account.clone());
                let wait = parts.store.secs_to_next_hour();
                o.retry_after_secs = Some(wait);
                let why = format!(
                    "action budget {key} in {account} is spent ({cap} runs that changed something per hour); back in the intake queue for {wait} s, until the hour turns"
                );
                let rec = intake_record(
                    Stage::Intake,
                    "action budget",
                    &account,
                    Status::Skipped,
                    &why,
                );
                return refuse(o, Disposition::Deferred, why, Some(rec)).await;
            }
            Err(e) => {
                let why = format!("cannot check the action budget: {e}");
                return refuse(o, Disposition::Failed, why, None).await;
            }
        }
    }
    let member = match parts
        .members
        .open(&account, "rampart-respond", &o.event_id)
        .await
    {
        Ok((c, key)) => {
            // Recorded before any call is made with it: our own changes must not come back
            // as an intruder's.
            if let Err(e) = parts.store.put_own_session(&account, &key).await {
                let why = format!("cannot record the session as Rampart's own: {e}");
                return refuse(o, Disposition::Failed, why, None).await;
            }
            c.to_builder()
                .region(aws_types::region::Region::new(t.region.clone()))
                .build()
        }
        Err(e) => {
            let rec = intake_record(
                Stage::PriorityAction,
                "sts:AssumeRole",
                &account,
                Status::Failed,
                &e,
            );
            let why = format!("cannot reach account {account}: {e}");
            return refuse(o, Disposition::Failed, why, Some(rec)).await;
        }
    };
    Ok(Ready {
        o,
        t,
        plan,
        token,
        member,
    })
}

/// Gives a lease up; a failure to do so is recorded (the lease then expires on its own).
pub async fn release(parts: &Parts, claim: &str, token: Option<&str>, o: &mut Outcome) {
    let Some(token) = token else {
        return;
    };
    if let Err(e) = parts.store.release(claim, token).await {
        tracing::warn!(error = %e, claim, "could not release the claim");
        o.actions.push(intake_record(
            Stage::Log,
            "release claim",
            claim,
            Status::Skipped,
            &format!("{e}; the lease expires after response.lease_secs"),
        ));
    }
}

#[cfg(test)]
mod tests;

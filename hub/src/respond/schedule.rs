//! The hourly schedule (and `rampart record-trails`): every member trail's configuration
//! recorded as the baseline the tamper playbook restores, drift reported; MFA seeds swept.

use super::parts::Parts;
use super::record::{self, elapsed, ActionRecord, Disposition, Outcome, Stage, Status};
use rampart_common::event::Event;
use rampart_member::respond::{auto_mfa, trails};
use std::time::Instant;

/// The trail-recording schedule is the hub's own rule in the hub's own account; a member
/// forwarding a "Scheduled Event" of its own must not make the hub rewrite the baselines.
pub fn schedule_is_ours(parts: &Parts, e: &Event) -> Result<(), String> {
    let hub = parts.trust.hub_account();
    let rule = parts.cfg.schedule_rule_arn(
        rampart_common::asff::partition_of(&parts.hub_region),
        &parts.hub_region,
        hub,
    );
    if e.envelope.account != hub {
        return Err(format!(
            "scheduled events are accepted only from the hub account {hub}, not {}",
            e.envelope.account
        ));
    }
    if !e.envelope.resources.iter().any(|r| r == &rule) {
        return Err(format!(
            "scheduled event from {} is not the hub's schedule rule {rule}",
            e.envelope
                .resources
                .first()
                .map(String::as_str)
                .unwrap_or("no rule")
        ));
    }
    Ok(())
}

/// Records every member trail's configuration: the baseline the tamper playbook restores.
/// A trail seen for the first time is recorded; a trail that differs from its record is
/// reported as drift and alerted, never silently recorded over (a tamperer's change must
/// not become the baseline). `accept_drift` (an operator's explicit choice) re-records it.
pub async fn record_trails(
    parts: &Parts,
    mut o: Outcome,
    started: Instant,
    accept_drift: bool,
) -> Outcome {
    use futures::StreamExt;
    let plan = parts.plan;
    let accounts = match parts.trust.directory.active_accounts().await {
        Ok(a) => a,
        Err(e) => {
            o.disposition = Disposition::Failed;
            o.reason = Some(format!("cannot list the organization's accounts: {e}"));
            o.millis = elapsed(started);
            return parts.finish(o).await;
        }
    };
    // Every region the hub responds in: a trail redirected in any of them is restored from
    // its record, so each must have one.
    let regions: Vec<String> = match &parts.cfg.allowed_regions {
        Some(r) if !r.iter().any(|x| x == "all") => r.clone(),
        _ => match rampart_member::regions::resolve(
            &parts.hub_config,
            &rampart_common::config::RegionSelection::AllEnabled,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => {
                o.disposition = Disposition::Failed;
                o.reason = Some(format!("cannot list the enabled regions: {e}"));
                o.millis = elapsed(started);
                return parts.finish(o).await;
            }
        },
    };
    let jobs: Vec<(String, String)> = accounts
        .iter()
        .flat_map(|a| regions.iter().map(move |r| (a.clone(), r.clone())))
        .collect();
    let event_id = o.event_id.clone();
    let results: Vec<(String, Vec<ActionRecord>)> = futures::stream::iter(jobs)
        .map(|(account, region)| {
            let event_id = event_id.clone();
            async move {
                let records =
                    record_one(parts, &account, &region, &event_id, plan, accept_drift).await;
                (account, records)
            }
        })
        .buffer_unordered(parts.cfg.record_concurrency())
        .collect()
        .await;
    // One outcome per account, audited and alerted on its own: one member's large or failing
    // record never holds back (or oversizes) another's.
    let mut per_account: std::collections::BTreeMap<String, Vec<ActionRecord>> =
        std::collections::BTreeMap::new();
    for (account, records) in results {
        per_account.entry(account).or_default().extend(records);
    }
    let mut outcomes = Vec::new();
    for (account, actions) in per_account {
        let mut a = Outcome::new(&o.event_id);
        a.playbook = o.playbook.clone();
        a.account = Some(account);
        a.actions = actions;
        judge(&mut a, plan);
        a.millis = elapsed(started);
        outcomes.push(parts.finish(a).await);
    }
    if let Some(summary) = refusal_summary(parts, &o.event_id).await {
        outcomes.push(summary);
    }
    o.actions = outcomes.iter().flat_map(|a| a.actions.clone()).collect();
    judge(&mut o, plan);
    o.targets = outcomes
        .into_iter()
        .map(|mut a| {
            a.actions.clear();
            a
        })
        .collect();
    o.millis = elapsed(started);
    tracing::info!(event_id = %o.event_id, disposition = ?o.disposition, reason = o.reason.as_deref().unwrap_or(""), "trails recorded");
    o
}

/// The disposition and reason of a record from its action records.
fn judge(o: &mut Outcome, plan: bool) {
    let count = |f: &dyn Fn(&ActionRecord) -> bool| o.actions.iter().filter(|a| f(a)).count();
    let failed = count(&|a| a.status == Status::Failed);
    let drift = count(&|a| a.action == "trail drift");
    let recorded = count(&|a| {
        a.action == "record trail configuration"
            && matches!(a.status, Status::Done | Status::Planned)
    });
    o.disposition = if failed > 0 {
        Disposition::Failed
    } else if drift > 0 || recorded > 0 {
        if plan {
            Disposition::Planned
        } else {
            Disposition::Acted
        }
    } else {
        Disposition::Ignored
    };
    o.reason = Some(format!(
        "{recorded} trail(s) {}, {drift} drifted from their record, {failed} failure(s)",
        if plan { "to record" } else { "recorded" }
    ));
    if drift > 0 {
        o.resource = Some(format!("{drift} drifted trail(s)"));
    }
}

/// The refused events of the last hour, per account: one alert instead of one per event.
async fn refusal_summary(parts: &Parts, event_id: &str) -> Option<Outcome> {
    let counts = match parts.store.refusals_last_hour().await {
        Ok(c) if c.is_empty() => return None,
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "refusals not summarised");
            return None;
        }
    };
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut o = Outcome::new(event_id);
    o.playbook = Some("intake".into());
    o.account = Some(parts.trust.hub_account().to_string());
    o.resource = Some(format!("{total} refused event(s) in the last hour"));
    o.reason = Some(
        counts
            .iter()
            .map(|(a, n)| format!("{a}: {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    o.forensics = Some(serde_json::json!({ "refused_per_account": counts }));
    Some(parts.finish(o).await)
}

async fn record_one(
    parts: &Parts,
    account: &str,
    region: &str,
    event_id: &str,
    plan: bool,
    accept_drift: bool,
) -> Vec<ActionRecord> {
    let t = Instant::now();
    let fail = |detail: String| ActionRecord {
        stage: Stage::Forensics,
        action: "record trail configuration".into(),
        target: format!("{account}/{region}"),
        status: Status::Failed,
        detail,
        prior_state: None,
        error_kind: None,
        started_at: record::now(),
        millis: u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    let member = match parts
        .members
        .open(account, "rampart-record", event_id)
        .await
    {
        Ok((c, _)) => c
            .to_builder()
            .region(aws_types::region::Region::new(region.to_string()))
            .build(),
        Err(e) => return vec![fail(e)],
    };
    let mut out = Vec::new();
    if parts.cfg.mfa_mode() == rampart_common::response::MfaMode::Enrol {
        out.extend(auto_mfa::sweep_seeds(&member, &parts.cfg, plan).await);
    }
    out.extend(trails::record(&member, &parts.store, account, region, plan, accept_drift).await);
    out
}

/// `rampart record-trails`: the schedule's work on an operator's request.
pub async fn record_trails_now(parts: &Parts, accept_drift: bool) -> Outcome {
    let started = Instant::now();
    let event_id = format!("cli-{}", uuid::Uuid::new_v4());
    let o = Outcome::operator(&event_id, "record-trails");
    record_trails(parts, o, started, accept_drift).await
}

//! Re-evaluating a control after a remediation (or its undo): the checks of the remedy run in
//! the account through the assessment role, exactly as a fleet run would, and their findings
//! are published, so Rampart's own finding turns PASSED (or FAILED again after an undo) at
//! once instead of at the next scheduled assessment.

use super::record::{self, ActionRecord, Stage, Status};
use crate::fleet;
use crate::org::Account;
use crate::session::Sessions;
use rampart_common::Benchmark;
use rampart_member::assess::{AccountPlan, Unobserved};
use rampart_member::checks::Settings;
use std::time::Instant;

/// How the hub reaches accounts to re-evaluate them.
pub struct Reassess {
    /// Sessions of the assessment role (read-only; it also imports findings).
    pub sessions: Sessions,
    pub benchmarks: Vec<&'static Benchmark>,
    /// Where account-level findings live.
    pub home_region: String,
    pub settings: Settings,
    /// Publish findings (the point of re-evaluating); off only when the deployment does not
    /// publish at all.
    pub publish: bool,
}

impl Reassess {
    /// Runs `checks` in the account and region (and the home region, where account-level
    /// findings live) and publishes their findings. The record says what they found; when
    /// they could not run or publish it is `skipped` with the reason (alerted with the
    /// outcome), never a failure of the remediation itself, which is already done.
    pub async fn run(&self, account: &str, region: &str, checks: &[&'static str]) -> ActionRecord {
        let t = Instant::now();
        let mut regions = vec![region.to_string()];
        if self.home_region != region {
            regions.push(self.home_region.clone());
        }
        let plan = AccountPlan {
            benchmarks: self.benchmarks.clone(),
            regions,
            home_region: self.home_region.clone(),
            rate_limit: 10.0,
            rate_burst: 10,
            publish: self.publish,
            enable_security_hub: false,
            only_failed: false,
            refresh_after_days: None,
            settings: self.settings.clone(),
            run_id: format!("remediation-{}", uuid::Uuid::new_v4().simple()),
            now: crate::time::now(),
            only_checks: Some(checks.to_vec()),
            retry: Default::default(),
        };
        let target = Account {
            id: account.to_string(),
            name: account.to_string(),
            parent: None,
            ancestors: Vec::new(),
        };
        let result =
            fleet::assess_one(&self.sessions, &target, &plan, Vec::new(), &Unobserved).await;
        let millis = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut status = Status::Done;
        let mut parts = Vec::new();
        for r in [&result] {
            if let Some(e) = &r.error {
                status = Status::Skipped;
                parts.push(format!("account unreachable: {e}"));
            }
            for o in &r.outcomes {
                let verdict = if o.is_error() {
                    status = Status::Skipped;
                    "ERROR".to_string()
                } else {
                    let failed = o.failures().count();
                    if failed == 0 {
                        "PASSED".to_string()
                    } else {
                        format!("FAILED ({failed} resource(s))")
                    }
                };
                parts.push(format!("{} in {}: {verdict}", o.check_id, o.region));
            }
            for p in &r.publish {
                if let Some(e) = &p.report.error {
                    status = Status::Skipped;
                    parts.push(format!("publishing in {}: {e}", p.region));
                } else if !p.report.failed.is_empty() {
                    status = Status::Skipped;
                    parts.push(format!(
                        "{} finding import(s) failed in {}",
                        p.report.failed.len(),
                        p.region
                    ));
                } else {
                    parts.push(format!(
                        "{}: {} imported, {} resolved",
                        p.region, p.report.imported, p.report.resolved
                    ));
                }
            }
        }
        ActionRecord {
            stage: Stage::Log,
            action: "re-evaluate".into(),
            target: format!("{account}/{region}"),
            status,
            detail: parts.join("; "),
            prior_state: None,
            error_kind: None,
            started_at: record::now(),
            millis,
        }
    }
}

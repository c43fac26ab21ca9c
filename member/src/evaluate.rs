//! Evaluation: run the benchmark's checks over snapshots and turn outcomes into findings.

use crate::checks::{by_id, Check, Eval, Settings};
use crate::snapshot::{AccountSnapshot, RegionSnapshot};
use rampart_common::asff::FindingContext;
use rampart_common::{Benchmark, CheckOutcome, CheckStatus, Finding};

/// The benchmark's checks, looked up once.
pub fn checks_of(benchmark: &Benchmark) -> Vec<Check> {
    benchmark
        .check_ids()
        .into_iter()
        .filter_map(by_id)
        .collect()
}

/// Account-scoped outcomes; they are reported in `home_region`.
pub fn evaluate_account(
    checks: &[Check],
    snap: &AccountSnapshot,
    home_region: &str,
    settings: &Settings,
) -> Vec<CheckOutcome> {
    checks
        .iter()
        .filter_map(|c| match c.eval {
            Eval::Account(f) => Some(CheckOutcome {
                check_id: c.meta.id.to_string(),
                account_id: snap.account_id.clone(),
                region: home_region.to_string(),
                status: f(snap, settings),
            }),
            Eval::NotAvailable(reason) => Some(CheckOutcome {
                check_id: c.meta.id.to_string(),
                account_id: snap.account_id.clone(),
                region: home_region.to_string(),
                status: CheckStatus::NotAvailable {
                    reason: reason.to_string(),
                },
            }),
            Eval::Region(_) => None,
        })
        .collect()
}

/// Region-scoped outcomes for one account-region.
pub fn evaluate_region(
    checks: &[Check],
    snap: &RegionSnapshot,
    settings: &Settings,
) -> Vec<CheckOutcome> {
    checks
        .iter()
        .filter_map(|c| match c.eval {
            Eval::Region(f) => Some(CheckOutcome {
                check_id: c.meta.id.to_string(),
                account_id: snap.account_id.clone(),
                region: snap.region.clone(),
                status: f(snap, settings),
            }),
            Eval::Account(_) | Eval::NotAvailable(_) => None,
        })
        .collect()
}

/// FAILED findings for the failed verdicts of `outcomes`.
pub fn findings(
    benchmark: &Benchmark,
    outcomes: &[CheckOutcome],
    now: &str,
    run_id: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for o in outcomes {
        let Some(check) = by_id(&o.check_id) else {
            continue;
        };
        let ctx = FindingContext {
            benchmark,
            account_id: &o.account_id,
            region: &o.region,
            now,
            run_id,
        };
        out.extend(
            o.failures()
                .map(|v| Finding::from_verdict(&check.meta, &ctx, v)),
        );
    }
    out
}

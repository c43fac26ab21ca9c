//! One account's assessment: collect its account-wide part and every region's part in
//! parallel (each paced by its own token bucket), read again the parts a transient error cost
//! (`retry_pass`), evaluate the checks, and publish the findings into the account's own
//! Security Hub. The fleet, the Step Functions account step, the AWS Config rule and the
//! re-evaluation after a remediation all run this; the hub only opens the session and hands
//! over its credentials.

use crate::checks::{Check, Settings};
use crate::collect::{self, in_region};
use crate::evaluate::{self, checks_for, FindingScope};
use crate::publish::{self, PublishReport};
use crate::retry_pass::{self, RetryPass};
use crate::snapshot::{AccountSnapshot, Collected, OrgSnapshot, RegionSnapshot};
use crate::RateLimiter;
use aws_config::SdkConfig;
use rampart_common::{Benchmark, CheckOutcome};
use serde::{Deserialize, Serialize};

/// What one account's assessment does.
#[derive(Debug, Clone)]
pub struct AccountPlan {
    /// Benchmark versions assessed; their checks run once, findings are per version.
    pub benchmarks: Vec<&'static Benchmark>,
    pub regions: Vec<String>,
    /// Region that receives account-level (global) findings.
    pub home_region: String,
    pub rate_limit: f64,
    pub rate_burst: u32,
    pub publish: bool,
    pub enable_security_hub: bool,
    /// Publish FAILED findings only (`--only-failed`).
    pub only_failed: bool,
    /// Re-import an unchanged finding only once its last import is this many days old
    /// (`None`: every run).
    pub refresh_after_days: Option<u32>,
    pub settings: Settings,
    pub run_id: String,
    /// RFC 3339 time of the run.
    pub now: String,
    /// Run only these checks (a remediation's re-evaluation); stale findings are closed only
    /// for the checks that ran. `None`: every check of the benchmarks.
    pub only_checks: Option<Vec<&'static str>>,
    /// Reads that failed on a transient error (throttling, 5xx, reset, timeout) get another
    /// pass after the account's other work ([`RetryPass::default`]: two at most).
    pub retry: RetryPass,
}

impl AccountPlan {
    /// The checks this plan runs.
    pub fn checks(&self) -> Vec<Check> {
        let mut checks = checks_for(&self.benchmarks);
        if let Some(only) = &self.only_checks {
            checks.retain(|c| only.contains(&c.meta.id));
        }
        checks
    }

    /// The display name of the plan's benchmarks.
    pub fn benchmark_names(&self) -> String {
        names(&self.benchmarks)
    }

    /// The plan's benchmark keys.
    pub fn benchmark_keys(&self) -> Vec<String> {
        self.benchmarks.iter().map(|b| b.key.to_string()).collect()
    }

    fn scope(&self) -> FindingScope {
        if self.only_failed {
            FindingScope::OnlyFailed
        } else {
            FindingScope::Complete
        }
    }
}

/// A fresh bucket for an extra pass: half the plan's rate, no burst, since the quota was just
/// exceeded.
fn paced(plan: &AccountPlan) -> RateLimiter {
    RateLimiter::new(plan.rate_limit / 2.0, 1)
}

/// Benchmark names joined for display.
pub fn names(benchmarks: &[&Benchmark]) -> String {
    benchmarks
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Publishing into one region of one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegionPublish {
    pub region: String,
    #[serde(flatten)]
    pub report: PublishReport,
}

/// Everything about one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountResult {
    pub account_id: String,
    pub name: String,
    /// Set when the account could not be reached at all (role missing, access denied).
    pub error: Option<String>,
    /// Set when `--save-snapshots` could not write this account's snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_error: Option<String>,
    pub outcomes: Vec<CheckOutcome>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publish: Vec<RegionPublish>,
}

impl AccountResult {
    /// A result with nothing in it yet.
    pub fn new(account_id: &str, name: &str) -> AccountResult {
        AccountResult {
            account_id: account_id.to_string(),
            name: name.to_string(),
            error: None,
            snapshot_error: None,
            outcomes: Vec::new(),
            publish: Vec::new(),
        }
    }

    /// The account could not be reached.
    pub fn unreachable(account_id: &str, name: &str, error: String) -> AccountResult {
        let mut r = AccountResult::new(account_id, name);
        r.error = Some(error);
        r
    }
}

/// Watches the snapshots an assessment collects (saving them, `--save-snapshots`). An error
/// is the account's `snapshot_error`, never the end of its assessment.
pub trait Observer: Send + Sync {
    fn account(&self, snap: &AccountSnapshot) -> Result<(), String>;
    fn region(&self, snap: &RegionSnapshot) -> Result<(), String>;
    fn organization(&self, snap: &OrgSnapshot) -> Result<(), String>;
}

/// Watches nothing.
pub struct Unobserved;

impl Observer for Unobserved {
    fn account(&self, _: &AccountSnapshot) -> Result<(), String> {
        Ok(())
    }
    fn region(&self, _: &RegionSnapshot) -> Result<(), String> {
        Ok(())
    }
    fn organization(&self, _: &OrgSnapshot) -> Result<(), String> {
        Ok(())
    }
}

/// Assesses one account with its credentials (`sdk`): collect, evaluate, publish. `extra`
/// outcomes (the organization's, owned by the hub's account) are published with the account's.
pub async fn account(
    sdk: &SdkConfig,
    account_id: &str,
    name: &str,
    plan: &AccountPlan,
    extra: Vec<CheckOutcome>,
    observer: &dyn Observer,
) -> AccountResult {
    let mut result = AccountResult::new(account_id, name);
    let checks = plan.checks();
    // Global services (IAM) have their own quota, separate from any region's; each region
    // gets its own bucket.
    let global = RateLimiter::new(plan.rate_limit, plan.rate_burst);
    let region_parts = futures::future::join_all(plan.regions.iter().map(|region| async move {
        let rl = RateLimiter::new(plan.rate_limit, plan.rate_burst);
        collect::collect_region(sdk, account_id, region, &rl).await
    }));
    let (account_snap, region_snaps) = tokio::join!(
        collect::collect_account(sdk, account_id, &plan.home_region, &global),
        region_parts
    );
    // After the account's other work: the parts a transient error cost are read again,
    // paced, before their checks are reported as errors (nothing happens when none did).
    let (account_snap, snaps) = tokio::join!(
        retry_pass::settle(account_snap, &plan.retry, "account", || async move {
            let rl = paced(plan);
            collect::collect_account(sdk, account_id, &plan.home_region, &rl).await
        }),
        futures::future::join_all(region_snaps.into_iter().zip(&plan.regions).map(
            |(snap, region)| {
                retry_pass::settle(snap, &plan.retry, region, move || async move {
                    let rl = paced(plan);
                    collect::collect_region(sdk, account_id, region, &rl).await
                })
            }
        ))
    );
    let mut outcomes =
        evaluate::evaluate_account(&checks, &account_snap, &plan.home_region, &plan.settings);
    let mut save_errors: Vec<String> = observer.account(&account_snap).err().into_iter().collect();
    let mut hub_enabled = Vec::with_capacity(snaps.len());
    for snap in &snaps {
        outcomes.extend(evaluate::evaluate_region(&checks, snap, &plan.settings));
        save_errors.extend(observer.region(snap).err());
        // The 4.16 collector already asked DescribeHub; publishing reuses the answer.
        hub_enabled.push(match &snap.securityhub_enabled {
            Collected::Ok(on) => Some(*on),
            Collected::Err(_) => None,
        });
    }
    let refs: Vec<&RegionSnapshot> = snaps.iter().collect();
    outcomes.extend(evaluate::evaluate_across_regions(
        &checks,
        account_id,
        &plan.home_region,
        &refs,
        &plan.settings,
    ));
    outcomes.extend(extra);
    if !save_errors.is_empty() {
        result.snapshot_error = Some(save_errors.join("; "));
    }
    result.outcomes = outcomes;
    if plan.publish {
        let publishes = futures::future::join_all(plan.regions.iter().zip(&hub_enabled).map(
            |(region, enabled)| {
                publish_outcomes(sdk, account_id, region, &result.outcomes, plan, *enabled)
            },
        ))
        .await;
        result.publish = publishes;
    }
    result
}

/// Reads the organization with the hub's credentials (the management account or a delegated
/// administrator) and judges the organization-level checks, owned by `hub_account`.
pub async fn organization(
    sdk: Result<&SdkConfig, String>,
    hub_account: &str,
    checks: &[Check],
    plan: &AccountPlan,
    observer: &dyn Observer,
) -> Vec<CheckOutcome> {
    let snap = match sdk {
        Ok(cfg) => {
            let cfg = &in_region(cfg, &plan.home_region);
            let rl = RateLimiter::new(plan.rate_limit, plan.rate_burst);
            let first = collect::organization::collect(cfg, hub_account, &rl).await;
            retry_pass::settle(first, &plan.retry, "organization", || async move {
                collect::organization::collect(cfg, hub_account, &paced(plan)).await
            })
            .await
        }
        Err(e) => {
            let mut s = OrgSnapshot::empty(hub_account);
            s.organization = Collected::Err(e.into());
            s
        }
    };
    if let Err(e) = observer.organization(&snap) {
        tracing::warn!(error = %e, "organization snapshot not saved");
    }
    evaluate::evaluate_organization(checks, &snap, &plan.home_region, &plan.settings)
}

/// Publishes one account-region's outcomes (with this plan's benchmarks, scope and refresh):
/// findings in, stale findings of checks that ran closed. `known_enabled` is Security Hub's
/// state if this run already read it.
pub async fn publish_outcomes(
    sdk: &SdkConfig,
    account_id: &str,
    region: &str,
    outcomes: &[CheckOutcome],
    plan: &AccountPlan,
    known_enabled: Option<bool>,
) -> RegionPublish {
    let run = publish::RunPublish {
        benchmarks: &plan.benchmarks,
        scope: plan.scope(),
        run_id: &plan.run_id,
        now: &plan.now,
        refresh_after_days: plan.refresh_after_days,
        enable_security_hub: plan.enable_security_hub,
    };
    RegionPublish {
        region: region.to_string(),
        report: publish::publish_region(sdk, account_id, region, outcomes, &run, known_enabled)
            .await,
    }
}

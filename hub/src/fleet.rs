//! The fleet scheduler: assess every target account, accounts in parallel (bounded), regions
//! in parallel within an account, API calls paced per account-region.
//!
//! A failing account or region becomes a result; it never ends the run.

use crate::org::Account;
use crate::session::Sessions;
use crate::snapshots;
use futures::stream::{self, StreamExt};
use rampart_common::{Benchmark, CheckOutcome};
use rampart_member::checks::Settings;
use rampart_member::collect::{self, in_region};
use rampart_member::evaluate::{self, checks_of};
use rampart_member::publish::{self, PublishReport, PublishRequest, RanCheck};
use rampart_member::{securityhub, RateLimiter};
use serde::{Deserialize, Serialize};

/// Security Hub's BatchImportFindings quota per account-region: 10 requests/s, burst 30.
const SECURITYHUB_RATE: f64 = 10.0;
const SECURITYHUB_BURST: u32 = 30;

/// What one fleet run does.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    pub benchmark: &'static Benchmark,
    pub regions: Vec<String>,
    /// Region that receives account-level (global) findings.
    pub home_region: String,
    pub concurrency: usize,
    pub rate_limit: f64,
    pub rate_burst: u32,
    pub publish: bool,
    pub enable_security_hub: bool,
    pub settings: Settings,
    pub run_id: String,
    /// RFC 3339 time of the run.
    pub now: String,
    /// Where to save each account's snapshots (`--save-snapshots`), if anywhere.
    pub snapshot_dir: Option<std::path::PathBuf>,
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

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetReport {
    pub run_id: String,
    pub started_at: String,
    /// When the last account finished (absent in reports of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub benchmark: String,
    pub regions: Vec<String>,
    pub home_region: String,
    pub accounts: Vec<AccountResult>,
}

/// Runs the plan over `accounts`; results come back sorted by account id.
pub async fn run(sessions: &Sessions, accounts: &[Account], plan: &FleetPlan) -> FleetReport {
    run_observed(sessions, accounts, plan, &mut |_| {}).await
}

/// As [`run`], calling `on_account` as each account finishes (progress display).
pub async fn run_observed(
    sessions: &Sessions,
    accounts: &[Account],
    plan: &FleetPlan,
    on_account: &mut (dyn FnMut(&AccountResult) + Send),
) -> FleetReport {
    let total = accounts.len();
    let mut done = 0usize;
    let mut failing = 0usize;
    let mut results = Vec::with_capacity(total);
    // Owned items keep the stream's future `Send` (borrowed items trip a higher-ranked
    // lifetime limitation when the run is spawned onto a runtime).
    let mut stream = stream::iter(accounts.iter().cloned())
        .map(|a| async move { Box::pin(assess_account(sessions, &a, plan)).await })
        .buffer_unordered(plan.concurrency.max(1));
    while let Some(r) = stream.next().await {
        done += 1;
        let failed = r
            .outcomes
            .iter()
            .map(|o| o.failures().count())
            .sum::<usize>();
        let errors =
            r.outcomes.iter().filter(|o| o.is_error()).count() + usize::from(r.error.is_some());
        if failed > 0 || errors > 0 {
            failing += 1;
        }
        tracing::debug!(account = %r.account_id, failed, errors, done, total, accounts_failing = failing, "account assessed");
        on_account(&r);
        results.push(r);
    }
    results.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    FleetReport {
        run_id: plan.run_id.clone(),
        started_at: plan.now.clone(),
        finished_at: Some(crate::time::now()),
        benchmark: plan.benchmark.name.to_string(),
        regions: plan.regions.clone(),
        home_region: plan.home_region.clone(),
        accounts: results,
    }
}

async fn assess_account(sessions: &Sessions, account: &Account, plan: &FleetPlan) -> AccountResult {
    let mut result = AccountResult {
        account_id: account.id.clone(),
        name: account.name.clone(),
        error: None,
        snapshot_error: None,
        outcomes: Vec::new(),
        publish: Vec::new(),
    };
    let cfg = match sessions.open(&account.id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(account = %account.id, error = %e, "account unreachable");
            result.error = Some(e);
            return result;
        }
    };
    let checks = checks_of(plan.benchmark);
    // Global services (IAM) have their own quota, separate from any region's; each region
    // gets its own bucket.
    let global = RateLimiter::new(plan.rate_limit, plan.rate_burst);
    let account_part = async {
        let snap = collect::collect_account(&cfg, &account.id, &plan.home_region, &global).await;
        let outcomes =
            evaluate::evaluate_account(&checks, &snap, &plan.home_region, &plan.settings);
        let saved = match &plan.snapshot_dir {
            Some(dir) => snapshots::save_account(dir, &snap),
            None => Ok(()),
        };
        (outcomes, saved)
    };
    let region_parts = futures::future::join_all(plan.regions.iter().map(|region| {
        let checks = &checks;
        let cfg = &cfg;
        async move {
            let rl = RateLimiter::new(plan.rate_limit, plan.rate_burst);
            let snap = collect::collect_region(cfg, &account.id, region, &rl).await;
            let outcomes = evaluate::evaluate_region(checks, &snap, &plan.settings);
            let saved = match &plan.snapshot_dir {
                Some(dir) => snapshots::save_region(dir, &snap),
                None => Ok(()),
            };
            // The 4.16 collector already asked DescribeHub; publishing reuses the answer.
            let hub_enabled = match &snap.securityhub_enabled {
                rampart_member::Collected::Ok(on) => Some(*on),
                rampart_member::Collected::Err(_) => None,
            };
            (outcomes, saved, hub_enabled)
        }
    }));
    let ((mut outcomes, saved), regional) = tokio::join!(account_part, region_parts);
    let mut save_errors: Vec<String> = saved.err().into_iter().collect();
    let mut hub_enabled = Vec::with_capacity(regional.len());
    for (o, saved, enabled) in regional {
        outcomes.extend(o);
        save_errors.extend(saved.err());
        hub_enabled.push(enabled);
    }
    if !save_errors.is_empty() {
        result.snapshot_error = Some(save_errors.join("; "));
    }
    result.outcomes = outcomes;

    if plan.publish {
        let publishes = futures::future::join_all(plan.regions.iter().zip(&hub_enabled).map(
            |(region, enabled)| {
                publish_outcomes(&cfg, &account.id, region, &result.outcomes, plan, *enabled)
            },
        ))
        .await;
        result.publish = publishes;
    }
    result
}

/// Publishes one account-region's outcomes: FAILED findings in, stale findings of checks that ran closed.
/// `known_enabled` is Security Hub's state if this run already read it (None: ask DescribeHub).
pub async fn publish_outcomes(
    cfg: &aws_config::SdkConfig,
    account_id: &str,
    region: &str,
    outcomes: &[CheckOutcome],
    plan: &FleetPlan,
    known_enabled: Option<bool>,
) -> RegionPublish {
    let client = aws_sdk_securityhub::Client::new(&in_region(cfg, region));
    let here: Vec<CheckOutcome> = outcomes
        .iter()
        .filter(|o| o.region == region)
        .cloned()
        .collect();
    let fail = |e: String| RegionPublish {
        region: region.to_string(),
        report: PublishReport {
            error: Some(e),
            ..Default::default()
        },
    };
    let enabled = match known_enabled {
        Some(on) => Ok(on),
        None => securityhub::is_enabled(&client).await,
    };
    match enabled {
        Ok(true) => {}
        Ok(false) if plan.enable_security_hub => {
            if let Err(e) = securityhub::enable(&client).await {
                return fail(e);
            }
            tracing::info!(account = %account_id, region, "enabled Security Hub");
        }
        Ok(false) => {
            return fail(format!(
                "Security Hub is not enabled in account {account_id} region {region}; enable it or rerun with --enable-security-hub"
            ))
        }
        Err(e) => return fail(e),
    }
    let findings = evaluate::findings(plan.benchmark, &here, &plan.now, &plan.run_id);
    let ran_checks = here
        .iter()
        .filter(|o| o.ran())
        .map(|o| RanCheck {
            check_id: o.check_id.clone(),
            resources: o.verdicts().iter().map(|v| v.resource.id.clone()).collect(),
        })
        .collect();
    let req = PublishRequest {
        account_id: account_id.to_string(),
        region: region.to_string(),
        findings,
        ran_checks,
        now: plan.now.clone(),
    };
    let rl = RateLimiter::new(SECURITYHUB_RATE, SECURITYHUB_BURST);
    let report = publish::publish(&client, &req, &rl).await;
    if report.error.is_some() || !report.failed.is_empty() {
        tracing::warn!(account = %account_id, region, failed = report.failed.len(), error = ?report.error, "publishing incomplete");
    }
    RegionPublish {
        region: region.to_string(),
        report,
    }
}

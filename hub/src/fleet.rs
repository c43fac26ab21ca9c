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
use rampart_member::evaluate::{self, checks_for, FindingScope};
use rampart_member::publish::{self, PublishReport};
use rampart_member::RateLimiter;
use serde::{Deserialize, Serialize};

/// What one fleet run does.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    /// Benchmark versions assessed; their checks run once, findings are per version.
    pub benchmarks: Vec<&'static Benchmark>,
    /// Judge the organization-level requirements in this run (once per fleet run: a Step
    /// Functions child that assesses one member account leaves them to the hub's child).
    pub organization: bool,
    pub regions: Vec<String>,
    /// Region that receives account-level (global) findings.
    pub home_region: String,
    pub concurrency: usize,
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
    /// Where to save each account's snapshots (`--save-snapshots`), if anywhere.
    pub snapshot_dir: Option<std::path::PathBuf>,
    /// Run only these checks (a remediation's re-evaluation); stale findings are closed only
    /// for the checks that ran. `None`: every check of the benchmarks.
    pub only_checks: Option<Vec<&'static str>>,
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
    /// Names of the benchmark versions, comma-separated (display).
    pub benchmark: String,
    /// Keys of the benchmark versions assessed (`cis-7.0.0`); absent in reports of older
    /// versions, which name one benchmark in `benchmark`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<String>,
    pub regions: Vec<String>,
    pub home_region: String,
    pub accounts: Vec<AccountResult>,
}

impl FleetPlan {
    /// The checks this plan runs.
    pub fn checks(&self) -> Vec<rampart_member::checks::Check> {
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

/// Benchmark names joined for display.
pub fn names(benchmarks: &[&Benchmark]) -> String {
    benchmarks
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl FleetReport {
    /// The benchmark tables the run assessed: from `benchmarks`, or the one `benchmark`
    /// names in older reports (v3.0.0 when it names none Rampart knows).
    pub fn benchmark_tables(&self) -> Vec<&'static Benchmark> {
        let from_keys: Vec<&'static Benchmark> = self
            .benchmarks
            .iter()
            .filter_map(|k| rampart_common::benchmarks::by_name(k).ok())
            .collect();
        if !from_keys.is_empty() {
            return from_keys;
        }
        let from_names: Vec<&'static Benchmark> = self
            .benchmark
            .split(", ")
            .filter_map(|n| rampart_common::benchmarks::by_name(n).ok())
            .collect();
        if from_names.is_empty() {
            vec![&rampart_common::benchmarks::CIS_V3_0_0]
        } else {
            from_names
        }
    }
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
    let checks = plan.checks();
    // Organization-level requirements: judged once, from the hub's own credentials (the
    // management account or a delegated administrator), owned by the hub's account.
    let org_outcomes = if plan.organization && evaluate::has_organization_checks(&checks) {
        Some(organization_outcomes(sessions, &checks, plan).await)
    } else {
        None
    };
    let hub_account = sessions.hub_account().to_string();
    let hub_assessed = accounts.iter().any(|a| a.id == hub_account);
    let mut done = 0usize;
    let mut failing = 0usize;
    let mut results = Vec::with_capacity(total);
    // Owned items keep the stream's future `Send` (borrowed items trip a higher-ranked
    // lifetime limitation when the run is spawned onto a runtime).
    let mut stream = stream::iter(accounts.iter().cloned())
        .map(|a| {
            let extra = match &org_outcomes {
                Some(o) if a.id == hub_account => o.clone(),
                _ => Vec::new(),
            };
            async move { Box::pin(assess_account(sessions, &a, plan, extra)).await }
        })
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
    drop(stream);
    // The hub's account is not among the targets: its organization findings still go to its
    // own Security Hub, in a row of their own.
    if let (Some(outcomes), false) = (org_outcomes, hub_assessed) {
        let mut r = AccountResult {
            account_id: hub_account.clone(),
            name: "organization (hub account)".into(),
            error: None,
            snapshot_error: None,
            outcomes,
            publish: Vec::new(),
        };
        if plan.publish {
            match sessions.open(&hub_account).await {
                Ok(cfg) => {
                    r.publish = vec![
                        publish_outcomes(
                            &cfg,
                            &hub_account,
                            &plan.home_region,
                            &r.outcomes,
                            plan,
                            None,
                        )
                        .await,
                    ]
                }
                Err(e) => r.error = Some(e),
            }
        }
        on_account(&r);
        results.push(r);
    }
    results.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    FleetReport {
        run_id: plan.run_id.clone(),
        started_at: plan.now.clone(),
        finished_at: Some(crate::time::now()),
        benchmark: plan.benchmark_names(),
        benchmarks: plan.benchmark_keys(),
        regions: plan.regions.clone(),
        home_region: plan.home_region.clone(),
        accounts: results,
    }
}

/// Reads the organization with the hub's credentials and judges the organization checks.
async fn organization_outcomes(
    sessions: &Sessions,
    checks: &[rampart_member::checks::Check],
    plan: &FleetPlan,
) -> Vec<CheckOutcome> {
    let hub = sessions.hub_account();
    let snap = match sessions.open(hub).await {
        Ok(cfg) => {
            let rl = RateLimiter::new(plan.rate_limit, plan.rate_burst);
            collect::organization::collect(&in_region(&cfg, &plan.home_region), hub, &rl).await
        }
        Err(e) => {
            let mut s = rampart_member::snapshot::OrgSnapshot::empty(hub);
            s.organization = rampart_member::Collected::Err(e);
            s
        }
    };
    if let Some(dir) = &plan.snapshot_dir {
        if let Err(e) = snapshots::save_org(dir, &snap) {
            tracing::warn!(error = %e, "organization snapshot not saved");
        }
    }
    evaluate::evaluate_organization(checks, &snap, &plan.home_region, &plan.settings)
}

async fn assess_account(
    sessions: &Sessions,
    account: &Account,
    plan: &FleetPlan,
    extra: Vec<CheckOutcome>,
) -> AccountResult {
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
    let checks = plan.checks();
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
            (outcomes, saved, hub_enabled, snap)
        }
    }));
    let ((mut outcomes, saved), regional) = tokio::join!(account_part, region_parts);
    let mut save_errors: Vec<String> = saved.err().into_iter().collect();
    let mut hub_enabled = Vec::with_capacity(regional.len());
    let mut snaps = Vec::with_capacity(regional.len());
    for (o, saved, enabled, snap) in regional {
        outcomes.extend(o);
        save_errors.extend(saved.err());
        hub_enabled.push(enabled);
        snaps.push(snap);
    }
    let refs: Vec<&rampart_member::RegionSnapshot> = snaps.iter().collect();
    outcomes.extend(evaluate::evaluate_across_regions(
        &checks,
        &account.id,
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
                publish_outcomes(&cfg, &account.id, region, &result.outcomes, plan, *enabled)
            },
        ))
        .await;
        result.publish = publishes;
    }
    result
}

/// Publishes one account-region's outcomes (the member's publishing job, with this plan's
/// benchmarks, scope and refresh): FAILED findings in, stale findings of checks that ran
/// closed. `known_enabled` is Security Hub's state if this run already read it.
pub async fn publish_outcomes(
    cfg: &aws_config::SdkConfig,
    account_id: &str,
    region: &str,
    outcomes: &[CheckOutcome],
    plan: &FleetPlan,
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
        report: publish::publish_region(cfg, account_id, region, outcomes, &run, known_enabled)
            .await,
    }
}

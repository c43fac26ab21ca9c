//! The fleet scheduler: assess every target account, accounts in parallel (bounded); inside
//! each account the member's one-account assessment (`rampart_member::assess`) runs with the
//! session the hub opened.
//!
//! A failing account or region becomes a result; it never ends the run.

pub use crate::fleet_report::{names, AccountResult, FleetReport, RegionPublish};
use crate::org::Account;
use crate::session::Sessions;
use futures::stream::{self, StreamExt};
use rampart_common::CheckOutcome;
use rampart_member::assess::{self, AccountPlan, Observer, Unobserved};
use rampart_member::evaluate;

/// What one fleet run does: the plan every account's assessment follows, and how the fleet
/// runs them.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    pub account: AccountPlan,
    /// Judge the organization-level requirements in this run (once per fleet run: a Step
    /// Functions child that assesses one member account leaves them to the hub's child).
    pub organization: bool,
    /// Accounts assessed at once.
    pub concurrency: usize,
}

/// Runs the plan over `accounts`; results come back sorted by account id.
pub async fn run(sessions: &Sessions, accounts: &[Account], plan: &FleetPlan) -> FleetReport {
    run_observed(sessions, accounts, plan, &Unobserved, &mut |_| {}).await
}

/// As [`run`], with an observer of the snapshots (saving them) and calling `on_account` as
/// each account finishes (progress display).
pub async fn run_observed(
    sessions: &Sessions,
    accounts: &[Account],
    plan: &FleetPlan,
    observer: &dyn Observer,
    on_account: &mut (dyn FnMut(&AccountResult) + Send),
) -> FleetReport {
    let total = accounts.len();
    let aplan = &plan.account;
    let checks = aplan.checks();
    // Organization-level requirements: judged once, from the hub's own credentials (the
    // management account or a delegated administrator), owned by the hub's account.
    let org_outcomes = if plan.organization && evaluate::has_organization_checks(&checks) {
        Some(organization_outcomes(sessions, aplan, observer).await)
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
            async move { Box::pin(assess_one(sessions, &a, aplan, extra, observer)).await }
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
        let mut r = AccountResult::new(&hub_account, "organization (hub account)");
        r.outcomes = outcomes;
        if aplan.publish {
            match sessions.open(&hub_account).await {
                Ok(cfg) => {
                    r.publish = vec![
                        assess::publish_outcomes(
                            &cfg,
                            &hub_account,
                            &aplan.home_region,
                            &r.outcomes,
                            aplan,
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
        run_id: aplan.run_id.clone(),
        started_at: aplan.now.clone(),
        finished_at: Some(crate::time::now()),
        benchmark: aplan.benchmark_names(),
        benchmarks: aplan.benchmark_keys(),
        regions: aplan.regions.clone(),
        home_region: aplan.home_region.clone(),
        accounts: results,
    }
}

/// One account: the hub opens its session, the member assesses it. `extra` outcomes (the
/// organization's) are published with the account's own.
pub async fn assess_one(
    sessions: &Sessions,
    account: &Account,
    plan: &AccountPlan,
    extra: Vec<CheckOutcome>,
    observer: &dyn Observer,
) -> AccountResult {
    match sessions.open(&account.id).await {
        Ok(cfg) => assess::account(&cfg, &account.id, &account.name, plan, extra, observer).await,
        Err(e) => {
            tracing::warn!(account = %account.id, error = %e, "account unreachable");
            AccountResult::unreachable(&account.id, &account.name, e)
        }
    }
}

/// The organization-level outcomes, judged with the hub's own credentials.
pub async fn organization_outcomes(
    sessions: &Sessions,
    plan: &AccountPlan,
    observer: &dyn Observer,
) -> Vec<CheckOutcome> {
    let hub = sessions.hub_account();
    let cfg = sessions.open(hub).await;
    assess::organization(
        cfg.as_ref().map_err(Clone::clone),
        hub,
        &plan.checks(),
        plan,
        observer,
    )
    .await
}

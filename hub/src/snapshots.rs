//! Saved runs: snapshots written during `assess --save-snapshots DIR`, re-evaluated offline by
//! `evaluate --snapshots DIR` with no network, and compared by `diff`.
//!
//! Layout: `DIR/run.json` (run metadata), `DIR/<account>/account.json`,
//! `DIR/<account>/region-<region>.json`, `DIR/organization.json` (the organization as the
//! hub read it, when the run assessed organization-level requirements).

use crate::fleet_report::{names, AccountResult, FleetReport};
use rampart_common::Benchmark;
use rampart_member::checks::Settings;
use rampart_member::evaluate::{self, checks_for};
use rampart_member::{AccountSnapshot, RegionSnapshot};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What `run.json` records about the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunMeta {
    pub run_id: String,
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub benchmark: String,
    /// Benchmark keys of the run (absent in runs saved by older versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<String>,
    pub regions: Vec<String>,
    pub home_region: String,
    pub accounts: Vec<AccountMeta>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountMeta {
    pub id: String,
    pub name: String,
    /// Why the account could not be collected, if it could not.
    pub error: Option<String>,
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let text = serde_json::to_vec(value)
        .map_err(|e| format!("cannot serialize {}: {e}", path.display()))?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not a valid snapshot: {e}", path.display()))
}

pub fn save_account(dir: &Path, snap: &AccountSnapshot) -> Result<(), String> {
    write_json(&dir.join(&snap.account_id).join("account.json"), snap)
}

pub fn save_region(dir: &Path, snap: &RegionSnapshot) -> Result<(), String> {
    write_json(
        &dir.join(&snap.account_id)
            .join(format!("region-{}.json", snap.region)),
        snap,
    )
}

/// Writes `organization.json`: what the organization-level requirements were judged on.
pub fn save_org(dir: &Path, snap: &rampart_member::snapshot::OrgSnapshot) -> Result<(), String> {
    write_json(&dir.join("organization.json"), snap)
}

/// Saves every snapshot an assessment collects under `DIR` as it goes (`--save-snapshots`).
pub struct SnapshotDir(pub std::path::PathBuf);

impl rampart_member::assess::Observer for SnapshotDir {
    fn account(&self, snap: &AccountSnapshot) -> Result<(), String> {
        save_account(&self.0, snap)
    }
    fn region(&self, snap: &RegionSnapshot) -> Result<(), String> {
        save_region(&self.0, snap)
    }
    fn organization(&self, snap: &rampart_member::snapshot::OrgSnapshot) -> Result<(), String> {
        save_org(&self.0, snap)
    }
}

/// Writes `run.json` from a finished run's report.
pub fn save_run(dir: &Path, report: &FleetReport) -> Result<(), String> {
    let meta = RunMeta {
        run_id: report.run_id.clone(),
        started_at: report.started_at.clone(),
        finished_at: report.finished_at.clone(),
        benchmark: report.benchmark.clone(),
        benchmarks: report.benchmarks.clone(),
        regions: report.regions.clone(),
        home_region: report.home_region.clone(),
        accounts: report
            .accounts
            .iter()
            .map(|a| AccountMeta {
                id: a.account_id.clone(),
                name: a.name.clone(),
                error: a.error.clone(),
            })
            .collect(),
    };
    write_json(&dir.join("run.json"), &meta)
}

/// Re-evaluates a saved run with the current checks; reads files only. `benchmarks`: the
/// versions to evaluate against, or `None` for the run's own. Organization-level
/// requirements are not in snapshots: they are evaluated by live runs only.
pub fn evaluate_dir(
    dir: &Path,
    benchmarks: Option<&[&'static Benchmark]>,
    settings: &Settings,
) -> Result<FleetReport, String> {
    let meta: RunMeta = read_json(&dir.join("run.json"))?;
    let benchmarks: Vec<&'static Benchmark> = match benchmarks {
        Some(b) => b.to_vec(),
        None => FleetReport {
            run_id: String::new(),
            started_at: String::new(),
            finished_at: None,
            benchmark: meta.benchmark.clone(),
            benchmarks: meta.benchmarks.clone(),
            regions: Vec::new(),
            home_region: String::new(),
            accounts: Vec::new(),
        }
        .benchmark_tables(),
    };
    let checks = checks_for(&benchmarks);
    let mut accounts = Vec::new();
    for a in &meta.accounts {
        let mut result = AccountResult {
            account_id: a.id.clone(),
            name: a.name.clone(),
            error: a.error.clone(),
            snapshot_error: None,
            outcomes: Vec::new(),
            publish: Vec::new(),
        };
        if a.error.is_none() {
            match read_json::<AccountSnapshot>(&dir.join(&a.id).join("account.json")) {
                Ok(snap) => result.outcomes.extend(evaluate::evaluate_account(
                    &checks,
                    &snap,
                    &meta.home_region,
                    settings,
                )),
                Err(e) => result.snapshot_error = Some(e),
            }
            let mut snaps = Vec::new();
            for region in &meta.regions {
                match read_json::<RegionSnapshot>(
                    &dir.join(&a.id).join(format!("region-{region}.json")),
                ) {
                    Ok(snap) => {
                        result
                            .outcomes
                            .extend(evaluate::evaluate_region(&checks, &snap, settings));
                        snaps.push(snap);
                    }
                    Err(e) => {
                        let prev = result.snapshot_error.take();
                        result.snapshot_error =
                            Some(prev.map(|p| format!("{p}; {e}")).unwrap_or(e));
                    }
                }
            }
            let refs: Vec<&RegionSnapshot> = snaps.iter().collect();
            result.outcomes.extend(evaluate::evaluate_across_regions(
                &checks,
                &a.id,
                &meta.home_region,
                &refs,
                settings,
            ));
        }
        accounts.push(result);
    }
    // Organization-level requirements, from the organization snapshot when the run saved one.
    let org_file = dir.join("organization.json");
    if evaluate::has_organization_checks(&checks) && org_file.exists() {
        let snap: rampart_member::snapshot::OrgSnapshot = read_json(&org_file)?;
        let outcomes = evaluate::evaluate_organization(&checks, &snap, &meta.home_region, settings);
        match accounts
            .iter_mut()
            .find(|a| a.account_id == snap.account_id)
        {
            Some(a) => a.outcomes.extend(outcomes),
            None => accounts.push(AccountResult {
                account_id: snap.account_id.clone(),
                name: "organization (hub account)".into(),
                error: None,
                snapshot_error: None,
                outcomes,
                publish: Vec::new(),
            }),
        }
        accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    }
    Ok(FleetReport {
        run_id: meta.run_id,
        started_at: meta.started_at,
        finished_at: meta.finished_at,
        benchmark: names(&benchmarks),
        benchmarks: benchmarks.iter().map(|b| b.key.to_string()).collect(),
        regions: meta.regions,
        home_region: meta.home_region,
        accounts,
    })
}

/// Loads a run for `diff`: a JSON report file, or a snapshot directory (re-evaluated).
pub fn load_run(
    path: &Path,
    benchmarks: Option<&[&'static Benchmark]>,
    settings: &Settings,
) -> Result<FleetReport, String> {
    if path.is_dir() {
        evaluate_dir(path, benchmarks, settings)
    } else {
        read_json(path)
    }
}

/// One failing (check, region, resource) of one account.
pub type FailureKey = (String, String, String);

/// Failures per account.
pub fn failures(report: &FleetReport) -> BTreeMap<String, BTreeSet<FailureKey>> {
    report
        .accounts
        .iter()
        .map(|a| {
            let set = a
                .outcomes
                .iter()
                .flat_map(|o| {
                    o.failures()
                        .map(move |v| (o.check_id.clone(), o.region.clone(), v.resource.id.clone()))
                })
                .collect();
            (a.account_id.clone(), set)
        })
        .collect()
}

/// What changed between two runs, per account.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccountDiff {
    pub new_failures: Vec<FailureKey>,
    pub fixed: Vec<FailureKey>,
}

pub fn diff(a: &FleetReport, b: &FleetReport) -> BTreeMap<String, AccountDiff> {
    let fa = failures(a);
    let fb = failures(b);
    let empty = BTreeSet::new();
    let ids: BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
    ids.into_iter()
        .filter_map(|id| {
            let before = fa.get(id).unwrap_or(&empty);
            let after = fb.get(id).unwrap_or(&empty);
            let d = AccountDiff {
                new_failures: after.difference(before).cloned().collect(),
                fixed: before.difference(after).cloned().collect(),
            };
            (!d.new_failures.is_empty() || !d.fixed.is_empty()).then(|| (id.clone(), d))
        })
        .collect()
}

/// The diff as text.
pub fn diff_text(d: &BTreeMap<String, AccountDiff>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if d.is_empty() {
        out.push_str("No changes in failures between the two runs.\n");
    }
    for (account, ad) in d {
        let _ = writeln!(
            out,
            "{account}: {} new failure(s), {} fixed",
            ad.new_failures.len(),
            ad.fixed.len()
        );
        for (check, region, res) in &ad.new_failures {
            let _ = writeln!(out, "  + {check} {region} {res}");
        }
        for (check, region, res) in &ad.fixed {
            let _ = writeln!(out, "  - {check} {region} {res}");
        }
    }
    out
}

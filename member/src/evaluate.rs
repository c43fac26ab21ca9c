//! Evaluation: run the benchmarks' checks over snapshots and turn outcomes into findings.

use crate::checks::{by_id, Check, Eval, Settings};
use crate::snapshot::{AccountSnapshot, OrgSnapshot, RegionSnapshot};
use rampart_common::asff::FindingContext;
use rampart_common::{Benchmark, CheckOutcome, CheckStatus, Finding, ResourceRef, Verdict};

/// The benchmark's checks, looked up once.
pub fn checks_of(benchmark: &Benchmark) -> Vec<Check> {
    checks_for(&[benchmark])
}

/// The checks of several benchmarks, each once (checks are shared across versions).
pub fn checks_for(benchmarks: &[&Benchmark]) -> Vec<Check> {
    let mut ids: Vec<&'static str> = Vec::new();
    for b in benchmarks {
        for id in b.check_ids() {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids.into_iter().filter_map(by_id).collect()
}

/// Whether any of the checks is judged once per organization.
pub fn has_organization_checks(checks: &[Check]) -> bool {
    checks
        .iter()
        .any(|c| matches!(c.eval, Eval::Organization(_)))
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
            Eval::Region(_) | Eval::Regions(_) | Eval::Organization(_) => None,
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
            _ => None,
        })
        .collect()
}

/// Outcomes of checks decided over every assessed region of one account, reported in
/// `home_region`.
pub fn evaluate_across_regions(
    checks: &[Check],
    account_id: &str,
    home_region: &str,
    regions: &[&RegionSnapshot],
    settings: &Settings,
) -> Vec<CheckOutcome> {
    checks
        .iter()
        .filter_map(|c| match c.eval {
            Eval::Regions(f) => Some(CheckOutcome {
                check_id: c.meta.id.to_string(),
                account_id: account_id.to_string(),
                region: home_region.to_string(),
                status: f(regions, settings),
            }),
            _ => None,
        })
        .collect()
}

/// Organization-level outcomes, owned by the account that read the organization and reported
/// in `home_region`.
pub fn evaluate_organization(
    checks: &[Check],
    snap: &OrgSnapshot,
    home_region: &str,
    settings: &Settings,
) -> Vec<CheckOutcome> {
    checks
        .iter()
        .filter_map(|c| match c.eval {
            Eval::Organization(f) => Some(CheckOutcome {
                check_id: c.meta.id.to_string(),
                account_id: snap.account_id.clone(),
                region: home_region.to_string(),
                status: f(snap, settings),
            }),
            _ => None,
        })
        .collect()
}

/// Which findings a run publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingScope {
    /// FAILED per failing resource, PASSED per evaluated resource (an account-level PASSED
    /// finding where nothing was there to evaluate), NOT_AVAILABLE with the reason where a
    /// check could not decide (manual requirement, or an error: never PASSED for an error).
    Complete,
    /// FAILED findings only (`--only-failed`).
    OnlyFailed,
}

/// The findings of `outcomes` under `benchmark` (checks the benchmark does not use are left
/// out).
pub fn findings(
    benchmark: &Benchmark,
    outcomes: &[CheckOutcome],
    now: &str,
    run_id: &str,
    scope: FindingScope,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for o in outcomes {
        let Some(check) = by_id(&o.check_id) else {
            continue;
        };
        if benchmark.requirements_of(&o.check_id).next().is_none() {
            continue;
        }
        let ctx = FindingContext {
            benchmark,
            account_id: &o.account_id,
            region: &o.region,
            now,
            run_id,
        };
        let complete = scope == FindingScope::Complete;
        match &o.status {
            CheckStatus::Evaluated { verdicts } if verdicts.is_empty() => {
                if complete {
                    let v = Verdict {
                        resource: ResourceRef::account(&o.account_id),
                        passed: true,
                        reason: format!(
                            "Nothing to evaluate in {}: no resource of this kind exists.",
                            o.region
                        ),
                    };
                    out.push(Finding::from_verdict(&check.meta, &ctx, &v));
                }
            }
            CheckStatus::Evaluated { verdicts } => out.extend(
                verdicts
                    .iter()
                    .filter(|v| complete || !v.passed)
                    .map(|v| Finding::from_verdict(&check.meta, &ctx, v)),
            ),
            CheckStatus::NotAvailable { reason } if complete => out.push(Finding::not_available(
                &check.meta,
                &ctx,
                &ResourceRef::account(&o.account_id),
                &format!("Not evaluated: {reason}."),
            )),
            CheckStatus::Error { reason } if complete => out.push(Finding::not_available(
                &check.meta,
                &ctx,
                &ResourceRef::account(&o.account_id),
                &format!("Could not be evaluated: {reason}."),
            )),
            CheckStatus::NotAvailable { .. } | CheckStatus::Error { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::registry;
    use rampart_common::benchmarks::{self, CIS_V3_0_0, CIS_V7_0_0};

    /// Every recommendation of CIS AWS Foundations Benchmark v3.0.0, in order.
    const V3_0_0_IDS: &[&str] = &[
        "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11", "1.12",
        "1.13", "1.14", "1.15", "1.16", "1.17", "1.18", "1.19", "1.20", "1.21", "1.22", "2.1.1",
        "2.1.2", "2.1.3", "2.1.4", "2.2.1", "2.3.1", "2.3.2", "2.3.3", "2.4.1", "3.1", "3.2",
        "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6",
        "4.7", "4.8", "4.9", "4.10", "4.11", "4.12", "4.13", "4.14", "4.15", "4.16", "5.1", "5.2",
        "5.3", "5.4", "5.5", "5.6",
    ];

    #[test]
    fn every_v3_requirement_is_in_the_table() {
        let ids: Vec<&str> = CIS_V3_0_0.requirements.iter().map(|r| r.id).collect();
        assert_eq!(ids, V3_0_0_IDS);
    }

    #[test]
    fn tables_and_registry_agree() {
        for b in benchmarks::ALL {
            for id in b.check_ids() {
                assert!(by_id(id).is_some(), "{}: {id} is not registered", b.key);
            }
        }
        for c in registry() {
            assert!(
                benchmarks::ALL
                    .iter()
                    .any(|b| b.requirements_of(c.meta.id).next().is_some()),
                "{} is registered but serves no requirement",
                c.meta.id
            );
        }
    }

    /// Evaluated over snapshots where nothing could be read, every requirement of every
    /// version still gets an outcome in every account (and region, for regional checks; the
    /// organization's, for organization checks), and none of them passes.
    #[test]
    fn every_requirement_of_every_version_yields_an_outcome_and_none_passes() {
        let d = Settings::default();
        for b in benchmarks::ALL {
            let checks = checks_of(b);
            let acct = "111122223333";
            let regions: Vec<RegionSnapshot> = ["eu-west-1", "us-east-1"]
                .iter()
                .map(|r| RegionSnapshot::empty(acct, r))
                .collect();
            let refs: Vec<&RegionSnapshot> = regions.iter().collect();
            let mut outcomes =
                evaluate_account(&checks, &AccountSnapshot::empty(acct), "eu-west-1", &d);
            for r in &regions {
                outcomes.extend(evaluate_region(&checks, r, &d));
            }
            outcomes.extend(evaluate_across_regions(
                &checks,
                acct,
                "eu-west-1",
                &refs,
                &d,
            ));
            outcomes.extend(evaluate_organization(
                &checks,
                &OrgSnapshot::empty(acct),
                "eu-west-1",
                &d,
            ));
            for r in b.requirements {
                for id in r.checks {
                    let check = by_id(id).expect("registered");
                    let mine: Vec<&CheckOutcome> =
                        outcomes.iter().filter(|o| o.check_id == *id).collect();
                    let want = match check.eval {
                        Eval::Region(_) => 2,
                        _ => 1,
                    };
                    assert_eq!(mine.len(), want, "{} {}: {id}", b.key, r.id);
                    for o in mine {
                        assert!(
                            !o.ran() || o.failures().count() > 0,
                            "{} {}: nothing was read, yet {o:?}",
                            b.key,
                            r.id
                        );
                    }
                }
            }
            // Complete findings: one or more per requirement, none PASSED.
            let fs = findings(
                b,
                &outcomes,
                "2026-01-01T00:00:00Z",
                "r",
                FindingScope::Complete,
            );
            assert!(fs.iter().all(|f| f.compliance.status != "PASSED"));
            for r in b.requirements {
                let tag = format!("{}/{}", b.name, r.id);
                assert!(
                    fs.iter()
                        .any(|f| f.compliance.related_requirements.contains(&tag)),
                    "no finding names {tag}"
                );
            }
        }
    }

    #[test]
    fn complete_findings_cover_passes_empties_and_errors() {
        let ok = |passed| Verdict {
            resource: ResourceRef {
                kind: "AwsEc2SecurityGroup".into(),
                id: format!("sg-{passed}"),
                region: Some("eu-west-1".into()),
            },
            passed,
            reason: "r".into(),
        };
        let o = |check: &str, status| CheckOutcome {
            check_id: check.into(),
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            status,
        };
        let outcomes = vec![
            o(
                "ec2.sg-admin-ports-ipv4",
                CheckStatus::Evaluated {
                    verdicts: vec![ok(true), ok(false)],
                },
            ),
            o(
                "rds.storage-encrypted",
                CheckStatus::Evaluated { verdicts: vec![] },
            ),
            o(
                "efs.encrypted",
                CheckStatus::Error {
                    reason: "AccessDenied".into(),
                },
            ),
            o(
                "manual.vpc-endpoints",
                CheckStatus::NotAvailable {
                    reason: "manual".into(),
                },
            ),
        ];
        let all = findings(&CIS_V7_0_0, &outcomes, "t", "r", FindingScope::Complete);
        let st: Vec<(&str, &str)> = all
            .iter()
            .map(|f| (f.check_id().unwrap_or(""), f.compliance.status.as_str()))
            .collect();
        assert_eq!(
            st,
            vec![
                ("ec2.sg-admin-ports-ipv4", "PASSED"),
                ("ec2.sg-admin-ports-ipv4", "FAILED"),
                ("rds.storage-encrypted", "PASSED"),
                ("efs.encrypted", "NOT_AVAILABLE"),
                ("manual.vpc-endpoints", "NOT_AVAILABLE"),
            ]
        );
        assert!(all[3].description.contains("AccessDenied"));
        assert_eq!(all[2].resources[0].kind, "AwsAccount");
        let failed = findings(&CIS_V7_0_0, &outcomes, "t", "r", FindingScope::OnlyFailed);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].compliance.status, "FAILED");
        // v3.0.0 has no 6.8 (VPC endpoints): its check gives no v3 finding.
        let v3 = findings(&CIS_V3_0_0, &outcomes, "t", "r", FindingScope::Complete);
        assert_eq!(v3.len(), 4);
        assert!(v3.iter().all(|f| f.compliance.related_requirements[0]
            .starts_with("CIS AWS Foundations Benchmark v3.0.0/")));
    }
}

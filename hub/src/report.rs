//! Fleet summaries: the terminal table, JSON, and the exit status a run earns.

use crate::fleet::{AccountResult, FleetReport};
use rampart_common::{Benchmark, CheckStatus, Finding, Severity};
use rampart_member::checks::by_id;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Per-account counts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub not_available: usize,
    pub errors: usize,
}

/// Counts check outcomes of one account: a check passes when every verdict passed; an
/// account that could not be reached counts one error.
pub fn account_counts(a: &AccountResult) -> Counts {
    let mut c = Counts::default();
    for o in &a.outcomes {
        match &o.status {
            CheckStatus::Evaluated { .. } if o.failures().next().is_some() => c.failed += 1,
            CheckStatus::Evaluated { .. } => c.passed += 1,
            CheckStatus::NotAvailable { .. } => c.not_available += 1,
            CheckStatus::Error { .. } => c.errors += 1,
        }
    }
    if a.error.is_some() {
        c.errors += 1;
    }
    c
}

/// [`account_counts`] of every account, with its id, name and reachability error.
pub fn counts(report: &FleetReport) -> Vec<(String, String, Counts, Option<String>)> {
    report
        .accounts
        .iter()
        .map(|a| {
            (
                a.account_id.clone(),
                a.name.clone(),
                account_counts(a),
                a.error.clone(),
            )
        })
        .collect()
}

/// The human summary: one row per account, then failing accounts per requirement, then
/// errors and publishing problems spelled out.
pub fn table(report: &FleetReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rampart assessment {} ({}), regions: {}",
        report.run_id,
        report.benchmark,
        report.regions.join(", ")
    );
    let _ = writeln!(out);
    let benchmarks = report.benchmark_tables();
    let _ = writeln!(
        out,
        "{:<14} {:<28} {:>6} {:>6} {:>6} {:>6}  PUBLISHED",
        "ACCOUNT", "NAME", "PASSED", "FAILED", "N/A", "ERRORS"
    );
    for (a, (id, name, c, _)) in report.accounts.iter().zip(counts(report)) {
        let imported: usize = a.publish.iter().map(|p| p.report.imported).sum();
        let resolved: usize = a
            .publish
            .iter()
            .map(|p| p.report.resolved + p.report.archived)
            .sum();
        let unchanged: usize = a.publish.iter().map(|p| p.report.unchanged).sum();
        let published = if a.publish.is_empty() {
            "-".to_string()
        } else if unchanged > 0 {
            format!("{imported} imported, {unchanged} unchanged, {resolved} closed")
        } else {
            format!("{imported} imported, {resolved} closed")
        };
        let name: String = name.chars().take(28).collect();
        let _ = writeln!(
            out,
            "{id:<14} {name:<28} {:>6} {:>6} {:>6} {:>6}  {published}",
            c.passed, c.failed, c.not_available, c.errors
        );
    }
    // Requirement -> accounts failing it, per benchmark version.
    for bench in &benchmarks {
        let mut by_req: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
        for a in &report.accounts {
            for o in &a.outcomes {
                if o.failures().next().is_none() {
                    continue;
                }
                for r in bench.requirements_of(&o.check_id) {
                    by_req.entry(r.id).or_default().insert(&a.account_id);
                }
            }
        }
        if by_req.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\nFailing accounts per requirement ({}):", bench.name);
        let mut rows: Vec<_> = by_req.into_iter().collect();
        rows.sort_by(|a, b| cmp_req(a.0, b.0));
        for (req, accts) in rows {
            let title = bench.requirement(req).map(|r| r.title).unwrap_or("");
            let _ = writeln!(
                out,
                "  {req:<6} {:>4} of {:<4} {title}",
                accts.len(),
                report.accounts.len()
            );
        }
    }
    let mut problems = Vec::new();
    for a in &report.accounts {
        if let Some(e) = &a.error {
            problems.push(format!("{}: {e}", a.account_id));
        }
        for o in &a.outcomes {
            if let CheckStatus::Error { reason } = &o.status {
                problems.push(format!(
                    "{} {} {}: {reason}",
                    a.account_id, o.region, o.check_id
                ));
            }
        }
        for p in &a.publish {
            if let Some(e) = &p.report.error {
                problems.push(format!("{} {} publish: {e}", a.account_id, p.region));
            }
            for f in &p.report.failed {
                problems.push(format!(
                    "{} {} finding {} not imported: {}",
                    a.account_id, p.region, f.id, f.reason
                ));
            }
        }
    }
    if !problems.is_empty() {
        let _ = writeln!(out, "\nErrors ({}):", problems.len());
        for p in problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    out
}

/// Orders requirement ids numerically (1.10 after 1.9).
fn cmp_req(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| {
        s.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(u32::MAX))
            .collect::<Vec<_>>()
    };
    key(a).cmp(&key(b))
}

/// Whether the run should exit 1: a failure at or above `fail_on`, or anything that could not
/// be assessed or published.
pub fn needs_attention(report: &FleetReport, fail_on: Option<Severity>) -> bool {
    let incomplete = report.accounts.iter().any(|a| {
        a.error.is_some()
            || a.outcomes.iter().any(|o| o.is_error())
            || a.publish
                .iter()
                .any(|p| p.report.error.is_some() || !p.report.failed.is_empty())
    });
    let failing = fail_on.is_some_and(|min| {
        report.accounts.iter().flat_map(|a| &a.outcomes).any(|o| {
            o.failures().next().is_some()
                && by_id(&o.check_id).is_some_and(|c| c.meta.severity >= min)
        })
    });
    incomplete || failing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_ids_sort_numerically() {
        let mut v = vec!["1.10", "1.9", "5.2", "2.2.1", "1.4"];
        v.sort_by(|a, b| cmp_req(a, b));
        assert_eq!(v, vec!["1.4", "1.9", "1.10", "2.2.1", "5.2"]);
    }
}

/// The ASFF findings of a run, exactly as the publisher builds them (`evaluate::findings` with
/// the run's time and id, for each benchmark version of the run), account by account.
/// Findings that fail ASFF validation are left out, as the publisher leaves them out (it
/// reports them instead). Differences remain that only Security Hub knows: the publisher keeps
/// `CreatedAt` of a finding already there, and skips findings that did not change.
pub fn asff_findings(
    report: &FleetReport,
    scope: rampart_member::evaluate::FindingScope,
) -> Vec<Finding> {
    let benchmarks: Vec<&'static Benchmark> = report.benchmark_tables();
    report
        .accounts
        .iter()
        .flat_map(|a| {
            benchmarks.iter().flat_map(|b| {
                rampart_member::evaluate::findings(
                    b,
                    &a.outcomes,
                    &report.started_at,
                    &report.run_id,
                    scope,
                )
            })
        })
        .filter(|f| {
            let ok = f.validate().is_ok();
            if !ok {
                tracing::warn!(finding = %f.id, "finding fails ASFF validation; left out");
            }
            ok
        })
        .collect()
}

/// One CSV row per verdict (and one per check that could not decide), for spreadsheets.
pub fn csv(report: &FleetReport) -> Result<String, String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let header = [
        "account_id",
        "account_name",
        "region",
        "check_id",
        "requirements",
        "status",
        "resource_type",
        "resource_id",
        "reason",
    ];
    w.write_record(header).map_err(|e| e.to_string())?;
    let benchmarks = report.benchmark_tables();
    for a in &report.accounts {
        if let Some(e) = &a.error {
            w.write_record([
                a.account_id.as_str(),
                a.name.as_str(),
                "",
                "",
                "",
                "ERROR",
                "",
                "",
                e.as_str(),
            ])
            .map_err(|e| e.to_string())?;
        }
        for o in &a.outcomes {
            let reqs = benchmarks
                .iter()
                .flat_map(|b| b.related_requirements(&o.check_id))
                .collect::<Vec<_>>()
                .join(" ");
            let base = [
                a.account_id.as_str(),
                a.name.as_str(),
                o.region.as_str(),
                o.check_id.as_str(),
                reqs.as_str(),
            ];
            match &o.status {
                CheckStatus::Evaluated { verdicts } => {
                    for v in verdicts {
                        let status = if v.passed { "PASSED" } else { "FAILED" };
                        let mut row: Vec<&str> = base.to_vec();
                        row.extend([
                            status,
                            v.resource.kind.as_str(),
                            v.resource.id.as_str(),
                            v.reason.as_str(),
                        ]);
                        w.write_record(row).map_err(|e| e.to_string())?;
                    }
                }
                CheckStatus::NotAvailable { reason } | CheckStatus::Error { reason } => {
                    let status = if o.is_error() {
                        "ERROR"
                    } else {
                        "NOT_AVAILABLE"
                    };
                    let mut row: Vec<&str> = base.to_vec();
                    row.extend([status, "", "", reason.as_str()]);
                    w.write_record(row).map_err(|e| e.to_string())?;
                }
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod csv_tests {
    use super::*;
    use rampart_common::{CheckOutcome, ResourceRef, Verdict};

    #[test]
    fn csv_has_a_row_per_verdict_and_quotes_commas() {
        let ok = Verdict {
            resource: ResourceRef::account("111122223333"),
            passed: true,
            reason: "fine".into(),
        };
        let bad = Verdict {
            passed: false,
            reason: "open to 0.0.0.0/0, port 22".into(),
            ..ok.clone()
        };
        let outcome = |status| CheckOutcome {
            check_id: "ec2.sg-admin-ports-ipv4".into(),
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            status,
        };
        let report = FleetReport {
            run_id: "r".into(),
            started_at: "t".into(),
            finished_at: None,
            benchmark: "CIS AWS Foundations Benchmark v3.0.0".into(),
            benchmarks: vec![],
            regions: vec!["eu-west-1".into()],
            home_region: "eu-west-1".into(),
            accounts: vec![
                AccountResult {
                    account_id: "111122223333".into(),
                    name: "prod, eu".into(),
                    error: None,
                    snapshot_error: None,
                    outcomes: vec![
                        outcome(CheckStatus::Evaluated {
                            verdicts: vec![ok, bad],
                        }),
                        outcome(CheckStatus::Error {
                            reason: "AccessDenied".into(),
                        }),
                    ],
                    publish: vec![],
                },
                AccountResult {
                    account_id: "444455556666".into(),
                    name: "gone".into(),
                    error: Some("cannot assume role".into()),
                    snapshot_error: None,
                    outcomes: vec![],
                    publish: vec![],
                },
            ],
        };
        let text = csv(&report).expect("csv");
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<::csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(&rows[0][1], "prod, eu");
        assert_eq!(&rows[1][5], "FAILED");
        assert_eq!(&rows[1][4], "CIS AWS Foundations Benchmark v3.0.0/5.2");
        assert_eq!(&rows[1][8], "open to 0.0.0.0/0, port 22");
        assert_eq!(&rows[2][5], "ERROR");
        assert_eq!(&rows[3][0], "444455556666");
    }
}

//! Unit tests of `report_html`.

use super::*;
use rampart_common::benchmarks::{CIS_V3_0_0, CIS_V7_0_0};
use rampart_common::{CheckOutcome, ResourceRef, Verdict};

fn evil_report() -> FleetReport {
    let evil = "arn:aws:ec2:us-east-1:111122223333:security-group/<script>alert(\"x\")</script>'";
    let outcome = |check: &str, status| CheckOutcome {
        check_id: check.into(),
        account_id: "111122223333".into(),
        region: "us-east-1".into(),
        status,
    };
    FleetReport {
        run_id: "run-<1>".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
        finished_at: Some("2026-01-01T00:01:00.000Z".into()),
        benchmark: CIS_V3_0_0.name.into(),
        benchmarks: vec![],
        regions: vec!["us-east-1".into()],
        home_region: "us-east-1".into(),
        accounts: vec![
            AccountResult {
                account_id: "111122223333".into(),
                name: "prod \"eu\" <b>".into(),
                error: None,
                snapshot_error: None,
                outcomes: vec![
                    outcome(
                        "ec2.sg-admin-ports-ipv4",
                        CheckStatus::Evaluated {
                            verdicts: vec![Verdict {
                                resource: ResourceRef {
                                    kind: "AwsEc2SecurityGroup".into(),
                                    id: evil.into(),
                                    region: Some("us-east-1".into()),
                                },
                                passed: false,
                                reason: "port 22 open to 0.0.0.0/0 & <img src=x onerror=alert(1)>"
                                    .into(),
                            }],
                        },
                    ),
                    outcome("iam.root-mfa", CheckStatus::Evaluated { verdicts: vec![] }),
                    outcome(
                        "cloudtrail.kms-encryption",
                        CheckStatus::Error {
                            reason: "AccessDenied".into(),
                        },
                    ),
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
    }
}

#[test]
fn escape_covers_the_five_characters() {
    assert_eq!(
        escape(r#"<a href="x">'&'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
}

#[test]
fn every_dynamic_string_is_escaped() {
    let html = render(&evil_report(), &[&CIS_V3_0_0], "0.1.0");
    // Only the report's own script element.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>"));
    assert!(html.contains("security-group/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;"));
    assert!(html.contains("prod &quot;eu&quot; &lt;b&gt;"));
    assert!(html.contains("run-&lt;1&gt;"));
    // No external assets.
    for needle in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(!html.contains(needle), "{needle}");
    }
}

#[test]
fn heat_map_has_one_cell_per_account_and_requirement() {
    let report = evil_report();
    let html = render(&report, &[&CIS_V3_0_0], "0.1.0");
    let cells = html.matches("<td class=\"cell ").count();
    assert_eq!(cells, 2 * CIS_V3_0_0.requirements.len());
    // 5.2 failed, 1.5 passed, 3.5 errored; the unreachable account is ERROR everywhere.
    let status_of = |acct: &str, req: &str| {
        let key = format!("data-account=\"{acct}\" data-req=\"{req}\"");
        let i = html.find(&key).expect("cell");
        let start = html[..i].rfind("data-status=\"").expect("status") + 13;
        html[start..].split('"').next().unwrap_or("").to_string()
    };
    assert_eq!(status_of("111122223333", "5.2"), "FAILED");
    assert_eq!(status_of("111122223333", "1.5"), "PASSED");
    assert_eq!(status_of("111122223333", "3.5"), "ERROR");
    assert_eq!(status_of("111122223333", "1.4"), "NOT_AVAILABLE");
    assert_eq!(status_of("444455556666", "1.5"), "ERROR");
    // The failing cell links to its drill-down, which names the resource and the reason.
    assert!(html.contains("href=\"#d-cis_3.0.0-111122223333-5.2\""));
    let d = html
        .find("id=\"d-cis_3.0.0-111122223333-5.2\"")
        .expect("drill-down");
    let section = &html[d..d + 1200];
    assert!(section.contains("ec2.sg-admin-ports-ipv4") && section.contains("port 22 open"));
    for meta in [
        "run-&lt;1&gt;",
        "2026-01-01T00:01:00.000Z",
        "0.1.0",
        "us-east-1",
    ] {
        assert!(html.contains(meta), "{meta}");
    }
}

#[test]
fn every_version_of_the_run_has_its_own_heat_map_and_drill_down() {
    let report = evil_report();
    let html = render(&report, &[&CIS_V7_0_0, &CIS_V3_0_0], "0.1.0");
    let cells = html.matches("<td class=\"cell ").count();
    assert_eq!(
        cells,
        2 * (CIS_V3_0_0.requirements.len() + CIS_V7_0_0.requirements.len())
    );
    assert_eq!(html.matches("<table class=\"heatmap\"").count(), 2);
    assert!(
        html.contains("CIS AWS Foundations Benchmark v7.0.0, CIS AWS Foundations Benchmark v3.0.0")
    );
    // Each version's section, in the run's order, linked from the version list.
    let v7 = html.find("id=\"b-cis_7.0.0\"").expect("v7 section");
    let v3 = html.find("id=\"b-cis_3.0.0\"").expect("v3 section");
    assert!(v7 < v3);
    assert!(html.contains("href=\"#b-cis_7.0.0\"") && html.contains("href=\"#b-cis_3.0.0\""));
    let (v7_part, v3_part) = (&html[v7..v3], &html[v3..]);
    // The open SSH port is v7.0.0's 6.3 and v3.0.0's 5.2; each links to its own drill-down.
    let status_of = |part: &str, req: &str| {
        let key = format!("data-account=\"111122223333\" data-req=\"{req}\"");
        let i = part.find(&key).expect("cell");
        let start = part[..i].rfind("data-status=\"").expect("status") + 13;
        part[start..].split('"').next().unwrap_or("").to_string()
    };
    assert_eq!(status_of(v7_part, "6.3"), "FAILED");
    assert_eq!(status_of(v3_part, "5.2"), "FAILED");
    assert!(v7_part.contains("id=\"d-cis_7.0.0-111122223333-6.3\""));
    assert!(v3_part.contains("id=\"d-cis_3.0.0-111122223333-5.2\""));
    // v3.0.0's 5.2 is not v7.0.0's 5.2 (a monitoring requirement nothing here evaluated).
    assert_eq!(status_of(v7_part, "5.2"), "NOT_AVAILABLE");
    // Ids are unique across versions.
    let mut ids: Vec<&str> = html
        .split(" id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids");
}

#[test]
fn failure_outranks_error_and_missing_data() {
    assert!(CellStatus::Failed > CellStatus::Error);
    assert!(CellStatus::Error > CellStatus::NotAvailable);
    assert!(CellStatus::NotAvailable > CellStatus::Passed);
}

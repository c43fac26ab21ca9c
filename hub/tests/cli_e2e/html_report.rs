//! The HTML report rendered by a real browser (Debian's Chromium, headless): its script runs,
//! each benchmark version of the run has a heat-map with one cell per account and requirement,
//! and hostile resource names stay text.
//!
//! Chromium is required, not optional: `.ci/run` installs it, so a missing browser fails here.

use rampart_common::benchmarks::CIS_V3_0_0;
use rampart_common::{CheckOutcome, CheckStatus, ResourceRef, Verdict};
use rampart_hub::fleet::{AccountResult, FleetReport};
use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::Emulator;
use std::path::Path;
use std::process::Command;

const REGION: &str = "us-east-1";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM after scripts ran, as Chromium serializes it.
fn dump_dom(html: &Path) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing; .ci/run installs it (apt-get install chromium)"
    );
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn count_cells(dom: &str) -> usize {
    dom.matches("<td class=\"cell ").count()
}

#[test]
fn report_of_an_emulated_organization_renders_in_chromium() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let bad = Profile {
            open_ssh: true,
            password_policy: None,
            ..Profile::default()
        };
        let org = fixtures::create_org(&base, &[Profile::default(), bad], &[REGION])
            .await
            .expect("org");
        let dir = tempfile::tempdir().expect("dir");
        let html = dir.path().join("report.html");
        let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args([
                "--regions",
                REGION,
                "--benchmark",
                "cis-7.0.0,cis-3.0.0",
                "assess",
                "--fail-on",
                "none",
                "--html",
            ])
            .arg(&html)
            .env_remove("AWS_PROFILE")
            .envs(emu.env(REGION))
            .output()
            .expect("run rampart");
        // Failures do not count with fail_on none, and every check was answered.
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        drop(emu);

        let dom = dump_dom(&html);
        assert!(dom.contains("data-rendered=\"true\""), "script did not run");
        let accounts = org.members.len() + 1;
        // Both versions of the run, each with its own heat map (v7.0.0's organization-level
        // rows are cells too).
        let v7 = rampart_common::benchmarks::CIS_V7_0_0.requirements.len();
        let v3 = CIS_V3_0_0.requirements.len();
        assert_eq!(count_cells(&dom), accounts * (v7 + v3));
        // The script's tallies agree with the cells it found: per version and in all.
        for (table, n) in [("cis_7.0.0", v7), ("cis_3.0.0", v3)] {
            let at = dom
                .find(&format!("id=\"heatmap-{table}-summary\">"))
                .unwrap_or_else(|| panic!("no summary for {table}"));
            assert!(
                dom[at..].contains(&format!(">{} cells: ", accounts * n)),
                "summary of {table}"
            );
        }
        assert!(
            dom.contains(&format!("{} cells: ", accounts * (v7 + v3))),
            "no overall summary"
        );
        // The planted open SSH port fails v7.0.0's 6.3 and v3.0.0's 5.2, each in its own
        // version's table with its own drill-down.
        let bad_id = &org.members[1].id;
        let v7_at = dom.find("id=\"b-cis_7.0.0\"").expect("v7 section");
        let v3_at = dom.find("id=\"b-cis_3.0.0\"").expect("v3 section");
        let (v7_part, v3_part) = if v7_at < v3_at {
            (&dom[v7_at..v3_at], &dom[v3_at..])
        } else {
            (&dom[v7_at..], &dom[v3_at..v7_at])
        };
        assert!(v7_part.contains(&format!(
            "data-status=\"FAILED\" data-account=\"{bad_id}\" data-req=\"6.3\""
        )));
        assert!(v7_part.contains(&format!("id=\"d-cis_7.0.0-{bad_id}-6.3\"")));
        assert!(v3_part.contains(&format!(
            "data-status=\"FAILED\" data-account=\"{bad_id}\" data-req=\"5.2\""
        )));
        assert!(v3_part.contains(&format!("id=\"d-cis_3.0.0-{bad_id}-5.2\"")));
    });
}

#[test]
fn hostile_resource_names_stay_text_in_the_browser() {
    let evil = "sg/<script>document.body.setAttribute('data-pwned','1')</script>\"'";
    let outcome = CheckOutcome {
        check_id: "ec2.sg-admin-ports-ipv4".into(),
        account_id: "111122223333".into(),
        region: REGION.into(),
        status: CheckStatus::Evaluated {
            verdicts: vec![Verdict {
                resource: ResourceRef {
                    kind: "AwsEc2SecurityGroup".into(),
                    id: evil.into(),
                    region: Some(REGION.into()),
                },
                passed: false,
                reason: "<img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">"
                    .into(),
            }],
        },
    };
    let report = FleetReport {
        run_id: "r1".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
        finished_at: None,
        benchmark: CIS_V3_0_0.name.into(),
        benchmarks: vec![],
        regions: vec![REGION.into()],
        home_region: REGION.into(),
        accounts: vec![AccountResult {
            account_id: "111122223333".into(),
            name: "\"><script>document.body.setAttribute('data-pwned','3')</script>".into(),
            error: None,
            snapshot_error: None,
            outcomes: vec![outcome],
            publish: vec![],
        }],
    };
    let dir = tempfile::tempdir().expect("dir");
    let html = dir.path().join("evil.html");
    std::fs::write(&html, rampart_hub::service::html_report(&report)).expect("write");
    let dom = dump_dom(&html);
    assert!(dom.contains("data-rendered=\"true\""));
    assert!(!dom.contains("data-pwned=\""), "injected script ran");
    assert!(!dom.contains("<img"));
    assert_eq!(count_cells(&dom), CIS_V3_0_0.requirements.len());
    assert!(dom.contains("sg/&lt;script&gt;document.body.setAttribute('data-pwned','1')"));
}

//! The `rampart` binary end to end: documented exit codes and clear messages for bad input,
//! and a full assessment against the emulated organization.

use rampart_testbed::fixtures::{self, Profile};
use rampart_testbed::Emulator;
use std::process::{Command, Output};

const REGION: &str = "us-east-1";

fn rampart(emu: Option<&Emulator>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.args(args)
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if let Some(e) = emu {
        cmd.envs(e.env(REGION));
    }
    cmd.output().expect("run rampart")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn malformed_config_is_a_usage_error_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rampart.toml");
    std::fs::write(&path, "role_name = \"ok\"\nconcurrency = \"lots\"\n").unwrap();
    let out = rampart(None, &["--config", path.to_str().unwrap(), "assess"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("rampart.toml") && err.contains("concurrency"),
        "{err}"
    );

    std::fs::write(&path, "rol_name = \"typo\"\n").unwrap();
    let out = rampart(None, &["--config", path.to_str().unwrap(), "assess"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rol_name"), "{}", stderr(&out));

    let out = rampart(None, &["--config", "/nonexistent/rampart.toml", "accounts"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/rampart.toml"));

    let out = rampart(None, &["assess", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unknown_region_and_empty_organization_are_usage_errors() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let out = rampart(
            Some(&emu),
            &["--regions", "us-east-1,xx-nowhere-9", "assess"],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("unknown region(s): xx-nowhere-9"),
            "{}",
            stderr(&out)
        );

        // An organization whose only account is excluded leaves nothing to assess.
        let base = emu.sdk_config(REGION).await;
        fixtures::create_org(&base, &[], &[REGION])
            .await
            .expect("org");
        let out = rampart(
            Some(&emu),
            &[
                "--regions",
                REGION,
                "--exclude-accounts",
                "123456789012",
                "assess",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("no ACTIVE accounts"),
            "{}",
            stderr(&out)
        );

        // An empty organization (the emulator lists no accounts before one is created).
        let emu2 = Emulator::start().expect("emulator");
        let out = rampart(Some(&emu2), &["--regions", REGION, "accounts"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("no ACTIVE accounts"),
            "{}",
            stderr(&out)
        );
    });
}

#[test]
fn accounts_and_assess_over_the_emulated_organization() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let good = Profile::default();
        let bad = Profile {
            open_ssh: true,
            password_policy: None,
            ..Profile::default()
        };
        let org = fixtures::create_org(&base, &[good, bad], &[REGION])
            .await
            .expect("org");

        let out = rampart(
            Some(&emu),
            &["--regions", REGION, "accounts", "--format", "json"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(rows.as_array().map(Vec::len), Some(3));
        assert!(rows
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["assume_role"] == "ok"));

        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        let out = rampart(
            Some(&emu),
            &[
                "--regions",
                REGION,
                "assess",
                "--publish",
                "--enable-security-hub",
                "--format",
                "json",
                "--output",
                report.to_str().unwrap(),
            ],
        );
        // Failures were planted, so the default threshold (low) exits 1.
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        // Standard error is a pipe here: one plain progress line per account, no bar.
        let err = stderr(&out);
        let progress: Vec<&str> = err.lines().filter(|l| l.starts_with('[')).collect();
        assert_eq!(progress.len(), 3, "{err}");
        assert!(
            progress.iter().any(
                |l| l.contains(&format!("/3] {} passed=", org.members[1].id))
                    && !l.contains("failed=0 ")
            ),
            "{err}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let accounts = json["accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 3);
        let bad_id = &org.members[1].id;
        let bad_result = accounts
            .iter()
            .find(|a| a["account_id"] == bad_id.as_str())
            .unwrap();
        assert!(
            bad_result["publish"][0]["imported"].as_u64().unwrap() >= 3,
            "{bad_result}"
        );
        let findings = fixtures::findings_in(&base, bad_id, REGION).await.unwrap();
        assert!(findings
            .iter()
            .any(|f| f.check_id() == Some("ec2.sg-admin-ports-ipv4")));

        // --format asff writes the findings the publisher imports: after a publishing run,
        // the same ids as the ACTIVE FAILED findings in the member's Security Hub.
        let asff_path = dir.path().join("findings.asff.json");
        let out = rampart(
            Some(&emu),
            &[
                "--regions",
                REGION,
                "assess",
                "--publish",
                "--fail-on",
                "none",
                "--format",
                "asff",
                "--output",
                asff_path.to_str().unwrap(),
            ],
        );
        // Exit 0: failures do not count with fail_on none, and every check was answered.
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let asff: Vec<rampart_common::Finding> =
            serde_json::from_str(&std::fs::read_to_string(&asff_path).unwrap())
                .expect("ASFF array");
        // The complete picture: every finding the run published, whatever its status.
        let mut exported: Vec<&str> = asff
            .iter()
            .filter(|f| f.aws_account_id == *bad_id)
            .map(|f| f.id.as_str())
            .collect();
        let findings = fixtures::findings_in(&base, bad_id, REGION).await.unwrap();
        let mut published: Vec<&str> = findings
            .iter()
            .filter(|f| f.record_state == "ACTIVE")
            .map(|f| f.id.as_str())
            .collect();
        exported.sort_unstable();
        published.sort_unstable();
        assert!(!exported.is_empty());
        assert_eq!(exported, published);
        assert!(asff.iter().all(|f| f.validate().is_ok()
            && ["FAILED", "PASSED", "NOT_AVAILABLE"].contains(&f.compliance.status.as_str())
            && f.product_arn.contains(&f.aws_account_id)));
        assert!(asff.iter().any(|f| f.compliance.status == "FAILED"));

        // With fail_on none failures no longer count, and nothing errs: every requirement,
        // the monitoring chain (4.x), Access Analyzer (1.20) and MFA Delete (2.1.2) included,
        // is evaluated, so the run exits 0.
        let out = rampart(
            Some(&emu),
            &["--regions", REGION, "assess", "--fail-on", "none"],
        );
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(
            table.contains(bad_id.as_str()) && table.contains("Failing accounts per requirement"),
            "{table}"
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let outcomes: Vec<&serde_json::Value> = accounts
            .iter()
            .flat_map(|a| a["outcomes"].as_array().into_iter().flatten())
            .collect();
        let errors: Vec<&str> = outcomes
            .iter()
            .filter(|o| o["status"] == "error")
            .filter_map(|o| o["check_id"].as_str())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        // The clean member passes the checks the emulator used to leave unanswered.
        let good_id = &org.members[0].id;
        for check in [
            "accessanalyzer.enabled",
            "s3.mfa-delete",
            "monitoring.unauthorized-api-calls",
            "monitoring.organizations-changes",
        ] {
            let o = outcomes
                .iter()
                .find(|o| o["account_id"] == good_id.as_str() && o["check_id"] == check)
                .unwrap_or_else(|| panic!("{check} for {good_id}"));
            let verdicts = o["verdicts"].as_array().expect("evaluated");
            assert!(
                !verdicts.is_empty() && verdicts.iter().all(|v| v["passed"] == true),
                "{o}"
            );
        }
    });
}

#[test]
fn snapshots_evaluate_offline_and_diff_runs() {
    rampart_testbed::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name).to_string_lossy().to_string();
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let bad = Profile {
            password_policy: Some((8, 24)),
            ..Profile::default()
        };
        let org = fixtures::create_org(&base, &[bad], &[REGION])
            .await
            .expect("org");
        let member = org.members[0].id.clone();

        let (s1, a) = (p("s1"), p("a.json"));
        let out = rampart(
            Some(&emu),
            &[
                "--regions",
                REGION,
                "assess",
                "--save-snapshots",
                &s1,
                "--format",
                "json",
                "--output",
                &a,
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let cfg = fixtures::member_config(&base, &member, REGION).await;
        aws_sdk_iam::Client::new(&cfg)
            .update_account_password_policy()
            .minimum_password_length(14)
            .password_reuse_prevention(24)
            .send()
            .await
            .unwrap();
        let (s2, b) = (p("s2"), p("b.json"));
        let out = rampart(
            Some(&emu),
            &[
                "--regions",
                REGION,
                "assess",
                "--save-snapshots",
                &s2,
                "--format",
                "json",
                "--output",
                &b,
            ],
        );
        assert!(out.status.code() == Some(1), "{}", stderr(&out));
        drop(emu);

        // Offline: no emulator, no endpoint; the saved snapshots give the same failures.
        let out = rampart(None, &["evaluate", "--snapshots", &s1, "--format", "json"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let offline: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let online: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
        let failing = |v: &serde_json::Value| {
            let mut f: Vec<String> = v["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|acc| acc["outcomes"].as_array().unwrap().iter())
                .filter(|o| {
                    o["verdicts"]
                        .as_array()
                        .is_some_and(|vs| vs.iter().any(|v| v["passed"] == false))
                })
                .map(|o| format!("{} {} {}", o["account_id"], o["region"], o["check_id"]))
                .collect();
            f.sort();
            f
        };
        assert!(!failing(&online).is_empty());
        assert_eq!(failing(&offline), failing(&online));

        let out = rampart(None, &["evaluate", "--snapshots", &s1, "--format", "csv"]);
        let csv_text = String::from_utf8_lossy(&out.stdout);
        assert!(
            csv_text.starts_with("account_id,account_name,region,check_id,requirements,status"),
            "{csv_text}"
        );
        assert!(csv_text.lines().any(|l| l.contains(&member)
            && l.contains("iam.password-min-length")
            && l.contains("FAILED")));

        // The HTML report offline, with the saved run's metadata.
        let html = p("report.html");
        let out = rampart(None, &["evaluate", "--snapshots", &s1, "--html", &html]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let page = std::fs::read_to_string(&html).expect("html written");
        let run_id = online["run_id"].as_str().unwrap();
        assert!(page.contains(run_id) && page.contains(&format!("data-account=\"{member}\"")));

        // ASFF offline: the same FAILED findings, ids included.
        let out = rampart(None, &["evaluate", "--snapshots", &s1, "--format", "asff"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let asff: Vec<rampart_common::Finding> =
            serde_json::from_slice(&out.stdout).expect("ASFF array");
        assert!(asff.iter().any(|f| f.aws_account_id == member
            && f.check_id() == Some("iam.password-min-length")
            && f.id.starts_with(&format!(
                "rampart/{member}/{REGION}/cis-7.0.0/iam.password-min-length/"
            ))));

        // Diff: snapshot dirs and JSON reports both work; the fix shows as fixed.
        let out = rampart(None, &["diff", &s1, &s2]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("{member}: 0 new failure(s), 1 fixed"))
                && text.contains("- iam.password-min-length"),
            "{text}"
        );
        let out = rampart(None, &["diff", &b, &a]);
        assert_eq!(out.status.code(), Some(1), "a regression exits 1");
        assert!(String::from_utf8_lossy(&out.stdout).contains("+ iam.password-min-length"));

        let out = rampart(None, &["evaluate", "--snapshots", &p("nowhere")]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("run.json"), "{}", stderr(&out));
    });
}

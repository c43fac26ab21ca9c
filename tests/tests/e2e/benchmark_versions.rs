//! Benchmark versions end to end: every requirement of every version gets an outcome in every
//! account's own Security Hub (organization-level ones in the management account's), the
//! organization-level requirements follow what the organization holds, and findings of two
//! versions coexist and close independently; unchanged findings are not re-imported.

use rampart_common::benchmarks::{self, CIS_V3_0_0, CIS_V7_0_0};
use rampart_common::{Benchmark, Finding};
use rampart_hub::fleet;
use rampart_testbed::fixtures::{self, findings_in, member_config, Profile};
use rampart_testbed::shared;
use rampart_testbed::{plan, sessions, Emulator};

const REGION: &str = "eu-west-1";

/// ACTIVE findings of one version naming requirement `id`.
fn cell<'a>(fs: &'a [Finding], b: &Benchmark, id: &str) -> Vec<&'a Finding> {
    let tag = format!("{}/{id}", b.name);
    fs.iter()
        .filter(|f| {
            f.record_state == "ACTIVE"
                && f.benchmark_key() == Some(b.key)
                && f.compliance.related_requirements.contains(&tag)
        })
        .collect()
}

fn complete(regions: &[String], run: &str, versions: &[&'static Benchmark]) -> fleet::FleetPlan {
    let mut p = plan(regions, true, run);
    p.account.benchmarks = versions.to_vec();
    p.account.only_failed = false;
    p.account.refresh_after_days = Some(75);
    p
}

#[test]
fn every_version_gives_every_requirement_an_outcome_in_every_account() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default(), Profile::mixed(1)], &[REGION])
            .await
            .expect("org");
        fixtures::enable_security_hub(&base, &org)
            .await
            .expect("enable hub");
        let report = fleet::run(
            &sessions(&base, "versions"),
            &org.targets(),
            &complete(&org.regions, "versions", benchmarks::ALL),
        )
        .await;
        // The members, and the organization's row for the management account.
        assert_eq!(report.accounts.len(), 3);
        for a in &report.accounts {
            assert!(a.error.is_none(), "{}: {:?}", a.account_id, a.error);
            for p in &a.publish {
                assert!(
                    p.report.error.is_none() && p.report.failed.is_empty(),
                    "{p:?}"
                );
            }
            for o in &a.outcomes {
                assert!(!o.is_error(), "{}: {o:?}", a.account_id);
            }
        }
        let mut missing = Vec::new();
        let mut accounts: Vec<(String, bool)> =
            org.members.iter().map(|m| (m.id.clone(), false)).collect();
        accounts.push((org.management.clone(), true));
        for (account, management) in &accounts {
            let fs = findings_in(&base, account, REGION).await.expect("findings");
            for b in benchmarks::ALL {
                for r in b.requirements {
                    let organization_level = r.checks.iter().all(|c| c.starts_with("org."));
                    let here = cell(&fs, b, r.id);
                    if organization_level != *management {
                        assert!(here.is_empty(), "{account} {} {}", b.key, r.id);
                        continue;
                    }
                    if here.is_empty() {
                        missing.push(format!("{account} {} {}", b.key, r.id));
                    }
                    for f in here {
                        assert!(
                            !f.description.contains("Could not be evaluated"),
                            "{account} {} {}: {}",
                            b.key,
                            r.id,
                            f.description
                        );
                        // NOT_AVAILABLE only for manual requirements (and v3.0.0 1.7, whose
                        // credential report row the emulator lacks).
                        if f.compliance.status == "NOT_AVAILABLE" {
                            assert!(
                                !r.automated || (b.key == "cis-3.0.0" && r.id == "1.7"),
                                "{account} {} {} automated, yet NOT_AVAILABLE: {}",
                                b.key,
                                r.id,
                                f.description
                            );
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "requirements without a finding: {missing:?}"
        );

        // The organization-level requirements follow what the organization holds.
        let mgmt = &org.management;
        let status = |fs: &[Finding], id: &str| {
            cell(fs, &CIS_V7_0_0, id)
                .first()
                .map(|f| f.compliance.status.clone())
                .unwrap_or_default()
        };
        let before = findings_in(&base, mgmt, REGION).await.expect("findings");
        assert_eq!(status(&before, "2.1.1"), "FAILED");
        assert_eq!(status(&before, "2.1.3"), "NOT_AVAILABLE");
        assert_eq!(status(&before, "2.1.5"), "FAILED");
        let iam = aws_sdk_iam::Client::new(&base);
        iam.enable_organizations_root_credentials_management()
            .send()
            .await
            .expect("root credentials management");
        iam.enable_organizations_root_sessions()
            .send()
            .await
            .expect("root sessions");
        aws_sdk_organizations::Client::new(&base)
            .put_resource_policy()
            .content(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["organizations:DescribePolicy","organizations:ListPolicies"],"Resource":"*"}]}"#)
            .send()
            .await
            .expect("delegation policy");
        let report = fleet::run(
            &sessions(&base, "versions-2"),
            &org.targets()[..1],
            &complete(&org.regions, "versions-2", &[&CIS_V7_0_0]),
        )
        .await;
        let org_row = report
            .accounts
            .iter()
            .find(|a| a.account_id == *mgmt)
            .expect("organization row");
        assert!(org_row.publish.iter().all(|p| p.report.error.is_none()));
        let after = findings_in(&base, mgmt, REGION).await.expect("findings");
        assert_eq!(status(&after, "2.1.1"), "PASSED");
        assert_eq!(status(&after, "2.1.5"), "PASSED");
    });
}

#[test]
fn findings_of_two_versions_coexist_and_close_independently() {
    rampart_testbed::block_on(async {
        // Members of its own in the binary's shared emulator.
        let base = shared::management(REGION).await;
        let bad = Profile {
            open_ssh: true,
            ..Profile::default()
        };
        let org = fixtures::add_members(&base, &[bad], &[REGION])
            .await
            .expect("org");
        fixtures::enable_security_hub(&base, &org)
            .await
            .expect("enable hub");
        let m = &org.members[0];
        let targets = org.targets();
        let sessions = sessions(&base, "two");
        let ssh = |fs: &[Finding], b: &Benchmark| -> Vec<String> {
            fs.iter()
                .filter(|f| {
                    f.check_id() == Some("ec2.sg-admin-ports-ipv4")
                        && f.benchmark_key() == Some(b.key)
                        && f.resources[0].id.contains(":security-group/")
                        && f.record_state == "ACTIVE"
                        && f.compliance.status != "PASSED"
                })
                .map(|f| f.compliance.status.clone())
                .collect()
        };

        fleet::run(
            &sessions,
            &targets,
            &complete(&org.regions, "two-1", &[&CIS_V3_0_0, &CIS_V7_0_0]),
        )
        .await;
        let fs = findings_in(&base, &m.id, REGION).await.expect("findings");
        assert_eq!(ssh(&fs, &CIS_V3_0_0), vec!["FAILED"]);
        assert_eq!(ssh(&fs, &CIS_V7_0_0), vec!["FAILED"]);
        let v3: Vec<&Finding> = fs
            .iter()
            .filter(|f| f.benchmark_key() == Some("cis-3.0.0"))
            .collect();
        assert!(v3.iter().all(|f| f
            .compliance
            .related_requirements
            .iter()
            .all(|r| r.starts_with("CIS AWS Foundations Benchmark v3.0.0/"))));
        assert!(v3
            .iter()
            .all(|f| f.generator_id.starts_with("rampart/cis-3.0.0/")));

        // Fix the open port; only v3.0.0 is assessed: its finding turns PASSED, v7.0.0's stays.
        let cfg = member_config(&base, &m.id, REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&cfg);
        let sg = ec2
            .describe_security_groups()
            .group_names("ssh-from-anywhere")
            .send()
            .await
            .expect("group");
        let sg_id = sg.security_groups()[0]
            .group_id()
            .unwrap_or_default()
            .to_string();
        ec2.revoke_security_group_ingress()
            .group_id(&sg_id)
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .cidr_ip("0.0.0.0/0")
            .send()
            .await
            .expect("revoke");
        fleet::run(
            &sessions,
            &targets,
            &complete(&org.regions, "two-2", &[&CIS_V3_0_0]),
        )
        .await;
        let fs = findings_in(&base, &m.id, REGION).await.expect("findings");
        assert!(ssh(&fs, &CIS_V3_0_0).is_empty(), "v3.0.0 closed");
        assert_eq!(ssh(&fs, &CIS_V7_0_0), vec!["FAILED"], "v7.0.0 untouched");
        fleet::run(
            &sessions,
            &targets,
            &complete(&org.regions, "two-3", &[&CIS_V7_0_0]),
        )
        .await;
        let fs = findings_in(&base, &m.id, REGION).await.expect("findings");
        assert!(
            ssh(&fs, &CIS_V7_0_0).is_empty(),
            "v7.0.0 closed on its own run"
        );

        // Nothing changed since: the same run imports almost nothing.
        let again = fleet::run(
            &sessions,
            &targets,
            &complete(&org.regions, "two-4", &[&CIS_V7_0_0]),
        )
        .await;
        let mine = |r: &fleet::FleetReport| {
            r.accounts
                .iter()
                .find(|a| a.account_id == m.id)
                .map(|a| a.publish[0].report.clone())
                .expect("member row")
        };
        let p = &mine(&again);
        assert!(p.unchanged > 0 && p.imported < p.unchanged, "{p:?}");
        // With refreshing every run (no window), everything is sent again.
        let mut always = complete(&org.regions, "two-5", &[&CIS_V7_0_0]);
        always.account.refresh_after_days = None;
        let all = fleet::run(&sessions, &targets, &always).await;
        let q = &mine(&all);
        assert_eq!(q.unchanged, 0, "{q:?}");
        assert!(q.imported >= p.imported + p.unchanged, "{q:?} vs {p:?}");
    });
}

/// Puts and starts a recorder of every supported type in one account and region, recording
/// global resource types (IAM) or not.
async fn record_config(base: &aws_config::SdkConfig, account: &str, region: &str, global: bool) {
    use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup};
    let cfg = member_config(base, account, region).await;
    let bucket = format!("config-{account}-{region}");
    let s3 = aws_sdk_s3::Client::new(&cfg);
    let mut create = s3.create_bucket().bucket(&bucket);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                .build(),
        );
    }
    if s3.head_bucket().bucket(&bucket).send().await.is_err() {
        create.send().await.expect("config bucket");
    }
    let config = aws_sdk_config::Client::new(&cfg);
    config
        .put_configuration_recorder()
        .configuration_recorder(
            ConfigurationRecorder::builder()
                .name("default")
                .role_arn(format!("arn:aws:iam::{account}:role/config-recorder"))
                .recording_group(
                    RecordingGroup::builder()
                        .all_supported(true)
                        .include_global_resource_types(global)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("recorder");
    config
        .put_delivery_channel()
        .delivery_channel(
            DeliveryChannel::builder()
                .name("default")
                .s3_bucket_name(&bucket)
                .build(),
        )
        .send()
        .await
        .expect("delivery channel");
    config
        .start_configuration_recorder()
        .configuration_recorder_name("default")
        .send()
        .await
        .expect("start recorder");
}

/// CIS 3.3 (v7.0.0 4.3) asks for global resource types in the account's recording: once, in
/// any region. Judged over all of an account's regions and published in its home region.
#[test]
fn cis_3_3_needs_global_resource_types_recorded_in_one_region() {
    rampart_testbed::block_on(async {
        const OTHER: &str = "us-east-1";
        // Members of its own in the binary's shared emulator.
        let base = shared::management(REGION).await;
        let org = fixtures::add_members(
            &base,
            &[Profile::default(), Profile::default(), Profile::default()],
            &[REGION, OTHER],
        )
        .await
        .expect("org");
        fixtures::enable_security_hub(&base, &org)
            .await
            .expect("enable hub");
        let (global_once, regional_only, none) =
            (&org.members[0].id, &org.members[1].id, &org.members[2].id);
        // Records in both regions, global types only in the second one.
        record_config(&base, global_once, REGION, false).await;
        record_config(&base, global_once, OTHER, true).await;
        // Records in both regions, never global types.
        record_config(&base, regional_only, REGION, false).await;
        record_config(&base, regional_only, OTHER, false).await;

        let run = |id: &'static str| {
            let sessions = sessions(&base, id);
            let targets = org.targets();
            let plan = complete(&org.regions, id, &[&CIS_V3_0_0, &CIS_V7_0_0]);
            async move { fleet::run(&sessions, &targets, &plan).await }
        };
        let report = run("cis33").await;
        let verdict = |report: &fleet::FleetReport, account: &str| {
            let a = report
                .accounts
                .iter()
                .find(|a| a.account_id == account)
                .expect("account");
            let outcomes: Vec<_> = a
                .outcomes
                .iter()
                .filter(|o| o.check_id == "config.global-resource-types")
                .collect();
            // One judgement per account, not one per region.
            assert_eq!(outcomes.len(), 1, "{account}: {outcomes:?}");
            match &outcomes[0].status {
                rampart_common::CheckStatus::Evaluated { verdicts } => {
                    verdicts.iter().all(|v| v.passed)
                }
                other => panic!("{account}: not evaluated: {other:?}"),
            }
        };
        assert!(verdict(&report, global_once));
        assert!(!verdict(&report, regional_only));
        assert!(!verdict(&report, none));

        // What each member's Security Hub shows for 3.3 (v3.0.0) and 4.3 (v7.0.0).
        let status = |fs: &[Finding], b: &Benchmark, id: &str| -> Vec<String> {
            cell(fs, b, id)
                .iter()
                .filter(|f| f.check_id() == Some("config.global-resource-types"))
                .map(|f| f.compliance.status.clone())
                .collect()
        };
        for (account, want) in [
            (global_once, "PASSED"),
            (regional_only, "FAILED"),
            (none, "FAILED"),
        ] {
            let fs = findings_in(&base, account, REGION).await.expect("findings");
            assert_eq!(status(&fs, &CIS_V3_0_0, "3.3"), vec![want], "{account}");
            assert_eq!(status(&fs, &CIS_V7_0_0, "4.3"), vec![want], "{account}");
        }

        // The account that fixes its recording passes on the next run; its finding follows.
        record_config(&base, regional_only, OTHER, true).await;
        let report = run("cis33-2").await;
        assert!(verdict(&report, regional_only));
        let fs = findings_in(&base, regional_only, REGION)
            .await
            .expect("findings");
        assert_eq!(status(&fs, &CIS_V3_0_0, "3.3"), vec!["PASSED"]);
    });
}

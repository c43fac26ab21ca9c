//! Publishing end to end: findings land in each member's own Security Hub, a fixed issue turns
//! PASSED, a deleted resource is archived, and an errored check's findings are left alone.

use rampart_common::{CheckStatus, Finding};
use rampart_hub::fleet;
use rampart_testbed::fixtures::{self, findings_in, member_config, Profile};
use rampart_testbed::shared;
use rampart_testbed::{plan, sessions, Emulator};

const REGION: &str = "eu-west-1";

fn by_check<'a>(fs: &'a [Finding], check: &str) -> Vec<&'a Finding> {
    fs.iter().filter(|f| f.check_id() == Some(check)).collect()
}

#[test]
fn findings_land_in_members_and_close_when_fixed() {
    rampart_testbed::block_on(findings_land_in_members_and_close_when_fixed_body());
}

async fn findings_land_in_members_and_close_when_fixed_body() {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let bad = Profile {
        password_policy: Some((8, 0)),
        open_ssh: true,
        ..Profile::default()
    };
    let org = fixtures::create_org(
        &base,
        &[bad.clone(), bad.clone(), Profile::default()],
        &[REGION],
    )
    .await
    .expect("org");
    fixtures::enable_security_hub(&base, &org)
        .await
        .expect("enable hub");
    let regions = org.regions.clone();

    let sessions = sessions(&base, "pub-1");
    let targets = org.targets();
    let report = fleet::run(&sessions, &targets, &plan(&regions, true, "pub-1")).await;
    for a in &report.accounts {
        assert!(a.error.is_none(), "{:?}", a.error);
        for p in &a.publish {
            assert!(
                p.report.error.is_none() && p.report.failed.is_empty(),
                "{p:?}"
            );
        }
    }

    // Each member's findings are in its own Security Hub, about itself only.
    let m0 = &org.members[0];
    let f0 = findings_in(&base, &m0.id, REGION).await.unwrap();
    assert!(!f0.is_empty());
    assert!(f0
        .iter()
        .all(|f| f.aws_account_id == m0.id && f.product_arn.contains(&m0.id)));
    assert_eq!(by_check(&f0, "iam.password-min-length").len(), 1);
    assert_eq!(by_check(&f0, "ec2.sg-admin-ports-ipv4").len(), 1);
    let f2 = findings_in(&base, &org.members[2].id, REGION)
        .await
        .unwrap();
    assert!(
        by_check(&f2, "iam.password-min-length").is_empty(),
        "the good member has no password finding"
    );
    assert!(by_check(&f2, "ec2.sg-admin-ports-ipv4").is_empty());
    // Nothing was imported into the hub's own account.
    let hub = findings_in(&base, &org.management, REGION).await.unwrap();
    assert!(hub.is_empty(), "hub has {} findings", hub.len());

    // Fix the password policy in member 0 and delete its open security group.
    let cfg = member_config(&base, &m0.id, REGION).await;
    aws_sdk_iam::Client::new(&cfg)
        .update_account_password_policy()
        .minimum_password_length(14)
        .password_reuse_prevention(24)
        .send()
        .await
        .unwrap();
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let sg = ec2
        .describe_security_groups()
        .group_names("ssh-from-anywhere")
        .send()
        .await
        .unwrap();
    let sg_id = sg.security_groups()[0].group_id().unwrap().to_string();
    ec2.delete_security_group()
        .group_id(&sg_id)
        .send()
        .await
        .unwrap();

    let report = fleet::run(&sessions, &targets[..1], &plan(&regions, true, "pub-2")).await;
    let p = &report.accounts[0].publish[0].report;
    assert!(p.resolved >= 2 && p.archived >= 1, "{p:?}");

    let f0 = findings_in(&base, &m0.id, REGION).await.unwrap();
    let pw = by_check(&f0, "iam.password-min-length");
    assert_eq!(
        pw[0].compliance.status, "PASSED",
        "fixed finding turns PASSED"
    );
    assert_eq!(pw[0].record_state, "ACTIVE");
    let sgf = by_check(&f0, "ec2.sg-admin-ports-ipv4");
    assert_eq!(
        sgf[0].record_state, "ARCHIVED",
        "deleted resource's finding is archived"
    );
    // Unfixed issues stay failed.
    let ebs_or_default: Vec<_> = by_check(&f0, "ec2.default-sg-closed");
    assert!(ebs_or_default
        .iter()
        .all(|f| f.compliance.status == "FAILED" && f.record_state == "ACTIVE"));
    // Member 1 was not in this run: untouched.
    let f1 = findings_in(&base, &org.members[1].id, REGION)
        .await
        .unwrap();
    assert_eq!(
        by_check(&f1, "iam.password-min-length")[0]
            .compliance
            .status,
        "FAILED"
    );

    // A run where a check errors must not close that check's findings, even though the
    // finding would otherwise be stale.
    let m1 = &org.members[1];
    let cfg1 = member_config(&base, &m1.id, REGION).await;
    aws_sdk_iam::Client::new(&cfg1)
        .update_account_password_policy()
        .minimum_password_length(14)
        .password_reuse_prevention(24)
        .send()
        .await
        .unwrap();
    let mut outcomes = fleet::run(&sessions, &targets[1..2], &plan(&regions, false, "pub-3"))
        .await
        .accounts
        .remove(0)
        .outcomes;
    for o in &mut outcomes {
        if o.check_id == "iam.password-min-length" {
            o.status = CheckStatus::Error {
                reason: "iam:GetAccountPasswordPolicy: Throttling: Rate exceeded".into(),
            };
        }
    }
    let pub_report = rampart_member::assess::publish_outcomes(
        &cfg1,
        &m1.id,
        REGION,
        &outcomes,
        &plan(&regions, true, "pub-3").account,
        None,
    )
    .await;
    assert!(pub_report.report.error.is_none(), "{pub_report:?}");
    let f1 = findings_in(&base, &m1.id, REGION).await.unwrap();
    let pw1 = by_check(&f1, "iam.password-min-length");
    assert_eq!(
        pw1[0].compliance.status, "FAILED",
        "errored check's finding left alone"
    );
    assert_eq!(pw1[0].record_state, "ACTIVE");
}

#[test]
fn trail_and_planted_mistakes_are_reported_exactly() {
    rampart_testbed::block_on(async {
        // Members of its own in the binary's shared emulator.
        let base = shared::management(REGION).await;
        let clean = Profile::default();
        let messy = Profile {
            trail: false,
            ebs_encryption: false,
            open_rdp_ipv6: true,
            risky_user: true,
            ..Profile::default()
        };
        let org = fixtures::add_members(&base, &[clean, messy], &[REGION])
            .await
            .expect("org");
        let targets = org.targets();
        let report = fleet::run(
            &sessions(&base, "exact"),
            &targets,
            &plan(&org.regions, false, "exact"),
        )
        .await;
        let failing = |i: usize| -> Vec<String> {
            let mut v: Vec<String> = report
                .accounts
                .iter()
                .find(|a| a.account_id == org.members[i].id)
                .expect("account")
                .outcomes
                .iter()
                .filter(|o| o.failures().next().is_some())
                .map(|o| o.check_id.clone())
                .collect();
            v.sort();
            v
        };
        // The clean member's whole chain (trail, log group, metric filters, alarms, a topic with
        // a confirmed subscription) is read back: all 15 monitoring checks pass.
        let clean = report
            .accounts
            .iter()
            .find(|a| a.account_id == org.members[0].id)
            .expect("clean account");
        let monitoring: Vec<_> = clean
            .outcomes
            .iter()
            .filter(|o| o.check_id.starts_with("monitoring."))
            .collect();
        assert_eq!(monitoring.len(), 15);
        for o in monitoring {
            assert!(
                matches!(&o.status, CheckStatus::Evaluated { verdicts } if !verdicts.is_empty() && verdicts.iter().all(|v| v.passed)),
                "{o:?}"
            );
        }
        // Nothing the checks call is left unanswered.
        let errors: Vec<_> = report
            .accounts
            .iter()
            .flat_map(|a| &a.outcomes)
            .filter(|o| matches!(o.status, CheckStatus::Error { .. }))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        // Root MFA cannot be set in the emulator, and its default VPC (like AWS's) has a default
        // group with rules, an allow-all network ACL and no flow log; AWS managed policies are not
        // loaded, so no support role can exist; no Config recorder or Security Hub was set up:
        // those fail everywhere;
        // everything else is exactly what was planted.
        assert_eq!(
            failing(0),
            vec![
                "config.global-resource-types",
                "config.recorder-enabled",
                "ec2.default-sg-closed",
                "ec2.nacl-admin-ports",
                "ec2.vpc-flow-logs",
                "iam.root-hardware-mfa",
                "iam.root-mfa",
                "iam.support-role",
                "securityhub.enabled"
            ]
        );
        // Without a trail, none of the 15 monitoring chains (4.1-4.15) can exist, and no S3
        // object-level events are logged (3.8, 3.9).
        let mut expected: Vec<String> = vec![
            "cloudtrail.multi-region-logging",
            "cloudtrail.s3-object-read-events",
            "cloudtrail.s3-object-write-events",
            "config.global-resource-types",
            "config.recorder-enabled",
            "ec2.default-sg-closed",
            "ec2.ebs-default-encryption",
            "ec2.nacl-admin-ports",
            "ec2.sg-admin-ports-ipv6",
            "ec2.vpc-flow-logs",
            "iam.console-user-mfa",
            "iam.keys-at-initial-setup",
            "iam.no-full-admin-policies",
            "iam.root-hardware-mfa",
            "iam.root-mfa",
            "iam.single-active-key",
            "iam.support-role",
            "iam.user-policies-via-groups",
            "securityhub.enabled",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        expected.extend(
            rampart_member::checks::monitoring::CHECKS
                .iter()
                .map(|c| c.meta.id.to_string()),
        );
        expected.sort();
        assert_eq!(failing(1), expected);
    });
}

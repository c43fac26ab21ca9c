//! The emulator's launcher fixes, each through the real AWS SDK for Rust: CloudWatch over Smithy
//! RPC v2 CBOR, IAM Access Analyzer, S3 bucket versioning with MFA Delete, network interface
//! security groups that are replaced rather than joined, CloudFormation's Ref of an event bus
//! and inline role policies, Organizations without an organization, centralized root access
//! and the delegation policy, Security Hub BatchUpdateFindings, instance metadata options that
//! keep what a change does not name, network ACL entries that are not there, a password policy
//! without expiry, KMS rotation periods, SQS queue policies that other attribute changes
//! keep, DescribeTrails by name, Lambda AddPermission statements, ECR scan on push turned
//! off, CodeBuild UpdateProject,
//! Athena UpdateWorkGroup, Redshift's zero snapshot retention, ElastiCache ModifyCacheCluster,
//! and the testbed's aging of access keys. Plus the user-facing
//! `rampart-emulator` command.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use aws_sdk_s3::types::{
    BucketVersioningStatus, MfaDelete, MfaDeleteStatus, VersioningConfiguration,
};
use rampart_testbed::fixtures::{self, member_config, Profile};
use rampart_testbed::shared;
use rampart_testbed::Emulator;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REGION: &str = "us-east-1";

fn code<E, R>(e: &aws_sdk_cloudwatch::error::SdkError<E, R>) -> Option<String>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .map(str::to_string)
}

#[test]
fn cloudwatch_alarms_round_trip_over_cbor() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let cw = aws_sdk_cloudwatch::Client::new(&base);
        let topic = "arn:aws:sns:us-east-1:123456789012:security-alerts";
        for (name, metric) in [("root-usage", "RootUsage"), ("iam-changes", "IamChanges")] {
            cw.put_metric_alarm()
                .alarm_name(name)
                .alarm_description("CIS monitoring")
                .namespace("CISBenchmark")
                .metric_name(metric)
                .statistic(Statistic::Sum)
                .period(300)
                .evaluation_periods(1)
                .threshold(1.5)
                .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
                .dimensions(
                    Dimension::builder()
                        .name("Trail")
                        .value("org-audit")
                        .build(),
                )
                .alarm_actions(topic)
                .send()
                .await
                .expect("PutMetricAlarm");
        }

        // What the monitoring collector reads: every alarm with its metric and actions.
        let all = cw
            .describe_alarms()
            .max_records(100)
            .send()
            .await
            .expect("DescribeAlarms");
        let mut names: Vec<&str> = all
            .metric_alarms()
            .iter()
            .filter_map(|a| a.alarm_name())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["iam-changes", "root-usage"]);
        let root = all
            .metric_alarms()
            .iter()
            .find(|a| a.alarm_name() == Some("root-usage"))
            .expect("root-usage alarm");
        assert_eq!(root.namespace(), Some("CISBenchmark"));
        assert_eq!(root.metric_name(), Some("RootUsage"));
        assert_eq!(root.alarm_actions(), [topic]);
        assert_eq!(root.threshold(), Some(1.5));
        assert_eq!(root.period(), Some(300));
        assert_eq!(root.statistic(), Some(&Statistic::Sum));
        assert_eq!(root.dimensions().len(), 1);
        assert_eq!(root.dimensions()[0].value(), Some("org-audit"));
        assert!(root
            .alarm_arn()
            .is_some_and(|a| a.ends_with(":alarm:root-usage")));
        // Timestamps travel as CBOR tag 1 and decode to a plausible instant.
        let updated = root
            .state_updated_timestamp()
            .expect("state timestamp")
            .secs();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((now - updated).abs() < 3600, "{updated} vs {now}");
        assert!(root.state_value().is_some());

        // Filtered reads.
        let by_name = cw
            .describe_alarms()
            .alarm_names("iam-changes")
            .send()
            .await
            .expect("DescribeAlarms by name");
        assert_eq!(by_name.metric_alarms().len(), 1);
        let for_metric = cw
            .describe_alarms_for_metric()
            .namespace("CISBenchmark")
            .metric_name("RootUsage")
            .send()
            .await
            .expect("DescribeAlarmsForMetric");
        let found: Vec<&str> = for_metric
            .metric_alarms()
            .iter()
            .filter_map(|a| a.alarm_name())
            .collect();
        assert_eq!(found, ["root-usage"]);
        let alarming = cw
            .describe_alarms()
            .state_value(StateValue::Alarm)
            .send()
            .await
            .expect("DescribeAlarms by state");
        assert!(alarming.metric_alarms().is_empty());

        // Errors keep their code.
        let err = cw
            .get_dashboard()
            .dashboard_name("no-such-dashboard")
            .send()
            .await
            .expect_err("no dashboard");
        assert_eq!(code(&err).as_deref(), Some("ResourceNotFound"), "{err:?}");

        // Deletion round-trips too, and alarms are per account: a member sees none.
        cw.delete_alarms()
            .alarm_names("iam-changes")
            .send()
            .await
            .expect("DeleteAlarms");
        let left = cw.describe_alarms().send().await.expect("DescribeAlarms");
        assert_eq!(left.metric_alarms().len(), 1);
        let org = fixtures::create_org(&base, &[no_plants()], &[REGION])
            .await
            .expect("org");
        let member = member_config(&base, &org.members[0].id, REGION).await;
        let theirs = aws_sdk_cloudwatch::Client::new(&member)
            .describe_alarms()
            .send()
            .await
            .expect("member DescribeAlarms");
        assert!(theirs.metric_alarms().is_empty());
    });
}

/// A member with nothing planted (only the role the fixtures always create).
fn no_plants() -> Profile {
    Profile {
        password_policy: None,
        trail: false,
        security_contact: false,
        access_analyzer: false,
        ..Profile::default()
    }
}

#[test]
fn access_analyzers_are_created_listed_and_scoped_like_aws() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[no_plants()], &[REGION])
            .await
            .expect("org");
        let member = member_config(&base, &org.members[0].id, REGION).await;
        let aa = aws_sdk_accessanalyzer::Client::new(&member);
        let none = aa.list_analyzers().send().await.expect("ListAnalyzers");
        assert!(none.analyzers().is_empty());

        let arn = aa
            .create_analyzer()
            .analyzer_name("account-analyzer")
            .r#type(aws_sdk_accessanalyzer::types::Type::Account)
            .send()
            .await
            .expect("CreateAnalyzer")
            .arn()
            .map(str::to_string);
        let expected_arn = format!(
            "arn:aws:access-analyzer:{REGION}:{}:analyzer/account-analyzer",
            org.members[0].id
        );
        assert_eq!(arn.as_deref(), Some(expected_arn.as_str()));
        let list = aa.list_analyzers().send().await.expect("ListAnalyzers");
        assert_eq!(list.analyzers().len(), 1);
        let a = &list.analyzers()[0];
        assert_eq!(a.name(), "account-analyzer");
        assert_eq!(a.arn(), expected_arn);
        assert_eq!(a.r#type(), &aws_sdk_accessanalyzer::types::Type::Account);
        assert_eq!(
            a.status(),
            &aws_sdk_accessanalyzer::types::AnalyzerStatus::Active
        );
        let filtered = aa
            .list_analyzers()
            .r#type(aws_sdk_accessanalyzer::types::Type::AccountUnusedAccess)
            .send()
            .await
            .expect("ListAnalyzers by type");
        assert!(filtered.analyzers().is_empty());
        let got = aa
            .get_analyzer()
            .analyzer_name("account-analyzer")
            .send()
            .await
            .expect("GetAnalyzer");
        assert_eq!(got.analyzer().map(|a| a.arn()), Some(expected_arn.as_str()));

        // Regional and per account: another region and the management account see none.
        let west = member
            .to_builder()
            .region(aws_types::region::Region::new("eu-west-1"))
            .build();
        let elsewhere = aws_sdk_accessanalyzer::Client::new(&west)
            .list_analyzers()
            .send()
            .await
            .expect("ListAnalyzers in another region");
        assert!(elsewhere.analyzers().is_empty());
        let mgmt = aws_sdk_accessanalyzer::Client::new(&base);
        assert!(mgmt
            .list_analyzers()
            .send()
            .await
            .expect("ListAnalyzers")
            .analyzers()
            .is_empty());

        // As on AWS: one analyzer per kind with the account as zone of trust, unique names,
        // and organization analyzers only from the management account.
        let again = aa
            .create_analyzer()
            .analyzer_name("second")
            .r#type(aws_sdk_accessanalyzer::types::Type::Account)
            .send()
            .await
            .expect_err("a second account analyzer");
        assert!(
            again
                .as_service_error()
                .is_some_and(|e| e.is_service_quota_exceeded_exception()),
            "{again:?}"
        );
        let clash = aa
            .create_analyzer()
            .analyzer_name("account-analyzer")
            .r#type(aws_sdk_accessanalyzer::types::Type::AccountUnusedAccess)
            .send()
            .await
            .expect_err("a taken name");
        assert!(
            clash
                .as_service_error()
                .is_some_and(|e| e.is_conflict_exception()),
            "{clash:?}"
        );
        let org_from_member = aa
            .create_analyzer()
            .analyzer_name("org-analyzer")
            .r#type(aws_sdk_accessanalyzer::types::Type::Organization)
            .send()
            .await
            .expect_err("an organization analyzer from a member");
        assert!(
            org_from_member
                .as_service_error()
                .is_some_and(|e| e.is_validation_exception()),
            "{org_from_member:?}"
        );
        mgmt.create_analyzer()
            .analyzer_name("org-analyzer")
            .r#type(aws_sdk_accessanalyzer::types::Type::Organization)
            .send()
            .await
            .expect("an organization analyzer from the management account");

        // Deleted analyzers are gone; the emulator's reset clears the rest.
        aa.delete_analyzer()
            .analyzer_name("account-analyzer")
            .send()
            .await
            .expect("DeleteAnalyzer");
        let missing = aa
            .get_analyzer()
            .analyzer_name("account-analyzer")
            .send()
            .await
            .expect_err("deleted");
        assert!(
            missing
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()),
            "{missing:?}"
        );
        assert!(aa
            .list_analyzers()
            .send()
            .await
            .expect("ListAnalyzers")
            .analyzers()
            .is_empty());
        reset(&emu);
        assert!(mgmt
            .list_analyzers()
            .send()
            .await
            .expect("ListAnalyzers after reset")
            .analyzers()
            .is_empty());
    });
}

/// `POST /moto-api/reset` (clears all emulator state).
fn reset(emu: &Emulator) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", emu.port)).expect("connect");
    write!(
        s,
        "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
}

fn s3(cfg: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(cfg)
            .force_path_style(true)
            .build(),
    )
}

fn versioning(status: BucketVersioningStatus, mfa: Option<MfaDelete>) -> VersioningConfiguration {
    VersioningConfiguration::builder()
        .status(status)
        .set_mfa_delete(mfa)
        .build()
}

#[test]
fn bucket_versioning_reports_status_and_mfa_delete() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let s3 = s3(&base);
        let bucket = "versioned-data";
        s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("bucket");
        let read = || async {
            let v = s3
                .get_bucket_versioning()
                .bucket(bucket)
                .send()
                .await
                .expect("GetBucketVersioning");
            (v.status().cloned(), v.mfa_delete().cloned())
        };
        // Never configured: neither element.
        assert_eq!(read().await, (None, None));
        for status in [
            BucketVersioningStatus::Enabled,
            BucketVersioningStatus::Suspended,
        ] {
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(versioning(status.clone(), None))
                .send()
                .await
                .expect("PutBucketVersioning");
            assert_eq!(read().await, (Some(status), None));
        }

        // MFA Delete needs the x-amz-mfa header; without it nothing changes.
        let denied = s3
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(versioning(
                BucketVersioningStatus::Enabled,
                Some(MfaDelete::Enabled),
            ))
            .send()
            .await
            .expect_err("MFA Delete without MFA");
        assert_eq!(
            denied
                .as_service_error()
                .and_then(|e| aws_smithy_types::error::metadata::ProvideErrorMetadata::code(e)),
            Some("AccessDenied"),
            "{denied:?}"
        );
        assert_eq!(
            read().await,
            (Some(BucketVersioningStatus::Suspended), None)
        );
        let mfa = "arn:aws:iam::123456789012:mfa/root-account-mfa-device 123456";
        s3.put_bucket_versioning()
            .bucket(bucket)
            .mfa(mfa)
            .versioning_configuration(versioning(
                BucketVersioningStatus::Enabled,
                Some(MfaDelete::Enabled),
            ))
            .send()
            .await
            .expect("PutBucketVersioning with MFA");
        assert_eq!(
            read().await,
            (
                Some(BucketVersioningStatus::Enabled),
                Some(MfaDeleteStatus::Enabled)
            )
        );

        // Once enabled, changing the versioning state needs MFA too.
        s3.put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(versioning(BucketVersioningStatus::Suspended, None))
            .send()
            .await
            .expect_err("suspending an MFA Delete bucket without MFA");
        s3.put_bucket_versioning()
            .bucket(bucket)
            .mfa(mfa)
            .versioning_configuration(versioning(
                BucketVersioningStatus::Enabled,
                Some(MfaDelete::Disabled),
            ))
            .send()
            .await
            .expect("disabling MFA Delete with MFA");
        assert_eq!(
            read().await,
            (
                Some(BucketVersioningStatus::Enabled),
                Some(MfaDeleteStatus::Disabled)
            )
        );
    });
}

fn group_ids(groups: &[aws_sdk_ec2::types::GroupIdentifier]) -> Vec<String> {
    groups
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect()
}

#[test]
fn network_interface_groups_are_replaced_not_joined() {
    rampart_testbed::block_on(async {
        // An account of its own in the binary's shared emulator.
        let (_, base) = shared::account(REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&base);
        let web = fixtures::open_group(&ec2, "web", "tcp", 443, 443, Some("0.0.0.0/0"), None)
            .await
            .expect("web group");
        let quarantine =
            fixtures::open_group(&ec2, "quarantine", "tcp", 1, 1, Some("10.0.0.1/32"), None)
                .await
                .expect("quarantine group");
        let other = fixtures::open_group(&ec2, "other", "tcp", 2, 2, Some("10.0.0.2/32"), None)
            .await
            .expect("other group");
        let run = ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .security_group_ids(&web)
            .send()
            .await
            .expect("RunInstances");
        let instance = &run.instances()[0];
        let id = instance.instance_id().expect("instance id").to_string();
        let eni = instance.network_interfaces()[0]
            .network_interface_id()
            .expect("eni")
            .to_string();
        assert_eq!(group_ids(instance.security_groups()), [web.as_str()]);

        let describe = || async {
            let i = ec2
                .describe_instances()
                .instance_ids(&id)
                .send()
                .await
                .expect("DescribeInstances")
                .reservations()[0]
                .instances()[0]
                .clone();
            let n = ec2
                .describe_network_interfaces()
                .network_interface_ids(&eni)
                .send()
                .await
                .expect("DescribeNetworkInterfaces")
                .network_interfaces()[0]
                .clone();
            (
                group_ids(i.security_groups()),
                group_ids(i.network_interfaces()[0].groups()),
                group_ids(n.groups()),
            )
        };
        ec2.modify_network_interface_attribute()
            .network_interface_id(&eni)
            .groups(&quarantine)
            .send()
            .await
            .expect("ModifyNetworkInterfaceAttribute");
        let q = vec![quarantine.clone()];
        assert_eq!(describe().await, (q.clone(), q.clone(), q));

        ec2.modify_instance_attribute()
            .instance_id(&id)
            .groups(&other)
            .send()
            .await
            .expect("ModifyInstanceAttribute");
        let o = vec![other.clone()];
        assert_eq!(describe().await, (o.clone(), o.clone(), o));
    });
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[test]
fn the_emulator_command_prints_its_url_serves_and_stops() {
    // Installs the emulator if this is the first test to run.
    rampart_testbed::emulator::ensure_installed().expect("emulator installed");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart-emulator"))
        .args(["--port", &port.to_string(), "--members", "1"])
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rampart-emulator");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut printed = Vec::new();
    while !printed
        .iter()
        .any(|l: &String| l.contains(&format!("AWS_ENDPOINT_URL={url}")))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => printed.push(line),
            Err(e) => {
                let _ = child.kill();
                panic!("no endpoint printed ({e}): {printed:?}");
            }
        }
    }
    assert!(printed.iter().any(|l| l.contains(&url)), "{printed:?}");

    // It answers through the SDK, with the emulator's own settings passed through: AWS managed
    // policies exist only when MOTO_IAM_LOAD_MANAGED_POLICIES reached it.
    let answered = rampart_testbed::block_on(async move {
        let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(REGION))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await;
        let who = aws_sdk_sts::Client::new(&cfg)
            .get_caller_identity()
            .send()
            .await
            .expect("GetCallerIdentity");
        let policy = aws_sdk_iam::Client::new(&cfg)
            .get_policy()
            .policy_arn("arn:aws:iam::aws:policy/AWSSupportAccess")
            .send()
            .await;
        let accounts = aws_sdk_organizations::Client::new(&cfg)
            .list_accounts()
            .send()
            .await
            .expect("ListAccounts")
            .accounts()
            .len();
        (who.account().map(str::to_string), policy.is_ok(), accounts)
    });
    // The management account and the one member asked for.
    assert_eq!(answered, (Some("123456789012".into()), true, 2));

    // Stopped like Ctrl-C or a service manager would: the emulator goes with it.
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "rampart-emulator did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the emulator still listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Organizations: no organization is an error, not an empty list; Security Hub (like AWS)
/// accepts a delegated administrator.
#[test]
fn organizations_not_in_use_and_security_hub_delegation() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let orgs = aws_sdk_organizations::Client::new(&base);
        let not_in_use = |code: Option<&str>| code == Some("AWSOrganizationsNotInUseException");
        let e = orgs
            .list_accounts()
            .send()
            .await
            .expect_err("no organization");
        assert!(
            not_in_use(e.as_service_error().and_then(|s| s.meta().code())),
            "{e:?}"
        );
        let e = orgs
            .list_delegated_administrators()
            .send()
            .await
            .expect_err("no organization");
        assert!(
            not_in_use(e.as_service_error().and_then(|s| s.meta().code())),
            "{e:?}"
        );

        let org = fixtures::create_org(&base, &[no_plants()], &[REGION])
            .await
            .expect("org");
        let member = org.members[0].id.clone();
        orgs.register_delegated_administrator()
            .account_id(&member)
            .service_principal("securityhub.amazonaws.com")
            .send()
            .await
            .expect("Security Hub supports a delegated administrator");
        let admins = orgs
            .list_delegated_administrators()
            .service_principal("securityhub.amazonaws.com")
            .send()
            .await
            .expect("ListDelegatedAdministrators");
        let ids: Vec<_> = admins
            .delegated_administrators()
            .iter()
            .filter_map(|a| a.id())
            .collect();
        assert_eq!(ids, vec![member.as_str()]);
        assert!(!orgs
            .list_accounts()
            .send()
            .await
            .expect("ListAccounts")
            .accounts()
            .is_empty());
    });
}

#[test]
fn centralized_root_access_and_the_delegation_policy() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[no_plants()], &[REGION])
            .await
            .expect("org");
        let iam = aws_sdk_iam::Client::new(&base);
        let listed = iam
            .list_organizations_features()
            .send()
            .await
            .expect("ListOrganizationsFeatures");
        assert!(listed.enabled_features().is_empty());
        assert!(listed
            .organization_id()
            .is_some_and(|o| o.starts_with("o-")));
        iam.enable_organizations_root_credentials_management()
            .send()
            .await
            .expect("enable root credentials management");
        iam.enable_organizations_root_sessions()
            .send()
            .await
            .expect("enable root sessions");
        let features: Vec<String> = iam
            .list_organizations_features()
            .send()
            .await
            .expect("ListOrganizationsFeatures")
            .enabled_features()
            .iter()
            .map(|f| f.as_str().to_string())
            .collect();
        assert_eq!(features, vec!["RootCredentialsManagement", "RootSessions"]);
        // A member account is not the management account.
        let member = member_config(&base, &org.members[0].id, REGION).await;
        let e = aws_sdk_iam::Client::new(&member)
            .list_organizations_features()
            .send()
            .await
            .expect_err("members cannot ask");
        assert_eq!(
            e.as_service_error().and_then(|s| s.meta().code()),
            Some("AccountNotManagementOrDelegatedAdministratorException")
        );

        let orgs = aws_sdk_organizations::Client::new(&base);
        let e = orgs
            .describe_resource_policy()
            .send()
            .await
            .expect_err("no policy yet");
        assert_eq!(
            e.as_service_error().and_then(|s| s.meta().code()),
            Some("ResourcePolicyNotFoundException")
        );
        let content = r#"{"Version":"2012-10-17","Statement":[]}"#;
        orgs.put_resource_policy()
            .content(content)
            .send()
            .await
            .expect("PutResourcePolicy");
        let got = orgs
            .describe_resource_policy()
            .send()
            .await
            .expect("DescribeResourcePolicy");
        assert_eq!(
            got.resource_policy().and_then(|p| p.content()),
            Some(content)
        );
        orgs.delete_resource_policy()
            .send()
            .await
            .expect("DeleteResourcePolicy");
        assert!(orgs.describe_resource_policy().send().await.is_err());
    });
}

/// CloudFormation: `!Ref` of an event bus is its name, so a rule and a bus policy can name
/// their bus by reference (as every hub stack does); a stack's inline role policies read back
/// as JSON.
#[test]
fn cloudformation_event_bus_refs_and_inline_role_policies() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let cf = aws_sdk_cloudformation::Client::new(&base);
        let body = "Resources:\n  Bus:\n    Type: AWS::Events::EventBus\n    Properties: {Name: fixed-bus}\n  Rule:\n    Type: AWS::Events::Rule\n    Properties:\n      Name: on-fixed-bus\n      EventBusName: !Ref Bus\n      EventPattern: {source: [{prefix: aws.}]}\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: fixed-role\n      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]}\n      Policies:\n        - PolicyName: inline\n          PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: events:PutEvents, Resource: !GetAtt Bus.Arn}]}\nOutputs:\n  BusName: {Value: !Ref Bus}\n";
        cf.create_stack()
            .stack_name("bus-ref")
            .template_body(body)
            .send()
            .await
            .expect("create_stack");
        let stack = cf
            .describe_stacks()
            .stack_name("bus-ref")
            .send()
            .await
            .expect("describe");
        let stack = &stack.stacks()[0];
        assert_eq!(
            stack.stack_status().map(|s| s.as_str()),
            Some("CREATE_COMPLETE"),
            "{:?}",
            stack.stack_status_reason()
        );
        let out = stack
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some("BusName"))
            .and_then(|o| o.output_value());
        assert_eq!(out, Some("fixed-bus"));
        let rules = cf
            .describe_stack_resource()
            .stack_name("bus-ref")
            .logical_resource_id("Rule")
            .send()
            .await
            .expect("rule resource");
        assert_eq!(
            rules
                .stack_resource_detail()
                .and_then(|r| r.resource_status())
                .map(|s| s.as_str()),
            Some("CREATE_COMPLETE")
        );
        // An inline policy of a role the stack created reads back as JSON.
        let iam = aws_sdk_iam::Client::new(&base);
        let p = iam
            .get_role_policy()
            .role_name("fixed-role")
            .policy_name("inline")
            .send()
            .await
            .expect("get_role_policy");
        let text = rampart_testbed::url_decode(p.policy_document());
        let doc: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        assert_eq!(doc["Statement"][0]["Action"], "events:PutEvents");
        assert_eq!(
            doc["Statement"][0]["Resource"],
            format!(
                "arn:aws:events:{REGION}:{}:event-bus/fixed-bus",
                rampart_testbed::emulator::MANAGEMENT_ACCOUNT
            )
        );
    });
}

/// The error code of a service error, whichever service.
fn err_code<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Option<&str>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(aws_smithy_types::error::metadata::ProvideErrorMetadata::code)
}

/// Security Hub: BatchUpdateFindings sets the customer's note and workflow on the caller's
/// findings (leaving UpdatedAt alone) and lists the unknown ones as unprocessed.
#[test]
fn security_hub_batch_update_findings_sets_note_and_workflow() {
    use aws_sdk_securityhub::types::{
        AwsSecurityFinding, AwsSecurityFindingIdentifier, NoteUpdate, Resource, Severity,
        SeverityLabel, WorkflowStatus, WorkflowUpdate,
    };
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let sh = aws_sdk_securityhub::Client::new(&base);
        let account = rampart_testbed::emulator::MANAGEMENT_ACCOUNT;
        let product = format!("arn:aws:securityhub:{REGION}:{account}:product/{account}/default");
        let ident = |id: &str| {
            AwsSecurityFindingIdentifier::builder()
                .id(id)
                .product_arn(&product)
                .build()
        };
        let resolve = |ids: Vec<AwsSecurityFindingIdentifier>| {
            sh.batch_update_findings()
                .set_finding_identifiers(Some(ids))
                .note(
                    NoteUpdate::builder()
                        .text("fixed by the platform team")
                        .updated_by("alice")
                        .build(),
                )
                .workflow(
                    WorkflowUpdate::builder()
                        .status(WorkflowStatus::Resolved)
                        .build(),
                )
                .send()
        };

        // Without Security Hub the account cannot update findings.
        let e = resolve(vec![ident("any")])
            .await
            .expect_err("Security Hub not enabled");
        assert_eq!(err_code(&e), Some("InvalidAccessException"), "{e:?}");

        sh.enable_security_hub()
            .send()
            .await
            .expect("EnableSecurityHub");
        let finding = |id: &str| {
            AwsSecurityFinding::builder()
                .schema_version("2018-10-08")
                .id(id)
                .product_arn(&product)
                .generator_id("rampart")
                .aws_account_id(account)
                .types("Software and Configuration Checks/Industry and Regulatory Standards")
                .created_at("2024-01-01T00:00:00Z")
                .updated_at("2024-01-01T00:00:00Z")
                .severity(Severity::builder().label(SeverityLabel::High).build())
                .title("a finding")
                .description("a finding to triage")
                .resources(
                    Resource::builder()
                        .r#type("AwsAccount")
                        .id(format!("AWS::::Account:{account}"))
                        .build(),
                )
                .build()
        };
        let imported = sh
            .batch_import_findings()
            .findings(finding("triaged"))
            .findings(finding("untouched"))
            .send()
            .await
            .expect("BatchImportFindings");
        assert_eq!(imported.success_count(), Some(2));

        let out = resolve(vec![ident("triaged"), ident("no-such-finding")])
            .await
            .expect("BatchUpdateFindings");
        let processed: Vec<_> = out.processed_findings().iter().map(|i| i.id()).collect();
        assert_eq!(processed, [Some("triaged")]);
        assert_eq!(out.unprocessed_findings().len(), 1);
        let unprocessed = &out.unprocessed_findings()[0];
        assert_eq!(
            unprocessed.finding_identifier().and_then(|i| i.id()),
            Some("no-such-finding")
        );
        assert_eq!(
            unprocessed
                .finding_identifier()
                .and_then(|i| i.product_arn()),
            Some(product.as_str())
        );
        assert_eq!(unprocessed.error_code(), Some("FindingNotFound"));

        let findings = sh
            .get_findings()
            .send()
            .await
            .expect("GetFindings")
            .findings()
            .to_vec();
        let by_id = |id: &str| {
            findings
                .iter()
                .find(|f| f.id() == Some(id))
                .unwrap_or_else(|| panic!("{id} not found"))
                .clone()
        };
        let triaged = by_id("triaged");
        let note = triaged.note().expect("a note");
        assert_eq!(note.text(), Some("fixed by the platform team"));
        assert_eq!(note.updated_by(), Some("alice"));
        assert!(
            note.updated_at().is_some_and(|t| t.ends_with('Z')),
            "{note:?}"
        );
        assert_eq!(
            triaged.workflow().and_then(|w| w.status()),
            Some(&WorkflowStatus::Resolved)
        );
        // The deprecated WorkflowState follows the workflow status.
        assert_eq!(
            triaged.workflow_state().map(|s| s.as_str()),
            Some("RESOLVED")
        );
        // The customer's update is not the provider's: UpdatedAt stays.
        assert_eq!(triaged.updated_at(), Some("2024-01-01T00:00:00Z"));
        let untouched = by_id("untouched");
        assert!(untouched.note().is_none());
        assert!(untouched.workflow().is_none());

        // At most 100 findings a request; a note longer than 512 characters is refused.
        let e = resolve((0..101).map(|n| ident(&format!("f{n}"))).collect())
            .await
            .expect_err("101 findings");
        assert_eq!(err_code(&e), Some("InvalidInputException"), "{e:?}");
        let e = sh
            .batch_update_findings()
            .finding_identifiers(ident("triaged"))
            .note(
                NoteUpdate::builder()
                    .text("x".repeat(513))
                    .updated_by("alice")
                    .build(),
            )
            .send()
            .await
            .expect_err("a 513-character note");
        assert_eq!(err_code(&e), Some("InvalidInputException"), "{e:?}");
    });
}

/// EC2: ModifyInstanceMetadataOptions changes only what it names; the rest stays.
#[test]
fn instance_metadata_options_keep_what_a_request_does_not_name() {
    use aws_sdk_ec2::types::{
        HttpTokensState, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
        InstanceMetadataTagsState,
    };
    rampart_testbed::block_on(async {
        // An account of its own in the binary's shared emulator.
        let (_, base) = shared::account(REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&base);
        let run = ec2
            .run_instances()
            .image_id("ami-12c6146b")
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_put_response_hop_limit(2)
                    .instance_metadata_tags(InstanceMetadataTagsState::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("RunInstances");
        let id = run.instances()[0]
            .instance_id()
            .expect("instance id")
            .to_string();
        ec2.modify_instance_metadata_options()
            .instance_id(&id)
            .http_tokens(HttpTokensState::Required)
            .send()
            .await
            .expect("ModifyInstanceMetadataOptions");
        let described = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .expect("DescribeInstances");
        let md = described.reservations()[0].instances()[0]
            .metadata_options()
            .expect("metadata options")
            .clone();
        assert_eq!(md.http_tokens(), Some(&HttpTokensState::Required));
        assert_eq!(
            md.http_endpoint(),
            Some(&InstanceMetadataEndpointState::Enabled)
        );
        assert_eq!(md.http_put_response_hop_limit(), Some(2));
        assert_eq!(
            md.instance_metadata_tags(),
            Some(&InstanceMetadataTagsState::Enabled)
        );
    });
}

/// EC2: deleting or replacing a network ACL entry that is not there is
/// InvalidNetworkAclEntry.NotFound; a replaced entry changes in place.
#[test]
fn network_acl_entries_missing_are_not_found_and_replaced_in_place() {
    use aws_sdk_ec2::types::{Filter, PortRange, RuleAction};
    rampart_testbed::block_on(async {
        // An account of its own in the binary's shared emulator.
        let (_, base) = shared::account(REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&base);
        let acl = ec2
            .describe_network_acls()
            .filters(Filter::builder().name("default").values("true").build())
            .send()
            .await
            .expect("DescribeNetworkAcls")
            .network_acls()[0]
            .network_acl_id()
            .expect("acl id")
            .to_string();
        let entries = || async {
            ec2.describe_network_acls()
                .network_acl_ids(&acl)
                .send()
                .await
                .expect("DescribeNetworkAcls")
                .network_acls()[0]
                .entries()
                .iter()
                .map(|e| {
                    (
                        e.rule_number().unwrap_or_default(),
                        e.egress().unwrap_or_default(),
                        e.rule_action().map(|a| a.as_str().to_string()),
                    )
                })
                .collect::<Vec<_>>()
        };
        let before = entries().await;

        let e = ec2
            .delete_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(77)
            .egress(false)
            .send()
            .await
            .expect_err("no rule 77");
        assert_eq!(
            err_code(&e),
            Some("InvalidNetworkAclEntry.NotFound"),
            "{e:?}"
        );
        let e = ec2
            .replace_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(78)
            .egress(true)
            .protocol("-1")
            .rule_action(RuleAction::Deny)
            .cidr_block("0.0.0.0/0")
            .send()
            .await
            .expect_err("no rule 78");
        assert_eq!(
            err_code(&e),
            Some("InvalidNetworkAclEntry.NotFound"),
            "{e:?}"
        );
        assert_eq!(entries().await, before);

        // The ingress allow-all (100) becomes a deny where it stood.
        ec2.replace_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(100)
            .egress(false)
            .protocol("-1")
            .rule_action(RuleAction::Deny)
            .cidr_block("0.0.0.0/0")
            .send()
            .await
            .expect("ReplaceNetworkAclEntry");
        let expected: Vec<_> = before
            .iter()
            .map(|(n, egress, action)| {
                let action = if (*n, *egress) == (100, false) {
                    Some("deny".to_string())
                } else {
                    action.clone()
                };
                (*n, *egress, action)
            })
            .collect();
        assert_eq!(entries().await, expected);

        // A created entry deletes; then it is gone.
        ec2.create_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(50)
            .egress(false)
            .protocol("6")
            .port_range(PortRange::builder().from(22).to(22).build())
            .rule_action(RuleAction::Deny)
            .cidr_block("0.0.0.0/0")
            .send()
            .await
            .expect("CreateNetworkAclEntry");
        ec2.delete_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(50)
            .egress(false)
            .send()
            .await
            .expect("DeleteNetworkAclEntry");
        assert_eq!(entries().await, expected);
    });
}

/// IAM: a password policy without expiry has no MaxPasswordAge.
#[test]
fn password_policy_without_expiry_has_no_max_age() {
    rampart_testbed::block_on(async {
        // An account of its own in the binary's shared emulator.
        let (_, base) = shared::account(REGION).await;
        let iam = aws_sdk_iam::Client::new(&base);
        let policy = || async {
            iam.get_account_password_policy()
                .send()
                .await
                .expect("GetAccountPasswordPolicy")
                .password_policy()
                .cloned()
                .expect("a policy")
        };
        iam.update_account_password_policy()
            .minimum_password_length(14)
            .password_reuse_prevention(24)
            .send()
            .await
            .expect("UpdateAccountPasswordPolicy");
        let p = policy().await;
        assert_eq!(p.minimum_password_length(), Some(14));
        assert_eq!(p.password_reuse_prevention(), Some(24));
        assert_eq!(p.max_password_age(), None);
        assert!(!p.expire_passwords());
        iam.update_account_password_policy()
            .minimum_password_length(14)
            .max_password_age(90)
            .send()
            .await
            .expect("UpdateAccountPasswordPolicy");
        let p = policy().await;
        assert_eq!(p.max_password_age(), Some(90));
        assert!(p.expire_passwords());
    });
}

/// KMS: rotation has a period, reported with the key; keys that cannot rotate are refused.
#[test]
fn kms_rotation_period_and_unsupported_keys() {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    rampart_testbed::block_on(async {
        // An account of its own in the binary's shared emulator.
        let (_, base) = shared::account(REGION).await;
        let kms = aws_sdk_kms::Client::new(&base);
        let key = kms
            .create_key()
            .send()
            .await
            .expect("CreateKey")
            .key_metadata()
            .cloned()
            .expect("metadata");
        let status = || async {
            kms.get_key_rotation_status()
                .key_id(key.key_id())
                .send()
                .await
                .expect("GetKeyRotationStatus")
        };
        let off = status().await;
        assert!(!off.key_rotation_enabled());
        assert_eq!(off.key_id(), key.arn());
        assert_eq!(off.rotation_period_in_days(), None);

        kms.enable_key_rotation()
            .key_id(key.key_id())
            .rotation_period_in_days(180)
            .send()
            .await
            .expect("EnableKeyRotation");
        let on = status().await;
        assert!(on.key_rotation_enabled());
        assert_eq!(on.rotation_period_in_days(), Some(180));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let next = on.next_rotation_date().expect("next rotation").secs();
        assert!((next - now - 180 * 86_400).abs() < 3600, "{next} vs {now}");

        // Without a period: 365 days.
        kms.enable_key_rotation()
            .key_id(key.key_id())
            .send()
            .await
            .expect("EnableKeyRotation");
        assert_eq!(status().await.rotation_period_in_days(), Some(365));
        kms.disable_key_rotation()
            .key_id(key.key_id())
            .send()
            .await
            .expect("DisableKeyRotation");
        assert!(!status().await.key_rotation_enabled());

        let asymmetric = kms
            .create_key()
            .key_spec(KeySpec::Rsa2048)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .send()
            .await
            .expect("CreateKey")
            .key_metadata()
            .map(|m| m.key_id().to_string())
            .expect("key id");
        let e = kms
            .enable_key_rotation()
            .key_id(&asymmetric)
            .send()
            .await
            .expect_err("an asymmetric key does not rotate");
        assert_eq!(err_code(&e), Some("UnsupportedOperationException"), "{e:?}");
        let e = kms
            .enable_key_rotation()
            .key_id(key.key_id())
            .rotation_period_in_days(3000)
            .send()
            .await
            .expect_err("3000 days is too long");
        assert_eq!(err_code(&e), Some("ValidationException"), "{e:?}");
    });
}

#[test]
fn a_new_trail_records_all_management_events() {
    rampart_testbed::block_on(async {
        // An account of its own in the binary's shared emulator.
        let (_, base) = shared::account(REGION).await;
        let s3 = s3(&base);
        s3.create_bucket()
            .bucket("fresh-trail-logs")
            .send()
            .await
            .expect("bucket");
        let ct = aws_sdk_cloudtrail::Client::new(&base);
        ct.create_trail()
            .name("fresh")
            .s3_bucket_name("fresh-trail-logs")
            .send()
            .await
            .expect("CreateTrail");
        let sel = ct
            .get_event_selectors()
            .trail_name("fresh")
            .send()
            .await
            .expect("GetEventSelectors");
        assert_eq!(sel.event_selectors().len(), 1);
        let s = &sel.event_selectors()[0];
        assert_eq!(
            s.read_write_type(),
            Some(&aws_sdk_cloudtrail::types::ReadWriteType::All)
        );
        assert_eq!(s.include_management_events(), Some(true));
        assert!(s.data_resources().is_empty());
        assert!(sel.advanced_event_selectors().is_empty());
        // Advanced selectors replace the basic ones, as on AWS.
        ct.put_event_selectors()
            .trail_name("fresh")
            .advanced_event_selectors(
                aws_sdk_cloudtrail::types::AdvancedEventSelector::builder()
                    .name("management")
                    .field_selectors(
                        aws_sdk_cloudtrail::types::AdvancedFieldSelector::builder()
                            .field("eventCategory")
                            .equals("Management")
                            .build()
                            .expect("field selector"),
                    )
                    .build()
                    .expect("selector"),
            )
            .send()
            .await
            .expect("PutEventSelectors");
        let sel = ct
            .get_event_selectors()
            .trail_name("fresh")
            .send()
            .await
            .expect("GetEventSelectors");
        assert!(sel.event_selectors().is_empty());
        assert_eq!(sel.advanced_event_selectors().len(), 1);
    });
}

/// DescribeTrails with a trailNameList answers only the trails it names (by name or ARN).
#[test]
fn describe_trails_answers_only_the_trails_named() {
    rampart_testbed::block_on(async {
        let (account, base) = shared::account(REGION).await;
        let s3 = s3(&base);
        let ct = aws_sdk_cloudtrail::Client::new(&base);
        for name in ["first", "second"] {
            let bucket = format!("{name}-trail-{account}");
            s3.create_bucket()
                .bucket(&bucket)
                .send()
                .await
                .expect("bucket");
            ct.create_trail()
                .name(name)
                .s3_bucket_name(&bucket)
                .send()
                .await
                .expect("CreateTrail");
        }
        let names = |out: &aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput| {
            let mut v: Vec<String> = out
                .trail_list()
                .iter()
                .filter_map(|t| t.name().map(str::to_string))
                .collect();
            v.sort();
            v
        };
        let all = ct.describe_trails().send().await.expect("DescribeTrails");
        assert_eq!(names(&all), ["first", "second"]);
        let by_name = ct
            .describe_trails()
            .trail_name_list("second")
            .send()
            .await
            .expect("DescribeTrails by name");
        assert_eq!(names(&by_name), ["second"]);
        let arn = format!("arn:aws:cloudtrail:{REGION}:{account}:trail/first");
        let by_arn = ct
            .describe_trails()
            .trail_name_list(arn)
            .send()
            .await
            .expect("DescribeTrails by ARN");
        assert_eq!(names(&by_arn), ["first"]);
    });
}

/// The testbed's aging of an access key: a key made 120 days old and never used, as AWS would
/// list a key created then.
#[test]
fn an_access_key_can_be_made_as_old_as_a_fixture_needs() {
    rampart_testbed::block_on(async {
        let (account, base) = shared::account(REGION).await;
        let iam = aws_sdk_iam::Client::new(&base);
        iam.create_user()
            .user_name("aged")
            .send()
            .await
            .expect("user");
        let key = iam
            .create_access_key()
            .user_name("aged")
            .send()
            .await
            .expect("key");
        let id = key
            .access_key()
            .map(|k| k.access_key_id().to_string())
            .expect("id");
        shared::emulator()
            .age_access_key(&account, &id, 120)
            .expect("age");
        let listed = iam
            .list_access_keys()
            .user_name("aged")
            .send()
            .await
            .expect("keys");
        let created = listed.access_key_metadata()[0]
            .create_date()
            .expect("create date")
            .secs();
        let days = (chrono::Utc::now().timestamp() - created) / 86_400;
        assert!((119..=120).contains(&days), "{days} days");
        assert!(shared::emulator()
            .age_access_key(&account, "AKIANOSUCHKEY", 1)
            .is_err());
    });
}

/// SQS: SetQueueAttributes changes only what it names; the policy stays until an empty Policy
/// removes it.
#[test]
fn sqs_set_queue_attributes_keeps_the_policy() {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    rampart_testbed::block_on(async {
        // An account of its own in the binary's shared emulator.
        let (id, base) = shared::account(REGION).await;
        let sqs = aws_sdk_sqs::Client::new(&base);
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{id}:root")},
            "Action": "sqs:SendMessage", "Resource": format!("arn:aws:sqs:{REGION}:{id}:jobs")}]})
        .to_string();
        let url = sqs
            .create_queue()
            .queue_name("jobs")
            .attributes(A::Policy, &policy)
            .attributes(A::SqsManagedSseEnabled, "false")
            .send()
            .await
            .expect("CreateQueue")
            .queue_url()
            .expect("queue url")
            .to_string();
        let read = || async {
            sqs.get_queue_attributes()
                .queue_url(&url)
                .attribute_names(A::All)
                .send()
                .await
                .expect("GetQueueAttributes")
                .attributes()
                .cloned()
                .unwrap_or_default()
        };
        let set = |k: A, v: &str| {
            sqs.set_queue_attributes()
                .queue_url(&url)
                .attributes(k, v)
                .send()
        };
        // The policy as the queue holds it (the emulator re-serializes the JSON text).
        let held = read().await.get(&A::Policy).cloned().expect("a policy");
        let parsed = |t: &str| serde_json::from_str::<serde_json::Value>(t).expect("policy JSON");
        assert_eq!(parsed(&held), parsed(&policy));
        set(A::SqsManagedSseEnabled, "true")
            .await
            .expect("SetQueueAttributes");
        let a = read().await;
        assert_eq!(
            a.get(&A::SqsManagedSseEnabled).map(String::as_str),
            Some("true")
        );
        assert_eq!(a.get(&A::Policy), Some(&held));
        set(A::VisibilityTimeout, "45")
            .await
            .expect("SetQueueAttributes");
        assert_eq!(read().await.get(&A::Policy), Some(&held));
        set(A::Policy, "").await.expect("SetQueueAttributes");
        let a = read().await;
        assert_eq!(a.get(&A::Policy), None);
        assert_eq!(a.get(&A::VisibilityTimeout).map(String::as_str), Some("45"));
    });
}

/// An emulator that cannot bind its port while another one listens there is not mistaken for
/// it: two tests that picked the same free port once shared one emulator, and the first to
/// finish stopped it under the other (connection refused mid-test).
#[test]
fn an_emulator_is_never_mistaken_for_another_on_the_same_port() {
    let first = Emulator::start().expect("emulator");
    let port = first.port;
    let second = Emulator::launch(&rampart_testbed::emulator::Launch {
        host: "127.0.0.1".into(),
        port: Some(port),
        load_managed_policies: Some(false),
        show_log: false,
    });
    let err = second.expect_err("the second emulator cannot own a taken port");
    assert!(
        err.to_string().contains("another emulator") || err.to_string().contains("exited early"),
        "{err}"
    );
    // The first one still answers.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
}

/// Lambda: AddPermission gives the statement AWS documents: every condition in one Condition
/// (none lost or replaced), account ids as root ARNs, .amazon.com services as services.
#[test]
fn lambda_add_permission_statements_have_aws_conditions_and_principals() {
    use aws_sdk_lambda::types::FunctionUrlAuthType;
    rampart_testbed::block_on(async {
        let (account, base) = shared::account(REGION).await;
        let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let role = aws_sdk_iam::Client::new(&base)
            .create_role()
            .role_name("fn")
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .expect("CreateRole");
        let role = role.role().map(|r| r.arn().to_string()).expect("role arn");
        let lambda = aws_sdk_lambda::Client::new(&base);
        let mut zip = vec![0x50, 0x4b, 0x05, 0x06];
        zip.resize(22, 0);
        lambda
            .create_function()
            .function_name("f")
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .handler("index.handler")
            .role(role)
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                    .build(),
            )
            .send()
            .await
            .expect("CreateFunction");
        let add = |sid: &str, principal: &str| {
            lambda
                .add_permission()
                .function_name("f")
                .statement_id(sid)
                .action("lambda:InvokeFunction")
                .principal(principal)
        };
        add("source", "*")
            .source_account(&account)
            .principal_org_id("o-abcdefghij")
            .source_arn("arn:aws:s3:::bucket")
            .send()
            .await
            .expect("AddPermission");
        add("url", "*")
            .action("lambda:InvokeFunctionUrl")
            .function_url_auth_type(FunctionUrlAuthType::None)
            .send()
            .await
            .expect("AddPermission");
        add("alexa", "alexa-appkit.amazon.com")
            .event_source_token("amzn1.ask.skill.x")
            .send()
            .await
            .expect("AddPermission");
        add("account", "111122223333")
            .send()
            .await
            .expect("AddPermission");
        let out = lambda
            .get_policy()
            .function_name("f")
            .send()
            .await
            .expect("GetPolicy");
        let doc: serde_json::Value =
            serde_json::from_str(out.policy().expect("policy")).expect("policy JSON");
        let stmt = |sid: &str| {
            doc["Statement"]
                .as_array()
                .and_then(|a| a.iter().find(|s| s["Sid"] == sid))
                .cloned()
                .unwrap_or_else(|| panic!("no statement {sid}: {doc}"))
        };
        let fn_arn = format!("arn:aws:lambda:{REGION}:{account}:function:f");
        assert_eq!(
            stmt("source"),
            serde_json::json!({"Sid": "source", "Effect": "Allow", "Principal": "*",
                "Action": "lambda:InvokeFunction", "Resource": fn_arn,
                "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"},
                              "StringEquals": {"AWS:SourceAccount": account,
                                               "aws:PrincipalOrgID": "o-abcdefghij"}}})
        );
        assert_eq!(
            stmt("url")["Condition"],
            serde_json::json!({"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})
        );
        assert!(stmt("url").get("FunctionUrlAuthType").is_none());
        let alexa = stmt("alexa");
        assert_eq!(
            alexa["Principal"],
            serde_json::json!({"Service": "alexa-appkit.amazon.com"})
        );
        assert_eq!(
            alexa["Condition"],
            serde_json::json!({"StringEquals": {"lambda:EventSourceToken": "amzn1.ask.skill.x"}})
        );
        assert_eq!(
            stmt("account")["Principal"],
            serde_json::json!({"AWS": "arn:aws:iam::111122223333:root"})
        );
    });
}

/// CodeBuild: UpdateProject replaces the fields it names whole and keeps the others.
#[test]
fn codebuild_update_project_replaces_what_it_names() {
    use aws_sdk_codebuild::types::{
        ArtifactsType, ComputeType, EnvironmentType, EnvironmentVariable, ProjectArtifacts,
        ProjectEnvironment, ProjectSource, SourceType,
    };
    rampart_testbed::block_on(async {
        let (account, base) = shared::account(REGION).await;
        let cb = aws_sdk_codebuild::Client::new(&base);
        let env = |privileged| {
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .privileged_mode(privileged)
                .environment_variables(
                    EnvironmentVariable::builder()
                        .name("A")
                        .value("1")
                        .build()
                        .expect("variable"),
                )
                .build()
                .expect("environment")
        };
        cb.create_project()
            .name("built")
            .source(
                ProjectSource::builder()
                    .r#type(SourceType::Codecommit)
                    .location("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r")
                    .build()
                    .expect("source"),
            )
            .artifacts(
                ProjectArtifacts::builder()
                    .r#type(ArtifactsType::NoArtifacts)
                    .build()
                    .expect("artifacts"),
            )
            .environment(env(true))
            .service_role(format!("arn:aws:iam::{account}:role/build"))
            .send()
            .await
            .expect("CreateProject");
        let out = cb
            .update_project()
            .name("built")
            .environment(env(false))
            .send()
            .await
            .expect("UpdateProject");
        assert_eq!(
            out.project().and_then(|p| p.environment()),
            Some(&env(false))
        );
        let got = cb
            .batch_get_projects()
            .names("built")
            .send()
            .await
            .expect("BatchGetProjects");
        let p = got.projects().first().expect("the project");
        assert_eq!(p.environment(), Some(&env(false)));
        assert_eq!(
            p.source().and_then(|s| s.location()),
            Some("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r")
        );
        let missing = cb
            .update_project()
            .name("missing")
            .environment(env(false))
            .send()
            .await
            .expect_err("no such project");
        assert_eq!(err_code(&missing), Some("ResourceNotFoundException"));
    });
}

/// Athena: UpdateWorkGroup sets the configuration settings it names and keeps the others; an
/// untagged workgroup lists no tags.
#[test]
fn athena_update_work_group_sets_what_it_names() {
    use aws_sdk_athena::types::{
        ResultConfiguration, WorkGroupConfiguration, WorkGroupConfigurationUpdates,
    };
    rampart_testbed::block_on(async {
        let (account, base) = shared::account(REGION).await;
        let athena = aws_sdk_athena::Client::new(&base);
        athena
            .create_work_group()
            .name("queries")
            .configuration(
                WorkGroupConfiguration::builder()
                    .publish_cloud_watch_metrics_enabled(false)
                    .bytes_scanned_cutoff_per_query(10_000_000)
                    .result_configuration(
                        ResultConfiguration::builder()
                            .output_location("s3://results/")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("CreateWorkGroup");
        let conf = || async {
            athena
                .get_work_group()
                .work_group("queries")
                .send()
                .await
                .expect("GetWorkGroup")
                .work_group()
                .and_then(|w| w.configuration())
                .cloned()
                .expect("configuration")
        };
        athena
            .update_work_group()
            .work_group("queries")
            .configuration_updates(
                WorkGroupConfigurationUpdates::builder()
                    .publish_cloud_watch_metrics_enabled(true)
                    .build(),
            )
            .send()
            .await
            .expect("UpdateWorkGroup");
        let c = conf().await;
        assert_eq!(c.publish_cloud_watch_metrics_enabled(), Some(true));
        assert_eq!(c.bytes_scanned_cutoff_per_query(), Some(10_000_000));
        assert_eq!(
            c.result_configuration().and_then(|r| r.output_location()),
            Some("s3://results/")
        );
        athena
            .update_work_group()
            .work_group("queries")
            .configuration_updates(
                WorkGroupConfigurationUpdates::builder()
                    .remove_bytes_scanned_cutoff_per_query(true)
                    .build(),
            )
            .send()
            .await
            .expect("UpdateWorkGroup");
        let c = conf().await;
        assert_eq!(c.bytes_scanned_cutoff_per_query(), None);
        assert_eq!(c.publish_cloud_watch_metrics_enabled(), Some(true));
        let tags = athena
            .list_tags_for_resource()
            .resource_arn(format!(
                "arn:aws:athena:{REGION}:{account}:workgroup/queries"
            ))
            .send()
            .await
            .expect("ListTagsForResource of an untagged workgroup");
        assert!(tags.tags().is_empty());
        let missing = athena
            .update_work_group()
            .work_group("missing")
            .send()
            .await
            .expect_err("no such workgroup");
        assert_eq!(err_code(&missing), Some("InvalidRequestException"));
    });
}

/// Redshift: a cluster created with AutomatedSnapshotRetentionPeriod=0 has automated snapshots
/// off (moto 5.2.5 stored its default of 1), and ModifyCluster's changes show in
/// DescribeClusters.
#[test]
fn redshift_keeps_a_zero_snapshot_retention() {
    rampart_testbed::block_on(async {
        let (_, base) = shared::account(REGION).await;
        let rs = aws_sdk_redshift::Client::new(&base);
        rs.create_cluster()
            .cluster_identifier("warehouse")
            .node_type("dc2.large")
            .cluster_type("single-node")
            .master_username("rampart")
            .master_user_password("NotARealPassword1")
            .automated_snapshot_retention_period(0)
            .send()
            .await
            .expect("CreateCluster");
        let days = || async {
            rs.describe_clusters()
                .cluster_identifier("warehouse")
                .send()
                .await
                .expect("DescribeClusters")
                .clusters()[0]
                .automated_snapshot_retention_period()
        };
        assert_eq!(days().await, Some(0));
        rs.modify_cluster()
            .cluster_identifier("warehouse")
            .automated_snapshot_retention_period(7)
            .send()
            .await
            .expect("ModifyCluster");
        assert_eq!(days().await, Some(7));
    });
}

/// ElastiCache ModifyCacheCluster (missing from moto 5.2.5) sets AutoMinorVersionUpgrade and
/// SnapshotRetentionLimit, keeps what it does not name, and refuses a missing cluster.
#[test]
fn elasticache_modify_cache_cluster_sets_what_it_names() {
    rampart_testbed::block_on(async {
        let (_, base) = shared::account(REGION).await;
        let ec = aws_sdk_elasticache::Client::new(&base);
        ec.create_cache_cluster()
            .cache_cluster_id("sessions")
            .engine("redis")
            .cache_node_type("cache.t4g.micro")
            .num_cache_nodes(1)
            .auto_minor_version_upgrade(false)
            .snapshot_retention_limit(0)
            .send()
            .await
            .expect("CreateCacheCluster");
        let seen = || async {
            let out = ec
                .describe_cache_clusters()
                .cache_cluster_id("sessions")
                .send()
                .await
                .expect("DescribeCacheClusters");
            let c = &out.cache_clusters()[0];
            (c.auto_minor_version_upgrade(), c.snapshot_retention_limit())
        };
        assert_eq!(seen().await, (Some(false), Some(0)));
        ec.modify_cache_cluster()
            .cache_cluster_id("sessions")
            .auto_minor_version_upgrade(true)
            .send()
            .await
            .expect("ModifyCacheCluster");
        assert_eq!(seen().await, (Some(true), Some(0)));
        ec.modify_cache_cluster()
            .cache_cluster_id("sessions")
            .snapshot_retention_limit(1)
            .send()
            .await
            .expect("ModifyCacheCluster");
        assert_eq!(seen().await, (Some(true), Some(1)));
        let missing = ec
            .modify_cache_cluster()
            .cache_cluster_id("missing")
            .auto_minor_version_upgrade(true)
            .send()
            .await
            .expect_err("no such cluster");
        assert_eq!(err_code(&missing), Some("CacheClusterNotFound"));
    });
}

/// ECR: PutImageScanningConfiguration without scanOnPush (how SDKs send false) turns scan on
/// push off.
#[test]
fn ecr_scan_on_push_can_be_turned_off() {
    use aws_sdk_ecr::types::ImageScanningConfiguration;
    rampart_testbed::block_on(async {
        let (_, base) = shared::account(REGION).await;
        let ecr = aws_sdk_ecr::Client::new(&base);
        ecr.create_repository()
            .repository_name("team/app")
            .send()
            .await
            .expect("CreateRepository");
        let scan = || async {
            ecr.describe_repositories()
                .repository_names("team/app")
                .send()
                .await
                .expect("DescribeRepositories")
                .repositories()[0]
                .image_scanning_configuration()
                .map(|c| c.scan_on_push())
        };
        assert_eq!(scan().await, Some(false));
        for on in [true, false, true] {
            ecr.put_image_scanning_configuration()
                .repository_name("team/app")
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(on)
                        .build(),
                )
                .send()
                .await
                .expect("PutImageScanningConfiguration");
            assert_eq!(scan().await, Some(on));
        }
    });
}

//! Operator remediation end to end against the emulated organization: a planted violation in a
//! member account is planned (nothing changes), fixed (only the offending configuration),
//! re-evaluated (Rampart's own finding turns PASSED), audited with its prior state, and undone
//! to exactly the state it found. Also the Security Hub custom action over findings of three
//! accounts, and automatic mode with the member's and the administrator's copy of a finding.

use aws_config::SdkConfig;
use rampart_common::benchmarks::CIS_V3_0_0;
use rampart_common::response::ResponseConfig;
use rampart_hub::fleet;
use rampart_hub::respond::reassess::Reassess;
use rampart_hub::respond::record::{Disposition, Outcome, Status};
use rampart_hub::respond::Responder;
use rampart_member::checks::Settings;
use rampart_testbed::fixtures::{self, member_config, OrgFixture, Profile};
use rampart_testbed::respond::{alerts, config, hub_resources, HubResources};
use rampart_testbed::Emulator;
use serde_json::{json, Value};

const REGION: &str = "us-east-1";

struct World {
    _emu: Emulator,
    base: SdkConfig,
    org: OrgFixture,
    hub: HubResources,
}

async fn world(profiles: &[Profile]) -> World {
    let emu = Emulator::start().expect("emulator");
    let base = emu.sdk_config(REGION).await;
    let org = fixtures::create_org(&base, profiles, &[REGION])
        .await
        .expect("org");
    fixtures::enable_security_hub(&base, &org)
        .await
        .expect("security hub");
    let hub = hub_resources(&base).await.expect("hub resources");
    World {
        _emu: emu,
        base,
        org,
        hub,
    }
}

/// Thresholds of the test: keys count as unrotated and unused from their first day.
fn settings() -> Settings {
    Settings {
        key_rotation_days: 0,
        unused_credential_days: 0,
        ..Settings::default()
    }
}

fn responder(w: &World, plan: bool, edit: impl FnOnce(&mut ResponseConfig)) -> Responder {
    let mut cfg = config(&w.hub);
    cfg.allowed_regions = Some(vec![REGION.into()]);
    edit(&mut cfg);
    rampart_testbed::respond::responder(&w.base, cfg, plan)
        .with_settings(settings())
        .with_reassess(Reassess {
            sessions: rampart_testbed::sessions(&w.base, "reassess"),
            benchmarks: vec![&CIS_V3_0_0],
            home_region: REGION.into(),
            settings: settings(),
            publish: true,
        })
}

/// The scheduled assessment: Rampart's findings in every member's Security Hub.
async fn assess(w: &World) {
    let mut plan = rampart_testbed::plan(&[REGION.to_string()], true, "initial");
    plan.account.settings = settings();
    let report = fleet::run(
        &rampart_testbed::sessions(&w.base, "initial"),
        &w.org.targets(),
        &plan,
    )
    .await;
    for a in &report.accounts {
        assert!(a.error.is_none(), "{:?}", a.error);
    }
}

/// Rampart's finding of `check` on `resource` in the account, as Security Hub holds it.
async fn finding(w: &World, account: &str, check: &str, resource: &str) -> Option<Value> {
    let cfg = member_config(&w.base, account, REGION).await;
    let out = aws_sdk_securityhub::Client::new(&cfg)
        .get_findings()
        .max_results(100)
        .send()
        .await
        .expect("GetFindings");
    out.findings()
        .iter()
        .find(|f| {
            f.product_fields()
                .and_then(|p| p.get(rampart_common::asff::CHECK_ID_FIELD))
                .map(String::as_str)
                == Some(check)
                && f.resources().iter().any(|r| r.id() == Some(resource))
        })
        .map(|f| {
            json!({
                "Id": f.id(),
                "ProductArn": f.product_arn(),
                "Status": f.compliance().and_then(|c| c.status()).map(|s| s.as_str().to_string()),
                "Workflow": f.workflow().and_then(|w| w.status()).map(|s| s.as_str().to_string()),
                "Note": f.note().and_then(|n| n.text()),
                "NoteBy": f.note().and_then(|n| n.updated_by()),
                "UpdatedAt": f.updated_at(),
            })
        })
}

fn reevaluation(o: &Outcome) -> String {
    let r = o
        .actions
        .iter()
        .find(|a| a.action == "re-evaluate")
        .unwrap_or_else(|| panic!("no re-evaluation: {o:#?}"));
    assert_eq!(r.status, Status::Done, "{r:#?}");
    r.detail.clone()
}

async fn ec2(w: &World, account: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&member_config(&w.base, account, REGION).await)
}

/// A group's rules as comparable text, sorted.
async fn rules(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    let g = ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .expect("DescribeSecurityGroups");
    let g = &g.security_groups()[0];
    let mut out = Vec::new();
    for (dir, perms) in [
        ("in", g.ip_permissions()),
        ("out", g.ip_permissions_egress()),
    ] {
        for p in perms {
            let head = format!(
                "{dir} {} {:?}-{:?}",
                p.ip_protocol().unwrap_or_default(),
                p.from_port(),
                p.to_port()
            );
            for r in p.ip_ranges() {
                out.push(format!("{head} {}", r.cidr_ip().unwrap_or_default()));
            }
            for r in p.ipv6_ranges() {
                out.push(format!("{head} {}", r.cidr_ipv6().unwrap_or_default()));
            }
            for r in p.user_id_group_pairs() {
                out.push(format!("{head} {}", r.group_id().unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

async fn web_group(ec2: &aws_sdk_ec2::Client, name: &str, rules: &[(i32, &str)]) -> String {
    let (v4, v6) = if rules[0].1.contains(':') {
        (None, Some(rules[0].1))
    } else {
        (Some(rules[0].1), None)
    };
    let id = fixtures::open_group(ec2, name, "tcp", rules[0].0, rules[0].0, v4, v6)
        .await
        .expect("group");
    for (port, cidr) in &rules[1..] {
        let mut p = aws_sdk_ec2::types::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(*port)
            .to_port(*port);
        p = if cidr.contains(':') {
            p.ipv6_ranges(
                aws_sdk_ec2::types::Ipv6Range::builder()
                    .cidr_ipv6(*cidr)
                    .build(),
            )
        } else {
            p.ip_ranges(
                aws_sdk_ec2::types::IpRange::builder()
                    .cidr_ip(*cidr)
                    .build(),
            )
        };
        ec2.authorize_security_group_ingress()
            .group_id(&id)
            .ip_permissions(p.build())
            .send()
            .await
            .expect("AuthorizeSecurityGroupIngress");
    }
    id
}

fn sg_arn(account: &str, id: &str) -> String {
    format!("arn:aws:ec2:{REGION}:{account}:security-group/{id}")
}

#[test]
fn open_ssh_is_revoked_exactly_reevaluated_audited_and_undone() {
    rampart_testbed::block_on(async {
        let w = world(&[Profile::default()]).await;
        let acct = w.org.members[0].id.clone();
        let ec2 = ec2(&w, &acct).await;
        let gid = web_group(
            &ec2,
            "web",
            &[(22, "0.0.0.0/0"), (22, "10.0.0.0/8"), (443, "0.0.0.0/0")],
        )
        .await;
        let arn = sg_arn(&acct, &gid);
        assess(&w).await;
        let f = finding(&w, &acct, "ec2.sg-admin-ports-ipv4", &arn)
            .await
            .expect("Rampart's finding on the open group");
        assert_eq!(f["Status"], "FAILED");
        let before = rules(&ec2, &gid).await;
        let since = rampart_testbed::chrono_now();

        // The CLI's default: a plan. Nothing changes.
        let planner = responder(&w, true, |_| {});
        let o = planner
            .remediate(&acct, REGION, "EC2.53", Some(&arn), None)
            .await;
        assert_eq!(o.disposition, Disposition::Planned, "{o:#?}");
        assert_eq!(o.remediations.len(), 1);
        assert_eq!(o.remediations[0].status, Status::Planned);
        assert_eq!(
            o.remediations[0].change["revoke_ingress"][0]["cidr_ipv4"],
            "0.0.0.0/0"
        );
        assert_eq!(rules(&ec2, &gid).await, before);

        // Applied: only the world-open SSH permission goes.
        let r = responder(&w, false, |_| {});
        let o = r.remediate(&acct, REGION, "EC2.53", Some(&arn), None).await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        let a = o.remediations[0].clone();
        assert_eq!(a.status, Status::Done);
        let after = rules(&ec2, &gid).await;
        let mut expected = before.clone();
        expected.retain(|r| r != "in tcp Some(22)-Some(22) 0.0.0.0/0");
        assert_eq!(after, expected);
        assert!(after.contains(&"in tcp Some(22)-Some(22) 10.0.0.0/8".to_string()));
        assert!(after.contains(&"in tcp Some(443)-Some(443) 0.0.0.0/0".to_string()));
        // Re-evaluated at once: Rampart's own finding is PASSED.
        let detail = reevaluation(&o);
        assert!(
            detail.contains("ec2.sg-admin-ports-ipv4 in us-east-1: PASSED"),
            "{detail}"
        );
        let f = finding(&w, &acct, "ec2.sg-admin-ports-ipv4", &arn)
            .await
            .unwrap();
        assert_eq!(f["Status"], "PASSED");
        // The audit record holds the prior state.
        let items = r.store().query(Some(&acct), &since).await.expect("audit");
        let revoke = items
            .iter()
            .find(|i| i.action == "ec2:RevokeSecurityGroupIngress" && i.status == "done")
            .expect("audited revoke");
        assert_eq!(
            revoke.prior_state.as_ref().unwrap()["ingress"][0]["cidr_ipv4"],
            "0.0.0.0/0"
        );
        assert!(revoke.detail.contains(&a.id), "{}", revoke.detail);
        // Running it again changes nothing (idempotent).
        let again = r.remediate(&acct, REGION, "EC2.53", Some(&arn), None).await;
        assert_eq!(again.disposition, Disposition::Ignored, "{again:#?}");

        // Undo, planned: nothing changes.
        let o = planner.undo(&a.id).await;
        assert_eq!(o.disposition, Disposition::Planned, "{o:#?}");
        assert_eq!(rules(&ec2, &gid).await, after);
        // Undo: exactly the state found, and the control fails again.
        let o = r.undo(&a.id).await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        assert_eq!(rules(&ec2, &gid).await, before);
        let detail = reevaluation(&o);
        assert!(
            detail.contains("ec2.sg-admin-ports-ipv4 in us-east-1: FAILED"),
            "{detail}"
        );
        // An action is undone once.
        let o = r.undo(&a.id).await;
        assert_eq!(o.disposition, Disposition::Duplicate, "{o:#?}");
        // An unknown handle is refused.
        let o = r.undo("no-such-action").await;
        assert_eq!(o.disposition, Disposition::Rejected, "{o:#?}");
        // The remediation and the undo were alerted.
        let got = alerts(&w.base, &w.hub.queue_url).await.expect("alerts");
        let subjects: Vec<String> = got
            .iter()
            .filter_map(|a| a["Subject"].as_str().map(str::to_string))
            .collect();
        assert!(
            subjects
                .iter()
                .filter(|s| s.contains("remediate acted"))
                .count()
                >= 2,
            "{subjects:?}"
        );
    });
}

/// One remediation case: what is planted, the control, the resource, and how its state reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Ipv6Rdp,
    HighRiskPort,
    DefaultGroup,
    Nacl,
    PasswordPolicyMissing,
    PasswordPolicyWeak,
    EbsDefault,
    Imdsv2,
    BucketBpa,
    AccountBpa,
    TlsOnly,
    KmsRotation,
    TrailValidation,
    MultiRegionTrail,
    KeyRotation,
    UnusedKey,
    ConfigRecorder,
}

/// Planted state shared by the cases of one account.
struct Planted {
    sg6: String,
    sg_db: String,
    default_sg: String,
    nacl: String,
    instance: String,
    key_arn: String,
    trail_arn: String,
}

fn s3(cfg: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(cfg)
            .force_path_style(true)
            .build(),
    )
}

async fn plant(w: &World, acct: &str) -> Planted {
    let cfg = member_config(&w.base, acct, REGION).await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let sg6 = web_group(&ec2, "rdp6", &[(3389, "::/0"), (443, "::/0")]).await;
    let sg_db = web_group(&ec2, "db", &[(3306, "0.0.0.0/0"), (5432, "10.0.0.0/8")]).await;
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let default_sg = groups.security_groups()[0].group_id().unwrap().to_string();
    // A NACL: trusted SSH first, an SSH allow from the world, then allow-all.
    let vpc = groups.security_groups()[0].vpc_id().unwrap().to_string();
    let nacl = ec2
        .create_network_acl()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .network_acl()
        .and_then(|n| n.network_acl_id())
        .unwrap()
        .to_string();
    for (n, proto, ports, cidr) in [
        (50, "6", Some((22, 22)), "10.0.0.0/8"),
        (100, "6", Some((22, 22)), "0.0.0.0/0"),
        (200, "-1", None, "0.0.0.0/0"),
    ] {
        ec2.create_network_acl_entry()
            .network_acl_id(&nacl)
            .rule_number(n)
            .protocol(proto)
            .rule_action(aws_sdk_ec2::types::RuleAction::Allow)
            .egress(false)
            .cidr_block(cidr)
            .set_port_range(ports.map(|(f, t)| {
                aws_sdk_ec2::types::PortRange::builder()
                    .from(f)
                    .to(t)
                    .build()
            }))
            .send()
            .await
            .unwrap();
    }
    ec2.disable_ebs_encryption_by_default()
        .send()
        .await
        .unwrap();
    let instance = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .metadata_options(
            aws_sdk_ec2::types::InstanceMetadataOptionsRequest::builder()
                .http_tokens(aws_sdk_ec2::types::HttpTokensState::Optional)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_string();
    // Buckets: one open, one with a policy of its own.
    let s3 = s3(&cfg);
    for b in [format!("open-{acct}"), format!("shared-{acct}")] {
        s3.create_bucket().bucket(&b).send().await.unwrap();
    }
    let existing = json!({"Version": "2012-10-17", "Statement": [{"Sid": "PartnerRead", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{acct}:root")}, "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::shared-{acct}/*")}]});
    s3.put_bucket_policy()
        .bucket(format!("shared-{acct}"))
        .policy(existing.to_string())
        .send()
        .await
        .unwrap();
    let s3c = rampart_member::collect::s3control::client(&cfg);
    let _ = s3c
        .delete_public_access_block()
        .account_id(acct)
        .send()
        .await;
    let kms = aws_sdk_kms::Client::new(&cfg);
    let key_arn = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .and_then(|m| m.arn())
        .unwrap()
        .to_string();
    let ct = aws_sdk_cloudtrail::Client::new(&cfg);
    let bucket = format!("app-trail-{acct}");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let trail_arn = ct
        .create_trail()
        .name("app-trail")
        .s3_bucket_name(&bucket)
        .send()
        .await
        .unwrap()
        .trail_arn()
        .unwrap()
        .to_string();
    let iam = aws_sdk_iam::Client::new(&cfg);
    iam.create_user()
        .user_name("old-keys")
        .send()
        .await
        .unwrap();
    iam.create_access_key()
        .user_name("old-keys")
        .send()
        .await
        .unwrap();
    let _ = iam.delete_account_password_policy().send().await;
    let config = aws_sdk_config::Client::new(&cfg);
    config
        .put_configuration_recorder()
        .configuration_recorder(
            aws_sdk_config::types::ConfigurationRecorder::builder()
                .name("default")
                .role_arn(format!("arn:aws:iam::{acct}:role/config-recorder"))
                .recording_group(
                    aws_sdk_config::types::RecordingGroup::builder()
                        .all_supported(false)
                        .include_global_resource_types(false)
                        .resource_types(aws_sdk_config::types::ResourceType::Instance)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    config
        .put_delivery_channel()
        .delivery_channel(
            aws_sdk_config::types::DeliveryChannel::builder()
                .name("default")
                .s3_bucket_name(&bucket)
                .build(),
        )
        .send()
        .await
        .unwrap();
    Planted {
        sg6,
        sg_db,
        default_sg,
        nacl,
        instance,
        key_arn,
        trail_arn,
    }
}

impl Case {
    /// Set-up a case needs beyond the shared plant.
    async fn prepare(self, w: &World, acct: &str) {
        if self == Case::PasswordPolicyWeak {
            let cfg = member_config(&w.base, acct, REGION).await;
            aws_sdk_iam::Client::new(&cfg)
                .update_account_password_policy()
                .minimum_password_length(8)
                .require_symbols(true)
                .max_password_age(90)
                .send()
                .await
                .unwrap();
        }
    }

    fn control(self) -> &'static str {
        match self {
            Case::Ipv6Rdp => "EC2.54",
            Case::HighRiskPort => "EC2.19",
            Case::DefaultGroup => "EC2.2",
            Case::Nacl => "EC2.21",
            Case::PasswordPolicyMissing => "IAM.15",
            Case::PasswordPolicyWeak => "IAM.16",
            Case::EbsDefault => "EC2.7",
            Case::Imdsv2 => "EC2.8",
            Case::BucketBpa => "S3.8",
            Case::AccountBpa => "S3.1",
            Case::TlsOnly => "S3.5",
            Case::KmsRotation => "KMS.4",
            Case::TrailValidation => "CloudTrail.4",
            Case::MultiRegionTrail => "CloudTrail.1",
            Case::KeyRotation => "IAM.3",
            Case::UnusedKey => "IAM.22",
            Case::ConfigRecorder => "Config.1",
        }
    }

    fn resource(self, acct: &str, p: &Planted) -> Option<String> {
        match self {
            Case::Ipv6Rdp => Some(sg_arn(acct, &p.sg6)),
            Case::HighRiskPort => Some(sg_arn(acct, &p.sg_db)),
            Case::DefaultGroup => Some(sg_arn(acct, &p.default_sg)),
            Case::Nacl => Some(format!(
                "arn:aws:ec2:{REGION}:{acct}:network-acl/{}",
                p.nacl
            )),
            Case::Imdsv2 => Some(format!(
                "arn:aws:ec2:{REGION}:{acct}:instance/{}",
                p.instance
            )),
            Case::BucketBpa => Some(format!("arn:aws:s3:::open-{acct}")),
            Case::TlsOnly => Some(format!("arn:aws:s3:::shared-{acct}")),
            Case::KmsRotation => Some(p.key_arn.clone()),
            Case::TrailValidation => Some(p.trail_arn.clone()),
            Case::KeyRotation | Case::UnusedKey => {
                Some(format!("arn:aws:iam::{acct}:user/old-keys"))
            }
            _ => None,
        }
    }

    /// The state the remediation changes, as AWS shows it.
    async fn state(self, w: &World, acct: &str, p: &Planted) -> Value {
        let cfg = member_config(&w.base, acct, REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&cfg);
        match self {
            Case::Ipv6Rdp => json!(rules(&ec2, &p.sg6).await),
            Case::HighRiskPort => json!(rules(&ec2, &p.sg_db).await),
            Case::DefaultGroup => json!(rules(&ec2, &p.default_sg).await),
            Case::Nacl => {
                let out = ec2
                    .describe_network_acls()
                    .network_acl_ids(&p.nacl)
                    .send()
                    .await
                    .unwrap();
                let mut e: Vec<String> = out.network_acls()[0]
                    .entries()
                    .iter()
                    .filter(|e| e.egress() == Some(false))
                    .map(|e| {
                        format!(
                            "{:05} {} {:?} {:?} {}",
                            e.rule_number().unwrap_or_default(),
                            e.protocol().unwrap_or_default(),
                            e.port_range().map(|r| (r.from(), r.to())),
                            e.rule_action(),
                            e.cidr_block().or(e.ipv6_cidr_block()).unwrap_or_default()
                        )
                    })
                    .collect();
                e.sort();
                json!(e)
            }
            Case::PasswordPolicyMissing | Case::PasswordPolicyWeak => {
                match aws_sdk_iam::Client::new(&cfg)
                    .get_account_password_policy()
                    .send()
                    .await
                {
                    Ok(o) => json!(format!("{:?}", o.password_policy())),
                    Err(_) => Value::Null,
                }
            }
            Case::EbsDefault => json!(ec2
                .get_ebs_encryption_by_default()
                .send()
                .await
                .unwrap()
                .ebs_encryption_by_default()),
            Case::Imdsv2 => {
                let out = ec2
                    .describe_instances()
                    .instance_ids(&p.instance)
                    .send()
                    .await
                    .unwrap();
                let i = &out.reservations()[0].instances()[0];
                json!(i
                    .metadata_options()
                    .and_then(|m| m.http_tokens())
                    .map(|t| t.as_str().to_string()))
            }
            Case::BucketBpa => {
                match s3(&cfg)
                    .get_public_access_block()
                    .bucket(format!("open-{acct}"))
                    .send()
                    .await
                {
                    Ok(o) => json!(format!("{:?}", o.public_access_block_configuration())),
                    Err(_) => Value::Null,
                }
            }
            Case::AccountBpa => {
                match rampart_member::collect::s3control::client(&cfg)
                    .get_public_access_block()
                    .account_id(acct)
                    .send()
                    .await
                {
                    Ok(o) => json!(format!("{:?}", o.public_access_block_configuration())),
                    Err(_) => Value::Null,
                }
            }
            Case::TlsOnly => {
                let text = s3(&cfg)
                    .get_bucket_policy()
                    .bucket(format!("shared-{acct}"))
                    .send()
                    .await
                    .unwrap()
                    .policy()
                    .unwrap()
                    .to_string();
                serde_json::from_str(&text).unwrap()
            }
            Case::KmsRotation => json!(aws_sdk_kms::Client::new(&cfg)
                .get_key_rotation_status()
                .key_id(&p.key_arn)
                .send()
                .await
                .unwrap()
                .key_rotation_enabled()),
            Case::TrailValidation | Case::MultiRegionTrail => {
                let ct = aws_sdk_cloudtrail::Client::new(&cfg);
                let t = ct
                    .describe_trails()
                    .trail_name_list(&p.trail_arn)
                    .send()
                    .await
                    .unwrap();
                let t = &t.trail_list()[0];
                let logging = ct
                    .get_trail_status()
                    .name(&p.trail_arn)
                    .send()
                    .await
                    .unwrap()
                    .is_logging();
                json!({"validation": t.log_file_validation_enabled(), "multi": t.is_multi_region_trail(),
                       "global": t.include_global_service_events(), "logging": logging})
            }
            Case::KeyRotation | Case::UnusedKey => {
                let keys = aws_sdk_iam::Client::new(&cfg)
                    .list_access_keys()
                    .user_name("old-keys")
                    .send()
                    .await
                    .unwrap();
                json!(keys
                    .access_key_metadata()
                    .iter()
                    .map(|k| format!("{:?}", k.status()))
                    .collect::<Vec<_>>())
            }
            Case::ConfigRecorder => {
                let c = aws_sdk_config::Client::new(&cfg);
                let r = c.describe_configuration_recorders().send().await.unwrap();
                let s = c
                    .describe_configuration_recorder_status()
                    .send()
                    .await
                    .unwrap();
                json!({"group": format!("{:?}", r.configuration_recorders()[0].recording_group()),
                       "recording": s.configuration_recorders_status()[0].recording()})
            }
        }
    }
}

const CASES: &[Case] = &[
    Case::Ipv6Rdp,
    Case::HighRiskPort,
    Case::DefaultGroup,
    Case::Nacl,
    Case::PasswordPolicyMissing,
    Case::PasswordPolicyWeak,
    Case::EbsDefault,
    Case::Imdsv2,
    Case::BucketBpa,
    Case::AccountBpa,
    Case::TlsOnly,
    Case::KmsRotation,
    Case::TrailValidation,
    Case::MultiRegionTrail,
    Case::KeyRotation,
    Case::UnusedKey,
    Case::ConfigRecorder,
];

/// Checks whose re-evaluation must show PASSED after the fix (the rest depend on state the
/// emulator fakes, e.g. a recorder's last status, and are judged by the state itself).
fn must_pass(c: Case) -> Option<&'static str> {
    match c {
        Case::Ipv6Rdp => Some("ec2.sg-admin-ports-ipv6"),
        Case::DefaultGroup => Some("ec2.default-sg-closed"),
        Case::PasswordPolicyMissing => Some("iam.password-min-length"),
        Case::PasswordPolicyWeak => Some("iam.password-reuse"),
        Case::EbsDefault => Some("ec2.ebs-default-encryption"),
        Case::Imdsv2 => Some("ec2.imdsv2-required"),
        Case::KmsRotation => Some("kms.cmk-rotation"),
        Case::TrailValidation => Some("cloudtrail.log-file-validation"),
        Case::AccountBpa => Some("s3.block-public-access"),
        Case::MultiRegionTrail => Some("cloudtrail.multi-region-logging"),
        _ => None,
    }
}

/// The Rampart check whose finding on the case's resource turns PASSED after the fix (and
/// FAILED again after the undo).
fn resource_check(c: Case) -> Option<&'static str> {
    match c {
        Case::Ipv6Rdp => Some("ec2.sg-admin-ports-ipv6"),
        Case::DefaultGroup => Some("ec2.default-sg-closed"),
        Case::Nacl => Some("ec2.nacl-admin-ports"),
        Case::Imdsv2 => Some("ec2.imdsv2-required"),
        Case::BucketBpa => Some("s3.block-public-access"),
        Case::TlsOnly => Some("s3.deny-http"),
        Case::KmsRotation => Some("kms.cmk-rotation"),
        Case::TrailValidation => Some("cloudtrail.log-file-validation"),
        // Key checks read the credential report, which AWS (and the emulator) regenerates at
        // most every four hours: their findings follow the next report, not the fix.
        _ => None,
    }
}

#[test]
fn every_remediation_plans_fixes_reevaluates_and_undoes_exactly() {
    rampart_testbed::block_on(async {
        // The account has no trail of its own but the one planted, so CloudTrail.1 has work.
        let w = world(&[Profile {
            trail: false,
            ..Profile::default()
        }])
        .await;
        let acct = w.org.members[0].id.clone();
        let p = plant(&w, &acct).await;
        let planner = responder(&w, true, |_| {});
        // Every case applies and undoes in the same account within the hour.
        let r = responder(&w, false, |c| c.action_rate_cap = Some(200));
        let mut report = Vec::new();
        for &c in CASES {
            c.prepare(&w, &acct).await;
            let resource = c.resource(&acct, &p);
            let before = c.state(&w, &acct, &p).await;
            let o = planner
                .remediate(&acct, REGION, c.control(), resource.as_deref(), None)
                .await;
            assert_eq!(o.disposition, Disposition::Planned, "{c:?} plan: {o:#?}");
            assert_eq!(
                c.state(&w, &acct, &p).await,
                before,
                "{c:?}: the plan changed state"
            );

            let o = r
                .remediate(&acct, REGION, c.control(), resource.as_deref(), None)
                .await;
            assert_eq!(o.disposition, Disposition::Acted, "{c:?} apply: {o:#?}");
            let fixed = c.state(&w, &acct, &p).await;
            assert_ne!(fixed, before, "{c:?}: nothing changed");
            let done: Vec<_> = o
                .remediations
                .iter()
                .filter(|a| a.status == Status::Done)
                .collect();
            assert!(!done.is_empty(), "{c:?}: {o:#?}");
            for a in &done {
                assert!(!a.prior.is_null(), "{c:?}: no prior state");
            }
            if let Some(check) = must_pass(c) {
                let d = reevaluation(&o);
                assert!(
                    d.contains(&format!("{check} in {REGION}: PASSED")),
                    "{c:?}: {d}"
                );
            }
            // Neighbouring configuration stays.
            match c {
                Case::TlsOnly => {
                    let stmts = fixed["Statement"].as_array().unwrap();
                    assert_eq!(stmts.len(), 2, "{fixed}");
                    assert_eq!(stmts[0], before["Statement"][0], "{fixed}");
                    assert_eq!(stmts[1]["Sid"], "RampartDenyInsecureTransport");
                }
                Case::HighRiskPort => {
                    let rules = fixed.to_string();
                    assert!(rules.contains("5432") && !rules.contains("3306"), "{rules}");
                }
                Case::Ipv6Rdp => {
                    let rules = fixed.to_string();
                    assert!(rules.contains("443") && !rules.contains("3389"), "{rules}");
                }
                Case::Nacl => {
                    let e = fixed.to_string();
                    assert!(
                        e.contains("00050 6 Some((Some(22), Some(22))) Some(Allow) 10.0.0.0/8"),
                        "{e}"
                    );
                    assert!(
                        e.contains("00100 6 Some((Some(22), Some(22))) Some(Deny) 0.0.0.0/0"),
                        "{e}"
                    );
                    assert!(
                        e.contains("00199 6 Some((Some(3389), Some(3389))) Some(Deny) 0.0.0.0/0"),
                        "{e}"
                    );
                    assert!(e.contains("00200 -1"), "{e}");
                }
                Case::PasswordPolicyWeak => {
                    let t = fixed.to_string();
                    assert!(
                        t.contains("require_symbols: true")
                            && t.contains("max_password_age: Some(90)"),
                        "{t}"
                    );
                }
                _ => {}
            }
            if let (Some(check), Some(res)) = (resource_check(c), &resource) {
                let f = finding(&w, &acct, check, res)
                    .await
                    .map(|f| f["Status"].clone());
                assert_eq!(f, Some(json!("PASSED")), "{c:?}: {check} after the fix");
            }
            report.push(format!("{c:?}: {before} -> {fixed}"));

            for a in &done {
                let u = planner.undo(&a.id).await;
                assert_eq!(
                    u.disposition,
                    Disposition::Planned,
                    "{c:?} undo plan: {u:#?}"
                );
            }
            assert_eq!(
                c.state(&w, &acct, &p).await,
                fixed,
                "{c:?}: the undo plan changed state"
            );
            for a in done.iter().rev() {
                let u = r.undo(&a.id).await;
                assert_eq!(u.disposition, Disposition::Acted, "{c:?} undo: {u:#?}");
            }
            assert_eq!(
                c.state(&w, &acct, &p).await,
                before,
                "{c:?}: undo did not restore"
            );
            if let (Some(check), Some(res)) = (resource_check(c), &resource) {
                let f = finding(&w, &acct, check, res)
                    .await
                    .map(|f| f["Status"].clone());
                assert_eq!(f, Some(json!("FAILED")), "{c:?}: {check} after the undo");
            }
        }
        eprintln!("{}", report.join("\n"));
    });
}

/// A finding as Security Hub puts it in an event (the fields routing reads).
fn event_finding(
    f: &Value,
    account: &str,
    resource: &str,
    control: &str,
    workflow: &str,
    status: &str,
) -> Value {
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": f["Id"], "ProductArn": f["ProductArn"], "AwsAccountId": account, "Region": REGION,
        "GeneratorId": "rampart/cis-3.0.0/ec2.sg-admin-ports-ipv4",
        "UpdatedAt": f["UpdatedAt"], "CreatedAt": f["UpdatedAt"],
        "Title": "No security group allows ingress from 0.0.0.0/0 to remote server administration ports",
        "Severity": {"Label": "HIGH"},
        "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": resource}],
        "Compliance": {"Status": status, "SecurityControlId": control},
        "Workflow": {"Status": workflow}, "RecordState": "ACTIVE",
        "ProductFields": {"rampart/CheckId": "ec2.sg-admin-ports-ipv4"},
    })
}

fn envelope(
    id: &str,
    detail_type: &str,
    account: &str,
    resources: Vec<String>,
    findings: Vec<Value>,
) -> Value {
    json!({"version": "0", "id": id, "detail-type": detail_type, "source": "aws.securityhub",
           "account": account, "time": "2026-12-04T00:00:00Z", "region": REGION,
           "resources": resources, "detail": {"findings": findings}})
}

#[test]
fn custom_action_fixes_each_finding_in_its_own_account_and_reports_the_rest() {
    rampart_testbed::block_on(async {
        let w = world(&[Profile::default(), Profile::default(), Profile::default()]).await;
        let (a0, a1, a2) = (
            w.org.members[0].id.clone(),
            w.org.members[1].id.clone(),
            w.org.members[2].id.clone(),
        );
        let e0 = ec2(&w, &a0).await;
        let g0 = web_group(&e0, "web", &[(22, "0.0.0.0/0"), (443, "0.0.0.0/0")]).await;
        let e1 = ec2(&w, &a1).await;
        let g1 = web_group(&e1, "bastion", &[(22, "0.0.0.0/0")]).await;
        e1.create_tags()
            .resources(&g1)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("rampart:exempt")
                    .value("true")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assess(&w).await;
        let (arn0, arn1) = (sg_arn(&a0, &g0), sg_arn(&a1, &g1));
        let f0 = finding(&w, &a0, "ec2.sg-admin-ports-ipv4", &arn0)
            .await
            .unwrap();
        let f1 = finding(&w, &a1, "ec2.sg-admin-ports-ipv4", &arn1)
            .await
            .unwrap();
        // A Security Hub control finding Rampart has no remediation for (root hardware MFA).
        let f2 = json!({"Id": format!("arn:aws:securityhub:{REGION}:{a2}:security-control/IAM.6/finding/1"),
            "ProductArn": format!("arn:aws:securityhub:{REGION}::product/aws/securityhub"),
            "UpdatedAt": "2026-12-04T00:00:00Z"});
        let before1 = rules(&e1, &g1).await;
        let hub = w.org.management.clone();
        let action = format!("arn:aws:securityhub:{REGION}:{hub}:action/custom/RampartRemediate");
        let ev = envelope(
            "ca-1",
            "Security Hub Findings - Custom Action",
            &hub,
            vec![action],
            vec![
                event_finding(&f0, &a0, &arn0, "EC2.53", "NEW", "FAILED"),
                event_finding(&f1, &a1, &arn1, "EC2.53", "NEW", "FAILED"),
                event_finding(
                    &f2,
                    &a2,
                    &format!("AWS::::Account:{a2}"),
                    "IAM.6",
                    "NEW",
                    "FAILED",
                ),
            ],
        );
        let r = responder(&w, false, |_| {});
        let o = r.handle_value(&ev).await;
        assert_eq!(o.targets.len(), 3, "{o:#?}");
        let of = |acct: &str| {
            o.targets
                .iter()
                .find(|t| t.account.as_deref() == Some(acct))
                .unwrap()
        };
        let t0 = of(&a0);
        assert_eq!(t0.disposition, Disposition::Acted, "{t0:#?}");
        assert_eq!(
            rules(&e0, &g0).await,
            vec![
                "in tcp Some(443)-Some(443) 0.0.0.0/0".to_string(),
                "out -1 None-None 0.0.0.0/0".to_string()
            ]
        );
        let id = &t0.remediations[0].id;
        // The finding is resolved where it lives, with a note naming the action.
        let f = finding(&w, &a0, "ec2.sg-admin-ports-ipv4", &arn0)
            .await
            .unwrap();
        assert_eq!(f["Workflow"], "RESOLVED", "{f}");
        assert!(
            f["Note"].as_str().unwrap_or_default().contains(id.as_str()),
            "{f}"
        );
        assert_eq!(f["NoteBy"], "rampart-remediation");
        assert_eq!(f["Status"], "PASSED", "{f}");
        let t1 = of(&a1);
        assert_eq!(t1.disposition, Disposition::Ignored, "{t1:#?}");
        assert!(
            t1.reason
                .as_deref()
                .unwrap_or_default()
                .contains("rampart:exempt=true"),
            "{t1:#?}"
        );
        assert_eq!(rules(&e1, &g1).await, before1);
        let t2 = of(&a2);
        assert_eq!(t2.disposition, Disposition::Ignored, "{t2:#?}");
        assert!(
            t2.reason
                .as_deref()
                .unwrap_or_default()
                .contains("no remediation for control IAM.6"),
            "{t2:#?}"
        );
        // A member may not ask for a remediation in another account.
        let forged = envelope(
            "ca-2",
            "Security Hub Findings - Custom Action",
            &a1,
            vec![format!(
                "arn:aws:securityhub:{REGION}:{a1}:action/custom/RampartRemediate"
            )],
            vec![event_finding(&f0, &a0, &arn0, "EC2.53", "NEW", "FAILED")],
        );
        let o = r.handle_value(&forged).await;
        assert_eq!(o.disposition, Disposition::Rejected, "{o:#?}");
    });
}

#[test]
fn automatic_mode_acts_once_on_both_copies_and_never_on_its_own_update() {
    rampart_testbed::block_on(async {
        let w = world(&[Profile::default()]).await;
        let acct = w.org.members[0].id.clone();
        let e = ec2(&w, &acct).await;
        let g = web_group(&e, "web", &[(22, "0.0.0.0/0"), (22, "10.0.0.0/8")]).await;
        assess(&w).await;
        let arn = sg_arn(&acct, &g);
        let f = finding(&w, &acct, "ec2.sg-admin-ports-ipv4", &arn)
            .await
            .unwrap();
        let hub = w.org.management.clone();
        let copy = event_finding(&f, &acct, &arn, "EC2.53", "NEW", "FAILED");
        let imported = "Security Hub Findings - Imported";
        // Off by default: nothing happens.
        let off = responder(&w, false, |_| {});
        let o = off
            .handle_value(&envelope(
                "imp-0",
                imported,
                &acct,
                vec![],
                vec![copy.clone()],
            ))
            .await;
        assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");
        let r = responder(&w, false, |c| {
            c.auto_remediate = Some(vec!["EC2.53".into()])
        });
        // The member's copy acts ...
        let o = r
            .handle_value(&envelope(
                "imp-1",
                imported,
                &acct,
                vec![],
                vec![copy.clone()],
            ))
            .await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        assert_eq!(
            rules(&e, &g).await.len(),
            2,
            "SSH from 10.0.0.0/8 and egress remain"
        );
        // ... the administrator's copy of the same finding does not act again.
        let o = r
            .handle_value(&envelope(
                "imp-2",
                imported,
                &hub,
                vec![],
                vec![copy.clone()],
            ))
            .await;
        assert_eq!(o.disposition, Disposition::Duplicate, "{o:#?}");
        // The Imported events Rampart's own updates cause: the note and RESOLVED workflow, then
        // the re-evaluated PASSED finding. Neither acts.
        let after = finding(&w, &acct, "ec2.sg-admin-ports-ipv4", &arn)
            .await
            .unwrap();
        for (id, ev) in [
            (
                "imp-3",
                event_finding(&after, &acct, &arn, "EC2.53", "RESOLVED", "FAILED"),
            ),
            (
                "imp-4",
                event_finding(&after, &acct, &arn, "EC2.53", "NEW", "PASSED"),
            ),
        ] {
            let o = r
                .handle_value(&envelope(id, imported, &acct, vec![], vec![ev]))
                .await;
            assert_eq!(o.disposition, Disposition::Ignored, "{id}: {o:#?}");
        }
        // A control not listed for automatic mode is left to operators.
        let mut other = copy.clone();
        other["Id"] = json!("other-finding");
        other["Compliance"]["SecurityControlId"] = json!("EC2.2");
        let o = r
            .handle_value(&envelope("imp-5", imported, &acct, vec![], vec![other]))
            .await;
        assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");
    });
}

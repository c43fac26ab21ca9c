//! Response hardening, end to end: the attacks of a member administrator (and of an insider
//! with `securityhub:BatchImportFindings` only) replayed through the real intake, with the
//! state AWS would show read back afterwards.

use rampart_hub::respond::record::{Disposition, Outcome};
use rampart_testbed::fixtures::{self, member_config, Profile};
use rampart_testbed::respond::{alerts, config, event, hub_resources, responder};
use rampart_testbed::Emulator;
use serde_json::Value;

const REGION: &str = "us-east-1";

/// A StopLogging event on trail `org-audit` made by a session of `role` with `access_key`.
fn stop_logging_by_role(event_id: &str, account: &str, role: &str, access_key: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(
        &event(
            "cloudtrail-stoplogging",
            &[
                ("EVENT_ID", event_id),
                ("ACCOUNT", account),
                ("REGION", REGION),
                ("USER", "unused"),
                ("TRAIL", "org-audit"),
            ],
        )
        .unwrap(),
    )
    .unwrap();
    v["detail"]["userIdentity"] = serde_json::json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLEID0001:intruder",
        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/intruder"),
        "accountId": account,
        "accessKeyId": access_key,
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLEID0001",
                "arn": format!("arn:aws:iam::{account}:role/{role}"), "accountId": account,
                "userName": role},
            "attributes": {"creationDate": "2026-12-07T09:10:41Z", "mfaAuthenticated": "false"}
        }
    });
    serde_json::to_vec(&v).unwrap()
}

async fn logging(member: &aws_config::SdkConfig) -> bool {
    aws_sdk_cloudtrail::Client::new(member)
        .get_trail_status()
        .name("org-audit")
        .send()
        .await
        .unwrap()
        .is_logging()
        .unwrap_or(false)
}

async fn stop(member: &aws_config::SdkConfig) {
    aws_sdk_cloudtrail::Client::new(member)
        .stop_logging()
        .name("org-audit")
        .send()
        .await
        .unwrap();
    assert!(!logging(member).await);
}

/// The access keys of the sessions the hub recorded as its own in `account`.
async fn own_sessions(base: &aws_config::SdkConfig, account: &str) -> Vec<String> {
    let out = aws_sdk_dynamodb::Client::new(base)
        .scan()
        .table_name(rampart_common::response::DEFAULT_STATE_TABLE)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .filter(|i| {
            i.get("account")
                .and_then(|a| a.as_s().ok())
                .map(String::as_str)
                == Some(account)
        })
        .filter_map(|i| {
            i.get("pk")?
                .as_s()
                .ok()?
                .strip_prefix("own#")
                .map(str::to_string)
        })
        .collect()
}

fn alerted(alerts: &[Value], o: &Outcome) -> bool {
    alerts
        .iter()
        .any(|a| a["Message"]["incident"]["incident_id"] == o.incident_id.as_str())
}

/// A member administrator edits the trust policy of Rampart's response role, assumes it and
/// stops logging: the session is not one the hub opened, so it is an ordinary actor: the trail
/// is restored and the incident alerted. The hub's own session (recorded by its access key when
/// it acted) is recognised, whatever role name anyone else uses.
#[test]
fn a_foreign_session_of_rampart_s_role_is_restored_and_alerted() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let acct = org.members[0].id.clone();
        let member = member_config(&base, &acct, REGION).await;
        let hub = hub_resources(&base).await.expect("hub resources");
        let r = responder(&base, config(&hub), false);

        stop(&member).await;
        let foreign = stop_logging_by_role(
            "a0000000-0000-4000-8000-000000000001",
            &acct,
            "RampartResponder",
            "ASIAFOREIGNSESSION01",
        );
        let o = r.handle_bytes(&foreign).await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        assert!(logging(&member).await, "the trail is logging again");
        let sent = alerts(&base, &hub.queue_url).await.expect("alerts");
        assert!(alerted(&sent, &o), "the incident is alerted: {sent:#?}");

        // The hub acted with a session of its own, recorded by its access key.
        let keys = own_sessions(&base, &acct).await;
        assert!(!keys.is_empty(), "the hub recorded its session");
        stop(&member).await;
        let ours = stop_logging_by_role(
            "a0000000-0000-4000-8000-000000000002",
            &acct,
            "RampartResponder",
            &keys[0],
        );
        let o = r.handle_bytes(&ours).await;
        assert_eq!(o.disposition, Disposition::Ignored, "{o:#?}");
        assert!(
            o.reason
                .as_deref()
                .unwrap_or("")
                .contains("Rampart's own session"),
            "{o:#?}"
        );
        // The same key in another account is nobody's session there.
        let elsewhere = stop_logging_by_role(
            "a0000000-0000-4000-8000-000000000003",
            &acct,
            "SomeOtherRole",
            "ASIAFOREIGNSESSION02",
        );
        let o = r.handle_bytes(&elsewhere).await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        assert!(logging(&member).await);
    });
}

/// The trail's advanced event selectors as AWS shows them.
async fn advanced(member: &aws_config::SdkConfig) -> Value {
    let out = aws_sdk_cloudtrail::Client::new(member)
        .get_event_selectors()
        .trail_name("org-audit")
        .send()
        .await
        .unwrap();
    serde_json::json!(out
        .advanced_event_selectors()
        .iter()
        .map(|a| {
            let fields: Vec<String> = a
                .field_selectors()
                .iter()
                .map(|f| format!("{}={:?}", f.field(), f.equals()))
                .collect();
            fields.join(",")
        })
        .collect::<Vec<_>>())
}

async fn put_advanced(member: &aws_config::SdkConfig, fields: &[(&str, &str)]) {
    use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
    let sel = AdvancedEventSelector::builder()
        .name("selected")
        .set_field_selectors(Some(
            fields
                .iter()
                .map(|(f, v)| {
                    AdvancedFieldSelector::builder()
                        .field(*f)
                        .equals(*v)
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .build()
        .unwrap();
    aws_sdk_cloudtrail::Client::new(member)
        .put_event_selectors()
        .trail_name("org-audit")
        .advanced_event_selectors(sel)
        .send()
        .await
        .unwrap();
}

/// Management events switched off through advanced event selectors (write events no longer
/// recorded) are put back exactly as recorded; the hourly record reads advanced selectors and
/// logging state, and a stopped trail is drift of its record.
#[test]
fn advanced_selectors_and_logging_state_are_recorded_and_restored() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let acct = org.members[0].id.clone();
        let member = member_config(&base, &acct, REGION).await;
        let hub = hub_resources(&base).await.expect("hub resources");
        let mut cfg = config(&hub);
        cfg.allowed_regions = Some(vec![REGION.into()]);
        let r = responder(&base, cfg, false);

        put_advanced(&member, &[("eventCategory", "Management")]).await;
        let recorded = advanced(&member).await;
        let o = r.record_trails_now(false).await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");

        // The tamperer keeps read-only management events: StopLogging and friends go dark.
        put_advanced(
            &member,
            &[("eventCategory", "Management"), ("readOnly", "true")],
        )
        .await;
        assert_ne!(advanced(&member).await, recorded);
        let mut ev: Value = serde_json::from_slice(&stop_logging_by_role(
            "b0000000-0000-4000-8000-000000000001",
            &acct,
            "Admin",
            "ASIAFOREIGNSESSION03",
        ))
        .unwrap();
        ev["detail"]["eventName"] = "PutEventSelectors".into();
        ev["detail"]["requestParameters"] = serde_json::json!({"trailName": "org-audit"});
        let o = r.handle_bytes(&serde_json::to_vec(&ev).unwrap()).await;
        assert_eq!(o.disposition, Disposition::Acted, "{o:#?}");
        assert_eq!(advanced(&member).await, recorded, "restored as recorded");

        // The hourly record compares logging state: a stopped trail is reported as drift.
        stop(&member).await;
        let o = r.record_trails_now(false).await;
        let drift: Vec<_> = o
            .actions
            .iter()
            .filter(|a| a.action == "trail drift")
            .collect();
        assert_eq!(drift.len(), 1, "{o:#?}");
        assert!(drift[0].detail.contains("logging"), "{drift:?}");
    });
}

/// A Security Hub finding as the Imported event carries it (and as BatchImportFindings takes
/// it).
fn control_finding(
    id: &str,
    product: &str,
    account: &str,
    resource: (&str, &str),
    workflow: &str,
) -> Value {
    serde_json::json!({
        "SchemaVersion": "2018-10-08",
        "Id": id,
        "ProductArn": product,
        "GeneratorId": "security-control/EC2.53",
        "AwsAccountId": account,
        "Region": REGION,
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": "2026-12-07T10:00:00.000Z",
        "UpdatedAt": "2026-12-07T10:00:00.000Z",
        "Severity": {"Label": "HIGH"},
        "Title": "Security groups should not allow ingress from 0.0.0.0/0 to remote server administration ports",
        "Description": "d",
        "Resources": [{"Type": resource.0, "Id": resource.1}],
        "Compliance": {"Status": "FAILED", "SecurityControlId": "EC2.53"},
        "Workflow": {"Status": workflow},
        "RecordState": "ACTIVE",
    })
}

fn imported(event_id: &str, account: &str, findings: Vec<Value>) -> Value {
    serde_json::json!({
        "version": "0", "id": event_id,
        "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
        "account": account, "time": "2026-12-07T10:00:01Z", "region": REGION,
        "resources": [], "detail": {"findings": findings},
    })
}

/// Security Hub's own control finding, as BatchImportFindings takes it (the emulator lets the
/// test import under Security Hub's product to stand in for it).
fn sdk_finding(
    id: &str,
    product: &str,
    account: &str,
    resource: &str,
    workflow: &str,
) -> aws_sdk_securityhub::types::AwsSecurityFinding {
    use aws_sdk_securityhub::types::{
        AwsSecurityFinding as F, Compliance, ComplianceStatus, RecordState, Resource, Severity,
        SeverityLabel, Workflow, WorkflowStatus,
    };
    F::builder()
        .schema_version("2018-10-08")
        .id(id)
        .product_arn(product)
        .generator_id("security-control/EC2.53")
        .aws_account_id(account)
        .region(REGION)
        .types("Software and Configuration Checks")
        .created_at("2026-12-07T09:00:00.000Z")
        .updated_at("2026-12-07T09:00:00.000Z")
        .severity(Severity::builder().label(SeverityLabel::High).build())
        .title("EC2.53")
        .description("d")
        .resources(
            Resource::builder()
                .r#type("AwsEc2SecurityGroup")
                .id(resource)
                .build(),
        )
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::Failed)
                .security_control_id("EC2.53")
                .build(),
        )
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(workflow))
                .build(),
        )
        .record_state(RecordState::Active)
        .build()
}

async fn ingress(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    let out = ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .unwrap();
    out.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            p.ip_ranges()
                .iter()
                .map(move |r| format!("{:?} {}", p.from_port(), r.cidr_ip().unwrap_or_default()))
        })
        .collect()
}

/// An insider with only `securityhub:BatchImportFindings` imports a finding claiming a failed
/// EC2.53 on the account: automatic mode acts on nothing (it never widens a finding that names
/// no resource to every offending group). Security Hub's own finding on one group fixes that
/// group and leaves the other, and a group whose control finding the operators suppressed is
/// left as it is.
#[test]
fn forged_control_findings_never_widen_and_suppressed_findings_are_honoured() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let org = fixtures::create_org(&base, &[Profile::default()], &[REGION])
            .await
            .expect("org");
        let acct = org.members[0].id.clone();
        let member = member_config(&base, &acct, REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&member);
        let open = |name: &'static str| {
            let ec2 = ec2.clone();
            async move {
                fixtures::open_group(&ec2, name, "tcp", 22, 22, Some("0.0.0.0/0"), None)
                    .await
                    .unwrap()
            }
        };
        let (a, b, c) = (
            open("ssh-a").await,
            open("ssh-b").await,
            open("ssh-c").await,
        );
        let arn = |id: &str| format!("arn:aws:ec2:{REGION}:{acct}:security-group/{id}");
        let hub = hub_resources(&base).await.expect("hub resources");
        let mut cfg = config(&hub);
        cfg.auto_remediate = Some(vec!["EC2.53".into()]);
        let r = responder(&base, cfg, false);
        let custom = format!("arn:aws:securityhub:{REGION}:{acct}:product/{acct}/default");
        let aws = format!("arn:aws:securityhub:{REGION}::product/aws/securityhub");
        let before = (
            ingress(&ec2, &a).await,
            ingress(&ec2, &b).await,
            ingress(&ec2, &c).await,
        );

        // The forged finding: on the account, no resource.
        let forged = control_finding(
            "forged-1",
            &custom,
            &acct,
            ("AwsAccount", &format!("AWS::::Account:{acct}")),
            "NEW",
        );
        let o = r
            .handle_value(&imported(
                "d0000000-0000-4000-8000-000000000001",
                &acct,
                vec![forged],
            ))
            .await;
        assert_ne!(o.disposition, Disposition::Acted, "{o:#?}");
        assert!(
            o.reason
                .as_deref()
                .unwrap_or("")
                .contains("never every offending resource"),
            "{o:#?}"
        );
        let after = (
            ingress(&ec2, &a).await,
            ingress(&ec2, &b).await,
            ingress(&ec2, &c).await,
        );
        assert_eq!(after, before, "no group was touched");

        // The operators suppressed group c's control finding (accepted risk).
        let sh = aws_sdk_securityhub::Client::new(&member);
        rampart_member::securityhub::enable(&sh).await.unwrap();
        // What Security Hub itself holds: its control findings on a (open) and c (suppressed).
        for (id, group, workflow) in [("aws-a", &a, "NEW"), ("aws-c", &c, "SUPPRESSED")] {
            sh.batch_import_findings()
                .findings(sdk_finding(id, &aws, &acct, &arn(group), workflow))
                .send()
                .await
                .unwrap();
        }

        // Security Hub's own findings on a and c (c's copy claiming NEW in the event).
        let on_a = control_finding(
            "aws-a",
            &aws,
            &acct,
            ("AwsEc2SecurityGroup", &arn(&a)),
            "NEW",
        );
        let on_c = control_finding(
            "aws-c",
            &aws,
            &acct,
            ("AwsEc2SecurityGroup", &arn(&c)),
            "NEW",
        );
        let o = r
            .handle_value(&imported(
                "d0000000-0000-4000-8000-000000000002",
                &acct,
                vec![on_a, on_c],
            ))
            .await;
        assert_eq!(o.targets.len(), 2, "{o:#?}");
        let fixed_a = o
            .targets
            .iter()
            .find(|t| t.resource.as_deref() == Some(arn(&a).as_str()));
        assert_eq!(
            fixed_a.map(|t| t.disposition),
            Some(Disposition::Acted),
            "{o:#?}"
        );
        let kept_c = o
            .targets
            .iter()
            .find(|t| t.resource.as_deref() == Some(arn(&c).as_str()));
        assert_eq!(
            kept_c.map(|t| t.disposition),
            Some(Disposition::Ignored),
            "{o:#?}"
        );
        assert!(kept_c
            .and_then(|t| t.reason.as_deref())
            .unwrap_or("")
            .contains("SUPPRESSED"));
        assert!(ingress(&ec2, &a).await.is_empty(), "group a fixed");
        assert_eq!(ingress(&ec2, &b).await, before.1, "group b untouched");
        assert_eq!(
            ingress(&ec2, &c).await,
            before.2,
            "group c (suppressed) untouched"
        );
    });
}

//! Routing through the registry, without AWS.

use super::*;
use rampart_common::event;
use serde_json::json;

const MEMBER: &str = "111122223333";
const REGION: &str = "eu-west-1";

fn fixture(name: &str) -> Event {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/events")
        .join(name);
    let mut text = std::fs::read_to_string(&path).expect("event fixture");
    for (k, v) in [
        ("EVENT_ID", "e-1"),
        ("ACCOUNT", MEMBER),
        ("HUB", MEMBER),
        ("REGION", REGION),
        ("FINDING_ID", "f-1"),
        ("INSTANCE", "i-0123456789abcdef0"),
        ("TRAIL", "main"),
        ("USER", "mallory"),
    ] {
        text = text.replace(&format!("${{{k}}}"), v);
    }
    event::parse(text.as_bytes()).expect("fixture parses")
}

fn playbooks(r: &Route) -> Vec<&'static str> {
    match r {
        Route::Act { targets, .. } => targets.iter().map(|t| t.playbook.name).collect(),
        _ => Vec::new(),
    }
}

/// A Security Hub import carrying a GuardDuty EC2 finding and a failed EC2.53 control finding.
fn imported() -> Event {
    let finding = |id: &str, product: &str, extra: serde_json::Value| {
        let mut f = json!({
            "SchemaVersion": "2018-10-08",
            "Id": id,
            "ProductArn": format!("arn:aws:securityhub:{REGION}::product/{product}"),
            "GeneratorId": "g",
            "AwsAccountId": MEMBER,
            "Region": REGION,
            "Types": ["Software and Configuration Checks"],
            "CreatedAt": "2026-11-28T11:36:47.123Z",
            "UpdatedAt": "2026-11-28T11:36:47.123Z",
            "Severity": {"Label": "HIGH"},
            "Title": "t",
            "Description": "d",
            "RecordState": "ACTIVE",
            "Workflow": {"Status": "NEW"},
        });
        if let (Some(f), Some(extra)) = (f.as_object_mut(), extra.as_object()) {
            f.extend(extra.clone());
        }
        f
    };
    let sg = format!("arn:aws:ec2:{REGION}:{MEMBER}:security-group/sg-1");
    let raw = json!({
        "version": "0",
        "id": "e-2",
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": MEMBER,
        "time": "2026-11-28T12:05:00Z",
        "region": REGION,
        "resources": [],
        "detail": {"findings": [
            finding("gd-1", "aws/guardduty", json!({"Resources": [{"Type": "AwsEc2Instance", "Id": format!("arn:aws:ec2:{REGION}:{MEMBER}:instance/i-1")}]})),
            finding("sg-finding", "aws/securityhub", json!({
                "Compliance": {"Status": "FAILED", "SecurityControlId": "EC2.53"},
                "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": sg}],
            })),
        ]},
    });
    event::parse_value(&raw).expect("imported findings parse")
}

#[test]
fn a_failed_call_changed_nothing_and_is_ignored() {
    let mut e = fixture("cloudtrail-stoplogging.json");
    if let Kind::ApiCall(c) = &mut e.kind {
        c.error_code = Some("AccessDenied".into());
    }
    match route(&e, &ResponseConfig::default()) {
        Route::Ignore(why) => assert!(why.contains("AccessDenied"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_api_call_carries_its_call_for_the_own_session_check() {
    let r = route(
        &fixture("cloudtrail-stoplogging.json"),
        &ResponseConfig::default(),
    );
    assert_eq!(playbooks(&r), ["cloudtrail-tamper"]);
    assert!(matches!(r, Route::Act { call: Some(_), .. }));
}

#[test]
fn one_import_reaches_every_playbook_it_asks_for() {
    let e = imported();
    // Without automatic remediation only the GuardDuty finding is acted on.
    assert_eq!(
        playbooks(&route(&e, &ResponseConfig::default())),
        ["isolate"]
    );
    let auto = ResponseConfig {
        auto_remediate: Some(vec!["EC2.53".into()]),
        ..Default::default()
    };
    assert_eq!(playbooks(&route(&e, &auto)), ["isolate", "remediate"]);
}

#[test]
fn unrouted_events_say_why() {
    let mut e = fixture("iam-createuser.json");
    if let Kind::ApiCall(c) = &mut e.kind {
        c.event_name = "DeleteUser".into();
    }
    match route(&e, &ResponseConfig::default()) {
        Route::Ignore(why) => assert_eq!(why, "no playbook for iam.amazonaws.com DeleteUser"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rejecting_playbook_refuses_the_event() {
    let mut e = fixture("cloudtrail-stoplogging.json");
    if let Kind::ApiCall(c) = &mut e.kind {
        c.request_parameters =
            json!({"name": "arn:aws:cloudtrail:eu-west-1:999999999999:trail/main"});
    }
    assert!(matches!(
        route(&e, &ResponseConfig::default()),
        Route::Reject(_)
    ));
}

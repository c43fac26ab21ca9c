//! Unit tests of `event`.

use super::*;
use serde_json::json;

fn envelope(source: &str, detail_type: &str, detail: Value) -> Value {
    json!({"version":"0","id":"e-1","detail-type":detail_type,"source":source,
           "account":"111122223333","time":"2026-11-28T00:00:00Z","region":"us-east-1",
           "resources":[],"detail":detail})
}

#[test]
fn parses_a_cloudtrail_api_call() {
    let v = envelope(
        "aws.cloudtrail",
        "AWS API Call via CloudTrail",
        json!({"eventID":"abc","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging",
               "awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7",
               "userIdentity":{"type":"Root"},"requestParameters":{"name":"main"}}),
    );
    let e = parse_value(&v).unwrap();
    let Kind::ApiCall(c) = e.kind else { panic!() };
    assert_eq!(c.event_name, "StopLogging");
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(c.account, "111122223333");
    assert_eq!(c.request_parameters["name"], "main");
}

#[test]
fn malformed_events_name_what_is_wrong() {
    assert!(matches!(parse(b"{"), Err(EventError::NotJson(_))));
    assert_eq!(parse(b"[1]"), Err(EventError::NotObject));
    let mut v = envelope("aws.cloudtrail", "AWS API Call via CloudTrail", json!({}));
    assert_eq!(parse_value(&v), Err(EventError::Missing("detail.eventID")));
    v["account"] = json!("12");
    assert!(parse_value(&v).unwrap_err().to_string().contains("account"));
    v["account"] = json!(111122223333u64);
    assert_eq!(parse_value(&v), Err(EventError::Missing("account")));
    let v = envelope("my.app", "Order Placed", json!({}));
    assert!(parse_value(&v).unwrap_err().to_string().contains("my.app"));
    let mut v = envelope("aws.events", "Scheduled Event", json!({}));
    v["detail"] = json!("x");
    assert!(parse_value(&v).unwrap_err().to_string().contains("detail"));
}

#[test]
fn guardduty_instance_id_comes_from_instance_details() {
    let v = envelope(
        "aws.guardduty",
        "GuardDuty Finding",
        json!({"id":"f1","type":"Backdoor:EC2/C&CActivity.B","severity":8,"accountId":"111122223333",
               "region":"us-east-1","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-0abc"}}}),
    );
    let Kind::GuardDuty(g) = parse_value(&v).unwrap().kind else {
        panic!()
    };
    assert_eq!(g.instance_id.as_deref(), Some("i-0abc"));
    assert_eq!(g.severity, 8.0);
}

#[test]
fn custom_action_findings_yield_instances() {
    let mut v = envelope(
        "aws.securityhub",
        "Security Hub Findings - Custom Action",
        json!({"actionName":"Isolate","findings":[{"Id":"f","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/guardduty",
           "AwsAccountId":"444455556666","UpdatedAt":"2026-01-01T00:00:00Z","Region":"us-east-1",
           "Resources":[{"Type":"AwsEc2Instance","Id":"arn:aws:ec2:us-east-1:444455556666:instance/i-1"},
                        {"Type":"AwsEc2Instance","Id":"i-2"},{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::b"}]}]}),
    );
    v["resources"] = json!(["arn:aws:securityhub:us-east-1:111122223333:action/custom/Isolate"]);
    let Kind::CustomAction { findings, .. } = parse_value(&v).unwrap().kind else {
        panic!()
    };
    assert_eq!(
        findings[0].instances(),
        vec![
            ("444455556666".into(), "us-east-1".into(), "i-1".into()),
            ("444455556666".into(), "us-east-1".into(), "i-2".into())
        ]
    );
}

#[test]
fn other_event_kinds_parse() {
    let v = envelope(
        "aws.ec2",
        "EC2 Instance State-change Notification",
        json!({"instance-id":"i-1","state":"running"}),
    );
    assert!(matches!(
        parse_value(&v).unwrap().kind,
        Kind::InstanceStateChange { .. }
    ));
    let v = envelope("aws.events", "Scheduled Event", json!({}));
    assert_eq!(parse_value(&v).unwrap().kind, Kind::Scheduled);
    let v = envelope(
        "aws.config",
        "Config Rules Compliance Change",
        json!({"configRuleName":"r","resourceType":"AWS::EC2::Instance","resourceId":"i-1",
               "newEvaluationResult":{"complianceType":"NON_COMPLIANT"}}),
    );
    assert!(matches!(
        parse_value(&v).unwrap().kind,
        Kind::ConfigRule { .. }
    ));
}

#[test]
fn control_findings_carry_their_control_and_state() {
    let v = envelope(
        "aws.securityhub",
        "Security Hub Findings - Imported",
        json!({"findings": [{"Id": "f-1", "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
            "AwsAccountId": "111122223333", "Region": "us-east-1", "UpdatedAt": "2026-12-01T00:00:00Z",
            "Compliance": {"Status": "FAILED", "SecurityControlId": "EC2.53"},
            "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE",
            "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"}]}]}),
    );
    let Kind::FindingsImported(f) = parse_value(&v).unwrap().kind else {
        panic!("not findings")
    };
    assert_eq!(f[0].control.as_deref(), Some("EC2.53"));
    assert_eq!(f[0].compliance.as_deref(), Some("FAILED"));
    assert_eq!(f[0].workflow.as_deref(), Some("NEW"));
    assert_eq!(f[0].record_state.as_deref(), Some("ACTIVE"));
    assert!(!f[0].ocsf);
}

#[test]
fn ocsf_findings_of_the_new_security_hub_are_normalised() {
    let v = envelope(
        "aws.securityhub",
        "Findings Imported V2",
        json!({"findings": [{"finding_info": {"uid": "uid-7", "title": "SG open"},
            "metadata": {"product": {"uid": "arn:aws:securityhub:us-east-1::productv2/aws/securityhub"}},
            "cloud": {"account": {"uid": "111122223333"}, "region": "eu-west-1"},
            "compliance": {"control": "EC2.53", "status": "Fail"},
            "status": "New", "activity_id": 1, "severity": "High",
            "resources": [{"type": "AWS::EC2::SecurityGroup", "uid": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"}]}]}),
    );
    let e = parse_value(&v).unwrap();
    let Kind::FindingsImported(f) = &e.kind else {
        panic!("not findings")
    };
    assert_eq!(f[0].id, "uid-7");
    assert_eq!(f[0].region, "eu-west-1");
    assert_eq!(f[0].control.as_deref(), Some("EC2.53"));
    assert_eq!(f[0].compliance.as_deref(), Some("FAILED"));
    assert_eq!(f[0].workflow.as_deref(), Some("NEW"));
    assert_eq!(f[0].record_state.as_deref(), Some("ACTIVE"));
    assert!(f[0].ocsf);
    assert_eq!(e.admin_service(), Some("securityhub.amazonaws.com"));
    // A closed (archived) or resolved OCSF finding reads as such.
    let mut closed = v.clone();
    closed["detail"]["findings"][0]["activity_id"] = json!(3);
    closed["detail"]["findings"][0]["status"] = json!("Resolved");
    let Kind::FindingsImported(f) = parse_value(&closed).unwrap().kind else {
        panic!("not findings")
    };
    assert_eq!(f[0].record_state.as_deref(), Some("ARCHIVED"));
    assert_eq!(f[0].workflow.as_deref(), Some("RESOLVED"));
    // Without the account, the finding is refused with the field named.
    let mut bad = v;
    bad["detail"]["findings"][0]["cloud"] = json!({});
    let err = parse_value(&bad).unwrap_err().to_string();
    assert!(err.contains("cloud.account.uid"), "{err}");
}

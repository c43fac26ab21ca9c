//! The gate's pure decisions, without AWS.

use super::*;
use rampart_member::respond::isolate::{Isolate, PLAYBOOK as ISOLATE};
use serde_json::json;

const MEMBER: &str = "111122223333";

fn target(region: &str) -> Target {
    ISOLATE.target(
        MEMBER,
        region,
        "gd#1",
        Isolate {
            instance: "i-1".into(),
            trigger: "test".into(),
        },
    )
}

fn call_by(role_arn: &str) -> ApiCall {
    ApiCall {
        event_id: "c-1".into(),
        event_source: "cloudtrail.amazonaws.com".into(),
        event_name: "StopLogging".into(),
        event_time: "2026-12-01T00:00:00Z".into(),
        account: MEMBER.into(),
        region: "us-east-1".into(),
        source_ip: None,
        user_agent: None,
        error_code: None,
        user_identity: json!({
            "type": "AssumedRole",
            "arn": format!("arn:aws:sts::{MEMBER}:assumed-role/{}/s", role_arn.rsplit('/').next().unwrap_or_default()),
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn}},
        }),
        request_parameters: json!({}),
        response_elements: json!({}),
        resource_accounts: Vec::new(),
    }
}

fn own() -> OwnRoles {
    OwnRoles {
        member_role_names: vec!["RampartResponder".into()],
        hub_role_arns: Vec::new(),
    }
}

#[test]
fn regions_outside_the_allowed_list_are_rejected() {
    let cfg = ResponseConfig {
        allowed_regions: Some(vec!["eu-west-1".into()]),
        ..Default::default()
    };
    assert!(screen(&cfg, &own(), false, &target("eu-west-1"), None).is_ok());
    let (d, why) = screen(&cfg, &own(), false, &target("us-east-1"), None).unwrap_err();
    assert_eq!(d, Disposition::Rejected);
    assert!(why.contains("us-east-1"), "{why}");
}

#[test]
fn rampart_s_own_role_is_ignored_and_others_pass() {
    let cfg = ResponseConfig::default();
    let mine = call_by(&format!("arn:aws:iam::{MEMBER}:role/RampartResponder"));
    let (d, _) = screen(&cfg, &own(), false, &target("us-east-1"), Some(&mine)).unwrap_err();
    assert_eq!(d, Disposition::Ignored);
    let theirs = call_by(&format!("arn:aws:iam::{MEMBER}:role/Admin"));
    assert_eq!(
        screen(&cfg, &own(), false, &target("us-east-1"), Some(&theirs)),
        Ok(false)
    );
}

#[test]
fn the_playbook_mode_decides_plan_or_act() {
    let off = ResponseConfig {
        isolation: Some(Mode::Off),
        ..Default::default()
    };
    let (d, why) = screen(&off, &own(), false, &target("us-east-1"), None).unwrap_err();
    assert_eq!(
        (d, why.as_str()),
        (Disposition::Ignored, "playbook isolate is off")
    );
    let plan = ResponseConfig {
        isolation: Some(Mode::Plan),
        ..Default::default()
    };
    assert_eq!(
        screen(&plan, &own(), false, &target("us-east-1"), None),
        Ok(true)
    );
    let cfg = ResponseConfig::default();
    assert_eq!(
        screen(&cfg, &own(), false, &target("us-east-1"), None),
        Ok(false)
    );
    assert_eq!(
        screen(&cfg, &own(), true, &target("us-east-1"), None),
        Ok(true),
        "--plan forces plan mode"
    );
}

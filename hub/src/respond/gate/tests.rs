//! The gate's pure decisions, without AWS.

use super::*;
use rampart_member::respond::isolate::{Isolate, PLAYBOOK as ISOLATE};

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

#[test]
fn regions_outside_the_allowed_list_are_rejected() {
    let cfg = ResponseConfig {
        allowed_regions: Some(vec!["eu-west-1".into()]),
        ..Default::default()
    };
    assert!(screen(&cfg, false, &target("eu-west-1")).is_ok());
    let (d, why) = screen(&cfg, false, &target("us-east-1")).unwrap_err();
    assert_eq!(d, Disposition::Rejected);
    assert!(why.contains("us-east-1"), "{why}");
}

#[test]
fn the_playbook_mode_decides_plan_or_act() {
    let off = ResponseConfig {
        isolation: Some(Mode::Off),
        ..Default::default()
    };
    let (d, why) = screen(&off, false, &target("us-east-1")).unwrap_err();
    assert_eq!(
        (d, why.as_str()),
        (Disposition::Ignored, "playbook isolate is off")
    );
    let plan = ResponseConfig {
        isolation: Some(Mode::Plan),
        ..Default::default()
    };
    assert_eq!(screen(&plan, false, &target("us-east-1")), Ok(true));
    let cfg = ResponseConfig::default();
    assert_eq!(screen(&cfg, false, &target("us-east-1")), Ok(false));
    assert_eq!(
        screen(&cfg, true, &target("us-east-1")),
        Ok(true),
        "--plan forces plan mode"
    );
}

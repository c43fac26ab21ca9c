//! The registry and routing, without AWS: which playbook an event reaches and what it asks.

use super::*;
use rampart_common::event;
use rampart_common::response::Mode;
use rampart_common::ResponseConfig;

const MEMBER: &str = "111122223333";
const REGION: &str = "eu-west-1";

fn fixture(name: &str, vars: &[(&str, &str)]) -> event::Event {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/events")
        .join(name);
    let mut text = std::fs::read_to_string(&path).expect("event fixture");
    for (k, v) in vars {
        text = text.replace(&format!("${{{k}}}"), v);
    }
    event::parse(text.as_bytes()).expect("fixture parses")
}

fn vars<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("EVENT_ID", "e-1"),
        ("ACCOUNT", MEMBER),
        ("HUB", MEMBER),
        ("REGION", REGION),
        ("FINDING_ID", "f-1"),
        ("INSTANCE", "i-0123456789abcdef0"),
        ("TRAIL", "main"),
        ("USER", "mallory"),
    ];
    v.extend_from_slice(extra);
    v
}

/// Every playbook whose triggers match, with what its route says.
fn routed(e: &event::Event, cfg: &ResponseConfig) -> Vec<(&'static str, Routed)> {
    PLAYBOOKS
        .iter()
        .filter(|p| p.answers(e, cfg))
        .map(|p| (p.name, (p.route)(e, cfg)))
        .collect()
}

fn targets(r: &Routed) -> Vec<(String, String, String)> {
    match r {
        Routed::Act { targets, .. } => targets
            .iter()
            .map(|t| {
                (
                    t.playbook.name.to_string(),
                    t.account.clone(),
                    t.claim.clone(),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn every_playbook_has_a_mode_key_the_config_knows_and_permissions() {
    let cfg = ResponseConfig {
        cloudtrail_tamper: Some(Mode::Off),
        auto_mfa: Some(Mode::Plan),
        isolation: Some(Mode::Off),
        remediation: Some(Mode::Plan),
        ..Default::default()
    };
    let modes: Vec<Mode> = PLAYBOOKS.iter().map(|p| p.mode(&cfg)).collect();
    assert_eq!(
        modes,
        [Mode::Off, Mode::Enforce, Mode::Plan, Mode::Off, Mode::Plan]
    );
    for p in PLAYBOOKS {
        assert!(!p.permissions.actions.is_empty(), "{}", p.name);
        assert_eq!(playbook(p.name).map(|x| x.name), Some(p.name));
        assert!(!p.triggers.is_empty(), "{}", p.name);
        for t in p.triggers {
            if let Trigger::CustomAction { id_key } = t {
                assert!(cfg.action_id(id_key).is_some(), "{}: {id_key}", p.name);
            }
        }
    }
}

#[test]
fn stop_logging_reaches_the_tamper_playbook_only() {
    let e = fixture("cloudtrail-stoplogging.json", &vars(&[]));
    let r = routed(&e, &ResponseConfig::default());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "cloudtrail-tamper");
    let t = targets(&r[0].1);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].1, MEMBER);
    assert!(t[0].2.starts_with("ct#"), "{t:?}");
}

#[test]
fn a_trail_of_another_account_is_rejected_by_field() {
    let mut e = fixture("cloudtrail-stoplogging.json", &vars(&[]));
    if let event::Kind::ApiCall(c) = &mut e.kind {
        c.request_parameters =
            serde_json::json!({"name": "arn:aws:cloudtrail:eu-west-1:999999999999:trail/main"});
    }
    let r = routed(&e, &ResponseConfig::default());
    match &r[0].1 {
        Routed::Reject(why) => assert!(why.contains("999999999999"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn create_user_reaches_auto_mfa() {
    let e = fixture("iam-createuser.json", &vars(&[]));
    let r = routed(&e, &ResponseConfig::default());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "auto-mfa");
    assert_eq!(targets(&r[0].1).len(), 1);
}

#[test]
fn guardduty_isolates_unless_below_the_threshold_or_a_sample() {
    let e = fixture("guardduty-ec2.json", &vars(&[]));
    let r = routed(&e, &ResponseConfig::default());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "isolate");
    assert_eq!(
        targets(&r[0].1),
        [("isolate".into(), MEMBER.into(), format!("gd#{MEMBER}#f-1"))]
    );
    let strict = ResponseConfig {
        guardduty_min_severity: Some(9.0),
        ..Default::default()
    };
    assert!(matches!(routed(&e, &strict)[0].1, Routed::Ignore(_)));
}

#[test]
fn custom_actions_route_by_their_configured_id() {
    let e = fixture("securityhub-custom-action.json", &vars(&[]));
    let r = routed(&e, &ResponseConfig::default());
    assert_eq!(r.len(), 1, "only the isolate action's playbook");
    assert_eq!(r[0].0, "isolate");
    // Another id for isolation: the same event reaches no playbook.
    let other = ResponseConfig {
        isolate_action_id: Some("SomethingElse".into()),
        ..Default::default()
    };
    assert!(routed(&e, &other).is_empty());
}

#[test]
fn commands_never_match_events() {
    let e = fixture("guardduty-ec2.json", &vars(&[]));
    let cfg = ResponseConfig::default();
    for p in PLAYBOOKS {
        for t in p.triggers {
            if let Trigger::Command(_) = t {
                assert!(!t.matches(&e, &cfg));
            }
        }
    }
}

#[test]
fn changes_to_rampart_s_forwarding_rules_reach_the_guard_and_others_do_not() {
    let mut e = fixture("cloudtrail-stoplogging.json", &vars(&[]));
    if let event::Kind::ApiCall(c) = &mut e.kind {
        c.event_source = "events.amazonaws.com".into();
        c.event_name = "DisableRule".into();
        c.request_parameters = serde_json::json!({"name": "rampart-cloudtrail-tamper"});
    }
    let r = routed(&e, &ResponseConfig::default());
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "forwarding-guard");
    assert_eq!(targets(&r[0].1).len(), 1);
    if let event::Kind::ApiCall(c) = &mut e.kind {
        c.request_parameters = serde_json::json!({"name": "team-rule"});
    }
    assert!(matches!(
        routed(&e, &ResponseConfig::default())[0].1,
        Routed::Ignore(_)
    ));
}

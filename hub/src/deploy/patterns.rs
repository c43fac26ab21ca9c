//! The EventBridge patterns of the stacks' rules, generated from the playbooks' triggers: a
//! rule forwards (member) or delivers (hub) exactly the events some playbook starts on, and
//! a new trigger is a new pattern, not a hand edit of a template.

use rampart_common::ResponseConfig;
use rampart_member::respond::{Trigger, PLAYBOOKS};
use serde_json::{json, Value};

/// Findings at or above this GuardDuty severity are forwarded (the default of
/// `response.guardduty_min_severity`; a lower configured threshold needs the rule changed).
pub const GUARDDUTY_MIN_SEVERITY: f64 = 7.0;

/// One generated rule pattern: its template marker and the pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePattern {
    pub marker: String,
    /// The playbook whose triggers it carries (`custom-actions` for the shared custom action
    /// rule).
    pub playbook: &'static str,
    pub pattern: Value,
}

/// The EventBridge source of a CloudTrail event source (`cloudtrail.amazonaws.com` ->
/// `aws.cloudtrail`).
fn source_of(event_source: &str) -> String {
    format!(
        "aws.{}",
        event_source
            .strip_suffix(".amazonaws.com")
            .unwrap_or(event_source)
    )
}

/// Every pattern the registry's triggers need.
pub fn patterns() -> Vec<RulePattern> {
    let mut out = Vec::new();
    let mut custom_actions = Vec::new();
    for p in PLAYBOOKS {
        let api_calls = p
            .triggers
            .iter()
            .filter(|t| matches!(t, Trigger::ApiCall { .. }))
            .count();
        for t in p.triggers {
            let mut add = |suffix: &str, pattern: Value| {
                out.push(RulePattern {
                    marker: format!("pattern-{}{suffix}", p.name),
                    playbook: p.name,
                    pattern,
                })
            };
            match t {
                Trigger::ApiCall { source, names } => {
                    let svc = source_of(source);
                    let suffix = if api_calls > 1 {
                        format!("-{}", svc.trim_start_matches("aws."))
                    } else {
                        String::new()
                    };
                    add(
                        &suffix,
                        json!({
                            "source": [svc],
                            "detail-type": ["AWS API Call via CloudTrail"],
                            "detail": {"eventSource": [source], "eventName": names},
                        }),
                    );
                }
                Trigger::GuardDutyFinding => add(
                    "-guardduty",
                    json!({
                        "source": ["aws.guardduty"],
                        "detail-type": ["GuardDuty Finding"],
                        "detail": {
                            "severity": [{"numeric": [">=", GUARDDUTY_MIN_SEVERITY]}],
                            "resource": {"resourceType": ["Instance"]},
                        },
                    }),
                ),
                Trigger::GuardDutyViaSecurityHub => add(
                    "-guardduty-via-securityhub",
                    json!({
                        "source": ["aws.securityhub"],
                        "detail-type": ["Security Hub Findings - Imported"],
                        "detail": {"findings": {
                            "ProductName": ["GuardDuty"],
                            "Severity": {"Label": ["HIGH", "CRITICAL"]},
                        }},
                    }),
                ),
                Trigger::ControlFindingImported => {
                    let controls = json!({"Ref": "AutoRemediateControls"});
                    add(
                        "-control-findings",
                        json!({
                            "source": ["aws.securityhub"],
                            "detail-type": ["Security Hub Findings - Imported"],
                            "detail": {"findings": {
                                "Compliance": {"Status": ["FAILED"], "SecurityControlId": controls},
                                "RecordState": ["ACTIVE"],
                                "Workflow": {"Status": ["NEW", "NOTIFIED"]},
                            }},
                        }),
                    );
                    add(
                        "-control-findings-v2",
                        json!({
                            "source": ["aws.securityhub"],
                            "detail-type": ["Findings Imported V2"],
                            "detail": {"findings": {
                                "compliance": {"status": ["Fail"], "control": controls},
                            }},
                        }),
                    );
                }
                Trigger::CustomAction { id_key } => {
                    if let Some(id) = ResponseConfig::default().action_id(id_key) {
                        custom_actions.push(id.to_string());
                    }
                }
                Trigger::Command(_) => {}
            }
        }
    }
    // The account's own custom actions (a member's stack, the hub's own Security Hub)...
    let own: Vec<Value> = custom_actions
        .iter()
        .map(|id| {
            json!({"Fn::Sub": format!(
                "arn:${{AWS::Partition}}:securityhub:${{AWS::Region}}:${{AWS::AccountId}}:action/custom/{id}"
            )})
        })
        .collect();
    out.push(RulePattern {
        marker: "pattern-custom-actions".into(),
        playbook: "custom-actions",
        pattern: json!({
            "source": ["aws.securityhub"],
            "detail-type": ["Security Hub Findings - Custom Action"],
            "resources": own,
        }),
    });
    // ...and on the hub's bus, those of any member account (the trust check decides whether
    // the sender may name what its findings name).
    let any: Vec<Value> = custom_actions
        .iter()
        .map(|id| json!({"wildcard": format!("arn:*:securityhub:*:*:action/custom/{id}")}))
        .collect();
    out.push(RulePattern {
        marker: "pattern-custom-actions-any-account".into(),
        playbook: "custom-actions",
        pattern: json!({
            "source": ["aws.securityhub"],
            "detail-type": ["Security Hub Findings - Custom Action"],
            "resources": any,
        }),
    });
    out
}

/// The pattern a template marker names.
pub fn by_marker(marker: &str) -> Option<Value> {
    patterns()
        .into_iter()
        .find(|p| p.marker == marker)
        .map(|p| p.pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_trigger_has_a_pattern_and_commands_none() {
        let all = patterns();
        let markers: Vec<&str> = all.iter().map(|p| p.marker.as_str()).collect();
        for want in [
            "pattern-cloudtrail-tamper",
            "pattern-auto-mfa",
            "pattern-isolate-guardduty",
            "pattern-isolate-guardduty-via-securityhub",
            "pattern-remediate-control-findings",
            "pattern-remediate-control-findings-v2",
            "pattern-custom-actions",
        ] {
            assert!(markers.contains(&want), "{want} missing from {markers:?}");
        }
        let tamper = by_marker("pattern-cloudtrail-tamper").expect("tamper");
        assert_eq!(tamper["source"], json!(["aws.cloudtrail"]));
        assert_eq!(
            tamper["detail"]["eventName"],
            json!(rampart_member::respond::cloudtrail_tamper::TRIGGERS)
        );
        let ca = by_marker("pattern-custom-actions").expect("custom actions");
        assert_eq!(ca["resources"].as_array().map(Vec::len), Some(2));
    }
}

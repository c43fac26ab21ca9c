//! Answering an AWS Config custom rule for one account: parse the rule's Lambda invocation,
//! turn the account's check outcomes into one evaluation of `AWS::::Account`, and send it
//! with config:PutEvaluations (with that account's credentials, in the rule's region).
//!
//! Compliance: COMPLIANT only when nothing failed and nothing errored. A check that errored is
//! never a pass (the same rule the reports follow), and PutEvaluations does not accept
//! INSUFFICIENT_DATA, so errors without failures are NON_COMPLIANT with an annotation that
//! starts `errors:`. NOT_APPLICABLE would be wrong: the benchmark applies to every account.

use crate::error_text::describe;
use aws_sdk_config::types::{ComplianceType, Evaluation};
use rampart_common::{Benchmark, CheckOutcome, Permissions};
use serde_json::Value;
use std::collections::BTreeMap;
use thiserror::Error;

/// What answering a rule calls in the member account.
pub const PERMISSIONS: Permissions = Permissions {
    component: "config-rule",
    actions: &["config:PutEvaluations"],
};

/// PutEvaluations' limit on `Annotation`.
pub const ANNOTATION_MAX: usize = 256;
/// The resource type of an account-level evaluation.
pub const ACCOUNT_RESOURCE_TYPE: &str = "AWS::::Account";
/// The result token that asks for a test-mode PutEvaluations (the RDK's convention): nothing
/// is recorded, the call only validates.
pub const TEST_MODE_TOKEN: &str = "TESTMODE";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RuleError {
    #[error("not an AWS Config rule invocation: {0}")]
    Invalid(String),
    #[error("the Rampart rule is periodic; message type {0} is not handled")]
    Unsupported(String),
    #[error("config:PutEvaluations: {0}")]
    Put(String),
}

/// The parts of a Config rule invocation Rampart uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub account_id: String,
    pub config_rule_name: String,
    pub result_token: String,
    pub execution_role_arn: Option<String>,
    /// `notificationCreationTime` of the invoking event: the evaluation's OrderingTimestamp.
    pub notification_time: chrono::DateTime<chrono::Utc>,
    /// `ruleParameters`, decoded from their JSON string (empty when absent).
    pub rule_parameters: BTreeMap<String, Value>,
}

impl Invocation {
    /// A rule parameter that is a boolean or the strings `true`/`false`.
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.rule_parameters.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn test_mode(&self) -> bool {
        self.result_token == TEST_MODE_TOKEN
    }
}

/// True when the payload looks like a Config rule invocation (it has an `invokingEvent`).
pub fn is_invocation(payload: &Value) -> bool {
    payload.get("invokingEvent").is_some() && payload.get("resultToken").is_some()
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str, RuleError> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| RuleError::Invalid(format!("{name} is missing or not a string")))
}

/// Parses the payload Config sends a custom rule's Lambda.
pub fn parse_invocation(payload: &Value) -> Result<Invocation, RuleError> {
    let invoking: Value = serde_json::from_str(field(payload, "invokingEvent")?)
        .map_err(|e| RuleError::Invalid(format!("invokingEvent is not JSON: {e}")))?;
    let message_type = field(&invoking, "messageType")?;
    if message_type != "ScheduledNotification" {
        return Err(RuleError::Unsupported(message_type.to_string()));
    }
    let time = field(&invoking, "notificationCreationTime")?;
    let notification_time = chrono::DateTime::parse_from_rfc3339(time)
        .map_err(|e| RuleError::Invalid(format!("notificationCreationTime '{time}': {e}")))?
        .with_timezone(&chrono::Utc);
    let account_id = match payload.get("accountId").and_then(Value::as_str) {
        Some(a) => a.to_string(),
        None => field(&invoking, "awsAccountId")?.to_string(),
    };
    if account_id.len() != 12 || !account_id.chars().all(|c| c.is_ascii_digit()) {
        return Err(RuleError::Invalid(format!(
            "accountId '{account_id}' is not a 12-digit account id"
        )));
    }
    let rule_parameters = match payload.get("ruleParameters") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::String(s)) if s.trim().is_empty() => BTreeMap::new(),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|e| RuleError::Invalid(format!("ruleParameters is not a JSON object: {e}")))?,
        Some(Value::Object(m)) => m.clone().into_iter().collect(),
        Some(_) => return Err(RuleError::Invalid("ruleParameters is not an object".into())),
    };
    Ok(Invocation {
        account_id,
        config_rule_name: field(payload, "configRuleName")?.to_string(),
        result_token: field(payload, "resultToken")?.to_string(),
        execution_role_arn: payload
            .get("executionRoleArn")
            .and_then(Value::as_str)
            .map(str::to_string),
        notification_time,
        rule_parameters,
    })
}

/// The account's verdict for the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountVerdict {
    pub compliance: ComplianceType,
    pub annotation: String,
    /// Requirement ids with a failure, in benchmark order.
    pub failed_requirements: Vec<String>,
    /// Check ids that errored.
    pub errored_checks: Vec<String>,
}

/// Decides the account from its outcomes (every region assessed) against every configured
/// benchmark version: non-compliant when a requirement of any of them fails. With one version
/// requirements are named by id (`6.3`), with several by version and id (`v7.0.0 6.3`).
pub fn verdict(benchmarks: &[&Benchmark], outcomes: &[CheckOutcome]) -> AccountVerdict {
    let failing: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.failures().next().is_some())
        .map(|o| o.check_id.as_str())
        .collect();
    let several = benchmarks.len() > 1;
    let failed_requirements: Vec<String> = benchmarks
        .iter()
        .flat_map(|b| {
            b.requirements
                .iter()
                .filter(|r| r.checks.iter().any(|c| failing.contains(c)))
                .map(move |r| {
                    if several {
                        format!("{} {}", b.version(), r.id)
                    } else {
                        r.id.to_string()
                    }
                })
        })
        .collect();
    let mut errored_checks: Vec<String> = outcomes
        .iter()
        .filter(|o| o.is_error())
        .map(|o| o.check_id.clone())
        .collect();
    errored_checks.sort();
    errored_checks.dedup();
    let names = benchmarks
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ");
    let (compliance, annotation) = if !failed_requirements.is_empty() {
        let label = match benchmarks {
            [one] => format!("failed CIS {}", one.version()),
            _ => "failed CIS".to_string(),
        };
        (
            ComplianceType::NonCompliant,
            annotation(&label, &failed_requirements),
        )
    } else if !errored_checks.is_empty() {
        (
            ComplianceType::NonCompliant,
            annotation("errors: could not evaluate", &errored_checks),
        )
    } else {
        (
            ComplianceType::Compliant,
            format!("{names}: nothing failed"),
        )
    };
    AccountVerdict {
        compliance,
        annotation: cut(&annotation, ANNOTATION_MAX),
        failed_requirements,
        errored_checks,
    }
}

/// `<label> a, b, c`, cut to fit [`ANNOTATION_MAX`] bytes (hence characters) with
/// `... (+N more)` naming how many items were left out.
pub fn annotation(label: &str, items: &[String]) -> String {
    let full = format!("{label} {}", items.join(", "));
    if full.len() <= ANNOTATION_MAX {
        return full;
    }
    let mut shown = items.len();
    while shown > 0 {
        shown -= 1;
        let left_out = items.len() - shown;
        let candidate = if shown == 0 {
            format!("{label} ... (+{left_out} more)")
        } else {
            format!(
                "{label} {}, ... (+{left_out} more)",
                items[..shown].join(", ")
            )
        };
        if candidate.len() <= ANNOTATION_MAX {
            return candidate;
        }
    }
    cut(
        &format!("{label} ... (+{} more)", items.len()),
        ANNOTATION_MAX,
    )
}

/// At most `max` bytes, on a character boundary.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The evaluation PutEvaluations receives.
pub fn evaluation(inv: &Invocation, v: &AccountVerdict) -> Result<Evaluation, RuleError> {
    let ts = aws_smithy_types::DateTime::from_millis(inv.notification_time.timestamp_millis());
    Evaluation::builder()
        .compliance_resource_type(ACCOUNT_RESOURCE_TYPE)
        .compliance_resource_id(&inv.account_id)
        .compliance_type(v.compliance.clone())
        .annotation(&v.annotation)
        .ordering_timestamp(ts)
        .build()
        .map_err(|e| RuleError::Invalid(e.to_string()))
}

/// Sends the evaluation; `client` must act in the rule's account and region.
/// Sends the verdict to AWS Config in the account `member`'s credentials belong to.
pub async fn put(
    member: &aws_config::SdkConfig,
    inv: &Invocation,
    v: &AccountVerdict,
) -> Result<(), RuleError> {
    let client = aws_sdk_config::Client::new(member);
    let out = client
        .put_evaluations()
        .evaluations(evaluation(inv, v)?)
        .result_token(&inv.result_token)
        .test_mode(inv.test_mode())
        .send()
        .await
        .map_err(|e| RuleError::Put(describe(&e)))?;
    if !out.failed_evaluations().is_empty() {
        return Err(RuleError::Put(format!(
            "{} evaluation(s) not accepted",
            out.failed_evaluations().len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_common::benchmarks::{CIS_V3_0_0, CIS_V7_0_0};
    use rampart_common::{CheckStatus, ResourceRef, Verdict};
    use serde_json::json;

    fn payload(message_type: &str) -> Value {
        json!({
            "version": "1.0",
            "invokingEvent": json!({
                "awsAccountId": "111122223333",
                "notificationCreationTime": "2026-03-01T10:20:30.456Z",
                "messageType": message_type,
                "recordVersion": "1.0"
            }).to_string(),
            "ruleParameters": "{\"publish\": \"true\"}",
            "resultToken": "TESTMODE",
            "eventLeftScope": false,
            "executionRoleArn": "arn:aws:iam::111122223333:role/config-role",
            "configRuleArn": "arn:aws:config:us-east-1:111122223333:config-rule/config-rule-abc",
            "configRuleName": "rampart-cis",
            "configRuleId": "config-rule-abc",
            "accountId": "111122223333",
            "evaluationMode": "DETECTIVE"
        })
    }

    #[test]
    fn parses_a_periodic_invocation() {
        let p = payload("ScheduledNotification");
        assert!(is_invocation(&p));
        let inv = parse_invocation(&p).expect("parse");
        assert_eq!(inv.account_id, "111122223333");
        assert_eq!(inv.config_rule_name, "rampart-cis");
        assert!(inv.test_mode());
        assert_eq!(inv.flag("publish"), Some(true));
        assert_eq!(inv.flag("absent"), None);
        assert_eq!(inv.notification_time.timestamp_millis(), 1_772_360_430_456);
    }

    #[test]
    fn rejects_change_notifications_and_garbage() {
        assert_eq!(
            parse_invocation(&payload("ConfigurationItemChangeNotification")),
            Err(RuleError::Unsupported(
                "ConfigurationItemChangeNotification".into()
            ))
        );
        let mut p = payload("ScheduledNotification");
        p["invokingEvent"] = json!("{not json");
        assert!(matches!(parse_invocation(&p), Err(RuleError::Invalid(_))));
        let mut p = payload("ScheduledNotification");
        p["accountId"] = json!("12");
        assert!(matches!(parse_invocation(&p), Err(RuleError::Invalid(_))));
        assert!(!is_invocation(&json!({"source": "aws.events"})));
    }

    fn outcome(check: &str, status: CheckStatus) -> CheckOutcome {
        CheckOutcome {
            check_id: check.into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            status,
        }
    }

    fn failed(check: &str) -> CheckOutcome {
        outcome(
            check,
            CheckStatus::Evaluated {
                verdicts: vec![Verdict {
                    resource: ResourceRef::account("111122223333"),
                    passed: false,
                    reason: "r".into(),
                }],
            },
        )
    }

    #[test]
    fn compliant_only_when_nothing_failed_or_errored() {
        let pass = outcome("iam.root-mfa", CheckStatus::Evaluated { verdicts: vec![] });
        let v = verdict(&[&CIS_V3_0_0], std::slice::from_ref(&pass));
        assert_eq!(v.compliance, ComplianceType::Compliant);

        let err = outcome(
            "cloudtrail.kms-encryption",
            CheckStatus::Error {
                reason: "AccessDenied".into(),
            },
        );
        let v = verdict(&[&CIS_V3_0_0], &[pass.clone(), err.clone()]);
        assert_eq!(v.compliance, ComplianceType::NonCompliant);
        assert_eq!(
            v.annotation,
            "errors: could not evaluate cloudtrail.kms-encryption"
        );

        let v = verdict(
            &[&CIS_V3_0_0],
            &[
                pass.clone(),
                err,
                failed("ec2.sg-admin-ports-ipv4"),
                failed("iam.password-min-length"),
            ],
        );
        assert_eq!(v.compliance, ComplianceType::NonCompliant);
        assert_eq!(v.failed_requirements, vec!["1.8", "5.2"]);
        assert_eq!(v.annotation, "failed CIS v3.0.0 1.8, 5.2");

        // Several versions: any version's failure decides, each named with its version.
        let v = verdict(
            &[&CIS_V7_0_0, &CIS_V3_0_0],
            &[pass.clone(), failed("ec2.sg-admin-ports-ipv4")],
        );
        assert_eq!(v.compliance, ComplianceType::NonCompliant);
        assert_eq!(v.failed_requirements, vec!["v7.0.0 6.3", "v3.0.0 5.2"]);
        assert_eq!(v.annotation, "failed CIS v7.0.0 6.3, v3.0.0 5.2");
        // A check only one version asks for still makes the account non-compliant.
        let v = verdict(
            &[&CIS_V3_0_0, &CIS_V7_0_0],
            &[pass.clone(), failed("rds.multi-az")],
        );
        assert_eq!(
            v.failed_requirements.len(),
            1,
            "{:?}",
            v.failed_requirements
        );
        assert!(v.failed_requirements[0].starts_with("v7.0.0 "));
        let v = verdict(&[&CIS_V3_0_0, &CIS_V7_0_0], &[pass]);
        assert_eq!(v.compliance, ComplianceType::Compliant);
        assert_eq!(
            v.annotation,
            "CIS AWS Foundations Benchmark v3.0.0, CIS AWS Foundations Benchmark v7.0.0: nothing failed"
        );
    }

    #[test]
    fn annotation_never_exceeds_256_and_counts_what_it_left_out() {
        let every: Vec<CheckOutcome> = CIS_V3_0_0.check_ids().into_iter().map(failed).collect();
        let v = verdict(&[&CIS_V3_0_0], &every);
        assert_eq!(v.failed_requirements.len(), CIS_V3_0_0.requirements.len());
        assert!(v.annotation.len() <= ANNOTATION_MAX, "{}", v.annotation);
        assert!(
            v.annotation.starts_with("failed CIS v3.0.0 1.1, 1.2, "),
            "{}",
            v.annotation
        );
        // A list longer than 256 characters is cut with a count of what was left out.
        let many: Vec<String> = (0..100).map(|i| format!("9.{i}.{i}")).collect();
        let a = annotation("failed CIS", &many);
        assert!(a.len() <= ANNOTATION_MAX, "{a}");
        let more: usize = a
            .rsplit("(+")
            .next()
            .and_then(|s| s.strip_suffix(" more)"))
            .and_then(|n| n.parse().ok())
            .expect("count of what was left out");
        let shown = a.matches(", ").count();
        assert_eq!(shown + more, many.len(), "{a}");
        assert!(a.starts_with("failed CIS 9.0.0, 9.1.1, ") && a.ends_with(" more)"));
        // Nearly full: the cut version is used only when it must be, and stays within 256.
        assert!(
            ANNOTATION_MAX - a.len() < 12,
            "{} chars wasted",
            ANNOTATION_MAX - a.len()
        );

        for n in [1, 10, 50, 200, 1000] {
            let items: Vec<String> = (0..n).map(|i| format!("check-{i}")).collect();
            let a = annotation("errors: could not evaluate", &items);
            assert!(a.len() <= ANNOTATION_MAX && a.chars().count() <= ANNOTATION_MAX);
        }
        let huge = vec!["é".repeat(400)];
        let a = annotation("failed", &huge);
        assert!(a.len() <= ANNOTATION_MAX, "{}", a.len());
        assert_eq!(annotation("failed", &["1.4".into()]), "failed 1.4");
    }

    #[test]
    fn evaluation_names_the_account_and_the_notification_time() {
        let inv = parse_invocation(&payload("ScheduledNotification")).expect("parse");
        let v = verdict(&[&CIS_V3_0_0], &[failed("iam.root-mfa")]);
        let e = evaluation(&inv, &v).expect("evaluation");
        assert_eq!(e.compliance_resource_type(), "AWS::::Account");
        assert_eq!(e.compliance_resource_id(), "111122223333");
        assert_eq!(e.compliance_type(), &ComplianceType::NonCompliant);
        assert_eq!(e.annotation(), Some("failed CIS v3.0.0 1.5"));
        assert_eq!(
            e.ordering_timestamp().to_millis().ok(),
            Some(1_772_360_430_456)
        );
    }
}

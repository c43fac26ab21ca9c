//! Typed parsing of the EventBridge envelopes the hub receives.
//!
//! Events are untrusted input: every field is read defensively and a missing or mistyped field
//! is an error that names it. Nothing here acts.

use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum EventError {
    #[error("event is not JSON: {0}")]
    NotJson(String),
    #[error("event is not a JSON object")]
    NotObject,
    #[error("event field `{0}` is missing or not a string")]
    Missing(&'static str),
    #[error("event field `{field}` is invalid: {why}")]
    Invalid { field: &'static str, why: String },
    #[error("unsupported event: source `{source_name}`, detail-type `{detail_type}`")]
    Unsupported {
        source_name: String,
        detail_type: String,
    },
}

/// The EventBridge envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub id: String,
    pub detail_type: String,
    pub source: String,
    pub account: String,
    pub region: String,
    pub time: String,
    pub resources: Vec<String>,
    pub detail: Value,
}

/// A CloudTrail management event delivered as "AWS API Call via CloudTrail".
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    pub event_id: String,
    pub event_source: String,
    pub event_name: String,
    pub event_time: String,
    /// Account where the call was made (`recipientAccountId`, else the envelope's).
    pub account: String,
    pub region: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    pub user_identity: Value,
    pub request_parameters: Value,
    pub response_elements: Value,
    /// Accounts named by `detail.resources[]` (`accountId`, or the account of `ARN`).
    pub resource_accounts: Vec<String>,
}

/// An EC2 instance named by a GuardDuty finding.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardDutyFinding {
    pub finding_id: String,
    pub finding_type: String,
    pub severity: f64,
    pub account: String,
    pub region: String,
    /// Present for EC2 findings (`detail.resource.instanceDetails.instanceId`).
    pub instance_id: Option<String>,
    pub updated_at: Option<String>,
    /// A sample finding (`service.additionalInfo.sample`): generated on request, never real.
    pub sample: bool,
    /// `service.resourceRole`: ACTOR (the instance did it) or TARGET (it was done to it).
    pub resource_role: Option<String>,
}

/// The parts of an ASFF finding routing needs.
#[derive(Debug, Clone, PartialEq)]
pub struct HubFinding {
    pub id: String,
    pub product_arn: String,
    pub account: String,
    pub region: String,
    pub updated_at: String,
    pub title: String,
    /// `Severity.Label` (INFORMATIONAL ... CRITICAL).
    pub severity: String,
    /// (Type, Id) of every resource.
    pub resources: Vec<(String, String)>,
    /// The Security Hub control id (`Compliance.SecurityControlId`, `ProductFields.ControlId`,
    /// or OCSF `compliance.control`).
    pub control: Option<String>,
    /// Rampart's check id (`ProductFields["rampart/CheckId"]`) for Rampart's own findings.
    pub check: Option<String>,
    /// `Compliance.Status` upper-cased: PASSED, WARNING, FAILED, NOT_AVAILABLE.
    pub compliance: Option<String>,
    /// `Workflow.Status`: NEW, NOTIFIED, RESOLVED, SUPPRESSED.
    pub workflow: Option<String>,
    /// `RecordState`: ACTIVE or ARCHIVED.
    pub record_state: Option<String>,
    /// An OCSF finding of the new Security Hub (`Findings Imported V2`).
    pub ocsf: bool,
}

impl HubFinding {
    /// EC2 instances among the resources, as (account, region, instance id). A bare instance
    /// id belongs to the finding's own account and region.
    pub fn instances(&self) -> Vec<(String, String, String)> {
        self.resources
            .iter()
            .filter(|(t, _)| t == "AwsEc2Instance")
            .filter_map(|(_, id)| {
                // arn:aws:ec2:<region>:<account>:instance/<id>, or a bare id.
                let parts: Vec<&str> = id.split(':').collect();
                if parts.len() == 6 && parts[0] == "arn" {
                    let inst = parts[5].strip_prefix("instance/")?;
                    Some((parts[4].to_string(), parts[3].to_string(), inst.to_string()))
                } else if id.starts_with("i-") {
                    Some((self.account.clone(), self.region.clone(), id.clone()))
                } else {
                    None
                }
            })
            .collect()
    }

    /// The first resource whose ARN names an account other than the finding's own: a finding
    /// is about its own account's resources only.
    pub fn foreign_resource(&self) -> Option<(&str, String)> {
        self.resources.iter().find_map(|(_, id)| {
            arn_account(id)
                .filter(|a| *a != self.account)
                .map(|a| (id.as_str(), a))
        })
    }
}

/// The account field of an ARN (`arn:partition:service:region:account:resource`), when it has
/// one (S3 bucket ARNs, for one, do not).
pub fn arn_account(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let account = parts.nth(3)?;
    parts.next()?;
    (!account.is_empty()).then(|| account.to_string())
}

/// What an event is, once its envelope is understood.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    ApiCall(Box<ApiCall>),
    GuardDuty(GuardDutyFinding),
    CustomAction {
        action_arn: String,
        action_name: String,
        findings: Vec<HubFinding>,
    },
    FindingsImported(Vec<HubFinding>),
    InstanceStateChange {
        instance_id: String,
        state: String,
    },
    ConfigRule {
        rule_name: String,
        resource_type: Option<String>,
        resource_id: Option<String>,
        compliance: Option<String>,
    },
    Scheduled,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub envelope: Envelope,
    pub kind: Kind,
}

impl Event {
    /// Every account the event names besides its delivering account, with the field that
    /// names it. An untrusted sender's event must name only its own account.
    pub fn account_fields(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        match &self.kind {
            Kind::ApiCall(c) => {
                out.push(("detail.recipientAccountId".to_string(), c.account.clone()));
                for a in &c.resource_accounts {
                    out.push(("detail.resources[].accountId".to_string(), a.clone()));
                }
            }
            Kind::GuardDuty(g) => out.push(("detail.accountId".to_string(), g.account.clone())),
            Kind::CustomAction {
                action_arn,
                findings,
                ..
            } => {
                if let Some(a) = arn_account(action_arn) {
                    out.push(("resources[0] (custom action ARN)".to_string(), a));
                }
                for f in findings {
                    out.push((
                        "detail.findings[].AwsAccountId".to_string(),
                        f.account.clone(),
                    ));
                }
            }
            Kind::FindingsImported(findings) => {
                for f in findings {
                    out.push((
                        "detail.findings[].AwsAccountId".to_string(),
                        f.account.clone(),
                    ));
                }
            }
            Kind::InstanceStateChange { .. } | Kind::ConfigRule { .. } | Kind::Scheduled => {}
        }
        out
    }

    /// The service whose organization delegated administrator may deliver this event about
    /// other accounts.
    pub fn admin_service(&self) -> Option<&'static str> {
        match &self.kind {
            Kind::GuardDuty(_) => Some("guardduty.amazonaws.com"),
            Kind::CustomAction { .. } | Kind::FindingsImported(_) => {
                Some("securityhub.amazonaws.com")
            }
            _ => None,
        }
    }
}

fn text(v: &Value, field: &'static str) -> Result<String, EventError> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(EventError::Missing(field))
}

fn opt_text(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::to_string)
}

fn account_id(s: &str, field: &'static str) -> Result<String, EventError> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(EventError::Invalid {
            field,
            why: format!("'{}' is not a 12-digit account id", truncate(s, 40)),
        })
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Parses raw bytes into a typed event.
pub fn parse(raw: &[u8]) -> Result<Event, EventError> {
    let v: Value = serde_json::from_slice(raw).map_err(|e| EventError::NotJson(e.to_string()))?;
    parse_value(&v)
}

pub fn parse_value(v: &Value) -> Result<Event, EventError> {
    if !v.is_object() {
        return Err(EventError::NotObject);
    }
    let envelope = Envelope {
        id: text(v, "id")?,
        detail_type: text(v, "detail-type")?,
        source: text(v, "source")?,
        account: account_id(&text(v, "account")?, "account")?,
        region: text(v, "region")?,
        time: text(v, "time")?,
        resources: match v.get("resources") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|r| {
                    r.as_str().map(str::to_string).ok_or(EventError::Invalid {
                        field: "resources",
                        why: "not a list of strings".into(),
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(EventError::Invalid {
                    field: "resources",
                    why: "not a list".into(),
                })
            }
        },
        detail: match v.get("detail") {
            Some(d @ Value::Object(_)) => d.clone(),
            None | Some(Value::Null) => Value::Object(Default::default()),
            Some(_) => {
                return Err(EventError::Invalid {
                    field: "detail",
                    why: "not an object".into(),
                })
            }
        },
    };
    let kind = match (envelope.source.as_str(), envelope.detail_type.as_str()) {
        (src, "AWS API Call via CloudTrail") => {
            let call = api_call(&envelope)?;
            // Only the service that made the call emits its CloudTrail events under its own
            // `aws.<service>` source; a partner or custom source shaped like one is forged.
            let expected = call
                .event_source
                .strip_suffix(".amazonaws.com")
                .map(|svc| format!("aws.{svc}"));
            if expected.as_deref() != Some(src) {
                return Err(EventError::Invalid {
                    field: "source",
                    why: format!(
                        "'{}' did not make the call: a {} event comes from {}",
                        truncate(src, 128),
                        truncate(&call.event_source, 128),
                        expected
                            .as_deref()
                            .unwrap_or("the service named in detail.eventSource"),
                    ),
                });
            }
            Kind::ApiCall(Box::new(call))
        }
        ("aws.guardduty", "GuardDuty Finding") => Kind::GuardDuty(guardduty(&envelope)?),
        ("aws.securityhub", "Security Hub Findings - Custom Action") => {
            let d = &envelope.detail;
            Kind::CustomAction {
                action_arn: envelope
                    .resources
                    .first()
                    .cloned()
                    .ok_or(EventError::Missing("resources[0]"))?,
                action_name: opt_text(d, &["actionName"]).unwrap_or_default(),
                findings: findings(d)?,
            }
        }
        ("aws.securityhub", "Security Hub Findings - Imported") => {
            Kind::FindingsImported(findings(&envelope.detail)?)
        }
        ("aws.securityhub", "Findings Imported V2") => {
            Kind::FindingsImported(ocsf_findings(&envelope)?)
        }
        ("aws.ec2", "EC2 Instance State-change Notification") => Kind::InstanceStateChange {
            instance_id: text(&envelope.detail, "instance-id")
                .map_err(|_| EventError::Missing("detail.instance-id"))?,
            state: text(&envelope.detail, "state")
                .map_err(|_| EventError::Missing("detail.state"))?,
        },
        ("aws.config", "Config Rules Compliance Change") => Kind::ConfigRule {
            rule_name: text(&envelope.detail, "configRuleName")
                .map_err(|_| EventError::Missing("detail.configRuleName"))?,
            resource_type: opt_text(&envelope.detail, &["resourceType"]),
            resource_id: opt_text(&envelope.detail, &["resourceId"]),
            compliance: opt_text(&envelope.detail, &["newEvaluationResult", "complianceType"]),
        },
        ("aws.events", "Scheduled Event") => Kind::Scheduled,
        (s, t) => {
            return Err(EventError::Unsupported {
                source_name: truncate(s, 128),
                detail_type: truncate(t, 128),
            })
        }
    };
    Ok(Event { envelope, kind })
}

fn api_call(env: &Envelope) -> Result<ApiCall, EventError> {
    let d = &env.detail;
    let need =
        |f: &'static str, name: &'static str| text(d, f).map_err(|_| EventError::Missing(name));
    let account = match opt_text(d, &["recipientAccountId"]) {
        Some(a) => account_id(&a, "detail.recipientAccountId")?,
        None => env.account.clone(),
    };
    Ok(ApiCall {
        event_id: need("eventID", "detail.eventID")?,
        event_source: need("eventSource", "detail.eventSource")?,
        event_name: need("eventName", "detail.eventName")?,
        event_time: opt_text(d, &["eventTime"]).unwrap_or_else(|| env.time.clone()),
        account,
        region: opt_text(d, &["awsRegion"]).unwrap_or_else(|| env.region.clone()),
        source_ip: opt_text(d, &["sourceIPAddress"]),
        user_agent: opt_text(d, &["userAgent"]),
        error_code: opt_text(d, &["errorCode"]),
        user_identity: d.get("userIdentity").cloned().unwrap_or(Value::Null),
        request_parameters: d.get("requestParameters").cloned().unwrap_or(Value::Null),
        response_elements: d.get("responseElements").cloned().unwrap_or(Value::Null),
        resource_accounts: d
            .get("resources")
            .and_then(Value::as_array)
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| {
                        opt_text(r, &["accountId"])
                            .or_else(|| opt_text(r, &["ARN"]).and_then(|a| arn_account(&a)))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn guardduty(env: &Envelope) -> Result<GuardDutyFinding, EventError> {
    let d = &env.detail;
    let account = match opt_text(d, &["accountId"]) {
        Some(a) => account_id(&a, "detail.accountId")?,
        None => env.account.clone(),
    };
    Ok(GuardDutyFinding {
        finding_id: text(d, "id").map_err(|_| EventError::Missing("detail.id"))?,
        finding_type: text(d, "type").map_err(|_| EventError::Missing("detail.type"))?,
        severity: d.get("severity").and_then(Value::as_f64).unwrap_or(0.0),
        account,
        region: opt_text(d, &["region"]).unwrap_or_else(|| env.region.clone()),
        instance_id: opt_text(d, &["resource", "instanceDetails", "instanceId"]),
        updated_at: opt_text(d, &["updatedAt"]),
        sample: match d.pointer("/service/additionalInfo/sample") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        },
        resource_role: opt_text(d, &["service", "resourceRole"]).map(|r| r.to_ascii_uppercase()),
    })
}

fn findings(detail: &Value) -> Result<Vec<HubFinding>, EventError> {
    let list = detail
        .get("findings")
        .and_then(Value::as_array)
        .ok_or(EventError::Missing("detail.findings"))?;
    list.iter()
        .map(|f| {
            let need = |k: &'static str, name: &'static str| {
                f.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or(EventError::Missing(name))
            };
            let account = account_id(
                &need("AwsAccountId", "detail.findings[].AwsAccountId")?,
                "detail.findings[].AwsAccountId",
            )?;
            let resources = f
                .get("Resources")
                .and_then(Value::as_array)
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| {
                            Some((
                                r.get("Type")?.as_str()?.to_string(),
                                r.get("Id")?.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(HubFinding {
                id: need("Id", "detail.findings[].Id")?,
                product_arn: need("ProductArn", "detail.findings[].ProductArn")?,
                region: f
                    .get("Region")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        // arn:aws:securityhub:<region>:...
                        f.get("ProductArn")?
                            .as_str()?
                            .split(':')
                            .nth(3)
                            .map(str::to_string)
                    })
                    .unwrap_or_default(),
                updated_at: need("UpdatedAt", "detail.findings[].UpdatedAt")?,
                title: f
                    .get("Title")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                severity: f
                    .get("Severity")
                    .and_then(|s| s.get("Label"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                account,
                resources,
                control: opt_text(f, &["Compliance", "SecurityControlId"])
                    .or_else(|| opt_text(f, &["ProductFields", "ControlId"])),
                check: opt_text(f, &["ProductFields", crate::asff::CHECK_ID_FIELD]),
                compliance: opt_text(f, &["Compliance", "Status"]).map(|s| s.to_ascii_uppercase()),
                workflow: opt_text(f, &["Workflow", "Status"]).map(|s| s.to_ascii_uppercase()),
                record_state: opt_text(f, &["RecordState"]).map(|s| s.to_ascii_uppercase()),
                ocsf: false,
            })
        })
        .collect()
}

/// The findings of a `Findings Imported V2` event (OCSF), normalised to the ASFF terms the
/// rest of the hub uses: compliance `Fail` is FAILED, status `Resolved` / `Suppressed` are the
/// workflow states, activity `Close` (3) an archived record.
fn ocsf_findings(env: &Envelope) -> Result<Vec<HubFinding>, EventError> {
    let list = env
        .detail
        .get("findings")
        .and_then(Value::as_array)
        .ok_or(EventError::Missing("detail.findings"))?;
    list.iter()
        .map(|f| {
            let account = account_id(
                &opt_text(f, &["cloud", "account", "uid"])
                    .ok_or(EventError::Missing("detail.findings[].cloud.account.uid"))?,
                "detail.findings[].cloud.account.uid",
            )?;
            let id = opt_text(f, &["finding_info", "uid"])
                .or_else(|| opt_text(f, &["metadata", "uid"]))
                .ok_or(EventError::Missing("detail.findings[].finding_info.uid"))?;
            let resources = f
                .get("resources")
                .and_then(Value::as_array)
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| {
                            Some((
                                r.get("type")?.as_str()?.to_string(),
                                r.get("uid")?.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let compliance = opt_text(f, &["compliance", "status"]).map(|s| {
                match s.to_ascii_lowercase().as_str() {
                    "fail" | "failed" => "FAILED".to_string(),
                    "pass" | "passed" => "PASSED".to_string(),
                    "warning" => "WARNING".to_string(),
                    _ => s.to_ascii_uppercase().replace(' ', "_"),
                }
            });
            let workflow =
                opt_text(f, &["status"]).map(|s| match s.to_ascii_lowercase().as_str() {
                    "new" => "NEW".to_string(),
                    "in progress" | "in_progress" => "NOTIFIED".to_string(),
                    other => other.to_ascii_uppercase(),
                });
            let archived = f.get("activity_id").and_then(Value::as_i64) == Some(3);
            Ok(HubFinding {
                id,
                product_arn: opt_text(f, &["metadata", "product", "uid"]).unwrap_or_default(),
                region: opt_text(f, &["cloud", "region"]).unwrap_or_else(|| env.region.clone()),
                updated_at: opt_text(f, &["finding_info", "modified_time_dt"])
                    .or_else(|| {
                        f.pointer("/finding_info/modified_time")
                            .map(|v| v.to_string())
                    })
                    .or_else(|| opt_text(f, &["time_dt"]))
                    .unwrap_or_else(|| env.time.clone()),
                title: opt_text(f, &["finding_info", "title"]).unwrap_or_default(),
                severity: opt_text(f, &["severity"])
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
                account,
                resources,
                control: opt_text(f, &["compliance", "control"]),
                check: None,
                compliance,
                workflow,
                record_state: Some(if archived { "ARCHIVED" } else { "ACTIVE" }.to_string()),
                ocsf: true,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;

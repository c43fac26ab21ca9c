//! The CodePipeline job event and the action's UserParameters.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::error::PipelineError;
use crate::audit::Thresholds;
use crate::budget::{Budget, Limits};
use crate::suppress::{SuppressionMode, SuppressionPolicy};

#[derive(Debug, Clone, Deserialize)]
pub struct JobEvent {
    #[serde(rename = "CodePipeline.job")]
    pub job: Job,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    pub id: String,
    #[serde(default)]
    pub data: JobData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobData {
    #[serde(default)]
    pub action_configuration: ActionConfiguration,
    #[serde(default)]
    pub input_artifacts: Vec<Artifact>,
    pub artifact_credentials: Option<ArtifactCredentials>,
    pub encryption_key: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionConfiguration {
    #[serde(default)]
    pub configuration: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Artifact {
    #[serde(default)]
    pub name: String,
    pub location: ArtifactLocation,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub s3_location: S3Location,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    pub bucket_name: String,
    pub object_key: String,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for ArtifactCredentials {
    // Never print secrets in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtifactCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Parse the Lambda payload.
pub fn parse_event(event: &Value) -> Result<Job, PipelineError> {
    serde_json::from_value::<JobEvent>(event.clone())
        .map(|e| e.job)
        .map_err(|e| PipelineError::Event(e.to_string()))
}

/// What the action's UserParameters configure. This is the gate's policy: it comes from the
/// pipeline's definition, never from the artifact under review.
#[derive(Debug, Clone, PartialEq)]
pub struct UserParameters {
    pub templates: Vec<String>,
    pub thresholds: Thresholds,
    /// Rule packs inside the artifact; used only when `allow_artifact_rules` is set.
    pub rules: Vec<String>,
    pub parameters: Option<String>,
    pub artifact: Option<String>,
    /// Whether rule packs found inside the artifact may change the rules.
    pub allow_artifact_rules: bool,
    /// Which suppressions written in the templates count (none unless allowed; with a reason,
    /// below the ceiling, when allowed).
    pub suppression: SuppressionPolicy,
    /// Budgets for each template.
    pub limits: Limits,
}

/// Risk at or above which a template's own suppression is refused, when suppressions are
/// allowed and no ceiling is configured: high-risk rules cannot be waived by the author.
pub const DEFAULT_SUPPRESSION_CEILING: u32 = 7;

/// Time each template may take in the pipeline unless configured.
pub const DEFAULT_TEMPLATE_SECONDS: u64 = 20;

impl Default for UserParameters {
    fn default() -> Self {
        UserParameters {
            templates: Vec::new(),
            thresholds: Thresholds::default(),
            rules: Vec::new(),
            parameters: None,
            artifact: None,
            allow_artifact_rules: false,
            suppression: SuppressionPolicy {
                mode: SuppressionMode::None,
                ceiling: Some(DEFAULT_SUPPRESSION_CEILING),
            },
            limits: Limits {
                time_ms: DEFAULT_TEMPLATE_SECONDS * 1000,
                ..Limits::default()
            },
        }
    }
}

/// `limits`: `{"bytes": N, "nodes": N, "depth": N, "resources": N, "steps": N, "seconds": N}`.
fn parse_limits(v: &Value) -> Result<Limits, String> {
    let Value::Object(o) = v else {
        return Err("limits must be an object such as {\"steps\": 2000000}".into());
    };
    let mut limits = UserParameters::default().limits;
    for (k, v) in o {
        let (budget, n) = match k.as_str() {
            // Seconds may be fractional; the budget counts whole milliseconds.
            "seconds" => {
                let secs = v
                    .as_f64()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| "limits.seconds must be a positive number".to_string())?;
                (Budget::Time, (secs * 1000.0).ceil().min(u64::MAX as f64) as u64)
            }
            other => (
                Budget::parse(other)
                    .filter(|b| *b != Budget::Time)
                    .ok_or_else(|| {
                        format!("unknown limit {other:?} (bytes, nodes, depth, resources, steps, seconds)")
                    })?,
                v.as_u64()
                    .ok_or_else(|| format!("limits.{k} must be a positive integer"))?,
            ),
        };
        limits
            .set(budget, n)
            .map_err(|e| format!("limits.{k}: {e}"))?;
    }
    Ok(limits)
}

fn flag(obj: &serde_json::Map<String, Value>, key: &str) -> Result<bool, String> {
    match obj.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{key} must be true or false")),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn parse_user_parameters(raw: Option<&str>) -> Result<UserParameters, PipelineError> {
    let bad = |m: String| PipelineError::UserParameters(m);
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Ok(UserParameters::default());
    }
    let v: Value = serde_json::from_str(raw).map_err(|e| bad(e.to_string()))?;
    let obj = match &v {
        Value::Object(o) => o,
        // A bare list or string is taken as the template globs.
        Value::Array(_) | Value::String(_) => {
            return Ok(UserParameters {
                templates: strings(Some(&v)),
                ..Default::default()
            })
        }
        _ => return Err(bad("expected a JSON object".into())),
    };
    let thresholds = match obj.get("thresholds") {
        None => Thresholds::default(),
        Some(Value::String(s)) => Thresholds::parse(s).map_err(bad)?,
        Some(Value::Array(a)) if a.len() == 2 => {
            let n = |i: usize| {
                a.get(i)
                    .and_then(Value::as_u64)
                    .and_then(|x| u32::try_from(x).ok())
            };
            match (n(0), n(1)) {
                (Some(x), Some(y)) => Thresholds::parse(&format!("{x},{y}")).map_err(bad)?,
                _ => return Err(bad("thresholds must be two non-negative integers".into())),
            }
        }
        Some(Value::Object(o)) => {
            let n = |k: &str| {
                o.get(k)
                    .and_then(Value::as_u64)
                    .and_then(|x| u32::try_from(x).ok())
            };
            match (n("approval"), n("fail")) {
                (Some(x), Some(y)) => Thresholds::parse(&format!("{x},{y}")).map_err(bad)?,
                _ => return Err(bad("thresholds needs approval and fail".into())),
            }
        }
        Some(_) => {
            return Err(bad(
                "thresholds must be \"5,10\", [5,10] or {approval,fail}".into(),
            ))
        }
    };
    let defaults = UserParameters::default();
    let allow_suppressions = flag(obj, "allowSuppressions").map_err(bad)?;
    let ceiling = match obj.get("suppressionCeiling") {
        None => DEFAULT_SUPPRESSION_CEILING,
        Some(v) => v
            .as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .ok_or_else(|| bad("suppressionCeiling must be a non-negative integer".into()))?,
    };
    let limits = match obj.get("limits") {
        None => defaults.limits,
        Some(v) => parse_limits(v).map_err(bad)?,
    };
    Ok(UserParameters {
        templates: strings(obj.get("templates").or_else(|| obj.get("paths"))),
        thresholds,
        rules: strings(obj.get("rules")),
        parameters: obj
            .get("parameters")
            .and_then(Value::as_str)
            .map(str::to_string),
        artifact: obj
            .get("artifact")
            .and_then(Value::as_str)
            .map(str::to_string),
        allow_artifact_rules: flag(obj, "allowArtifactRules").map_err(bad)?,
        suppression: SuppressionPolicy {
            // A template's suppression must always give a reason in the gate.
            mode: if allow_suppressions {
                SuppressionMode::Reasoned
            } else {
                SuppressionMode::None
            },
            ceiling: Some(ceiling),
        },
        limits,
    })
}

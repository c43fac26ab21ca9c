//! The CodePipeline stage: a Lambda invoke action that audits templates in the input artifact
//! and gates the pipeline with the seed's thresholds.
//!
//! Flow for one job: read the job event, download the input artifact zip from S3 with the
//! job's artifact credentials, audit the templates selected by UserParameters, then call
//! `PutJobSuccessResult` (PASS; APPROVAL with a summary saying manual approval is needed, for
//! a following manual-approval action) or `PutJobFailureResult` (FAIL, or any internal error,
//! listing the failed rules within CodePipeline's 5000-character limit). Every path ends the
//! job, so the pipeline never waits for the action to time out.
//!
//! UserParameters (JSON, all optional):
//! `{"templates": ["templates/**/*.yaml"], "thresholds": "5,10", "rules": "audit/rules.yaml",
//!   "parameters": "params/prod.json", "artifact": "SourceOutput"}`.
//! Paths are inside the artifact; `templates` are globs (`*`, `?`, `**`). Without `templates`
//! every `.yaml`, `.yml`, `.json` and `.template` file is audited.

use std::collections::HashMap;
use std::io::Read;
use std::time::Duration;

use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use serde::Deserialize;
use serde_json::Value;

use crate::audit::{audit_text, AuditConfig, Decision, TemplateReport, Thresholds};

/// CodePipeline's limit on a failure message.
pub const MAX_FAILURE_MESSAGE: usize = 5000;
/// CodePipeline's limit on an execution summary.
pub const MAX_SUMMARY: usize = 2048;
/// Artifact limits (uncompressed), so a zip bomb cannot exhaust the Lambda.
pub const MAX_ARTIFACT_FILES: usize = 20_000;
pub const MAX_ARTIFACT_BYTES: u64 = 512 * 1024 * 1024;
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("invalid CodePipeline job event: {0}")]
    Event(String),
    #[error("invalid UserParameters: {0}")]
    UserParameters(String),
    #[error("cannot download artifact s3://{bucket}/{key}: {message}")]
    Download {
        bucket: String,
        key: String,
        message: String,
    },
    #[error("cannot read artifact zip: {0}")]
    Zip(String),
    #[error("{0}")]
    Config(String),
    #[error("no template in the artifact matches {0:?}")]
    NoTemplates(Vec<String>),
    #[error("audit did not finish within {0:?}")]
    Timeout(Duration),
    #[error("CodePipeline {call} failed: {message}")]
    Report { call: &'static str, message: String },
}

// --- the job event ------------------------------------------------------------------------

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

// --- UserParameters -----------------------------------------------------------------------

/// What the action's UserParameters configure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserParameters {
    pub templates: Vec<String>,
    pub thresholds: Thresholds,
    pub rules: Vec<String>,
    pub parameters: Option<String>,
    pub artifact: Option<String>,
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
    })
}

// --- globs and the artifact ---------------------------------------------------------------

/// Match a `/`-separated path against a glob with `*`, `?` and `**`.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./");
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(path))
}

/// Files of an artifact zip: (normalised path, bytes), with size and count limits.
pub fn extract_zip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, PipelineError> {
    let zerr = |e: &dyn std::fmt::Display| PipelineError::Zip(e.to_string());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| zerr(&e))?;
    if archive.len() > MAX_ARTIFACT_FILES {
        return Err(PipelineError::Zip(format!(
            "more than {MAX_ARTIFACT_FILES} entries"
        )));
    }
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(|e| zerr(&e))?;
        if f.is_dir() {
            continue;
        }
        // enclosed_name rejects absolute paths and `..`.
        let Some(name) = f.enclosed_name() else {
            continue;
        };
        let name = name.to_string_lossy().replace('\\', "/");
        let mut buf = Vec::new();
        // Read at most the limit + 1 so a lying header cannot make us read more.
        (&mut f)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| zerr(&e))?;
        if buf.len() as u64 > MAX_FILE_BYTES {
            return Err(PipelineError::Zip(format!(
                "{name} is larger than {MAX_FILE_BYTES} bytes"
            )));
        }
        total += buf.len() as u64;
        if total > MAX_ARTIFACT_BYTES {
            return Err(PipelineError::Zip(format!(
                "artifact expands beyond {MAX_ARTIFACT_BYTES} bytes"
            )));
        }
        out.push((name, buf));
    }
    Ok(out)
}

/// Download an object (the artifact zip) with a client the caller built, e.g. with the
/// job's artifact credentials ([`artifact_s3_client`]) or against an emulator.
pub async fn download_artifact(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, PipelineError> {
    let derr = |m: String| PipelineError::Download {
        bucket: bucket.to_string(),
        key: key.to_string(),
        message: m,
    };
    let obj = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| derr(aws_sdk_s3::error::DisplayErrorContext(&e).to_string()))?;
    let body = obj.body.collect().await.map_err(|e| derr(e.to_string()))?;
    Ok(body.into_bytes().to_vec())
}

/// An S3 client that uses the job's artifact credentials (not the Lambda's role).
pub fn artifact_s3_client(
    base: &aws_config::SdkConfig,
    creds: &ArtifactCredentials,
) -> aws_sdk_s3::Client {
    let c = aws_sdk_s3::config::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.clone(),
        creds.session_token.clone(),
        None,
        "codepipeline-artifact-credentials",
    );
    let conf = aws_sdk_s3::config::Builder::from(base)
        .credentials_provider(c)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

// --- auditing -------------------------------------------------------------------------------

/// Result of auditing an artifact.
#[derive(Debug, Clone)]
pub struct ArtifactAudit {
    pub reports: Vec<TemplateReport>,
    pub decision: Decision,
    pub thresholds: Thresholds,
}

fn is_template_name(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    [".yaml", ".yml", ".json", ".template"]
        .iter()
        .any(|e| l.ends_with(e))
}

/// Audit the selected files of an extracted artifact.
pub fn audit_artifact(
    files: &[(String, Vec<u8>)],
    params: &UserParameters,
) -> Result<ArtifactAudit, PipelineError> {
    let find = |path: &str| {
        files
            .iter()
            .find(|(n, _)| n == path.trim_start_matches("./"))
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| PipelineError::Config(format!("{path} not found in the artifact")))
    };
    let mut cfg = AuditConfig {
        thresholds: params.thresholds,
        ..AuditConfig::default()
    };
    for r in &params.rules {
        let rules = crate::rules::pack::parse_pack(r, &find(r)?, &crate::rules::builtin_lookup)
            .map_err(|e| PipelineError::Config(e.to_string()))?;
        cfg.add_rules(rules);
    }
    if let Some(p) = &params.parameters {
        cfg.parameters = crate::cli::parse_parameters(p, &find(p)?)
            .map_err(|e| PipelineError::Config(e.to_string()))?;
    }
    let selected: Vec<&(String, Vec<u8>)> = files
        .iter()
        .filter(|(n, _)| {
            if params.templates.is_empty() {
                is_template_name(n)
                    && !params.rules.iter().any(|r| r == n)
                    && params.parameters.as_deref() != Some(n.as_str())
            } else {
                params.templates.iter().any(|g| glob_match(g, n))
            }
        })
        .collect();
    if selected.is_empty() {
        return Err(PipelineError::NoTemplates(params.templates.clone()));
    }
    let reports: Vec<TemplateReport> = selected
        .iter()
        .map(|(n, b)| match std::str::from_utf8(b) {
            Ok(t) => {
                let mut r = audit_text(n, t, &cfg);
                // Selection is a search (globs), so a buildspec or manifest that matched is
                // skipped, as in a directory search on the command line.
                if r.skipped.is_some() {
                    r.decision = Decision::Pass;
                    r.error = None;
                }
                r
            }
            Err(_) => {
                let mut r = audit_text(n, "", &cfg);
                r.error = Some(format!("{n}: not UTF-8 text"));
                r.decision = Decision::Error;
                r
            }
        })
        .collect();
    if reports.iter().all(|r| r.skipped.is_some()) {
        return Err(PipelineError::NoTemplates(params.templates.clone()));
    }
    let decision = crate::report::overall(&reports);
    Ok(ArtifactAudit {
        reports,
        decision,
        thresholds: cfg.thresholds,
    })
}

/// Cut `s` to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let marker = "\n... (truncated)";
    let mut end = max.saturating_sub(marker.len());
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &s[..end])
}

/// One line per template and per scoring finding.
fn findings_lines(a: &ArtifactAudit) -> String {
    let mut out = String::new();
    for r in a.reports.iter().filter(|r| r.skipped.is_none()) {
        if let Some(e) = &r.error {
            out.push_str(&format!("{}: ERROR {e}\n", r.path));
            continue;
        }
        out.push_str(&format!(
            "{}: {} risk {}\n",
            r.path,
            r.decision.as_str(),
            r.risk_total
        ));
        for f in r.findings.iter().filter(|f| f.scores() && f.risk > 0) {
            out.push_str(&format!(
                "  {} (risk {}) {} line {}: {}\n",
                f.rule_id, f.risk, f.resource, f.line, f.message
            ));
        }
    }
    out
}

/// What the job is told.
#[derive(Debug, Clone, PartialEq)]
pub enum JobResult {
    Success { summary: String },
    Failure { message: String },
}

/// Turn an audit (or an error) into the job result text.
pub fn job_result(outcome: &Result<ArtifactAudit, PipelineError>) -> JobResult {
    match outcome {
        Err(e) => JobResult::Failure {
            message: truncate(
                &format!("Rampart template audit could not complete: {e}"),
                MAX_FAILURE_MESSAGE,
            ),
        },
        Ok(a) => {
            let total: u32 = a.reports.iter().map(|r| r.risk_total).max().unwrap_or(0);
            match a.decision {
                Decision::Pass => JobResult::Success {
                    summary: truncate(
                        &format!("Rampart: minimal or no risk detected (highest template risk {total}, approval at {})", a.thresholds.approval),
                        MAX_SUMMARY,
                    ),
                },
                Decision::Approval => JobResult::Success {
                    summary: truncate(
                        &format!(
                            "Rampart: medium risk detected (highest template risk {total}), manual approval needed.\n{}",
                            findings_lines(a)
                        ),
                        MAX_SUMMARY,
                    ),
                },
                Decision::Fail | Decision::Error => {
                    let failed: Vec<String> = a
                        .reports
                        .iter()
                        .flat_map(|r| r.failed_rules.iter().cloned())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    let head = if a.decision == Decision::Error {
                        "Rampart: a template could not be audited".to_string()
                    } else {
                        format!(
                            "Rampart: high risk detected (highest template risk {total}, fail at {}). Failed rules: {}",
                            a.thresholds.fail,
                            failed.join(", ")
                        )
                    };
                    JobResult::Failure {
                        message: truncate(&format!("{head}\n{}", findings_lines(a)), MAX_FAILURE_MESSAGE),
                    }
                }
            }
        }
    }
}

/// Download, extract and audit; all failures are returned as errors for the failure result.
pub async fn audit_job(job: &Job, s3: &aws_sdk_s3::Client) -> Result<ArtifactAudit, PipelineError> {
    let params = parse_user_parameters(
        job.data
            .action_configuration
            .configuration
            .get("UserParameters")
            .map(String::as_str),
    )?;
    let artifact = match &params.artifact {
        Some(name) => job.data.input_artifacts.iter().find(|a| &a.name == name),
        None => job.data.input_artifacts.first(),
    }
    .ok_or_else(|| PipelineError::Event("no (matching) input artifact".into()))?;
    let loc = &artifact.location.s3_location;
    let bytes = download_artifact(s3, &loc.bucket_name, &loc.object_key).await?;
    // Zip reading and auditing are CPU work on untrusted data: keep them off the async
    // runtime and turn a panic in a dependency into an error.
    tokio::task::spawn_blocking(move || {
        let files = extract_zip(&bytes)?;
        audit_artifact(&files, &params)
    })
    .await
    .map_err(|e| PipelineError::Zip(format!("internal error: {e}")))?
}

/// Process one job end to end and report the result to CodePipeline.
///
/// `budget` bounds download and audit so there is time left to report before the Lambda
/// times out; running out of it is reported as a failure.
pub async fn process_job(
    job: &Job,
    s3: &aws_sdk_s3::Client,
    codepipeline: &aws_sdk_codepipeline::Client,
    budget: Duration,
) -> Result<JobResult, PipelineError> {
    let outcome = match tokio::time::timeout(budget, audit_job(job, s3)).await {
        Ok(r) => r,
        Err(_) => Err(PipelineError::Timeout(budget)),
    };
    let result = job_result(&outcome);
    report_result(codepipeline, &job.id, &result).await?;
    Ok(result)
}

/// Call PutJobSuccessResult or PutJobFailureResult.
pub async fn report_result(
    codepipeline: &aws_sdk_codepipeline::Client,
    job_id: &str,
    result: &JobResult,
) -> Result<(), PipelineError> {
    match result {
        JobResult::Success { summary } => codepipeline
            .put_job_success_result()
            .job_id(job_id)
            .execution_details(ExecutionDetails::builder().summary(summary.clone()).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PipelineError::Report {
                call: "PutJobSuccessResult",
                message: aws_sdk_codepipeline::error::DisplayErrorContext(&e).to_string(),
            }),
        JobResult::Failure { message } => {
            let details = FailureDetails::builder()
                .r#type(FailureType::JobFailed)
                .message(message.clone())
                .build()
                .map_err(|e| PipelineError::Report {
                    call: "PutJobFailureResult",
                    message: e.to_string(),
                })?;
            codepipeline
                .put_job_failure_result()
                .job_id(job_id)
                .failure_details(details)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| PipelineError::Report {
                    call: "PutJobFailureResult",
                    message: aws_sdk_codepipeline::error::DisplayErrorContext(&e).to_string(),
                })
        }
    }
}

/// Process a raw job event with clients the caller built. An event that does not parse
/// but still carries a job id is ended with a failure result rather than left to time out.
pub async fn process_event(
    event: &Value,
    s3: &aws_sdk_s3::Client,
    codepipeline: &aws_sdk_codepipeline::Client,
    budget: Duration,
) -> Result<JobResult, PipelineError> {
    match parse_event(event) {
        Ok(job) => process_job(&job, s3, codepipeline, budget).await,
        Err(e) => match event
            .pointer("/CodePipeline.job/id")
            .and_then(Value::as_str)
        {
            Some(id) => {
                let result = job_result(&Err(e));
                report_result(codepipeline, id, &result).await?;
                Ok(result)
            }
            None => Err(e),
        },
    }
}

/// Lambda entry: build clients (S3 with the job's artifact credentials) and process the
/// event. `budget` is the time allowed before reporting (see [`process_job`]).
pub async fn handle_event(
    event: &Value,
    base: &aws_config::SdkConfig,
    budget: Duration,
) -> Result<JobResult, PipelineError> {
    let codepipeline = aws_sdk_codepipeline::Client::new(base);
    let creds = event
        .pointer("/CodePipeline.job/data/artifactCredentials")
        .and_then(|c| serde_json::from_value::<ArtifactCredentials>(c.clone()).ok());
    let s3 = match &creds {
        Some(c) => artifact_s3_client(base, c),
        None => aws_sdk_s3::Client::new(base),
    };
    process_event(event, &s3, &codepipeline, budget).await
}

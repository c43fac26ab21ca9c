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

mod artifact;
mod event;
mod outcome;

use std::time::Duration;

use serde_json::Value;

pub use artifact::{artifact_s3_client, download_artifact, extract_zip, glob_match, glob_regex};
pub use event::{
    parse_event, parse_user_parameters, ActionConfiguration, Artifact, ArtifactCredentials,
    ArtifactLocation, Job, JobData, JobEvent, S3Location, UserParameters,
};
pub use outcome::{audit_artifact, job_result, report_result, truncate, ArtifactAudit, JobResult};

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

//! The CodePipeline stage: a Lambda invoke action that audits templates in the input artifact
//! and gates the pipeline with the PASS / APPROVAL / FAIL risk thresholds.
//!
//! Flow for one job: read the job event, download the input artifact zip from S3 with the
//! job's artifact credentials, audit the templates selected by UserParameters (on a thread of
//! its own with a large stack, which stops at the job's deadline and each template's time
//! budget, so nothing keeps running in the warm container after the job is reported), then call
//! `PutJobSuccessResult` (PASS; APPROVAL with a summary saying manual approval is needed, for
//! a following manual-approval action) or `PutJobFailureResult` (FAIL, or any internal error,
//! listing the failed rules within CodePipeline's 5000-character limit). Every path ends the
//! job, so the pipeline never waits for the action to time out.
//!
//! UserParameters (JSON, all optional):
//! `{"templates": ["templates/**/*.yaml"], "thresholds": "5,10", "rules": "audit/rules.yaml",
//!   "allowArtifactRules": true, "parameters": "params/prod.json", "artifact": "SourceOutput",
//!   "allowSuppressions": true, "suppressionCeiling": 7, "limits": {"steps": 2000000}}`.
//! Paths are inside the artifact; `templates` are globs (`*`, `?`, `**`). Without `templates`
//! every `.yaml`, `.yml`, `.json` and `.template` file is audited. The gate's policy is this
//! configuration: rule packs inside the artifact need `allowArtifactRules`, and suppressions
//! written in templates count only with `allowSuppressions`, with a reason, below the ceiling.

mod artifact;
mod error;
mod event;
mod outcome;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use artifact::{
    artifact_s3_client, download_artifact, extract_zip, extract_zip_where, glob_match, glob_regex,
    MAX_ARTIFACT_BYTES, MAX_ARTIFACT_FILES, MAX_FILE_BYTES,
};
pub use error::PipelineError;
pub use event::{
    parse_event, parse_user_parameters, ActionConfiguration, Artifact, ArtifactCredentials,
    ArtifactLocation, Job, JobData, JobEvent, S3Location, UserParameters,
    DEFAULT_SUPPRESSION_CEILING, DEFAULT_TEMPLATE_SECONDS,
};
pub use outcome::{
    audit_artifact, job_result, report_result, truncate, wanted, ArtifactAudit, JobResult,
    MAX_FAILURE_MESSAGE, MAX_SUMMARY,
};

/// Stack of the audit thread: every stage recurses at most once per level of the depth
/// budget, far below this even at the budget's hard maximum.
const AUDIT_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Time allowed past the deadline for the audit thread to notice it (it checks every few
/// thousand steps) before the job is reported as timed out regardless.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Audit threads still running.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many audit threads are running in this process (zero between jobs: a job's audit
/// has stopped by the time its result is reported).
pub fn running_audits() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

/// Counts a running audit thread for as long as it lives.
struct Running;

impl Running {
    fn start() -> Self {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Download, extract and audit; all failures are returned as errors for the failure result.
/// The audit stops at `deadline`: templates it did not finish are errors naming the time
/// budget.
pub async fn audit_job(
    job: &Job,
    s3: &aws_sdk_s3::Client,
    deadline: Instant,
) -> Result<ArtifactAudit, PipelineError> {
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
    // runtime, on a thread with a known stack, and turn a panic into an error. The thread
    // checks the deadline itself, so it ends when the job's time does.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("rampart-audit".into())
        .stack_size(AUDIT_STACK_BYTES)
        .spawn(move || {
            let result = {
                let _running = Running::start();
                catch_unwind(AssertUnwindSafe(|| {
                    let files = extract_zip_where(&bytes, wanted(&params), Some(deadline))?;
                    audit_artifact(&files, &params, Some(deadline))
                }))
                .unwrap_or_else(|_| {
                    Err(PipelineError::Internal(
                        "the audit stopped on an internal error".into(),
                    ))
                })
            };
            let _ = tx.send(result);
        })
        .map_err(|e| PipelineError::Internal(format!("cannot start the audit thread: {e}")))?;
    rx.await
        .map_err(|_| PipelineError::Internal("the audit thread ended without a result".into()))?
}

/// Process one job end to end and report the result to CodePipeline.
///
/// `budget` bounds download and audit so there is time left to report before the Lambda
/// times out; running out of it is reported as a failure, and the audit stops with it.
pub async fn process_job(
    job: &Job,
    s3: &aws_sdk_s3::Client,
    codepipeline: &aws_sdk_codepipeline::Client,
    budget: Duration,
) -> Result<JobResult, PipelineError> {
    let deadline = Instant::now() + budget;
    let outcome =
        match tokio::time::timeout(budget + STOP_GRACE, audit_job(job, s3, deadline)).await {
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

//! Why a job failed: every error a job can end with, each worded for its failure result.

use std::time::Duration;

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
    #[error("internal error: {0}")]
    Internal(String),
    #[error("CodePipeline {call} failed: {message}")]
    Report { call: &'static str, message: String },
}

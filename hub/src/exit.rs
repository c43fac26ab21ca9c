//! Documented exit codes and the error type the CLI maps onto them.

use thiserror::Error;

/// Success; nothing at or above the failure threshold.
pub const OK: u8 = 0;
/// The assessment found failures at or above `fail_on`, or some account/region could not be assessed.
pub const FINDINGS: u8 = 1;
/// Usage or configuration error.
pub const USAGE: u8 = 2;
/// Runtime failure (for example the organization could not be read).
pub const RUNTIME: u8 = 3;

#[derive(Debug, Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
}

impl CliError {
    pub fn code(&self) -> u8 {
        match self {
            CliError::Usage(_) => USAGE,
            CliError::Runtime(_) => RUNTIME,
        }
    }
}

impl From<rampart_common::ConfigError> for CliError {
    fn from(e: rampart_common::ConfigError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<crate::service::ServiceError> for CliError {
    fn from(e: crate::service::ServiceError) -> Self {
        match e {
            crate::service::ServiceError::Usage(m) => CliError::Usage(m),
            crate::service::ServiceError::Aws(m) => CliError::Runtime(anyhow::anyhow!(m)),
        }
    }
}

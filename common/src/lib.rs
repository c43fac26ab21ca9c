//! rampart-common: the shared vocabulary of Rampart.
//!
//! It owns the ASFF finding model and its limits, the check catalog and benchmark tables,
//! check results, configuration, the response event envelopes and identity parsing, and IAM
//! permission declarations. Nothing here calls AWS:
//! `member` and `hub` build on these types.

pub mod arn;
pub mod asff;
pub mod benchmarks;
pub mod catalog;
pub mod config;
pub mod event;
pub mod identity;
pub mod outcome;
pub mod permissions;
pub mod response;

pub use asff::{AsffError, Finding};
pub use catalog::{Benchmark, CheckMeta, Requirement, Scope, Severity};
pub use config::{Config, ConfigError};
pub use outcome::{CheckOutcome, CheckStatus, ResourceRef, Verdict};
pub use permissions::Permissions;
pub use response::ResponseConfig;

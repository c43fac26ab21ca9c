//! CloudFormation template audit engine (`rampart audit-template` and the CodePipeline stage).
//!
//! This crate owns everything about auditing templates: parsing JSON and YAML into one node
//! model with positions ([`parse`], [`node`]), resolving intrinsic functions ([`resolve`]),
//! the audited model ([`model`]), rules and rule packs ([`rules`]), the audit of one template
//! ([`audit`]) with its scoring ([`score`]) and suppressions ([`suppress`]), report formats ([`report`]), the command line ([`cli`]) and, with the
//! `pipeline` feature, the CodePipeline Lambda handler ([`pipeline`]).
//!
//! Templates are untrusted input: nothing here panics on them, and what one may cost is
//! bounded by [`budget`]s counted after expansion (bytes, nodes and depth after YAML aliases,
//! resources after `Fn::ForEach`, intrinsic resolution steps, time).

pub mod audit;
pub mod budget;
pub mod cli;
// Shared by `audit` and `suppress`, so `suppress` needs nothing from `audit`; their items stay
// public at their old paths through re-exports in `audit` and `suppress`.
mod config;
mod finding;
pub mod model;
pub mod node;
pub mod parse;
#[cfg(feature = "pipeline")]
pub mod pipeline;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod score;
pub mod suppress;

pub use audit::{audit_text, AuditConfig, Decision, Finding, TemplateReport, Thresholds};
pub use budget::{Budget, Limits};
pub use cli::{run_cli, AuditTemplateArgs, OutputFormat};

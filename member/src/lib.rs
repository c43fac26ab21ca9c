//! rampart-member: everything Rampart does inside one account with that account's credentials.
//!
//! Collectors read an account's configuration into a serializable snapshot (API -> data),
//! checks evaluate snapshots (pure functions, data -> verdicts), and the publisher imports
//! findings into that account's own Security Hub and closes the ones that no longer apply.
//! The response playbooks (`respond`) and the control remediations (`remediate`) act in one
//! account too, each as entries of a registry, through one action kernel (`act`).
//! This crate never knows about other accounts: the hub hands it credentials.

pub mod act;
pub mod assess;
pub mod aws_error;
pub mod checks;
pub mod collect;
pub mod config_rule;
pub mod credential_report;
pub mod error_text;
pub mod evaluate;
pub mod metric_filter;
pub mod publish;
pub mod ratelimit;
pub mod regions;
pub mod remediate;
pub mod respond;
pub mod retry_pass;
pub mod roles;
pub mod securityhub;
pub mod snapshot;

pub use ratelimit::RateLimiter;
pub use snapshot::{AccountSnapshot, Collected, RegionSnapshot};

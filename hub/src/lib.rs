//! rampart-hub: everything Rampart does across accounts.
//!
//! It owns organization discovery, role sessions into member accounts, the fleet scheduler
//! that assesses accounts in parallel, fleet reports, and the `rampart` command line. Work
//! inside one account is delegated to `rampart-member`.

pub mod aws;
pub mod cli;
pub mod deploy;
pub mod exit;
pub mod fleet;
pub mod fleet_report;
pub mod fleet_sfn;
pub mod lambda;
pub mod options;
pub mod org;
pub mod progress;
pub mod report;
pub mod report_html;
pub mod report_upload;
pub mod respond;
pub mod service;
pub mod session;
pub mod snapshots;
pub mod time;

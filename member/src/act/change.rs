//! A remediation's change records: what a plan proposes for one resource ([`Planned`],
//! [`Change`]) and what was done, kept under its undo handle ([`Action`]).

use super::record::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The change a remedy would make to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// ARN (or the most specific id) of the resource changed.
    pub resource: String,
    /// The API call that makes the change (`ec2:RevokeSecurityGroupIngress`).
    pub api: String,
    /// The state found: what undo restores.
    pub prior: Value,
    /// The change itself, in the remedy's terms.
    pub change: Value,
    /// One line for people.
    pub summary: String,
}

/// What a plan says about one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Change(Change),
    /// Nothing to do, or not allowed: `why` says which.
    Skip {
        resource: String,
        why: String,
    },
}

/// One remediation action as reported (`rampart remediate --format json`) and kept for undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The undo handle.
    pub id: String,
    pub account: String,
    pub region: String,
    pub control: String,
    pub remedy: String,
    pub resource: String,
    pub status: Status,
    pub prior: Value,
    pub change: Value,
    pub detail: String,
}

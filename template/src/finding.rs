//! What the audit says about one rule on one resource, and whether a suppression written in
//! the template covered it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule fails on a resolved value.
    Fail,
    /// The rule would fail for some value of an input it could not resolve; reported, not scored.
    Unresolved,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `rampart`, `cfn_nag`, `guard` or `checkov`.
    pub source: String,
    pub reason: String,
}

/// A suppression written for a finding that the policy did not honour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedSuppression {
    pub source: String,
    pub reason: String,
    /// Why it was refused.
    pub refused: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub category: String,
    pub risk: u32,
    pub resource: String,
    pub line: u32,
    pub col: u32,
    /// Column just past the finding's text when known (the resource's logical id).
    pub end_col: Option<u32>,
    pub message: String,
    pub status: Status,
    pub suppressed: Option<Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression_refused: Option<RefusedSuppression>,
}

impl Finding {
    /// Counts toward the risk total.
    pub fn scores(&self) -> bool {
        self.status == Status::Fail && self.suppressed.is_none()
    }
}

//! What a check says about one account (and region): a verdict per evaluated resource, or a
//! reason it could not decide.

use serde::{Deserialize, Serialize};

/// A resource a check evaluated, named the way ASFF names resources.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceRef {
    /// ASFF resource type, e.g. `AwsAccount`, `AwsEc2SecurityGroup`.
    pub kind: String,
    /// ARN where one exists, otherwise the most specific id (`AWS::::Account:<id>`).
    pub id: String,
    /// Region of the resource; `None` for global resources.
    pub region: Option<String>,
}

impl ResourceRef {
    /// The account itself, as ASFF names it.
    pub fn account(account_id: &str) -> Self {
        ResourceRef {
            kind: "AwsAccount".into(),
            id: crate::arn::account(account_id),
            region: None,
        }
    }
}

/// The verdict on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub resource: ResourceRef,
    pub passed: bool,
    /// Why, in one sentence; shown in reports and the finding description.
    pub reason: String,
}

/// Whether a check could decide, and if so what it decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CheckStatus {
    /// The check ran on complete data. An empty list means nothing to evaluate (a pass).
    Evaluated { verdicts: Vec<Verdict> },
    /// No API can answer, or the data the check needs was not collected for a known reason.
    NotAvailable { reason: String },
    /// The data could not be read (API error, access denied). Never a pass.
    Error { reason: String },
}

/// One check's result for one account and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub check_id: String,
    pub account_id: String,
    /// The region evaluated; for account-scoped checks, the home region findings go to.
    pub region: String,
    #[serde(flatten)]
    pub status: CheckStatus,
}

impl CheckOutcome {
    /// Verdicts that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts().iter().filter(|v| !v.passed)
    }

    /// All verdicts (empty unless the check was evaluated).
    pub fn verdicts(&self) -> &[Verdict] {
        match &self.status {
            CheckStatus::Evaluated { verdicts } => verdicts,
            _ => &[],
        }
    }

    /// True when the check ran on complete data, so its old findings may be closed.
    pub fn ran(&self) -> bool {
        matches!(self.status, CheckStatus::Evaluated { .. })
    }

    pub fn is_error(&self) -> bool {
        matches!(self.status, CheckStatus::Error { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_only_counts_failed_verdicts() {
        let ok = Verdict {
            resource: ResourceRef::account("1"),
            passed: true,
            reason: "ok".into(),
        };
        let bad = Verdict {
            passed: false,
            ..ok.clone()
        };
        let o = CheckOutcome {
            check_id: "c".into(),
            account_id: "1".into(),
            region: "us-east-1".into(),
            status: CheckStatus::Evaluated {
                verdicts: vec![ok, bad],
            },
        };
        assert_eq!(o.failures().count(), 1);
        assert!(o.ran());
        let e = CheckOutcome {
            status: CheckStatus::Error {
                reason: "denied".into(),
            },
            ..o
        };
        assert!(!e.ran() && e.is_error() && e.failures().count() == 0);
    }
}

//! Scoring: risk thresholds and the decision they give (PASS / APPROVAL / FAIL).

use serde::Serialize;

/// Risk thresholds: total < approval is PASS, < fail is APPROVAL, otherwise FAIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    pub approval: u32,
    pub fail: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            approval: 5,
            fail: 10,
        }
    }
}

impl Thresholds {
    /// Parse `"5,10"`.
    pub fn parse(s: &str) -> Result<Thresholds, String> {
        let (a, f) = s
            .split_once(',')
            .ok_or_else(|| format!("thresholds {s:?}: expected APPROVAL,FAIL e.g. 5,10"))?;
        let approval = a
            .trim()
            .parse()
            .map_err(|_| format!("bad approval threshold {a:?}"))?;
        let fail = f
            .trim()
            .parse()
            .map_err(|_| format!("bad fail threshold {f:?}"))?;
        if approval > fail {
            return Err(format!(
                "approval threshold {approval} exceeds fail threshold {fail}"
            ));
        }
        Ok(Thresholds { approval, fail })
    }

    pub fn decide(&self, risk: u32) -> Decision {
        if risk >= self.fail {
            Decision::Fail
        } else if risk >= self.approval {
            Decision::Approval
        } else {
            Decision::Pass
        }
    }
}

/// Outcome for one template, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Decision {
    Pass,
    Approval,
    Fail,
    Error,
}

impl Decision {
    /// The CLI exit code: 0 PASS, 1 APPROVAL, 2 FAIL, 3 error.
    pub fn exit_code(self) -> i32 {
        match self {
            Decision::Pass => 0,
            Decision::Approval => 1,
            Decision::Fail => 2,
            Decision::Error => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pass => "PASS",
            Decision::Approval => "APPROVAL",
            Decision::Fail => "FAIL",
            Decision::Error => "ERROR",
        }
    }
}

//! What an action did: one record per action, with its stage, outcome, prior state and timing.
//! Playbooks and remedies record through it; the same records feed the CLI output, the SNS
//! alert and the audit log.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;
use std::time::Instant;

/// The stages every incident goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Intake,
    PriorityAction,
    Forensics,
    Countermeasure,
    Alert,
    Log,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Carried out.
    Done,
    /// Would be carried out (plan mode).
    Planned,
    /// Not needed or not allowed; `detail` says why.
    Skipped,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub stage: Stage,
    /// The API action or step, e.g. `cloudtrail:StartLogging`.
    pub action: String,
    /// What it acted on (ARN, id or name).
    pub target: String,
    pub status: Status,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_state: Option<Value>,
    /// What kind of failure a failed action was (throttled, denied...), when it was a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<crate::aws_error::ErrorKind>,
    pub started_at: String,
    pub millis: u64,
}

/// Collects action records; in plan mode nothing is executed.
#[derive(Debug, Default)]
pub struct Recorder {
    pub plan: bool,
    pub actions: Vec<ActionRecord>,
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Recorder {
    pub fn new(plan: bool) -> Self {
        Recorder {
            plan,
            actions: Vec::new(),
        }
    }

    /// Runs a change (or records it as planned). Returns whether it succeeded (or was planned).
    pub async fn act<F, Fut, E>(
        &mut self,
        stage: Stage,
        action: &str,
        target: &str,
        prior_state: Option<Value>,
        f: F,
    ) -> bool
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, E>>,
        E: Into<crate::aws_error::AwsError>,
    {
        let started_at = now();
        if self.plan {
            self.actions.push(ActionRecord {
                stage,
                action: action.into(),
                target: target.into(),
                status: Status::Planned,
                detail: "plan only: not executed".into(),
                prior_state,
                error_kind: None,
                started_at,
                millis: 0,
            });
            return true;
        }
        let t = Instant::now();
        let result = f().await;
        let millis = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (status, detail, kind, ok) = match result {
            Ok(d) => (Status::Done, d, None, true),
            Err(e) => {
                let e: crate::aws_error::AwsError = e.into();
                tracing::warn!(action, target, error = %e, "response action failed");
                (Status::Failed, e.to_string(), Some(e.kind), false)
            }
        };
        self.actions.push(ActionRecord {
            stage,
            action: action.into(),
            target: target.into(),
            status,
            detail,
            prior_state,
            error_kind: kind,
            started_at,
            millis,
        });
        ok
    }

    /// Records a read or a decision (forensics, lookups): executed even in plan mode.
    pub fn note(
        &mut self,
        stage: Stage,
        action: &str,
        target: &str,
        status: Status,
        detail: impl Into<String>,
        prior_state: Option<Value>,
    ) {
        self.actions.push(ActionRecord {
            stage,
            action: action.into(),
            target: target.into(),
            status,
            detail: detail.into(),
            prior_state,
            error_kind: None,
            started_at: now(),
            millis: 0,
        });
    }

    pub fn skip(&mut self, stage: Stage, action: &str, target: &str, why: impl Into<String>) {
        self.note(stage, action, target, Status::Skipped, why, None);
    }

    pub fn failed(&self) -> bool {
        self.actions.iter().any(|a| a.status == Status::Failed)
    }

    /// Changes carried out (for the per-account rate cap).
    pub fn changes(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.status == Status::Done && a.stage != Stage::Forensics)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plan_mode_never_runs_the_change() {
        let mut r = Recorder::new(true);
        let ok = r
            .act(Stage::PriorityAction, "x:Do", "t", None, || async {
                if true {
                    panic!("must not run in plan mode")
                }
                Ok::<String, String>(String::new())
            })
            .await;
        assert!(ok);
        assert_eq!(r.actions[0].status, Status::Planned);
        assert_eq!(r.changes(), 0);
    }

    #[tokio::test]
    async fn failures_are_recorded() {
        let mut r = Recorder::new(false);
        assert!(
            !r.act(Stage::PriorityAction, "x:Do", "t", None, || async {
                Err("AccessDenied: no".to_string())
            })
            .await
        );
        assert!(r.failed());
        assert_eq!(r.actions[0].detail, "AccessDenied: no");
    }
}

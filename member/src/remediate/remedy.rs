//! What a remedy is: its name, what it fixes, the IAM actions it calls, what it changes and
//! restores, and its three behaviours (plan, apply, undo) as functions, so a registry entry
//! without one of them does not compile.
//!
//! Plans read through the collectors (`crate::collect`) into the snapshot types the checks
//! judge, paced by [`limiter`], and name resources with `rampart_common::arn`.

use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use futures::future::BoxFuture;
use rampart_common::Permissions;
use serde_json::Value;

/// What a remedy fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fixes {
    /// A Rampart check: the remedy answers the check's Security Hub control
    /// (`CheckMeta.security_control_id`) and the check is re-evaluated after acting.
    Check(&'static str),
    /// A Security Hub control Rampart has no check of its own for; `judged_by` are the checks
    /// whose verdicts it changes (re-evaluated after acting).
    Control {
        control: &'static str,
        judged_by: &'static [&'static str],
    },
}

/// What a remedy is asked to fix: the control (several controls can share a remedy and
/// differ in detail, e.g. the ports of EC2.19 and EC2.53) and, when a finding named one, the
/// resource.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub control: &'a str,
    pub resource: Option<&'a str>,
}

/// Reads the account and proposes one change per offending resource (skips with reasons).
pub type PlanFn =
    for<'a> fn(&'a Ctx<'a>, Request<'a>) -> BoxFuture<'a, Result<Vec<Planned>, AwsError>>;
/// Makes one planned change; returns what was done.
pub type ApplyFn = for<'a> fn(&'a Ctx<'a>, &'a Change) -> BoxFuture<'a, Result<String, AwsError>>;
/// Puts the state an applied action found back; returns what was restored.
pub type UndoFn = for<'a> fn(&'a Ctx<'a>, &'a Action) -> BoxFuture<'a, Result<String, AwsError>>;

/// What a remedy changes: a setting of the account (in a region), or resources one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One setting of the account: a finding naming the account is what it fixes.
    Account,
    /// Resources: a finding must name the one resource to fix (automatic mode never widens a
    /// finding that names only the account to every offending resource).
    Resource,
}

/// One remediation (docs/remediation.md's table is generated from these).
#[derive(Clone, Copy)]
pub struct Remedy {
    /// Stable name, kept in undo records.
    pub id: &'static str,
    pub scope: Scope,
    /// The checks and controls it fixes.
    pub fixes: &'static [Fixes],
    /// Every IAM action it calls in the member account (plan, apply and undo).
    pub permissions: Permissions,
    /// What it changes.
    pub changes: &'static str,
    /// What undo restores.
    pub undoes: &'static str,
    pub plan: PlanFn,
    pub apply: ApplyFn,
    pub undo: UndoFn,
}

impl std::fmt::Debug for Remedy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remedy").field("id", &self.id).finish()
    }
}

impl Remedy {
    /// The Security Hub control ids it fixes: its checks' controls, then the controls it
    /// names itself.
    pub fn controls(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for f in self.fixes {
            let c = match f {
                Fixes::Check(id) => {
                    crate::checks::by_id(id).and_then(|c| c.meta.security_control_id)
                }
                Fixes::Control { control, .. } => Some(*control),
            };
            if let Some(c) = c {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// Whether it fixes `control` (case-insensitive).
    pub fn fixes_control(&self, control: &str) -> bool {
        self.controls()
            .iter()
            .any(|c| c.eq_ignore_ascii_case(control))
    }

    /// The Rampart checks re-evaluated after it acts.
    pub fn checks(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for f in self.fixes {
            let ids: &[&'static str] = match f {
                Fixes::Check(id) => std::slice::from_ref(id),
                Fixes::Control { judged_by, .. } => judged_by,
            };
            for id in ids {
                if !out.contains(id) {
                    out.push(id);
                }
            }
        }
        out
    }
}

/// The rate limiter a plan reads through: modest, since a plan reads one account-region once
/// (the assessment's collectors pace themselves with their own).
pub fn limiter() -> RateLimiter {
    RateLimiter::new(10.0, 10)
}

/// Reads `field` of a prior/change document as a string.
pub fn text<'v>(v: &'v Value, field: &str) -> Result<&'v str, AwsError> {
    v.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| AwsError::invalid("recorded state", format!("it has no {field}")))
}

/// The tag a remedy puts on what it creates (a log group, a topic, an alarm), so undo removes
/// only what Rampart created and people can see where it came from.
pub const CREATED_TAG: (&str, &str) = ("rampart:created-by", "rampart-remediation");

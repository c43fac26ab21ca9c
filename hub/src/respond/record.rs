//! The hub's intake types: how an event ended ([`Disposition`]) and its [`Outcome`], printed
//! by the CLI, returned by the Lambda, alerted and audited. The action records inside come
//! from the member's action kernel.

pub use rampart_member::act::record::{now, ActionRecord, Stage, Status};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Instant;

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Every planned change was made.
    Acted,
    /// Plan mode: nothing was changed.
    Planned,
    /// Nothing to do (unrouted event, playbook off, exempt resource, allow-listed actor).
    Ignored,
    /// Failed authentication or parsing: nothing was done.
    Rejected,
    /// Already handled (same event or finding delivered again).
    Duplicate,
    /// Not acted on yet: another delivery holds the event's lease, or the playbook's hourly
    /// budget in the account is spent. The delivery fails so that it is retried later.
    Deferred,
    /// At least one action failed; alerted.
    Failed,
}

/// The result of handling one event: printed by the CLI, returned by the Lambda.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub event_id: String,
    pub incident_id: String,
    pub disposition: Disposition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playbook: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forensics: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub actions: Vec<ActionRecord>,
    /// Control remediation actions, each with its undo handle (`rampart undo ID`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediations: Vec<rampart_member::act::Action>,
    /// Every target's own outcome when the event had several (a custom action on several
    /// findings); the event's disposition is the worst of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Outcome>,
    /// A deferred event: seconds until it can be acted on (its lease ends, its budget hour
    /// turns); the intake queue keeps it that long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    pub millis: u64,
}

impl Outcome {
    /// A fresh outcome of `event_id`, ignored until something decides otherwise.
    pub fn new(event_id: &str) -> Outcome {
        Outcome {
            event_id: event_id.to_string(),
            incident_id: uuid::Uuid::new_v4().to_string(),
            disposition: Disposition::Ignored,
            playbook: None,
            account: None,
            region: None,
            resource: None,
            reason: None,
            forensics: None,
            link: None,
            actions: Vec::new(),
            remediations: Vec::new(),
            targets: Vec::new(),
            retry_after_secs: None,
            millis: 0,
        }
    }

    /// An operator command's outcome for `playbook`.
    pub fn operator(event_id: &str, playbook: &str) -> Outcome {
        let mut o = Outcome::new(event_id);
        o.playbook = Some(playbook.to_string());
        o
    }
}

/// An action record of the hub's own intake steps (budget, session, lease bookkeeping).
pub fn intake_record(
    stage: Stage,
    action: &str,
    target: &str,
    status: Status,
    detail: &str,
) -> ActionRecord {
    ActionRecord {
        stage,
        action: action.into(),
        target: target.into(),
        status,
        detail: detail.into(),
        prior_state: None,
        error_kind: None,
        started_at: now(),
        millis: 0,
    }
}

/// The outcome that decides what happens to the delivery: failed before deferred before
/// anything else, so one failed target makes the whole event retried.
pub fn worst(outcomes: Vec<Outcome>) -> Option<Outcome> {
    let rank = |d: Disposition| match d {
        Disposition::Failed => 0,
        Disposition::Deferred => 1,
        Disposition::Rejected => 2,
        _ => 3,
    };
    let mut it = outcomes.into_iter();
    let first = it.next()?;
    Some(it.fold(first, |best, o| {
        if rank(o.disposition) < rank(best.disposition) {
            o
        } else {
            best
        }
    }))
}

/// Milliseconds since `started`.
pub fn elapsed(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// An event that could not be parsed: nothing is done.
pub fn rejected(
    id: Option<String>,
    account: Option<String>,
    why: String,
    started: Instant,
) -> Outcome {
    let mut o = Outcome::new(id.as_deref().unwrap_or("unparsed"));
    o.disposition = Disposition::Rejected;
    o.account = account;
    o.reason = Some(why);
    o.millis = elapsed(started);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_outcome_decides_the_delivery() {
        let with = |d| {
            let mut o = Outcome::new("e");
            o.disposition = d;
            o
        };
        let w = worst(vec![
            with(Disposition::Acted),
            with(Disposition::Deferred),
            with(Disposition::Rejected),
        ]);
        assert_eq!(w.map(|o| o.disposition), Some(Disposition::Deferred));
        let w = worst(vec![with(Disposition::Deferred), with(Disposition::Failed)]);
        assert_eq!(w.map(|o| o.disposition), Some(Disposition::Failed));
        assert!(worst(Vec::new()).is_none());
    }
}

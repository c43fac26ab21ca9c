//! Where an event goes: every playbook of the member registry whose triggers match it routes
//! it, and their targets are merged. The hub knows no playbook by name here.

use rampart_common::event::{ApiCall, Event, Kind};
use rampart_common::ResponseConfig;
use rampart_member::respond::{Routed, Target, Unanswered, PLAYBOOKS};

/// Where an event goes.
#[derive(Debug, Clone)]
pub enum Route {
    /// Playbooks act in each target.
    Act {
        /// The first playbook that acts (the event's outcome names it).
        playbook: &'static str,
        targets: Vec<Target>,
        /// The API call that triggered it (own-session check, forensics).
        call: Option<Box<ApiCall>>,
        link: Option<String>,
        /// Findings the event asked about that no playbook answers (reported, not dropped).
        unanswered: Vec<Unanswered>,
    },
    Ignore(String),
    Reject(String),
}

/// Routes an event through the registry.
pub fn route(e: &Event, cfg: &ResponseConfig) -> Route {
    if let Kind::ApiCall(c) = &e.kind {
        if let Some(code) = &c.error_code {
            return Route::Ignore(format!("{} failed ({code}); nothing changed", c.event_name));
        }
    }
    let mut targets = Vec::new();
    let mut unanswered = Vec::new();
    let mut link = None;
    let mut acting = None;
    let mut ignored = Vec::new();
    let mut rejected = Vec::new();
    for p in PLAYBOOKS.iter().filter(|p| p.answers(e, cfg)) {
        match (p.route)(e, cfg) {
            Routed::Act {
                targets: t,
                link: l,
                unanswered: u,
            } => {
                acting = acting.or(Some(p.name));
                targets.extend(t);
                unanswered.extend(u);
                link = link.or(l);
            }
            Routed::Ignore(why) => ignored.push(why),
            Routed::Reject(why) => rejected.push(why),
        }
    }
    // A field that must not be acted on refuses the whole event, whatever else it asks.
    if !rejected.is_empty() {
        return Route::Reject(rejected.join("; "));
    }
    let Some(playbook) = acting.filter(|_| !(targets.is_empty() && unanswered.is_empty())) else {
        return Route::Ignore(if ignored.is_empty() {
            unrouted(e)
        } else {
            ignored.join("; ")
        });
    };
    let call = match &e.kind {
        Kind::ApiCall(c) => Some(c.clone()),
        _ => None,
    };
    Route::Act {
        playbook,
        targets,
        call,
        link,
        unanswered,
    }
}

/// Why no playbook answers an event.
fn unrouted(e: &Event) -> String {
    match &e.kind {
        Kind::ApiCall(c) => format!("no playbook for {} {}", c.event_source, c.event_name),
        Kind::GuardDuty(g) => format!("no playbook for GuardDuty finding {}", g.finding_id),
        Kind::CustomAction {
            action_arn,
            action_name,
            ..
        } => {
            let id = action_arn.rsplit('/').next().unwrap_or_default();
            format!("no playbook for custom action {id} ({action_name})")
        }
        Kind::FindingsImported(_) => "no playbook acts on these imported findings".into(),
        Kind::InstanceStateChange { instance_id, state } => {
            format!("instance {instance_id} is {state}: state changes are recorded, not acted on")
        }
        Kind::ConfigRule {
            rule_name,
            compliance,
            ..
        } => format!(
            "Config rule {rule_name} is {}: recorded; control remediation is operator-driven",
            compliance.as_deref().unwrap_or("?")
        ),
        Kind::Scheduled => "scheduled event".into(),
    }
}

#[cfg(test)]
mod tests;

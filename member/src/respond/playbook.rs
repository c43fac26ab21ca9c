//! What a playbook is: its name, mode key, triggers, IAM actions and stages, and its behaviour
//! (how it routes an event its triggers match, and the jobs it runs), so the registry is a
//! list and dispatch a lookup.

use crate::act::{Ctx, Run, Stage};
use futures::future::BoxFuture;
use rampart_common::event::{Event, Kind};
use rampart_common::response::Mode;
use rampart_common::{Permissions, ResponseConfig};
use std::sync::Arc;

/// What starts a playbook. The hub routes an event to every playbook with a matching trigger,
/// and the stacks' EventBridge patterns are generated from the same triggers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// A successful API call recorded by CloudTrail: its event source and names.
    ApiCall {
        source: &'static str,
        names: &'static [&'static str],
    },
    /// A GuardDuty finding (`GuardDuty Finding`) about an EC2 instance.
    GuardDutyFinding,
    /// A GuardDuty finding imported into Security Hub (`Security Hub Findings - Imported`).
    GuardDutyViaSecurityHub,
    /// A FAILED, active control finding imported into Security Hub (ASFF or OCSF), for a
    /// control listed in `response.auto_remediate`.
    ControlFindingImported,
    /// The Security Hub custom action whose id is the `[response]` key's value.
    CustomAction { id_key: &'static str },
    /// An operator command (never matched by an event).
    Command(&'static str),
}

impl Trigger {
    /// Whether the event is one this trigger starts on.
    pub fn matches(&self, e: &Event, cfg: &ResponseConfig) -> bool {
        match (self, &e.kind) {
            (Trigger::ApiCall { source, names }, Kind::ApiCall(c)) => {
                c.event_source == *source && names.contains(&c.event_name.as_str())
            }
            (Trigger::GuardDutyFinding, Kind::GuardDuty(_)) => true,
            (Trigger::GuardDutyViaSecurityHub, Kind::FindingsImported(f)) => {
                f.iter().any(|f| f.product_arn.ends_with("/guardduty"))
            }
            (Trigger::ControlFindingImported, Kind::FindingsImported(_)) => true,
            (Trigger::CustomAction { id_key }, Kind::CustomAction { action_arn, .. }) => {
                let id = action_arn.rsplit('/').next().unwrap_or_default();
                cfg.action_id(id_key) == Some(id)
            }
            _ => false,
        }
    }
}

/// The work a playbook does for one target: built by its route (or an operator command) and
/// run in the target's account and region.
pub trait Job: Send + Sync + std::fmt::Debug {
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Run>;
}

/// One place a playbook acts.
#[derive(Debug, Clone)]
pub struct Target {
    pub account: String,
    pub region: String,
    /// Claim key: what "the same event" means for this action.
    pub claim: String,
    pub playbook: &'static Playbook,
    pub job: Arc<dyn Job>,
    /// What the action budget is kept for with [`Budget::Resource`] (the instance, the user,
    /// the remediated resource), so noise on one resource never defers another's.
    pub resource: Option<String>,
}

impl Target {
    /// The same target, budgeted for `resource`.
    pub fn on(mut self, resource: impl Into<String>) -> Target {
        self.resource = Some(resource.into());
        self
    }

    /// The key of the hourly action budget this target's run is charged to, if any.
    pub fn budget_key(&self) -> Option<String> {
        match self.playbook.budget {
            Budget::None => None,
            Budget::Account => Some(self.playbook.name.to_string()),
            Budget::Resource => Some(match &self.resource {
                Some(r) => format!("{}#{r}", self.playbook.name),
                None => self.playbook.name.to_string(),
            }),
        }
    }
}

/// How a playbook's runs are budgeted (`action_rate_cap` per hour, charged only for runs that
/// changed something).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Never waits on a budget: its priority action restores (restarting a trail must not
    /// wait on a budget the same member can spend).
    None,
    /// One budget per account and playbook.
    Account,
    /// One budget per account, playbook and resource.
    Resource,
}

/// A finding of the event that nothing acts on, and why (reported, not dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct Unanswered {
    pub account: String,
    pub region: String,
    pub resource: String,
    pub why: String,
}

/// What a playbook makes of an event its triggers match.
#[derive(Debug, Clone)]
pub enum Routed {
    Act {
        targets: Vec<Target>,
        /// Where people look the trigger up (console link).
        link: Option<String>,
        unanswered: Vec<Unanswered>,
    },
    /// Not for this playbook after all (a sample finding, a severity below the threshold).
    Ignore(String),
    /// The event asks for something that must not be done (the reason names the field).
    Reject(String),
}

/// Routes an event whose triggers matched.
pub type RouteFn = fn(&Event, &ResponseConfig) -> Routed;

/// One playbook.
#[derive(Clone, Copy)]
pub struct Playbook {
    /// Name in outcomes, audit items, alerts and budgets (`action_rate_caps` keys).
    pub name: &'static str,
    /// The `[response]` key holding its mode (`off`, `plan`, `enforce`).
    pub mode_key: &'static str,
    pub triggers: &'static [Trigger],
    /// Every IAM action it calls in the member account.
    pub permissions: Permissions,
    /// The stages it runs, in order.
    pub stages: &'static [Stage],
    pub budget: Budget,
    pub route: RouteFn,
}

impl std::fmt::Debug for Playbook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Playbook")
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for Playbook {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Playbook {
    /// Its mode in this configuration (default `enforce`).
    pub fn mode(&self, cfg: &ResponseConfig) -> Mode {
        cfg.mode_of(self.mode_key)
    }

    /// Whether one of its triggers matches the event.
    pub fn answers(&self, e: &Event, cfg: &ResponseConfig) -> bool {
        self.triggers.iter().any(|t| t.matches(e, cfg))
    }

    /// A target of this playbook.
    pub fn target(
        &'static self,
        account: impl Into<String>,
        region: impl Into<String>,
        claim: impl Into<String>,
        job: impl Job + 'static,
    ) -> Target {
        Target {
            account: account.into(),
            region: region.into(),
            claim: claim.into(),
            playbook: self,
            job: Arc::new(job),
            resource: None,
        }
    }
}

/// The Security Hub console link of a finding.
pub fn finding_link(region: &str, id: &str) -> String {
    let enc: String = id
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("https://console.aws.amazon.com/securityhub/home?region={region}#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A{enc}")
}

/// The one target an API call playbook acts on: the calling account and region, claimed by
/// the CloudTrail event id.
pub fn api_call_route(
    playbook: &'static Playbook,
    call: &rampart_common::event::ApiCall,
    resource: Option<String>,
    job: impl Job + 'static,
) -> Routed {
    let mut target = playbook.target(
        &call.account,
        &call.region,
        format!("ct#{}", call.event_id),
        job,
    );
    target.resource = resource;
    Routed::Act {
        targets: vec![target],
        link: Some(format!(
            "https://console.aws.amazon.com/cloudtrail/home?region={}#/events/{}",
            call.region, call.event_id
        )),
        unanswered: Vec::new(),
    }
}

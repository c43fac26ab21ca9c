//! What an action needs to run in one member account and region, what the hub keeps for it
//! between events, and what a run reports back.

use super::change::Action;
use super::record::Recorder;
use aws_config::SdkConfig;
use futures::future::BoxFuture;
use rampart_common::identity::OwnRoles;
use rampart_common::ResponseConfig;
use serde_json::Value;

/// The state playbooks keep between events, kept by the hub (a DynamoDB table).
pub trait Memory: Send + Sync {
    /// The recorded configuration of trail `name` (home region `region`), if any.
    fn trail_record<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, String>>;
    /// Records a trail's configuration as the baseline to restore.
    fn put_trail_record<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        name: &'a str,
        config: &'a Value,
    ) -> BoxFuture<'a, Result<(), String>>;
    /// Counts an offence of `actor` (once per event); returns the count including this one.
    fn record_offence<'a>(
        &'a self,
        actor: &'a str,
        event_id: &'a str,
    ) -> BoxFuture<'a, Result<usize, String>>;
}

/// What an action needs to act in one member account and region.
pub struct Ctx<'a> {
    pub cfg: &'a ResponseConfig,
    pub store: &'a dyn Memory,
    /// Member credentials, region set to `region`.
    pub member: &'a SdkConfig,
    pub account: &'a str,
    pub region: &'a str,
    pub event_id: &'a str,
    pub incident_id: &'a str,
    /// Rampart's own roles (never acted against).
    pub own: &'a OwnRoles,
    pub plan: bool,
    /// The assessment thresholds (remediations fix to them).
    pub settings: &'a crate::checks::Settings,
}

impl Ctx<'_> {
    /// The partition of the context's region (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &'static str {
        rampart_common::asff::partition_of(self.region)
    }
}

/// What a playbook or remedy did.
#[derive(Debug, Default)]
pub struct Run {
    pub rec: Recorder,
    /// The resource acted on (trail ARN, user ARN, instance id).
    pub resource: String,
    pub forensics: Option<Value>,
    /// Set when the run decided not to act (exempt, allow-listed, nothing to do).
    pub ignored: Option<String>,
    /// Control remediations: each action with its undo handle, prior state and change (the
    /// hub keeps the applied ones under their handle).
    pub remediations: Vec<Action>,
    /// Rampart checks to re-evaluate in the account because this run changed what they judge.
    pub reevaluate: Vec<&'static str>,
}

impl Run {
    pub fn new(plan: bool, resource: impl Into<String>) -> Run {
        Run {
            rec: Recorder::new(plan),
            resource: resource.into(),
            ..Run::default()
        }
    }
}

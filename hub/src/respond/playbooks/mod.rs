//! The seed's playbooks, one module each, every stage explicit.

pub mod auto_mfa;
pub mod cloudtrail_tamper;
pub mod isolate;

use super::record::Recorder;
use super::store::Store;
use aws_config::SdkConfig;
use rampart_common::ResponseConfig;
use serde_json::Value;

/// What a playbook needs to act in one member account and region.
pub struct Ctx<'a> {
    pub cfg: &'a ResponseConfig,
    pub store: &'a Store,
    /// Member credentials, region set to `region`.
    pub member: &'a SdkConfig,
    pub account: &'a str,
    pub region: &'a str,
    pub event_id: &'a str,
    pub incident_id: &'a str,
    /// Rampart's own role names in members (never acted against).
    pub own_roles: &'a [String],
    pub plan: bool,
}

/// What a playbook did.
#[derive(Debug, Default)]
pub struct Run {
    pub rec: Recorder,
    /// The resource acted on (trail ARN, user ARN, instance id).
    pub resource: String,
    pub forensics: Option<Value>,
    /// Set when the playbook decided not to act (exempt, allow-listed, nothing to do).
    pub ignored: Option<String>,
}

impl Run {
    pub fn new(plan: bool, resource: impl Into<String>) -> Run {
        Run {
            rec: Recorder::new(plan),
            resource: resource.into(),
            forensics: None,
            ignored: None,
        }
    }
}

/// Whether a tag list marks the resource exempt (`<exempt_tag>=true`, case-insensitive value).
pub fn exempt<'t>(tags: impl IntoIterator<Item = (&'t str, &'t str)>, key: &str) -> bool {
    tags.into_iter()
        .any(|(k, v)| k == key && v.eq_ignore_ascii_case("true"))
}

pub fn partition(region: &str) -> &'static str {
    rampart_common::asff::partition_of(region)
}

/// Every IAM action the member response role needs, by playbook.
pub fn member_permissions() -> Vec<rampart_common::Permissions> {
    vec![
        cloudtrail_tamper::PERMISSIONS,
        auto_mfa::PERMISSIONS,
        isolate::PERMISSIONS,
        super::trails::RECORD_PERMISSIONS,
    ]
}

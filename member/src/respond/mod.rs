//! Response actions inside one member account: the playbooks, entries of one registry.
//!
//! Each playbook acts in one account and region with that account's credentials, stage by
//! stage (priority action, forensics, countermeasure), recording every action with the state
//! it found. The hub decides *whether* and *where* a playbook runs (trust, leases, budgets) and
//! reaches the playbooks only through [`registry`]; the little state a playbook keeps across
//! events (trail records, offence counts) it reaches through [`Memory`], which the hub provides.

pub mod auto_mfa;
pub mod cloudtrail_tamper;
pub mod isolate;
pub mod record;
pub mod registry;
pub mod totp;
pub mod trails;

use aws_config::SdkConfig;
use futures::future::BoxFuture;
use rampart_common::identity::OwnRoles;
use rampart_common::ResponseConfig;
use record::Recorder;
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

/// What a playbook needs to act in one member account and region.
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

/// What a playbook did.
#[derive(Debug, Default)]
pub struct Run {
    pub rec: Recorder,
    /// The resource acted on (trail ARN, user ARN, instance id).
    pub resource: String,
    pub forensics: Option<Value>,
    /// Set when the playbook decided not to act (exempt, allow-listed, nothing to do).
    pub ignored: Option<String>,
    /// Control remediations: each action with its undo handle, prior state and change.
    pub remediations: Vec<crate::remediate::Action>,
}

impl Run {
    pub fn new(plan: bool, resource: impl Into<String>) -> Run {
        Run {
            rec: Recorder::new(plan),
            resource: resource.into(),
            forensics: None,
            ignored: None,
            remediations: Vec::new(),
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

use rampart_common::permissions::Scope;

/// How the response role's declared actions are narrowed, so the role cannot raise its own
/// privileges: seeds only under `rampart/mfa/`, KMS only through Secrets Manager, only the two
/// deny policies attachable to users, inline role policies only on this account's roles and
/// never on Rampart's own, termination protection as the only instance attribute, Rampart's
/// tag keys only.
pub const MEMBER_SCOPES: &[Scope] = &[
    Scope {
        sid: "MfaSeedsOnly",
        actions: &[
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:PutResourcePolicy",
            "secretsmanager:TagResource",
        ],
        resources: &[
            "arn:${AWS::Partition}:secretsmanager:*:${AWS::AccountId}:secret:rampart/mfa/*",
        ],
        condition: "",
    },
    Scope {
        sid: "SeedEncryptionThroughSecretsManagerOnly",
        actions: &["kms:Encrypt", "kms:GenerateDataKey"],
        resources: &["*"],
        condition: r#"{"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}"#,
    },
    Scope {
        sid: "AttachOnlyTheDenyPolicies",
        actions: &["iam:AttachUserPolicy"],
        resources: &["arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"],
        condition: r#"{"ArnEquals": {"iam:PolicyARN": ["arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll", "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${RequireMfaPolicyName}"]}}"#,
    },
    Scope {
        sid: "RevokeSessionsOfThisAccountsRoles",
        actions: &["iam:PutRolePolicy"],
        resources: &["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"],
        condition: "",
    },
    Scope {
        sid: "TerminationProtectionOnly",
        actions: &["ec2:ModifyInstanceAttribute"],
        resources: &["*"],
        condition: r#"{"StringEquals": {"ec2:Attribute": "disableApiTermination"}}"#,
    },
    Scope {
        sid: "PassOnlyTheRecordersRoleToConfig",
        actions: &["iam:PassRole"],
        resources: &["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"],
        condition: r#"{"StringEquals": {"iam:PassedToService": "config.amazonaws.com"}}"#,
    },
    Scope {
        sid: "RampartTagKeysOnly",
        actions: &["ec2:CreateTags"],
        resources: &["*"],
        condition: r#"{"ForAllValues:StringLike": {"aws:TagKeys": ["rampart:*"]}}"#,
    },
];

/// Whatever else is granted, the response role never changes Rampart's own roles.
pub const MEMBER_DENIES: &[Scope] = &[Scope {
    sid: "NeverOnRampartsOwnRoles",
    actions: &[
        "iam:AttachRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
    ],
    resources: &[
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}",
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AssessRoleName}",
    ],
    condition: "",
}];

/// The member response role's policy, generated from the playbooks' declarations.
pub fn member_policy() -> Result<serde_json::Value, rampart_common::permissions::PolicyError> {
    let mut perms = member_permissions();
    perms.push(crate::roles::SESSION_CHECK);
    rampart_common::permissions::policy_document("Playbooks", &perms, MEMBER_SCOPES, MEMBER_DENIES)
}

/// Every IAM action the member response role needs: each registry entry's declaration, and
/// the trail recording the schedule does.
pub fn member_permissions() -> Vec<rampart_common::Permissions> {
    registry::PLAYBOOKS
        .iter()
        .map(|p| p.permissions)
        .chain([trails::RECORD_PERMISSIONS])
        .chain(crate::remediate::permissions())
        .collect()
}

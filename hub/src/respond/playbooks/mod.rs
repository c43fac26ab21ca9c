//! The response playbooks, one module each, every stage explicit.

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
    /// Rampart's own roles (never acted against).
    pub own: &'a super::trust::OwnRoles,
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
    perms.push(rampart_common::Permissions {
        component: "session check",
        actions: &["sts:GetCallerIdentity"],
    });
    rampart_common::permissions::policy_document("Playbooks", &perms, MEMBER_SCOPES, MEMBER_DENIES)
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

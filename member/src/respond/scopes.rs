//! How the response role's declared actions are narrowed and what it may never do, declared
//! beside the playbooks that need them.

use rampart_common::permissions::Scope;

/// How the response role's declared actions are narrowed, so the role cannot raise its own
/// privileges: seeds only under `rampart/mfa/`, KMS only through Secrets Manager, only the two
/// deny policies attachable to users, only AWSDenyAll attachable to this account's roles and
/// never to Rampart's own, termination protection as the only instance attribute, Rampart's
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
        sid: "DenyAllOnThisAccountsRolesOnly",
        actions: &["iam:AttachRolePolicy"],
        resources: &["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"],
        condition: r#"{"ArnEquals": {"iam:PolicyARN": "arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll"}}"#,
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
        sid: "RampartForwardingRulesOnly",
        actions: &["events:DescribeRule", "events:EnableRule"],
        resources: &["arn:${AWS::Partition}:events:*:${AWS::AccountId}:rule/rampart-*"],
        condition: "",
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

//! The hub response role's IAM policy, generated from the declarations of the intake's parts.

use super::{alert, store, trust};

/// IAM actions the hub's own role needs for response (hub account).
pub fn hub_permissions() -> Vec<rampart_common::Permissions> {
    vec![
        store::PERMISSIONS,
        alert::PERMISSIONS,
        trust::PERMISSIONS,
        crate::session::PERMISSIONS,
        // The schedule records trails in every enabled region.
        rampart_member::regions::PERMISSIONS,
        LAMBDA_PERMISSIONS,
        INTAKE_PERMISSIONS,
    ]
}

/// The function consumes the intake queue (the event source mapping polls with the function's
/// role) and sends deferred events back to it with a delay.
pub const INTAKE_PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/respond/intake",
    actions: &[
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ],
};

/// The Lambda service sends an event that failed every retry to the function's dead-letter
/// queue with the function's role.
pub const LAMBDA_PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub lambda (dead-letter queue)",
    actions: &["sqs:SendMessage"],
};

/// Where the hub role's actions apply: the audit log may only be appended to, working state
/// lives in its own table, members are reached only through the response role inside the
/// organization.
pub const HUB_SCOPES: &[rampart_common::permissions::Scope] = &[
    rampart_common::permissions::Scope {
        sid: "AuditLogAppendOnly",
        actions: &["dynamodb:PutItem"],
        resources: &["!GetAtt AuditTable.Arn"],
        condition: "",
    },
    rampart_common::permissions::Scope {
        sid: "WorkingState",
        actions: &[
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
        ],
        resources: &["!GetAtt StateTable.Arn"],
        condition: "",
    },
    rampart_common::permissions::Scope {
        sid: "Alerts",
        actions: &["sns:Publish"],
        resources: &["!Ref AlertTopic"],
        condition: "",
    },
    rampart_common::permissions::Scope {
        sid: "MemberRolesInTheOrganizationOnly",
        actions: &["sts:AssumeRole"],
        // The responder role acts; the assessment role re-evaluates what was remediated.
        resources: &[
            "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}",
            "arn:${AWS::Partition}:iam::*:role/${AssessRoleName}",
        ],
        condition: r#"{"StringEquals": {"aws:ResourceOrgID": "${OrganizationId}"}}"#,
    },
    rampart_common::permissions::Scope {
        sid: "IntakeQueue",
        actions: &[
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
        ],
        resources: &["!GetAtt IntakeQueue.Arn"],
        condition: "",
    },
    rampart_common::permissions::Scope {
        sid: "DeadLetters",
        actions: &["sqs:SendMessage"],
        resources: &["!GetAtt DeadLetterQueue.Arn"],
        condition: "",
    },
];

/// The hub response role's policy, generated from the declarations.
pub fn hub_policy() -> Result<serde_json::Value, rampart_common::permissions::PolicyError> {
    rampart_common::permissions::policy_document(
        "Organization",
        &hub_permissions(),
        HUB_SCOPES,
        &[],
    )
}

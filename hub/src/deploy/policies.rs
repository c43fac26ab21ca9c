//! The assessment roles' policies, generated from the collectors' and the publisher's
//! declarations (the response roles' come from the playbook and remedy registries).
//!
//! - [`assess_member_policy`]: the read-only assessment role in every member account
//!   (`member-global.yaml`, `AssessRole`): the collectors, the publisher (with
//!   `securityhub:EnableSecurityHub` for `enable_security_hub`), the Config rule answer, and the
//!   session check.
//! - [`assess_hub_policy`]: the assessment Lambda's role in the hub (`hub.yaml`,
//!   `AssessFunctionRole`): organization discovery, regions, sessions into the members'
//!   assessment roles inside the organization only, the report bucket (fleet results, HTML
//!   report, summary), and the member permissions for the hub's own account, which the fleet
//!   assesses with the Lambda's own credentials.

use rampart_common::permissions::{policy_document, PolicyError, Scope};
use rampart_common::Permissions;

/// The hub verifies each member session with GetCallerIdentity inside the member.
pub use rampart_member::roles::SESSION_CHECK;

/// What the Step Functions fleet run adds in the hub: results and the item list in the report
/// bucket, listed by the merge step.
pub const FLEET_PERMISSIONS: Permissions = Permissions {
    component: "hub/fleet-step-functions",
    actions: &["s3:PutObject", "s3:GetObject", "s3:ListBucket"],
};

/// Every action the member assessment role needs (gathered in the member crate).
pub fn assess_member_permissions() -> Vec<Permissions> {
    rampart_member::roles::assess_permissions()
}

/// The member assessment role's policy (read-only plus publishing findings).
pub fn assess_member_policy() -> Result<serde_json::Value, PolicyError> {
    rampart_member::roles::assess_policy()
}

/// Every action the hub's assessment Lambda role needs.
pub fn assess_hub_permissions() -> Vec<Permissions> {
    let mut perms = vec![
        crate::org::PERMISSIONS,
        rampart_member::regions::PERMISSIONS,
        crate::session::PERMISSIONS,
        crate::report_upload::PERMISSIONS,
        FLEET_PERMISSIONS,
    ];
    perms.extend(assess_member_permissions());
    perms
}

/// Where the hub assessment role's actions apply.
pub const ASSESS_HUB_SCOPES: &[Scope] = &[
    Scope {
        sid: "MemberAssessRolesInTheOrganizationOnly",
        actions: &["sts:AssumeRole"],
        resources: &["arn:${AWS::Partition}:iam::*:role/${AssessRoleName}"],
        condition: r#"{"StringEquals": {"aws:ResourceOrgID": "${OrganizationId}"}}"#,
    },
    Scope {
        sid: "ReportObjects",
        actions: &["s3:GetObject", "s3:PutObject"],
        resources: &["${ReportBucket.Arn}/*"],
        condition: "",
    },
    Scope {
        sid: "ListReportObjects",
        actions: &["s3:ListBucket"],
        resources: &["!GetAtt ReportBucket.Arn"],
        condition: "",
    },
    Scope {
        sid: "ReportEncryptionThroughS3Only",
        actions: &["kms:GenerateDataKey"],
        resources: &["*"],
        condition: r#"{"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}"#,
    },
];

/// The hub assessment Lambda role's policy.
pub fn assess_hub_policy() -> Result<serde_json::Value, PolicyError> {
    policy_document(
        "AssessAndDiscover",
        &assess_hub_permissions(),
        ASSESS_HUB_SCOPES,
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_assessment_role_can_enable_security_hub_and_is_read_only_otherwise() {
        let doc = assess_member_policy().expect("policy");
        let actions: Vec<&str> = doc["Statement"][0]["Action"]
            .as_array()
            .expect("actions")
            .iter()
            .filter_map(|a| a.as_str())
            .collect();
        assert!(actions.contains(&"securityhub:EnableSecurityHub"));
        let writes = [
            "securityhub:BatchImportFindings",
            "securityhub:EnableSecurityHub",
            "config:PutEvaluations",
            "iam:GenerateCredentialReport",
        ];
        for a in &actions {
            let verb = a.split(':').nth(1).unwrap_or("");
            let read = ["Describe", "Get", "List"]
                .iter()
                .any(|p| verb.starts_with(p));
            assert!(read || writes.contains(a), "unexpected write action {a}");
        }
    }

    #[test]
    fn hub_assessment_role_reaches_members_only_inside_the_organization() {
        let doc = assess_hub_policy().expect("policy");
        let st = doc["Statement"].as_array().expect("statements");
        let assume = st
            .iter()
            .find(|s| s["Sid"] == "MemberAssessRolesInTheOrganizationOnly")
            .expect("assume statement");
        assert_eq!(assume["Action"], serde_json::json!(["sts:AssumeRole"]));
        assert!(assume["Condition"]["StringEquals"]["aws:ResourceOrgID"].is_object());
        assert!(!st[0]["Action"]
            .as_array()
            .expect("actions")
            .iter()
            .any(|a| a == "sts:AssumeRole" || a == "s3:PutObject"));
    }
}

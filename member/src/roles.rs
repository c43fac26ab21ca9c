//! The member roles' IAM policies, generated from what the code declares.
//!
//! Every collector, the publisher and every playbook declares the IAM actions it calls next to
//! the code that calls them; the registries gather them here, so an API call cannot ship
//! without its permission (the stack templates are generated from the same functions and a test
//! holds them equal).

use rampart_common::permissions::{policy_document, PolicyError};
use rampart_common::Permissions;

/// The hub verifies each session it opens with GetCallerIdentity inside the member account.
pub const SESSION_CHECK: Permissions = Permissions {
    component: "session check",
    actions: &["sts:GetCallerIdentity"],
};

/// Every action the read-only assessment role needs: the collectors, publishing to the
/// account's own Security Hub (and enabling it when asked), the AWS Config rule's answer.
pub fn assess_permissions() -> Vec<Permissions> {
    let mut out = crate::collect::PERMISSIONS.to_vec();
    out.push(crate::securityhub::PERMISSIONS);
    out.push(crate::securityhub::ENABLE_PERMISSIONS);
    out.push(crate::config_rule::PERMISSIONS);
    out.push(SESSION_CHECK);
    out
}

/// The assessment role's policy document.
pub fn assess_policy() -> Result<serde_json::Value, PolicyError> {
    policy_document("Assess", &assess_permissions(), &[], &[])
}

/// Every IAM action the response role's work needs: each playbook's and each remedy's
/// declaration, and the trail recording the schedule does (without the session check).
pub fn playbook_permissions() -> Vec<Permissions> {
    crate::respond::PLAYBOOKS
        .iter()
        .map(|p| p.permissions)
        .chain([crate::respond::trails::RECORD_PERMISSIONS])
        .chain(crate::remediate::permissions())
        .collect()
}

/// Every action the response role needs: the registries' declarations and the session check.
pub fn respond_permissions() -> Vec<Permissions> {
    let mut out = playbook_permissions();
    out.push(SESSION_CHECK);
    out
}

/// The response role's policy document, generated from the playbooks' and remedies'
/// declarations, narrowed by their scopes and with their denies.
pub fn respond_policy() -> Result<serde_json::Value, PolicyError> {
    policy_document(
        "Playbooks",
        &respond_permissions(),
        crate::respond::scopes::MEMBER_SCOPES,
        crate::respond::scopes::MEMBER_DENIES,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assess_role_can_enable_security_hub_and_only_reads_otherwise() {
        let all = rampart_common::permissions::union(&assess_permissions());
        assert!(all.contains(&"securityhub:EnableSecurityHub"));
        let writes: Vec<_> = all
            .iter()
            .filter(|a| {
                let verb = a.split(':').nth(1).unwrap_or("");
                ![
                    "Get",
                    "List",
                    "Describe",
                    "Generate",
                    "BatchImport",
                    "Enable",
                    "Put",
                ]
                .iter()
                .any(|p| verb.starts_with(p))
            })
            .collect();
        assert!(writes.is_empty(), "{writes:?}");
    }
}

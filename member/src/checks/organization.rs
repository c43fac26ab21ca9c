//! Organization-level requirements (CIS v7.0.0 2.1.1-2.1.6), judged once per organization
//! from the management account or a delegated administrator: no single account can see them.
//!
//! CIS calls all six manual. Each reports the evidence Rampart read; it passes or fails only
//! where that evidence decides, and is NOT_AVAILABLE with the evidence otherwise.

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::{Collected, OrgSnapshot};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

const fn org_check(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    remediation: &'static str,
    remediation_url: &'static str,
    eval: fn(&OrgSnapshot, &Settings) -> CheckStatus,
) -> Check {
    Check {
        meta: CheckMeta {
            id,
            title,
            description,
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: None,
            remediation,
            remediation_url,
        },
        eval: Eval::Organization(eval),
    }
}

pub const CHECKS: &[Check] = &[
    org_check(
        "org.centralized-root-access",
        "Root access is managed centrally in AWS Organizations",
        "With centralized root access (root credentials management and privileged root sessions), member accounts need no root credentials of their own.",
        "Enable trusted access for IAM, then enable RootCredentialsManagement and RootSessions (iam:EnableOrganizationsRootCredentialsManagement, iam:EnableOrganizationsRootSessions).",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management",
        centralized_root_access,
    ),
    org_check(
        "org.authorization-guardrails",
        "Authorization guardrails (SCPs/RCPs) apply to the organization's accounts",
        "Service and resource control policies set the most any principal or resource of a member account may do, whatever its own policies say.",
        "Enable the SERVICE_CONTROL_POLICY (and RESOURCE_CONTROL_POLICY) policy types and attach guardrail policies at the root or to every OU.",
        "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
        authorization_guardrails,
    ),
    org_check(
        "org.management-account-workloads",
        "The management account is not used for workloads",
        "SCPs never restrict the management account; workloads there escape the organization's guardrails.",
        "Move workloads out of the management account into member accounts; keep it for billing and organization administration.",
        "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_best-practices_mgmt-acct.html",
        management_account_workloads,
    ),
    org_check(
        "org.ou-structure",
        "Organizational units are structured by environment and sensitivity",
        "OUs by environment and sensitivity let guardrails follow the risk of the accounts they hold.",
        "Create OUs (for example Security, Infrastructure, Workloads/Prod, Workloads/NonProd, Sandbox) and move accounts into them.",
        "https://docs.aws.amazon.com/whitepapers/latest/organizing-your-aws-environment/recommended-ous-and-accounts.html",
        ou_structure,
    ),
    org_check(
        "org.policies-delegated-admin",
        "A delegated administrator manages AWS Organizations policies",
        "Delegating policy management keeps day-to-day administration out of the management account.",
        "Attach a resource-based delegation policy to the organization (organizations:PutResourcePolicy) naming the administrator account.",
        "https://docs.aws.amazon.com/organizations/latest/userguide/orgs-policy-delegate.html",
        policies_delegated_admin,
    ),
    org_check(
        "org.services-delegated-admins",
        "Delegated administrators manage the organization's integrated services",
        "Security services administered from a delegated account are run without the management account's credentials.",
        "Register a delegated administrator (organizations:RegisterDelegatedAdministrator, or the service's own API) for each integrated service that supports one.",
        "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html",
        services_delegated_admins,
    ),
];

/// Integrated services that support a delegated administrator (AWS's list, security-relevant
/// part).
pub const DELEGATABLE_SERVICES: &[&str] = &[
    "access-analyzer.amazonaws.com",
    "auditmanager.amazonaws.com",
    "backup.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "detective.amazonaws.com",
    "fms.amazonaws.com",
    "guardduty.amazonaws.com",
    "inspector2.amazonaws.com",
    "ipam.amazonaws.com",
    "macie.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "securityhub.amazonaws.com",
    "sso.amazonaws.com",
];

/// The organization as an ASFF resource (the reading account when it could not be read).
fn org_resource(s: &OrgSnapshot) -> ResourceRef {
    match &s.organization {
        Collected::Ok(o) if !o.arn.is_empty() => ResourceRef {
            kind: "Other".into(),
            id: o.arn.clone(),
            region: None,
        },
        _ => ResourceRef::account(&s.account_id),
    }
}

fn decided(s: &OrgSnapshot, passed: bool, reason: String) -> CheckStatus {
    CheckStatus::Evaluated {
        verdicts: vec![Verdict {
            resource: org_resource(s),
            passed,
            reason,
        }],
    }
}

fn centralized_root_access(s: &OrgSnapshot, _: &Settings) -> CheckStatus {
    with(&s.root_access_features, |features| {
        let missing: Vec<&str> = ["RootCredentialsManagement", "RootSessions"]
            .into_iter()
            .filter(|f| !features.iter().any(|x| x == f))
            .collect();
        if missing.is_empty() {
            decided(
                s,
                true,
                "Centralized root access is on: RootCredentialsManagement and RootSessions are enabled.".into(),
            )
        } else {
            decided(
                s,
                false,
                format!(
                    "Centralized root access is incomplete: {} not enabled (enabled: {}).",
                    missing.join(" and "),
                    if features.is_empty() {
                        "none".to_string()
                    } else {
                        features.join(", ")
                    }
                ),
            )
        }
    })
}

fn authorization_guardrails(s: &OrgSnapshot, _: &Settings) -> CheckStatus {
    let types = match &s.root_policy_types {
        Collected::Ok(t) => t,
        Collected::Err(e) => {
            return CheckStatus::Error {
                reason: e.to_string(),
            }
        }
    };
    with(&s.guardrails, |policies| {
        if !types.iter().any(|t| t == "SERVICE_CONTROL_POLICY") {
            return decided(
                s,
                false,
                "Service control policies are not enabled on the organization's root.".into(),
            );
        }
        let at_root: Vec<&str> = policies
            .iter()
            .filter(|p| p.targets.iter().any(|t| t.starts_with("r-")))
            .map(|p| p.name.as_str())
            .collect();
        let attached: Vec<&str> = policies
            .iter()
            .filter(|p| !p.targets.is_empty())
            .map(|p| p.name.as_str())
            .collect();
        if !at_root.is_empty() {
            decided(
                s,
                true,
                format!(
                    "Guardrail policies attached at the root apply to every account: {}.",
                    at_root.join(", ")
                ),
            )
        } else if attached.is_empty() {
            decided(
                s,
                false,
                "No service or resource control policy other than the AWS-managed FullAWSAccess is attached anywhere.".into(),
            )
        } else {
            CheckStatus::NotAvailable {
                reason: format!(
                    "manual control: guardrails are attached to OUs or accounts but not the root ({}); whether every account is covered needs review",
                    attached.join(", ")
                ),
            }
        }
    })
}

fn management_account_workloads(s: &OrgSnapshot, _: &Settings) -> CheckStatus {
    let who = match &s.organization {
        Collected::Ok(o) => format!("the management account is {}", o.management_account_id),
        Collected::Err(e) => format!("the organization could not be read ({e})"),
    };
    CheckStatus::NotAvailable {
        reason: format!(
            "manual control: {who}; whether it runs workloads needs review of its resources (its own assessment lists them)"
        ),
    }
}

fn ou_structure(s: &OrgSnapshot, _: &Settings) -> CheckStatus {
    with(&s.top_level_ous, |ous| {
        if ous.is_empty() {
            decided(
                s,
                false,
                "The organization has no organizational units: every account sits directly under the root.".into(),
            )
        } else {
            CheckStatus::NotAvailable {
                reason: format!(
                    "manual control: top-level OUs are {}; whether they follow environment and sensitivity needs review",
                    ous.join(", ")
                ),
            }
        }
    })
}

fn policies_delegated_admin(s: &OrgSnapshot, _: &Settings) -> CheckStatus {
    with(&s.delegation_policy, |policy| {
        match policy {
        Some(_) => decided(
            s,
            true,
            "A resource-based delegation policy lets a delegated administrator manage Organizations policies.".into(),
        ),
        None => decided(
            s,
            false,
            "No delegation policy: only the management account can manage Organizations policies.".into(),
        ),
    }
    })
}

fn services_delegated_admins(s: &OrgSnapshot, _: &Settings) -> CheckStatus {
    let trusted = match &s.trusted_services {
        Collected::Ok(t) => t,
        Collected::Err(e) => {
            return CheckStatus::Error {
                reason: e.to_string(),
            }
        }
    };
    with(&s.delegated_admins, |admins| {
        let delegatable: Vec<&str> = trusted
            .iter()
            .map(String::as_str)
            .filter(|t| DELEGATABLE_SERVICES.contains(t))
            .collect();
        if delegatable.is_empty() {
            return CheckStatus::NotAvailable {
                reason: format!(
                    "manual control: no integrated service that supports a delegated administrator has trusted access (trusted: {})",
                    if trusted.is_empty() { "none".to_string() } else { trusted.join(", ") }
                ),
            };
        }
        let missing: Vec<&str> = delegatable
            .iter()
            .copied()
            .filter(|svc| !admins.iter().any(|a| a.services.iter().any(|x| x == svc)))
            .collect();
        if missing.is_empty() {
            decided(
                s,
                true,
                format!(
                    "Every integrated service that supports it has a delegated administrator: {}.",
                    delegatable.join(", ")
                ),
            )
        } else {
            decided(
                s,
                false,
                format!(
                    "Integrated services administered from the management account (no delegated administrator): {}.",
                    missing.join(", ")
                ),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{DelegatedAdmin, OrgInfo, OrgPolicy};

    fn snap() -> OrgSnapshot {
        OrgSnapshot {
            account_id: "111122223333".into(),
            organization: Collected::Ok(OrgInfo {
                id: "o-abc".into(),
                arn: "arn:aws:organizations::111122223333:organization/o-abc".into(),
                management_account_id: "111122223333".into(),
                feature_set: "ALL".into(),
            }),
            root_policy_types: Collected::Ok(vec!["SERVICE_CONTROL_POLICY".into()]),
            top_level_ous: Collected::Ok(vec!["Prod".into()]),
            guardrails: Collected::Ok(vec![OrgPolicy {
                id: "p-1".into(),
                name: "deny-leave".into(),
                kind: "SERVICE_CONTROL_POLICY".into(),
                targets: vec!["r-ab12".into()],
            }]),
            root_access_features: Collected::Ok(vec![
                "RootCredentialsManagement".into(),
                "RootSessions".into(),
            ]),
            delegation_policy: Collected::Ok(Some("{}".into())),
            trusted_services: Collected::Ok(vec!["securityhub.amazonaws.com".into()]),
            delegated_admins: Collected::Ok(vec![DelegatedAdmin {
                account_id: "444455556666".into(),
                services: vec!["securityhub.amazonaws.com".into()],
            }]),
        }
    }

    fn passed(st: &CheckStatus) -> Option<bool> {
        match st {
            CheckStatus::Evaluated { verdicts } => Some(verdicts.iter().all(|v| v.passed)),
            _ => None,
        }
    }

    #[test]
    fn evidence_decides_where_it_can() {
        let d = Settings::default();
        let s = snap();
        for c in CHECKS {
            let Eval::Organization(f) = c.eval else {
                panic!("{} is not an organization check", c.meta.id)
            };
            let st = f(&s, &d);
            match c.meta.id {
                "org.management-account-workloads" | "org.ou-structure" => {
                    assert!(matches!(st, CheckStatus::NotAvailable { .. }), "{st:?}")
                }
                _ => assert_eq!(passed(&st), Some(true), "{}: {st:?}", c.meta.id),
            }
        }
        let mut bad = snap();
        bad.root_access_features = Collected::Ok(vec!["RootSessions".into()]);
        bad.guardrails = Collected::Ok(vec![]);
        bad.top_level_ous = Collected::Ok(vec![]);
        bad.delegation_policy = Collected::Ok(None);
        bad.delegated_admins = Collected::Ok(vec![]);
        assert_eq!(passed(&centralized_root_access(&bad, &d)), Some(false));
        assert_eq!(passed(&authorization_guardrails(&bad, &d)), Some(false));
        assert_eq!(passed(&ou_structure(&bad, &d)), Some(false));
        assert_eq!(passed(&policies_delegated_admin(&bad, &d)), Some(false));
        assert_eq!(passed(&services_delegated_admins(&bad, &d)), Some(false));
        // Nothing read: never a pass.
        let none = OrgSnapshot::empty("111122223333");
        for c in CHECKS {
            let Eval::Organization(f) = c.eval else {
                continue;
            };
            assert!(passed(&f(&none, &d)) != Some(true), "{}", c.meta.id);
        }
    }
}

//! IAM permission checks: policies on users, full-admin customer policies, the support role,
//! and CloudShell full access.

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::{AccountSnapshot, Authorization};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};
use serde_json::Value;

const URL: &str = "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html";

pub const CHECKS: &[Check] = &[
    Check {
        meta: CheckMeta {
            id: "iam.user-policies-via-groups",
            title: "IAM users receive permissions only through groups",
            description: "Policies attached directly to users are hard to review and tend to accumulate.",
            severity: Severity::Low,
            scope: Scope::Account,
            security_control_id: Some("IAM.2"),
            remediation: "Move the user's policies to a group (or a role) and remove them from the user.",
            remediation_url: URL,
        },
        eval: Eval::Account(user_policies_via_groups),
    },
    Check {
        meta: CheckMeta {
            id: "iam.no-full-admin-policies",
            title: "No attached customer managed policy allows full \"*:*\" administrative privileges",
            description: "Policies granting Action * on Resource * give whoever holds them the whole account.",
            severity: Severity::High,
            scope: Scope::Account,
            security_control_id: Some("IAM.1"),
            remediation: "Detach the policy and grant only the actions and resources the holders need.",
            remediation_url: URL,
        },
        eval: Eval::Account(no_full_admin_policies),
    },
    Check {
        meta: CheckMeta {
            id: "iam.support-role",
            title: "A support role exists to manage incidents with AWS Support",
            description: "Someone must be able to open AWS Support cases during an incident without root.",
            severity: Severity::Low,
            scope: Scope::Account,
            security_control_id: Some("IAM.18"),
            remediation: "Create a role with the AWSSupportAccess managed policy and let your incident responders assume it.",
            remediation_url: URL,
        },
        eval: Eval::Account(support_role),
    },
    Check {
        meta: CheckMeta {
            id: "iam.cloudshell-full-access",
            title: "AWSCloudShellFullAccess is not attached to any identity",
            description: "CloudShell full access allows uploading and downloading files, a data exfiltration path.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("IAM.27"),
            remediation: "Detach AWSCloudShellFullAccess and grant a narrower CloudShell policy where needed.",
            remediation_url: URL,
        },
        eval: Eval::Account(cloudshell_full_access),
    },
];

fn account_verdict(s: &AccountSnapshot, passed: bool, reason: String) -> CheckStatus {
    CheckStatus::Evaluated {
        verdicts: vec![Verdict {
            resource: ResourceRef::account(&s.account_id),
            passed,
            reason,
        }],
    }
}

fn user_policies_via_groups(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.authorization, |a: &Authorization| {
        CheckStatus::Evaluated {
            verdicts: a
                .users
                .iter()
                .map(|u| {
                    let n = u.attached_policies.len() + u.inline_policies.len();
                    Verdict {
                        resource: ResourceRef {
                            kind: "AwsIamUser".into(),
                            id: u.arn.clone(),
                            region: None,
                        },
                        passed: n == 0,
                        reason: if n == 0 {
                            format!("{} has no policies of its own.", u.name)
                        } else {
                            format!(
                                "{} has {} attached and {} inline policies.",
                                u.name,
                                u.attached_policies.len(),
                                u.inline_policies.len()
                            )
                        },
                    }
                })
                .collect(),
        }
    })
}

/// A string or a list of strings, as IAM allows for Action and Resource.
fn contains_star(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "*" || s == "*:*",
        Value::Array(items) => items.iter().any(contains_star),
        _ => false,
    }
}

/// True when some Allow statement grants every action on every resource.
pub fn allows_full_admin(doc: &Value) -> bool {
    let statements: Vec<&Value> = match &doc["Statement"] {
        Value::Array(items) => items.iter().collect(),
        v @ Value::Object(_) => vec![v],
        _ => Vec::new(),
    };
    statements.iter().any(|st| {
        st["Effect"] == "Allow" && contains_star(&st["Action"]) && contains_star(&st["Resource"])
    })
}

fn no_full_admin_policies(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.authorization, |a: &Authorization| {
        let mut verdicts = Vec::new();
        for p in a.policies.iter().filter(|p| p.attachment_count > 0) {
            let resource = ResourceRef {
                kind: "AwsIamPolicy".into(),
                id: p.arn.clone(),
                region: None,
            };
            match &p.document {
                Some(doc) => {
                    let admin = allows_full_admin(doc);
                    verdicts.push(Verdict {
                        resource,
                        passed: !admin,
                        reason: if admin {
                            format!(
                                "{} allows \"*\" on \"*\" and is attached {} time(s).",
                                p.name, p.attachment_count
                            )
                        } else {
                            format!("{} does not grant full administrative access.", p.name)
                        },
                    });
                }
                // An unreadable document is not evidence of safety.
                None => {
                    return CheckStatus::Error {
                        reason: format!("policy document of {} could not be decoded", p.arn),
                    }
                }
            }
        }
        CheckStatus::Evaluated { verdicts }
    })
}

fn support_role(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.authorization, |a: &Authorization| {
        let holders = &a.support_access_holders;
        if holders.is_empty() {
            account_verdict(s, false, "No identity holds AWSSupportAccess.".into())
        } else {
            account_verdict(
                s,
                true,
                format!("AWSSupportAccess is held by {}.", holders.join(", ")),
            )
        }
    })
}

fn cloudshell_full_access(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.authorization, |a: &Authorization| {
        let holders = &a.cloudshell_full_access_holders;
        if holders.is_empty() {
            account_verdict(s, true, "AWSCloudShellFullAccess is not attached.".into())
        } else {
            account_verdict(
                s,
                false,
                format!(
                    "AWSCloudShellFullAccess is attached to {}.",
                    holders.join(", ")
                ),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{CloudTrailSnapshot, Collected, IamSnapshot, IamUser, ManagedPolicy};
    use serde_json::json;

    fn snap(a: Authorization) -> AccountSnapshot {
        AccountSnapshot {
            account_id: "111122223333".into(),
            partition: "aws".into(),
            iam: Collected::Ok(IamSnapshot {
                root_access_keys_present: false,
                root_mfa_enabled: true,
                password_policy: None,
            }),
            cloudtrail: Collected::Ok(CloudTrailSnapshot { trails: vec![] }),
            credentials: Collected::Err("not collected".into()),
            authorization: Collected::Ok(a),
            monitoring: Collected::Err("not collected".into()),
            ..AccountSnapshot::empty("111122223333")
        }
    }

    fn empty() -> Authorization {
        Authorization {
            users: vec![],
            policies: vec![],
            support_access_holders: vec![],
            cloudshell_full_access_holders: vec![],
        }
    }

    fn failed(st: &CheckStatus) -> Vec<String> {
        match st {
            CheckStatus::Evaluated { verdicts } => verdicts
                .iter()
                .filter(|v| !v.passed)
                .map(|v| v.resource.id.clone())
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn full_admin_detection() {
        assert!(allows_full_admin(
            &json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
        ));
        assert!(allows_full_admin(
            &json!({"Statement": [{"Effect": "Allow", "Action": ["s3:*", "*"], "Resource": ["*"]}]})
        ));
        assert!(!allows_full_admin(
            &json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
        ));
        assert!(!allows_full_admin(
            &json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
        ));
        assert!(!allows_full_admin(
            &json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}]})
        ));
        assert!(!allows_full_admin(&json!("garbage")));
    }

    #[test]
    fn policies_users_support_and_cloudshell() {
        let policy = |name: &str, count: i32, doc: Option<Value>| ManagedPolicy {
            name: name.into(),
            arn: format!("arn:aws:iam::111122223333:policy/{name}"),
            attachment_count: count,
            document: doc,
        };
        let admin = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let mut a = empty();
        a.policies = vec![
            policy("Admin", 1, Some(admin.clone())),
            policy("Unattached", 0, Some(admin)),
            policy("S3", 2, Some(json!({"Statement": []}))),
        ];
        a.users = vec![
            IamUser {
                name: "direct".into(),
                arn: "arn:aws:iam::111122223333:user/direct".into(),
                attached_policies: vec!["p".into()],
                inline_policies: vec![],
            },
            IamUser {
                name: "grouped".into(),
                arn: "arn:aws:iam::111122223333:user/grouped".into(),
                attached_policies: vec![],
                inline_policies: vec![],
            },
        ];
        let s = snap(a.clone());
        let d = Settings::default();
        assert_eq!(
            failed(&no_full_admin_policies(&s, &d)),
            vec!["arn:aws:iam::111122223333:policy/Admin"]
        );
        assert_eq!(
            failed(&user_policies_via_groups(&s, &d)),
            vec!["arn:aws:iam::111122223333:user/direct"]
        );
        assert_eq!(failed(&support_role(&s, &d)).len(), 1);
        assert!(failed(&cloudshell_full_access(&s, &d)).is_empty());
        a.support_access_holders = vec!["role/support".into()];
        a.cloudshell_full_access_holders = vec!["user/dev".into()];
        let s = snap(a.clone());
        assert!(failed(&support_role(&s, &d)).is_empty());
        assert_eq!(failed(&cloudshell_full_access(&s, &d)).len(), 1);
        // An undecodable attached policy is an error, never a pass.
        a.policies = vec![policy("Opaque", 1, None)];
        assert!(matches!(
            no_full_admin_policies(&snap(a), &d),
            CheckStatus::Error { .. }
        ));
    }
}

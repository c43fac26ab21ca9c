//! Account-level checks beyond the core IAM ones: security contact (1.2), hardware MFA for
//! root (1.6), expired IAM server certificates (1.19).

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::{AccountSnapshot, Collected};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

pub const CHECKS: &[Check] = &[
    Check {
        meta: CheckMeta {
            id: "account.security-contact",
            title: "A security contact is registered for the account",
            description: "AWS sends security notifications to the SECURITY alternate contact; without one they may reach nobody who acts.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("Account.1"),
            remediation: "Set the SECURITY alternate contact (account:PutAlternateContact or the account settings page).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/account-controls.html#account-1",
        },
        eval: Eval::Account(security_contact),
    },
    Check {
        meta: CheckMeta {
            id: "iam.root-hardware-mfa",
            title: "The root user has hardware MFA",
            description: "A virtual MFA device lives on a phone or computer that can itself be compromised; CIS asks for a hardware device on the root user.",
            severity: Severity::Critical,
            scope: Scope::Account,
            security_control_id: Some("IAM.6"),
            remediation: "Sign in as the root user, remove the virtual MFA device and register a hardware MFA device.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-6",
        },
        eval: Eval::Account(root_hardware_mfa),
    },
    Check {
        meta: CheckMeta {
            id: "iam.expired-server-certificates",
            title: "No expired SSL/TLS certificates are stored in IAM",
            description: "An expired certificate deployed to a load balancer or CloudFront breaks clients and signals unmanaged certificates.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("IAM.26"),
            remediation: "Delete the expired certificate (iam:DeleteServerCertificate) after moving its users to a current one (ACM preferred).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-26",
        },
        eval: Eval::Account(expired_server_certificates),
    },
];

fn one(s: &AccountSnapshot, passed: bool, reason: String) -> CheckStatus {
    CheckStatus::Evaluated {
        verdicts: vec![Verdict {
            resource: ResourceRef::account(&s.account_id),
            passed,
            reason,
        }],
    }
}

fn security_contact(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.security_contact, |c| match c {
        Some(c) if !c.email.is_empty() => one(
            s,
            true,
            format!("Security contact {} <{}> is registered.", c.name, c.email),
        ),
        Some(_) => one(
            s,
            false,
            "The security contact has no email address.".into(),
        ),
        None => one(s, false, "No security contact is registered.".into()),
    })
}

fn root_hardware_mfa(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.iam, |iam| {
        if !iam.root_mfa_enabled {
            return one(s, false, "The root user has no MFA device at all.".into());
        }
        match &s.root_virtual_mfa {
            Collected::Err(e) => CheckStatus::Error {
                reason: e.to_string(),
            },
            Collected::Ok(serials) if serials.is_empty() => one(
                s,
                true,
                "Root MFA is enabled and no virtual device is assigned to root.".into(),
            ),
            Collected::Ok(serials) => one(
                s,
                false,
                format!(
                    "The root user's MFA is a virtual device ({}).",
                    serials.join(", ")
                ),
            ),
        }
    })
}

fn expired_server_certificates(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.server_certificates, |certs| {
        let unknown: Vec<&str> = certs
            .certificates
            .iter()
            .filter(|c| c.expiration.is_none())
            .map(|c| c.name.as_str())
            .collect();
        if !unknown.is_empty() {
            return CheckStatus::Error {
                reason: format!(
                    "iam:ListServerCertificates gave no expiration for {}",
                    unknown.join(", ")
                ),
            };
        }
        CheckStatus::Evaluated {
            verdicts: certs
                .certificates
                .iter()
                .filter_map(|c| c.expiration.map(|exp| (c, exp)))
                .map(|(c, exp)| {
                    let expired = exp <= certs.listed_at;
                    Verdict {
                        resource: ResourceRef {
                            // ASFF has no type for IAM server certificates.
                            kind: "Other".into(),
                            id: c.arn.clone(),
                            region: None,
                        },
                        passed: !expired,
                        reason: if expired {
                            format!(
                                "Server certificate {} expired on {}.",
                                c.name,
                                exp.to_rfc3339()
                            )
                        } else {
                            format!(
                                "Server certificate {} is valid until {}.",
                                c.name,
                                exp.to_rfc3339()
                            )
                        },
                    }
                })
                .collect(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{IamSnapshot, SecurityContact, ServerCertificate, ServerCertificates};
    use chrono::{DateTime, Utc};

    const ACCOUNT: &str = "111122223333";

    fn passed(st: &CheckStatus) -> Option<Vec<bool>> {
        match st {
            CheckStatus::Evaluated { verdicts } => {
                Some(verdicts.iter().map(|v| v.passed).collect())
            }
            _ => None,
        }
    }

    fn iam(mfa: bool) -> Collected<IamSnapshot> {
        Collected::Ok(IamSnapshot {
            root_access_keys_present: false,
            root_mfa_enabled: mfa,
            password_policy: None,
        })
    }

    #[test]
    fn security_contact_states() {
        let d = Settings::default();
        let mut s = AccountSnapshot::empty(ACCOUNT);
        assert_eq!(
            passed(&security_contact(&s, &d)),
            None,
            "unread is an error"
        );
        s.security_contact = Collected::Ok(None);
        assert_eq!(passed(&security_contact(&s, &d)), Some(vec![false]));
        s.security_contact = Collected::Ok(Some(SecurityContact {
            name: "SecOps".into(),
            email: "secops@example.com".into(),
            phone: "+1 555".into(),
        }));
        assert_eq!(passed(&security_contact(&s, &d)), Some(vec![true]));
        s.security_contact = Collected::Ok(Some(SecurityContact {
            name: "SecOps".into(),
            email: String::new(),
            phone: String::new(),
        }));
        assert_eq!(passed(&security_contact(&s, &d)), Some(vec![false]));
    }

    #[test]
    fn root_hardware_mfa_states() {
        let d = Settings::default();
        let mut s = AccountSnapshot::empty(ACCOUNT);
        assert_eq!(passed(&root_hardware_mfa(&s, &d)), None);
        // No MFA at all fails without needing the device list.
        s.iam = iam(false);
        assert_eq!(passed(&root_hardware_mfa(&s, &d)), Some(vec![false]));
        // MFA on, device list unreadable: an error, never a pass.
        s.iam = iam(true);
        assert_eq!(passed(&root_hardware_mfa(&s, &d)), None);
        s.root_virtual_mfa = Collected::Ok(vec![]);
        assert_eq!(passed(&root_hardware_mfa(&s, &d)), Some(vec![true]));
        s.root_virtual_mfa = Collected::Ok(vec![format!(
            "arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"
        )]);
        assert_eq!(passed(&root_hardware_mfa(&s, &d)), Some(vec![false]));
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .expect("date")
    }

    fn cert(name: &str, exp: Option<&str>) -> ServerCertificate {
        ServerCertificate {
            name: name.into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:server-certificate/{name}"),
            expiration: exp.map(at),
        }
    }

    #[test]
    fn server_certificate_expiry() {
        let d = Settings::default();
        let mut s = AccountSnapshot::empty(ACCOUNT);
        assert_eq!(passed(&expired_server_certificates(&s, &d)), None);
        let listed_at = at("2026-06-01T00:00:00Z");
        s.server_certificates = Collected::Ok(ServerCertificates {
            listed_at,
            certificates: vec![],
        });
        assert_eq!(passed(&expired_server_certificates(&s, &d)), Some(vec![]));
        s.server_certificates = Collected::Ok(ServerCertificates {
            listed_at,
            certificates: vec![
                cert("old", Some("2012-05-08T01:02:03Z")),
                cert("current", Some("2027-01-01T00:00:00Z")),
                // Expiring exactly now is expired.
                cert("edge", Some("2026-06-01T00:00:00Z")),
            ],
        });
        let st = expired_server_certificates(&s, &d);
        assert_eq!(passed(&st), Some(vec![false, true, false]));
        if let CheckStatus::Evaluated { verdicts } = &st {
            assert_eq!(
                verdicts[0].resource.id,
                format!("arn:aws:iam::{ACCOUNT}:server-certificate/old")
            );
        }
        s.server_certificates = Collected::Ok(ServerCertificates {
            listed_at,
            certificates: vec![cert("odd", None)],
        });
        assert!(matches!(
            expired_server_certificates(&s, &d),
            CheckStatus::Error { .. }
        ));
    }
}

//! IAM account-level checks: root credentials and the password policy.

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::AccountSnapshot;
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

pub const CHECKS: &[Check] = &[
    Check {
        meta: CheckMeta {
            id: "iam.root-access-keys",
            title: "The root user has no access keys",
            description: "Access keys for the root user give unrestricted programmatic access to the account.",
            severity: Severity::Critical,
            scope: Scope::Account,
            security_control_id: Some("IAM.4"),
            remediation: "Sign in as the root user, delete its access keys, and use IAM roles instead.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-4",
        },
        eval: Eval::Account(root_access_keys),
    },
    Check {
        meta: CheckMeta {
            id: "iam.root-mfa",
            title: "The root user has MFA enabled",
            description: "Without MFA the root user is protected by its password alone.",
            severity: Severity::Critical,
            scope: Scope::Account,
            security_control_id: Some("IAM.9"),
            remediation: "Sign in as the root user and enable an MFA device (hardware MFA preferred).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-9",
        },
        eval: Eval::Account(root_mfa),
    },
    Check {
        meta: CheckMeta {
            id: "iam.password-min-length",
            title: "The IAM password policy requires a minimum length of 14 or more",
            description: "Short passwords are easier to guess or brute-force.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("IAM.15"),
            remediation: "Set MinimumPasswordLength to 14 or more with iam:UpdateAccountPasswordPolicy.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-15",
        },
        eval: Eval::Account(password_min_length),
    },
    Check {
        meta: CheckMeta {
            id: "iam.password-reuse",
            title: "The IAM password policy prevents password reuse",
            description: "Reused passwords extend the life of a leaked credential.",
            severity: Severity::Low,
            scope: Scope::Account,
            security_control_id: Some("IAM.16"),
            remediation: "Set PasswordReusePrevention to 24 with iam:UpdateAccountPasswordPolicy.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-16",
        },
        eval: Eval::Account(password_reuse),
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

fn root_access_keys(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.iam, |iam| {
        let present = iam.root_access_keys_present;
        account_verdict(
            s,
            !present,
            if present {
                "The root user has active access keys.".into()
            } else {
                "The root user has no access keys.".into()
            },
        )
    })
}

fn root_mfa(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.iam, |iam| {
        let on = iam.root_mfa_enabled;
        account_verdict(
            s,
            on,
            if on {
                "Root MFA is enabled.".into()
            } else {
                "Root MFA is not enabled.".into()
            },
        )
    })
}

fn password_min_length(s: &AccountSnapshot, settings: &Settings) -> CheckStatus {
    with(&s.iam, |iam| {
        let want = settings.password_min_length;
        match iam.password_policy.as_ref().and_then(|p| p.minimum_length) {
            None => account_verdict(s, false, "No IAM password policy is set.".into()),
            Some(n) if n >= want => {
                account_verdict(s, true, format!("Minimum password length is {n}."))
            }
            Some(n) => account_verdict(
                s,
                false,
                format!("Minimum password length is {n}, below {want}."),
            ),
        }
    })
}

fn password_reuse(s: &AccountSnapshot, settings: &Settings) -> CheckStatus {
    with(&s.iam, |iam| {
        let want = settings.password_reuse_prevention;
        match &iam.password_policy {
            None => account_verdict(s, false, "No IAM password policy is set.".into()),
            Some(p) => match p.reuse_prevention {
                Some(n) if n >= want => {
                    account_verdict(s, true, format!("The last {n} passwords cannot be reused."))
                }
                Some(n) => account_verdict(
                    s,
                    false,
                    format!("Only the last {n} passwords are remembered, below {want}."),
                ),
                None => account_verdict(
                    s,
                    false,
                    "The password policy does not prevent reuse.".into(),
                ),
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{CloudTrailSnapshot, Collected, IamSnapshot, PasswordPolicy};

    fn snap(iam: Collected<IamSnapshot>) -> AccountSnapshot {
        AccountSnapshot {
            account_id: "111122223333".into(),
            partition: "aws".into(),
            iam,
            cloudtrail: Collected::Ok(CloudTrailSnapshot { trails: vec![] }),
            credentials: Collected::Err("not collected".into()),
            authorization: Collected::Err("not collected".into()),
            monitoring: Collected::Err("not collected".into()),
            ..AccountSnapshot::empty("111122223333")
        }
    }

    fn iam(keys: bool, mfa: bool, policy: Option<PasswordPolicy>) -> Collected<IamSnapshot> {
        Collected::Ok(IamSnapshot {
            root_access_keys_present: keys,
            root_mfa_enabled: mfa,
            password_policy: policy,
        })
    }

    fn passed(st: &CheckStatus) -> Option<bool> {
        match st {
            CheckStatus::Evaluated { verdicts } => Some(verdicts.iter().all(|v| v.passed)),
            _ => None,
        }
    }

    #[test]
    fn root_keys_and_mfa() {
        let d = Settings::default();
        assert_eq!(
            passed(&root_access_keys(&snap(iam(true, true, None)), &d)),
            Some(false)
        );
        assert_eq!(
            passed(&root_access_keys(&snap(iam(false, true, None)), &d)),
            Some(true)
        );
        assert_eq!(
            passed(&root_mfa(&snap(iam(false, false, None)), &d)),
            Some(false)
        );
        assert_eq!(
            passed(&root_mfa(&snap(iam(false, true, None)), &d)),
            Some(true)
        );
    }

    #[test]
    fn configured_thresholds_replace_the_cis_defaults() {
        let policy = Some(PasswordPolicy {
            minimum_length: Some(10),
            reuse_prevention: Some(24),
            ..PasswordPolicy::default()
        });
        let s = snap(iam(false, true, policy));
        let cis = rampart_common::Config::default().effective_thresholds();
        assert_eq!(passed(&password_min_length(&s, &cis)), Some(false));
        let relaxed = rampart_common::Config::parse("[thresholds]\npassword_min_length = 8")
            .expect("config")
            .effective_thresholds();
        assert_eq!(passed(&password_min_length(&s, &relaxed)), Some(true));
        assert_eq!(
            relaxed.key_rotation_days, 90,
            "unset keys keep the CIS value"
        );
    }

    #[test]
    fn password_policy_thresholds() {
        let d = Settings::default();
        let p = |len, reuse| {
            Some(PasswordPolicy {
                minimum_length: len,
                reuse_prevention: reuse,
                ..PasswordPolicy::default()
            })
        };
        assert_eq!(
            passed(&password_min_length(&snap(iam(false, false, None)), &d)),
            Some(false)
        );
        assert_eq!(
            passed(&password_min_length(
                &snap(iam(false, false, p(Some(13), None))),
                &d
            )),
            Some(false)
        );
        assert_eq!(
            passed(&password_min_length(
                &snap(iam(false, false, p(Some(14), None))),
                &d
            )),
            Some(true)
        );
        assert_eq!(
            passed(&password_reuse(
                &snap(iam(false, false, p(Some(14), None))),
                &d
            )),
            Some(false)
        );
        assert_eq!(
            passed(&password_reuse(
                &snap(iam(false, false, p(None, Some(24)))),
                &d
            )),
            Some(true)
        );
        assert_eq!(
            passed(&password_reuse(
                &snap(iam(false, false, p(None, Some(5)))),
                &d
            )),
            Some(false)
        );
        let lenient = Settings {
            password_min_length: 8,
            ..d
        };
        assert_eq!(
            passed(&password_min_length(
                &snap(iam(false, false, p(Some(10), None))),
                &lenient
            )),
            Some(true)
        );
    }

    #[test]
    fn unreadable_iam_is_an_error_not_a_pass() {
        let s = snap(Collected::Err("AccessDenied: no".into()));
        for c in CHECKS {
            let Eval::Account(f) = c.eval else {
                panic!("account check")
            };
            assert!(
                matches!(f(&s, &Settings::default()), CheckStatus::Error { .. }),
                "{}",
                c.meta.id
            );
        }
    }
}

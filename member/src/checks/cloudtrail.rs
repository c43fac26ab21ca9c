//! CloudTrail checks (account-level: a multi-region trail covers every region).

use super::{with, Check, Eval, Settings};
use crate::snapshot::{AccountSnapshot, Collected, Trail};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

pub const CHECKS: &[Check] = &[Check {
    meta: CheckMeta {
        id: "cloudtrail.multi-region-logging",
        title: "A multi-region CloudTrail trail is logging all management events",
        description: "Without a logging multi-region trail recording read and write management events, API activity in some regions goes unrecorded.",
        severity: Severity::High,
        scope: Scope::Account,
        security_control_id: Some("CloudTrail.1"),
        remediation: "Create a multi-region trail (or an organization trail), start logging, and record management events with ReadWriteType All.",
        remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-1",
    },
    eval: Eval::Account(multi_region_logging),
}];

/// Why a trail does not satisfy the requirement, or `Ok` when it does.
fn trail_gap(t: &Trail) -> Result<(), String> {
    if !t.is_multi_region {
        return Err(format!("trail {} is single-region", t.name));
    }
    match &t.is_logging {
        Collected::Ok(true) => {}
        Collected::Ok(false) => return Err(format!("trail {} is not logging", t.name)),
        Collected::Err(e) => return Err(format!("trail {} status unknown ({e})", t.name)),
    }
    match &t.management_events {
        Collected::Ok(m) if m.read && m.write => Ok(()),
        Collected::Ok(_) => Err(format!(
            "trail {} does not record both read and write management events",
            t.name
        )),
        Collected::Err(e) => Err(format!("trail {} event selectors unknown ({e})", t.name)),
    }
}

fn multi_region_logging(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    with(&s.cloudtrail, |ct| {
        let gaps: Vec<String> = ct
            .trails
            .iter()
            .filter_map(|t| trail_gap(t).err())
            .collect();
        let good = ct.trails.iter().find(|t| trail_gap(t).is_ok());
        // A trail whose status could not be read must not make the account look non-compliant
        // for sure, nor compliant: only decide when no good trail exists and every gap is known.
        let unknown = ct.trails.iter().any(|t| {
            t.is_multi_region
                && (matches!(t.is_logging, Collected::Err(_))
                    || matches!(t.management_events, Collected::Err(_)))
        });
        let (passed, reason) = match good {
            Some(t) => (
                true,
                format!(
                    "Trail {} is multi-region, logging, and records all management events.",
                    t.name
                ),
            ),
            None if unknown => {
                return CheckStatus::Error {
                    reason: gaps.join("; "),
                }
            }
            None if ct.trails.is_empty() => {
                (false, "The account has no CloudTrail trail.".to_string())
            }
            None => (false, format!("No compliant trail: {}.", gaps.join("; "))),
        };
        CheckStatus::Evaluated {
            verdicts: vec![Verdict {
                resource: ResourceRef::account(&s.account_id),
                passed,
                reason,
            }],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{CloudTrailSnapshot, IamSnapshot, ManagementEvents};

    fn trail(name: &str, multi: bool, logging: Collected<bool>, read: bool, write: bool) -> Trail {
        Trail {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:us-east-1:999988887777:trail/{name}"),
            home_region: "us-east-1".into(),
            is_multi_region: multi,
            is_organization_trail: false,
            log_file_validation: true,
            s3_bucket: Some("b".into()),
            kms_key_id: None,
            cloudwatch_logs_group_arn: None,
            is_logging: logging,
            management_events: Collected::Ok(ManagementEvents { read, write }),
        }
    }

    fn eval(trails: Vec<Trail>) -> CheckStatus {
        let s = AccountSnapshot {
            account_id: "111122223333".into(),
            partition: "aws".into(),
            iam: Collected::Ok(IamSnapshot {
                root_access_keys_present: false,
                root_mfa_enabled: true,
                password_policy: None,
            }),
            cloudtrail: Collected::Ok(CloudTrailSnapshot { trails }),
            credentials: Collected::Err("not collected".into()),
        };
        multi_region_logging(&s, &Settings::default())
    }

    fn passed(st: &CheckStatus) -> Option<bool> {
        match st {
            CheckStatus::Evaluated { verdicts } => Some(verdicts[0].passed),
            _ => None,
        }
    }

    #[test]
    fn needs_a_logging_multi_region_trail_with_all_management_events() {
        assert_eq!(passed(&eval(vec![])), Some(false));
        assert_eq!(
            passed(&eval(vec![trail(
                "a",
                false,
                Collected::Ok(true),
                true,
                true
            )])),
            Some(false)
        );
        assert_eq!(
            passed(&eval(vec![trail(
                "a",
                true,
                Collected::Ok(false),
                true,
                true
            )])),
            Some(false)
        );
        assert_eq!(
            passed(&eval(vec![trail(
                "a",
                true,
                Collected::Ok(true),
                false,
                true
            )])),
            Some(false)
        );
        assert_eq!(
            passed(&eval(vec![trail(
                "a",
                true,
                Collected::Ok(true),
                true,
                true
            )])),
            Some(true)
        );
        // One good trail among bad ones is enough.
        assert_eq!(
            passed(&eval(vec![
                trail("bad", false, Collected::Ok(true), true, true),
                trail("good", true, Collected::Ok(true), true, true)
            ])),
            Some(true)
        );
    }

    #[test]
    fn organization_trail_owned_by_another_account_counts() {
        let mut t = trail("org", true, Collected::Ok(true), true, true);
        t.is_organization_trail = true;
        assert_eq!(passed(&eval(vec![t])), Some(true));
    }

    #[test]
    fn unknown_status_is_an_error_not_a_verdict() {
        let st = eval(vec![trail(
            "a",
            true,
            Collected::Err("AccessDenied".into()),
            true,
            true,
        )]);
        assert!(matches!(st, CheckStatus::Error { .. }));
    }
}

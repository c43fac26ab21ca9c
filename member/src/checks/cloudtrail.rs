//! CloudTrail checks (account-level: a multi-region trail covers every region).

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::{AccountSnapshot, Collected, S3ObjectEvents, Trail};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

pub const CHECKS: &[Check] = &[
    Check {
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
},
    Check {
        meta: CheckMeta {
            id: "cloudtrail.log-file-validation",
            title: "CloudTrail log file validation is enabled",
            description: "Without digest files, deleted or altered log files cannot be detected.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("CloudTrail.4"),
            remediation: "Enable log file validation on the trail (cloudtrail:UpdateTrail --enable-log-file-validation).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-4",
        },
        eval: Eval::Account(log_file_validation),
    },
    Check {
        meta: CheckMeta {
            id: "cloudtrail.kms-encryption",
            title: "CloudTrail logs are encrypted at rest with a KMS key",
            description: "SSE-KMS adds key-policy control over who can read the logs.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("CloudTrail.2"),
            remediation: "Set a KMS key on the trail (cloudtrail:UpdateTrail --kms-key-id).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-2",
        },
        eval: Eval::Account(kms_encryption),
    },
    Check {
        meta: CheckMeta {
            id: "cloudtrail.s3-object-write-events",
            title: "A multi-region trail logs S3 object-level write events for all buckets",
            description: "Without object-level write events, uploads, overwrites and deletes of S3 objects leave no audit record.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("S3.22"),
            remediation: "Add a data event selector for AWS::S3::Object on all buckets (WriteOnly or All) to a logging multi-region trail.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-22",
        },
        eval: Eval::Account(s3_object_writes),
    },
    Check {
        meta: CheckMeta {
            id: "cloudtrail.s3-object-read-events",
            title: "A multi-region trail logs S3 object-level read events for all buckets",
            description: "Without object-level read events, who downloaded which S3 object cannot be established.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("S3.23"),
            remediation: "Add a data event selector for AWS::S3::Object on all buckets (ReadOnly or All) to a logging multi-region trail.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-23",
        },
        eval: Eval::Account(s3_object_reads),
    },
];

fn s3_object_writes(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    s3_object_events(s, "write", |e| e.write_all_buckets)
}

fn s3_object_reads(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    s3_object_events(s, "read", |e| e.read_all_buckets)
}

/// Passes when one logging multi-region trail records the events for every bucket; an
/// unreadable status or selector on a multi-region trail makes a miss undecidable.
fn s3_object_events(
    s: &AccountSnapshot,
    what: &str,
    covers: fn(&S3ObjectEvents) -> bool,
) -> CheckStatus {
    with(&s.cloudtrail, |ct| {
        let multi: Vec<&Trail> = ct.trails.iter().filter(|t| t.is_multi_region).collect();
        let good = multi.iter().find(|t| {
            matches!(t.is_logging, Collected::Ok(true))
                && matches!(&t.s3_object_events, Collected::Ok(e) if covers(e))
        });
        let unknown: Vec<String> = multi
            .iter()
            .filter_map(|t| match (&t.is_logging, &t.s3_object_events) {
                (Collected::Err(e), _) | (_, Collected::Err(e)) => {
                    Some(format!("trail {}: {e}", t.name))
                }
                _ => None,
            })
            .collect();
        let (passed, reason) = match good {
            Some(t) => (
                true,
                format!("Trail {} logs S3 object-level {what} events for all buckets.", t.name),
            ),
            None if !unknown.is_empty() => {
                return CheckStatus::Error {
                    reason: unknown.join("; "),
                }
            }
            None if multi.is_empty() => (
                false,
                "No multi-region trail exists to log S3 object-level events.".to_string(),
            ),
            None => (
                false,
                format!("No logging multi-region trail records S3 object-level {what} events for all buckets."),
            ),
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

/// Trails this account owns (organization trails of the management account are judged there).
fn owned_trails<'a>(
    s: &'a AccountSnapshot,
    trails: &'a [Trail],
) -> impl Iterator<Item = &'a Trail> {
    trails.iter().filter(move |t| {
        t.arn
            .split(':')
            .nth(4)
            .is_none_or(|owner| owner == s.account_id)
    })
}

fn per_trail(s: &AccountSnapshot, f: impl Fn(&Trail) -> Result<String, String>) -> CheckStatus {
    with(&s.cloudtrail, |ct| CheckStatus::Evaluated {
        verdicts: owned_trails(s, &ct.trails)
            .map(|t| {
                let (passed, reason) = match f(t) {
                    Ok(r) => (true, r),
                    Err(r) => (false, r),
                };
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsCloudTrailTrail".into(),
                        id: t.arn.clone(),
                        region: Some(t.home_region.clone()),
                    },
                    passed,
                    reason,
                }
            })
            .collect(),
    })
}

fn log_file_validation(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    per_trail(s, |t| {
        if t.log_file_validation {
            Ok(format!("Trail {} validates its log files.", t.name))
        } else {
            Err(format!("Trail {} has log file validation off.", t.name))
        }
    })
}

fn kms_encryption(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    per_trail(s, |t| match &t.kms_key_id {
        Some(k) if !k.is_empty() => Ok(format!("Trail {} is encrypted with {k}.", t.name)),
        _ => Err(format!(
            "Trail {} logs are not encrypted with a KMS key.",
            t.name
        )),
    })
}

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
            include_global_service_events: false,
            s3_bucket: Some("b".into()),
            kms_key_id: None,
            cloudwatch_logs_group_arn: None,
            is_logging: logging,
            management_events: Collected::Ok(ManagementEvents { read, write }),
            s3_object_events: Collected::Ok(S3ObjectEvents::default()),
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
            authorization: Collected::Err("not collected".into()),
            monitoring: Collected::Err("not collected".into()),
            ..AccountSnapshot::empty("111122223333")
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
    fn per_trail_settings_skip_trails_owned_elsewhere() {
        let mut own = trail("own", true, Collected::Ok(true), true, true);
        own.arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/own".into();
        own.log_file_validation = false;
        let mut org = trail("org", true, Collected::Ok(true), true, true);
        org.is_organization_trail = true; // owned by 999988887777
        org.log_file_validation = false;
        let mut keyed = own.clone();
        keyed.name = "keyed".into();
        keyed.arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/keyed".into();
        keyed.log_file_validation = true;
        keyed.kms_key_id = Some("arn:aws:kms:us-east-1:111122223333:key/1".into());
        let s = AccountSnapshot {
            account_id: "111122223333".into(),
            partition: "aws".into(),
            iam: Collected::Ok(IamSnapshot {
                root_access_keys_present: false,
                root_mfa_enabled: true,
                password_policy: None,
            }),
            cloudtrail: Collected::Ok(CloudTrailSnapshot {
                trails: vec![own, org, keyed],
            }),
            credentials: Collected::Err("not collected".into()),
            authorization: Collected::Err("not collected".into()),
            monitoring: Collected::Err("not collected".into()),
            ..AccountSnapshot::empty("111122223333")
        };
        let fails = |st: CheckStatus| match st {
            CheckStatus::Evaluated { verdicts } => {
                assert_eq!(
                    verdicts.len(),
                    2,
                    "organization trail of another account is not judged here"
                );
                verdicts
                    .iter()
                    .filter(|v| !v.passed)
                    .map(|v| v.resource.id.rsplit('/').next().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fails(log_file_validation(&s, &Settings::default())),
            vec!["own"]
        );
        assert_eq!(fails(kms_encryption(&s, &Settings::default())), vec!["own"]);
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

    #[test]
    fn s3_object_events_need_a_logging_multi_region_trail_covering_all_buckets() {
        let d = Settings::default();
        let with_events = |mut t: Trail, read: bool, write: bool| {
            t.s3_object_events = Collected::Ok(S3ObjectEvents {
                read_all_buckets: read,
                write_all_buckets: write,
            });
            t
        };
        let run = |trails: Vec<Trail>| {
            let s = AccountSnapshot {
                cloudtrail: Collected::Ok(CloudTrailSnapshot { trails }),
                ..AccountSnapshot::empty("111122223333")
            };
            (
                passed(&s3_object_writes(&s, &d)),
                passed(&s3_object_reads(&s, &d)),
            )
        };
        let good = || trail("a", true, Collected::Ok(true), true, true);
        assert_eq!(run(vec![]), (Some(false), Some(false)));
        assert_eq!(run(vec![good()]), (Some(false), Some(false)));
        assert_eq!(
            run(vec![with_events(good(), false, true)]),
            (Some(true), Some(false))
        );
        assert_eq!(
            run(vec![with_events(good(), true, false)]),
            (Some(false), Some(true))
        );
        assert_eq!(
            run(vec![with_events(good(), true, true)]),
            (Some(true), Some(true))
        );
        // Single-region or stopped trails do not count.
        let single = with_events(
            trail("s", false, Collected::Ok(true), true, true),
            true,
            true,
        );
        assert_eq!(run(vec![single]), (Some(false), Some(false)));
        let stopped = with_events(
            trail("s", true, Collected::Ok(false), true, true),
            true,
            true,
        );
        assert_eq!(run(vec![stopped]), (Some(false), Some(false)));
        // Unreadable selectors: an error unless another trail already passes.
        let mut unknown = good();
        unknown.s3_object_events = Collected::Err("GetEventSelectors: AccessDenied".into());
        assert_eq!(run(vec![unknown.clone()]), (None, None));
        assert_eq!(
            run(vec![unknown, with_events(good(), true, true)]),
            (Some(true), Some(true))
        );
        assert_eq!(
            passed(&s3_object_writes(&AccountSnapshot::empty("1"), &d)),
            None
        );
    }
}

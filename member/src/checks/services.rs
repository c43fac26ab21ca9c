//! Regional service checks: AWS Config recording (3.3), Security Hub enabled (4.16) and IAM
//! Access Analyzer (1.20).

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::{ConfigRecorder, RegionSnapshot};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

pub const CHECKS: &[Check] = &[
    Check {
        meta: CheckMeta {
            id: "config.recorder-enabled",
            title: "AWS Config records all supported resources in this region",
            description: "Without a recording AWS Config, configuration history and change evaluation are missing for the region.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("Config.1"),
            remediation: "Create a configuration recorder recording all supported resource types, a delivery channel, and start recording.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/config-controls.html#config-1",
        },
        eval: Eval::Region(config_recorder),
    },
    Check {
        meta: CheckMeta {
            id: "config.global-resource-types",
            title: "AWS Config records global resource types in at least one region",
            description: "IAM users, groups, roles and policies are global: unless one region's recorder includes global resource types, their configuration history is not recorded anywhere.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("Config.1"),
            remediation: "In one region (usually the home region), set the recorder's recording group to all supported resource types with includeGlobalResourceTypes true.",
            remediation_url: "https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html",
        },
        eval: Eval::Regions(config_global_types),
    },
    Check {
        meta: CheckMeta {
            id: "securityhub.enabled",
            title: "AWS Security Hub is enabled in this region",
            description: "Security Hub aggregates findings; a region without it has no central view.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: None,
            remediation: "Enable Security Hub in the region (or from the delegated administrator for the organization).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-settingup.html",
        },
        eval: Eval::Region(securityhub_enabled),
    },
    Check {
        meta: CheckMeta {
            id: "accessanalyzer.enabled",
            title: "IAM Access Analyzer is enabled in this region",
            description: "Access Analyzer finds resources shared outside the account or organization; it works per region.",
            severity: Severity::Low,
            scope: Scope::Region,
            security_control_id: Some("IAM.28"),
            remediation: "Create an account (or organization) analyzer in the region (access-analyzer:CreateAnalyzer).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-28",
        },
        eval: Eval::Region(access_analyzer),
    },
];

fn access_analyzer(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.access_analyzers, |analyzers| {
        // External-access analyzers; the unused-access kinds do not answer CIS 1.20.
        let active = analyzers
            .iter()
            .find(|a| a.status == "ACTIVE" && (a.kind == "ACCOUNT" || a.kind == "ORGANIZATION"));
        let (passed, reason) = match (active, analyzers.first()) {
            (Some(a), _) => (
                true,
                format!(
                    "Analyzer {} ({}) is active in {}.",
                    a.name, a.kind, s.region
                ),
            ),
            (None, None) => (false, format!("No IAM Access Analyzer in {}.", s.region)),
            (None, Some(_)) => (
                false,
                format!(
                    "No active account or organization analyzer in {} ({}).",
                    s.region,
                    analyzers
                        .iter()
                        .map(|a| format!("{}: {} {}", a.name, a.kind, a.status))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        };
        CheckStatus::Evaluated {
            verdicts: vec![Verdict {
                resource: region_resource(s),
                passed,
                reason,
            }],
        }
    })
}

fn region_resource(s: &RegionSnapshot) -> ResourceRef {
    ResourceRef {
        kind: "AwsAccount".into(),
        id: rampart_common::arn::account(&s.account_id),
        region: Some(s.region.clone()),
    }
}

fn config_recorder(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.config_recorders, |recorders: &Vec<ConfigRecorder>| {
        // The emulator (and a just-started recorder) reports PENDING; only FAILURE is held against it.
        let good = recorders.iter().find(|r| {
            r.all_supported && r.recording && r.last_status.as_deref() != Some("FAILURE")
        });
        let (passed, reason) = match (good, recorders.first()) {
            (Some(r), _) => (
                true,
                format!(
                    "Recorder {} records all supported resources in {}.",
                    r.name, s.region
                ),
            ),
            (None, None) => (false, format!("No AWS Config recorder in {}.", s.region)),
            (None, Some(r)) => (
                false,
                format!(
                    "Recorder {} in {}: all_supported={}, recording={}, last_status={}.",
                    r.name,
                    s.region,
                    r.all_supported,
                    r.recording,
                    r.last_status.as_deref().unwrap_or("unknown")
                ),
            ),
        };
        CheckStatus::Evaluated {
            verdicts: vec![Verdict {
                resource: region_resource(s),
                passed,
                reason,
            }],
        }
    })
}

/// Whether a recorder records IAM's global resource types: all supported types with
/// includeGlobalResourceTypes, or an inclusion list naming IAM types.
pub fn records_global_types(r: &ConfigRecorder) -> bool {
    let all_supported =
        r.all_supported || r.strategy.as_deref() == Some("ALL_SUPPORTED_RESOURCE_TYPES");
    let listed = r.resource_types.iter().any(|t| t.starts_with("AWS::IAM::"));
    r.recording
        && r.last_status.as_deref() != Some("FAILURE")
        && ((all_supported && r.include_global_resource_types) || listed)
}

fn config_global_types(regions: &[&RegionSnapshot], _: &Settings) -> CheckStatus {
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    for s in regions {
        match &s.config_recorders {
            crate::snapshot::Collected::Ok(recs) => {
                if let Some(r) = recs.iter().find(|r| records_global_types(r)) {
                    let Some(first) = regions.first() else {
                        break;
                    };
                    return CheckStatus::Evaluated {
                        verdicts: vec![Verdict {
                            resource: ResourceRef::account(&first.account_id),
                            passed: true,
                            reason: format!(
                                "Recorder {} in {} records global resource types.",
                                r.name, s.region
                            ),
                        }],
                    };
                }
                seen.push(s.region.as_str());
            }
            crate::snapshot::Collected::Err(e) => errors.push(format!("{}: {e}", s.region)),
        }
    }
    let Some(first) = regions.first() else {
        return CheckStatus::NotAvailable {
            reason: "no region was assessed".into(),
        };
    };
    if !errors.is_empty() {
        // A region that could not be read might be the one recording global types.
        return CheckStatus::Error {
            reason: errors.join("; "),
        };
    }
    CheckStatus::Evaluated {
        verdicts: vec![Verdict {
            resource: ResourceRef::account(&first.account_id),
            passed: false,
            reason: format!(
                "No recording AWS Config recorder includes global resource types in any assessed region ({}).",
                seen.join(", ")
            ),
        }],
    }
}

fn securityhub_enabled(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.securityhub_enabled, |on: &bool| {
        let reason = if *on {
            "Security Hub is enabled"
        } else {
            "Security Hub is not enabled"
        };
        CheckStatus::Evaluated {
            verdicts: vec![Verdict {
                resource: region_resource(s),
                passed: *on,
                reason: format!("{reason} in {}.", s.region),
            }],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Collected, Ec2Snapshot};

    fn snap(recorders: Collected<Vec<ConfigRecorder>>, hub: Collected<bool>) -> RegionSnapshot {
        RegionSnapshot {
            ec2: Collected::Ok(Ec2Snapshot {
                ebs_encryption_by_default: true,
                security_groups: vec![],
                network_acls: vec![],
                vpcs: vec![],
                flow_log_resources: vec![],
                instances: vec![],
            }),
            securityhub_enabled: hub,
            config_recorders: recorders,
            ..RegionSnapshot::empty("111122223333", "eu-west-1")
        }
    }

    fn analyzer(kind: &str, status: &str) -> crate::snapshot::Analyzer {
        crate::snapshot::Analyzer {
            name: "a".into(),
            arn: "arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/a".into(),
            kind: kind.into(),
            status: status.into(),
        }
    }

    #[test]
    fn access_analyzer_states() {
        let d = Settings::default();
        let mut s = snap(Collected::Ok(vec![]), Collected::Ok(true));
        assert_eq!(passed(&access_analyzer(&s, &d)), None, "unread is an error");
        s.access_analyzers = Collected::Ok(vec![]);
        assert_eq!(passed(&access_analyzer(&s, &d)), Some(false));
        s.access_analyzers = Collected::Ok(vec![analyzer("ACCOUNT", "ACTIVE")]);
        assert_eq!(passed(&access_analyzer(&s, &d)), Some(true));
        s.access_analyzers = Collected::Ok(vec![analyzer("ORGANIZATION", "ACTIVE")]);
        assert_eq!(passed(&access_analyzer(&s, &d)), Some(true));
        s.access_analyzers = Collected::Ok(vec![
            analyzer("ACCOUNT", "CREATING"),
            analyzer("ACCOUNT_UNUSED_ACCESS", "ACTIVE"),
        ]);
        assert_eq!(passed(&access_analyzer(&s, &d)), Some(false));
        s.access_analyzers = Collected::Err("access-analyzer:ListAnalyzers: 500".into());
        assert_eq!(passed(&access_analyzer(&s, &d)), None);
    }

    fn rec(all: bool, recording: bool, status: &str) -> ConfigRecorder {
        ConfigRecorder {
            name: "default".into(),
            all_supported: all,
            include_global_resource_types: true,
            strategy: None,
            resource_types: vec![],
            recording,
            last_status: Some(status.into()),
            role_arn: None,
        }
    }

    fn passed(st: &CheckStatus) -> Option<bool> {
        match st {
            CheckStatus::Evaluated { verdicts } => Some(verdicts[0].passed),
            _ => None,
        }
    }

    #[test]
    fn global_resource_types_need_one_region_recording_them() {
        let d = Settings::default();
        let hub = || Collected::Ok(true);
        let mut local = rec(true, true, "SUCCESS");
        local.include_global_resource_types = false;
        let a = snap(Collected::Ok(vec![local.clone()]), hub());
        let mut b = snap(Collected::Ok(vec![rec(true, true, "SUCCESS")]), hub());
        b.region = "us-east-1".into();
        // Neither region records global types: failed, naming the regions.
        let st = config_global_types(&[&a, &a], &d);
        assert_eq!(passed(&st), Some(false));
        // One region does: passed (the benchmark asks for global types once per account).
        assert_eq!(passed(&config_global_types(&[&a, &b], &d)), Some(true));
        // An inclusion list with IAM types also records them.
        let mut listed = local.clone();
        listed.all_supported = false;
        listed.resource_types = vec!["AWS::IAM::User".into(), "AWS::IAM::Role".into()];
        let c = snap(Collected::Ok(vec![listed]), hub());
        assert_eq!(passed(&config_global_types(&[&c], &d)), Some(true));
        // A recorder that is stopped records nothing.
        let mut stopped = rec(true, false, "SUCCESS");
        stopped.include_global_resource_types = true;
        let e = snap(Collected::Ok(vec![stopped]), hub());
        assert_eq!(passed(&config_global_types(&[&e], &d)), Some(false));
        // A region that could not be read might be the one: an error, never a failure or pass.
        let err = snap(Collected::Err("denied".into()), hub());
        assert!(matches!(
            config_global_types(&[&a, &err], &d),
            CheckStatus::Error { .. }
        ));
        assert!(matches!(
            config_global_types(&[], &d),
            CheckStatus::NotAvailable { .. }
        ));
    }

    #[test]
    fn config_recorder_states() {
        let d = Settings::default();
        let hub = || Collected::Ok(true);
        assert_eq!(
            passed(&config_recorder(&snap(Collected::Ok(vec![]), hub()), &d)),
            Some(false)
        );
        assert_eq!(
            passed(&config_recorder(
                &snap(Collected::Ok(vec![rec(true, true, "PENDING")]), hub()),
                &d
            )),
            Some(true)
        );
        assert_eq!(
            passed(&config_recorder(
                &snap(Collected::Ok(vec![rec(true, false, "SUCCESS")]), hub()),
                &d
            )),
            Some(false)
        );
        assert_eq!(
            passed(&config_recorder(
                &snap(Collected::Ok(vec![rec(false, true, "SUCCESS")]), hub()),
                &d
            )),
            Some(false)
        );
        assert_eq!(
            passed(&config_recorder(
                &snap(Collected::Ok(vec![rec(true, true, "FAILURE")]), hub()),
                &d
            )),
            Some(false)
        );
        assert_eq!(
            passed(&config_recorder(
                &snap(Collected::Err("denied".into()), hub()),
                &d
            )),
            None
        );
    }

    #[test]
    fn securityhub_states() {
        let d = Settings::default();
        let none = || Collected::Ok(vec![]);
        assert_eq!(
            passed(&securityhub_enabled(&snap(none(), Collected::Ok(true)), &d)),
            Some(true)
        );
        assert_eq!(
            passed(&securityhub_enabled(
                &snap(none(), Collected::Ok(false)),
                &d
            )),
            Some(false)
        );
        assert_eq!(
            passed(&securityhub_enabled(
                &snap(none(), Collected::Err("x".into())),
                &d
            )),
            None
        );
    }
}

//! Regional data-store checks: RDS encryption, minor-version upgrades and public access
//! (2.3.1-2.3.3), EFS encryption (2.4.1), KMS key rotation (3.6).

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::{Collected, DbInstance, RegionSnapshot};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

pub const CHECKS: &[Check] = &[
    Check {
        meta: CheckMeta {
            id: "rds.storage-encrypted",
            title: "RDS DB instances are encrypted at rest",
            description: "Unencrypted storage, snapshots and backups expose data to anyone who obtains the underlying volumes.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("RDS.3"),
            remediation: "Encryption cannot be turned on in place: restore an encrypted copy of a snapshot and switch over.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-3",
        },
        eval: Eval::Region(rds_encrypted),
    },
    Check {
        meta: CheckMeta {
            id: "rds.auto-minor-version-upgrade",
            title: "RDS DB instances apply minor version upgrades automatically",
            description: "Minor versions carry security fixes; without automatic upgrades they wait for someone to remember.",
            severity: Severity::High,
            scope: Scope::Region,
            security_control_id: Some("RDS.13"),
            remediation: "Modify the instance with --auto-minor-version-upgrade.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-13",
        },
        eval: Eval::Region(rds_minor_upgrades),
    },
    Check {
        meta: CheckMeta {
            id: "rds.not-publicly-accessible",
            title: "RDS DB instances are not publicly accessible",
            description: "A publicly accessible instance gets a public DNS name reachable from the internet wherever its network allows it.",
            severity: Severity::Critical,
            scope: Scope::Region,
            security_control_id: Some("RDS.2"),
            remediation: "Modify the instance with --no-publicly-accessible and keep it in private subnets.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-2",
        },
        eval: Eval::Region(rds_private),
    },
    Check {
        meta: CheckMeta {
            id: "rds.multi-az",
            title: "RDS DB instances use Multi-AZ deployments",
            description: "A Multi-AZ instance keeps a standby in another Availability Zone and fails over to it; a single-AZ instance is down while its zone is.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("RDS.5"),
            remediation: "Modify the instance with --multi-az (Aurora: add a replica in another Availability Zone to the cluster).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-5",
        },
        eval: Eval::Region(rds_multi_az),
    },
    Check {
        meta: CheckMeta {
            id: "efs.encrypted",
            title: "EFS file systems are encrypted at rest",
            description: "Unencrypted file systems expose data on the underlying storage.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("EFS.1"),
            remediation: "Encryption is set at creation: create an encrypted file system and copy the data (AWS DataSync).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/efs-controls.html#efs-1",
        },
        eval: Eval::Region(efs_encrypted),
    },
    Check {
        meta: CheckMeta {
            id: "kms.cmk-rotation",
            title: "Customer managed symmetric KMS keys rotate automatically",
            description: "Rotation limits how much data one key version protects and how long a leaked version stays useful.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("KMS.4"),
            remediation: "Enable rotation on the key (kms:EnableKeyRotation).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html#kms-4",
        },
        eval: Eval::Region(kms_rotation),
    },
];

fn per_instance(
    s: &RegionSnapshot,
    ok: impl Fn(&DbInstance) -> bool,
    pass: &str,
    fail: &str,
) -> CheckStatus {
    with(&s.rds_instances, |dbs| CheckStatus::Evaluated {
        verdicts: dbs
            .iter()
            .map(|d| {
                let passed = ok(d);
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsRdsDbInstance".into(),
                        id: d.arn.clone(),
                        region: Some(s.region.clone()),
                    },
                    passed,
                    reason: format!("DB instance {} {}.", d.id, if passed { pass } else { fail }),
                }
            })
            .collect(),
    })
}

fn rds_encrypted(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    per_instance(
        s,
        |d| d.storage_encrypted,
        "is encrypted at rest",
        "is not encrypted at rest",
    )
}

fn rds_minor_upgrades(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    per_instance(
        s,
        |d| d.auto_minor_version_upgrade,
        "upgrades minor versions automatically",
        "has automatic minor version upgrades off",
    )
}

fn rds_private(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    per_instance(
        s,
        |d| !d.publicly_accessible,
        "is not publicly accessible",
        "is publicly accessible",
    )
}

/// Aurora instances are judged by their cluster's replicas, which DescribeDBInstances does not
/// answer for the instance: they are left out here.
fn rds_multi_az(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.rds_instances, |dbs| CheckStatus::Evaluated {
        verdicts: dbs
            .iter()
            .filter(|d| !d.engine.starts_with("aurora"))
            .map(|d| Verdict {
                resource: ResourceRef {
                    kind: "AwsRdsDbInstance".into(),
                    id: d.arn.clone(),
                    region: Some(s.region.clone()),
                },
                passed: d.multi_az,
                reason: format!(
                    "DB instance {} is a {} deployment.",
                    d.id,
                    if d.multi_az { "Multi-AZ" } else { "single-AZ" }
                ),
            })
            .collect(),
    })
}

fn efs_encrypted(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.efs_file_systems, |fss| CheckStatus::Evaluated {
        verdicts: fss
            .iter()
            .map(|f| Verdict {
                resource: ResourceRef {
                    kind: "AwsEfsFileSystem".into(),
                    id: f.arn.clone(),
                    region: Some(s.region.clone()),
                },
                passed: f.encrypted,
                reason: format!(
                    "EFS file system {} is {}encrypted at rest.",
                    f.id,
                    if f.encrypted { "" } else { "not " }
                ),
            })
            .collect(),
    })
}

fn kms_rotation(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.kms_keys, |keys| {
        let mut verdicts = Vec::new();
        let mut unknown = Vec::new();
        for k in keys.iter().filter(|k| k.rotation_applies()) {
            let on = match &k.rotation_enabled {
                Some(Collected::Ok(on)) => *on,
                Some(Collected::Err(e)) => {
                    unknown.push(e.to_string());
                    continue;
                }
                None => {
                    unknown.push(format!("rotation status of key {} was not read", k.id));
                    continue;
                }
            };
            verdicts.push(Verdict {
                resource: ResourceRef {
                    kind: "AwsKmsKey".into(),
                    id: k.arn_in(&s.partition, &s.region, &s.account_id),
                    region: Some(s.region.clone()),
                },
                passed: on,
                reason: format!(
                    "KMS key {} has automatic rotation {}.",
                    k.id,
                    if on { "enabled" } else { "disabled" }
                ),
            });
        }
        if unknown.is_empty() {
            CheckStatus::Evaluated { verdicts }
        } else {
            CheckStatus::Error {
                reason: unknown.join("; "),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{FileSystem, KmsKey};

    fn db(id: &str, enc: bool, minor: bool, public: bool) -> DbInstance {
        DbInstance {
            id: id.into(),
            arn: format!("arn:aws:rds:eu-west-1:111122223333:db:{id}"),
            engine: "postgres".into(),
            storage_encrypted: enc,
            auto_minor_version_upgrade: minor,
            publicly_accessible: public,
            multi_az: false,
            deletion_protection: false,
            cluster: None,
            tags: Default::default(),
        }
    }

    fn results(st: &CheckStatus) -> Option<Vec<(String, bool)>> {
        match st {
            CheckStatus::Evaluated { verdicts } => Some(
                verdicts
                    .iter()
                    .map(|v| {
                        (
                            v.resource
                                .id
                                .rsplit(['/', ':'])
                                .next()
                                .unwrap_or("")
                                .to_string(),
                            v.passed,
                        )
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    fn snap() -> RegionSnapshot {
        RegionSnapshot::empty("111122223333", "eu-west-1")
    }

    #[test]
    fn rds_checks_judge_each_instance() {
        let d = Settings::default();
        let mut s = snap();
        for f in [rds_encrypted, rds_minor_upgrades, rds_private] {
            assert_eq!(results(&f(&s, &d)), None, "unread is an error");
        }
        s.rds_instances = Collected::Ok(vec![]);
        assert_eq!(results(&rds_encrypted(&s, &d)), Some(vec![]));
        s.rds_instances = Collected::Ok(vec![
            db("good", true, true, false),
            db("bad", false, false, true),
        ]);
        let want = Some(vec![("good".to_string(), true), ("bad".to_string(), false)]);
        assert_eq!(results(&rds_encrypted(&s, &d)), want);
        assert_eq!(results(&rds_minor_upgrades(&s, &d)), want);
        assert_eq!(results(&rds_private(&s, &d)), want);
        s.rds_instances = Collected::Ok(vec![db("mixed", true, false, true)]);
        assert_eq!(
            results(&rds_encrypted(&s, &d)),
            Some(vec![("mixed".into(), true)])
        );
        assert_eq!(
            results(&rds_minor_upgrades(&s, &d)),
            Some(vec![("mixed".into(), false)])
        );
        assert_eq!(
            results(&rds_private(&s, &d)),
            Some(vec![("mixed".into(), false)])
        );
        if let CheckStatus::Evaluated { verdicts } = rds_private(&s, &d) {
            assert_eq!(verdicts[0].resource.kind, "AwsRdsDbInstance");
        }
    }

    #[test]
    fn efs_encryption() {
        let d = Settings::default();
        let mut s = snap();
        assert_eq!(results(&efs_encrypted(&s, &d)), None);
        s.efs_file_systems = Collected::Ok(vec![
            FileSystem {
                id: "fs-1".into(),
                arn: "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-1".into(),
                encrypted: true,
            },
            FileSystem {
                id: "fs-2".into(),
                arn: "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-2".into(),
                encrypted: false,
            },
        ]);
        assert_eq!(
            results(&efs_encrypted(&s, &d)),
            Some(vec![("fs-1".into(), true), ("fs-2".into(), false)])
        );
    }

    fn key(
        id: &str,
        manager: &str,
        spec: &str,
        state: &str,
        rot: Option<Collected<bool>>,
    ) -> KmsKey {
        KmsKey {
            id: id.into(),
            arn: format!("arn:aws:kms:eu-west-1:111122223333:key/{id}"),
            manager: manager.into(),
            spec: spec.into(),
            state: state.into(),
            origin: "AWS_KMS".into(),
            rotation_enabled: rot,
        }
    }

    #[test]
    fn kms_rotation_covers_customer_symmetric_enabled_keys_only() {
        let d = Settings::default();
        let mut s = snap();
        assert_eq!(results(&kms_rotation(&s, &d)), None);
        s.kms_keys = Collected::Ok(vec![
            key(
                "on",
                "CUSTOMER",
                "SYMMETRIC_DEFAULT",
                "Enabled",
                Some(Collected::Ok(true)),
            ),
            key(
                "off",
                "CUSTOMER",
                "SYMMETRIC_DEFAULT",
                "Enabled",
                Some(Collected::Ok(false)),
            ),
            key("aws", "AWS", "SYMMETRIC_DEFAULT", "Enabled", None),
            key("rsa", "CUSTOMER", "RSA_2048", "Enabled", None),
            key(
                "gone",
                "CUSTOMER",
                "SYMMETRIC_DEFAULT",
                "PendingDeletion",
                None,
            ),
        ]);
        assert_eq!(
            results(&kms_rotation(&s, &d)),
            Some(vec![("on".into(), true), ("off".into(), false)])
        );
        // An imported-material key cannot rotate automatically: not covered.
        let mut imported = key("ext", "CUSTOMER", "SYMMETRIC_DEFAULT", "Enabled", None);
        imported.origin = "EXTERNAL".into();
        s.kms_keys = Collected::Ok(vec![imported]);
        assert_eq!(results(&kms_rotation(&s, &d)), Some(vec![]));
        // A covered key whose status could not be read makes the check an error.
        s.kms_keys = Collected::Ok(vec![
            key(
                "on",
                "CUSTOMER",
                "SYMMETRIC_DEFAULT",
                "Enabled",
                Some(Collected::Ok(true)),
            ),
            key(
                "denied",
                "CUSTOMER",
                "SYMMETRIC_DEFAULT",
                "Enabled",
                Some(Collected::Err("AccessDenied".into())),
            ),
        ]);
        assert!(
            matches!(kms_rotation(&s, &d), CheckStatus::Error { reason } if reason.contains("AccessDenied"))
        );
    }
}

//! Control remediations inside one member account: the registry of remedies, each one file
//! beside the checks it answers.
//!
//! Every remedy works in three steps that never mix: `plan` reads the account and returns the
//! exact change it would make to each offending resource with the state it found (`prior`);
//! `apply` makes that one change; `undo` puts `prior` back. Plans skip exempt resources (the
//! exemption tag, `response.remediation_exempt`, protected principals) with a reason, and a
//! resource already compliant plans nothing, so running a remedy twice changes nothing twice.
//! No remedy deletes data or principals: keys are deactivated, rules revoked one by one,
//! policies restored.
//!
//! Adding a remedy: its own file (a [`Remedy`] constant with its plan, apply and undo), its
//! `mod` line and one entry in [`REMEDIES`]. The hub decides whether and where a remedy runs
//! (trust, leases, budgets, audit); it reaches remedies only through this registry and
//! [`engine`].

mod access_keys;
mod apigateway_cache_encryption;
mod athena_workgroup_metrics;
pub mod authority;
mod cloudtrail;
mod codebuild_privileged;
mod config;
pub mod docs;
mod dynamodb_protection;
mod ebs_snapshot_public;
mod ec2_settings;
mod ec2_transit_gateway;
mod ecr_scan_on_push;
mod elasticache_settings;
pub mod engine;
pub mod finding_update;
mod guardduty_enabled;
mod kms;
mod lambda_public_policy;
pub mod listing;
mod log_retention;
pub mod manual;
mod metric_alarms;
mod nacl;
mod password_policy;
mod rds_cluster_settings;
mod rds_instance_settings;
mod rds_snapshot_public;
mod redshift_settings;
pub mod remedy;
mod s3;
mod s3_default_encryption;
mod s3_tls;
mod security_groups;
mod sns_encryption;
mod sqs_encryption;
mod ssm_document_public;
mod subnet_public_ip;

pub use crate::act::{Action, Change, Planned};
pub use remedy::{Fixes, Remedy, Request, Scope};

/// Every remedy.
pub const REMEDIES: &[Remedy] = &[
    security_groups::ADMIN_PORTS_REMEDY,
    security_groups::DEFAULT_GROUP,
    nacl::ADMIN_PORTS,
    password_policy::REMEDY,
    ec2_settings::EBS_DEFAULT_ENCRYPTION,
    ec2_settings::IMDSV2,
    s3::BLOCK_PUBLIC_ACCESS,
    s3::ACCOUNT_BLOCK_PUBLIC_ACCESS,
    s3::TLS_ONLY,
    kms::ROTATION,
    cloudtrail::LOG_FILE_VALIDATION,
    cloudtrail::MULTI_REGION,
    access_keys::REMEDY,
    config::RECORDER,
    rds_instance_settings::NOT_PUBLIC,
    rds_instance_settings::MINOR_VERSION_UPGRADE,
    rds_instance_settings::INSTANCE_DELETION_PROTECTION,
    rds_cluster_settings::CLUSTER_DELETION_PROTECTION,
    rds_cluster_settings::CLUSTER_COPY_TAGS,
    rds_snapshot_public::SNAPSHOT_NOT_PUBLIC,
    sqs_encryption::REMEDY,
    sns_encryption::REMEDY,
    dynamodb_protection::REMEDY,
    subnet_public_ip::REMEDY,
    ebs_snapshot_public::REMEDY,
    s3_default_encryption::REMEDY,
    metric_alarms::REMEDY,
    log_retention::REMEDY,
    ec2_transit_gateway::REMEDY,
    ssm_document_public::REMEDY,
    codebuild_privileged::REMEDY,
    athena_workgroup_metrics::REMEDY,
    apigateway_cache_encryption::REMEDY,
    guardduty_enabled::REMEDY,
    ecr_scan_on_push::REMEDY,
    lambda_public_policy::REMEDY,
    redshift_settings::NOT_PUBLIC,
    redshift_settings::AUTOMATED_SNAPSHOTS,
    redshift_settings::MAJOR_VERSION_UPGRADE,
    elasticache_settings::AUTOMATIC_BACKUPS,
    elasticache_settings::MINOR_VERSION_UPGRADE,
];

/// The remedy of a Security Hub control id (`EC2.53`), if Rampart has one.
pub fn for_control(control: &str) -> Option<&'static Remedy> {
    REMEDIES.iter().find(|r| r.fixes_control(control))
}

/// The remedy of a Rampart check id (`ec2.sg-admin-ports-ipv4`), if any.
pub fn for_check(check: &str) -> Option<&'static Remedy> {
    REMEDIES.iter().find(|r| r.checks().contains(&check))
}

/// The remedy by its stable name (undo records).
pub fn by_id(id: &str) -> Option<&'static Remedy> {
    REMEDIES.iter().find(|r| r.id == id)
}

/// Every IAM action the remedies need, per remedy.
pub fn permissions() -> Vec<rampart_common::Permissions> {
    REMEDIES.iter().map(|r| r.permissions).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_remedy_is_reachable_and_declares_permissions() {
        for r in REMEDIES {
            assert!(!r.permissions.actions.is_empty(), "{}", r.id);
            assert!(by_id(r.id).is_some());
            assert!(!r.controls().is_empty(), "{} fixes no control", r.id);
            for c in r.controls() {
                assert_eq!(for_control(c).map(|x| x.id), Some(r.id), "{c}");
            }
            for c in r.checks() {
                assert!(
                    crate::checks::by_id(c).is_some(),
                    "{}: unknown check {c}",
                    r.id
                );
                // A check may be fixed by more than one remedy (bucket or account block).
                assert!(for_check(c).is_some_and(|x| x.checks().contains(&c)), "{c}");
            }
            assert!(!r.changes.is_empty() && !r.undoes.is_empty());
        }
        assert!(
            for_control("ec2.53").is_some(),
            "control ids match case-insensitively"
        );
        assert!(for_control("Macie.1").is_none());
    }

    /// docs/remediation.md carries the registry's table (RAMPART_WRITE_DOCS=1 rewrites it).
    #[test]
    fn docs_table_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/remediation.md");
        let text = std::fs::read_to_string(&path).expect("docs/remediation.md");
        let (open, close) = ("<!-- remedies -->\n", "<!-- /remedies -->");
        let start = text.find(open).expect("start marker") + open.len();
        let end = text.find(close).expect("end marker");
        let want = docs::table(REMEDIES);
        if text[start..end] != want {
            if std::env::var("RAMPART_WRITE_DOCS").is_ok() {
                let new = format!("{}{want}{}", &text[..start], &text[end..]);
                std::fs::write(&path, new).expect("write docs/remediation.md");
            } else {
                panic!("docs/remediation.md is stale: RAMPART_WRITE_DOCS=1 cargo test -p rampart-member docs_table");
            }
        }
    }
}

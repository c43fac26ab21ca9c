//! Benchmark tables: requirement ids mapped to the checks that decide them.

use rampart_common::{Benchmark, Requirement};

/// A requirement that checks decide.
const fn req(
    id: &'static str,
    title: &'static str,
    level: u8,
    checks: &'static [&'static str],
) -> Requirement {
    Requirement {
        id,
        title,
        level,
        automated: true,
        checks,
        not_available_reason: None,
    }
}

/// A requirement CIS assesses manually: still decided by checks where an API answers it,
/// otherwise by a `manual.*` check that reports NOT_AVAILABLE with the reason.
const fn manual(
    id: &'static str,
    title: &'static str,
    level: u8,
    checks: &'static [&'static str],
) -> Requirement {
    Requirement {
        automated: false,
        ..req(id, title, level, checks)
    }
}

/// CIS AWS Foundations Benchmark v3.0.0: every requirement, each with the checks that give it
/// a verdict (PASSED/FAILED, or NOT_AVAILABLE with a reason).
#[rustfmt::skip] // One requirement per line reads as the table it is.
pub const CIS_V3_0_0: Benchmark = Benchmark {
    name: "CIS AWS Foundations Benchmark v3.0.0",
    requirements: &[
        manual("1.1", "Maintain current contact details", 1, &["manual.contact-details"]),
        manual("1.2", "Ensure security contact information is registered", 1, &["account.security-contact"]),
        manual("1.3", "Ensure security questions are registered in the AWS account", 1, &["manual.security-questions"]),
        req("1.4", "Ensure no 'root' user account access key exists", 1, &["iam.root-access-keys"]),
        req("1.5", "Ensure MFA is enabled for the 'root' user account", 1, &["iam.root-mfa"]),
        req("1.6", "Ensure hardware MFA is enabled for the 'root' user account", 2, &["iam.root-hardware-mfa"]),
        req("1.7", "Eliminate use of the 'root' user for administrative and daily tasks", 1, &["iam.root-recent-use"]),
        req("1.8", "Ensure IAM password policy requires minimum length of 14 or greater", 1, &["iam.password-min-length"]),
        req("1.9", "Ensure IAM password policy prevents password reuse", 1, &["iam.password-reuse"]),
        req("1.10", "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", 1, &["iam.console-user-mfa"]),
        req("1.11", "Do not setup access keys during initial user setup for all IAM users that have a console password", 1, &["iam.keys-at-initial-setup"]),
        req("1.12", "Ensure credentials unused for 45 days or greater are disabled", 1, &["iam.unused-credentials"]),
        req("1.13", "Ensure there is only one active access key available for any single IAM user", 1, &["iam.single-active-key"]),
        req("1.14", "Ensure access keys are rotated every 90 days or less", 1, &["iam.key-rotation"]),
        req("1.15", "Ensure IAM Users Receive Permissions Only Through Groups", 1, &["iam.user-policies-via-groups"]),
        req("1.16", "Ensure IAM policies that allow full \"*:*\" administrative privileges are not attached", 1, &["iam.no-full-admin-policies"]),
        req("1.17", "Ensure a support role has been created to manage incidents with AWS Support", 1, &["iam.support-role"]),
        manual("1.18", "Ensure IAM instance roles are used for AWS resource access from instances", 2, &["manual.instance-roles"]),
        req("1.19", "Ensure that all the expired SSL/TLS certificates stored in AWS IAM are removed", 1, &["iam.expired-server-certificates"]),
        req("1.20", "Ensure that IAM Access analyzer is enabled for all regions", 1, &["accessanalyzer.enabled"]),
        manual("1.21", "Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments", 2, &["manual.central-identity"]),
        manual("1.22", "Ensure access to AWSCloudShellFullAccess is restricted", 1, &["iam.cloudshell-full-access"]),
        req("2.1.1", "Ensure S3 Bucket Policy is set to deny HTTP requests", 2, &["s3.deny-http"]),
        req("2.1.2", "Ensure MFA Delete is enabled on S3 buckets", 1, &["s3.mfa-delete"]),
        manual("2.1.3", "Ensure all data in Amazon S3 has been discovered, classified and secured when required.", 2, &["manual.s3-data-classification"]),
        req("2.1.4", "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'", 1, &["s3.block-public-access"]),
        req("2.2.1", "Ensure EBS Volume Encryption is Enabled in all Regions", 1, &["ec2.ebs-default-encryption"]),
        req("2.3.1", "Ensure that encryption is enabled for RDS Instances", 1, &["rds.storage-encrypted"]),
        req("2.3.2", "Ensure Auto Minor Version Upgrade feature is Enabled for RDS Instances", 1, &["rds.auto-minor-version-upgrade"]),
        req("2.3.3", "Ensure that public access is not given to RDS Instance", 1, &["rds.not-publicly-accessible"]),
        req("2.4.1", "Ensure that encryption is enabled for EFS file systems", 1, &["efs.encrypted"]),
        req("3.1", "Ensure CloudTrail is enabled in all regions", 1, &["cloudtrail.multi-region-logging"]),
        req("3.2", "Ensure CloudTrail log file validation is enabled", 2, &["cloudtrail.log-file-validation"]),
        req("3.3", "Ensure AWS Config is enabled in all regions", 2, &["config.recorder-enabled"]),
        req("3.4", "Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket", 1, &["cloudtrail.bucket-access-logging"]),
        req("3.5", "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", 2, &["cloudtrail.kms-encryption"]),
        req("3.6", "Ensure rotation for customer created symmetric CMKs is enabled", 2, &["kms.cmk-rotation"]),
        req("3.7", "Ensure VPC flow logging is enabled in all VPCs", 2, &["ec2.vpc-flow-logs"]),
        req("3.8", "Ensure that Object-level logging for write events is enabled for S3 bucket", 2, &["cloudtrail.s3-object-write-events"]),
        req("3.9", "Ensure that Object-level logging for read events is enabled for S3 bucket", 2, &["cloudtrail.s3-object-read-events"]),
        req("4.1", "Ensure a log metric filter and alarm exist for unauthorized API calls", 1, &["monitoring.unauthorized-api-calls"]),
        req("4.2", "Ensure a log metric filter and alarm exist for Management Console sign-in without MFA", 1, &["monitoring.console-signin-without-mfa"]),
        req("4.3", "Ensure a log metric filter and alarm exist for usage of 'root' account", 1, &["monitoring.root-usage"]),
        req("4.4", "Ensure a log metric filter and alarm exist for IAM policy changes", 1, &["monitoring.iam-policy-changes"]),
        req("4.5", "Ensure a log metric filter and alarm exist for CloudTrail configuration changes", 1, &["monitoring.cloudtrail-changes"]),
        req("4.6", "Ensure a log metric filter and alarm exist for AWS Management Console authentication failures", 2, &["monitoring.console-auth-failures"]),
        req("4.7", "Ensure a log metric filter and alarm exist for disabling or scheduled deletion of customer created CMKs", 2, &["monitoring.cmk-disable-or-deletion"]),
        req("4.8", "Ensure a log metric filter and alarm exist for S3 bucket policy changes", 1, &["monitoring.s3-bucket-policy-changes"]),
        req("4.9", "Ensure a log metric filter and alarm exist for AWS Config configuration changes", 2, &["monitoring.config-changes"]),
        req("4.10", "Ensure a log metric filter and alarm exist for security group changes", 2, &["monitoring.security-group-changes"]),
        req("4.11", "Ensure a log metric filter and alarm exist for changes to Network Access Control Lists (NACL)", 2, &["monitoring.nacl-changes"]),
        req("4.12", "Ensure a log metric filter and alarm exist for changes to network gateways", 1, &["monitoring.network-gateway-changes"]),
        req("4.13", "Ensure route table changes are monitored", 1, &["monitoring.route-table-changes"]),
        req("4.14", "Ensure a log metric filter and alarm exist for VPC changes", 1, &["monitoring.vpc-changes"]),
        req("4.15", "Ensure a log metric filter and alarm exists for AWS Organizations changes", 1, &["monitoring.organizations-changes"]),
        req("4.16", "Ensure AWS Security Hub is enabled", 2, &["securityhub.enabled"]),
        req("5.1", "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports", 1, &["ec2.nacl-admin-ports"]),
        req("5.2", "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports", 1, &["ec2.sg-admin-ports-ipv4"]),
        req("5.3", "Ensure no security groups allow ingress from ::/0 to remote server administration ports", 1, &["ec2.sg-admin-ports-ipv6"]),
        req("5.4", "Ensure the default security group of every VPC restricts all traffic", 2, &["ec2.default-sg-closed"]),
        manual("5.5", "Ensure routing tables for VPC peering are \"least access\"", 2, &["manual.vpc-peering-routes"]),
        req("5.6", "Ensure that EC2 Metadata Service only allows IMDSv2", 1, &["ec2.imdsv2-required"]),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{by_id, registry};

    /// Every recommendation of CIS AWS Foundations Benchmark v3.0.0, in order.
    const V3_0_0_IDS: &[&str] = &[
        "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11", "1.12",
        "1.13", "1.14", "1.15", "1.16", "1.17", "1.18", "1.19", "1.20", "1.21", "1.22", "2.1.1",
        "2.1.2", "2.1.3", "2.1.4", "2.2.1", "2.3.1", "2.3.2", "2.3.3", "2.4.1", "3.1", "3.2",
        "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6",
        "4.7", "4.8", "4.9", "4.10", "4.11", "4.12", "4.13", "4.14", "4.15", "4.16", "5.1", "5.2",
        "5.3", "5.4", "5.5", "5.6",
    ];

    #[test]
    fn every_v3_requirement_is_in_the_table_with_a_check() {
        let ids: Vec<&str> = CIS_V3_0_0.requirements.iter().map(|r| r.id).collect();
        assert_eq!(ids, V3_0_0_IDS);
        for r in CIS_V3_0_0.requirements {
            assert!(
                !r.checks.is_empty() || r.not_available_reason.is_some(),
                "{} has neither a check nor a not-available reason",
                r.id
            );
        }
    }

    /// Evaluated over snapshots where nothing could be read, every requirement still gets an
    /// outcome in every account (and region, for regional checks), and none of them passes.
    #[test]
    fn every_requirement_yields_an_outcome_per_account_and_region() {
        use crate::evaluate::{checks_of, evaluate_account, evaluate_region};
        use crate::snapshot::{AccountSnapshot, RegionSnapshot};
        let checks = checks_of(&CIS_V3_0_0);
        let d = Default::default();
        let account = evaluate_account(
            &checks,
            &AccountSnapshot::empty("111122223333"),
            "eu-west-1",
            &d,
        );
        let regions: Vec<_> = ["eu-west-1", "us-east-1"]
            .iter()
            .map(|r| evaluate_region(&checks, &RegionSnapshot::empty("111122223333", r), &d))
            .collect();
        for r in CIS_V3_0_0.requirements {
            for id in r.checks {
                let check = by_id(id).expect("registered");
                match check.eval {
                    crate::checks::Eval::Region(_) => {
                        for outs in &regions {
                            let o = outs
                                .iter()
                                .find(|o| o.check_id == *id)
                                .expect("regional outcome");
                            assert!(!o.ran() || o.failures().count() > 0, "{}: {o:?}", r.id);
                        }
                    }
                    _ => {
                        let o = account
                            .iter()
                            .find(|o| o.check_id == *id)
                            .expect("account outcome");
                        assert!(
                            matches!(
                                o.status,
                                rampart_common::CheckStatus::Error { .. }
                                    | rampart_common::CheckStatus::NotAvailable { .. }
                            ),
                            "{}: nothing was read, yet {o:?}",
                            r.id
                        );
                    }
                }
            }
        }
        // The manual requirements say why, per account.
        for id in ["1.1", "1.3", "1.18", "1.21", "2.1.3", "5.5"] {
            let r = CIS_V3_0_0
                .requirements
                .iter()
                .find(|r| r.id == id)
                .expect("row");
            let o = account
                .iter()
                .find(|o| o.check_id == r.checks[0])
                .expect("outcome");
            assert!(
                matches!(&o.status, rampart_common::CheckStatus::NotAvailable { reason }
                    if reason.starts_with("no API exists") || reason.starts_with("manual control")),
                "{id}: {o:?}"
            );
        }
    }

    #[test]
    fn table_and_registry_agree() {
        for id in CIS_V3_0_0.check_ids() {
            assert!(
                by_id(id).is_some(),
                "{id} is in the table but not in the registry"
            );
        }
        for c in registry() {
            assert!(
                !CIS_V3_0_0.related_requirements(c.meta.id).is_empty(),
                "{} is registered but serves no requirement",
                c.meta.id
            );
        }
    }
}

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

/// CIS AWS Foundations Benchmark v3.0.0 (the requirements Rampart evaluates so far).
#[rustfmt::skip] // One requirement per line reads as the table it is.
pub const CIS_V3_0_0: Benchmark = Benchmark {
    name: "CIS AWS Foundations Benchmark v3.0.0",
    requirements: &[
        req("1.4", "Ensure no 'root' user account access key exists", 1, &["iam.root-access-keys"]),
        req("1.5", "Ensure MFA is enabled for the 'root' user account", 1, &["iam.root-mfa"]),
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
        req("1.22", "Ensure access to AWSCloudShellFullAccess is restricted", 1, &["iam.cloudshell-full-access"]),
        req("2.2.1", "Ensure EBS Volume Encryption is Enabled in all Regions", 1, &["ec2.ebs-default-encryption"]),
        req("3.1", "Ensure CloudTrail is enabled in all regions", 1, &["cloudtrail.multi-region-logging"]),
        req("3.2", "Ensure CloudTrail log file validation is enabled", 2, &["cloudtrail.log-file-validation"]),
        req("3.3", "Ensure AWS Config is enabled in all regions", 2, &["config.recorder-enabled"]),
        req("3.5", "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", 2, &["cloudtrail.kms-encryption"]),
        req("3.7", "Ensure VPC flow logging is enabled in all VPCs", 2, &["ec2.vpc-flow-logs"]),
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
        req("5.6", "Ensure that EC2 Metadata Service only allows IMDSv2", 1, &["ec2.imdsv2-required"]),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{by_id, registry};

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

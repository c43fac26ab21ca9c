//! The CIS AWS Foundations Benchmark versions Rampart assesses, as data.
//!
//! Each version is a table: requirement id, title, section, automated or manual, profile
//! level, the checks that decide it (shared across versions; they live in `rampart-member`),
//! and the Security Hub control id where Security Hub has one. Tables are looked up by key
//! (`cis-7.0.0`) or by name (`CIS AWS Foundations Benchmark v7.0.0`, as older reports name
//! them). Requirement lists follow shared/reference/cis-versions.md; a requirement without
//! a v3.0.0 equivalent has its own check (`rds.multi-az`, `ec2.sg-cifs-ports`, the `org.*`
//! organization checks) or a `manual.*` check that says why it cannot be decided; one that
//! became automated gets its check too (instance roles, automated since v4.0.1:
//! `ec2.instance-roles`; v3.0.0 keeps it manual).

use crate::catalog::{Benchmark, Requirement};
use thiserror::Error;

const IAM: &str = "Identity and Access Management";
const STORAGE: &str = "Storage";
const LOGGING: &str = "Logging";
const MONITORING: &str = "Monitoring";
const NETWORKING: &str = "Networking";

/// CIS AWS Foundations Benchmark v3.0.0: every requirement, each with the checks that decide it.
#[rustfmt::skip] // One requirement per line reads as the table it is.
pub const CIS_V3_0_0: Benchmark = Benchmark {
    key: "cis-3.0.0",
    name: "CIS AWS Foundations Benchmark v3.0.0",
    requirements: &[
        Requirement { id: "1.1", title: "Maintain current contact details", section: IAM, automated: false, level: 1, checks: &["manual.contact-details"], control: None },
        Requirement { id: "1.2", title: "Ensure security contact information is registered", section: IAM, automated: false, level: 1, checks: &["account.security-contact"], control: Some("Account.1") },
        Requirement { id: "1.3", title: "Ensure security questions are registered in the AWS account", section: IAM, automated: false, level: 1, checks: &["manual.security-questions"], control: None },
        Requirement { id: "1.4", title: "Ensure no 'root' user account access key exists", section: IAM, automated: true, level: 1, checks: &["iam.root-access-keys"], control: Some("IAM.4") },
        Requirement { id: "1.5", title: "Ensure MFA is enabled for the 'root' user account", section: IAM, automated: true, level: 1, checks: &["iam.root-mfa"], control: Some("IAM.9") },
        Requirement { id: "1.6", title: "Ensure hardware MFA is enabled for the 'root' user account", section: IAM, automated: true, level: 2, checks: &["iam.root-hardware-mfa"], control: Some("IAM.6") },
        Requirement { id: "1.7", title: "Eliminate use of the 'root' user for administrative and daily tasks", section: IAM, automated: true, level: 1, checks: &["iam.root-recent-use"], control: None },
        Requirement { id: "1.8", title: "Ensure IAM password policy requires minimum length of 14 or greater", section: IAM, automated: true, level: 1, checks: &["iam.password-min-length"], control: Some("IAM.15") },
        Requirement { id: "1.9", title: "Ensure IAM password policy prevents password reuse", section: IAM, automated: true, level: 1, checks: &["iam.password-reuse"], control: Some("IAM.16") },
        Requirement { id: "1.10", title: "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", section: IAM, automated: true, level: 1, checks: &["iam.console-user-mfa"], control: Some("IAM.5") },
        Requirement { id: "1.11", title: "Do not setup access keys during initial user setup for all IAM users that have a console password", section: IAM, automated: true, level: 1, checks: &["iam.keys-at-initial-setup"], control: None },
        Requirement { id: "1.12", title: "Ensure credentials unused for 45 days or greater are disabled", section: IAM, automated: true, level: 1, checks: &["iam.unused-credentials"], control: Some("IAM.22") },
        Requirement { id: "1.13", title: "Ensure there is only one active access key available for any single IAM user", section: IAM, automated: true, level: 1, checks: &["iam.single-active-key"], control: None },
        Requirement { id: "1.14", title: "Ensure access keys are rotated every 90 days or less", section: IAM, automated: true, level: 1, checks: &["iam.key-rotation"], control: Some("IAM.3") },
        Requirement { id: "1.15", title: "Ensure IAM Users Receive Permissions Only Through Groups", section: IAM, automated: true, level: 1, checks: &["iam.user-policies-via-groups"], control: Some("IAM.2") },
        Requirement { id: "1.16", title: "Ensure IAM policies that allow full \"*:*\" administrative privileges are not attached", section: IAM, automated: true, level: 1, checks: &["iam.no-full-admin-policies"], control: None },
        Requirement { id: "1.17", title: "Ensure a support role has been created to manage incidents with AWS Support", section: IAM, automated: true, level: 1, checks: &["iam.support-role"], control: Some("IAM.18") },
        Requirement { id: "1.18", title: "Ensure IAM instance roles are used for AWS resource access from instances", section: IAM, automated: false, level: 2, checks: &["manual.instance-roles"], control: None },
        Requirement { id: "1.19", title: "Ensure that all the expired SSL/TLS certificates stored in AWS IAM are removed", section: IAM, automated: true, level: 1, checks: &["iam.expired-server-certificates"], control: Some("IAM.26") },
        Requirement { id: "1.20", title: "Ensure that IAM Access analyzer is enabled for all regions", section: IAM, automated: true, level: 1, checks: &["accessanalyzer.enabled"], control: Some("IAM.28") },
        Requirement { id: "1.21", title: "Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments", section: IAM, automated: false, level: 2, checks: &["manual.central-identity"], control: None },
        Requirement { id: "1.22", title: "Ensure access to AWSCloudShellFullAccess is restricted", section: IAM, automated: false, level: 1, checks: &["iam.cloudshell-full-access"], control: Some("IAM.27") },
        Requirement { id: "2.1.1", title: "Ensure S3 Bucket Policy is set to deny HTTP requests", section: STORAGE, automated: true, level: 2, checks: &["s3.deny-http"], control: Some("S3.5") },
        Requirement { id: "2.1.2", title: "Ensure MFA Delete is enabled on S3 buckets", section: STORAGE, automated: true, level: 1, checks: &["s3.mfa-delete"], control: Some("S3.20") },
        Requirement { id: "2.1.3", title: "Ensure all data in Amazon S3 has been discovered, classified and secured when required.", section: STORAGE, automated: false, level: 2, checks: &["manual.s3-data-classification"], control: None },
        Requirement { id: "2.1.4", title: "Ensure that S3 Buckets are configured with 'Block public access (bucket settings)'", section: STORAGE, automated: true, level: 1, checks: &["s3.block-public-access"], control: Some("S3.8") },
        Requirement { id: "2.2.1", title: "Ensure EBS Volume Encryption is Enabled in all Regions", section: STORAGE, automated: true, level: 1, checks: &["ec2.ebs-default-encryption"], control: Some("EC2.7") },
        Requirement { id: "2.3.1", title: "Ensure that encryption is enabled for RDS Instances", section: STORAGE, automated: true, level: 1, checks: &["rds.storage-encrypted"], control: Some("RDS.3") },
        Requirement { id: "2.3.2", title: "Ensure Auto Minor Version Upgrade feature is Enabled for RDS Instances", section: STORAGE, automated: true, level: 1, checks: &["rds.auto-minor-version-upgrade"], control: Some("RDS.13") },
        Requirement { id: "2.3.3", title: "Ensure that public access is not given to RDS Instance", section: STORAGE, automated: true, level: 1, checks: &["rds.not-publicly-accessible"], control: Some("RDS.2") },
        Requirement { id: "2.4.1", title: "Ensure that encryption is enabled for EFS file systems", section: STORAGE, automated: true, level: 1, checks: &["efs.encrypted"], control: Some("EFS.1") },
        Requirement { id: "3.1", title: "Ensure CloudTrail is enabled in all regions", section: LOGGING, automated: true, level: 1, checks: &["cloudtrail.multi-region-logging"], control: Some("CloudTrail.1") },
        Requirement { id: "3.2", title: "Ensure CloudTrail log file validation is enabled", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.log-file-validation"], control: Some("CloudTrail.4") },
        Requirement { id: "3.3", title: "Ensure AWS Config is enabled in all regions", section: LOGGING, automated: true, level: 2, checks: &["config.recorder-enabled", "config.global-resource-types"], control: Some("Config.1") },
        Requirement { id: "3.4", title: "Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket", section: LOGGING, automated: true, level: 1, checks: &["cloudtrail.bucket-access-logging"], control: Some("CloudTrail.7") },
        Requirement { id: "3.5", title: "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.kms-encryption"], control: Some("CloudTrail.2") },
        Requirement { id: "3.6", title: "Ensure rotation for customer created symmetric CMKs is enabled", section: LOGGING, automated: true, level: 2, checks: &["kms.cmk-rotation"], control: Some("KMS.4") },
        Requirement { id: "3.7", title: "Ensure VPC flow logging is enabled in all VPCs", section: LOGGING, automated: true, level: 2, checks: &["ec2.vpc-flow-logs"], control: Some("EC2.6") },
        Requirement { id: "3.8", title: "Ensure that Object-level logging for write events is enabled for S3 bucket", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-write-events"], control: Some("S3.22") },
        Requirement { id: "3.9", title: "Ensure that Object-level logging for read events is enabled for S3 bucket", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-read-events"], control: Some("S3.23") },
        Requirement { id: "4.1", title: "Ensure a log metric filter and alarm exist for unauthorized API calls", section: MONITORING, automated: true, level: 1, checks: &["monitoring.unauthorized-api-calls"], control: None },
        Requirement { id: "4.2", title: "Ensure a log metric filter and alarm exist for Management Console sign-in without MFA", section: MONITORING, automated: true, level: 1, checks: &["monitoring.console-signin-without-mfa"], control: None },
        Requirement { id: "4.3", title: "Ensure a log metric filter and alarm exist for usage of 'root' account", section: MONITORING, automated: true, level: 1, checks: &["monitoring.root-usage"], control: None },
        Requirement { id: "4.4", title: "Ensure a log metric filter and alarm exist for IAM policy changes", section: MONITORING, automated: true, level: 1, checks: &["monitoring.iam-policy-changes"], control: None },
        Requirement { id: "4.5", title: "Ensure a log metric filter and alarm exist for CloudTrail configuration changes", section: MONITORING, automated: true, level: 1, checks: &["monitoring.cloudtrail-changes"], control: None },
        Requirement { id: "4.6", title: "Ensure a log metric filter and alarm exist for AWS Management Console authentication failures", section: MONITORING, automated: true, level: 2, checks: &["monitoring.console-auth-failures"], control: None },
        Requirement { id: "4.7", title: "Ensure a log metric filter and alarm exist for disabling or scheduled deletion of customer created CMKs", section: MONITORING, automated: true, level: 2, checks: &["monitoring.cmk-disable-or-deletion"], control: None },
        Requirement { id: "4.8", title: "Ensure a log metric filter and alarm exist for S3 bucket policy changes", section: MONITORING, automated: true, level: 1, checks: &["monitoring.s3-bucket-policy-changes"], control: None },
        Requirement { id: "4.9", title: "Ensure a log metric filter and alarm exist for AWS Config configuration changes", section: MONITORING, automated: true, level: 2, checks: &["monitoring.config-changes"], control: None },
        Requirement { id: "4.10", title: "Ensure a log metric filter and alarm exist for security group changes", section: MONITORING, automated: true, level: 2, checks: &["monitoring.security-group-changes"], control: None },
        Requirement { id: "4.11", title: "Ensure a log metric filter and alarm exist for changes to Network Access Control Lists (NACL)", section: MONITORING, automated: true, level: 2, checks: &["monitoring.nacl-changes"], control: None },
        Requirement { id: "4.12", title: "Ensure a log metric filter and alarm exist for changes to network gateways", section: MONITORING, automated: true, level: 1, checks: &["monitoring.network-gateway-changes"], control: None },
        Requirement { id: "4.13", title: "Ensure route table changes are monitored", section: MONITORING, automated: true, level: 1, checks: &["monitoring.route-table-changes"], control: None },
        Requirement { id: "4.14", title: "Ensure a log metric filter and alarm exist for VPC changes", section: MONITORING, automated: true, level: 1, checks: &["monitoring.vpc-changes"], control: None },
        Requirement { id: "4.15", title: "Ensure a log metric filter and alarm exists for AWS Organizations changes", section: MONITORING, automated: true, level: 1, checks: &["monitoring.organizations-changes"], control: None },
        Requirement { id: "4.16", title: "Ensure AWS Security Hub is enabled", section: MONITORING, automated: true, level: 2, checks: &["securityhub.enabled"], control: None },
        Requirement { id: "5.1", title: "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.nacl-admin-ports"], control: Some("EC2.21") },
        Requirement { id: "5.2", title: "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv4"], control: Some("EC2.53") },
        Requirement { id: "5.3", title: "Ensure no security groups allow ingress from ::/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv6"], control: Some("EC2.54") },
        Requirement { id: "5.4", title: "Ensure the default security group of every VPC restricts all traffic", section: NETWORKING, automated: true, level: 2, checks: &["ec2.default-sg-closed"], control: Some("EC2.2") },
        Requirement { id: "5.5", title: "Ensure routing tables for VPC peering are \"least access\"", section: NETWORKING, automated: false, level: 2, checks: &["manual.vpc-peering-routes"], control: None },
        Requirement { id: "5.6", title: "Ensure that EC2 Metadata Service only allows IMDSv2", section: NETWORKING, automated: true, level: 1, checks: &["ec2.imdsv2-required"], control: Some("EC2.8") },
    ],
};

/// CIS AWS Foundations Benchmark v4.0.1: every requirement, each with the checks that decide it.
#[rustfmt::skip] // One requirement per line reads as the table it is.
pub const CIS_V4_0_1: Benchmark = Benchmark {
    key: "cis-4.0.1",
    name: "CIS AWS Foundations Benchmark v4.0.1",
    requirements: &[
        Requirement { id: "1.1", title: "Maintain current contact details", section: IAM, automated: false, level: 1, checks: &["manual.contact-details"], control: None },
        Requirement { id: "1.2", title: "Ensure security contact information is registered", section: IAM, automated: false, level: 1, checks: &["account.security-contact"], control: Some("Account.1") },
        Requirement { id: "1.3", title: "Ensure security questions are registered in the AWS account", section: IAM, automated: false, level: 1, checks: &["manual.security-questions"], control: None },
        Requirement { id: "1.4", title: "Ensure no 'root' user account access key exists", section: IAM, automated: true, level: 1, checks: &["iam.root-access-keys"], control: Some("IAM.4") },
        Requirement { id: "1.5", title: "Ensure MFA is enabled for the 'root' user account", section: IAM, automated: true, level: 1, checks: &["iam.root-mfa"], control: Some("IAM.9") },
        Requirement { id: "1.6", title: "Ensure hardware MFA is enabled for the 'root' user account", section: IAM, automated: false, level: 2, checks: &["iam.root-hardware-mfa"], control: Some("IAM.6") },
        Requirement { id: "1.7", title: "Eliminate use of the 'root' user for administrative and daily tasks", section: IAM, automated: false, level: 1, checks: &["iam.root-recent-use"], control: None },
        Requirement { id: "1.8", title: "Ensure IAM password policy requires minimum length of 14 or greater", section: IAM, automated: true, level: 1, checks: &["iam.password-min-length"], control: Some("IAM.15") },
        Requirement { id: "1.9", title: "Ensure IAM password policy prevents password reuse", section: IAM, automated: true, level: 1, checks: &["iam.password-reuse"], control: Some("IAM.16") },
        Requirement { id: "1.10", title: "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", section: IAM, automated: true, level: 1, checks: &["iam.console-user-mfa"], control: Some("IAM.5") },
        Requirement { id: "1.11", title: "Do not create access keys during initial setup for IAM users with a console password", section: IAM, automated: false, level: 1, checks: &["iam.keys-at-initial-setup"], control: None },
        Requirement { id: "1.12", title: "Ensure credentials unused for 45 days or more are disabled", section: IAM, automated: true, level: 1, checks: &["iam.unused-credentials"], control: Some("IAM.22") },
        Requirement { id: "1.13", title: "Ensure there is only one active access key for any single IAM user", section: IAM, automated: true, level: 1, checks: &["iam.single-active-key"], control: None },
        Requirement { id: "1.14", title: "Ensure access keys are rotated every 90 days or less", section: IAM, automated: true, level: 1, checks: &["iam.key-rotation"], control: Some("IAM.3") },
        Requirement { id: "1.15", title: "Ensure IAM users receive permissions only through groups", section: IAM, automated: true, level: 1, checks: &["iam.user-policies-via-groups"], control: Some("IAM.2") },
        Requirement { id: "1.16", title: "Ensure IAM policies that allow full *:* administrative privileges are not attached", section: IAM, automated: true, level: 1, checks: &["iam.no-full-admin-policies"], control: None },
        Requirement { id: "1.17", title: "Ensure a support role has been created to manage incidents with AWS Support", section: IAM, automated: true, level: 1, checks: &["iam.support-role"], control: Some("IAM.18") },
        Requirement { id: "1.18", title: "Ensure IAM instance roles are used for AWS resource access from instances", section: IAM, automated: true, level: 2, checks: &["ec2.instance-roles"], control: None },
        Requirement { id: "1.19", title: "Ensure that all expired SSL/TLS certificates stored in AWS IAM are removed", section: IAM, automated: true, level: 1, checks: &["iam.expired-server-certificates"], control: Some("IAM.26") },
        Requirement { id: "1.20", title: "Ensure that IAM Access Analyzer is enabled for all regions", section: IAM, automated: true, level: 1, checks: &["accessanalyzer.enabled"], control: Some("IAM.28") },
        Requirement { id: "1.21", title: "Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments", section: IAM, automated: false, level: 2, checks: &["manual.central-identity"], control: None },
        Requirement { id: "1.22", title: "Ensure access to AWSCloudShellFullAccess is restricted", section: IAM, automated: false, level: 1, checks: &["iam.cloudshell-full-access"], control: Some("IAM.27") },
        Requirement { id: "2.1.1", title: "Ensure S3 Bucket Policy is set to deny HTTP requests", section: STORAGE, automated: true, level: 2, checks: &["s3.deny-http"], control: Some("S3.5") },
        Requirement { id: "2.1.2", title: "Ensure MFA Delete is enabled on S3 buckets", section: STORAGE, automated: false, level: 2, checks: &["s3.mfa-delete"], control: Some("S3.20") },
        Requirement { id: "2.1.3", title: "Ensure all data in Amazon S3 has been discovered, classified, and secured when necessary", section: STORAGE, automated: false, level: 2, checks: &["manual.s3-data-classification"], control: None },
        Requirement { id: "2.1.4", title: "Ensure that S3 is configured with 'Block Public Access' enabled", section: STORAGE, automated: true, level: 1, checks: &["s3.block-public-access"], control: Some("S3.8") },
        Requirement { id: "2.2.1", title: "Ensure that encryption-at-rest is enabled for RDS instances", section: STORAGE, automated: true, level: 1, checks: &["rds.storage-encrypted"], control: Some("RDS.3") },
        Requirement { id: "2.2.2", title: "Ensure the Auto Minor Version Upgrade feature is enabled for RDS instances", section: STORAGE, automated: true, level: 1, checks: &["rds.auto-minor-version-upgrade"], control: Some("RDS.13") },
        Requirement { id: "2.2.3", title: "Ensure that RDS instances are not publicly accessible", section: STORAGE, automated: true, level: 1, checks: &["rds.not-publicly-accessible"], control: Some("RDS.2") },
        Requirement { id: "2.2.4", title: "Ensure Multi-AZ deployments are used for enhanced availability in Amazon RDS", section: STORAGE, automated: false, level: 1, checks: &["rds.multi-az"], control: Some("RDS.5") },
        Requirement { id: "2.3.1", title: "Ensure that encryption is enabled for EFS file systems", section: STORAGE, automated: true, level: 1, checks: &["efs.encrypted"], control: Some("EFS.1") },
        Requirement { id: "3.1", title: "Ensure CloudTrail is enabled in all regions", section: LOGGING, automated: true, level: 1, checks: &["cloudtrail.multi-region-logging"], control: Some("CloudTrail.1") },
        Requirement { id: "3.2", title: "Ensure CloudTrail log file validation is enabled", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.log-file-validation"], control: Some("CloudTrail.4") },
        Requirement { id: "3.3", title: "Ensure AWS Config is enabled in all regions", section: LOGGING, automated: true, level: 2, checks: &["config.recorder-enabled", "config.global-resource-types"], control: Some("Config.1") },
        Requirement { id: "3.4", title: "Ensure that server access logging is enabled on the CloudTrail S3 bucket", section: LOGGING, automated: true, level: 1, checks: &["cloudtrail.bucket-access-logging"], control: Some("CloudTrail.7") },
        Requirement { id: "3.5", title: "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.kms-encryption"], control: Some("CloudTrail.2") },
        Requirement { id: "3.6", title: "Ensure rotation for customer-created symmetric CMKs is enabled", section: LOGGING, automated: true, level: 2, checks: &["kms.cmk-rotation"], control: Some("KMS.4") },
        Requirement { id: "3.7", title: "Ensure VPC flow logging is enabled in all VPCs", section: LOGGING, automated: true, level: 2, checks: &["ec2.vpc-flow-logs"], control: Some("EC2.6") },
        Requirement { id: "3.8", title: "Ensure that object-level logging for write events is enabled for S3 buckets", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-write-events"], control: Some("S3.22") },
        Requirement { id: "3.9", title: "Ensure that object-level logging for read events is enabled for S3 buckets", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-read-events"], control: Some("S3.23") },
        Requirement { id: "4.1", title: "Ensure unauthorized API calls are monitored", section: MONITORING, automated: true, level: 2, checks: &["monitoring.unauthorized-api-calls"], control: None },
        Requirement { id: "4.2", title: "Ensure management console sign-in without MFA is monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.console-signin-without-mfa"], control: None },
        Requirement { id: "4.3", title: "Ensure usage of the 'root' account is monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.root-usage"], control: None },
        Requirement { id: "4.4", title: "Ensure IAM policy changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.iam-policy-changes"], control: None },
        Requirement { id: "4.5", title: "Ensure CloudTrail configuration changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.cloudtrail-changes"], control: None },
        Requirement { id: "4.6", title: "Ensure AWS Management Console authentication failures are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.console-auth-failures"], control: None },
        Requirement { id: "4.7", title: "Ensure disabling or scheduled deletion of customer created CMKs is monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.cmk-disable-or-deletion"], control: None },
        Requirement { id: "4.8", title: "Ensure S3 bucket policy changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.s3-bucket-policy-changes"], control: None },
        Requirement { id: "4.9", title: "Ensure AWS Config configuration changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.config-changes"], control: None },
        Requirement { id: "4.10", title: "Ensure security group changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.security-group-changes"], control: None },
        Requirement { id: "4.11", title: "Ensure Network Access Control List (NACL) changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.nacl-changes"], control: None },
        Requirement { id: "4.12", title: "Ensure changes to network gateways are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.network-gateway-changes"], control: None },
        Requirement { id: "4.13", title: "Ensure route table changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.route-table-changes"], control: None },
        Requirement { id: "4.14", title: "Ensure VPC changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.vpc-changes"], control: None },
        Requirement { id: "4.15", title: "Ensure AWS Organizations changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.organizations-changes"], control: None },
        Requirement { id: "4.16", title: "Ensure AWS Security Hub is enabled", section: MONITORING, automated: true, level: 2, checks: &["securityhub.enabled"], control: None },
        Requirement { id: "5.2", title: "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.nacl-admin-ports"], control: Some("EC2.21") },
        Requirement { id: "5.3", title: "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv4"], control: Some("EC2.53") },
        Requirement { id: "5.4", title: "Ensure no security groups allow ingress from ::/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv6"], control: Some("EC2.54") },
        Requirement { id: "5.5", title: "Ensure the default security group of every VPC restricts all traffic", section: NETWORKING, automated: true, level: 2, checks: &["ec2.default-sg-closed"], control: Some("EC2.2") },
        Requirement { id: "5.6", title: "Ensure routing tables for VPC peering are least access", section: NETWORKING, automated: false, level: 2, checks: &["manual.vpc-peering-routes"], control: None },
        Requirement { id: "5.7", title: "Ensure that the EC2 Metadata Service only allows IMDSv2", section: NETWORKING, automated: true, level: 1, checks: &["ec2.imdsv2-required"], control: Some("EC2.8") },
        Requirement { id: "5.1.1", title: "Ensure EBS volume encryption is enabled in all regions", section: NETWORKING, automated: true, level: 1, checks: &["ec2.ebs-default-encryption"], control: Some("EC2.7") },
        Requirement { id: "5.1.2", title: "Ensure CIFS access is restricted to trusted networks to prevent unauthorized access", section: NETWORKING, automated: false, level: 1, checks: &["ec2.sg-cifs-ports"], control: None },
    ],
};

/// CIS AWS Foundations Benchmark v5.0.0: every requirement, each with the checks that decide it.
#[rustfmt::skip] // One requirement per line reads as the table it is.
pub const CIS_V5_0_0: Benchmark = Benchmark {
    key: "cis-5.0.0",
    name: "CIS AWS Foundations Benchmark v5.0.0",
    requirements: &[
        Requirement { id: "1.1", title: "Maintain current contact details", section: IAM, automated: false, level: 1, checks: &["manual.contact-details"], control: None },
        Requirement { id: "1.2", title: "Ensure security contact information is registered", section: IAM, automated: false, level: 1, checks: &["account.security-contact"], control: Some("Account.1") },
        Requirement { id: "1.3", title: "Ensure no 'root' user account access key exists", section: IAM, automated: true, level: 1, checks: &["iam.root-access-keys"], control: Some("IAM.4") },
        Requirement { id: "1.4", title: "Ensure MFA is enabled for the 'root' user account", section: IAM, automated: true, level: 1, checks: &["iam.root-mfa"], control: Some("IAM.9") },
        Requirement { id: "1.5", title: "Ensure hardware MFA is enabled for the 'root' user account", section: IAM, automated: false, level: 2, checks: &["iam.root-hardware-mfa"], control: Some("IAM.6") },
        Requirement { id: "1.6", title: "Eliminate use of the 'root' user for administrative and daily tasks", section: IAM, automated: false, level: 1, checks: &["iam.root-recent-use"], control: None },
        Requirement { id: "1.7", title: "Ensure IAM password policy requires minimum length of 14 or greater", section: IAM, automated: true, level: 1, checks: &["iam.password-min-length"], control: Some("IAM.15") },
        Requirement { id: "1.8", title: "Ensure IAM password policy prevents password reuse", section: IAM, automated: true, level: 1, checks: &["iam.password-reuse"], control: Some("IAM.16") },
        Requirement { id: "1.9", title: "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", section: IAM, automated: true, level: 1, checks: &["iam.console-user-mfa"], control: Some("IAM.5") },
        Requirement { id: "1.10", title: "Do not create access keys during initial setup for IAM users with a console password", section: IAM, automated: false, level: 1, checks: &["iam.keys-at-initial-setup"], control: None },
        Requirement { id: "1.11", title: "Ensure credentials unused for 45 days or more are disabled", section: IAM, automated: true, level: 1, checks: &["iam.unused-credentials"], control: Some("IAM.22") },
        Requirement { id: "1.12", title: "Ensure there is only one active access key for any single IAM user", section: IAM, automated: true, level: 1, checks: &["iam.single-active-key"], control: None },
        Requirement { id: "1.13", title: "Ensure access keys are rotated every 90 days or less", section: IAM, automated: true, level: 1, checks: &["iam.key-rotation"], control: Some("IAM.3") },
        Requirement { id: "1.14", title: "Ensure IAM users receive permissions only through groups", section: IAM, automated: true, level: 1, checks: &["iam.user-policies-via-groups"], control: Some("IAM.2") },
        Requirement { id: "1.15", title: "Ensure IAM policies that allow full *:* administrative privileges are not attached", section: IAM, automated: true, level: 1, checks: &["iam.no-full-admin-policies"], control: None },
        Requirement { id: "1.16", title: "Ensure a support role has been created to manage incidents with AWS Support", section: IAM, automated: true, level: 1, checks: &["iam.support-role"], control: Some("IAM.18") },
        Requirement { id: "1.17", title: "Ensure IAM instance roles are used for AWS resource access from instances", section: IAM, automated: true, level: 2, checks: &["ec2.instance-roles"], control: None },
        Requirement { id: "1.18", title: "Ensure that all expired SSL/TLS certificates stored in AWS IAM are removed", section: IAM, automated: true, level: 1, checks: &["iam.expired-server-certificates"], control: Some("IAM.26") },
        Requirement { id: "1.19", title: "Ensure that IAM External Access Analyzer is enabled for all regions", section: IAM, automated: true, level: 1, checks: &["accessanalyzer.enabled"], control: Some("IAM.28") },
        Requirement { id: "1.20", title: "Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments", section: IAM, automated: false, level: 2, checks: &["manual.central-identity"], control: None },
        Requirement { id: "1.21", title: "Ensure access to AWSCloudShellFullAccess is restricted", section: IAM, automated: false, level: 1, checks: &["iam.cloudshell-full-access"], control: Some("IAM.27") },
        Requirement { id: "2.1.1", title: "Ensure S3 Bucket Policy is set to deny HTTP requests", section: STORAGE, automated: true, level: 2, checks: &["s3.deny-http"], control: Some("S3.5") },
        Requirement { id: "2.1.2", title: "Ensure MFA Delete is enabled on S3 buckets", section: STORAGE, automated: false, level: 2, checks: &["s3.mfa-delete"], control: Some("S3.20") },
        Requirement { id: "2.1.3", title: "Ensure all data in Amazon S3 has been discovered, classified, and secured when necessary", section: STORAGE, automated: false, level: 2, checks: &["manual.s3-data-classification"], control: None },
        Requirement { id: "2.1.4", title: "Ensure that S3 is configured with 'Block Public Access' enabled", section: STORAGE, automated: true, level: 1, checks: &["s3.block-public-access"], control: Some("S3.8") },
        Requirement { id: "2.2.1", title: "Ensure that encryption-at-rest is enabled for RDS instances", section: STORAGE, automated: true, level: 1, checks: &["rds.storage-encrypted"], control: Some("RDS.3") },
        Requirement { id: "2.2.2", title: "Ensure the Auto Minor Version Upgrade feature is enabled for RDS instances", section: STORAGE, automated: true, level: 1, checks: &["rds.auto-minor-version-upgrade"], control: Some("RDS.13") },
        Requirement { id: "2.2.3", title: "Ensure that RDS instances are not publicly accessible", section: STORAGE, automated: true, level: 1, checks: &["rds.not-publicly-accessible"], control: Some("RDS.2") },
        Requirement { id: "2.2.4", title: "Ensure Multi-AZ deployments are used for enhanced availability in Amazon RDS", section: STORAGE, automated: false, level: 1, checks: &["rds.multi-az"], control: Some("RDS.5") },
        Requirement { id: "2.3.1", title: "Ensure that encryption is enabled for EFS file systems", section: STORAGE, automated: true, level: 1, checks: &["efs.encrypted"], control: Some("EFS.8") },
        Requirement { id: "3.1", title: "Ensure CloudTrail is enabled in all regions", section: LOGGING, automated: false, level: 1, checks: &["cloudtrail.multi-region-logging"], control: Some("CloudTrail.1") },
        Requirement { id: "3.2", title: "Ensure CloudTrail log file validation is enabled", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.log-file-validation"], control: Some("CloudTrail.4") },
        Requirement { id: "3.3", title: "Ensure AWS Config is enabled in all regions", section: LOGGING, automated: true, level: 2, checks: &["config.recorder-enabled", "config.global-resource-types"], control: Some("Config.1") },
        Requirement { id: "3.4", title: "Ensure that server access logging is enabled on the CloudTrail S3 bucket", section: LOGGING, automated: false, level: 1, checks: &["cloudtrail.bucket-access-logging"], control: Some("CloudTrail.7") },
        Requirement { id: "3.5", title: "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.kms-encryption"], control: Some("CloudTrail.2") },
        Requirement { id: "3.6", title: "Ensure rotation for customer-created symmetric CMKs is enabled", section: LOGGING, automated: true, level: 2, checks: &["kms.cmk-rotation"], control: Some("KMS.4") },
        Requirement { id: "3.7", title: "Ensure VPC flow logging is enabled in all VPCs", section: LOGGING, automated: true, level: 2, checks: &["ec2.vpc-flow-logs"], control: Some("EC2.6") },
        Requirement { id: "3.8", title: "Ensure that object-level logging for write events is enabled for S3 buckets", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-write-events"], control: Some("S3.22") },
        Requirement { id: "3.9", title: "Ensure that object-level logging for read events is enabled for S3 buckets", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-read-events"], control: Some("S3.23") },
        Requirement { id: "4.1", title: "Ensure unauthorized API calls are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.unauthorized-api-calls"], control: None },
        Requirement { id: "4.2", title: "Ensure management console sign-in without MFA is monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.console-signin-without-mfa"], control: None },
        Requirement { id: "4.3", title: "Ensure usage of the 'root' account is monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.root-usage"], control: None },
        Requirement { id: "4.4", title: "Ensure IAM policy changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.iam-policy-changes"], control: None },
        Requirement { id: "4.5", title: "Ensure CloudTrail configuration changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.cloudtrail-changes"], control: None },
        Requirement { id: "4.6", title: "Ensure AWS Management Console authentication failures are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.console-auth-failures"], control: None },
        Requirement { id: "4.7", title: "Ensure disabling or scheduled deletion of customer created CMKs is monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.cmk-disable-or-deletion"], control: None },
        Requirement { id: "4.8", title: "Ensure S3 bucket policy changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.s3-bucket-policy-changes"], control: None },
        Requirement { id: "4.9", title: "Ensure AWS Config configuration changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.config-changes"], control: None },
        Requirement { id: "4.10", title: "Ensure security group changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.security-group-changes"], control: None },
        Requirement { id: "4.11", title: "Ensure Network Access Control List (NACL) changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.nacl-changes"], control: None },
        Requirement { id: "4.12", title: "Ensure changes to network gateways are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.network-gateway-changes"], control: None },
        Requirement { id: "4.13", title: "Ensure route table changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.route-table-changes"], control: None },
        Requirement { id: "4.14", title: "Ensure VPC changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.vpc-changes"], control: None },
        Requirement { id: "4.15", title: "Ensure AWS Organizations changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.organizations-changes"], control: None },
        Requirement { id: "4.16", title: "Ensure AWS Security Hub is enabled", section: MONITORING, automated: true, level: 2, checks: &["securityhub.enabled"], control: None },
        Requirement { id: "5.2", title: "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.nacl-admin-ports"], control: Some("EC2.21") },
        Requirement { id: "5.3", title: "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv4"], control: Some("EC2.53") },
        Requirement { id: "5.4", title: "Ensure no security groups allow ingress from ::/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv6"], control: Some("EC2.54") },
        Requirement { id: "5.5", title: "Ensure the default security group of every VPC restricts all traffic", section: NETWORKING, automated: true, level: 2, checks: &["ec2.default-sg-closed"], control: Some("EC2.2") },
        Requirement { id: "5.6", title: "Ensure routing tables for VPC peering are least access", section: NETWORKING, automated: false, level: 2, checks: &["manual.vpc-peering-routes"], control: None },
        Requirement { id: "5.7", title: "Ensure that the EC2 Metadata Service only allows IMDSv2", section: NETWORKING, automated: true, level: 1, checks: &["ec2.imdsv2-required"], control: Some("EC2.8") },
        Requirement { id: "5.1.1", title: "Ensure EBS volume encryption is enabled in all regions", section: NETWORKING, automated: true, level: 1, checks: &["ec2.ebs-default-encryption"], control: Some("EC2.7") },
        Requirement { id: "5.1.2", title: "Ensure CIFS access is restricted to trusted networks to prevent unauthorized access", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-cifs-ports"], control: None },
    ],
};

/// CIS AWS Foundations Benchmark v6.0.0: every requirement, each with the checks that decide it.
#[rustfmt::skip] // One requirement per line reads as the table it is.
pub const CIS_V6_0_0: Benchmark = Benchmark {
    key: "cis-6.0.0",
    name: "CIS AWS Foundations Benchmark v6.0.0",
    requirements: &[
        Requirement { id: "2.1", title: "Maintain current contact details", section: IAM, automated: false, level: 1, checks: &["manual.contact-details"], control: None },
        Requirement { id: "2.2", title: "Ensure security contact information is registered", section: IAM, automated: false, level: 1, checks: &["account.security-contact"], control: Some("Account.1") },
        Requirement { id: "2.3", title: "Ensure no 'root' user account access key exists", section: IAM, automated: true, level: 1, checks: &["iam.root-access-keys"], control: Some("IAM.4") },
        Requirement { id: "2.4", title: "Ensure MFA is enabled for the 'root' user account", section: IAM, automated: true, level: 1, checks: &["iam.root-mfa"], control: Some("IAM.9") },
        Requirement { id: "2.5", title: "Ensure hardware MFA is enabled for the 'root' user account", section: IAM, automated: false, level: 2, checks: &["iam.root-hardware-mfa"], control: Some("IAM.6") },
        Requirement { id: "2.6", title: "Eliminate use of the 'root' user for administrative and daily tasks", section: IAM, automated: false, level: 1, checks: &["iam.root-recent-use"], control: None },
        Requirement { id: "2.7", title: "Ensure IAM password policy requires minimum length of 14 or greater", section: IAM, automated: true, level: 1, checks: &["iam.password-min-length"], control: Some("IAM.15") },
        Requirement { id: "2.8", title: "Ensure IAM password policy prevents password reuse", section: IAM, automated: true, level: 1, checks: &["iam.password-reuse"], control: Some("IAM.16") },
        Requirement { id: "2.9", title: "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", section: IAM, automated: true, level: 1, checks: &["iam.console-user-mfa"], control: Some("IAM.5") },
        Requirement { id: "2.10", title: "Do not create access keys during initial setup for IAM users with a console password", section: IAM, automated: false, level: 1, checks: &["iam.keys-at-initial-setup"], control: None },
        Requirement { id: "2.11", title: "Ensure credentials unused for 45 days or more are disabled", section: IAM, automated: true, level: 1, checks: &["iam.unused-credentials"], control: Some("IAM.22") },
        Requirement { id: "2.12", title: "Ensure there is only one active access key for any single IAM user", section: IAM, automated: true, level: 1, checks: &["iam.single-active-key"], control: None },
        Requirement { id: "2.13", title: "Ensure access keys are rotated every 90 days or less", section: IAM, automated: true, level: 1, checks: &["iam.key-rotation"], control: Some("IAM.3") },
        Requirement { id: "2.14", title: "Ensure IAM users receive permissions only through groups", section: IAM, automated: true, level: 1, checks: &["iam.user-policies-via-groups"], control: Some("IAM.2") },
        Requirement { id: "2.15", title: "Ensure IAM policies that allow full *:* administrative privileges are not attached", section: IAM, automated: true, level: 1, checks: &["iam.no-full-admin-policies"], control: None },
        Requirement { id: "2.16", title: "Ensure a support role has been created to manage incidents with AWS Support", section: IAM, automated: true, level: 1, checks: &["iam.support-role"], control: Some("IAM.18") },
        Requirement { id: "2.17", title: "Ensure IAM instance roles are used for AWS resource access from instances", section: IAM, automated: true, level: 2, checks: &["ec2.instance-roles"], control: None },
        Requirement { id: "2.18", title: "Ensure that all expired SSL/TLS certificates stored in AWS IAM are removed", section: IAM, automated: true, level: 1, checks: &["iam.expired-server-certificates"], control: Some("IAM.26") },
        Requirement { id: "2.19", title: "Ensure that IAM External Access Analyzer is enabled for all regions", section: IAM, automated: true, level: 1, checks: &["accessanalyzer.enabled"], control: Some("IAM.28") },
        Requirement { id: "2.20", title: "Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments", section: IAM, automated: false, level: 2, checks: &["manual.central-identity"], control: None },
        Requirement { id: "2.21", title: "Ensure access to AWSCloudShellFullAccess is restricted", section: IAM, automated: false, level: 1, checks: &["iam.cloudshell-full-access"], control: Some("IAM.27") },
        Requirement { id: "3.1.1", title: "Ensure S3 Bucket Policy is set to deny HTTP requests", section: STORAGE, automated: true, level: 2, checks: &["s3.deny-http"], control: Some("S3.5") },
        Requirement { id: "3.1.2", title: "Ensure MFA Delete is enabled on S3 buckets", section: STORAGE, automated: false, level: 2, checks: &["s3.mfa-delete"], control: Some("S3.20") },
        Requirement { id: "3.1.3", title: "Ensure all data in Amazon S3 has been discovered, classified, and secured when necessary", section: STORAGE, automated: false, level: 2, checks: &["manual.s3-data-classification"], control: None },
        Requirement { id: "3.1.4", title: "Ensure that S3 is configured with 'Block Public Access' enabled", section: STORAGE, automated: true, level: 1, checks: &["s3.block-public-access"], control: Some("S3.8") },
        Requirement { id: "3.2.1", title: "Ensure that encryption-at-rest is enabled for RDS instances", section: STORAGE, automated: true, level: 1, checks: &["rds.storage-encrypted"], control: Some("RDS.3") },
        Requirement { id: "3.2.2", title: "Ensure the Auto Minor Version Upgrade feature is enabled for RDS instances", section: STORAGE, automated: true, level: 1, checks: &["rds.auto-minor-version-upgrade"], control: Some("RDS.13") },
        Requirement { id: "3.2.3", title: "Ensure that RDS instances are not publicly accessible", section: STORAGE, automated: true, level: 1, checks: &["rds.not-publicly-accessible"], control: Some("RDS.2") },
        Requirement { id: "3.2.4", title: "Ensure Multi-AZ deployments are used for enhanced availability in Amazon RDS", section: STORAGE, automated: false, level: 1, checks: &["rds.multi-az"], control: Some("RDS.5") },
        Requirement { id: "3.3.1", title: "Ensure that encryption is enabled for EFS file systems", section: STORAGE, automated: true, level: 1, checks: &["efs.encrypted"], control: Some("EFS.8") },
        Requirement { id: "4.1", title: "Ensure CloudTrail is enabled in all regions", section: LOGGING, automated: false, level: 1, checks: &["cloudtrail.multi-region-logging"], control: Some("CloudTrail.1") },
        Requirement { id: "4.2", title: "Ensure CloudTrail log file validation is enabled", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.log-file-validation"], control: Some("CloudTrail.4") },
        Requirement { id: "4.3", title: "Ensure AWS Config is enabled in all regions", section: LOGGING, automated: true, level: 2, checks: &["config.recorder-enabled", "config.global-resource-types"], control: Some("Config.1") },
        Requirement { id: "4.4", title: "Ensure that server access logging is enabled on the CloudTrail S3 bucket", section: LOGGING, automated: false, level: 1, checks: &["cloudtrail.bucket-access-logging"], control: Some("CloudTrail.7") },
        Requirement { id: "4.5", title: "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.kms-encryption"], control: Some("CloudTrail.2") },
        Requirement { id: "4.6", title: "Ensure rotation for customer-created symmetric CMKs is enabled", section: LOGGING, automated: true, level: 2, checks: &["kms.cmk-rotation"], control: Some("KMS.4") },
        Requirement { id: "4.7", title: "Ensure VPC flow logging is enabled in all VPCs", section: LOGGING, automated: true, level: 2, checks: &["ec2.vpc-flow-logs"], control: Some("EC2.6") },
        Requirement { id: "4.8", title: "Ensure that object-level logging for write events is enabled for S3 buckets", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-write-events"], control: Some("S3.22") },
        Requirement { id: "4.9", title: "Ensure that object-level logging for read events is enabled for S3 buckets", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-read-events"], control: Some("S3.23") },
        Requirement { id: "5.1", title: "Ensure unauthorized API calls are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.unauthorized-api-calls"], control: None },
        Requirement { id: "5.2", title: "Ensure management console sign-in without MFA is monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.console-signin-without-mfa"], control: None },
        Requirement { id: "5.3", title: "Ensure usage of the 'root' account is monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.root-usage"], control: None },
        Requirement { id: "5.4", title: "Ensure IAM policy changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.iam-policy-changes"], control: None },
        Requirement { id: "5.5", title: "Ensure CloudTrail configuration changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.cloudtrail-changes"], control: None },
        Requirement { id: "5.6", title: "Ensure AWS Management Console authentication failures are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.console-auth-failures"], control: None },
        Requirement { id: "5.7", title: "Ensure disabling or scheduled deletion of customer created CMKs is monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.cmk-disable-or-deletion"], control: None },
        Requirement { id: "5.8", title: "Ensure S3 bucket policy changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.s3-bucket-policy-changes"], control: None },
        Requirement { id: "5.9", title: "Ensure AWS Config configuration changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.config-changes"], control: None },
        Requirement { id: "5.10", title: "Ensure security group changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.security-group-changes"], control: None },
        Requirement { id: "5.11", title: "Ensure Network Access Control List (NACL) changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.nacl-changes"], control: None },
        Requirement { id: "5.12", title: "Ensure changes to network gateways are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.network-gateway-changes"], control: None },
        Requirement { id: "5.13", title: "Ensure route table changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.route-table-changes"], control: None },
        Requirement { id: "5.14", title: "Ensure VPC changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.vpc-changes"], control: None },
        Requirement { id: "5.15", title: "Ensure AWS Organizations changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.organizations-changes"], control: None },
        Requirement { id: "5.16", title: "Ensure AWS Security Hub is enabled", section: MONITORING, automated: true, level: 2, checks: &["securityhub.enabled"], control: None },
        Requirement { id: "6.1.1", title: "Ensure EBS volume encryption is enabled in all regions", section: NETWORKING, automated: true, level: 1, checks: &["ec2.ebs-default-encryption"], control: Some("EC2.7") },
        Requirement { id: "6.1.2", title: "Ensure CIFS access is restricted to trusted networks to prevent unauthorized access", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-cifs-ports"], control: None },
        Requirement { id: "6.2", title: "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.nacl-admin-ports"], control: Some("EC2.21") },
        Requirement { id: "6.3", title: "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv4"], control: Some("EC2.53") },
        Requirement { id: "6.4", title: "Ensure no security groups allow ingress from ::/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv6"], control: Some("EC2.54") },
        Requirement { id: "6.5", title: "Ensure the default security group of every VPC restricts all traffic", section: NETWORKING, automated: true, level: 2, checks: &["ec2.default-sg-closed"], control: Some("EC2.2") },
        Requirement { id: "6.6", title: "Ensure routing tables for VPC peering are least access", section: NETWORKING, automated: false, level: 2, checks: &["manual.vpc-peering-routes"], control: None },
        Requirement { id: "6.7", title: "Ensure that the EC2 Metadata Service only allows IMDSv2", section: NETWORKING, automated: true, level: 1, checks: &["ec2.imdsv2-required"], control: Some("EC2.8") },
    ],
};

/// CIS AWS Foundations Benchmark v7.0.0: every requirement, each with the checks that decide it.
#[rustfmt::skip] // One requirement per line reads as the table it is.
pub const CIS_V7_0_0: Benchmark = Benchmark {
    key: "cis-7.0.0",
    name: "CIS AWS Foundations Benchmark v7.0.0",
    requirements: &[
        Requirement { id: "2.1.1", title: "Ensure centralized root access in AWS Organizations", section: IAM, automated: false, level: 2, checks: &["org.centralized-root-access"], control: None },
        Requirement { id: "2.1.2", title: "Ensure authorization guardrails for all AWS Organization accounts", section: IAM, automated: false, level: 2, checks: &["org.authorization-guardrails"], control: None },
        Requirement { id: "2.1.3", title: "Ensure Organizations management account is not used for workloads", section: IAM, automated: false, level: 2, checks: &["org.management-account-workloads"], control: None },
        Requirement { id: "2.1.4", title: "Ensure Organizational Units are structured by environment and sensitivity", section: IAM, automated: false, level: 2, checks: &["org.ou-structure"], control: None },
        Requirement { id: "2.1.5", title: "Ensure delegated admin manages AWS Organizations policies", section: IAM, automated: false, level: 2, checks: &["org.policies-delegated-admin"], control: None },
        Requirement { id: "2.1.6", title: "Ensure delegated admins manage AWS Organizations-integrated services", section: IAM, automated: false, level: 2, checks: &["org.services-delegated-admins"], control: None },
        Requirement { id: "2.2", title: "Maintain current AWS account contact details", section: IAM, automated: false, level: 1, checks: &["manual.contact-details"], control: None },
        Requirement { id: "2.3", title: "Ensure security contact information is registered", section: IAM, automated: false, level: 1, checks: &["account.security-contact"], control: Some("Account.1") },
        Requirement { id: "2.4", title: "Ensure no 'root' user account access key exists", section: IAM, automated: true, level: 1, checks: &["iam.root-access-keys"], control: Some("IAM.4") },
        Requirement { id: "2.5", title: "Ensure MFA is enabled for the 'root' user account", section: IAM, automated: true, level: 1, checks: &["iam.root-mfa"], control: Some("IAM.9") },
        Requirement { id: "2.6", title: "Ensure hardware MFA is enabled for the 'root' user account", section: IAM, automated: false, level: 2, checks: &["iam.root-hardware-mfa"], control: Some("IAM.6") },
        Requirement { id: "2.7", title: "Eliminate use of the 'root' user for administrative and daily tasks", section: IAM, automated: false, level: 1, checks: &["iam.root-recent-use"], control: None },
        Requirement { id: "2.8", title: "Ensure IAM password policy requires minimum length of 14 or greater", section: IAM, automated: true, level: 1, checks: &["iam.password-min-length"], control: Some("IAM.15") },
        Requirement { id: "2.9", title: "Ensure IAM password policy prevents password reuse", section: IAM, automated: true, level: 1, checks: &["iam.password-reuse"], control: Some("IAM.16") },
        Requirement { id: "2.10", title: "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", section: IAM, automated: true, level: 1, checks: &["iam.console-user-mfa"], control: Some("IAM.5") },
        Requirement { id: "2.11", title: "Ensure credentials unused for 45 days or more are disabled", section: IAM, automated: true, level: 1, checks: &["iam.unused-credentials"], control: Some("IAM.22") },
        Requirement { id: "2.12", title: "Ensure access keys are rotated every 90 days or less", section: IAM, automated: true, level: 1, checks: &["iam.key-rotation"], control: Some("IAM.3") },
        Requirement { id: "2.13", title: "Ensure IAM users receive permissions only through groups", section: IAM, automated: true, level: 1, checks: &["iam.user-policies-via-groups"], control: Some("IAM.2") },
        Requirement { id: "2.14", title: "Ensure IAM policies that allow full \"*:*\" administrative privileges are not attached", section: IAM, automated: true, level: 1, checks: &["iam.no-full-admin-policies"], control: None },
        Requirement { id: "2.15", title: "Ensure a support role has been created to manage incidents with AWS Support", section: IAM, automated: true, level: 1, checks: &["iam.support-role"], control: Some("IAM.18") },
        Requirement { id: "2.16", title: "Ensure IAM instance roles are used for AWS resource access from instances", section: IAM, automated: true, level: 2, checks: &["ec2.instance-roles"], control: None },
        Requirement { id: "2.17", title: "Ensure that all expired SSL/TLS certificates stored in AWS IAM are removed", section: IAM, automated: true, level: 1, checks: &["iam.expired-server-certificates"], control: Some("IAM.26") },
        Requirement { id: "2.18", title: "Ensure that IAM External Access Analyzer is enabled for all regions", section: IAM, automated: true, level: 1, checks: &["accessanalyzer.enabled"], control: Some("IAM.28") },
        Requirement { id: "2.19", title: "Ensure IAM users are managed centrally via identity federation or AWS Organizations for multi-account environments", section: IAM, automated: false, level: 2, checks: &["manual.central-identity"], control: None },
        Requirement { id: "2.20", title: "Ensure access to AWSCloudShellFullAccess is restricted", section: IAM, automated: false, level: 1, checks: &["iam.cloudshell-full-access"], control: Some("IAM.27") },
        Requirement { id: "2.21", title: "Ensure AWS resource policies do not allow unrestricted access using 'Principal': '*'", section: IAM, automated: false, level: 1, checks: &["manual.resource-policy-principal-star"], control: None },
        Requirement { id: "3.1.1", title: "Ensure S3 Bucket Policy is set to deny HTTP requests", section: STORAGE, automated: true, level: 2, checks: &["s3.deny-http"], control: Some("S3.5") },
        Requirement { id: "3.1.2", title: "Ensure MFA Delete is enabled on S3 buckets", section: STORAGE, automated: false, level: 2, checks: &["s3.mfa-delete"], control: Some("S3.20") },
        Requirement { id: "3.1.3", title: "Ensure all data in Amazon S3 has been discovered, classified, and secured when necessary", section: STORAGE, automated: false, level: 2, checks: &["manual.s3-data-classification"], control: None },
        Requirement { id: "3.1.4", title: "Ensure that S3 is configured with 'Block Public Access' enabled", section: STORAGE, automated: true, level: 1, checks: &["s3.block-public-access"], control: Some("S3.8") },
        Requirement { id: "3.2.1", title: "Ensure that encryption-at-rest is enabled for RDS instances", section: STORAGE, automated: true, level: 1, checks: &["rds.storage-encrypted"], control: Some("RDS.3") },
        Requirement { id: "3.2.2", title: "Ensure the Auto Minor Version Upgrade feature is enabled for RDS instances", section: STORAGE, automated: true, level: 1, checks: &["rds.auto-minor-version-upgrade"], control: Some("RDS.13") },
        Requirement { id: "3.2.3", title: "Ensure that RDS instances are not publicly accessible", section: STORAGE, automated: true, level: 1, checks: &["rds.not-publicly-accessible"], control: Some("RDS.2") },
        Requirement { id: "3.2.4", title: "Ensure Multi-AZ deployments are used for enhanced availability in Amazon RDS", section: STORAGE, automated: false, level: 1, checks: &["rds.multi-az"], control: Some("RDS.5") },
        Requirement { id: "3.3.1", title: "Ensure that encryption is enabled for EFS file systems", section: STORAGE, automated: true, level: 1, checks: &["efs.encrypted"], control: Some("EFS.8") },
        Requirement { id: "4.1", title: "Ensure CloudTrail is enabled in all regions", section: LOGGING, automated: false, level: 1, checks: &["cloudtrail.multi-region-logging"], control: Some("CloudTrail.1") },
        Requirement { id: "4.2", title: "Ensure CloudTrail log file validation is enabled", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.log-file-validation"], control: Some("CloudTrail.4") },
        Requirement { id: "4.3", title: "Ensure AWS Config is enabled in all regions", section: LOGGING, automated: true, level: 2, checks: &["config.recorder-enabled", "config.global-resource-types"], control: Some("Config.1") },
        Requirement { id: "4.4", title: "Ensure that server access logging is enabled on the CloudTrail S3 bucket", section: LOGGING, automated: false, level: 1, checks: &["cloudtrail.bucket-access-logging"], control: Some("CloudTrail.7") },
        Requirement { id: "4.5", title: "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.kms-encryption"], control: Some("CloudTrail.2") },
        Requirement { id: "4.6", title: "Ensure rotation for customer-created symmetric CMKs is enabled", section: LOGGING, automated: true, level: 2, checks: &["kms.cmk-rotation"], control: Some("KMS.4") },
        Requirement { id: "4.7", title: "Ensure VPC flow logging is enabled in all VPCs", section: LOGGING, automated: true, level: 2, checks: &["ec2.vpc-flow-logs"], control: Some("EC2.6") },
        Requirement { id: "4.8", title: "Ensure that object-level logging for write events is enabled for S3 buckets", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-write-events"], control: Some("S3.22") },
        Requirement { id: "4.9", title: "Ensure that object-level logging for read events is enabled for S3 buckets", section: LOGGING, automated: true, level: 2, checks: &["cloudtrail.s3-object-read-events"], control: Some("S3.23") },
        Requirement { id: "4.10", title: "Ensure all AWS-managed web front-end services have access logging enabled", section: LOGGING, automated: false, level: 1, checks: &["manual.web-front-end-logging"], control: None },
        Requirement { id: "5.1", title: "Ensure unauthorized API calls are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.unauthorized-api-calls"], control: None },
        Requirement { id: "5.2", title: "Ensure management console sign-in without MFA is monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.console-signin-without-mfa"], control: None },
        Requirement { id: "5.3", title: "Ensure usage of the 'root' account is monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.root-usage"], control: None },
        Requirement { id: "5.4", title: "Ensure IAM policy changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.iam-policy-changes"], control: None },
        Requirement { id: "5.5", title: "Ensure CloudTrail configuration changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.cloudtrail-changes"], control: None },
        Requirement { id: "5.6", title: "Ensure AWS Management Console authentication failures are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.console-auth-failures"], control: None },
        Requirement { id: "5.7", title: "Ensure disabling or scheduled deletion of customer created CMKs is monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.cmk-disable-or-deletion"], control: None },
        Requirement { id: "5.8", title: "Ensure S3 bucket policy changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.s3-bucket-policy-changes"], control: None },
        Requirement { id: "5.9", title: "Ensure AWS Config configuration changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.config-changes"], control: None },
        Requirement { id: "5.10", title: "Ensure security group changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.security-group-changes"], control: None },
        Requirement { id: "5.11", title: "Ensure Network Access Control List (NACL) changes are monitored", section: MONITORING, automated: false, level: 2, checks: &["monitoring.nacl-changes"], control: None },
        Requirement { id: "5.12", title: "Ensure changes to network gateways are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.network-gateway-changes"], control: None },
        Requirement { id: "5.13", title: "Ensure route table changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.route-table-changes"], control: None },
        Requirement { id: "5.14", title: "Ensure VPC changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.vpc-changes"], control: None },
        Requirement { id: "5.15", title: "Ensure AWS Organizations changes are monitored", section: MONITORING, automated: false, level: 1, checks: &["monitoring.organizations-changes"], control: None },
        Requirement { id: "5.16", title: "Ensure AWS Security Hub is enabled", section: MONITORING, automated: true, level: 2, checks: &["securityhub.enabled"], control: None },
        Requirement { id: "6.1.1", title: "Ensure EBS volume encryption is enabled in all regions", section: NETWORKING, automated: true, level: 1, checks: &["ec2.ebs-default-encryption"], control: Some("EC2.7") },
        Requirement { id: "6.1.2", title: "Ensure CIFS access is restricted to trusted networks to prevent unauthorized access", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-cifs-ports"], control: None },
        Requirement { id: "6.2", title: "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.nacl-admin-ports"], control: Some("EC2.21") },
        Requirement { id: "6.3", title: "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv4"], control: Some("EC2.53") },
        Requirement { id: "6.4", title: "Ensure no security groups allow ingress from ::/0 to remote server administration ports", section: NETWORKING, automated: true, level: 1, checks: &["ec2.sg-admin-ports-ipv6"], control: Some("EC2.54") },
        Requirement { id: "6.5", title: "Ensure the default security group of every VPC restricts all traffic", section: NETWORKING, automated: true, level: 2, checks: &["ec2.default-sg-closed"], control: Some("EC2.2") },
        Requirement { id: "6.6", title: "Ensure routing tables for VPC peering are \"least access\"", section: NETWORKING, automated: false, level: 2, checks: &["manual.vpc-peering-routes"], control: None },
        Requirement { id: "6.7", title: "Ensure that the EC2 Metadata Service only allows IMDSv2", section: NETWORKING, automated: true, level: 1, checks: &["ec2.imdsv2-required"], control: Some("EC2.8") },
        Requirement { id: "6.8", title: "Ensure VPC Endpoints are used for access to AWS Services", section: NETWORKING, automated: false, level: 2, checks: &["manual.vpc-endpoints"], control: None },
    ],
};

/// Every benchmark version, oldest first.
pub const ALL: &[&Benchmark] = &[
    &CIS_V3_0_0,
    &CIS_V4_0_1,
    &CIS_V5_0_0,
    &CIS_V6_0_0,
    &CIS_V7_0_0,
];

/// The version assessed when none is configured: the newest.
pub const DEFAULT: &Benchmark = &CIS_V7_0_0;

/// A benchmark name that matches no table.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown benchmark '{0}' (expected one of: cis-3.0.0, cis-4.0.1, cis-5.0.0, cis-6.0.0, cis-7.0.0)")]
pub struct UnknownBenchmark(pub String);

/// Looks a benchmark up by key (`cis-7.0.0`, also `7.0.0` / `v7.0.0`) or full name.
pub fn by_name(name: &str) -> Result<&'static Benchmark, UnknownBenchmark> {
    let n = name.trim();
    let bare = n
        .strip_prefix("cis-")
        .or_else(|| n.strip_prefix('v'))
        .unwrap_or(n);
    ALL.iter()
        .copied()
        .find(|b| b.key == n || b.name == n || b.key.strip_prefix("cis-") == Some(bare))
        .ok_or_else(|| UnknownBenchmark(n.to_string()))
}

/// Several benchmarks by name, in the order given, without duplicates; the default when the
/// list is absent or empty.
pub fn select(names: Option<&[String]>) -> Result<Vec<&'static Benchmark>, UnknownBenchmark> {
    let mut out: Vec<&'static Benchmark> = Vec::new();
    for n in names.unwrap_or_default() {
        if n.trim().is_empty() {
            continue;
        }
        let b = by_name(n)?;
        if !out.iter().any(|x| x.key == b.key) {
            out.push(b);
        }
    }
    if out.is_empty() {
        out.push(DEFAULT);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_the_published_requirement_counts() {
        let counts: Vec<(&str, usize)> =
            ALL.iter().map(|b| (b.key, b.requirements.len())).collect();
        assert_eq!(
            counts,
            vec![
                ("cis-3.0.0", 62),
                ("cis-4.0.1", 64),
                ("cis-5.0.0", 63),
                ("cis-6.0.0", 63),
                ("cis-7.0.0", 70)
            ]
        );
    }

    #[test]
    fn ids_are_unique_and_every_row_has_a_check() {
        for b in ALL {
            let mut ids: Vec<&str> = b.requirements.iter().map(|r| r.id).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "{}", b.key);
            for r in b.requirements {
                assert!(!r.checks.is_empty(), "{} {}", b.key, r.id);
                assert!(r.level == 1 || r.level == 2, "{} {}", b.key, r.id);
                assert!(!r.section.is_empty() && !r.title.is_empty());
                // An automated requirement is decided by a check, not only reported manual.
                assert!(
                    !r.automated || r.checks.iter().any(|c| !c.starts_with("manual.")),
                    "{} {} is automated but has only manual checks",
                    b.key,
                    r.id
                );
            }
            assert!(b.name.ends_with(b.version()));
            assert_eq!(format!("cis-{}", &b.version()[1..]), b.key);
        }
    }

    #[test]
    fn lookup_by_key_name_and_version() {
        assert_eq!(by_name("cis-7.0.0").map(|b| b.key), Ok("cis-7.0.0"));
        assert_eq!(by_name("v4.0.1").map(|b| b.key), Ok("cis-4.0.1"));
        assert_eq!(by_name("5.0.0").map(|b| b.key), Ok("cis-5.0.0"));
        assert_eq!(
            by_name("CIS AWS Foundations Benchmark v3.0.0").map(|b| b.key),
            Ok("cis-3.0.0")
        );
        assert!(by_name("cis-2.0.0").is_err());
        assert_eq!(select(None).map(|v| v[0].key), Ok("cis-7.0.0"));
        let two = select(Some(&[
            "cis-3.0.0".into(),
            "cis-7.0.0".into(),
            "cis-3.0.0".into(),
        ]))
        .map(|v| v.iter().map(|b| b.key).collect::<Vec<_>>());
        assert_eq!(two, Ok(vec!["cis-3.0.0", "cis-7.0.0"]));
        assert!(select(Some(&["nope".into()])).is_err());
    }

    #[test]
    fn equivalents_share_checks_across_versions() {
        // v7.0.0 6.3 is v3.0.0 5.2 (0.0.0.0/0 to admin ports), 2.1.1 is an organization check.
        let r = |b: &Benchmark, id: &str| b.requirement(id).map(|r| r.checks.to_vec());
        assert_eq!(r(&CIS_V7_0_0, "6.3"), r(&CIS_V3_0_0, "5.2"));
        assert_eq!(r(&CIS_V7_0_0, "6.4"), r(&CIS_V3_0_0, "5.3"));
        assert_eq!(r(&CIS_V7_0_0, "4.3"), r(&CIS_V3_0_0, "3.3"));
        assert_eq!(
            r(&CIS_V7_0_0, "2.1.1"),
            Some(vec!["org.centralized-root-access"])
        );
        assert_eq!(
            CIS_V7_0_0.related_requirements("ec2.sg-admin-ports-ipv4"),
            vec!["CIS AWS Foundations Benchmark v7.0.0/6.3"]
        );
        assert_eq!(
            CIS_V5_0_0.requirement("5.3").and_then(|r| r.control),
            Some("EC2.53")
        );
    }
}

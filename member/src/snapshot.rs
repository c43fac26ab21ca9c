//! Snapshots: plain data collected from one account (global services) or one account-region.
//!
//! Each service's part is a [`Collected`] so a failed API call is carried as an error that the
//! checks turn into an error result, never into a pass.

mod ec2;
mod iam;
pub mod tags;

pub use ec2::{
    Ec2Snapshot, GroupRef, Instance, IpPermission, NaclEntry, NetworkAcl, SecurityGroup, Vpc,
};
pub use iam::{AccessKey, PasswordPolicy, UserRef};
pub use tags::Tags;

use crate::aws_error::AwsError;
use serde::{Deserialize, Serialize};

/// A service's data, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collected<T> {
    Ok(T),
    Err(AwsError),
}

impl<T> Collected<T> {
    pub fn as_result(&self) -> Result<&T, &AwsError> {
        match self {
            Collected::Ok(t) => Ok(t),
            Collected::Err(e) => Err(e),
        }
    }

    /// The data, or the error that kept it from being read (a remedy's plan stops on it).
    pub fn into_result(self) -> Result<T, AwsError> {
        match self {
            Collected::Ok(t) => Ok(t),
            Collected::Err(e) => Err(e),
        }
    }
}

impl<T> From<Result<T, AwsError>> for Collected<T> {
    fn from(r: Result<T, AwsError>) -> Self {
        match r {
            Ok(t) => Collected::Ok(t),
            Err(e) => Collected::Err(e),
        }
    }
}

/// Account-wide (global) data, collected once per account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    pub account_id: String,
    pub partition: String,
    pub iam: Collected<IamSnapshot>,
    pub cloudtrail: Collected<CloudTrailSnapshot>,
    /// The IAM credential report (one per account per run).
    pub credentials: Collected<crate::credential_report::CredentialReport>,
    /// Users, customer managed policies and who holds key AWS managed policies.
    pub authorization: Collected<Authorization>,
    /// The CIS monitoring chain behind the trails' CloudWatch Logs groups.
    pub monitoring: Collected<Monitoring>,
    /// Serial numbers of virtual MFA devices assigned to the root user.
    #[serde(default = "not_collected")]
    pub root_virtual_mfa: Collected<Vec<String>>,
    /// IAM server certificates (ListServerCertificates).
    #[serde(default = "not_collected")]
    pub server_certificates: Collected<ServerCertificates>,
    /// The SECURITY alternate contact; `None` when none is registered.
    #[serde(default = "not_collected")]
    pub security_contact: Collected<Option<SecurityContact>>,
    /// S3 buckets with the per-bucket settings the checks need, and the account-level block.
    #[serde(default = "not_collected")]
    pub s3: Collected<S3Snapshot>,
}

#[cfg(test)]
impl AccountSnapshot {
    /// A snapshot of `account_id` in which nothing was collected (tests fill what they need).
    pub fn empty(account_id: &str) -> Self {
        let e = || "not collected".to_string();
        AccountSnapshot {
            account_id: account_id.into(),
            partition: "aws".into(),
            iam: Collected::Err(e().into()),
            cloudtrail: Collected::Err(e().into()),
            credentials: Collected::Err(e().into()),
            authorization: Collected::Err(e().into()),
            monitoring: Collected::Err(e().into()),
            root_virtual_mfa: Collected::Err(e().into()),
            server_certificates: Collected::Err(e().into()),
            security_contact: Collected::Err(e().into()),
            s3: Collected::Err(e().into()),
        }
    }
}

#[cfg(test)]
impl RegionSnapshot {
    /// A snapshot of one account-region in which nothing was collected.
    pub fn empty(account_id: &str, region: &str) -> Self {
        let e = || "not collected".to_string();
        RegionSnapshot {
            account_id: account_id.into(),
            region: region.into(),
            partition: "aws".into(),
            ec2: Collected::Err(e().into()),
            securityhub_enabled: Collected::Err(e().into()),
            config_recorders: Collected::Err(e().into()),
            access_analyzers: Collected::Err(e().into()),
            rds_instances: Collected::Err(e().into()),
            efs_file_systems: Collected::Err(e().into()),
            kms_keys: Collected::Err(e().into()),
        }
    }
}

/// Default for fields added after a snapshot was saved: absent data is an error, never a pass.
pub fn not_collected<T>() -> Collected<T> {
    Collected::Err("not collected (the snapshot predates this data)".into())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerCertificates {
    /// When the list was read: expiry is judged against this instant.
    pub listed_at: chrono::DateTime<chrono::Utc>,
    pub certificates: Vec<ServerCertificate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerCertificate {
    pub name: String,
    pub arn: String,
    /// `None` when the API left it out.
    pub expiration: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityContact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// The four S3 Block Public Access switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub fn all(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }

    /// The effective setting when both an account-level and a bucket-level block apply.
    pub fn or(&self, other: &PublicAccessBlock) -> PublicAccessBlock {
        PublicAccessBlock {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3Snapshot {
    /// Account-level Block Public Access (s3control); `Ok(None)` when not configured.
    pub account_public_access_block: Collected<Option<PublicAccessBlock>>,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub name: String,
    pub region: String,
    /// The bucket policy, parsed; `Ok(None)` when the bucket has none.
    pub policy: Collected<Option<serde_json::Value>>,
    /// GetBucketVersioning `MFADelete == Enabled`.
    pub mfa_delete: Collected<bool>,
    /// Bucket-level Block Public Access; `Ok(None)` when not configured.
    pub public_access_block: Collected<Option<PublicAccessBlock>>,
    /// Server access logging target bucket; read only for CloudTrail buckets (`None` otherwise).
    pub access_logging: Option<Collected<Option<String>>>,
}

impl Bucket {
    pub fn arn(&self, partition: &str) -> String {
        rampart_common::arn::s3_bucket(partition, &self.name)
    }
}

/// Metric filters, alarms and alarm topics for the log groups trails deliver to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Monitoring {
    pub log_groups: Vec<LogGroupFilters>,
    pub alarms: Vec<MetricAlarm>,
    pub topics: Vec<TopicSubscriptions>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogGroupFilters {
    /// As the trail names it (`arn:aws:logs:<region>:<account>:log-group:<name>:*`).
    pub arn: String,
    pub filters: Vec<MetricFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricFilter {
    pub name: String,
    pub pattern: String,
    /// (namespace, metric name) pairs the filter publishes.
    pub metrics: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricAlarm {
    pub name: String,
    pub namespace: String,
    pub metric_name: String,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicSubscriptions {
    pub arn: String,
    /// Subscriptions that are confirmed (not `PendingConfirmation`).
    pub confirmed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authorization {
    pub users: Vec<IamUser>,
    /// Customer managed policies with their default version's document.
    pub policies: Vec<ManagedPolicy>,
    /// Principals (ARN-less names with their kind) holding AWSSupportAccess.
    pub support_access_holders: Vec<String>,
    /// Principals holding AWSCloudShellFullAccess.
    pub cloudshell_full_access_holders: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamUser {
    pub name: String,
    pub arn: String,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    pub attachment_count: i32,
    /// The default version's document, decoded; `None` if it could not be decoded.
    pub document: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamSnapshot {
    pub root_access_keys_present: bool,
    pub root_mfa_enabled: bool,
    /// `None` when the account has no password policy (IAM NoSuchEntity).
    pub password_policy: Option<PasswordPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudTrailSnapshot {
    /// Trails visible from the home region, shadow (multi-region and organization) trails included.
    pub trails: Vec<Trail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub is_multi_region: bool,
    pub is_organization_trail: bool,
    pub log_file_validation: bool,
    /// Whether the trail records global service events (IAM, STS, ...).
    #[serde(default)]
    pub include_global_service_events: bool,
    pub s3_bucket: Option<String>,
    pub kms_key_id: Option<String>,
    pub cloudwatch_logs_group_arn: Option<String>,
    /// `Err` when GetTrailStatus failed for this trail.
    pub is_logging: Collected<bool>,
    /// Management-event selection, `Err` when GetEventSelectors failed.
    pub management_events: Collected<ManagementEvents>,
    /// S3 object-level (data event) selection, from the same GetEventSelectors answer.
    #[serde(default = "not_collected")]
    pub s3_object_events: Collected<S3ObjectEvents>,
}

/// Whether the trail's selectors record S3 object-level events for every bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3ObjectEvents {
    pub read_all_buckets: bool,
    pub write_all_buckets: bool,
}

/// What the trail's (basic or advanced) event selectors record of management events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagementEvents {
    pub read: bool,
    pub write: bool,
}

/// Regional data of one account-region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionSnapshot {
    pub account_id: String,
    pub region: String,
    pub partition: String,
    pub ec2: Collected<Ec2Snapshot>,
    /// Whether Security Hub is enabled (DescribeHub answers).
    pub securityhub_enabled: Collected<bool>,
    pub config_recorders: Collected<Vec<ConfigRecorder>>,
    /// IAM Access Analyzer analyzers in the region.
    #[serde(default = "not_collected")]
    pub access_analyzers: Collected<Vec<Analyzer>>,
    #[serde(default = "not_collected")]
    pub rds_instances: Collected<Vec<DbInstance>>,
    #[serde(default = "not_collected")]
    pub efs_file_systems: Collected<Vec<FileSystem>>,
    #[serde(default = "not_collected")]
    pub kms_keys: Collected<Vec<KmsKey>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analyzer {
    pub name: String,
    pub arn: String,
    /// `ACCOUNT`, `ORGANIZATION`, `ACCOUNT_UNUSED_ACCESS`, ...
    pub kind: String,
    /// `ACTIVE`, `CREATING`, `DISABLED`, `FAILED`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbInstance {
    pub id: String,
    pub arn: String,
    pub engine: String,
    pub storage_encrypted: bool,
    pub auto_minor_version_upgrade: bool,
    pub publicly_accessible: bool,
    /// Multi-AZ deployment (absent in snapshots saved before it was collected: false).
    #[serde(default)]
    pub multi_az: bool,
    /// Deletion protection (absent in snapshots saved before it was collected: false).
    #[serde(default)]
    pub deletion_protection: bool,
    /// The DB cluster the instance belongs to (Aurora, Multi-AZ DB clusters, Neptune,
    /// DocumentDB): such an instance's deletion protection is its cluster's.
    #[serde(default)]
    pub cluster: Option<String>,
    /// The instance's tags (DescribeDBInstances' TagList).
    #[serde(default)]
    pub tags: Tags,
}

/// An RDS DB cluster (Aurora or Multi-AZ), as the RDS remedies read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbCluster {
    pub id: String,
    pub arn: String,
    pub engine: String,
    pub deletion_protection: bool,
    pub copy_tags_to_snapshot: bool,
    pub tags: Tags,
}

/// A manual DB snapshot or DB cluster snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbSnapshot {
    pub id: String,
    pub arn: String,
    /// A DB cluster snapshot (its own API calls), not a DB instance's.
    pub cluster: bool,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSystem {
    pub id: String,
    pub arn: String,
    pub encrypted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmsKey {
    pub id: String,
    pub arn: String,
    /// `CUSTOMER` or `AWS`.
    pub manager: String,
    /// `SYMMETRIC_DEFAULT`, `RSA_2048`, ...
    pub spec: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, ...
    pub state: String,
    /// `AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`.
    pub origin: String,
    /// GetKeyRotationStatus, read only for keys that can rotate (`None` otherwise).
    pub rotation_enabled: Option<Collected<bool>>,
}

impl KmsKey {
    /// Customer managed, symmetric, enabled, with AWS-generated material: what CIS 3.6 covers.
    pub fn rotation_applies(&self) -> bool {
        self.manager == "CUSTOMER"
            && self.spec == "SYMMETRIC_DEFAULT"
            && self.state == "Enabled"
            && self.origin == "AWS_KMS"
    }

    /// The key's ARN as DescribeKey gave it, else built from its id.
    pub fn arn_in(&self, partition: &str, region: &str, account: &str) -> String {
        if self.arn.is_empty() {
            rampart_common::arn::kms_key(partition, region, account, &self.id)
        } else {
            self.arn.clone()
        }
    }
}

/// An AWS Config configuration recorder and its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigRecorder {
    pub name: String,
    pub all_supported: bool,
    pub include_global_resource_types: bool,
    /// `recordingStrategy.useOnly` (`ALL_SUPPORTED_RESOURCE_TYPES`,
    /// `INCLUSION_BY_RESOURCE_TYPES`, `EXCLUSION_BY_RESOURCE_TYPES`), when the API gave one.
    #[serde(default)]
    pub strategy: Option<String>,
    /// Resource types of an inclusion list (`recordingGroup.resourceTypes`).
    #[serde(default)]
    pub resource_types: Vec<String>,
    pub recording: bool,
    /// `SUCCESS`, `FAILURE` or `PENDING`.
    pub last_status: Option<String>,
    /// The role the recorder uses (putting the recorder back needs it).
    #[serde(default)]
    pub role_arn: Option<String>,
}

/// The organization as its management account (or a delegated administrator) sees it: what
/// the organization-level requirements (CIS v7.0.0 2.1.x) are judged on, once per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgSnapshot {
    /// The account whose credentials read it; its Security Hub receives the findings.
    pub account_id: String,
    pub organization: Collected<OrgInfo>,
    /// Policy types enabled on the root (`SERVICE_CONTROL_POLICY`, `RESOURCE_CONTROL_POLICY`).
    pub root_policy_types: Collected<Vec<String>>,
    /// Organizational units directly under the root, by name.
    pub top_level_ous: Collected<Vec<String>>,
    /// Customer SCPs and RCPs (AWS-managed FullAWSAccess/RCPFullAWSAccess left out) and
    /// where each is attached.
    pub guardrails: Collected<Vec<OrgPolicy>>,
    /// iam:ListOrganizationsFeatures: `RootCredentialsManagement`, `RootSessions`.
    pub root_access_features: Collected<Vec<String>>,
    /// The Organizations resource policy delegating policy management, if any.
    pub delegation_policy: Collected<Option<String>>,
    /// AWS services with trusted access to the organization.
    pub trusted_services: Collected<Vec<String>>,
    /// Delegated administrators and the services each administers.
    pub delegated_admins: Collected<Vec<DelegatedAdmin>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgInfo {
    pub id: String,
    pub arn: String,
    pub management_account_id: String,
    /// `ALL` or `CONSOLIDATED_BILLING`.
    pub feature_set: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgPolicy {
    pub id: String,
    pub name: String,
    /// `SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`.
    pub kind: String,
    /// Target ids: the root (`r-`), OUs (`ou-`) or accounts.
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelegatedAdmin {
    pub account_id: String,
    pub services: Vec<String>,
}

impl OrgSnapshot {
    /// A snapshot where nothing could be read (tests, and a hub outside any organization).
    pub fn empty(account_id: &str) -> OrgSnapshot {
        let e = || "not collected".to_string();
        OrgSnapshot {
            account_id: account_id.to_string(),
            organization: Collected::Err(e().into()),
            root_policy_types: Collected::Err(e().into()),
            top_level_ous: Collected::Err(e().into()),
            guardrails: Collected::Err(e().into()),
            root_access_features: Collected::Err(e().into()),
            delegation_policy: Collected::Err(e().into()),
            trusted_services: Collected::Err(e().into()),
            delegated_admins: Collected::Err(e().into()),
        }
    }
}

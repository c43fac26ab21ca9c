//! Security Hub state in one account-region: is it enabled, and enabling it when asked.

use crate::aws_error::AwsError;
use crate::error_text::is_code;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "publish/securityhub",
    actions: &[
        "securityhub:DescribeHub",
        "securityhub:BatchImportFindings",
        "securityhub:GetFindings",
    ],
};

/// What the 4.16 collector calls.
pub const COLLECT_PERMISSIONS: Permissions = Permissions {
    component: "collect/securityhub",
    actions: &["securityhub:DescribeHub"],
};

pub const ENABLE_PERMISSIONS: Permissions = Permissions {
    component: "publish/enable-securityhub",
    actions: &["securityhub:EnableSecurityHub"],
};

/// Whether Security Hub is enabled (DescribeHub answers) in the client's account and region.
pub async fn is_enabled(client: &aws_sdk_securityhub::Client) -> Result<bool, AwsError> {
    match client.describe_hub().send().await {
        Ok(_) => Ok(true),
        Err(e)
            if is_code(&e, "InvalidAccessException")
                || is_code(&e, "ResourceNotFoundException") =>
        {
            Ok(false)
        }
        Err(e) => Err(AwsError::sdk("securityhub:DescribeHub", &e)),
    }
}

/// Enables Security Hub without default standards (Rampart publishes its own findings).
pub async fn enable(client: &aws_sdk_securityhub::Client) -> Result<(), AwsError> {
    match client
        .enable_security_hub()
        .enable_default_standards(false)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_code(&e, "ResourceConflictException") => Ok(()),
        Err(e) => Err(AwsError::sdk("securityhub:EnableSecurityHub", &e)),
    }
}

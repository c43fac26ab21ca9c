//! IAM (global): virtual MFA devices assigned to root (1.6) and server certificates (1.19).

use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{ServerCertificate, ServerCertificates};
use aws_sdk_iam::types::AssignmentStatusType;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/iam-inventory",
    actions: &["iam:ListVirtualMFADevices", "iam:ListServerCertificates"],
};

/// Serials of assigned virtual MFA devices that belong to the root user.
pub async fn root_virtual_mfa(
    client: &aws_sdk_iam::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_virtual_mfa_devices()
            .assignment_status(AssignmentStatusType::Assigned)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("iam:ListVirtualMFADevices", &e))?;
        for d in page.virtual_mfa_devices() {
            let user_is_root = d.user().is_some_and(|u| u.arn().ends_with(":root"));
            // The console names the root's device `root-account-mfa-device` (the CIS audit's test).
            if user_is_root || d.serial_number().ends_with(":mfa/root-account-mfa-device") {
                out.push(d.serial_number().to_string());
            }
        }
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn server_certificates(
    client: &aws_sdk_iam::Client,
    rl: &RateLimiter,
) -> Result<ServerCertificates, AwsError> {
    let listed_at = chrono::Utc::now();
    let mut certificates = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_server_certificates()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("iam:ListServerCertificates", &e))?;
        for c in page.server_certificate_metadata_list() {
            certificates.push(ServerCertificate {
                name: c.server_certificate_name().to_string(),
                arn: c.arn().to_string(),
                expiration: c
                    .expiration()
                    .and_then(|d| chrono::DateTime::from_timestamp(d.secs(), d.subsec_nanos())),
            });
        }
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(ServerCertificates {
        listed_at,
        certificates,
    })
}

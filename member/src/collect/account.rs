//! Account (global): the SECURITY alternate contact (1.2).

use crate::aws_error::AwsError;
use crate::error_text::is_code;
use crate::ratelimit::RateLimiter;
use crate::snapshot::SecurityContact;
use aws_sdk_account::types::AlternateContactType;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/account",
    actions: &["account:GetAlternateContact"],
};

/// `None` when the account has no security contact (ResourceNotFoundException).
pub async fn security_contact(
    client: &aws_sdk_account::Client,
    rl: &RateLimiter,
) -> Result<Option<SecurityContact>, AwsError> {
    rl.acquire().await;
    match client
        .get_alternate_contact()
        .alternate_contact_type(AlternateContactType::Security)
        .send()
        .await
    {
        Ok(out) => Ok(out.alternate_contact().map(|c| SecurityContact {
            name: c.name().unwrap_or_default().to_string(),
            email: c.email_address().unwrap_or_default().to_string(),
            phone: c.phone_number().unwrap_or_default().to_string(),
        })),
        Err(e) if is_code(&e, "ResourceNotFoundException") => Ok(None),
        Err(e) => Err(AwsError::sdk("account:GetAlternateContact", &e)),
    }
}

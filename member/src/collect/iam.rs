//! IAM (global): account summary and password policy.

use crate::error_text::{describe, is_code};
use crate::ratelimit::RateLimiter;
use crate::snapshot::{IamSnapshot, PasswordPolicy};
use aws_sdk_iam::types::SummaryKeyType;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/iam",
    actions: &["iam:GetAccountSummary", "iam:GetAccountPasswordPolicy"],
};

pub async fn collect(
    client: &aws_sdk_iam::Client,
    rl: &RateLimiter,
) -> Result<IamSnapshot, String> {
    rl.acquire().await;
    let summary = client
        .get_account_summary()
        .send()
        .await
        .map_err(|e| format!("iam:GetAccountSummary: {}", describe(&e)))?;
    let map = summary.summary_map();
    let flag = |k: SummaryKeyType| map.and_then(|m| m.get(&k)).copied().unwrap_or(0) > 0;
    let root_access_keys_present = flag(SummaryKeyType::AccountAccessKeysPresent);
    let root_mfa_enabled = flag(SummaryKeyType::AccountMfaEnabled);

    rl.acquire().await;
    let password_policy = match client.get_account_password_policy().send().await {
        Ok(out) => out.password_policy().map(|p| PasswordPolicy {
            minimum_length: p.minimum_password_length(),
            reuse_prevention: p.password_reuse_prevention(),
        }),
        Err(e) if is_code(&e, "NoSuchEntity") => None,
        Err(e) => return Err(format!("iam:GetAccountPasswordPolicy: {}", describe(&e))),
    };
    Ok(IamSnapshot {
        root_access_keys_present,
        root_mfa_enabled,
        password_policy,
    })
}

//! IAM (global): account summary and password policy.

use crate::aws_error::AwsError;
use crate::error_text::is_code;
use crate::ratelimit::RateLimiter;
use crate::snapshot::{Authorization, IamSnapshot, IamUser, ManagedPolicy, PasswordPolicy};
use aws_sdk_iam::types::SummaryKeyType;
use rampart_common::arn;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/iam",
    actions: &["iam:GetAccountSummary", "iam:GetAccountPasswordPolicy"],
};

pub async fn collect(
    client: &aws_sdk_iam::Client,
    rl: &RateLimiter,
) -> Result<IamSnapshot, AwsError> {
    rl.acquire().await;
    let summary = client
        .get_account_summary()
        .send()
        .await
        .map_err(|e| AwsError::sdk("iam:GetAccountSummary", &e))?;
    let map = summary.summary_map();
    let flag = |k: SummaryKeyType| map.and_then(|m| m.get(&k)).copied().unwrap_or(0) > 0;
    let root_access_keys_present = flag(SummaryKeyType::AccountAccessKeysPresent);
    let root_mfa_enabled = flag(SummaryKeyType::AccountMfaEnabled);

    Ok(IamSnapshot {
        root_access_keys_present,
        root_mfa_enabled,
        password_policy: password_policy(client, rl).await?,
    })
}

/// The account password policy in full; `None` when the account has none.
pub async fn password_policy(
    client: &aws_sdk_iam::Client,
    rl: &RateLimiter,
) -> Result<Option<PasswordPolicy>, AwsError> {
    rl.acquire().await;
    match client.get_account_password_policy().send().await {
        Ok(out) => Ok(out.password_policy().map(policy)),
        Err(e) if is_code(&e, "NoSuchEntity") => Ok(None),
        Err(e) => Err(AwsError::sdk("iam:GetAccountPasswordPolicy", &e)),
    }
}

fn policy(p: &aws_sdk_iam::types::PasswordPolicy) -> PasswordPolicy {
    PasswordPolicy {
        minimum_length: p.minimum_password_length(),
        reuse_prevention: p.password_reuse_prevention(),
        require_symbols: p.require_symbols(),
        require_numbers: p.require_numbers(),
        require_uppercase_characters: p.require_uppercase_characters(),
        require_lowercase_characters: p.require_lowercase_characters(),
        allow_users_to_change_password: p.allow_users_to_change_password(),
        max_password_age: p.max_password_age(),
        hard_expiry: p.hard_expiry(),
    }
}

pub const AUTHORIZATION_PERMISSIONS: Permissions = Permissions {
    component: "collect/iam-authorization",
    actions: &[
        "iam:GetAccountAuthorizationDetails",
        "iam:ListEntitiesForPolicy",
    ],
};

const SUPPORT_ACCESS: &str = "AWSSupportAccess";
const CLOUDSHELL_FULL_ACCESS: &str = "AWSCloudShellFullAccess";

/// Users and customer managed policies in one paginated call (no per-user N+1), plus the
/// holders of two AWS managed policies CIS cares about.
pub async fn collect_authorization(
    client: &aws_sdk_iam::Client,
    partition: &str,
    rl: &RateLimiter,
) -> Result<Authorization, AwsError> {
    use aws_sdk_iam::types::EntityType;
    let mut users = Vec::new();
    let mut policies = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::LocalManagedPolicy)
            .max_items(1000)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("iam:GetAccountAuthorizationDetails", &e))?;
        for u in page.user_detail_list() {
            users.push(IamUser {
                name: u.user_name().unwrap_or_default().to_string(),
                arn: u.arn().unwrap_or_default().to_string(),
                attached_policies: u
                    .attached_managed_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string))
                    .collect(),
                inline_policies: u
                    .user_policy_list()
                    .iter()
                    .filter_map(|p| p.policy_name().map(str::to_string))
                    .collect(),
            });
        }
        for p in page.policies() {
            let default = p
                .policy_version_list()
                .iter()
                .find(|v| v.is_default_version());
            policies.push(ManagedPolicy {
                name: p.policy_name().unwrap_or_default().to_string(),
                arn: p.arn().unwrap_or_default().to_string(),
                attachment_count: p.attachment_count().unwrap_or(0),
                document: default
                    .and_then(|v| v.document())
                    .and_then(decode_policy_document),
            });
        }
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    let support = policy_holders(
        client,
        &arn::aws_managed_policy(partition, SUPPORT_ACCESS),
        rl,
    )
    .await?;
    let cloudshell = policy_holders(
        client,
        &arn::aws_managed_policy(partition, CLOUDSHELL_FULL_ACCESS),
        rl,
    )
    .await?;
    Ok(Authorization {
        users,
        policies,
        support_access_holders: support,
        cloudshell_full_access_holders: cloudshell,
    })
}

/// `role/name`, `user/name`, `group/name` for every holder; none when the policy does not exist.
async fn policy_holders(
    client: &aws_sdk_iam::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = match client
            .list_entities_for_policy()
            .policy_arn(arn)
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) if is_code(&e, "NoSuchEntity") => return Ok(out),
            Err(e) => {
                return Err(AwsError::sdk(
                    format!("iam:ListEntitiesForPolicy {arn}"),
                    &e,
                ))
            }
        };
        out.extend(
            page.policy_roles()
                .iter()
                .filter_map(|r| r.role_name())
                .map(|n| format!("role/{n}")),
        );
        out.extend(
            page.policy_users()
                .iter()
                .filter_map(|r| r.user_name())
                .map(|n| format!("user/{n}")),
        );
        out.extend(
            page.policy_groups()
                .iter()
                .filter_map(|r| r.group_name())
                .map(|n| format!("group/{n}")),
        );
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// IAM returns policy documents URL-encoded (RFC 3986); some endpoints return them raw.
pub fn decode_policy_document(doc: &str) -> Option<serde_json::Value> {
    if let Ok(v) = serde_json::from_str(doc) {
        return Some(v);
    }
    let bytes = doc.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    serde_json::from_slice(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_url_encoded_and_raw_documents() {
        let raw = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert_eq!(
            decode_policy_document(raw).expect("raw")["Statement"][0]["Action"],
            "*"
        );
        let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            decode_policy_document(enc).expect("encoded")["Version"],
            "2012-10-17"
        );
        assert!(decode_policy_document("%7").is_none());
        assert!(decode_policy_document("%zz").is_none());
        assert!(decode_policy_document("not json").is_none());
    }
}

//! IAM users and their access keys, read live. The assessment judges keys from the credential
//! report, which IAM regenerates at most every four hours; a remedy deactivating a key must
//! see it as it is now, so it reads through these.
//!
//! Not part of the assessment: the calls are declared by the remedy that makes them.

use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use crate::snapshot::{AccessKey, Tags, UserRef};
use chrono::{DateTime, Utc};

fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// One user by name; `None` when the answer names none.
pub async fn user(
    client: &aws_sdk_iam::Client,
    name: &str,
    rl: &RateLimiter,
) -> Result<Option<UserRef>, AwsError> {
    rl.acquire().await;
    let out = client
        .get_user()
        .user_name(name)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("iam:GetUser {name}"), &e))?;
    Ok(out.user().map(|u| UserRef {
        name: u.user_name().to_string(),
        arn: u.arn().to_string(),
    }))
}

/// Every user of the account.
pub async fn users(
    client: &aws_sdk_iam::Client,
    rl: &RateLimiter,
) -> Result<Vec<UserRef>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_users()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("iam:ListUsers", &e))?;
        out.extend(page.users().iter().map(|u| UserRef {
            name: u.user_name().to_string(),
            arn: u.arn().to_string(),
        }));
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The user's access keys, active and inactive.
pub async fn access_keys(
    client: &aws_sdk_iam::Client,
    user: &str,
    rl: &RateLimiter,
) -> Result<Vec<AccessKey>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_access_keys()
            .user_name(user)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("iam:ListAccessKeys {user}"), &e))?;
        out.extend(page.access_key_metadata().iter().filter_map(|k| {
            Some(AccessKey {
                id: k.access_key_id()?.to_string(),
                user: user.to_string(),
                status: k.status().map(|s| s.as_str().to_string())?,
                created: k.create_date().and_then(to_chrono),
            })
        }));
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// When the key was last used; `None` when it never was (or IAM does not say).
pub async fn last_used(
    client: &aws_sdk_iam::Client,
    key_id: &str,
    rl: &RateLimiter,
) -> Result<Option<DateTime<Utc>>, AwsError> {
    rl.acquire().await;
    let out = client
        .get_access_key_last_used()
        .access_key_id(key_id)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("iam:GetAccessKeyLastUsed {key_id}"), &e))?;
    Ok(out
        .access_key_last_used()
        .and_then(|u| u.last_used_date())
        .and_then(to_chrono))
}

/// The user's tags (none when the user has none).
pub async fn user_tags(
    client: &aws_sdk_iam::Client,
    user: &str,
    rl: &RateLimiter,
) -> Result<Tags, AwsError> {
    let mut out = Tags::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_user_tags()
            .user_name(user)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("iam:ListUserTags {user}"), &e))?;
        out.extend(
            page.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        match (page.is_truncated(), page.marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_convert_to_chrono() {
        let t = aws_smithy_types::DateTime::from_secs(1_700_000_000);
        assert_eq!(to_chrono(&t).map(|d| d.timestamp()), Some(1_700_000_000));
    }
}

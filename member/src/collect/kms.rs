//! KMS (regional): keys and, for those CIS 3.6 covers, their rotation status.
//!
//! KMS has no bulk describe: one DescribeKey per key, then GetKeyRotationStatus only for
//! customer managed symmetric keys, a few at a time.

use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{Collected, KmsKey, Tags};
use futures::stream::{self, StreamExt, TryStreamExt};
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/kms",
    actions: &[
        "kms:ListKeys",
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
    ],
};

/// Keys described concurrently per account-region (the rate limiter still paces them).
const CONCURRENCY: usize = 4;

pub async fn collect(
    client: &aws_sdk_kms::Client,
    rl: &RateLimiter,
) -> Result<Vec<KmsKey>, AwsError> {
    let ids = list_keys(client, rl).await?;
    stream::iter(ids)
        .map(|id| key(client, id, rl))
        .buffered(CONCURRENCY)
        .try_collect()
        .await
}

/// The ids of every key in the region.
pub async fn list_keys(
    client: &aws_sdk_kms::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut ids = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_keys()
            .limit(1000)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("kms:ListKeys", &e))?;
        ids.extend(
            page.keys()
                .iter()
                .filter_map(|k| k.key_id().map(str::to_string)),
        );
        match (page.truncated(), page.next_marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(ids)
}

/// One key, with its rotation status where rotation applies.
pub async fn key(
    client: &aws_sdk_kms::Client,
    id: String,
    rl: &RateLimiter,
) -> Result<KmsKey, AwsError> {
    rl.acquire().await;
    let out = client
        .describe_key()
        .key_id(&id)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("kms:DescribeKey {id}"), &e))?;
    let m = out
        .key_metadata()
        .ok_or_else(|| format!("kms:DescribeKey {id}: no key metadata in the answer"))?;
    let mut k = KmsKey {
        id: m.key_id().to_string(),
        arn: m.arn().unwrap_or_default().to_string(),
        manager: m
            .key_manager()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
        spec: m
            .key_spec()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
        state: m
            .key_state()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
        origin: m
            .origin()
            .map(|x| x.as_str().to_string())
            .unwrap_or_default(),
        rotation_enabled: None,
    };
    if k.rotation_applies() {
        rl.acquire().await;
        k.rotation_enabled = Some(
            match client.get_key_rotation_status().key_id(&id).send().await {
                Ok(r) => Collected::Ok(r.key_rotation_enabled()),
                Err(e) => {
                    Collected::Err(AwsError::sdk(format!("kms:GetKeyRotationStatus {id}"), &e))
                }
            },
        );
    }
    Ok(k)
}

/// The key's tags. Not part of the assessment: the remedy that reads them declares the call.
pub async fn tags(
    client: &aws_sdk_kms::Client,
    key_id: &str,
    rl: &RateLimiter,
) -> Result<Tags, AwsError> {
    let mut out = Tags::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_resource_tags()
            .key_id(key_id)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("kms:ListResourceTags {key_id}"), &e))?;
        out.extend(
            page.tags()
                .iter()
                .map(|t| (t.tag_key().to_string(), t.tag_value().to_string())),
        );
        match (page.truncated(), page.next_marker()) {
            (true, Some(m)) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

//! S3 (global listing, regional buckets): what 2.1.1, 2.1.2, 2.1.4 and 3.4 need per bucket.
//!
//! ListBuckets is global; every per-bucket call goes to the bucket's own region. S3 has no
//! bulk read of bucket settings, so each bucket costs three calls (policy, versioning, public
//! access block), plus GetBucketLogging for CloudTrail buckets and GetBucketLocation when
//! ListBuckets did not name the region; buckets are read a few at a time.

use super::region::in_region;
use crate::aws_error::AwsError;
use crate::error_text::is_code;
use crate::ratelimit::RateLimiter;
use crate::snapshot::{Bucket, Collected, PublicAccessBlock, S3Snapshot};
use aws_config::SdkConfig;
use futures::stream::{self, StreamExt};
use rampart_common::Permissions;
use std::collections::HashMap;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/s3",
    actions: &[
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketPolicy",
        "s3:GetBucketVersioning",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketLogging",
    ],
};

/// Buckets read concurrently per account.
const CONCURRENCY: usize = 4;

/// An S3 client for `sdk`. Behind a custom endpoint (an emulator or proxy) bucket host names
/// (`bucket.127.0.0.1`) do not resolve, so addressing is path-style there.
pub fn client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build(),
    )
}

/// Reads every bucket; `trail_buckets` also get their access logging read (3.4).
pub async fn collect(
    home: &SdkConfig,
    account_id: &str,
    trail_buckets: &[String],
    rl: &RateLimiter,
) -> Result<S3Snapshot, AwsError> {
    let home_client = client(home);
    let listed = list_buckets(&home_client, rl).await?;
    let account_block = super::s3control::account_public_access_block(
        &super::s3control::client(home),
        account_id,
        rl,
    )
    .await;
    // One client per bucket region, built once.
    let mut clients: HashMap<String, aws_sdk_s3::Client> = HashMap::new();
    let mut located = Vec::with_capacity(listed.len());
    for (name, region) in listed {
        let region = match region {
            Some(r) => r,
            None => location(&home_client, &name, rl).await?,
        };
        clients
            .entry(region.clone())
            .or_insert_with(|| client(&in_region(home, &region)));
        located.push((name, region));
    }
    let clients = &clients;
    let buckets = stream::iter(located)
        .map(|(name, region)| async move {
            let logged = trail_buckets.contains(&name);
            match clients.get(&region) {
                Some(c) => bucket(c, name, region, logged, rl).await,
                None => Err(format!("no S3 client for {region}").into()),
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(S3Snapshot {
        account_public_access_block: account_block.into(),
        buckets,
    })
}

/// (name, region if ListBuckets gave it).
async fn list_buckets(
    client: &aws_sdk_s3::Client,
    rl: &RateLimiter,
) -> Result<Vec<(String, Option<String>)>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_buckets()
            .max_buckets(1000)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("s3:ListBuckets", &e))?;
        out.extend(page.buckets().iter().filter_map(|b| {
            b.name()
                .map(|n| (n.to_string(), b.bucket_region().map(str::to_string)))
        }));
        match page.continuation_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn location(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    rl: &RateLimiter,
) -> Result<String, AwsError> {
    rl.acquire().await;
    let out = client
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("s3:GetBucketLocation {bucket}"), &e))?;
    Ok(region_of_constraint(
        out.location_constraint().map(|c| c.as_str()),
    ))
}

/// GetBucketLocation's answer as a region: empty is us-east-1, `EU` the old name of eu-west-1.
pub fn region_of_constraint(c: Option<&str>) -> String {
    match c {
        None | Some("") => "us-east-1".into(),
        Some("EU") => "eu-west-1".into(),
        Some(r) => r.into(),
    }
}

async fn bucket(
    client: &aws_sdk_s3::Client,
    name: String,
    region: String,
    logged: bool,
    rl: &RateLimiter,
) -> Result<Bucket, AwsError> {
    let (policy, mfa_delete, public_access_block, access_logging) = tokio::join!(
        policy(client, &name, rl),
        mfa_delete(client, &name, rl),
        public_access_block(client, &name, rl),
        async {
            if logged {
                Some(logging(client, &name, rl).await)
            } else {
                None
            }
        }
    );
    Ok(Bucket {
        name,
        region,
        policy,
        mfa_delete,
        public_access_block,
        access_logging,
    })
}

async fn policy(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    rl: &RateLimiter,
) -> Collected<Option<serde_json::Value>> {
    rl.acquire().await;
    match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => match out.policy() {
            None => Collected::Ok(None),
            Some(text) => match serde_json::from_str(text) {
                Ok(v) => Collected::Ok(Some(v)),
                Err(e) => Collected::Err(
                    format!("s3:GetBucketPolicy {bucket}: the policy is not JSON ({e})").into(),
                ),
            },
        },
        Err(e) if is_code(&e, "NoSuchBucketPolicy") => Collected::Ok(None),
        Err(e) => Collected::Err(AwsError::sdk(format!("s3:GetBucketPolicy {bucket}"), &e)),
    }
}

async fn mfa_delete(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    rl: &RateLimiter,
) -> Collected<bool> {
    rl.acquire().await;
    match client.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => {
            Collected::Ok(out.mfa_delete() == Some(&aws_sdk_s3::types::MfaDeleteStatus::Enabled))
        }
        Err(e) => Collected::Err(AwsError::sdk(
            format!("s3:GetBucketVersioning {bucket}"),
            &e,
        )),
    }
}

async fn public_access_block(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    rl: &RateLimiter,
) -> Collected<Option<PublicAccessBlock>> {
    rl.acquire().await;
    match client.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            Collected::Ok(
                out.public_access_block_configuration()
                    .map(|c| PublicAccessBlock {
                        block_public_acls: c.block_public_acls().unwrap_or(false),
                        ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                        block_public_policy: c.block_public_policy().unwrap_or(false),
                        restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                    }),
            )
        }
        Err(e) if is_code(&e, "NoSuchPublicAccessBlockConfiguration") => Collected::Ok(None),
        Err(e) => Collected::Err(AwsError::sdk(
            format!("s3:GetPublicAccessBlock {bucket}"),
            &e,
        )),
    }
}

async fn logging(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    rl: &RateLimiter,
) -> Collected<Option<String>> {
    rl.acquire().await;
    match client.get_bucket_logging().bucket(bucket).send().await {
        Ok(out) => Collected::Ok(out.logging_enabled().map(|l| l.target_bucket().to_string())),
        Err(e) => Collected::Err(AwsError::sdk(format!("s3:GetBucketLogging {bucket}"), &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints_map_to_regions() {
        assert_eq!(region_of_constraint(None), "us-east-1");
        assert_eq!(region_of_constraint(Some("")), "us-east-1");
        assert_eq!(region_of_constraint(Some("EU")), "eu-west-1");
        assert_eq!(region_of_constraint(Some("ap-south-1")), "ap-south-1");
    }
}

//! S3 (global listing, regional buckets): what 2.1.1, 2.1.2, 2.1.4 and 3.4 need per bucket.
//!
//! ListBuckets is global; every per-bucket call goes to the bucket's own region. S3 has no
//! bulk read of bucket settings, so each bucket costs three calls (policy, versioning, public
//! access block), plus GetBucketLogging for CloudTrail buckets and GetBucketLocation when
//! ListBuckets did not name the region; buckets are read a few at a time.
//!
//! Every call on a bucket names its expected owner (`ExpectedBucketOwner`): a bucket name is
//! global, and one that now belongs to another account answers 403 instead of being read (or,
//! through the remedies that plan on these readers, changed).

use super::region::in_region;
use crate::aws_error::AwsError;
use crate::error_text::is_code;
use crate::ratelimit::RateLimiter;
use crate::snapshot::{Bucket, Collected, PublicAccessBlock, S3Snapshot, Tags};
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

/// Reads every bucket of `account_id`; `trail_buckets` also get their access logging read (3.4).
pub async fn collect(
    home: &SdkConfig,
    account_id: &str,
    trail_buckets: &[String],
    rl: &RateLimiter,
) -> Result<S3Snapshot, AwsError> {
    let located = locate(home, account_id, None, rl).await?;
    let account_block = super::s3control::account_public_access_block(
        &super::s3control::client(home),
        account_id,
        rl,
    )
    .await;
    let buckets = stream::iter(located)
        .map(|b| {
            let logged = trail_buckets.contains(&b.name);
            bucket(b, account_id, logged, rl)
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    Ok(S3Snapshot {
        account_public_access_block: account_block.into(),
        buckets,
    })
}

/// A bucket, its region and a client for that region.
#[derive(Debug, Clone)]
pub struct Located {
    pub name: String,
    pub region: String,
    pub client: aws_sdk_s3::Client,
}

/// Every bucket of `owner` (ListBuckets), or only the bucket `only`, with its region: the one
/// ListBuckets named, else GetBucketLocation's. One client per region, built once.
pub async fn locate(
    home: &SdkConfig,
    owner: &str,
    only: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<Located>, AwsError> {
    let home_client = client(home);
    let listed = match only {
        Some(name) => vec![(name.to_string(), None)],
        None => list_buckets(&home_client, rl).await?,
    };
    let mut clients: HashMap<String, aws_sdk_s3::Client> = HashMap::new();
    let mut out = Vec::with_capacity(listed.len());
    for (name, region) in listed {
        let region = match region {
            Some(r) => r,
            None => location(&home_client, &name, owner, rl).await?,
        };
        let client = clients
            .entry(region.clone())
            .or_insert_with(|| client(&in_region(home, &region)))
            .clone();
        out.push(Located {
            name,
            region,
            client,
        });
    }
    Ok(out)
}

/// (name, region if ListBuckets gave it).
pub async fn list_buckets(
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

pub async fn location(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    owner: &str,
    rl: &RateLimiter,
) -> Result<String, AwsError> {
    rl.acquire().await;
    let out = client
        .get_bucket_location()
        .bucket(bucket)
        .expected_bucket_owner(owner)
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

async fn bucket(b: Located, owner: &str, logged: bool, rl: &RateLimiter) -> Bucket {
    let (c, name) = (&b.client, b.name.as_str());
    let (policy, mfa_delete, public_access_block, access_logging) = tokio::join!(
        policy(c, name, owner, rl),
        mfa_delete(c, name, owner, rl),
        public_access_block(c, name, owner, rl),
        async {
            if logged {
                Some(logging(c, name, owner, rl).await)
            } else {
                None
            }
        }
    );
    Bucket {
        name: b.name,
        region: b.region,
        policy,
        mfa_delete,
        public_access_block,
        access_logging,
    }
}

/// The bucket policy, parsed; `None` when the bucket has none.
pub async fn policy(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    owner: &str,
    rl: &RateLimiter,
) -> Collected<Option<serde_json::Value>> {
    match policy_text(client, bucket, owner, rl).await {
        Ok(None) => Collected::Ok(None),
        Ok(Some(text)) => match serde_json::from_str(&text) {
            Ok(v) => Collected::Ok(Some(v)),
            Err(e) => Collected::Err(
                format!("s3:GetBucketPolicy {bucket}: the policy is not JSON ({e})").into(),
            ),
        },
        Err(e) => Collected::Err(e),
    }
}

/// The bucket policy as stored (a remedy records it byte for byte); `None` when it has none.
pub async fn policy_text(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    owner: &str,
    rl: &RateLimiter,
) -> Result<Option<String>, AwsError> {
    rl.acquire().await;
    match client
        .get_bucket_policy()
        .bucket(bucket)
        .expected_bucket_owner(owner)
        .send()
        .await
    {
        Ok(out) => Ok(out.policy().map(str::to_string)),
        Err(e) if is_code(&e, "NoSuchBucketPolicy") => Ok(None),
        Err(e) => Err(AwsError::sdk(format!("s3:GetBucketPolicy {bucket}"), &e)),
    }
}

async fn mfa_delete(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    owner: &str,
    rl: &RateLimiter,
) -> Collected<bool> {
    rl.acquire().await;
    match client
        .get_bucket_versioning()
        .bucket(bucket)
        .expected_bucket_owner(owner)
        .send()
        .await
    {
        Ok(out) => {
            Collected::Ok(out.mfa_delete() == Some(&aws_sdk_s3::types::MfaDeleteStatus::Enabled))
        }
        Err(e) => Collected::Err(AwsError::sdk(
            format!("s3:GetBucketVersioning {bucket}"),
            &e,
        )),
    }
}

/// Bucket-level Block Public Access; `None` when the bucket has none configured.
pub async fn public_access_block(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    owner: &str,
    rl: &RateLimiter,
) -> Collected<Option<PublicAccessBlock>> {
    rl.acquire().await;
    match client
        .get_public_access_block()
        .bucket(bucket)
        .expected_bucket_owner(owner)
        .send()
        .await
    {
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
    owner: &str,
    rl: &RateLimiter,
) -> Collected<Option<String>> {
    rl.acquire().await;
    match client
        .get_bucket_logging()
        .bucket(bucket)
        .expected_bucket_owner(owner)
        .send()
        .await
    {
        Ok(out) => Collected::Ok(out.logging_enabled().map(|l| l.target_bucket().to_string())),
        Err(e) => Collected::Err(AwsError::sdk(format!("s3:GetBucketLogging {bucket}"), &e)),
    }
}

/// The bucket's tags (none when it has no tag set). Not part of the assessment: the remedies
/// that read them declare the call.
pub async fn tags(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    owner: &str,
    rl: &RateLimiter,
) -> Result<Tags, AwsError> {
    rl.acquire().await;
    match client
        .get_bucket_tagging()
        .bucket(bucket)
        .expected_bucket_owner(owner)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if is_code(&e, "NoSuchTagSet") => Ok(Tags::new()),
        Err(e) => Err(AwsError::sdk(format!("s3:GetBucketTagging {bucket}"), &e)),
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

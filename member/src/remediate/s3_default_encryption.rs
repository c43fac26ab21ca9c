//! S3.4: buckets have server-side encryption by default. A bucket without a default encryption
//! configuration gets SSE-S3 (AES256); undo deletes the configuration again, only when the
//! bucket had none and it is still the one Rampart put.
//!
//! Since January 2023 S3 encrypts every bucket with SSE-S3 unless told otherwise, and deleting
//! the configuration resets it to SSE-S3: on AWS this finds buckets only where that default is
//! missing (an older service behaviour, or an emulator). Reads go through the S3 collectors and
//! every call names the account as the bucket's expected owner, as the other S3 remedies do.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::s3 as collect_s3;
use crate::error_text::is_code;
use crate::ratelimit::RateLimiter;
use crate::snapshot::tags;
use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use rampart_common::arn;
use rampart_common::Permissions;
use serde_json::{json, Value};

/// What the bucket gets: SSE-S3, S3's own default (no key to manage, no KMS cost).
const ALGORITHM: &str = "AES256";

pub const REMEDY: Remedy = Remedy {
    id: "s3-default-encryption",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "S3.4",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/s3-default-encryption",
        actions: &[
            "s3:ListAllMyBuckets",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
            "s3:GetEncryptionConfiguration",
            "s3:PutEncryptionConfiguration",
        ],
    },
    changes: "Gives a bucket without a default encryption configuration SSE-S3 (AES256) default encryption; objects already stored are not re-encrypted.",
    undoes: "Deletes the bucket's encryption configuration again (only where the bucket had none and it is still SSE-S3 as Rampart set it).",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

/// A bucket's default encryption as recorded: each rule's algorithm, key and bucket key.
fn describe(c: &ServerSideEncryptionConfiguration) -> Value {
    let rules: Vec<Value> = c
        .rules()
        .iter()
        .map(|r| {
            let d = r.apply_server_side_encryption_by_default();
            json!({
                "sse_algorithm": d.map(|d| d.sse_algorithm().as_str()),
                "kms_master_key_id": d.and_then(|d| d.kms_master_key_id()),
                "bucket_key_enabled": r.bucket_key_enabled(),
            })
        })
        .collect();
    json!({ "rules": rules })
}

/// Whether a recorded configuration is exactly what Rampart puts: one SSE-S3 rule, no key.
fn is_rampart_default(v: &Value) -> bool {
    match v.get("rules").and_then(Value::as_array).map(Vec::as_slice) {
        Some([r]) => {
            r.get("sse_algorithm").and_then(Value::as_str) == Some(ALGORITHM)
                && r.get("kms_master_key_id").is_none_or(Value::is_null)
                && r.get("bucket_key_enabled").and_then(Value::as_bool) != Some(true)
        }
        _ => false,
    }
}

/// The bucket's default encryption, or `None` when it has no configuration.
async fn encryption(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    owner: &str,
    rl: &RateLimiter,
) -> Result<Option<Value>, AwsError> {
    rl.acquire().await;
    match s3
        .get_bucket_encryption()
        .bucket(bucket)
        .expected_bucket_owner(owner)
        .send()
        .await
    {
        Ok(out) => Ok(out.server_side_encryption_configuration().map(describe)),
        Err(e) if is_code(&e, "ServerSideEncryptionConfigurationNotFoundError") => Ok(None),
        Err(e) => Err(AwsError::sdk(
            format!("s3:GetBucketEncryption {bucket}"),
            &e,
        )),
    }
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (rl, owner) = (limiter(), ctx.account);
    let only = resource.map(arn::resource_name);
    let mut out = Vec::new();
    for b in collect_s3::locate(ctx.member, owner, only, &rl).await? {
        let (bucket, region) = (&b.name, &b.region);
        let arn = arn::s3_bucket(ctx.partition(), bucket);
        if encryption(&b.client, bucket, owner, &rl).await?.is_some() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("{bucket} already has default encryption"),
                });
            }
            continue;
        }
        let tags = collect_s3::tags(&b.client, bucket, owner, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "s3:PutBucketEncryption".into(),
            summary: format!("turn on SSE-S3 default encryption of bucket {bucket}"),
            prior: json!({"kind": "s3-default-encryption", "bucket": bucket, "region": region, "configuration": null}),
            change: json!({"kind": "s3-default-encryption", "bucket": bucket, "region": region, "sse_algorithm": ALGORITHM}),
        }));
    }
    Ok(out)
}

/// The recorded bucket and a client of its region (S3 answers a request for a bucket elsewhere
/// with a redirect the SDK does not follow).
fn bucket_of<'v>(
    ctx: &Ctx<'_>,
    state: &'v Value,
) -> Result<(&'v str, aws_sdk_s3::Client), AwsError> {
    if text(state, "kind")? != "s3-default-encryption" {
        return Err("unknown recorded state kind".into());
    }
    let s3 = match state.get("region").and_then(Value::as_str) {
        Some(r) => collect_s3::client(&crate::collect::in_region(ctx.member, r)),
        None => collect_s3::client(ctx.member),
    };
    Ok((text(state, "bucket")?, s3))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    let (bucket, s3) = bucket_of(ctx, &c.change)?;
    let op = format!("s3:PutBucketEncryption {bucket}");
    // Read again: a configuration someone set since the plan is never overwritten (nor, later,
    // deleted by undo).
    if let Some(now) = encryption(&s3, bucket, ctx.account, &limiter()).await? {
        return Err(AwsError::invalid(
            op,
            format!("the bucket has default encryption now ({now}): left as it is"),
        ));
    }
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(ALGORITHM))
                .build()
                .map_err(|e| AwsError::invalid(op.as_str(), e.to_string()))?,
        )
        .build();
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| AwsError::invalid(op.as_str(), e.to_string()))?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map_err(|e| AwsError::sdk(op.as_str(), &e))?;
    Ok(format!("{bucket}: default encryption {ALGORITHM}"))
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    let (bucket, s3) = bucket_of(ctx, &a.prior)?;
    let op = format!("s3:DeleteBucketEncryption {bucket}");
    if a.prior.get("configuration").is_some_and(|c| !c.is_null()) {
        return Err(AwsError::invalid(
            op,
            "the bucket had a configuration: there is nothing of Rampart's to remove",
        ));
    }
    let Some(now) = encryption(&s3, bucket, ctx.account, &limiter()).await? else {
        return Ok(format!(
            "{bucket} has no default encryption: nothing to remove"
        ));
    };
    if !is_rampart_default(&now) {
        return Err(AwsError::invalid(
            op,
            format!("the configuration changed since Rampart set it ({now}): left as it is"),
        ));
    }
    s3.delete_bucket_encryption()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account)
        .send()
        .await
        .map_err(|e| AwsError::sdk(op.as_str(), &e))?;
    Ok(format!(
        "{bucket}: default encryption configuration deleted"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(
        alg: &str,
        key: Option<&str>,
        bucket_key: Option<bool>,
    ) -> ServerSideEncryptionConfiguration {
        let d = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(alg))
            .set_kms_master_key_id(key.map(str::to_string))
            .build()
            .expect("by default");
        ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(d)
                    .set_bucket_key_enabled(bucket_key)
                    .build(),
            )
            .build()
            .expect("configuration")
    }

    #[test]
    fn only_the_configuration_rampart_puts_is_removed() {
        let ours = describe(&config("AES256", None, None));
        assert_eq!(
            ours,
            json!({"rules": [{"sse_algorithm": "AES256", "kms_master_key_id": null, "bucket_key_enabled": null}]})
        );
        assert!(is_rampart_default(&ours));
        assert!(is_rampart_default(&describe(&config(
            "AES256",
            None,
            Some(false)
        ))));
        assert!(!is_rampart_default(&describe(&config(
            "aws:kms",
            Some("k"),
            Some(true)
        ))));
        assert!(!is_rampart_default(&describe(&config(
            "aws:kms", None, None
        ))));
        assert!(!is_rampart_default(&describe(&config(
            "AES256",
            None,
            Some(true)
        ))));
        assert!(!is_rampart_default(&json!({"rules": []})));
    }
}

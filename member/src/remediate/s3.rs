//! S3.8 / S3.2 / S3.3 / CloudTrail.6: Block Public Access on buckets (CloudTrail.6: the
//! buckets trails deliver to); S3.1: on the account; S3.5: a TLS-only statement in
//! the bucket policy (its policy work in [`super::s3_tls`]).
//!
//! Plans read through the S3 collectors. Every call on a bucket, read or write, names the
//! account as its expected owner (`ExpectedBucketOwner`): a bucket name is global, and one that
//! now belongs to another account is refused by S3 instead of being changed.

use super::remedy::{limiter, text, Fixes, Remedy};
use super::s3_tls;
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::s3::{self as collect_s3, client as s3_client};
use crate::collect::s3control;
use crate::snapshot::{tags, PublicAccessBlock};
use rampart_common::arn;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const BLOCK_PUBLIC_ACCESS: Remedy = Remedy {
    id: "s3-block-public-access",
    scope: super::remedy::Scope::Resource,
    fixes: &[
        Fixes::Check("s3.block-public-access"),
        Fixes::Control {
            control: "S3.2",
            judged_by: &["s3.block-public-access"],
        },
        Fixes::Control {
            control: "S3.3",
            judged_by: &["s3.block-public-access"],
        },
        Fixes::Control {
            control: "CloudTrail.6",
            judged_by: &["s3.block-public-access"],
        },
    ],
    permissions: Permissions {
        component: "remediate/s3-block-public-access",
        actions: &[
            "cloudtrail:DescribeTrails",
            "s3:ListAllMyBuckets",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
            "s3:GetBucketPublicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
        ],
    },
    changes: "Turns on all four Block Public Access settings of the bucket (S3.2 and S3.3: public read and write; CloudTrail.6: only buckets a trail of the region delivers to).",
    undoes: "Puts the recorded bucket settings back (all four off again where there were none).",
    plan: |ctx, req| Box::pin(plan_bucket_bpa_for(ctx, req.control, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const ACCOUNT_BLOCK_PUBLIC_ACCESS: Remedy = Remedy {
    id: "s3-account-block-public-access",
    scope: super::remedy::Scope::Account,
    fixes: &[Fixes::Control {
        control: "S3.1",
        judged_by: &["s3.block-public-access"],
    }],
    permissions: Permissions {
        component: "remediate/s3-account-block-public-access",
        actions: &[
            "s3:GetAccountPublicAccessBlock",
            "s3:PutAccountPublicAccessBlock",
        ],
    },
    changes: "Turns on all four Block Public Access settings of the account.",
    undoes: "Puts the recorded account settings back (all four off again where there were none).",
    plan: |ctx, _| Box::pin(plan_account_bpa(ctx)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const TLS_ONLY: Remedy = Remedy {
    id: "s3-tls-only",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Check("s3.deny-http")],
    permissions: Permissions {
        component: "remediate/s3-tls-only",
        actions: &[
            "s3:ListAllMyBuckets",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
            "s3:GetBucketPolicy",
            "s3:PutBucketPolicy",
            "s3:DeleteBucketPolicy",
        ],
    },
    changes: "Adds one statement (Sid RampartDenyInsecureTransport) denying s3:* on the bucket and its objects when aws:SecureTransport is false; the rest of the policy is untouched.",
    undoes: "Removes that statement again (and the policy, if Rampart created it).",
    plan: |ctx, req| Box::pin(s3_tls::plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

/// The four Block Public Access settings as recorded (bucket and account alike); `None` (no
/// configuration) is recorded as null.
fn bpa_json(p: &PublicAccessBlock) -> Value {
    json!({
        "block_public_acls": p.block_public_acls,
        "ignore_public_acls": p.ignore_public_acls,
        "block_public_policy": p.block_public_policy,
        "restrict_public_buckets": p.restrict_public_buckets,
    })
}

const ALL_ON: PublicAccessBlock = PublicAccessBlock {
    block_public_acls: true,
    ignore_public_acls: true,
    block_public_policy: true,
    restrict_public_buckets: true,
};

/// CloudTrail.6 without a named bucket narrows the plan to the buckets trails deliver to: a
/// trail's control never reaches an unrelated bucket.
async fn plan_bucket_bpa_for(
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    if !control.eq_ignore_ascii_case("CloudTrail.6") || resource.is_some() {
        return plan_bucket_bpa(ctx, resource).await;
    }
    let ct = aws_sdk_cloudtrail::Client::new(ctx.member);
    let trails =
        crate::collect::cloudtrail::describe(&ct, ctx.region, &[], true, &limiter()).await?;
    let buckets: Vec<String> = trails
        .iter()
        .filter_map(|t| t.s3_bucket.as_deref())
        .map(|b| arn::s3_bucket(ctx.partition(), b))
        .collect();
    let mut out = Vec::new();
    for b in &buckets {
        for p in plan_bucket_bpa(ctx, Some(b)).await? {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

pub async fn plan_bucket_bpa(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let (rl, owner) = (limiter(), ctx.account);
    let only = resource.map(arn::resource_name);
    let mut out = Vec::new();
    for b in collect_s3::locate(ctx.member, owner, only, &rl).await? {
        let (bucket, region) = (&b.name, &b.region);
        let arn = arn::s3_bucket(ctx.partition(), bucket);
        let block = collect_s3::public_access_block(&b.client, bucket, owner, &rl)
            .await
            .into_result()?;
        if block.is_some_and(|p| p.all()) {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("{bucket} already blocks public access"),
                });
            }
            continue;
        }
        let tags = collect_s3::tags(&b.client, bucket, owner, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let prior = block.as_ref().map(bpa_json);
        out.push(Planned::Change(Change {
            resource: arn,
            api: "s3:PutBucketPublicAccessBlock".into(),
            summary: format!("block public access on bucket {bucket}"),
            prior: json!({"kind": "bucket-bpa", "bucket": bucket, "region": region, "settings": prior}),
            change: json!({"kind": "bucket-bpa", "bucket": bucket, "region": region, "settings": bpa_json(&ALL_ON)}),
        }));
    }
    Ok(out)
}

pub async fn plan_account_bpa(ctx: &Ctx<'_>) -> Result<Vec<Planned>, AwsError> {
    let resource = arn::account(ctx.account);
    let block = s3control::account_public_access_block(
        &s3control::client(ctx.member),
        ctx.account,
        &limiter(),
    )
    .await?;
    if block.is_some_and(|p| p.all()) {
        return Ok(vec![Planned::Skip {
            resource,
            why: "the account already blocks public access".into(),
        }]);
    }
    Ok(vec![Planned::Change(Change {
        resource,
        api: "s3:PutAccountPublicAccessBlock".into(),
        summary: "block public access on the account".into(),
        prior: json!({"kind": "account-bpa", "settings": block.as_ref().map(bpa_json)}),
        change: json!({"kind": "account-bpa", "settings": bpa_json(&ALL_ON)}),
    })])
}

/// A recorded settings document as the four switches (absent ones off).
fn bpa_of(v: &Value) -> PublicAccessBlock {
    let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    PublicAccessBlock {
        block_public_acls: b("block_public_acls"),
        ignore_public_acls: b("ignore_public_acls"),
        block_public_policy: b("block_public_policy"),
        restrict_public_buckets: b("restrict_public_buckets"),
    }
}

/// A client for the recorded bucket's region (S3 answers requests for a bucket elsewhere with
/// a redirect the SDK does not follow).
fn region_client(ctx: &Ctx<'_>, state: &Value) -> aws_sdk_s3::Client {
    match state.get("region").and_then(Value::as_str) {
        Some(r) => s3_client(&crate::collect::in_region(ctx.member, r)),
        None => s3_client(ctx.member),
    }
}

async fn put_bucket_bpa(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let bucket = text(state, "bucket")?;
    let s3 = region_client(ctx, state);
    match state.get("settings").filter(|s| s.is_object()) {
        Some(s) => {
            let p = bpa_of(s);
            s3.put_public_access_block()
                .bucket(bucket)
                .expected_bucket_owner(ctx.account)
                .public_access_block_configuration(
                    aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                        .block_public_acls(p.block_public_acls)
                        .ignore_public_acls(p.ignore_public_acls)
                        .block_public_policy(p.block_public_policy)
                        .restrict_public_buckets(p.restrict_public_buckets)
                        .build(),
                )
                .send()
                .await
                .map(|_| format!("{bucket}: Block Public Access set"))
                .map_err(|e| AwsError::sdk(format!("s3:PutBucketPublicAccessBlock {bucket}"), &e))
        }
        None => s3
            .delete_public_access_block()
            .bucket(bucket)
            .expected_bucket_owner(ctx.account)
            .send()
            .await
            .map(|_| format!("{bucket}: Block Public Access configuration removed"))
            .map_err(|e| AwsError::sdk(format!("s3:PutBucketPublicAccessBlock {bucket}"), &e)),
    }
}

async fn put_account_bpa(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let c = s3control::client(ctx.member);
    match state.get("settings").filter(|s| s.is_object()) {
        Some(s) => {
            let p = bpa_of(s);
            c.put_public_access_block()
                .account_id(ctx.account)
                .public_access_block_configuration(
                    aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                        .block_public_acls(p.block_public_acls)
                        .ignore_public_acls(p.ignore_public_acls)
                        .block_public_policy(p.block_public_policy)
                        .restrict_public_buckets(p.restrict_public_buckets)
                        .build(),
                )
                .send()
                .await
                .map(|_| "account Block Public Access set".to_string())
                .map_err(|e| AwsError::sdk("s3:PutAccountPublicAccessBlock", &e))
        }
        None => c
            .delete_public_access_block()
            .account_id(ctx.account)
            .send()
            .await
            .map(|_| "account Block Public Access configuration removed".to_string())
            .map_err(|e| AwsError::sdk("s3:PutAccountPublicAccessBlock", &e)),
    }
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    match text(&c.change, "kind")? {
        "bucket-bpa" => put_bucket_bpa(ctx, &c.change).await,
        "account-bpa" => put_account_bpa(ctx, &c.change).await,
        "tls-only" => s3_tls::add(ctx, &region_client(ctx, &c.change), &c.change).await,
        other => Err(format!("unknown change kind {other}").into()),
    }
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    match text(&a.prior, "kind")? {
        "bucket-bpa" => put_bucket_bpa(ctx, &a.prior).await,
        "account-bpa" => put_account_bpa(ctx, &a.prior).await,
        "tls-only" => s3_tls::remove(ctx, &region_client(ctx, &a.prior), &a.prior).await,
        other => Err(format!("unknown recorded state kind {other}").into()),
    }
}

#[cfg(test)]
mod tests;

//! S3.8: Block Public Access on buckets; S3.1: on the account; S3.5: a TLS-only statement in
//! the bucket policy.
//!
//! The TLS-only statement is added as a statement of its own (`RampartDenyInsecureTransport`);
//! every other statement of the policy stays byte for byte, and undo removes only that
//! statement again.

use super::remedy::{resource_name, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::s3::{client as s3_client, region_of_constraint};
use crate::error_text::is_code;
use aws_config::SdkConfig;
use rampart_common::Permissions;
use serde_json::{json, Value};

/// The Sid of the statement Rampart adds (and the only one it ever removes).
pub const TLS_SID: &str = "RampartDenyInsecureTransport";

pub const BLOCK_PUBLIC_ACCESS: Remedy = Remedy {
    id: "s3-block-public-access",
    fixes: &[Fixes::Check("s3.block-public-access")],
    permissions: Permissions {
        component: "remediate/s3-block-public-access",
        actions: &[
            "s3:ListAllMyBuckets",
            "s3:GetBucketLocation",
            "s3:GetBucketTagging",
            "s3:GetBucketPublicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
        ],
    },
    changes: "Turns on all four Block Public Access settings of the bucket.",
    undoes: "Puts the recorded bucket settings back (all four off again where there were none).",
    plan: |ctx, req| Box::pin(plan_bucket_bpa(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const ACCOUNT_BLOCK_PUBLIC_ACCESS: Remedy = Remedy {
    id: "s3-account-block-public-access",
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
    plan: |ctx, req| Box::pin(plan_tls_only(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

/// A client for the bucket's own region (S3 answers requests for a bucket elsewhere with a
/// redirect the SDK does not follow).
async fn bucket_client(
    ctx: &Ctx<'_>,
    bucket: &str,
) -> Result<(aws_sdk_s3::Client, String), AwsError> {
    let out = s3_client(ctx.member)
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("s3:GetBucketLocation {bucket}"), &e))?;
    let region = region_of_constraint(out.location_constraint().map(|c| c.as_str()));
    let cfg: SdkConfig = crate::collect::in_region(ctx.member, &region);
    Ok((s3_client(&cfg), region))
}

async fn buckets(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<String>, AwsError> {
    if let Some(r) = resource {
        return Ok(vec![resource_name(r).to_string()]);
    }
    let out = s3_client(ctx.member)
        .list_buckets()
        .send()
        .await
        .map_err(|e| AwsError::sdk("s3:ListBuckets", &e))?;
    Ok(out
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect())
}

async fn tag_exempt(
    ctx: &Ctx<'_>,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    arn: &str,
) -> Result<Option<String>, AwsError> {
    match s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => Ok(exempt_by_tag(
            ctx,
            arn,
            out.tag_set().iter().map(|t| (t.key(), t.value())),
        )),
        Err(e) if is_code(&e, "NoSuchTagSet") => Ok(None),
        Err(e) => Err(AwsError::sdk(format!("s3:GetBucketTagging {bucket}"), &e)),
    }
}

fn bucket_arn(ctx: &Ctx<'_>, bucket: &str) -> String {
    format!("arn:{}:s3:::{bucket}", ctx.partition())
}

/// The four Block Public Access settings as recorded (bucket and account alike).
fn bpa_value(
    acls: Option<bool>,
    ignore: Option<bool>,
    policy: Option<bool>,
    restrict: Option<bool>,
) -> Value {
    json!({
        "block_public_acls": acls.unwrap_or(false),
        "ignore_public_acls": ignore.unwrap_or(false),
        "block_public_policy": policy.unwrap_or(false),
        "restrict_public_buckets": restrict.unwrap_or(false),
    })
}

fn bpa_json(c: &aws_sdk_s3::types::PublicAccessBlockConfiguration) -> Value {
    bpa_value(
        c.block_public_acls(),
        c.ignore_public_acls(),
        c.block_public_policy(),
        c.restrict_public_buckets(),
    )
}

fn all_on(v: &Value) -> bool {
    [
        "block_public_acls",
        "ignore_public_acls",
        "block_public_policy",
        "restrict_public_buckets",
    ]
    .iter()
    .all(|k| v.get(*k).and_then(Value::as_bool) == Some(true))
}

fn all_on_json() -> Value {
    bpa_value(Some(true), Some(true), Some(true), Some(true))
}

pub async fn plan_bucket_bpa(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let mut out = Vec::new();
    for bucket in buckets(ctx, resource).await? {
        let arn = bucket_arn(ctx, &bucket);
        let (s3, region) = bucket_client(ctx, &bucket).await?;
        let prior = match s3.get_public_access_block().bucket(&bucket).send().await {
            Ok(o) => o.public_access_block_configuration().map(bpa_json),
            Err(e) if is_code(&e, "NoSuchPublicAccessBlockConfiguration") => None,
            Err(e) => {
                return Err(AwsError::sdk(
                    format!("s3:GetPublicAccessBlock {bucket}"),
                    &e,
                ))
            }
        };
        if prior.as_ref().is_some_and(all_on) {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("{bucket} already blocks public access"),
                });
            }
            continue;
        }
        if let Some(why) = tag_exempt(ctx, &s3, &bucket, &arn).await? {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "s3:PutBucketPublicAccessBlock".into(),
            summary: format!("block public access on bucket {bucket}"),
            prior: json!({"kind": "bucket-bpa", "bucket": bucket, "region": region, "settings": prior}),
            change: json!({"kind": "bucket-bpa", "bucket": bucket, "region": region, "settings": all_on_json()}),
        }));
    }
    Ok(out)
}

pub async fn plan_account_bpa(ctx: &Ctx<'_>) -> Result<Vec<Planned>, AwsError> {
    let resource = format!("AWS::::Account:{}", ctx.account);
    let c = crate::collect::s3control::client(ctx.member);
    let prior = match c
        .get_public_access_block()
        .account_id(ctx.account)
        .send()
        .await
    {
        Ok(o) => o.public_access_block_configuration().map(|c| {
            bpa_value(
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            )
        }),
        Err(e) if is_code(&e, "NoSuchPublicAccessBlockConfiguration") => None,
        Err(e) => return Err(AwsError::sdk("s3control:GetPublicAccessBlock", &e)),
    };
    if prior.as_ref().is_some_and(all_on) {
        return Ok(vec![Planned::Skip {
            resource,
            why: "the account already blocks public access".into(),
        }]);
    }
    Ok(vec![Planned::Change(Change {
        resource,
        api: "s3:PutAccountPublicAccessBlock".into(),
        summary: "block public access on the account".into(),
        prior: json!({"kind": "account-bpa", "settings": prior}),
        change: json!({"kind": "account-bpa", "settings": all_on_json()}),
    })])
}

/// The TLS-only statement for one bucket.
fn tls_statement(partition: &str, bucket: &str) -> Value {
    json!({
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [format!("arn:{partition}:s3:::{bucket}"), format!("arn:{partition}:s3:::{bucket}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })
}

/// Whether a statement already denies plain HTTP for the whole bucket.
fn denies_http(stmt: &Value) -> bool {
    let deny = stmt.get("Effect").and_then(Value::as_str) == Some("Deny");
    let cond = stmt
        .pointer("/Condition/Bool/aws:SecureTransport")
        .map(|v| match v {
            Value::String(s) => s.eq_ignore_ascii_case("false"),
            Value::Bool(b) => !b,
            Value::Array(a) => a
                .iter()
                .any(|x| x.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))),
            _ => false,
        })
        .unwrap_or(false);
    deny && cond
}

fn statements(policy: &Value) -> Vec<Value> {
    match policy.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => Vec::new(),
    }
}

async fn policy_of(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Option<String>, AwsError> {
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(o) => Ok(o.policy().map(str::to_string)),
        Err(e) if is_code(&e, "NoSuchBucketPolicy") => Ok(None),
        Err(e) => Err(AwsError::sdk(format!("s3:GetBucketPolicy {bucket}"), &e)),
    }
}

pub async fn plan_tls_only(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let partition = ctx.partition();
    let mut out = Vec::new();
    for bucket in buckets(ctx, resource).await? {
        let arn = bucket_arn(ctx, &bucket);
        let (s3, region) = bucket_client(ctx, &bucket).await?;
        let prior = policy_of(&s3, &bucket).await?;
        let doc: Value = match &prior {
            Some(text) => serde_json::from_str(text)
                .map_err(|e| format!("the policy of {bucket} is not JSON: {e}"))?,
            None => json!({"Version": "2012-10-17", "Statement": []}),
        };
        let stmts = statements(&doc);
        if stmts.iter().any(denies_http) {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("the policy of {bucket} already denies plain HTTP"),
                });
            }
            continue;
        }
        if let Some(why) = tag_exempt(ctx, &s3, &bucket, &arn).await? {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "s3:PutBucketPolicy".into(),
            summary: format!("add statement {TLS_SID} to the policy of {bucket}"),
            prior: json!({"kind": "tls-only", "bucket": bucket, "region": region, "policy": prior}),
            change: json!({"kind": "tls-only", "bucket": bucket, "region": region, "add_statement": tls_statement(partition, &bucket)}),
        }));
    }
    Ok(out)
}

fn bpa_config(v: &Value) -> aws_sdk_s3::types::PublicAccessBlockConfiguration {
    let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(b("block_public_acls"))
        .ignore_public_acls(b("ignore_public_acls"))
        .block_public_policy(b("block_public_policy"))
        .restrict_public_buckets(b("restrict_public_buckets"))
        .build()
}

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
        Some(s) => s3
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(bpa_config(s))
            .send()
            .await
            .map(|_| format!("{bucket}: Block Public Access set"))
            .map_err(|e| AwsError::sdk(format!("s3:PutBucketPublicAccessBlock {bucket}"), &e)),
        None => s3
            .delete_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .map(|_| format!("{bucket}: Block Public Access configuration removed"))
            .map_err(|e| AwsError::sdk(format!("s3:PutBucketPublicAccessBlock {bucket}"), &e)),
    }
}

async fn put_account_bpa(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let c = crate::collect::s3control::client(ctx.member);
    match state.get("settings").filter(|s| s.is_object()) {
        Some(s) => {
            let b = |k: &str| s.get(k).and_then(Value::as_bool).unwrap_or(false);
            c.put_public_access_block()
                .account_id(ctx.account)
                .public_access_block_configuration(
                    aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                        .block_public_acls(b("block_public_acls"))
                        .ignore_public_acls(b("ignore_public_acls"))
                        .block_public_policy(b("block_public_policy"))
                        .restrict_public_buckets(b("restrict_public_buckets"))
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
        "tls-only" => {
            let bucket = text(&c.change, "bucket")?;
            let s3 = region_client(ctx, &c.change);
            let stmt = c
                .change
                .get("add_statement")
                .ok_or("the change has no statement")?;
            // Read again: the statement goes into the policy as it is now.
            let mut doc: Value = match policy_of(&s3, bucket).await? {
                Some(t) => serde_json::from_str(&t)
                    .map_err(|e| format!("the policy of {bucket} is not JSON: {e}"))?,
                None => json!({"Version": "2012-10-17", "Statement": []}),
            };
            let mut stmts = statements(&doc);
            if stmts.iter().any(denies_http) {
                return Ok(format!("the policy of {bucket} already denies plain HTTP"));
            }
            stmts.push(stmt.clone());
            doc["Statement"] = Value::Array(stmts);
            s3.put_bucket_policy()
                .bucket(bucket)
                .policy(doc.to_string())
                .send()
                .await
                .map(|_| format!("{bucket}: statement {TLS_SID} added"))
                .map_err(|e| AwsError::sdk(format!("s3:PutBucketPolicy {bucket}"), &e))
        }
        other => Err(format!("unknown change kind {other}").into()),
    }
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    match text(&a.prior, "kind")? {
        "bucket-bpa" => put_bucket_bpa(ctx, &a.prior).await,
        "account-bpa" => put_account_bpa(ctx, &a.prior).await,
        "tls-only" => {
            let bucket = text(&a.prior, "bucket")?;
            let s3 = region_client(ctx, &a.prior);
            let Some(now) = policy_of(&s3, bucket).await? else {
                return Ok(format!("{bucket} has no policy: nothing to remove"));
            };
            let mut doc: Value = serde_json::from_str(&now)
                .map_err(|e| format!("the policy of {bucket} is not JSON: {e}"))?;
            let stmts: Vec<Value> = statements(&doc)
                .into_iter()
                .filter(|s| s.get("Sid").and_then(Value::as_str) != Some(TLS_SID))
                .collect();
            let created = a.prior.get("policy").is_none_or(Value::is_null);
            if stmts.is_empty() && created {
                return s3
                    .delete_bucket_policy()
                    .bucket(bucket)
                    .send()
                    .await
                    .map(|_| format!("{bucket}: the policy Rampart created is deleted"))
                    .map_err(|e| AwsError::sdk(format!("s3:DeleteBucketPolicy {bucket}"), &e));
            }
            doc["Statement"] = Value::Array(stmts);
            s3.put_bucket_policy()
                .bucket(bucket)
                .policy(doc.to_string())
                .send()
                .await
                .map(|_| format!("{bucket}: statement {TLS_SID} removed"))
                .map_err(|e| AwsError::sdk(format!("s3:PutBucketPolicy {bucket}"), &e))
        }
        other => Err(format!("unknown recorded state kind {other}").into()),
    }
}

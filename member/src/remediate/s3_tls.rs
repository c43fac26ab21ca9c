//! S3.5's policy work: the TLS-only statement is added as a statement of its own
//! (`RampartDenyInsecureTransport`); every other statement of the policy stays byte for byte,
//! and undo removes only that statement again.
//!
//! Reads go through the S3 collectors and name the account as the bucket's expected owner, as
//! every write here does.

use super::remedy::{limiter, text};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::s3 as collect_s3;
use crate::snapshot::tags;
use rampart_common::arn;
use serde_json::{json, Value};

/// The Sid of the statement Rampart adds (and the only one it ever removes).
pub const TLS_SID: &str = "RampartDenyInsecureTransport";

/// The TLS-only statement for one bucket.
fn tls_statement(partition: &str, bucket: &str) -> Value {
    json!({
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn::s3_bucket(partition, bucket), arn::s3_objects(partition, bucket)],
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

/// A policy document from its text, or an empty one when the bucket has none.
fn document(bucket: &str, text: Option<&str>) -> Result<Value, AwsError> {
    match text {
        Some(t) => serde_json::from_str(t)
            .map_err(|e| format!("the policy of {bucket} is not JSON: {e}").into()),
        None => Ok(json!({"Version": "2012-10-17", "Statement": []})),
    }
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (rl, owner, partition) = (limiter(), ctx.account, ctx.partition());
    let only = resource.map(arn::resource_name);
    let mut out = Vec::new();
    for b in collect_s3::locate(ctx.member, owner, only, &rl).await? {
        let (bucket, region) = (&b.name, &b.region);
        let arn = arn::s3_bucket(partition, bucket);
        // The text, not the parsed policy: the prior state is recorded as S3 stores it.
        let prior = collect_s3::policy_text(&b.client, bucket, owner, &rl).await?;
        if statements(&document(bucket, prior.as_deref())?)
            .iter()
            .any(denies_http)
        {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("the policy of {bucket} already denies plain HTTP"),
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
            api: "s3:PutBucketPolicy".into(),
            summary: format!("add statement {TLS_SID} to the policy of {bucket}"),
            prior: json!({"kind": "tls-only", "bucket": bucket, "region": region, "policy": prior}),
            change: json!({"kind": "tls-only", "bucket": bucket, "region": region, "add_statement": tls_statement(partition, bucket)}),
        }));
    }
    Ok(out)
}

/// Adds the recorded statement to the policy as it is now (`s3` is a client of the bucket's
/// region).
pub async fn add(
    ctx: &Ctx<'_>,
    s3: &aws_sdk_s3::Client,
    change: &Value,
) -> Result<String, AwsError> {
    let bucket = text(change, "bucket")?;
    let stmt = change
        .get("add_statement")
        .ok_or("the change has no statement")?;
    // Read again: the statement goes into the policy as it is now.
    let now = collect_s3::policy_text(s3, bucket, ctx.account, &limiter()).await?;
    let mut doc = document(bucket, now.as_deref())?;
    let mut stmts = statements(&doc);
    if stmts.iter().any(denies_http) {
        return Ok(format!("the policy of {bucket} already denies plain HTTP"));
    }
    stmts.push(stmt.clone());
    doc["Statement"] = Value::Array(stmts);
    s3.put_bucket_policy()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account)
        .policy(doc.to_string())
        .send()
        .await
        .map(|_| format!("{bucket}: statement {TLS_SID} added"))
        .map_err(|e| AwsError::sdk(format!("s3:PutBucketPolicy {bucket}"), &e))
}

/// Removes Rampart's statement again, and the policy when Rampart created it.
pub async fn remove(
    ctx: &Ctx<'_>,
    s3: &aws_sdk_s3::Client,
    prior: &Value,
) -> Result<String, AwsError> {
    let bucket = text(prior, "bucket")?;
    let Some(now) = collect_s3::policy_text(s3, bucket, ctx.account, &limiter()).await? else {
        return Ok(format!("{bucket} has no policy: nothing to remove"));
    };
    let mut doc = document(bucket, Some(&now))?;
    let stmts: Vec<Value> = statements(&doc)
        .into_iter()
        .filter(|s| s.get("Sid").and_then(Value::as_str) != Some(TLS_SID))
        .collect();
    let created = prior.get("policy").is_none_or(Value::is_null);
    if stmts.is_empty() && created {
        return s3
            .delete_bucket_policy()
            .bucket(bucket)
            .expected_bucket_owner(ctx.account)
            .send()
            .await
            .map(|_| format!("{bucket}: the policy Rampart created is deleted"))
            .map_err(|e| AwsError::sdk(format!("s3:DeleteBucketPolicy {bucket}"), &e));
    }
    doc["Statement"] = Value::Array(stmts);
    s3.put_bucket_policy()
        .bucket(bucket)
        .expected_bucket_owner(ctx.account)
        .policy(doc.to_string())
        .send()
        .await
        .map(|_| format!("{bucket}: statement {TLS_SID} removed"))
        .map_err(|e| AwsError::sdk(format!("s3:PutBucketPolicy {bucket}"), &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_names_the_bucket_and_its_objects() {
        let s = tls_statement("aws", "b");
        assert_eq!(s["Resource"], json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]));
        assert!(denies_http(&s));
        // What the check judges the statement by: it passes the bucket.
        let policy = json!({"Statement": [s]});
        assert!(crate::checks::s3::denies_insecure_transport(&policy, "b"));
    }

    #[test]
    fn statements_and_documents() {
        let one = json!({"Statement": {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": false}}}});
        assert_eq!(statements(&one).len(), 1);
        assert!(denies_http(&statements(&one)[0]));
        assert!(statements(&json!({})).is_empty());
        assert_eq!(
            document("b", None).ok(),
            Some(json!({"Version": "2012-10-17", "Statement": []}))
        );
        assert!(document("b", Some("not json")).is_err());
        let allow =
            json!({"Effect": "Allow", "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}});
        assert!(!denies_http(&allow));
    }
}

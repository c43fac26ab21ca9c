//! SQS.1: queues encrypted at rest. A queue with neither SQS-managed encryption (SSE-SQS) nor
//! a KMS key (SSE-KMS) gets SSE-SQS; undo turns it off again.
//!
//! Queues are named by ARN (as Security Hub names them); calls take the queue URL, looked up by
//! name and owner each time (a URL is the endpoint's, an ARN is not).

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use crate::snapshot::tags::{pairs, Tags};
use aws_sdk_sqs::types::QueueAttributeName;
use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "sqs-encryption",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "SQS.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/sqs-encryption",
        actions: &[
            "sqs:ListQueues",
            "sqs:GetQueueUrl",
            "sqs:GetQueueAttributes",
            "sqs:ListQueueTags",
            "sqs:SetQueueAttributes",
        ],
    },
    changes: "Turns on SQS-managed server-side encryption (SqsManagedSseEnabled=true) on a queue that has neither it nor a KMS key; messages already in the queue are not re-encrypted.",
    undoes: "Sets SqsManagedSseEnabled back to false.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(ctx.member)
}

/// The queue's ARN, as Security Hub names it.
fn queue_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:sqs:{region}:{account}:{name}")
}

/// The queue's name: the last path segment of its URL.
fn name_of_url(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

/// Whether a queue is encrypted at rest: SSE-SQS on, or a KMS key set.
fn encrypted(sqs_managed: Option<&str>, kms_key: Option<&str>) -> bool {
    sqs_managed.is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || kms_key.is_some_and(|k| !k.trim().is_empty())
}

async fn list_queues(sqs: &aws_sdk_sqs::Client, rl: &RateLimiter) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = sqs
            .list_queues()
            .max_results(1000)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("sqs:ListQueues", &e))?;
        out.extend(page.queue_urls().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The URL of queue `name` of `account`.
async fn queue_url(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    account: &str,
) -> Result<String, AwsError> {
    let out = sqs
        .get_queue_url()
        .queue_name(name)
        .queue_owner_aws_account_id(account)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("sqs:GetQueueUrl {name}"), &e))?;
    out.queue_url()
        .map(str::to_string)
        .ok_or_else(|| AwsError::invalid(format!("sqs:GetQueueUrl {name}"), "no queue URL"))
}

/// (SqsManagedSseEnabled, KmsMasterKeyId) as the queue reports them.
async fn encryption(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    rl: &RateLimiter,
) -> Result<(Option<String>, Option<String>), AwsError> {
    rl.acquire().await;
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::SqsManagedSseEnabled)
        .attribute_names(QueueAttributeName::KmsMasterKeyId)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("sqs:GetQueueAttributes {url}"), &e))?;
    let get = |k: &QueueAttributeName| out.attributes().and_then(|a| a.get(k)).cloned();
    Ok((
        get(&QueueAttributeName::SqsManagedSseEnabled),
        get(&QueueAttributeName::KmsMasterKeyId),
    ))
}

async fn tags(sqs: &aws_sdk_sqs::Client, url: &str, rl: &RateLimiter) -> Result<Tags, AwsError> {
    rl.acquire().await;
    let out = sqs
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("sqs:ListQueueTags {url}"), &e))?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (sqs, rl) = (client(ctx), limiter());
    let urls = match resource {
        Some(r) => vec![queue_url(&sqs, resource_name(r), ctx.account).await?],
        None => list_queues(&sqs, &rl).await?,
    };
    let mut out = Vec::new();
    for url in urls {
        let name = name_of_url(&url);
        let arn = queue_arn(ctx.partition(), ctx.region, ctx.account, name);
        let (sse, kms) = encryption(&sqs, &url, &rl).await?;
        if encrypted(sse.as_deref(), kms.as_deref()) {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("queue {name} is already encrypted at rest"),
                });
            }
            continue;
        }
        let tags = tags(&sqs, &url, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "sqs:SetQueueAttributes".into(),
            summary: format!("turn on SQS-managed encryption of queue {name}"),
            prior: json!({"kind": "sqs-sse", "queue": name, "sqs_managed_sse_enabled": false, "kms_master_key_id": kms}),
            change: json!({"kind": "sqs-sse", "queue": name, "sqs_managed_sse_enabled": true}),
        }));
    }
    Ok(out)
}

/// Sets SqsManagedSseEnabled as recorded; nothing else of the queue.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    if text(state, "kind")? != "sqs-sse" {
        return Err("unknown recorded state kind".into());
    }
    let name = text(state, "queue")?;
    let on = state
        .get("sqs_managed_sse_enabled")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no sqs_managed_sse_enabled")?;
    let sqs = client(ctx);
    let url = queue_url(&sqs, name, ctx.account).await?;
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::SqsManagedSseEnabled, on.to_string())
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("sqs:SetQueueAttributes {name}"), &e))?;
    Ok(format!("queue {name}: SqsManagedSseEnabled={on}"))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    put(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    put(ctx, &a.prior).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_encryption_is_enough() {
        assert!(encrypted(Some("true"), None));
        assert!(encrypted(Some("TRUE"), Some("")));
        assert!(encrypted(Some("false"), Some("alias/aws/sqs")));
        assert!(encrypted(None, Some("arn:aws:kms:us-east-1:1:key/k")));
        assert!(!encrypted(Some("false"), None));
        assert!(!encrypted(Some("false"), Some(" ")));
        assert!(!encrypted(None, None));
    }

    #[test]
    fn names_and_arns() {
        assert_eq!(
            name_of_url("https://sqs.us-east-1.amazonaws.com/111122223333/jobs"),
            "jobs"
        );
        assert_eq!(
            name_of_url("http://127.0.0.1:5000/111122223333/q.fifo/"),
            "q.fifo"
        );
        let arn = queue_arn("aws", "eu-west-1", "111122223333", "jobs");
        assert_eq!(arn, "arn:aws:sqs:eu-west-1:111122223333:jobs");
        assert_eq!(resource_name(&arn), "jobs");
    }
}

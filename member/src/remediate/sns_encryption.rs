//! SNS.1: topics encrypted at rest with KMS. A topic without a KMS key gets the AWS managed key
//! of SNS (`alias/aws/sns`); undo removes the attribute again (an empty KmsMasterKeyId).
//!
//! Every topic is judged alike, Rampart's own included; only the exemption tag keeps one out.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use crate::snapshot::tags::{pairs, Tags};
use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::{json, Value};

/// The key topics get: the AWS managed key of SNS (no key policy to write, no cost).
pub const SNS_KEY: &str = "alias/aws/sns";
const ATTRIBUTE: &str = "KmsMasterKeyId";

pub const REMEDY: Remedy = Remedy {
    id: "sns-encryption",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "SNS.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/sns-encryption",
        actions: &[
            "sns:ListTopics",
            "sns:GetTopicAttributes",
            "sns:ListTagsForResource",
            "sns:SetTopicAttributes",
        ],
    },
    changes: "Sets the topic's KmsMasterKeyId to alias/aws/sns (server-side encryption with the AWS managed SNS key) on a topic without a KMS key.",
    undoes: "Removes KmsMasterKeyId again (sets it to empty): the topic is unencrypted as before.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(ctx.member)
}

/// The topic's KMS key, if it has one (an empty attribute is none).
fn kms_key(attributes: Option<&std::collections::HashMap<String, String>>) -> Option<&str> {
    attributes
        .and_then(|a| a.get(ATTRIBUTE))
        .map(String::as_str)
        .filter(|k| !k.trim().is_empty())
}

async fn list_topics(sns: &aws_sdk_sns::Client, rl: &RateLimiter) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = sns
            .list_topics()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("sns:ListTopics", &e))?;
        out.extend(
            page.topics()
                .iter()
                .filter_map(|t| t.topic_arn().map(str::to_string)),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn tags(sns: &aws_sdk_sns::Client, arn: &str, rl: &RateLimiter) -> Result<Tags, AwsError> {
    rl.acquire().await;
    let out = sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("sns:ListTagsForResource {arn}"), &e))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (sns, rl) = (client(ctx), limiter());
    let topics = match resource {
        Some(r) => vec![r.to_string()],
        None => list_topics(&sns, &rl).await?,
    };
    let mut out = Vec::new();
    for arn in topics {
        rl.acquire().await;
        let attrs = sns
            .get_topic_attributes()
            .topic_arn(&arn)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("sns:GetTopicAttributes {arn}"), &e))?;
        let name = resource_name(&arn);
        if let Some(key) = kms_key(attrs.attributes()) {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn.clone(),
                    why: format!("topic {name} is already encrypted with {key}"),
                });
            }
            continue;
        }
        let tags = tags(&sns, &arn, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn.clone(),
            api: "sns:SetTopicAttributes".into(),
            summary: format!("encrypt topic {name} with {SNS_KEY}"),
            prior: json!({"kind": "sns-kms", "topic": arn, "kms_master_key_id": null}),
            change: json!({"kind": "sns-kms", "topic": arn, "kms_master_key_id": SNS_KEY}),
        }));
    }
    Ok(out)
}

/// Sets KmsMasterKeyId as recorded (null: empty, which removes it); nothing else of the topic.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    if text(state, "kind")? != "sns-kms" {
        return Err("unknown recorded state kind".into());
    }
    let arn = text(state, "topic")?;
    let key = state
        .get("kms_master_key_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    client(ctx)
        .set_topic_attributes()
        .topic_arn(arn)
        .attribute_name(ATTRIBUTE)
        .attribute_value(key)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("sns:SetTopicAttributes {arn}"), &e))?;
    Ok(if key.is_empty() {
        format!("{arn}: KmsMasterKeyId removed")
    } else {
        format!("{arn}: KmsMasterKeyId={key}")
    })
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
    use std::collections::HashMap;

    #[test]
    fn an_empty_key_is_no_key() {
        let with = |v: &str| HashMap::from([(ATTRIBUTE.to_string(), v.to_string())]);
        assert_eq!(kms_key(Some(&with("alias/aws/sns"))), Some("alias/aws/sns"));
        assert_eq!(kms_key(Some(&with(""))), None);
        assert_eq!(kms_key(Some(&HashMap::new())), None);
        assert_eq!(kms_key(None), None);
    }

    #[test]
    fn topic_names() {
        let arn = "arn:aws:sns:us-east-1:111122223333:alerts";
        assert_eq!(resource_name(arn), "alerts");
    }
}

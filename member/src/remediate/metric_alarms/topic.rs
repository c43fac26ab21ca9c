//! The SNS topic a CIS alarm notifies: chosen among the topics the account's alarms already
//! notify, else Rampart's own, created tagged and removed again once nothing uses it.

use super::definitions::alarms_notifying;
use crate::aws_error::{AwsError, ErrorKind};
use crate::collect::monitoring::{is_confirmed, subscriptions};
use crate::ratelimit::RateLimiter;
use crate::remediate::remedy::{limiter, CREATED_TAG};
use crate::snapshot::Monitoring;
use rampart_common::asff::partition_of;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Rampart's topic, created when the account has no alarm topic anyone listens to.
pub const TOPIC: &str = "rampart-cis-alarms";

/// The topic an alarm notifies, as a change records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicRef {
    pub arn: String,
    /// Rampart creates it in this change.
    pub created: bool,
    /// It is Rampart's own topic (created by this or an earlier fix): undo may delete it once
    /// nothing uses it.
    pub rampart: bool,
    /// It has a confirmed subscription.
    #[serde(default)]
    pub confirmed: bool,
}

/// Own-account SNS topics of `region` that the alarms notify, sorted.
pub fn alarm_topics(m: &Monitoring, account: &str, region: &str) -> BTreeSet<String> {
    m.alarms
        .iter()
        .flat_map(|a| &a.actions)
        .filter(|x| {
            let p: Vec<&str> = x.split(':').collect();
            p.len() == 6 && p[2] == "sns" && p[3] == region && p[4] == account
        })
        .cloned()
        .collect()
}

/// A topic the account's alarms notify with a confirmed subscription; else Rampart's own.
pub async fn choose(
    account: &str,
    region: &str,
    sns: &aws_sdk_sns::Client,
    m: &Monitoring,
    rl: &RateLimiter,
) -> Result<TopicRef, AwsError> {
    let ours = format!(
        "arn:{}:sns:{region}:{account}:{TOPIC}",
        partition_of(region)
    );
    let rampart = |arn: &str| arn == ours;
    let candidates = alarm_topics(m, account, region);
    // Those the chain read first, then the others.
    if let Some(t) = candidates
        .iter()
        .find(|c| m.topics.iter().any(|t| &&t.arn == c && t.confirmed > 0))
    {
        let r = rampart(t) && tagged(sns, t, rl).await?;
        return Ok(TopicRef {
            arn: t.clone(),
            created: false,
            rampart: r,
            confirmed: true,
        });
    }
    for t in candidates
        .iter()
        .filter(|c| !m.topics.iter().any(|t| &&t.arn == c))
    {
        match subscriptions(sns, t, rl).await {
            Ok(s) if s.iter().any(|s| is_confirmed(s)) => {
                let r = rampart(t) && tagged(sns, t, rl).await?;
                return Ok(TopicRef {
                    arn: t.clone(),
                    created: false,
                    rampart: r,
                    confirmed: true,
                });
            }
            Ok(_) => {}
            // An alarm may still name a topic since deleted.
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if topic_exists(sns, &ours, rl).await? {
        let confirmed = subscriptions(sns, &ours, rl)
            .await?
            .iter()
            .any(|s| is_confirmed(s));
        let r = tagged(sns, &ours, rl).await?;
        return Ok(TopicRef {
            arn: ours,
            created: false,
            rampart: r,
            confirmed,
        });
    }
    Ok(TopicRef {
        arn: ours,
        created: true,
        rampart: true,
        confirmed: false,
    })
}

async fn topic_exists(
    sns: &aws_sdk_sns::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Result<bool, AwsError> {
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = sns
            .list_topics()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("sns:ListTopics", &e))?;
        if page.topics().iter().any(|t| t.topic_arn() == Some(arn)) {
            return Ok(true);
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(false),
        }
    }
}

/// Whether the topic carries Rampart's creation tag.
async fn tagged(sns: &aws_sdk_sns::Client, arn: &str, rl: &RateLimiter) -> Result<bool, AwsError> {
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
        .any(|t| (t.key(), t.value()) == CREATED_TAG))
}

/// Creates Rampart's topic, tagged; `arn` is the one the plan expects.
pub async fn create(sns: &aws_sdk_sns::Client, arn: &str) -> Result<(), AwsError> {
    let tag = aws_sdk_sns::types::Tag::builder()
        .key(CREATED_TAG.0)
        .value(CREATED_TAG.1)
        .build()
        .map_err(|e| AwsError::invalid("sns:CreateTopic", e.to_string()))?;
    let out = sns
        .create_topic()
        .name(TOPIC)
        .tags(tag)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("sns:CreateTopic {TOPIC}"), &e))?;
    if out.topic_arn() != Some(arn) {
        return Err(AwsError::invalid(
            "sns:CreateTopic",
            format!("created {:?}, planned {arn}", out.topic_arn()),
        ));
    }
    Ok(())
}

/// Deletes Rampart's topic `arn` unless an alarm still notifies it or someone subscribed to
/// it since (deleting it would drop their subscription); says what it did.
pub async fn release(
    cw: &aws_sdk_cloudwatch::Client,
    sns: &aws_sdk_sns::Client,
    arn: &str,
) -> Result<String, AwsError> {
    let rl = limiter();
    let users = alarms_notifying(cw, arn, &rl).await?;
    let subs = match subscriptions(sns, arn, &rl).await {
        Ok(s) => s.len(),
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(format!("topic {arn} was gone")),
        Err(e) => return Err(e),
    };
    if !users.is_empty() {
        return Ok(format!(
            "topic {arn} kept: alarms {} notify it",
            users.join(", ")
        ));
    }
    if subs > 0 {
        return Ok(format!("topic {arn} kept: it has {subs} subscription(s)"));
    }
    sns.delete_topic()
        .topic_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("sns:DeleteTopic {arn}"), &e))?;
    Ok(format!("topic {arn} deleted"))
}

//! The CIS monitoring chain: metric filters on the trails' log groups, the alarms on those
//! metrics, and confirmed subscriptions on the alarms' SNS topics. Only what the chain needs is
//! read: one DescribeMetricFilters per log group, one DescribeAlarms per log-group region, one
//! ListSubscriptionsByTopic per alarm topic.

use super::region::in_region;
use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{
    LogGroupFilters, MetricAlarm, MetricFilter, Monitoring, TopicSubscriptions, Trail,
};
use aws_config::SdkConfig;
use rampart_common::Permissions;
use std::collections::BTreeSet;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/monitoring",
    actions: &[
        "logs:DescribeMetricFilters",
        "cloudwatch:DescribeAlarms",
        "sns:ListSubscriptionsByTopic",
    ],
};

/// `(region, log group name)` of a log group ARN.
pub fn parse_log_group_arn(arn: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() < 7 || parts[2] != "logs" || parts[5] != "log-group" {
        return None;
    }
    let name = parts[6].strip_suffix(":*").unwrap_or(parts[6]);
    Some((parts[3].to_string(), name.to_string()))
}

pub async fn collect(
    sdk: &SdkConfig,
    trails: &[Trail],
    rl: &RateLimiter,
) -> Result<Monitoring, AwsError> {
    let arns: BTreeSet<&str> = trails
        .iter()
        .filter_map(|t| t.cloudwatch_logs_group_arn.as_deref())
        .collect();
    let mut out = Monitoring::default();
    let mut regions = BTreeSet::new();
    for arn in arns {
        let (region, name) =
            parse_log_group_arn(arn).ok_or_else(|| format!("cannot parse log group ARN {arn}"))?;
        let logs = aws_sdk_cloudwatchlogs::Client::new(&in_region(sdk, &region));
        let mut filters = Vec::new();
        let mut token: Option<String> = None;
        loop {
            rl.acquire().await;
            let page = logs
                .describe_metric_filters()
                .log_group_name(&name)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("logs:DescribeMetricFilters {name}"), &e))?;
            for f in page.metric_filters() {
                filters.push(MetricFilter {
                    name: f.filter_name().unwrap_or_default().to_string(),
                    pattern: f.filter_pattern().unwrap_or_default().to_string(),
                    metrics: f
                        .metric_transformations()
                        .iter()
                        .map(|m| {
                            (
                                m.metric_namespace().to_string(),
                                m.metric_name().to_string(),
                            )
                        })
                        .collect(),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        out.log_groups.push(LogGroupFilters {
            arn: arn.to_string(),
            filters,
        });
        regions.insert(region);
    }
    for region in &regions {
        let cw = aws_sdk_cloudwatch::Client::new(&in_region(sdk, region));
        let mut token: Option<String> = None;
        loop {
            rl.acquire().await;
            let page = cw
                .describe_alarms()
                .max_records(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("cloudwatch:DescribeAlarms {region}"), &e))?;
            for a in page.metric_alarms() {
                out.alarms.push(MetricAlarm {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    namespace: a.namespace().unwrap_or_default().to_string(),
                    metric_name: a.metric_name().unwrap_or_default().to_string(),
                    actions: a.alarm_actions().to_vec(),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    // Only topics of alarms on a filter's metric matter.
    let metrics: BTreeSet<(&str, &str)> = out
        .log_groups
        .iter()
        .flat_map(|g| {
            g.filters
                .iter()
                .flat_map(|f| f.metrics.iter().map(|(n, m)| (n.as_str(), m.as_str())))
        })
        .collect();
    let topics: BTreeSet<String> = out
        .alarms
        .iter()
        .filter(|a| metrics.contains(&(a.namespace.as_str(), a.metric_name.as_str())))
        .flat_map(|a| a.actions.iter().filter(|x| x.contains(":sns:")).cloned())
        .collect();
    for topic in topics {
        let region = topic.split(':').nth(3).unwrap_or_default().to_string();
        let sns = aws_sdk_sns::Client::new(&in_region(sdk, &region));
        let confirmed = subscriptions(&sns, &topic, rl)
            .await?
            .iter()
            .filter(|s| is_confirmed(s))
            .count() as u32;
        out.topics.push(TopicSubscriptions {
            arn: topic,
            confirmed,
        });
    }
    Ok(out)
}

/// The subscription ARNs of an SNS topic, through a client of the topic's region: an ARN for a
/// confirmed subscription, `PendingConfirmation` (or similar) for one still waiting.
pub async fn subscriptions(
    sns: &aws_sdk_sns::Client,
    topic: &str,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = sns
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("sns:ListSubscriptionsByTopic {topic}"), &e))?;
        out.extend(
            page.subscriptions()
                .iter()
                .map(|s| s.subscription_arn().unwrap_or_default().to_string()),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Whether a subscription ARN of [`subscriptions`] is confirmed.
pub fn is_confirmed(subscription_arn: &str) -> bool {
    subscription_arn.starts_with("arn:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_group_arns() {
        assert_eq!(
            parse_log_group_arn(
                "arn:aws:logs:eu-west-1:111122223333:log-group:CloudTrail/Default:*"
            ),
            Some(("eu-west-1".into(), "CloudTrail/Default".into()))
        );
        assert_eq!(
            parse_log_group_arn("arn:aws:logs:us-east-1:111122223333:log-group:a:b"),
            Some(("us-east-1".into(), "a:b".into()))
        );
        assert_eq!(parse_log_group_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(parse_log_group_arn("garbage"), None);
    }
}

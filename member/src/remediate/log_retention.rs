//! CloudWatch.16: log groups are retained for at least a year (365 days, Security Hub's
//! default minimum). A group that never expires already passes and is left alone; only a
//! retention below the minimum is raised to it.

use super::remedy::{limiter, text, Fixes, Remedy, Scope};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::in_region;
use crate::collect::monitoring::parse_log_group_arn;
use crate::ratelimit::RateLimiter;

use rampart_common::asff::partition_of;
use rampart_common::{arn, Permissions};
use serde_json::{json, Value};

/// The minimum retention CloudWatch.16 asks for (its `minRetentionTime` default).
pub const MIN_RETENTION_DAYS: i32 = 365;

pub const REMEDY: Remedy = Remedy {
    id: "cloudwatch-log-retention",
    scope: Scope::Resource,
    fixes: &[Fixes::Control {
        control: "CloudWatch.16",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/cloudwatch-log-retention",
        actions: &[
            "logs:DescribeLogGroups",
            "logs:ListTagsForResource",
            "logs:PutRetentionPolicy",
        ],
    },
    changes: "Raises the retention of a log group kept for fewer than 365 days to 365 days (no log events are deleted; a group that never expires is left alone).",
    undoes: "Puts the recorded retention back (events older than it then expire again).",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

/// A log group as the plan judges it.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    name: String,
    /// `None`: never expires.
    retention: Option<i32>,
}

/// Whether a retention fails CloudWatch.16 (never expiring passes).
fn too_short(retention: Option<i32>) -> bool {
    retention.is_some_and(|d| d < MIN_RETENTION_DAYS)
}

/// The log groups of the client's region: those whose name starts with `prefix`, or all.
async fn groups(
    logs: &aws_sdk_cloudwatchlogs::Client,
    prefix: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<Group>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = logs
            .describe_log_groups()
            .set_log_group_name_prefix(prefix.map(str::to_string))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("logs:DescribeLogGroups", &e))?;
        out.extend(page.log_groups().iter().map(|g| Group {
            name: g.log_group_name().unwrap_or_default().to_string(),
            retention: g.retention_in_days(),
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

async fn tags(
    logs: &aws_sdk_cloudwatchlogs::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Result<Vec<(String, String)>, AwsError> {
    rl.acquire().await;
    let out = logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("logs:ListTagsForResource {arn}"), &e))?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    // A finding's group may name its own region; without one, the context's.
    let named = match resource {
        Some(r) => Some(parse_log_group_arn(r).ok_or_else(|| {
            AwsError::invalid(
                "plan cloudwatch-log-retention",
                format!("{r} is not a log group ARN"),
            )
        })?),
        None => None,
    };
    let region = named
        .as_ref()
        .map(|(r, _)| r.clone())
        .unwrap_or_else(|| ctx.region.to_string());
    let logs = aws_sdk_cloudwatchlogs::Client::new(&in_region(ctx.member, &region));
    let rl = limiter();
    let mut found = groups(&logs, named.as_ref().map(|(_, n)| n.as_str()), &rl).await?;
    if let Some((_, name)) = &named {
        found.retain(|g| &g.name == name);
        if found.is_empty() {
            return Err(format!("no log group {name} in {region}").into());
        }
    }
    let mut out = Vec::new();
    for g in found {
        let arn = arn::log_group(partition_of(&region), &region, ctx.account, &g.name);
        if !too_short(g.retention) {
            if named.is_some() {
                let why = match g.retention {
                    Some(d) => format!("{} is retained for {d} days", g.name),
                    None => format!("{} never expires", g.name),
                };
                out.push(Planned::Skip { resource: arn, why });
            }
            continue;
        }
        let t = tags(&logs, &arn, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, t.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let days = g.retention.unwrap_or_default();
        out.push(Planned::Change(Change {
            resource: arn,
            api: "logs:PutRetentionPolicy".into(),
            summary: format!(
                "keep log group {} for {MIN_RETENTION_DAYS} days (was {days})",
                g.name
            ),
            prior: json!({"region": region, "log_group": g.name, "retention_days": days}),
            change: json!({"region": region, "log_group": g.name, "retention_days": MIN_RETENTION_DAYS}),
        }));
    }
    Ok(out)
}

async fn put(ctx: &Ctx<'_>, s: &Value) -> Result<String, AwsError> {
    let region = text(s, "region")?;
    let name = text(s, "log_group")?;
    let days = s
        .get("retention_days")
        .and_then(Value::as_i64)
        .and_then(|d| i32::try_from(d).ok())
        .ok_or("the recorded state has no retention_days")?;
    aws_sdk_cloudwatchlogs::Client::new(&in_region(ctx.member, region))
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("logs:PutRetentionPolicy {name}"), &e))?;
    Ok(format!("log group {name}: retained for {days} days"))
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
    fn only_a_retention_below_a_year_fails() {
        assert!(too_short(Some(1)));
        assert!(too_short(Some(30)));
        assert!(too_short(Some(364)));
        assert!(!too_short(Some(365)));
        assert!(!too_short(Some(3653)));
        assert!(!too_short(None), "never expiring passes CloudWatch.16");
    }

    #[test]
    fn the_remedy_fixes_cloudwatch_16_by_resource() {
        assert_eq!(REMEDY.controls(), vec!["CloudWatch.16"]);
        assert_eq!(REMEDY.scope, Scope::Resource);
        assert!(REMEDY.checks().is_empty());
    }

    #[test]
    fn finding_resources_name_the_group() {
        let a = arn::log_group("aws", "eu-west-1", "111122223333", "/aws/lambda/f");
        assert_eq!(
            parse_log_group_arn(&a),
            Some(("eu-west-1".into(), "/aws/lambda/f".into()))
        );
        assert_eq!(
            parse_log_group_arn(&format!("{a}:*")),
            Some(("eu-west-1".into(), "/aws/lambda/f".into()))
        );
    }
}

//! CloudWatch.1-14 (CIS 4.1-4.14): a log metric filter with the CIS pattern on the log group
//! the account's multi-region trail delivers to, and an alarm on its metric that notifies an
//! SNS topic. A request fixes one control: one filter and one alarm, both `rampart-cis-<control>`.
//!
//! Nothing is done where no trail delivers to CloudWatch Logs: that (CloudTrail.5) needs a log
//! group and a delivery role the owner chooses. The alarm notifies a topic the account's alarms
//! already notify with a confirmed subscription, else Rampart's own (`rampart-cis-alarms`,
//! created tagged, reported as having no subscriber yet: who is alerted is the owner's call).

mod definitions;
mod topic;

use super::remedy::{limiter, text, Fixes, Remedy, Scope, CREATED_TAG};
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::{AwsError, ErrorKind};
use crate::checks::monitoring::qualifies;
use crate::collect::in_region;
use crate::collect::monitoring::parse_log_group_arn;
use crate::metric_filter::{missing_terms, CIS_V3_PATTERNS};
use crate::snapshot::{Monitoring, Trail};
use definitions::{find_alarm, find_filter, AlarmDef, FilterDef};
use rampart_common::event::arn_account;
use rampart_common::{arn, Permissions};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use topic::{TopicRef, TOPIC};

/// Each control with its CIS v3.0.0 requirement and the check that judges it.
macro_rules! controls {
    ($( $control:literal => $req:literal, $check:literal; )*) => {
        const FIXES: &[Fixes] = &[$( Fixes::Control { control: $control, judged_by: &[$check] }, )*];
        const CONTROLS: &[(&str, &str)] = &[$( ($control, $req), )*];
    };
}

controls! {
    "CloudWatch.1" => "4.3", "monitoring.root-usage";
    "CloudWatch.2" => "4.1", "monitoring.unauthorized-api-calls";
    "CloudWatch.3" => "4.2", "monitoring.console-signin-without-mfa";
    "CloudWatch.4" => "4.4", "monitoring.iam-policy-changes";
    "CloudWatch.5" => "4.5", "monitoring.cloudtrail-changes";
    "CloudWatch.6" => "4.6", "monitoring.console-auth-failures";
    "CloudWatch.7" => "4.7", "monitoring.cmk-disable-or-deletion";
    "CloudWatch.8" => "4.8", "monitoring.s3-bucket-policy-changes";
    "CloudWatch.9" => "4.9", "monitoring.config-changes";
    "CloudWatch.10" => "4.10", "monitoring.security-group-changes";
    "CloudWatch.11" => "4.11", "monitoring.nacl-changes";
    "CloudWatch.12" => "4.12", "monitoring.network-gateway-changes";
    "CloudWatch.13" => "4.13", "monitoring.route-table-changes";
    "CloudWatch.14" => "4.14", "monitoring.vpc-changes";
}

pub const REMEDY: Remedy = Remedy {
    id: "cloudwatch-metric-alarm",
    scope: Scope::Account,
    fixes: FIXES,
    permissions: Permissions {
        component: "remediate/cloudwatch-metric-alarm",
        actions: &[
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:GetEventSelectors",
            "logs:DescribeMetricFilters",
            "logs:PutMetricFilter",
            "logs:DeleteMetricFilter",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:TagResource",
            "sns:ListTopics",
            "sns:ListTagsForResource",
            "sns:ListSubscriptionsByTopic",
            "sns:CreateTopic",
            "sns:TagResource",
            "sns:DeleteTopic",
        ],
    },
    changes: "Puts a metric filter rampart-cis-<control> with the CIS pattern on the log group the account's multi-region trail delivers to, and an alarm on its metric (Sum >= 1 in 5 minutes) notifying a topic the account's alarms already notify with a confirmed subscription, else a new topic rampart-cis-alarms (subscribe to it). Nothing is done where no trail delivers to CloudWatch Logs (CloudTrail.5).",
    undoes: "Deletes the filter and alarm (or puts back the ones of that name it replaced), and the topic if Rampart created it and no alarm or subscription uses it.",
    plan: |ctx, req| Box::pin(plan(ctx, req.control)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

const NAMESPACE: &str = "Rampart/CIS";

/// CIS v3.0.0's 4.1 text joins all four terms with `||`, which matches nearly every event; the
/// v4.0.1+ text joins the exclusions with `&&`. Same terms, so the check judges it alike.
const UNAUTHORIZED_API_CALLS: &str = r#"{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }"#;

/// What the check requires of a filter for `req`.
fn required(req: &str) -> Option<&'static str> {
    CIS_V3_PATTERNS
        .iter()
        .find(|(id, _)| *id == req)
        .map(|(_, p)| *p)
}

/// The pattern Rampart puts for `req`.
fn pattern(req: &str) -> Option<&'static str> {
    if req == "4.1" {
        return Some(UNAUTHORIZED_API_CALLS);
    }
    required(req)
}

fn skip(account: &str, why: impl Into<String>) -> Vec<Planned> {
    vec![Planned::Skip {
        resource: arn::account(account),
        why: why.into(),
    }]
}

pub async fn plan(ctx: &Ctx<'_>, control: &str) -> Result<Vec<Planned>, AwsError> {
    let op = "plan cloudwatch-metric-alarm";
    let (control, req) = CONTROLS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(control))
        .copied()
        .ok_or_else(|| AwsError::invalid(op, format!("{control} is not CloudWatch.1-14")))?;
    let (Some(required), Some(put_pattern)) = (required(req), pattern(req)) else {
        return Err(AwsError::invalid(op, format!("no CIS pattern for {req}")));
    };
    let rl = limiter();
    let all = crate::collect::cloudtrail::collect(ctx.member, &rl).await?;
    let trails: Vec<Trail> = all
        .trails
        .iter()
        .filter(|t| qualifies(t))
        .cloned()
        .collect();
    if trails.is_empty() {
        if let Some(e) = unread(&all.trails) {
            return Err(e);
        }
        return Ok(skip(ctx.account, "no active multi-region trail recording all management events delivers to CloudWatch Logs: send one there first (CloudTrail.5, which Rampart leaves to people: it needs a log group and a delivery role you choose)"));
    }
    let m = crate::collect::monitoring::collect(ctx.member, &trails, &rl).await?;
    if let Some(why) = monitored(&trails, &m, required) {
        return Ok(skip(ctx.account, why));
    }
    let Some((trail, region, group)) = own_group(ctx.account, &trails) else {
        return Ok(skip(ctx.account, "the trails that qualify deliver to log groups of another account (an organization trail's group is the management account's): the filter and alarm belong there"));
    };
    let sdk = in_region(ctx.member, &region);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let sns = aws_sdk_sns::Client::new(&sdk);
    let name = format!("rampart-cis-{control}");
    let prior_filter = find_filter(&logs, &group, &name, &rl).await?;
    let prior_alarm = match find_alarm(&cw, &name, &rl).await? {
        None => None,
        Some(a) => match AlarmDef::from_sdk(&a) {
            Some(d) => Some(d),
            None => return Ok(skip(ctx.account, format!("an alarm {name} exists with settings Rampart cannot record (metric math or evaluation criteria): rename or remove it first"))),
        },
    };
    let topic = topic::choose(ctx.account, &region, &sns, &m, &rl).await?;
    let filter = FilterDef::counting(&name, put_pattern, NAMESPACE);
    let description = format!("CIS {req} ({control}): events on log group {group}, put by Rampart");
    let alarm = AlarmDef::on_any(&name, NAMESPACE, &description, &topic.arn);
    let notifies = match (&topic.created, &topic.confirmed) {
        (true, _) => format!("new topic {TOPIC}, created by Rampart: it has no subscriber yet, subscribe who should be alerted"),
        (false, false) => format!("Rampart's topic {TOPIC}, which has no confirmed subscriber yet: subscribe who should be alerted"),
        (false, true) => format!("topic {}", topic.arn),
    };
    let replaced: Vec<&str> = [
        prior_filter.as_ref().map(|_| "filter"),
        prior_alarm.as_ref().map(|_| "alarm"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let summary = format!(
        "put metric filter and alarm {name} (CIS {req}) on log group {group} of trail {trail}, notifying {notifies}{}",
        if replaced.is_empty() {
            String::new()
        } else {
            format!(" (replacing the {} of that name)", replaced.join(" and "))
        }
    );
    Ok(vec![Planned::Change(Change {
        resource: arn::account(ctx.account),
        api: "logs:PutMetricFilter".into(),
        summary,
        prior: json!({
            "region": region, "log_group": group, "name": name,
            "filter": prior_filter, "alarm": prior_alarm,
            "topic": (!topic.created).then(|| topic.arn.clone()),
        }),
        change: json!({
            "region": region, "log_group": group, "name": name, "trail": trail,
            "filter": filter, "alarm": alarm, "topic": topic,
        }),
    })])
}

/// The error that kept a would-be qualifying trail from being judged, if any: a plan must not
/// say "no trail" when it could not read one.
fn unread(trails: &[Trail]) -> Option<AwsError> {
    trails
        .iter()
        .filter(|t| t.is_multi_region && t.cloudwatch_logs_group_arn.is_some())
        .find_map(|t| {
            t.is_logging
                .as_result()
                .err()
                .or(t.management_events.as_result().err())
                .cloned()
        })
}

/// Why the control needs nothing, if a filter on a qualifying trail's group has every CIS term
/// and an alarm on its metric notifies an SNS topic (the check's chain; a topic nobody
/// confirmed is reported, since only the owner can subscribe people).
fn monitored(trails: &[Trail], m: &Monitoring, required: &str) -> Option<String> {
    let groups: BTreeSet<&str> = trails
        .iter()
        .filter_map(|t| t.cloudwatch_logs_group_arn.as_deref())
        .collect();
    let mut unconfirmed = None;
    for g in m
        .log_groups
        .iter()
        .filter(|g| groups.contains(g.arn.as_str()))
    {
        for f in &g.filters {
            if !missing_terms(&f.pattern, required).is_ok_and(|x| x.is_empty()) {
                continue;
            }
            let alarms = m.alarms.iter().filter(|a| {
                f.metrics
                    .iter()
                    .any(|(ns, n)| *ns == a.namespace && *n == a.metric_name)
            });
            for a in alarms {
                for topic in a.actions.iter().filter(|x| x.contains(":sns:")) {
                    let confirmed = m.topics.iter().any(|t| &t.arn == topic && t.confirmed > 0);
                    if confirmed {
                        return Some(format!("already monitored: filter {} -> alarm {} -> topic {topic} with a confirmed subscription", f.name, a.name));
                    }
                    unconfirmed.get_or_insert_with(|| format!("filter {} and alarm {} exist, but topic {topic} has no confirmed subscription: subscribe who should be alerted (Rampart does not choose people)", f.name, a.name));
                }
            }
        }
    }
    unconfirmed
}

/// The log group to put the filter on: of the qualifying trails whose group is the account's
/// own, the first by name (trail name, region, group name).
fn own_group(account: &str, trails: &[Trail]) -> Option<(String, String, String)> {
    let mut own: Vec<(String, String, String)> = trails
        .iter()
        .filter_map(|t| {
            let arn = t.cloudwatch_logs_group_arn.as_deref()?;
            (arn_account(arn).as_deref() == Some(account)).then_some(())?;
            let (region, group) = parse_log_group_arn(arn)?;
            Some((t.name.clone(), region, group))
        })
        .collect();
    own.sort();
    own.into_iter().next()
}

/// The clients of the region a change names.
fn clients(
    ctx: &Ctx<'_>,
    s: &Value,
) -> Result<
    (
        aws_sdk_cloudwatchlogs::Client,
        aws_sdk_cloudwatch::Client,
        aws_sdk_sns::Client,
    ),
    AwsError,
> {
    let sdk = in_region(ctx.member, text(s, "region")?);
    Ok((
        aws_sdk_cloudwatchlogs::Client::new(&sdk),
        aws_sdk_cloudwatch::Client::new(&sdk),
        aws_sdk_sns::Client::new(&sdk),
    ))
}

fn field<T: serde::de::DeserializeOwned>(s: &Value, k: &str) -> Result<T, AwsError> {
    serde_json::from_value(s.get(k).cloned().unwrap_or(Value::Null))
        .map_err(|e| AwsError::invalid("recorded state", format!("{k}: {e}")))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    let s = &c.change;
    let (logs, cw, sns) = clients(ctx, s)?;
    let group = text(s, "log_group")?;
    let filter: FilterDef = field(s, "filter")?;
    let alarm: AlarmDef = field(s, "alarm")?;
    let topic: TopicRef = field(s, "topic")?;
    let prior_alarm: Option<AlarmDef> = field(&c.prior, "alarm")?;
    if topic.created {
        topic::create(&sns, &topic.arn).await?;
    }
    // A new alarm carries the creation tag; an alarm of the same name keeps its own tags.
    let tags: &[(&str, &str)] = if prior_alarm.is_none() {
        &[CREATED_TAG]
    } else {
        &[]
    };
    let put = async {
        filter.put(&logs, group).await?;
        alarm.put(&cw, tags).await
    };
    if let Err(e) = put.await {
        // Leave nothing half made: what was put is taken back (best effort).
        let back = restore(ctx, &c.prior, s).await;
        return Err(AwsError {
            message: format!(
                "{} (rolled back: {})",
                e.message,
                back.unwrap_or_else(|b| b.to_string())
            ),
            ..e
        });
    }
    Ok(format!(
        "filter {} on {group} -> alarm {} -> topic {}{}",
        filter.name,
        alarm.name,
        topic.arn,
        if topic.created {
            " (created by Rampart, no subscriber yet)"
        } else {
            ""
        }
    ))
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    restore(ctx, &a.prior, &a.change).await
}

/// Puts back the filter and alarm `prior` recorded (or removes Rampart's), then removes
/// Rampart's topic once nothing uses it.
async fn restore(ctx: &Ctx<'_>, prior: &Value, change: &Value) -> Result<String, AwsError> {
    let (logs, cw, sns) = clients(ctx, change)?;
    let group = text(change, "log_group")?;
    let name = text(change, "name")?;
    let topic: TopicRef = field(change, "topic")?;
    let prior_filter: Option<FilterDef> = field(prior, "filter")?;
    let prior_alarm: Option<AlarmDef> = field(prior, "alarm")?;
    let mut done = Vec::new();
    match prior_alarm {
        Some(a) => {
            a.put(&cw, &[]).await?;
            done.push(format!("alarm {name} put back"));
        }
        None => {
            let r = cw
                .delete_alarms()
                .alarm_names(name)
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("cloudwatch:DeleteAlarms {name}"), &e));
            match r {
                Ok(_) => done.push(format!("alarm {name} deleted")),
                Err(e) if e.kind == ErrorKind::NotFound => {
                    done.push(format!("alarm {name} was gone"))
                }
                Err(e) => return Err(e),
            }
        }
    }
    match prior_filter {
        Some(f) => {
            f.put(&logs, group).await?;
            done.push(format!("filter {name} put back"));
        }
        None => {
            let r = logs
                .delete_metric_filter()
                .log_group_name(group)
                .filter_name(name)
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("logs:DeleteMetricFilter {group} {name}"), &e));
            match r {
                Ok(_) => done.push(format!("filter {name} deleted")),
                Err(e) if e.kind == ErrorKind::NotFound => {
                    done.push(format!("filter {name} was gone"))
                }
                Err(e) => return Err(e),
            }
        }
    }
    if topic.rampart {
        done.push(topic::release(&cw, &sns, &topic.arn).await?);
    }
    Ok(done.join("; "))
}

#[cfg(test)]
mod tests;

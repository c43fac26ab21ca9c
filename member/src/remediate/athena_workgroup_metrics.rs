//! Athena.4: Athena workgroups have logging enabled (they publish query metrics to CloudWatch).
//! A workgroup without it gets PublishCloudWatchMetricsEnabled=true; undo sets it to false.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use crate::snapshot::tags::{pairs, Tags};
use aws_sdk_athena::types::WorkGroupConfigurationUpdates;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "athena-workgroup-metrics",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "Athena.4",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/athena-workgroup-metrics",
        actions: &[
            "athena:ListWorkGroups",
            "athena:GetWorkGroup",
            "athena:ListTagsForResource",
            "athena:UpdateWorkGroup",
        ],
    },
    changes: "Turns on publishing of the workgroup's query metrics to CloudWatch (PublishCloudWatchMetricsEnabled=true); no other setting of the workgroup is sent.",
    undoes: "Sets PublishCloudWatchMetricsEnabled back to false.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

const KIND: &str = "athena-workgroup-metrics";

fn client(ctx: &Ctx<'_>) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::new(ctx.member)
}

/// The workgroup's ARN, as Security Hub names it.
fn workgroup_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:athena:{region}:{account}:workgroup/{name}")
}

/// The workgroup name of an ARN (or a bare name).
fn workgroup_name(id: &str) -> &str {
    id.split_once(":workgroup/").map_or(id, |(_, n)| n)
}

async fn workgroups(
    athena: &aws_sdk_athena::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = athena
            .list_work_groups()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("athena:ListWorkGroups", &e))?;
        out.extend(
            page.work_groups()
                .iter()
                .filter_map(|w| w.name())
                .map(str::to_string),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn tags(
    athena: &aws_sdk_athena::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Result<Tags, AwsError> {
    let mut out = Tags::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = athena
            .list_tags_for_resource()
            .resource_arn(arn)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("athena:ListTagsForResource {arn}"), &e))?;
        out.extend(page.tags().iter().map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (athena, rl) = (client(ctx), limiter());
    let names = match resource {
        Some(r) => vec![workgroup_name(r).to_string()],
        None => workgroups(&athena, &rl).await?,
    };
    let mut out = Vec::new();
    for name in names {
        rl.acquire().await;
        let got = athena
            .get_work_group()
            .work_group(&name)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("athena:GetWorkGroup {name}"), &e))?;
        let arn = workgroup_arn(ctx.partition(), ctx.region, ctx.account, &name);
        let publishing = got
            .work_group()
            .and_then(|w| w.configuration())
            .and_then(|c| c.publish_cloud_watch_metrics_enabled())
            .unwrap_or(false);
        if publishing {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("workgroup {name} already publishes its metrics to CloudWatch"),
                });
            }
            continue;
        }
        let tags = tags(&athena, &arn, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "athena:UpdateWorkGroup".into(),
            summary: format!("publish the metrics of workgroup {name} to CloudWatch"),
            prior: json!({"kind": KIND, "workgroup": name, "publish_cloudwatch_metrics": false}),
            change: json!({"kind": KIND, "workgroup": name, "publish_cloudwatch_metrics": true}),
        }));
    }
    Ok(out)
}

/// The workgroup and the setting a recorded state holds.
fn setting(state: &Value) -> Result<(&str, bool), AwsError> {
    if text(state, "kind")? != KIND {
        return Err("unknown recorded state kind".into());
    }
    let on = state
        .get("publish_cloudwatch_metrics")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no publish_cloudwatch_metrics")?;
    Ok((text(state, "workgroup")?, on))
}

/// Sets PublishCloudWatchMetricsEnabled as recorded; the update names nothing else.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let (name, on) = setting(state)?;
    client(ctx)
        .update_work_group()
        .work_group(name)
        .configuration_updates(
            WorkGroupConfigurationUpdates::builder()
                .publish_cloud_watch_metrics_enabled(on)
                .build(),
        )
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("athena:UpdateWorkGroup {name}"), &e))?;
    Ok(format!(
        "workgroup {name}: PublishCloudWatchMetricsEnabled={on}"
    ))
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
    fn arns_read_back_their_name() {
        let arn = workgroup_arn("aws", "eu-west-1", "111122223333", "primary");
        assert_eq!(
            arn,
            "arn:aws:athena:eu-west-1:111122223333:workgroup/primary"
        );
        assert_eq!(workgroup_name(&arn), "primary");
        assert_eq!(workgroup_name("primary"), "primary");
    }

    #[test]
    fn the_recorded_state_is_read_back() {
        let prior = json!({"kind": KIND, "workgroup": "w", "publish_cloudwatch_metrics": false});
        assert_eq!(setting(&prior).ok(), Some(("w", false)));
        assert!(setting(&json!({"kind": KIND, "workgroup": "w"})).is_err());
    }
}

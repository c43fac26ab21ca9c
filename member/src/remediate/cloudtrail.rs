//! CloudTrail.4: log file validation; CloudTrail.1: multi-region logging restored on the
//! account's own trail.
//!
//! Only trails the account owns are changed (an organization trail belongs to the management
//! account), and only in their home region.

use super::remedy::{arn_region, text, Fixes, Remedy};
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;

use aws_sdk_cloudtrail::types::Trail;
use rampart_common::event::arn_account;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const LOG_FILE_VALIDATION: Remedy = Remedy {
    id: "cloudtrail-log-file-validation",
    fixes: &[Fixes::Check("cloudtrail.log-file-validation")],
    permissions: Permissions {
        component: "remediate/cloudtrail-log-file-validation",
        actions: &["cloudtrail:DescribeTrails", "cloudtrail:UpdateTrail"],
    },
    changes: "Turns on log file validation (signed digest files) of the account's own trail.",
    undoes: "Turns log file validation off again.",
    plan: |ctx, req| Box::pin(plan_validation(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const MULTI_REGION: Remedy = Remedy {
    id: "cloudtrail-multi-region",
    fixes: &[Fixes::Check("cloudtrail.multi-region-logging")],
    permissions: Permissions {
        component: "remediate/cloudtrail-multi-region",
        actions: &[
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:UpdateTrail",
            "cloudtrail:StartLogging",
            "cloudtrail:StopLogging",
        ],
    },
    changes: "Makes the account's own trail multi-region (with global service events) and starts its logging. No trail is created: an account without one is reported.",
    undoes: "Puts the trail's recorded multi-region, global-events and logging settings back.",
    plan: |ctx, req| Box::pin(plan_multi_region(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client_for(ctx: &Ctx<'_>, region: &str) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&crate::collect::in_region(ctx.member, region))
}

async fn trails(
    ctx: &Ctx<'_>,
    region: &str,
    names: Vec<String>,
    shadows: bool,
) -> Result<Vec<Trail>, AwsError> {
    client_for(ctx, region)
        .describe_trails()
        .set_trail_name_list((!names.is_empty()).then_some(names))
        .include_shadow_trails(shadows)
        .send()
        .await
        .map(|o| o.trail_list().to_vec())
        .map_err(|e| AwsError::sdk("cloudtrail:DescribeTrails", &e))
}

fn own(ctx: &Ctx<'_>, t: &Trail) -> bool {
    t.trail_arn().and_then(arn_account).as_deref() == Some(ctx.account)
}

pub async fn plan_validation(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let region = resource
        .and_then(arn_region)
        .unwrap_or(ctx.region)
        .to_string();
    let names = resource.map(|r| vec![r.to_string()]).unwrap_or_default();
    let mut out = Vec::new();
    for t in trails(ctx, &region, names, false).await? {
        let arn = t.trail_arn().unwrap_or_default().to_string();
        if !own(ctx, &t) {
            out.push(Planned::Skip {
                resource: arn,
                why: "the trail belongs to another account (an organization trail is changed in the management account)".into(),
            });
            continue;
        }
        if t.log_file_validation_enabled() == Some(true) {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "log file validation is already on".into(),
                });
            }
            continue;
        }
        let home = t.home_region().unwrap_or(&region).to_string();
        out.push(Planned::Change(Change {
            resource: arn.clone(),
            api: "cloudtrail:UpdateTrail".into(),
            summary: format!(
                "turn on log file validation of {}",
                t.name().unwrap_or_default()
            ),
            prior: json!({"trail": arn, "region": home, "log_file_validation": false}),
            change: json!({"trail": arn, "region": home, "log_file_validation": true}),
        }));
    }
    if out.is_empty() && resource.is_some() {
        return Err(format!("no trail {} in {region}", resource.unwrap_or_default()).into());
    }
    Ok(out)
}

async fn logging(ctx: &Ctx<'_>, region: &str, arn: &str) -> Result<bool, AwsError> {
    client_for(ctx, region)
        .get_trail_status()
        .name(arn)
        .send()
        .await
        .map(|s| s.is_logging().unwrap_or(false))
        .map_err(|e| AwsError::sdk(format!("cloudtrail:GetTrailStatus {arn}"), &e))
}

pub async fn plan_multi_region(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let account = format!("AWS::::Account:{}", ctx.account);
    let all = trails(ctx, ctx.region, Vec::new(), true).await?;
    for t in all
        .iter()
        .filter(|t| t.is_multi_region_trail() == Some(true))
    {
        let home = t.home_region().unwrap_or(ctx.region);
        if logging(ctx, home, t.trail_arn().unwrap_or_default()).await? {
            return Ok(vec![Planned::Skip {
                resource: account,
                why: format!(
                    "multi-region trail {} is logging",
                    t.name().unwrap_or_default()
                ),
            }]);
        }
    }
    // The account's own trail: the one named, else the first by name.
    let mut candidates: Vec<&Trail> = all.iter().filter(|t| own(ctx, t)).collect();
    candidates.sort_by(|a, b| a.name().cmp(&b.name()));
    let chosen = match resource.filter(|r| r.contains(":trail/")) {
        Some(r) => candidates.into_iter().find(|t| t.trail_arn() == Some(r)),
        None => candidates.into_iter().next(),
    };
    let Some(t) = chosen else {
        return Ok(vec![Planned::Skip {
            resource: account,
            why: "the account has no trail of its own to make multi-region; Rampart does not create trails (it needs a log bucket you choose)".into(),
        }]);
    };
    let arn = t.trail_arn().unwrap_or_default().to_string();
    let home = t.home_region().unwrap_or(ctx.region).to_string();
    let was_logging = logging(ctx, &home, &arn).await?;
    let prior = json!({
        "trail": arn, "region": home,
        "multi_region": t.is_multi_region_trail().unwrap_or(false),
        "global_service_events": t.include_global_service_events().unwrap_or(false),
        "logging": was_logging,
    });
    Ok(vec![Planned::Change(Change {
        resource: arn.clone(),
        api: "cloudtrail:UpdateTrail".into(),
        summary: format!(
            "make trail {} multi-region{}",
            t.name().unwrap_or_default(),
            if was_logging {
                ""
            } else {
                " and start logging"
            }
        ),
        prior,
        change: json!({"trail": arn, "region": home, "multi_region": true, "global_service_events": true, "logging": true}),
    })])
}

async fn put(ctx: &Ctx<'_>, s: &Value) -> Result<String, AwsError> {
    let arn = text(s, "trail")?;
    let region = text(s, "region")?;
    let ct = client_for(ctx, region);
    let b = |k: &str| s.get(k).and_then(Value::as_bool);
    if let Some(v) = b("log_file_validation") {
        ct.update_trail()
            .name(arn)
            .enable_log_file_validation(v)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("cloudtrail:UpdateTrail {arn}"), &e))?;
        return Ok(format!(
            "{arn}: log file validation {}",
            if v { "on" } else { "off" }
        ));
    }
    let multi = b("multi_region").ok_or("the recorded state has no multi_region")?;
    // A multi-region trail must include global service events; turn them off only after.
    let global = b("global_service_events").unwrap_or(multi) || multi;
    ct.update_trail()
        .name(arn)
        .is_multi_region_trail(multi)
        .include_global_service_events(global)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("cloudtrail:UpdateTrail {arn}"), &e))?;
    if !multi && b("global_service_events") == Some(false) {
        ct.update_trail()
            .name(arn)
            .include_global_service_events(false)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("cloudtrail:UpdateTrail {arn}"), &e))?;
    }
    match b("logging") {
        Some(true) => {
            ct.start_logging()
                .name(arn)
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("cloudtrail:StartLogging {arn}"), &e))?;
        }
        Some(false) => {
            ct.stop_logging()
                .name(arn)
                .send()
                .await
                .map_err(|e| AwsError::sdk(format!("cloudtrail:StopLogging {arn}"), &e))?;
        }
        None => {}
    }
    Ok(format!(
        "{arn}: multi-region {multi}, logging {}",
        b("logging").unwrap_or(true)
    ))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    put(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    put(ctx, &a.prior).await
}

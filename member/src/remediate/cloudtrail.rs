//! CloudTrail.4: log file validation; CloudTrail.1: multi-region logging restored on the
//! account's own trail.
//!
//! Only trails the account owns are changed (an organization trail belongs to the management
//! account), and only in their home region.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::cloudtrail::{describe, status};
use crate::ratelimit::RateLimiter;
use crate::snapshot::Trail;

use rampart_common::arn;
use rampart_common::event::arn_account;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const LOG_FILE_VALIDATION: Remedy = Remedy {
    id: "cloudtrail-log-file-validation",
    scope: super::remedy::Scope::Resource,
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
    scope: super::remedy::Scope::Account,
    fixes: &[
        Fixes::Check("cloudtrail.multi-region-logging"),
        Fixes::Control {
            control: "CloudTrail.3",
            judged_by: &["cloudtrail.multi-region-logging"],
        },
    ],
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
    changes: "Makes the account's own trail multi-region (with global service events) and starts its logging (CloudTrail.3: only starts logging on it when no trail logs). No trail is created: an account without one is reported.",
    undoes: "Puts the trail's recorded multi-region, global-events and logging settings back.",
    plan: |ctx, req| Box::pin(plan_multi_region(ctx, req.control, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client_for(ctx: &Ctx<'_>, region: &str) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&crate::collect::in_region(ctx.member, region))
}

/// The trails seen from `region`: the named ones, or every trail there (`shadows`: also the
/// multi-region trails of other home regions).
async fn trails(
    ctx: &Ctx<'_>,
    region: &str,
    names: &[String],
    shadows: bool,
    rl: &RateLimiter,
) -> Result<Vec<Trail>, AwsError> {
    describe(&client_for(ctx, region), region, names, shadows, rl).await
}

fn own(ctx: &Ctx<'_>, t: &Trail) -> bool {
    arn_account(&t.arn).as_deref() == Some(ctx.account)
}

pub async fn plan_validation(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let region = resource
        .and_then(arn::region)
        .unwrap_or(ctx.region)
        .to_string();
    let names: Vec<String> = resource.map(|r| vec![r.to_string()]).unwrap_or_default();
    let mut out = Vec::new();
    for t in trails(ctx, &region, &names, false, &limiter()).await? {
        let arn = t.arn.clone();
        if !own(ctx, &t) {
            out.push(Planned::Skip {
                resource: arn,
                why: "the trail belongs to another account (an organization trail is changed in the management account)".into(),
            });
            continue;
        }
        if t.log_file_validation {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "log file validation is already on".into(),
                });
            }
            continue;
        }
        let home = &t.home_region;
        out.push(Planned::Change(Change {
            resource: arn.clone(),
            api: "cloudtrail:UpdateTrail".into(),
            summary: format!("turn on log file validation of {}", t.name),
            prior: json!({"trail": arn, "region": home, "log_file_validation": false}),
            change: json!({"trail": arn, "region": home, "log_file_validation": true}),
        }));
    }
    if out.is_empty() && resource.is_some() {
        return Err(format!("no trail {} in {region}", resource.unwrap_or_default()).into());
    }
    Ok(out)
}

/// Whether the trail logs, asked in its home region.
async fn logging(ctx: &Ctx<'_>, t: &Trail, rl: &RateLimiter) -> Result<bool, AwsError> {
    status(&client_for(ctx, &t.home_region), &t.arn, rl)
        .await
        .into_result()
}

pub async fn plan_multi_region(
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let account = arn::account(ctx.account);
    let rl = limiter();
    // CloudTrail.3 asks only that some trail logs; CloudTrail.1 a multi-region one.
    let any_trail = control.eq_ignore_ascii_case("CloudTrail.3");
    let all = trails(ctx, ctx.region, &[], true, &rl).await?;
    for t in all.iter().filter(|t| any_trail || t.is_multi_region) {
        if logging(ctx, t, &rl).await? {
            return Ok(vec![Planned::Skip {
                resource: account,
                why: format!("multi-region trail {} is logging", t.name),
            }]);
        }
    }
    // The account's own trail: the one named, else the first by name.
    let mut candidates: Vec<&Trail> = all.iter().filter(|t| own(ctx, t)).collect();
    candidates.sort_by(|a, b| a.name.cmp(&b.name));
    let chosen = match resource.filter(|r| r.contains(":trail/")) {
        Some(r) => candidates.into_iter().find(|t| t.arn == r),
        None => candidates.into_iter().next(),
    };
    let Some(t) = chosen else {
        return Ok(vec![Planned::Skip {
            resource: account,
            why: "the account has no trail of its own to make multi-region; Rampart does not create trails (it needs a log bucket you choose)".into(),
        }]);
    };
    let (arn, home) = (&t.arn, &t.home_region);
    let was_logging = logging(ctx, t, &rl).await?;
    if any_trail {
        return Ok(vec![Planned::Change(Change {
            resource: arn.clone(),
            api: "cloudtrail:StartLogging".into(),
            summary: format!("start logging on trail {}", t.name),
            prior: json!({"trail": arn, "region": home, "multi_region": t.is_multi_region,
                          "global_service_events": t.include_global_service_events, "logging": was_logging}),
            change: json!({"trail": arn, "region": home, "multi_region": t.is_multi_region,
                           "global_service_events": t.include_global_service_events, "logging": true}),
        })]);
    }
    let prior = json!({
        "trail": arn, "region": home,
        "multi_region": t.is_multi_region,
        "global_service_events": t.include_global_service_events,
        "logging": was_logging,
    });
    Ok(vec![Planned::Change(Change {
        resource: arn.clone(),
        api: "cloudtrail:UpdateTrail".into(),
        summary: format!(
            "make trail {} multi-region{}",
            t.name,
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

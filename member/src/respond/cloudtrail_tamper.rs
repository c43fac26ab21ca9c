//! Playbook 1: someone stopped, deleted or reconfigured a protected trail.
//!
//! Priority action first, before the actor is even looked at (an unusual identity must never
//! delay restarting the trail): recreate a deleted trail, restart logging, restore changed settings
//! and selectors from the last recorded configuration or the baseline. Then forensics, then the
//! configured countermeasure against the actor.

use super::playbook::{Job, Playbook, Routed, Trigger};
use super::trails::{self, name_and_region, Selectors, TrailConfig};
use crate::act::exempt::exempt;
use crate::act::{Ctx, Run, Stage, Status};
use crate::error_text::describe;
use futures::future::BoxFuture;
use rampart_common::event::{arn_account, ApiCall, Event, Kind};
use rampart_common::identity::{mfa_used, Actor, Forensics};
use rampart_common::ResponseConfig;
use serde_json::json;

mod countermeasure;

use countermeasure::countermeasure;
pub use countermeasure::deny_all_policy_arn;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "member/respond/cloudtrail-tamper",
    actions: &[
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:ListTags",
        "cloudtrail:StartLogging",
        "cloudtrail:CreateTrail",
        "cloudtrail:UpdateTrail",
        "cloudtrail:PutEventSelectors",
        "iam:ListAccessKeys",
        "iam:UpdateAccessKey",
        "iam:AttachUserPolicy",
        "iam:AttachRolePolicy",
    ],
};

/// The API calls this playbook answers.
pub const TRIGGERS: &[&str] = &[
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
];

pub const PLAYBOOK: Playbook = Playbook {
    name: "cloudtrail-tamper",
    mode_key: "cloudtrail_tamper",
    triggers: &[Trigger::ApiCall {
        source: "cloudtrail.amazonaws.com",
        names: TRIGGERS,
    }],
    permissions: PERMISSIONS,
    stages: &[
        Stage::PriorityAction,
        Stage::Forensics,
        Stage::Countermeasure,
    ],
    budget: super::playbook::Budget::None,
    route,
};

fn route(e: &Event, _: &ResponseConfig) -> Routed {
    let Kind::ApiCall(call) = &e.kind else {
        return Routed::Ignore("not an API call".into());
    };
    // A trail named by ARN must be the calling account's own.
    if let Some(name) = trail_of(call) {
        if let Some(acct) = arn_account(&name) {
            if acct != call.account {
                return Routed::Reject(format!(
                    "requestParameters.name names trail {name} of account {acct}, not of {}",
                    call.account
                ));
            }
        }
    }
    super::playbook::api_call_route(&PLAYBOOK, call, trail_of(call), Tamper(call.clone()))
}

/// Restore what the call changed, then answer its actor.
#[derive(Debug)]
pub struct Tamper(pub Box<ApiCall>);

impl Job for Tamper {
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Run> {
        Box::pin(run(ctx, &self.0))
    }
}

/// The trail an event names: `requestParameters.name` or `.trailName`.
pub fn trail_of(call: &ApiCall) -> Option<String> {
    let p = &call.request_parameters;
    p.get("name")
        .or_else(|| p.get("trailName"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

pub async fn run(ctx: &Ctx<'_>, call: &ApiCall) -> Run {
    let raw_name = trail_of(call).unwrap_or_default();
    let (name, home) = name_and_region(&raw_name, ctx.region);
    let arn = format!(
        "arn:{}:cloudtrail:{home}:{}:trail/{name}",
        rampart_common::asff::partition_of(&home),
        ctx.account
    );
    let mut run = Run::new(ctx.plan, arn.clone());
    if name.is_empty() {
        run.ignored = Some("the event names no trail (requestParameters.name)".into());
        return run;
    }
    if !ctx.cfg.trail_protected(&name) {
        run.ignored = Some(format!("trail {name} is not in protected_trails"));
        return run;
    }
    // Trail calls are made in the trail's home region.
    let member = ctx
        .member
        .to_builder()
        .region(aws_types::region::Region::new(home.clone()))
        .build();
    let ct = aws_sdk_cloudtrail::Client::new(&member);

    // Decisions that must precede any change: the actor's standing, and exemption.
    let actor = Actor::parse(&call.user_identity);
    let allow_listed = ctx.cfg.is_allow_listed(&actor.principal_arn());
    let forensics = Forensics {
        actor: actor.clone(),
        source_ip: call.source_ip.clone(),
        user_agent: call.user_agent.clone(),
        event_time: call.event_time.clone(),
        mfa_used: mfa_used(&call.user_identity),
        allow_listed,
    };
    run.forensics = serde_json::to_value(&forensics).ok();

    let current = match trails::read(&ct, &name).await {
        Ok(c) => c,
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "cloudtrail:DescribeTrails",
                &arn,
                Status::Failed,
                e,
                None,
            );
            return run;
        }
    };
    if let Some((t, _)) = &current {
        if let Some(a) = t.trail_arn() {
            if a.split(':').nth(4) != Some(ctx.account) {
                run.ignored = Some(format!(
                    "trail {name} is owned by another account (organization trail): {a}"
                ));
                return run;
            }
        }
        match ct
            .list_tags()
            .resource_id_list(t.trail_arn().unwrap_or(&arn))
            .send()
            .await
        {
            Ok(out) => {
                let tags: Vec<(&str, &str)> = out
                    .resource_tag_list()
                    .iter()
                    .flat_map(|r| r.tags_list())
                    .map(|t| (t.key(), t.value().unwrap_or("")))
                    .collect();
                if exempt(tags, ctx.cfg.exempt_tag()) {
                    run.ignored = Some(format!(
                        "trail {name} is tagged {}=true",
                        ctx.cfg.exempt_tag()
                    ));
                    return run;
                }
            }
            Err(e) => run.rec.note(
                Stage::PriorityAction,
                "cloudtrail:ListTags",
                &arn,
                Status::Failed,
                format!(
                    "cannot read tags, treating the trail as not exempt: {}",
                    describe(&e)
                ),
                None,
            ),
        }
    }
    if allow_listed {
        run.rec.note(
            Stage::Forensics,
            "forensics",
            &actor.principal_arn(),
            Status::Done,
            format!(
                "{} is on the allow list: change recorded, not reverted",
                actor.describe()
            ),
            run.forensics.clone(),
        );
        run.ignored = Some(format!(
            "{} is allow-listed for trail changes",
            actor.describe()
        ));
        // An allowed change is the new baseline: record it, so the restore and the schedule's
        // drift check do not fight the allowed change.
        adopt_allowed_change(ctx, &ct, &name, &arn, &home, &mut run).await;
        return run;
    }

    priority_action(ctx, &ct, &name, &arn, &home, current, &mut run).await;

    run.rec.note(
        Stage::Forensics,
        "forensics",
        &actor.principal_arn(),
        Status::Done,
        format!(
            "{} called {} from {} ({})",
            actor.describe(),
            call.event_name,
            call.source_ip.as_deref().unwrap_or("?"),
            call.user_agent.as_deref().unwrap_or("?")
        ),
        run.forensics.clone(),
    );

    countermeasure(ctx, call, &actor, &mut run).await;
    run
}

/// Records the trail as it is now as its restore baseline (an allow-listed change).
async fn adopt_allowed_change(
    ctx: &Ctx<'_>,
    ct: &aws_sdk_cloudtrail::Client,
    name: &str,
    arn: &str,
    home: &str,
    run: &mut Run,
) {
    let live = match trails::read(ct, name).await {
        Ok(Some((t, sel))) => TrailConfig::from_trail(&t, Some(sel)),
        Ok(None) => {
            run.rec.skip(
                Stage::Forensics,
                "record trail configuration",
                arn,
                "the trail no longer exists; nothing to record",
            );
            return;
        }
        Err(e) => {
            run.rec.note(
                Stage::Forensics,
                "record trail configuration",
                arn,
                Status::Failed,
                e,
                None,
            );
            return;
        }
    };
    let value = serde_json::to_value(&live).unwrap_or_default();
    let store = ctx.store;
    let account = ctx.account;
    run.rec
        .act(
            Stage::Forensics,
            "record trail configuration",
            arn,
            None,
            || async move {
                store
                    .put_trail_record(account, home, name, &value)
                    .await
                    .map(|()| "the allowed change is the new recorded configuration".to_string())
            },
        )
        .await;
}

async fn priority_action(
    ctx: &Ctx<'_>,
    ct: &aws_sdk_cloudtrail::Client,
    name: &str,
    arn: &str,
    home: &str,
    current: Option<(aws_sdk_cloudtrail::types::Trail, Selectors)>,
    run: &mut Run,
) {
    let desired = match ctx.store.trail_record(ctx.account, home, name).await {
        Ok(Some(v)) => match serde_json::from_value::<TrailConfig>(v) {
            Ok(c) => Some(c),
            Err(e) => {
                run.rec.note(
                    Stage::PriorityAction,
                    "read trail record",
                    arn,
                    Status::Failed,
                    format!("the recorded configuration is unreadable: {e}"),
                    None,
                );
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "read trail record",
                arn,
                Status::Failed,
                e,
                None,
            );
            None
        }
    }
    .or_else(|| {
        ctx.cfg
            .trail_baseline
            .as_ref()
            .map(|b| TrailConfig::from_baseline(name, b))
    });

    let (exists, current_cfg, current_selectors) = match current {
        Some((t, sel)) => (true, TrailConfig::from_trail(&t, Some(sel.clone())), sel),
        None => (false, TrailConfig::default(), Selectors::default()),
    };

    if !exists {
        let Some(want) = desired.clone().filter(|d| d.s3_bucket.is_some()) else {
            run.rec.note(
                Stage::PriorityAction,
                "cloudtrail:CreateTrail",
                arn,
                Status::Failed,
                "the trail is gone and there is no recorded configuration or baseline bucket to recreate it from",
                Some(json!({"exists": false})),
            );
            return;
        };
        let w = want.clone();
        let created = run
            .rec
            .act(
                Stage::PriorityAction,
                "cloudtrail:CreateTrail",
                arn,
                Some(json!({"exists": false})),
                || async move {
                    ct.create_trail()
                        .name(&w.name)
                        .s3_bucket_name(w.s3_bucket.clone().unwrap_or_default())
                        .set_s3_key_prefix(w.s3_key_prefix.clone())
                        .set_kms_key_id(w.kms_key_id.clone())
                        .set_is_multi_region_trail(w.multi_region)
                        .set_enable_log_file_validation(w.log_file_validation)
                        .set_include_global_service_events(w.include_global_events)
                        .set_cloud_watch_logs_log_group_arn(w.cloudwatch_logs_group_arn.clone())
                        .set_cloud_watch_logs_role_arn(w.cloudwatch_logs_role_arn.clone())
                        .send()
                        .await
                        .map(|_| {
                            format!(
                                "recreated from the {} configuration",
                                if w.recorded { "recorded" } else { "baseline" }
                            )
                        })
                        .map_err(|e| format!("cloudtrail:CreateTrail: {}", describe(&e)))
                },
            )
            .await;
        if !created {
            return;
        }
        start_logging(ct, name, arn, run).await;
        let selectors = want
            .wanted_selectors(&Selectors::default())
            .unwrap_or_default();
        put_selectors(ct, name, arn, run, &selectors, json!({"selectors": null})).await;
        return;
    }

    // Logging first: every second without it is a second of lost evidence.
    let logging = match ct.get_trail_status().name(name).send().await {
        Ok(s) => s.is_logging().unwrap_or(false),
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "cloudtrail:GetTrailStatus",
                arn,
                Status::Failed,
                format!(
                    "cloudtrail:GetTrailStatus: {} (starting logging anyway)",
                    describe(&e)
                ),
                None,
            );
            false
        }
    };
    if logging {
        run.rec.skip(
            Stage::PriorityAction,
            "cloudtrail:StartLogging",
            arn,
            "the trail is logging",
        );
    } else {
        start_logging(ct, name, arn, run).await;
    }

    if let Some(want) = &desired {
        let drift = want.drift(&current_cfg);
        if drift.is_empty() {
            run.rec.skip(
                Stage::PriorityAction,
                "cloudtrail:UpdateTrail",
                arn,
                "settings match the recorded configuration",
            );
        } else {
            let prior = serde_json::to_value(&current_cfg).ok();
            let w = want.clone();
            let d = drift.clone();
            run.rec
                .act(
                    Stage::PriorityAction,
                    "cloudtrail:UpdateTrail",
                    arn,
                    prior,
                    || async move {
                        let mut u = ct.update_trail().name(&w.name);
                        for field in &d {
                            u = match *field {
                                "s3_bucket" => u.set_s3_bucket_name(w.s3_bucket.clone()),
                                "s3_key_prefix" => {
                                    u.s3_key_prefix(w.s3_key_prefix.clone().unwrap_or_default())
                                }
                                // An empty key id removes encryption a tamperer added.
                                "kms_key_id" => {
                                    u.kms_key_id(w.kms_key_id.clone().unwrap_or_default())
                                }
                                "multi_region" => u.set_is_multi_region_trail(w.multi_region),
                                "log_file_validation" => {
                                    u.set_enable_log_file_validation(w.log_file_validation)
                                }
                                "include_global_events" => {
                                    u.set_include_global_service_events(w.include_global_events)
                                }
                                "cloudwatch_logs" => u
                                    .cloud_watch_logs_log_group_arn(
                                        w.cloudwatch_logs_group_arn.clone().unwrap_or_default(),
                                    )
                                    .cloud_watch_logs_role_arn(
                                        w.cloudwatch_logs_role_arn.clone().unwrap_or_default(),
                                    ),
                                _ => u,
                            };
                        }
                        u.send()
                            .await
                            .map(|_| format!("restored {}", d.join(", ")))
                            .map_err(|e| format!("cloudtrail:UpdateTrail: {}", describe(&e)))
                    },
                )
                .await;
        }
    }

    let want = desired.unwrap_or_default();
    match want.wanted_selectors(&current_selectors) {
        Some(sel) => {
            let prior = json!({ "selectors": current_selectors });
            put_selectors(ct, name, arn, run, &sel, prior).await;
        }
        None => run.rec.skip(
            Stage::PriorityAction,
            "cloudtrail:PutEventSelectors",
            arn,
            "event selectors are as recorded (management events read/write All)",
        ),
    }
}

async fn start_logging(ct: &aws_sdk_cloudtrail::Client, name: &str, arn: &str, run: &mut Run) {
    let prior = Some(json!({ "is_logging": false }));
    run.rec
        .act(
            Stage::PriorityAction,
            "cloudtrail:StartLogging",
            arn,
            prior,
            || async move {
                ct.start_logging()
                    .name(name)
                    .send()
                    .await
                    .map(|_| "logging restarted".to_string())
                    .map_err(|e| format!("cloudtrail:StartLogging: {}", describe(&e)))
            },
        )
        .await;
}

async fn put_selectors(
    ct: &aws_sdk_cloudtrail::Client,
    name: &str,
    arn: &str,
    run: &mut Run,
    selectors: &Selectors,
    prior: serde_json::Value,
) {
    if matches!(selectors, Selectors::Classic(l) if l.is_empty()) {
        return;
    }
    let advanced = match selectors.advanced_sdk() {
        Ok(a) => a,
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "cloudtrail:PutEventSelectors",
                arn,
                Status::Failed,
                e,
                Some(prior),
            );
            return;
        }
    };
    let classic = selectors.classic_sdk();
    run.rec
        .act(
            Stage::PriorityAction,
            "cloudtrail:PutEventSelectors",
            arn,
            Some(prior),
            || async move {
                ct.put_event_selectors()
                    .trail_name(name)
                    .set_event_selectors(classic)
                    .set_advanced_event_selectors(advanced)
                    .send()
                    .await
                    .map(|_| "event selectors restored".to_string())
                    .map_err(|e| format!("cloudtrail:PutEventSelectors: {}", describe(&e)))
            },
        )
        .await;
}

//! The forwarding guard: Rampart's own EventBridge rules in a member (`rampart-*`, which
//! forward the playbooks' triggers to the hub) were disabled, deleted or changed. A disabled
//! rule is enabled again; a deleted or changed one cannot be rebuilt from here (its definition
//! is the member StackSet's), so the incident is alerted with the way back. The guard service
//! control policy (org-bootstrap.yaml) stops this from happening in the first place.

use super::playbook::{api_call_route, Job, Playbook, Routed, Trigger};
use crate::act::{Ctx, Run, Stage, Status};
use crate::aws_error::AwsError;
use futures::future::BoxFuture;
use rampart_common::event::{ApiCall, Event, Kind};
use rampart_common::identity::Actor;
use rampart_common::ResponseConfig;
use serde_json::json;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "member/respond/forwarding-guard",
    actions: &["events:DescribeRule", "events:EnableRule"],
};

/// The prefix of every rule Rampart's member stacks create.
pub const RULE_PREFIX: &str = "rampart-";

pub const PLAYBOOK: Playbook = Playbook {
    name: "forwarding-guard",
    mode_key: "forwarding_guard",
    triggers: &[Trigger::ApiCall {
        source: "events.amazonaws.com",
        names: &[
            "DisableRule",
            "DeleteRule",
            "PutRule",
            "RemoveTargets",
            "PutTargets",
        ],
    }],
    permissions: PERMISSIONS,
    stages: &[Stage::PriorityAction, Stage::Forensics],
    budget: super::playbook::Budget::None,
    route,
};

/// The rule an EventBridge API call names (`name`, or `rule` for the target calls).
pub fn rule_of(call: &ApiCall) -> Option<&str> {
    let p = &call.request_parameters;
    p.get("name")
        .or_else(|| p.get("rule"))
        .and_then(serde_json::Value::as_str)
}

fn route(e: &Event, _: &ResponseConfig) -> Routed {
    let Kind::ApiCall(call) = &e.kind else {
        return Routed::Ignore("not an API call".into());
    };
    match rule_of(call) {
        Some(rule) if rule.starts_with(RULE_PREFIX) => {
            api_call_route(&PLAYBOOK, call, Some(rule.to_string()), Guard(call.clone()))
        }
        Some(rule) => Routed::Ignore(format!("rule {rule} is not one of Rampart's")),
        None => Routed::Ignore(format!("{} names no rule", call.event_name)),
    }
}

/// Answer a change to one of Rampart's forwarding rules.
#[derive(Debug)]
pub struct Guard(pub Box<ApiCall>);

impl Job for Guard {
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Run> {
        Box::pin(run(ctx, &self.0))
    }
}

async fn run(ctx: &Ctx<'_>, call: &ApiCall) -> Run {
    let rule = rule_of(call).unwrap_or_default().to_string();
    let arn = format!(
        "arn:{}:events:{}:{}:rule/{rule}",
        ctx.partition(),
        ctx.region,
        ctx.account
    );
    let mut run = Run::new(ctx.plan, arn.clone());
    let actor = Actor::parse(&call.user_identity);
    run.forensics = Some(json!({
        "actor": actor.describe(),
        "call": call.event_name,
        "rule": rule,
        "source_ip": call.source_ip,
        "at": call.event_time,
    }));
    let events = aws_sdk_eventbridge::Client::new(ctx.member);
    let state = events.describe_rule().name(&rule).send().await;
    match (call.event_name.as_str(), state) {
        (_, Err(e)) if crate::error_text::is_code(&e, "ResourceNotFoundException") => {
            let why = format!(
                "rule {rule} was deleted by {}: its events no longer reach the hub; redeploy the member StackSet (rampart-member-regional) to this account and region",
                actor.describe()
            );
            run.rec.note(
                Stage::Forensics,
                "events:DescribeRule",
                &arn,
                Status::Done,
                &why,
                None,
            );
            run.ignored = Some(why);
        }
        (_, Err(e)) => {
            run.rec.note(
                Stage::Forensics,
                "events:DescribeRule",
                &arn,
                Status::Failed,
                AwsError::sdk("events:DescribeRule", &e).to_string(),
                None,
            );
        }
        (name, Ok(r)) => {
            let disabled = r.state().map(|s| s.as_str()) == Some("DISABLED");
            if disabled {
                run.rec
                    .act(
                        Stage::PriorityAction,
                        "events:EnableRule",
                        &arn,
                        Some(json!({"state": "DISABLED"})),
                        || async {
                            events
                                .enable_rule()
                                .name(&rule)
                                .send()
                                .await
                                .map(|_| format!("rule {rule} enabled again"))
                                .map_err(|e| AwsError::sdk("events:EnableRule", &e))
                        },
                    )
                    .await;
            } else if name != "DisableRule" {
                // The rule exists and is enabled, but its pattern or targets were changed.
                let why = format!(
                    "{name} on rule {rule} by {}: its pattern or targets may no longer forward Rampart's events; redeploy the member StackSet (rampart-member-regional) to restore its definition",
                    actor.describe()
                );
                run.rec.note(
                    Stage::Forensics,
                    "events:DescribeRule",
                    &arn,
                    Status::Done,
                    &why,
                    None,
                );
                run.ignored = Some(why);
            } else {
                run.ignored = Some(format!("rule {rule} is enabled"));
            }
        }
    }
    run
}

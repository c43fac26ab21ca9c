//! Isolate a tainted instance for forensics without losing the evidence.
//!
//! Containment first: every network interface gets the per-VPC isolation group (no rules, its
//! default egress rule revoked), termination protection goes on, and the instance leaves its
//! Auto Scaling group without decrementing capacity (the group replaces it; the evidence stays).
//! Then every attached volume is snapshotted and the instance tagged with the incident; the
//! instance profile is removed when configured. Each step is idempotent.

use super::playbook::{finding_link, Job, Playbook, Routed, Trigger};
use crate::act::exempt::exempt;
use crate::act::{Ctx, Run, Stage, Status};
use crate::error_text::describe;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, Instance, ResourceType, TagSpecification};
use futures::future::BoxFuture;
use rampart_common::event::{Event, Kind};
use rampart_common::ResponseConfig;
use serde_json::json;
use std::collections::BTreeMap;

mod contain;

use contain::{contain, isolation_group, tag};

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "member/respond/isolate",
    actions: &[
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceAttribute",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeIamInstanceProfileAssociations",
        "ec2:CreateSecurityGroup",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:ModifyInstanceAttribute",
        "ec2:CreateSnapshot",
        "ec2:CreateTags",
        "ec2:DisassociateIamInstanceProfile",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DetachInstances",
    ],
};

pub const PLAYBOOK: Playbook = Playbook {
    name: "isolate",
    mode_key: "isolation",
    triggers: &[
        Trigger::GuardDutyFinding,
        Trigger::GuardDutyViaSecurityHub,
        Trigger::CustomAction {
            id_key: "isolate_action_id",
        },
        Trigger::Command("rampart isolate"),
    ],
    permissions: PERMISSIONS,
    stages: &[
        Stage::PriorityAction,
        Stage::Forensics,
        Stage::Countermeasure,
    ],
    budget: super::playbook::Budget::Resource,
    route,
};

/// Isolate one instance; `trigger` says what asked for it (kept in the incident's tags).
#[derive(Debug)]
pub struct Isolate {
    pub instance: String,
    pub trigger: String,
}

impl Job for Isolate {
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Run> {
        Box::pin(run(ctx, &self.instance, &self.trigger))
    }
}

fn route(e: &Event, cfg: &ResponseConfig) -> Routed {
    match &e.kind {
        Kind::GuardDuty(g) => {
            if g.sample {
                return Routed::Ignore(format!(
                    "GuardDuty finding {} is a sample finding",
                    g.finding_id
                ));
            }
            let Some(id) = &g.instance_id else {
                return Routed::Ignore("the GuardDuty finding is not about an EC2 instance".into());
            };
            if g.severity < cfg.guardduty_min_severity() {
                return Routed::Ignore(format!(
                    "GuardDuty severity {} is below guardduty_min_severity {}",
                    g.severity,
                    cfg.guardduty_min_severity()
                ));
            }
            if g.resource_role.as_deref() == Some("TARGET") && !cfg.isolate_targets() {
                return Routed::Ignore(format!(
                    "instance {id} is the target of the activity, not its actor (response.isolate_targets is off)"
                ));
            }
            let job = Isolate {
                instance: id.clone(),
                trigger: format!("GuardDuty {} ({})", g.finding_type, g.finding_id),
            };
            Routed::Act {
                targets: vec![PLAYBOOK
                    .target(
                        &g.account,
                        &g.region,
                        format!("gd#{}#{}", g.account, g.finding_id),
                        job,
                    )
                    .on(id.clone())],
                link: Some(format!(
                    "https://console.aws.amazon.com/guardduty/home?region={}#/findings?search=id%3D{}",
                    g.region, g.finding_id
                )),
                unanswered: Vec::new(),
            }
        }
        Kind::CustomAction {
            action_arn,
            findings,
            ..
        } => {
            let id = action_arn.rsplit('/').next().unwrap_or_default();
            let trigger = format!("Security Hub custom action {id}");
            let targets: Vec<_> = findings
                .iter()
                .flat_map(|f| f.instances())
                .map(|(account, region, instance)| {
                    let claim = format!("ca#{}#{account}#{instance}", e.envelope.id);
                    let job = Isolate {
                        instance: instance.clone(),
                        trigger: trigger.clone(),
                    };
                    PLAYBOOK.target(account, region, claim, job).on(instance)
                })
                .collect();
            if targets.is_empty() {
                return Routed::Ignore("the selected findings name no EC2 instance".into());
            }
            Routed::Act {
                targets,
                link: findings.first().map(|f| finding_link(&f.region, &f.id)),
                unanswered: Vec::new(),
            }
        }
        Kind::FindingsImported(findings) => {
            // GuardDuty findings reach the hub through Security Hub too (often from both the
            // member and the administrator): same claim key as the direct event.
            let targets: Vec<_> = findings
                .iter()
                .filter(|f| f.product_arn.ends_with("/guardduty"))
                .filter(|f| matches!(f.severity.as_str(), "HIGH" | "CRITICAL"))
                .flat_map(|f| {
                    let gd_id = f.id.rsplit('/').next().unwrap_or(&f.id).to_string();
                    f.instances()
                        .into_iter()
                        .map(move |(account, region, instance)| {
                            let claim = format!("gd#{account}#{gd_id}");
                            let job = Isolate {
                                instance: instance.clone(),
                                trigger: "GuardDuty finding via Security Hub".into(),
                            };
                            PLAYBOOK.target(account, region, claim, job).on(instance)
                        })
                })
                .collect();
            if targets.is_empty() {
                return Routed::Ignore(
                    "imported GuardDuty findings are acted on only when HIGH or CRITICAL and about an EC2 instance".into(),
                );
            }
            Routed::Act {
                targets,
                link: findings.first().map(|f| finding_link(&f.region, &f.id)),
                unanswered: Vec::new(),
            }
        }
        _ => Routed::Ignore("not a GuardDuty finding or custom action".into()),
    }
}

/// What the instance looked like before isolation (recorded in the audit log).
#[derive(Debug, Clone, serde::Serialize)]
struct Prior {
    state: String,
    vpc_id: String,
    /// Network interface id -> security group ids.
    interfaces: BTreeMap<String, Vec<String>>,
    volumes: Vec<(String, String)>,
    instance_profile: Option<String>,
    tags: BTreeMap<String, String>,
}

fn prior_of(i: &Instance) -> Prior {
    Prior {
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        vpc_id: i.vpc_id().unwrap_or_default().to_string(),
        interfaces: i
            .network_interfaces()
            .iter()
            .map(|n| {
                (
                    n.network_interface_id().unwrap_or_default().to_string(),
                    n.groups()
                        .iter()
                        .filter_map(|g| g.group_id().map(str::to_string))
                        .collect(),
                )
            })
            .collect(),
        volumes: i
            .block_device_mappings()
            .iter()
            .filter_map(|b| {
                Some((
                    b.device_name().unwrap_or_default().to_string(),
                    b.ebs()?.volume_id()?.to_string(),
                ))
            })
            .collect(),
        instance_profile: i
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string),
        tags: i
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
    }
}

pub async fn run(ctx: &Ctx<'_>, instance_id: &str, trigger: &str) -> Run {
    let ec2 = aws_sdk_ec2::Client::new(ctx.member);
    let asg = aws_sdk_autoscaling::Client::new(ctx.member);
    let mut run = Run::new(ctx.plan, instance_id);

    let instance = match ec2
        .describe_instances()
        .instance_ids(instance_id)
        .send()
        .await
    {
        Ok(out) => out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(instance_id))
            .cloned(),
        Err(e) if describe(&e).contains("InvalidInstanceID") => None,
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "ec2:DescribeInstances",
                instance_id,
                Status::Failed,
                format!("ec2:DescribeInstances: {}", describe(&e)),
                None,
            );
            return run;
        }
    };
    let Some(instance) = instance else {
        run.ignored = Some(format!(
            "instance {instance_id} does not exist in {} {}",
            ctx.account, ctx.region
        ));
        return run;
    };
    let prior = prior_of(&instance);
    if exempt(
        prior.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ctx.cfg.exempt_tag(),
    ) {
        run.ignored = Some(format!(
            "instance {instance_id} is tagged {}=true",
            ctx.cfg.exempt_tag()
        ));
        return run;
    }
    if prior.state == "terminated" || prior.state == "shutting-down" {
        run.ignored = Some(format!("instance {instance_id} is {}", prior.state));
        return run;
    }
    let prior_json = serde_json::to_value(&prior).ok();
    run.forensics = Some(json!({"trigger": trigger, "prior_state": prior_json}));

    // Priority 1: network containment on every interface.
    let group = isolation_group(ctx, &ec2, &prior.vpc_id, &mut run).await;
    if let Some(group) = &group {
        contain(ctx, &ec2, &prior.interfaces, group, &mut run).await;
    }

    // Priority 2: the evidence must survive.
    let protected = ec2
        .describe_instance_attribute()
        .instance_id(instance_id)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .ok()
        .and_then(|o| o.disable_api_termination().and_then(|v| v.value()))
        .unwrap_or(false);
    if protected {
        run.rec.skip(
            Stage::PriorityAction,
            "ec2:ModifyInstanceAttribute",
            instance_id,
            "termination protection already on",
        );
    } else {
        let ec2 = ec2.clone();
        run.rec
            .act(
                Stage::PriorityAction,
                "ec2:ModifyInstanceAttribute",
                instance_id,
                Some(json!({"disable_api_termination": false})),
                || async move {
                    ec2.modify_instance_attribute()
                        .instance_id(instance_id)
                        .disable_api_termination(
                            AttributeBooleanValue::builder().value(true).build(),
                        )
                        .send()
                        .await
                        .map(|_| "termination protection enabled".to_string())
                        .map_err(|e| format!("ec2:ModifyInstanceAttribute: {}", describe(&e)))
                },
            )
            .await;
    }
    match asg
        .describe_auto_scaling_instances()
        .instance_ids(instance_id)
        .send()
        .await
    {
        Ok(out) => match out.auto_scaling_instances().first() {
            Some(a) => {
                let name = a.auto_scaling_group_name().unwrap_or_default().to_string();
                let asg = asg.clone();
                run.rec
                    .act(Stage::PriorityAction, "autoscaling:DetachInstances", instance_id,
                        Some(json!({"auto_scaling_group": name})), || async move {
                        asg.detach_instances()
                            .auto_scaling_group_name(&name)
                            .instance_ids(instance_id)
                            .should_decrement_desired_capacity(false)
                            .send()
                            .await
                            .map(|_| format!("detached from {name} without decrementing capacity (it launches a replacement)"))
                            .map_err(|e| format!("autoscaling:DetachInstances: {}", describe(&e)))
                    })
                    .await;
            }
            None => run.rec.skip(
                Stage::PriorityAction,
                "autoscaling:DetachInstances",
                instance_id,
                "not in an Auto Scaling group",
            ),
        },
        Err(e) => run.rec.note(
            Stage::PriorityAction,
            "autoscaling:DescribeAutoScalingInstances",
            instance_id,
            Status::Failed,
            format!("autoscaling:DescribeAutoScalingInstances: {}", describe(&e)),
            None,
        ),
    }

    // Forensics: prior state, snapshots of every volume, the incident on the instance.
    run.rec.note(
        Stage::Forensics,
        "record prior state",
        instance_id,
        Status::Done,
        format!(
            "{} interface(s), {} volume(s)",
            prior.interfaces.len(),
            prior.volumes.len()
        ),
        prior_json,
    );
    for (device, volume) in &prior.volumes {
        let ec2 = ec2.clone();
        let spec = TagSpecification::builder()
            .resource_type(ResourceType::Snapshot)
            .tags(tag("rampart:incident", ctx.incident_id))
            .tags(tag("rampart:instance", instance_id))
            .tags(tag("rampart:device", device))
            .tags(tag("rampart:event", ctx.event_id))
            .build();
        let desc = format!(
            "Rampart incident {} evidence: {instance_id} {device}",
            ctx.incident_id
        );
        run.rec
            .act(
                Stage::Forensics,
                "ec2:CreateSnapshot",
                volume,
                None,
                || async move {
                    ec2.create_snapshot()
                        .volume_id(volume)
                        .description(desc)
                        .tag_specifications(spec)
                        .send()
                        .await
                        .map(|o| format!("snapshot {} of {device}", o.snapshot_id().unwrap_or("?")))
                        .map_err(|e| format!("ec2:CreateSnapshot: {}", describe(&e)))
                },
            )
            .await;
    }
    {
        let ec2 = ec2.clone();
        let now = chrono::Utc::now().to_rfc3339();
        run.rec
            .act(
                Stage::Forensics,
                "ec2:CreateTags",
                instance_id,
                None,
                || async move {
                    ec2.create_tags()
                        .resources(instance_id)
                        .tags(tag("rampart:isolated", "true"))
                        .tags(tag("rampart:incident", ctx.incident_id))
                        .tags(tag("rampart:isolated-at", &now))
                        .tags(tag(
                            "rampart:trigger",
                            &trigger.chars().take(250).collect::<String>(),
                        ))
                        .send()
                        .await
                        .map(|_| "tagged with the incident".to_string())
                        .map_err(|e| format!("ec2:CreateTags: {}", describe(&e)))
                },
            )
            .await;
    }

    // Countermeasure: cut the instance's AWS credentials (optional).
    if ctx.cfg.detach_instance_profile.unwrap_or(false) {
        let assoc = ec2
            .describe_iam_instance_profile_associations()
            .filters(
                Filter::builder()
                    .name("instance-id")
                    .values(instance_id)
                    .build(),
            )
            .send()
            .await;
        match assoc {
            Ok(out) => {
                let live: Vec<String> = out
                    .iam_instance_profile_associations()
                    .iter()
                    .filter(|a| a.state().map(|s| s.as_str()) == Some("associated"))
                    .filter_map(|a| a.association_id().map(str::to_string))
                    .collect();
                if live.is_empty() {
                    run.rec.skip(
                        Stage::Countermeasure,
                        "ec2:DisassociateIamInstanceProfile",
                        instance_id,
                        "no instance profile",
                    );
                }
                for id in live {
                    let ec2 = ec2.clone();
                    run.rec
                        .act(Stage::Countermeasure, "ec2:DisassociateIamInstanceProfile", instance_id,
                            Some(json!({"instance_profile": prior.instance_profile, "association_id": id})), || async move {
                            ec2.disassociate_iam_instance_profile()
                                .association_id(&id)
                                .send()
                                .await
                                .map(|_| format!("instance profile association {id} removed"))
                                .map_err(|e| format!("ec2:DisassociateIamInstanceProfile: {}", describe(&e)))
                        })
                        .await;
                }
            }
            Err(e) => run.rec.note(
                Stage::Countermeasure,
                "ec2:DescribeIamInstanceProfileAssociations",
                instance_id,
                Status::Failed,
                format!(
                    "ec2:DescribeIamInstanceProfileAssociations: {}",
                    describe(&e)
                ),
                None,
            ),
        }
    } else {
        run.rec.skip(
            Stage::Countermeasure,
            "ec2:DisassociateIamInstanceProfile",
            instance_id,
            "instance profile kept (response.detach_instance_profile is off)",
        );
    }
    run
}

//! Network containment of an instance: the per-VPC isolation group (no rules, its default
//! egress rule revoked) and every interface put in it alone, read back and swapped again until
//! contained.

use crate::act::{Ctx, Run, Stage, Status};
use crate::error_text::describe;
use aws_sdk_ec2::types::{Filter, IpPermission, ResourceType, Tag, TagSpecification};
use serde_json::json;
use std::collections::BTreeMap;

/// An EC2 tag.
pub fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

/// Attempts at swapping one interface's groups (a concurrent change can undo a swap).
const SWAP_ATTEMPTS: usize = 3;

/// Puts every interface in the isolation group alone, then reads the interfaces back and
/// swaps again whatever is not contained yet; an interface still not contained is a failure.
pub async fn contain(
    ctx: &Ctx<'_>,
    ec2: &aws_sdk_ec2::Client,
    interfaces: &BTreeMap<String, Vec<String>>,
    group: &str,
    run: &mut Run,
) {
    let contained = |groups: &[String]| groups.len() == 1 && groups[0] == group;
    let mut pending: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (eni, groups) in interfaces {
        if contained(groups) {
            run.rec.skip(
                Stage::PriorityAction,
                "ec2:ModifyNetworkInterfaceAttribute",
                eni,
                "already isolated",
            );
        } else {
            pending.insert(eni.clone(), groups.clone());
        }
    }
    for attempt in 1..=SWAP_ATTEMPTS {
        if pending.is_empty() || ctx.plan {
            break;
        }
        for (eni, groups) in &pending {
            if attempt > 1 {
                run.rec.note(
                    Stage::PriorityAction,
                    "ec2:ModifyNetworkInterfaceAttribute",
                    eni,
                    Status::Skipped,
                    format!("interface still in {groups:?}: swapping again (attempt {attempt})"),
                    None,
                );
            }
            let ec2 = ec2.clone();
            run.rec
                .act(
                    Stage::PriorityAction,
                    "ec2:ModifyNetworkInterfaceAttribute",
                    eni,
                    Some(json!({"security_groups": groups})),
                    || async move {
                        ec2.modify_network_interface_attribute()
                            .network_interface_id(eni)
                            .groups(group)
                            .send()
                            .await
                            .map(|_| format!("security groups replaced by isolation group {group}"))
                            .map_err(|e| {
                                format!("ec2:ModifyNetworkInterfaceAttribute: {}", describe(&e))
                            })
                    },
                )
                .await;
        }
        // What AWS shows now decides, not what the calls returned.
        let ids: Vec<String> = pending.keys().cloned().collect();
        match ec2
            .describe_network_interfaces()
            .set_network_interface_ids(Some(ids))
            .send()
            .await
        {
            Ok(out) => {
                pending = out
                    .network_interfaces()
                    .iter()
                    .filter_map(|n| {
                        let groups: Vec<String> = n
                            .groups()
                            .iter()
                            .filter_map(|g| g.group_id().map(str::to_string))
                            .collect();
                        (!contained(&groups)).then(|| {
                            (
                                n.network_interface_id().unwrap_or_default().to_string(),
                                groups,
                            )
                        })
                    })
                    .collect();
            }
            Err(e) => {
                run.rec.note(
                    Stage::PriorityAction,
                    "ec2:DescribeNetworkInterfaces",
                    group,
                    Status::Failed,
                    format!(
                        "cannot verify containment: ec2:DescribeNetworkInterfaces: {}",
                        describe(&e)
                    ),
                    None,
                );
                return;
            }
        }
    }
    if !pending.is_empty() && !ctx.plan {
        run.rec.note(
            Stage::PriorityAction,
            "verify containment",
            group,
            Status::Failed,
            format!(
                "not contained after {SWAP_ATTEMPTS} attempts: {}",
                pending
                    .iter()
                    .map(|(eni, g)| format!("{eni} in {g:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        );
    }
}

/// The VPC's isolation group, found by name or by Rampart's tag.
async fn find_group(
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
    name: &str,
) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, String> {
    let by = |filter: Filter| {
        ec2.describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values(vpc).build())
            .filters(filter)
            .send()
    };
    let err = |e: String| format!("ec2:DescribeSecurityGroups: {e}");
    let named = by(Filter::builder().name("group-name").values(name).build())
        .await
        .map_err(|e| err(describe(&e)))?;
    if let Some(g) = named.security_groups().first() {
        return Ok(Some(g.clone()));
    }
    let tagged = by(Filter::builder()
        .name("tag:rampart:isolation")
        .values("true")
        .build())
    .await
    .map_err(|e| err(describe(&e)))?;
    Ok(tagged.security_groups().first().cloned())
}

/// The VPC's isolation group: found by name or tag, or created with no rules (its default
/// egress rule revoked). A concurrent isolation in the same VPC may create it first: the
/// duplicate is tolerated and the winner's group used. None when it could not be had
/// (recorded).
pub async fn isolation_group(
    ctx: &Ctx<'_>,
    ec2: &aws_sdk_ec2::Client,
    vpc: &str,
    run: &mut Run,
) -> Option<String> {
    let name = ctx.cfg.isolation_group_name();
    let existing = match find_group(ec2, vpc, name).await {
        Ok(g) => g,
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "ec2:DescribeSecurityGroups",
                vpc,
                Status::Failed,
                e,
                None,
            );
            return None;
        }
    };
    if let Some(g) = existing {
        let id = g.group_id().unwrap_or_default().to_string();
        let open = g.ip_permissions().len() + g.ip_permissions_egress().len();
        if open == 0 {
            run.rec.skip(
                Stage::PriorityAction,
                "ec2:CreateSecurityGroup",
                &id,
                format!("reusing isolation group {id} in {vpc}"),
            );
        } else {
            // Someone added rules to it: take them away again.
            revoke_all(ec2, &id, g.ip_permissions(), g.ip_permissions_egress(), run).await;
        }
        return Some(id);
    }
    if ctx.plan {
        run.rec
            .act(
                Stage::PriorityAction,
                "ec2:CreateSecurityGroup",
                vpc,
                None,
                || async { Ok::<_, String>(String::new()) },
            )
            .await;
        return Some(format!("<new {name} in {vpc}>"));
    }
    let created = ec2
        .create_security_group()
        .group_name(name)
        .description("Rampart isolation: no inbound or outbound rules")
        .vpc_id(vpc)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .tags(tag("rampart:isolation", "true"))
                .build(),
        )
        .send()
        .await;
    let id = match created {
        Ok(o) => o.group_id().unwrap_or_default().to_string(),
        Err(e) if describe(&e).contains("InvalidGroup.Duplicate") => {
            // Another isolation in this VPC created it in the meantime: use theirs, made
            // rule-free the same way as a found group.
            return match find_group(ec2, vpc, name).await {
                Ok(Some(g)) => {
                    let id = g.group_id().unwrap_or_default().to_string();
                    run.rec.skip(
                        Stage::PriorityAction,
                        "ec2:CreateSecurityGroup",
                        &id,
                        format!("created concurrently; using isolation group {id} in {vpc}"),
                    );
                    if !g.ip_permissions().is_empty() || !g.ip_permissions_egress().is_empty() {
                        revoke_all(ec2, &id, g.ip_permissions(), g.ip_permissions_egress(), run)
                            .await;
                    }
                    Some(id)
                }
                Ok(None) => {
                    run.rec.note(
                        Stage::PriorityAction,
                        "ec2:CreateSecurityGroup",
                        vpc,
                        Status::Failed,
                        format!(
                            "{name} exists in {vpc} but cannot be found: {}",
                            describe(&e)
                        ),
                        None,
                    );
                    None
                }
                Err(find) => {
                    run.rec.note(
                        Stage::PriorityAction,
                        "ec2:DescribeSecurityGroups",
                        vpc,
                        Status::Failed,
                        find,
                        None,
                    );
                    None
                }
            };
        }
        Err(e) => {
            run.rec.note(
                Stage::PriorityAction,
                "ec2:CreateSecurityGroup",
                vpc,
                Status::Failed,
                format!("ec2:CreateSecurityGroup: {}", describe(&e)),
                None,
            );
            return None;
        }
    };
    run.rec.note(
        Stage::PriorityAction,
        "ec2:CreateSecurityGroup",
        &id,
        Status::Done,
        format!("isolation group {id} created in {vpc}"),
        None,
    );
    // New groups allow all egress: revoke exactly what AWS added.
    match ec2.describe_security_groups().group_ids(&id).send().await {
        Ok(out) => {
            if let Some(g) = out.security_groups().first() {
                revoke_all(ec2, &id, &[], g.ip_permissions_egress(), run).await;
            }
        }
        Err(e) => run.rec.note(
            Stage::PriorityAction,
            "ec2:DescribeSecurityGroups",
            &id,
            Status::Failed,
            format!("ec2:DescribeSecurityGroups: {}", describe(&e)),
            None,
        ),
    }
    Some(id)
}

async fn revoke_all(
    ec2: &aws_sdk_ec2::Client,
    id: &str,
    ingress: &[IpPermission],
    egress: &[IpPermission],
    run: &mut Run,
) {
    if !egress.is_empty() {
        let perms = egress.to_vec();
        let ec2 = ec2.clone();
        run.rec
            .act(
                Stage::PriorityAction,
                "ec2:RevokeSecurityGroupEgress",
                id,
                None,
                || async move {
                    match ec2
                        .revoke_security_group_egress()
                        .group_id(id)
                        .set_ip_permissions(Some(perms))
                        .send()
                        .await
                    {
                        Ok(_) => Ok("egress rules revoked".to_string()),
                        // A concurrent isolation revoked them first.
                        Err(e) if describe(&e).contains("InvalidPermission.NotFound") => {
                            Ok("egress rules already revoked".to_string())
                        }
                        Err(e) => Err(format!("ec2:RevokeSecurityGroupEgress: {}", describe(&e))),
                    }
                },
            )
            .await;
    }
    if !ingress.is_empty() {
        let perms = ingress.to_vec();
        let ec2 = ec2.clone();
        run.rec
            .act(
                Stage::PriorityAction,
                "ec2:RevokeSecurityGroupIngress",
                id,
                None,
                || async move {
                    match ec2
                        .revoke_security_group_ingress()
                        .group_id(id)
                        .set_ip_permissions(Some(perms))
                        .send()
                        .await
                    {
                        Ok(_) => Ok("ingress rules revoked".to_string()),
                        // A concurrent isolation revoked them first.
                        Err(e) if describe(&e).contains("InvalidPermission.NotFound") => {
                            Ok("ingress rules already revoked".to_string())
                        }
                        Err(e) => Err(format!("ec2:RevokeSecurityGroupIngress: {}", describe(&e))),
                    }
                },
            )
            .await;
    }
}

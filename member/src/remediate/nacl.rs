//! EC2.21: network ACL entries admitting 0.0.0.0/0 or ::/0 to admin ports.
//!
//! NACL entries are evaluated in rule-number order and the first match decides, so the fix
//! keeps that order: an allow entry that admits nothing but admin ports is replaced in place by
//! the same entry with `deny`; a broader allow entry (all traffic, a port range) stays and gets
//! deny entries for the admin ports it admits, numbered just below it and above every earlier
//! entry, so no earlier decision (a trusted network's SSH rule) changes.

use super::remedy::{ec2_tags, resource_name, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;

use aws_sdk_ec2::types::{IcmpTypeCode, NetworkAcl, NetworkAclEntry, PortRange, RuleAction};
use rampart_common::Permissions;
use serde_json::{json, Value};

const PORTS: &[i32] = crate::checks::ec2::ADMIN_PORTS;
const WORLD: &[&str] = &["0.0.0.0/0", "::/0"];

pub const ADMIN_PORTS: Remedy = Remedy {
    id: "ec2-nacl-admin-ports",
    fixes: &[Fixes::Check("ec2.nacl-admin-ports")],
    permissions: Permissions {
        component: "remediate/ec2-nacl-admin-ports",
        actions: &[
            "ec2:DescribeNetworkAcls",
            "ec2:ReplaceNetworkAclEntry",
            "ec2:CreateNetworkAclEntry",
            "ec2:DeleteNetworkAclEntry",
        ],
    },
    changes: "An inbound allow entry from 0.0.0.0/0 or ::/0 that admits only admin ports (22, 3389) becomes a deny entry with the same number; a broader one gets deny entries for the admin ports it admits, numbered just below it and above every earlier entry.",
    undoes: "Replaces the entry with the recorded allow entry, or deletes the deny entries Rampart added.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(ctx.member)
}

fn cidr(e: &NetworkAclEntry) -> Option<&str> {
    e.cidr_block().or_else(|| e.ipv6_cidr_block())
}

fn admits(e: &NetworkAclEntry, port: i32) -> bool {
    let proto_ok = matches!(
        e.protocol(),
        Some("-1") | Some("6") | Some("all") | Some("tcp")
    );
    let port_ok = match (e.protocol(), e.port_range()) {
        (Some("-1") | Some("all"), _) => true,
        (_, Some(r)) => match (r.from(), r.to()) {
            (Some(f), Some(t)) => f <= port && port <= t,
            _ => true,
        },
        (_, None) => true,
    };
    proto_ok && port_ok
}

/// The allow entries that decide an admin port from the world, with the ports each admits.
fn offending(acl: &NetworkAcl) -> Vec<(NetworkAclEntry, Vec<i32>)> {
    let mut ingress: Vec<&NetworkAclEntry> = acl
        .entries()
        .iter()
        .filter(|e| e.egress() == Some(false))
        .collect();
    ingress.sort_by_key(|e| e.rule_number().unwrap_or(i32::MAX));
    let mut out: Vec<(NetworkAclEntry, Vec<i32>)> = Vec::new();
    for world in WORLD {
        for &port in PORTS {
            let first = ingress
                .iter()
                .find(|e| cidr(e) == Some(world) && admits(e, port));
            if let Some(e) = first {
                if e.rule_action() == Some(&RuleAction::Allow) && e.rule_number() != Some(32767) {
                    match out
                        .iter_mut()
                        .find(|(x, _)| x.rule_number() == e.rule_number() && cidr(x) == Some(world))
                    {
                        Some((_, ports)) => ports.push(port),
                        None => out.push(((*e).clone(), vec![port])),
                    }
                }
            }
        }
    }
    out
}

fn entry_json(e: &NetworkAclEntry) -> Value {
    json!({
        "rule_number": e.rule_number(),
        "protocol": e.protocol(),
        "rule_action": e.rule_action().map(|a| a.as_str()),
        "cidr_ipv4": e.cidr_block(),
        "cidr_ipv6": e.ipv6_cidr_block(),
        "from_port": e.port_range().and_then(|r| r.from()),
        "to_port": e.port_range().and_then(|r| r.to()),
        "icmp_type": e.icmp_type_code().and_then(|c| c.r#type()),
        "icmp_code": e.icmp_type_code().and_then(|c| c.code()),
    })
}

/// Whether every port the entry admits is an admin port (so denying it denies nothing else).
fn only_admin_ports(e: &NetworkAclEntry) -> bool {
    if !matches!(e.protocol(), Some("6") | Some("tcp")) {
        return false;
    }
    match e.port_range().and_then(|r| r.from().zip(r.to())) {
        Some((f, t)) if t >= f && t - f < 65536 => (f..=t).all(|p| PORTS.contains(&p)),
        _ => false,
    }
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let mut req = client(ctx).describe_network_acls();
    if let Some(r) = resource {
        req = req.network_acl_ids(resource_name(r));
    }
    let mut pages = req.into_paginator().send();
    let mut acls = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::sdk("ec2:DescribeNetworkAcls", &e))?;
        acls.extend(page.network_acls().iter().cloned());
    }
    let mut out = Vec::new();
    for acl in acls {
        let id = acl.network_acl_id().unwrap_or_default().to_string();
        let arn = format!(
            "arn:{}:ec2:{}:{}:network-acl/{id}",
            ctx.partition(),
            ctx.region,
            acl.owner_id().unwrap_or(ctx.account)
        );
        let bad = offending(&acl);
        if bad.is_empty() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "no entry admits an admin port from the world: already compliant".into(),
                });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, ec2_tags(acl.tags())) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let mut used: Vec<i32> = acl
            .entries()
            .iter()
            .filter(|e| e.egress() == Some(false))
            .filter_map(|e| e.rule_number())
            .collect();
        let mut replace = Vec::new();
        let mut insert = Vec::new();
        for (e, ports) in &bad {
            if only_admin_ports(e) {
                replace.push(entry_json(e));
                continue;
            }
            let n = e.rule_number().unwrap_or(0);
            // Free numbers between the entry before it and it, highest first.
            let floor = used.iter().copied().filter(|&u| u < n).max().unwrap_or(0);
            let free_numbers: Vec<i32> =
                (floor + 1..n).rev().filter(|x| !used.contains(x)).collect();
            let mut free = free_numbers.into_iter();
            for p in ports {
                let Some(num) = free.next() else {
                    return Err(format!(
                        "{id}: no free rule number between {floor} and {n} for a deny entry on port {p}; renumber the entries first"
                    ).into());
                };
                used.push(num);
                insert.push(json!({
                    "rule_number": num,
                    "protocol": "6",
                    "rule_action": "deny",
                    "cidr_ipv4": e.cidr_block(),
                    "cidr_ipv6": e.ipv6_cidr_block(),
                    "from_port": p,
                    "to_port": p,
                    "before": n,
                }));
            }
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: if insert.is_empty() {
                "ec2:ReplaceNetworkAclEntry".into()
            } else {
                "ec2:CreateNetworkAclEntry".into()
            },
            summary: format!(
                "{id}: deny {} entr(ies) in place, add {} deny entr(ies)",
                replace.len(),
                insert.len()
            ),
            prior: json!({"acl_id": id, "entries": bad.iter().map(|(e, _)| entry_json(e)).collect::<Vec<_>>()}),
            change: json!({"acl_id": id, "replace_with_deny": replace, "insert_deny": insert}),
        }));
    }
    Ok(out)
}

fn num(v: &Value, k: &str) -> Option<i32> {
    v.get(k)
        .and_then(Value::as_i64)
        .and_then(|x| i32::try_from(x).ok())
}

async fn put_entry(
    ctx: &Ctx<'_>,
    acl: &str,
    e: &Value,
    action: RuleAction,
    replace: bool,
) -> Result<(), AwsError> {
    let rule = num(e, "rule_number").ok_or("a recorded entry has no rule_number")?;
    let protocol = e
        .get("protocol")
        .and_then(Value::as_str)
        .unwrap_or("-1")
        .to_string();
    let ports = match (num(e, "from_port"), num(e, "to_port")) {
        (Some(f), Some(t)) => Some(PortRange::builder().from(f).to(t).build()),
        _ => None,
    };
    let icmp = match (num(e, "icmp_type"), num(e, "icmp_code")) {
        (None, None) => None,
        (t, c) => Some(IcmpTypeCode::builder().set_type(t).set_code(c).build()),
    };
    let v4 = e
        .get("cidr_ipv4")
        .and_then(Value::as_str)
        .map(str::to_string);
    let v6 = e
        .get("cidr_ipv6")
        .and_then(Value::as_str)
        .map(str::to_string);
    let ec2 = client(ctx);
    if replace {
        ec2.replace_network_acl_entry()
            .network_acl_id(acl)
            .rule_number(rule)
            .egress(false)
            .protocol(protocol)
            .rule_action(action)
            .set_port_range(ports)
            .set_icmp_type_code(icmp)
            .set_cidr_block(v4)
            .set_ipv6_cidr_block(v6)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::sdk(format!("ec2:ReplaceNetworkAclEntry {acl} #{rule}"), &e))
    } else {
        ec2.create_network_acl_entry()
            .network_acl_id(acl)
            .rule_number(rule)
            .egress(false)
            .protocol(protocol)
            .rule_action(action)
            .set_port_range(ports)
            .set_icmp_type_code(icmp)
            .set_cidr_block(v4)
            .set_ipv6_cidr_block(v6)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::sdk(format!("ec2:CreateNetworkAclEntry {acl} #{rule}"), &e))
    }
}

fn list<'v>(v: &'v Value, k: &str) -> &'v [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    let acl = text(&c.change, "acl_id")?;
    for e in list(&c.change, "replace_with_deny") {
        put_entry(ctx, acl, e, RuleAction::Deny, true).await?;
    }
    for e in list(&c.change, "insert_deny") {
        put_entry(ctx, acl, e, RuleAction::Deny, false).await?;
    }
    Ok(format!("{acl}: {}", c.summary))
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    let acl = text(&a.change, "acl_id")?;
    for e in list(&a.change, "insert_deny") {
        let rule = num(e, "rule_number").ok_or("a recorded entry has no rule_number")?;
        let r = client(ctx)
            .delete_network_acl_entry()
            .network_acl_id(acl)
            .rule_number(rule)
            .egress(false)
            .send()
            .await;
        if let Err(e) = r {
            // Already gone: the undo's goal holds.
            if e.as_service_error()
                .and_then(|s| aws_smithy_types::error::metadata::ProvideErrorMetadata::code(s))
                != Some("InvalidNetworkAclEntry.NotFound")
            {
                return Err(AwsError::sdk(
                    format!("ec2:DeleteNetworkAclEntry {acl} #{rule}"),
                    &e,
                ));
            }
        }
    }
    for e in list(&a.change, "replace_with_deny") {
        put_entry(ctx, acl, e, RuleAction::Allow, true).await?;
    }
    Ok(format!("{acl}: restored the recorded entries"))
}

//! EC2.21: network ACL entries admitting 0.0.0.0/0 or ::/0 to admin ports.
//!
//! NACL entries are evaluated in rule-number order and the first match decides, so the fix
//! keeps that order: an allow entry that admits nothing but admin ports is replaced in place by
//! the same entry with `deny`; a broader allow entry (all traffic, a port range) stays and gets
//! deny entries for the admin ports it admits, numbered just below it and above every earlier
//! entry, so no earlier decision (a trusted network's SSH rule) changes.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::ec2::network_acls;
use crate::snapshot::{tags, NaclEntry, NetworkAcl};

use aws_sdk_ec2::types::{IcmpTypeCode, PortRange, RuleAction};
use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::{json, Value};

const PORTS: &[i32] = crate::checks::ec2::ADMIN_PORTS;
const WORLD: &[&str] = &["0.0.0.0/0", "::/0"];

pub const ADMIN_PORTS: Remedy = Remedy {
    id: "ec2-nacl-admin-ports",
    scope: super::remedy::Scope::Resource,
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

fn cidr(e: &NaclEntry) -> Option<&str> {
    e.cidr.as_deref().or(e.ipv6_cidr.as_deref())
}

/// Whether the entry matches TCP traffic to `port` (the protocols admin ports are reached on).
fn admits(e: &NaclEntry, port: i32) -> bool {
    let all = matches!(e.protocol.as_str(), "-1" | "all");
    let proto_ok = all || matches!(e.protocol.as_str(), "6" | "tcp");
    let port_ok = all
        || match (e.port_from, e.port_to) {
            (Some(f), Some(t)) => f <= port && port <= t,
            _ => true,
        };
    proto_ok && port_ok
}

/// The allow entries that decide an admin port from the world, with the ports each admits.
fn offending(acl: &NetworkAcl) -> Vec<(&NaclEntry, Vec<i32>)> {
    let mut ingress: Vec<&NaclEntry> = acl.entries.iter().filter(|e| !e.egress).collect();
    ingress.sort_by_key(|e| e.rule_number);
    let mut out: Vec<(&NaclEntry, Vec<i32>)> = Vec::new();
    for world in WORLD {
        for &port in PORTS {
            let first = ingress
                .iter()
                .find(|e| cidr(e) == Some(world) && admits(e, port));
            if let Some(e) = first {
                // 32767 is the catch-all entry every ACL ends with; it cannot be replaced.
                if e.allow && e.rule_number != 32767 {
                    match out
                        .iter_mut()
                        .find(|(x, _)| x.rule_number == e.rule_number && cidr(x) == Some(world))
                    {
                        Some((_, ports)) => ports.push(port),
                        None => out.push((e, vec![port])),
                    }
                }
            }
        }
    }
    out
}

fn entry_json(e: &NaclEntry) -> Value {
    json!({
        "rule_number": e.rule_number,
        "protocol": e.protocol,
        "rule_action": if e.allow { "allow" } else { "deny" },
        "cidr_ipv4": e.cidr,
        "cidr_ipv6": e.ipv6_cidr,
        "from_port": e.port_from,
        "to_port": e.port_to,
        "icmp_type": e.icmp_type,
        "icmp_code": e.icmp_code,
    })
}

/// Whether every port the entry admits is an admin port (so denying it denies nothing else).
fn only_admin_ports(e: &NaclEntry) -> bool {
    if !matches!(e.protocol.as_str(), "6" | "tcp") {
        return false;
    }
    match e.port_from.zip(e.port_to) {
        Some((f, t)) if t >= f && t - f < 65536 => (f..=t).all(|p| PORTS.contains(&p)),
        _ => false,
    }
}

/// The change of one ACL: entries denied in place and deny entries inserted before broader
/// ones; an error when no rule number is free where a deny entry must go.
fn fix(
    acl: &NetworkAcl,
    bad: &[(&NaclEntry, Vec<i32>)],
) -> Result<(Vec<Value>, Vec<Value>), AwsError> {
    let id = &acl.id;
    let mut used: Vec<i32> = acl
        .entries
        .iter()
        .filter(|e| !e.egress)
        .map(|e| e.rule_number)
        .collect();
    let mut replace = Vec::new();
    let mut insert = Vec::new();
    for (e, ports) in bad {
        if only_admin_ports(e) {
            replace.push(entry_json(e));
            continue;
        }
        let n = e.rule_number;
        // Free numbers between the entry before it and it, highest first.
        let floor = used.iter().copied().filter(|&u| u < n).max().unwrap_or(0);
        let free_numbers: Vec<i32> = (floor + 1..n).rev().filter(|x| !used.contains(x)).collect();
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
                "cidr_ipv4": e.cidr,
                "cidr_ipv6": e.ipv6_cidr,
                "from_port": p,
                "to_port": p,
                "before": n,
            }));
        }
    }
    Ok((replace, insert))
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let acls = network_acls(&client(ctx), resource.map(resource_name), &limiter()).await?;
    let mut out = Vec::new();
    for acl in &acls {
        let id = acl.id.clone();
        let arn = acl.arn(ctx.partition(), ctx.region, ctx.account);
        let bad = offending(acl);
        if bad.is_empty() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "no entry admits an admin port from the world: already compliant".into(),
                });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&acl.tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let (replace, insert) = fix(acl, &bad)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i32, proto: &str, allow: bool, cidr: &str, ports: Option<(i32, i32)>) -> NaclEntry {
        NaclEntry {
            rule_number: n,
            protocol: proto.into(),
            allow,
            cidr: Some(cidr.into()),
            port_from: ports.map(|p| p.0),
            port_to: ports.map(|p| p.1),
            ..NaclEntry::default()
        }
    }

    /// The e2e layout: trusted SSH first, SSH from the world, then allow-all.
    fn acl() -> NetworkAcl {
        NetworkAcl {
            id: "acl-1".into(),
            entries: vec![
                entry(50, "6", true, "10.0.0.0/8", Some((22, 22))),
                entry(100, "6", true, "0.0.0.0/0", Some((22, 22))),
                entry(200, "-1", true, "0.0.0.0/0", None),
                entry(32767, "-1", false, "0.0.0.0/0", None),
            ],
            ..NetworkAcl::default()
        }
    }

    #[test]
    fn the_deciding_allow_entries_are_denied_in_place_or_preceded() {
        let a = acl();
        let bad = offending(&a);
        let found: Vec<(i32, Vec<i32>)> = bad
            .iter()
            .map(|(e, p)| (e.rule_number, p.clone()))
            .collect();
        assert_eq!(found, vec![(100, vec![22]), (200, vec![3389])]);
        let (replace, insert) = fix(&a, &bad).expect("fix");
        assert_eq!(replace.len(), 1);
        assert_eq!(replace[0]["rule_number"], 100);
        assert_eq!(replace[0]["rule_action"], "allow");
        assert_eq!(replace[0]["icmp_type"], Value::Null);
        assert_eq!(insert.len(), 1);
        assert_eq!(insert[0]["rule_number"], 199);
        assert_eq!(insert[0]["from_port"], 3389);
        assert_eq!(insert[0]["before"], 200);
    }

    #[test]
    fn no_free_number_is_an_error_and_udp_is_not_admin_traffic() {
        let mut a = acl();
        a.entries
            .push(entry(199, "6", false, "192.0.2.0/24", Some((80, 80))));
        a.entries.retain(|e| e.rule_number != 100);
        a.entries
            .push(entry(198, "6", false, "192.0.2.0/24", Some((81, 81))));
        // 200 admits 22 and 3389, and 199 just below it leaves no number free for a deny.
        let bad = offending(&a);
        assert!(fix(&a, &bad).is_err());
        assert!(!admits(&entry(1, "17", true, "0.0.0.0/0", None), 22));
        assert!(admits(
            &entry(1, "all", true, "0.0.0.0/0", Some((1, 2))),
            22
        ));
        assert!(only_admin_ports(&entry(
            1,
            "tcp",
            true,
            "0.0.0.0/0",
            Some((22, 22))
        )));
        assert!(!only_admin_ports(&entry(
            1,
            "tcp",
            true,
            "0.0.0.0/0",
            Some((20, 22))
        )));
    }
}

//! EC2.53 / EC2.54 / EC2.19: world-open admin ports in security groups; EC2.2: the default
//! security group's rules.
//!
//! Only the offending permission is revoked, matched exactly (protocol, port range and the one
//! world CIDR), so the group's other rules (a restricted SSH rule, an open HTTPS rule, another
//! CIDR in the same permission) stay as they are.

use super::remedy::{ec2_tags, resource_name, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, SecurityGroup, UserIdGroupPair,
};
use rampart_common::Permissions;
use serde_json::{json, Value};

/// CIS admin ports (EC2.53, EC2.54).
const CIS_ADMIN_PORTS: &[i32] = crate::checks::ec2::ADMIN_PORTS;
/// The high-risk ports of Security Hub control EC2.19.
const HIGH_RISK_PORTS: &[i32] = &[
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500,
    5601, 8080, 8088, 8888, 9200, 9300,
];

pub const ADMIN_PORTS_REMEDY: Remedy = Remedy {
    id: "ec2-sg-admin-ports",
    fixes: &[
        Fixes::Check("ec2.sg-admin-ports-ipv4"),
        Fixes::Check("ec2.sg-admin-ports-ipv6"),
        Fixes::Control {
            control: "EC2.19",
            judged_by: &["ec2.sg-admin-ports-ipv4", "ec2.sg-admin-ports-ipv6"],
        },
    ],
    permissions: Permissions {
        component: "remediate/ec2-sg-admin-ports",
        actions: &[
            "ec2:DescribeSecurityGroups",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupIngress",
        ],
    },
    changes: "Revokes each ingress permission open to 0.0.0.0/0 (EC2.53, EC2.19) or ::/0 (EC2.54, EC2.19) that reaches an admin port (22, 3389; EC2.19: its high-risk ports), matched exactly by protocol, port range and that one CIDR. Other rules and other CIDRs of the same permission stay.",
    undoes: "Authorizes the revoked permissions again, with their descriptions.",
    plan: |ctx, req| Box::pin(plan_admin_ports(ctx, req.control, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const DEFAULT_GROUP: Remedy = Remedy {
    id: "ec2-default-sg-closed",
    fixes: &[Fixes::Check("ec2.default-sg-closed")],
    permissions: Permissions {
        component: "remediate/ec2-default-sg-closed",
        actions: &[
            "ec2:DescribeSecurityGroups",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
        ],
    },
    changes: "Revokes every inbound and outbound rule of a VPC's default security group.",
    undoes: "Authorizes the recorded inbound and outbound rules again.",
    plan: |ctx, req| Box::pin(plan_default_group(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(ctx.member)
}

fn group_arn(ctx: &Ctx<'_>, g: &SecurityGroup) -> String {
    format!(
        "arn:{}:ec2:{}:{}:security-group/{}",
        ctx.partition(),
        ctx.region,
        g.owner_id().unwrap_or(ctx.account),
        g.group_id().unwrap_or_default()
    )
}

async fn groups(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
    filter: Option<Filter>,
) -> Result<Vec<SecurityGroup>, AwsError> {
    let mut req = client(ctx).describe_security_groups();
    if let Some(r) = resource {
        req = req.group_ids(resource_name(r));
    }
    if let Some(f) = filter {
        req = req.filters(f);
    }
    let mut pages = req.into_paginator().send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::sdk("ec2:DescribeSecurityGroups", &e))?;
        out.extend(page.security_groups().iter().cloned());
    }
    Ok(out)
}

/// A permission reduced to one source: what is revoked and authorized back.
fn rule_json(p: &IpPermission, v4: Option<&IpRange>, v6: Option<&Ipv6Range>) -> Value {
    json!({
        "protocol": p.ip_protocol().unwrap_or("-1"),
        "from_port": p.from_port(),
        "to_port": p.to_port(),
        "cidr_ipv4": v4.and_then(|r| r.cidr_ip()),
        "cidr_ipv6": v6.and_then(|r| r.cidr_ipv6()),
        "description": v4.and_then(|r| r.description()).or_else(|| v6.and_then(|r| r.description())),
    })
}

fn covers_any(p: &IpPermission, ports: &[i32]) -> bool {
    let perm = crate::snapshot::IpPermission {
        protocol: p.ip_protocol().unwrap_or("-1").to_string(),
        from_port: p.from_port(),
        to_port: p.to_port(),
        ipv4_ranges: Vec::new(),
        ipv6_ranges: Vec::new(),
        group_pairs: Vec::new(),
    };
    ports.iter().any(|&port| perm.covers_port(port))
}

pub async fn plan_admin_ports(
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let (ports, v4, v6) = match control.to_ascii_uppercase().as_str() {
        "EC2.53" => (CIS_ADMIN_PORTS, true, false),
        "EC2.54" => (CIS_ADMIN_PORTS, false, true),
        _ => (HIGH_RISK_PORTS, true, true),
    };
    let mut out = Vec::new();
    for g in groups(ctx, resource, None).await? {
        let arn = group_arn(ctx, &g);
        let mut rules = Vec::new();
        for p in g.ip_permissions() {
            if !covers_any(p, ports) {
                continue;
            }
            if v4 {
                for r in p.ip_ranges() {
                    if r.cidr_ip() == Some("0.0.0.0/0") {
                        rules.push(rule_json(p, Some(r), None));
                    }
                }
            }
            if v6 {
                for r in p.ipv6_ranges() {
                    if r.cidr_ipv6() == Some("::/0") {
                        rules.push(rule_json(p, None, Some(r)));
                    }
                }
            }
        }
        if rules.is_empty() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "no world-open permission reaches these ports: already compliant".into(),
                });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, ec2_tags(g.tags())) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let n = rules.len();
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ec2:RevokeSecurityGroupIngress".into(),
            prior: json!({"group_id": g.group_id(), "ingress": rules}),
            change: json!({"revoke_ingress": rules}),
            summary: format!(
                "revoke {n} world-open ingress permission(s) of {}",
                g.group_id().unwrap_or_default()
            ),
        }));
    }
    Ok(out)
}

fn perm_json(p: &IpPermission) -> Value {
    json!({
        "protocol": p.ip_protocol().unwrap_or("-1"),
        "from_port": p.from_port(),
        "to_port": p.to_port(),
        "cidr_ipv4": p.ip_ranges().iter().map(|r| json!({"cidr": r.cidr_ip(), "description": r.description()})).collect::<Vec<_>>(),
        "cidr_ipv6": p.ipv6_ranges().iter().map(|r| json!({"cidr": r.cidr_ipv6(), "description": r.description()})).collect::<Vec<_>>(),
        "groups": p.user_id_group_pairs().iter().map(|g| json!({"group_id": g.group_id(), "user_id": g.user_id(), "description": g.description()})).collect::<Vec<_>>(),
        "prefix_lists": p.prefix_list_ids().iter().filter_map(|l| l.prefix_list_id()).collect::<Vec<_>>(),
    })
}

pub async fn plan_default_group(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let filter = Filter::builder()
        .name("group-name")
        .values("default")
        .build();
    let mut out = Vec::new();
    for g in groups(ctx, resource, Some(filter)).await? {
        let arn = group_arn(ctx, &g);
        if g.group_name() != Some("default") {
            out.push(Planned::Skip {
                resource: arn,
                why: "not a default security group".into(),
            });
            continue;
        }
        if g.ip_permissions().is_empty() && g.ip_permissions_egress().is_empty() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "the default group has no rules: already compliant".into(),
                });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, ec2_tags(g.tags())) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let ingress: Vec<Value> = g.ip_permissions().iter().map(perm_json).collect();
        let egress: Vec<Value> = g.ip_permissions_egress().iter().map(perm_json).collect();
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ec2:RevokeSecurityGroupIngress".into(),
            summary: format!(
                "revoke {} inbound and {} outbound rule(s) of default group {}",
                ingress.len(),
                egress.len(),
                g.group_id().unwrap_or_default()
            ),
            prior: json!({"group_id": g.group_id(), "ingress": ingress, "egress": egress, "whole": true}),
            change: json!({"revoke_ingress": ingress, "revoke_egress": egress}),
        }));
    }
    Ok(out)
}

/// The (CIDR, description) sources of a recorded rule under `key`: one string (a single-source
/// rule of the admin-port remedy, its description beside it) or a list of `{cidr, description}`
/// (a whole permission of the default-group remedy).
fn sources(r: &Value, key: &str) -> Vec<(String, Option<String>)> {
    let desc = |v: &Value| {
        v.get("description")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match r.get(key) {
        Some(Value::String(c)) => vec![(c.clone(), desc(r))],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| Some((x.get("cidr")?.as_str()?.to_string(), desc(x))))
            .collect(),
        _ => Vec::new(),
    }
}

/// Builds SDK permissions from recorded JSON. Single-source rules (`cidr_ipv4` a string) come
/// from the admin-port remedy, whole permissions (lists) from the default-group remedy.
fn permissions(rules: &Value) -> Result<Vec<IpPermission>, AwsError> {
    let list = rules
        .as_array()
        .ok_or("the recorded rules are not a list")?;
    list.iter()
        .map(|r| {
            let port = |k: &str| {
                r.get(k)
                    .and_then(Value::as_i64)
                    .and_then(|p| i32::try_from(p).ok())
            };
            let mut b = IpPermission::builder()
                .ip_protocol(r.get("protocol").and_then(Value::as_str).unwrap_or("-1"));
            if let Some(p) = port("from_port") {
                b = b.from_port(p);
            }
            if let Some(p) = port("to_port") {
                b = b.to_port(p);
            }
            for (c, d) in sources(r, "cidr_ipv4") {
                b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build());
            }
            for (c, d) in sources(r, "cidr_ipv6") {
                b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build());
            }
            for g in r
                .get("groups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                b = b.user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .set_group_id(
                            g.get("group_id")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        )
                        .set_user_id(g.get("user_id").and_then(Value::as_str).map(str::to_string))
                        .set_description(
                            g.get("description")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        )
                        .build(),
                );
            }
            for l in r
                .get("prefix_lists")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = l.as_str() {
                    b = b.prefix_list_ids(
                        aws_sdk_ec2::types::PrefixListId::builder()
                            .prefix_list_id(id)
                            .build(),
                    );
                }
            }
            Ok(b.build())
        })
        .collect()
}

fn group_id(v: &Value) -> Result<String, AwsError> {
    super::remedy::text(v, "group_id").map(str::to_string)
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    let ec2 = client(ctx);
    let id = group_id(&c.prior)?;
    let mut done = Vec::new();
    if let Some(rules) = c
        .change
        .get("revoke_ingress")
        .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    {
        ec2.revoke_security_group_ingress()
            .group_id(&id)
            .set_ip_permissions(Some(permissions(rules)?))
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("ec2:RevokeSecurityGroupIngress {id}"), &e))?;
        done.push(format!("{} inbound", rules.as_array().map_or(0, Vec::len)));
    }
    if let Some(rules) = c
        .change
        .get("revoke_egress")
        .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    {
        ec2.revoke_security_group_egress()
            .group_id(&id)
            .set_ip_permissions(Some(permissions(rules)?))
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("ec2:RevokeSecurityGroupEgress {id}"), &e))?;
        done.push(format!("{} outbound", rules.as_array().map_or(0, Vec::len)));
    }
    Ok(format!(
        "revoked {} permission(s) of {id}",
        done.join(" and ")
    ))
}

/// A rule that is already there again is restored (undo is idempotent).
fn duplicate_ok<E>(
    r: Result<
        impl Sized,
        aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>,
    >,
    what: &str,
) -> Result<(), AwsError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("InvalidPermission.Duplicate") => Ok(()),
        Err(e) => Err(AwsError::sdk(what, &e)),
    }
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    let ec2 = client(ctx);
    let id = group_id(&a.prior)?;
    if let Some(rules) = a
        .prior
        .get("ingress")
        .filter(|r| r.as_array().is_some_and(|x| !x.is_empty()))
    {
        duplicate_ok(
            ec2.authorize_security_group_ingress()
                .group_id(&id)
                .set_ip_permissions(Some(permissions(rules)?))
                .send()
                .await,
            &format!("ec2:AuthorizeSecurityGroupIngress {id}"),
        )?;
    }
    if let Some(rules) = a
        .prior
        .get("egress")
        .filter(|r| r.as_array().is_some_and(|x| !x.is_empty()))
    {
        duplicate_ok(
            ec2.authorize_security_group_egress()
                .group_id(&id)
                .set_ip_permissions(Some(permissions(rules)?))
                .send()
                .await,
            &format!("ec2:AuthorizeSecurityGroupEgress {id}"),
        )?;
    }
    Ok(format!("restored the recorded rules of {id}"))
}

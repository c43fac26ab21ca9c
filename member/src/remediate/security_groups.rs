//! EC2.53 / EC2.54 / EC2.13 / EC2.14 / EC2.19: world-open admin ports in security groups; EC2.2: the default
//! security group's rules.
//!
//! Only the offending permission is revoked, matched exactly (protocol, port range and the one
//! world CIDR), so the group's other rules (a restricted SSH rule, an open HTTPS rule, another
//! CIDR in the same permission) stay as they are.

use super::remedy::{limiter, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::ec2::{security_groups, GroupFilter};
use crate::snapshot::{tags, IpPermission, SecurityGroup};

use aws_sdk_ec2::types::{IpPermission as SdkPermission, IpRange, Ipv6Range, UserIdGroupPair};
use rampart_common::arn::resource_name;
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
    scope: super::remedy::Scope::Resource,
    fixes: &[
        Fixes::Check("ec2.sg-admin-ports-ipv4"),
        Fixes::Check("ec2.sg-admin-ports-ipv6"),
        Fixes::Control {
            control: "EC2.13",
            judged_by: &["ec2.sg-admin-ports-ipv4", "ec2.sg-admin-ports-ipv6"],
        },
        Fixes::Control {
            control: "EC2.14",
            judged_by: &["ec2.sg-admin-ports-ipv4", "ec2.sg-admin-ports-ipv6"],
        },
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
    changes: "Revokes each ingress permission open to 0.0.0.0/0 (EC2.53, EC2.19) or ::/0 (EC2.54, EC2.19) or either (EC2.13: port 22; EC2.14: port 3389) that reaches an admin port (22, 3389; EC2.19: its high-risk ports), matched exactly by protocol, port range and that one CIDR. Other rules and other CIDRs of the same permission stay.",
    undoes: "Authorizes the revoked permissions again, with their descriptions.",
    plan: |ctx, req| Box::pin(plan_admin_ports(ctx, req.control, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

pub const DEFAULT_GROUP: Remedy = Remedy {
    id: "ec2-default-sg-closed",
    scope: super::remedy::Scope::Resource,
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
    g.arn(ctx.partition(), ctx.region, ctx.account)
}

/// The groups a plan judges: the one a finding names, or all; of one name where given.
async fn groups(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<SecurityGroup>, AwsError> {
    let only = GroupFilter {
        id: resource.map(resource_name),
        name,
    };
    security_groups(&client(ctx), only, &limiter()).await
}

/// A permission reduced to one source (`v4` or `v6`): what is revoked and authorized back.
fn rule_json(p: &IpPermission, v4: Option<&str>, v6: Option<&str>) -> Value {
    json!({
        "protocol": p.protocol,
        "from_port": p.from_port,
        "to_port": p.to_port,
        "cidr_ipv4": v4,
        "cidr_ipv6": v6,
        "description": v4.or(v6).and_then(|c| p.description(c)),
    })
}

/// The ingress sources open to the world on `ports`, one rule each (IPv4 and/or IPv6).
fn world_open(g: &SecurityGroup, ports: &[i32], v4: bool, v6: bool) -> Vec<Value> {
    let mut rules = Vec::new();
    for p in &g.ingress {
        if !ports.iter().any(|&port| p.covers_port(port)) {
            continue;
        }
        if v4 {
            for c in p.ipv4_ranges.iter().filter(|c| *c == "0.0.0.0/0") {
                rules.push(rule_json(p, Some(c), None));
            }
        }
        if v6 {
            for c in p.ipv6_ranges.iter().filter(|c| *c == "::/0") {
                rules.push(rule_json(p, None, Some(c)));
            }
        }
    }
    rules
}

pub async fn plan_admin_ports(
    ctx: &Ctx<'_>,
    control: &str,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let (ports, v4, v6) = match control.to_ascii_uppercase().as_str() {
        "EC2.53" => (CIS_ADMIN_PORTS, true, false),
        "EC2.54" => (CIS_ADMIN_PORTS, false, true),
        "EC2.13" => (&[22][..], true, true),
        "EC2.14" => (&[3389][..], true, true),
        _ => (HIGH_RISK_PORTS, true, true),
    };
    let mut out = Vec::new();
    for g in groups(ctx, resource, None).await? {
        let arn = group_arn(ctx, &g);
        let rules = world_open(&g, ports, v4, v6);
        if rules.is_empty() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "no world-open permission reaches these ports: already compliant".into(),
                });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&g.tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let n = rules.len();
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ec2:RevokeSecurityGroupIngress".into(),
            prior: json!({"group_id": g.group_id, "ingress": rules}),
            change: json!({"revoke_ingress": rules}),
            summary: format!(
                "revoke {n} world-open ingress permission(s) of {}",
                g.group_id
            ),
        }));
    }
    Ok(out)
}

/// A whole permission as recorded (every source with its description).
fn perm_json(p: &IpPermission) -> Value {
    let ranges = |cidrs: &[String]| {
        cidrs
            .iter()
            .map(|c| json!({"cidr": c, "description": p.description(c)}))
            .collect::<Vec<_>>()
    };
    json!({
        "protocol": p.protocol,
        "from_port": p.from_port,
        "to_port": p.to_port,
        "cidr_ipv4": ranges(&p.ipv4_ranges),
        "cidr_ipv6": ranges(&p.ipv6_ranges),
        "groups": p.group_refs.iter().map(|g| json!({"group_id": g.group_id, "user_id": g.user_id, "description": g.description})).collect::<Vec<_>>(),
        "prefix_lists": p.prefix_lists,
    })
}

pub async fn plan_default_group(
    ctx: &Ctx<'_>,
    resource: Option<&str>,
) -> Result<Vec<Planned>, AwsError> {
    let mut out = Vec::new();
    for g in groups(ctx, resource, Some("default")).await? {
        let arn = group_arn(ctx, &g);
        if g.group_name != "default" {
            out.push(Planned::Skip {
                resource: arn,
                why: "not a default security group".into(),
            });
            continue;
        }
        if g.ingress.is_empty() && g.egress.is_empty() {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "the default group has no rules: already compliant".into(),
                });
            }
            continue;
        }
        if let Some(why) = exempt_by_tag(ctx, &arn, tags::pairs(&g.tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        let ingress: Vec<Value> = g.ingress.iter().map(perm_json).collect();
        let egress: Vec<Value> = g.egress.iter().map(perm_json).collect();
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ec2:RevokeSecurityGroupIngress".into(),
            summary: format!(
                "revoke {} inbound and {} outbound rule(s) of default group {}",
                ingress.len(),
                egress.len(),
                g.group_id
            ),
            prior: json!({"group_id": g.group_id, "ingress": ingress, "egress": egress, "whole": true}),
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
fn permissions(rules: &Value) -> Result<Vec<SdkPermission>, AwsError> {
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
            let mut b = SdkPermission::builder()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::GroupRef;

    fn perm(proto: &str, ports: (i32, i32), v4: &[&str], v6: &[&str]) -> IpPermission {
        IpPermission {
            protocol: proto.into(),
            from_port: Some(ports.0),
            to_port: Some(ports.1),
            ipv4_ranges: v4.iter().map(|c| c.to_string()).collect(),
            ipv6_ranges: v6.iter().map(|c| c.to_string()).collect(),
            ..IpPermission::default()
        }
    }

    #[test]
    fn only_the_world_open_sources_on_the_ports_are_planned() {
        let mut ssh = perm("tcp", (22, 22), &["0.0.0.0/0", "10.0.0.0/8"], &["::/0"]);
        ssh.descriptions.insert("0.0.0.0/0".into(), "anyone".into());
        let g = SecurityGroup {
            group_id: "sg-1".into(),
            ingress: vec![ssh, perm("tcp", (443, 443), &["0.0.0.0/0"], &[])],
            ..SecurityGroup::default()
        };
        let v4 = world_open(&g, CIS_ADMIN_PORTS, true, false);
        assert_eq!(
            v4,
            vec![
                json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null, "description": "anyone"})
            ]
        );
        let both = world_open(&g, HIGH_RISK_PORTS, true, true);
        assert_eq!(both.len(), 2);
        assert_eq!(both[1]["cidr_ipv6"], "::/0");
        assert_eq!(both[1]["description"], Value::Null);
        assert!(world_open(&g, &[3389], true, true).is_empty());
    }

    #[test]
    fn whole_permissions_are_restored_as_recorded() {
        let mut p = perm("tcp", (5432, 5432), &["10.0.0.0/8"], &[]);
        p.descriptions.insert("10.0.0.0/8".into(), "office".into());
        p.group_refs = vec![GroupRef {
            group_id: Some("sg-2".into()),
            user_id: Some("999988887777".into()),
            description: Some("peer".into()),
        }];
        p.prefix_lists = vec!["pl-1".into()];
        let recorded = json!([perm_json(&p)]);
        assert_eq!(
            recorded[0]["cidr_ipv4"],
            json!([{"cidr": "10.0.0.0/8", "description": "office"}])
        );
        let back = permissions(&recorded).expect("permissions");
        let b = &back[0];
        assert_eq!(b.ip_protocol(), Some("tcp"));
        assert_eq!((b.from_port(), b.to_port()), (Some(5432), Some(5432)));
        assert_eq!(b.ip_ranges()[0].description(), Some("office"));
        assert_eq!(b.user_id_group_pairs()[0].user_id(), Some("999988887777"));
        assert_eq!(b.user_id_group_pairs()[0].description(), Some("peer"));
        assert_eq!(b.prefix_list_ids()[0].prefix_list_id(), Some("pl-1"));
        // A single-source rule of the admin-port remedy restores with its description.
        let rule = json!([{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null, "description": "anyone"}]);
        let back = permissions(&rule).expect("permissions");
        assert_eq!(back[0].ip_ranges()[0].cidr_ip(), Some("0.0.0.0/0"));
        assert_eq!(back[0].ip_ranges()[0].description(), Some("anyone"));
        assert!(back[0].ipv6_ranges().is_empty());
    }
}

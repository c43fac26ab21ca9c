//! Cases of the network remedies: world-open ports in security groups (EC2.53, EC2.54,
//! EC2.13, EC2.14, EC2.19), the default group (EC2.2), network ACLs (EC2.21), instance
//! metadata (EC2.8) and EBS default encryption (EC2.7).

use super::{Accounts, Case, Planted, State, REGION};
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};
use serde_json::{json, Value};

pub fn cases() -> Vec<Case> {
    let sg = |control| Case {
        control,
        plant: |a| Box::pin(plant_groups(a)),
        state: |a, p| Box::pin(groups_state(a, p)),
    };
    vec![
        sg("EC2.53"),
        sg("EC2.54"),
        sg("EC2.13"),
        sg("EC2.14"),
        sg("EC2.19"),
        Case {
            control: "EC2.2",
            plant: |a| Box::pin(plant_default_group(a)),
            state: |a, p| Box::pin(groups_state(a, p)),
        },
        Case {
            control: "EC2.21",
            plant: |a| Box::pin(plant_nacls(a)),
            state: |a, p| Box::pin(nacls_state(a, p)),
        },
        Case {
            control: "EC2.8",
            plant: |a| Box::pin(plant_instances(a)),
            state: |a, p| Box::pin(instances_state(a, p)),
        },
        Case {
            control: "EC2.7",
            plant: |a| Box::pin(plant_ebs(a)),
            state: |a, _| Box::pin(ebs_state(a)),
        },
    ]
}

pub fn ec2(cfg: &aws_config::SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(cfg)
}

fn text(p: &Planted, k: &str) -> String {
    p.data[k].as_str().unwrap_or_default().to_string()
}

async fn default_vpc(ec2: &aws_sdk_ec2::Client) -> String {
    let vpcs = ec2.describe_vpcs().send().await.expect("vpcs");
    vpcs.vpcs()
        .iter()
        .find(|v| v.is_default() == Some(true))
        .and_then(|v| v.vpc_id())
        .expect("default vpc")
        .to_string()
}

fn perm(port: i32, v4: &[&str], v6: &[&str]) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .set_ip_ranges(Some(
            v4.iter()
                .map(|c| IpRange::builder().cidr_ip(*c).build())
                .collect(),
        ))
        .set_ipv6_ranges(Some(
            v6.iter()
                .map(|c| Ipv6Range::builder().cidr_ipv6(*c).build())
                .collect(),
        ))
        .build()
}

async fn group(ec2: &aws_sdk_ec2::Client, name: &str, perms: Vec<IpPermission>) -> String {
    let vpc = default_vpc(ec2).await;
    let id = ec2
        .create_security_group()
        .group_name(name)
        .description("rampart remedy case")
        .vpc_id(vpc)
        .send()
        .await
        .expect("create group")
        .group_id()
        .expect("group id")
        .to_string();
    if !perms.is_empty() {
        ec2.authorize_security_group_ingress()
            .group_id(&id)
            .set_ip_permissions(Some(perms))
            .send()
            .await
            .expect("authorize");
    }
    id
}

/// A group open to the world on every admin and high-risk port (v4 and v6) with a web rule,
/// and a neighbour reaching the same ports from private ranges only.
async fn plant_groups(a: &Accounts) -> Planted {
    let ec2 = ec2(&a.cfg);
    let open = group(
        &ec2,
        "open",
        vec![
            perm(22, &["0.0.0.0/0", "10.0.0.0/8"], &["::/0"]),
            perm(3389, &["0.0.0.0/0"], &["::/0"]),
            perm(3306, &["0.0.0.0/0"], &[]),
            perm(443, &["0.0.0.0/0"], &["::/0"]),
        ],
    )
    .await;
    let private = group(
        &ec2,
        "private",
        vec![
            perm(22, &["10.0.0.0/8"], &[]),
            perm(3389, &["192.168.0.0/16"], &[]),
            perm(3306, &["172.16.0.0/12"], &[]),
        ],
    )
    .await;
    Planted {
        resource: Some(sg_arn(&a.id, &open)),
        data: json!({"target": open, "neighbour": private}),
    }
}

/// The default group of the default VPC with its default rules (closed by EC2.2's remedy)
/// and a custom group with the same self-referencing rule.
async fn plant_default_group(a: &Accounts) -> Planted {
    let ec2 = ec2(&a.cfg);
    let vpc = default_vpc(&ec2).await;
    let d = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        )
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&vpc)
                .build(),
        )
        .send()
        .await
        .expect("default group");
    let default = d.security_groups()[0]
        .group_id()
        .expect("group id")
        .to_string();
    let other = group(&ec2, "app", vec![perm(443, &["10.0.0.0/8"], &[])]).await;
    Planted {
        resource: Some(sg_arn(&a.id, &default)),
        data: json!({"target": default, "neighbour": other}),
    }
}

pub fn sg_arn(account: &str, id: &str) -> String {
    format!("arn:aws:ec2:{REGION}:{account}:security-group/{id}")
}

/// A group's rules as AWS shows them, in and out.
pub async fn rules(ec2: &aws_sdk_ec2::Client, id: &str) -> Value {
    let out = ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .expect("describe group");
    let g = &out.security_groups()[0];
    let side = |perms: &[IpPermission]| -> Vec<String> {
        let mut v: Vec<String> = perms
            .iter()
            .flat_map(|p| {
                let head = format!(
                    "{} {:?}-{:?}",
                    p.ip_protocol().unwrap_or_default(),
                    p.from_port(),
                    p.to_port()
                );
                let v4 = p
                    .ip_ranges()
                    .iter()
                    .map(|r| r.cidr_ip().unwrap_or_default().to_string());
                let v6 = p
                    .ipv6_ranges()
                    .iter()
                    .map(|r| r.cidr_ipv6().unwrap_or_default().to_string());
                let groups = p
                    .user_id_group_pairs()
                    .iter()
                    .map(|g| g.group_id().unwrap_or_default().to_string());
                v4.chain(v6)
                    .chain(groups)
                    .map(move |c| format!("{head} {c}"))
                    .collect::<Vec<_>>()
            })
            .collect();
        v.sort();
        v
    };
    json!({"in": side(g.ip_permissions()), "out": side(g.ip_permissions_egress())})
}

async fn groups_state(a: &Accounts, p: &Planted) -> State {
    let ec2 = ec2(&a.cfg);
    State {
        target: rules(&ec2, &text(p, "target")).await,
        neighbour: rules(&ec2, &text(p, "neighbour")).await,
    }
}

/// A NACL entry: rule number, protocol, port range, CIDR.
type Entry<'a> = (i32, &'a str, Option<(i32, i32)>, &'a str);

async fn nacl(ec2: &aws_sdk_ec2::Client, entries: &[Entry<'_>]) -> String {
    let vpc = default_vpc(ec2).await;
    let id = ec2
        .create_network_acl()
        .vpc_id(&vpc)
        .send()
        .await
        .expect("nacl")
        .network_acl()
        .and_then(|n| n.network_acl_id())
        .expect("nacl id")
        .to_string();
    for (n, proto, ports, cidr) in entries {
        ec2.create_network_acl_entry()
            .network_acl_id(&id)
            .rule_number(*n)
            .protocol(*proto)
            .rule_action(aws_sdk_ec2::types::RuleAction::Allow)
            .egress(false)
            .cidr_block(*cidr)
            .set_port_range(ports.map(|(f, t)| {
                aws_sdk_ec2::types::PortRange::builder()
                    .from(f)
                    .to(t)
                    .build()
            }))
            .send()
            .await
            .expect("nacl entry");
    }
    id
}

/// A NACL allowing SSH from the world between a trusted SSH rule and allow-all; a neighbour
/// allowing SSH from a private range only.
async fn plant_nacls(a: &Accounts) -> Planted {
    let ec2 = ec2(&a.cfg);
    let open = nacl(
        &ec2,
        &[
            (50, "6", Some((22, 22)), "10.0.0.0/8"),
            (100, "6", Some((22, 22)), "0.0.0.0/0"),
            (200, "6", Some((443, 443)), "0.0.0.0/0"),
        ],
    )
    .await;
    let private = nacl(&ec2, &[(100, "6", Some((22, 22)), "10.0.0.0/8")]).await;
    Planted {
        resource: Some(format!("arn:aws:ec2:{REGION}:{}:network-acl/{open}", a.id)),
        data: json!({"target": open, "neighbour": private}),
    }
}

async fn entries(ec2: &aws_sdk_ec2::Client, id: &str) -> Value {
    let out = ec2
        .describe_network_acls()
        .network_acl_ids(id)
        .send()
        .await
        .expect("describe nacl");
    let mut e: Vec<String> = out.network_acls()[0]
        .entries()
        .iter()
        .map(|e| {
            format!(
                "{} {:05} {} {:?} {:?} {}",
                if e.egress() == Some(true) {
                    "out"
                } else {
                    "in"
                },
                e.rule_number().unwrap_or_default(),
                e.protocol().unwrap_or_default(),
                e.port_range().map(|r| (r.from(), r.to())),
                e.rule_action(),
                e.cidr_block().or(e.ipv6_cidr_block()).unwrap_or_default()
            )
        })
        .collect();
    e.sort();
    json!(e)
}

async fn nacls_state(a: &Accounts, p: &Planted) -> State {
    let ec2 = ec2(&a.cfg);
    State {
        target: entries(&ec2, &text(p, "target")).await,
        neighbour: entries(&ec2, &text(p, "neighbour")).await,
    }
}

async fn instance(
    ec2: &aws_sdk_ec2::Client,
    tokens: aws_sdk_ec2::types::HttpTokensState,
) -> String {
    ec2.run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .metadata_options(
            aws_sdk_ec2::types::InstanceMetadataOptionsRequest::builder()
                .http_tokens(tokens)
                .build(),
        )
        .send()
        .await
        .expect("run instance")
        .instances()[0]
        .instance_id()
        .expect("instance id")
        .to_string()
}

/// An instance allowing IMDSv1 and a neighbour requiring IMDSv2.
async fn plant_instances(a: &Accounts) -> Planted {
    use aws_sdk_ec2::types::HttpTokensState;
    let ec2 = ec2(&a.cfg);
    let v1 = instance(&ec2, HttpTokensState::Optional).await;
    let v2 = instance(&ec2, HttpTokensState::Required).await;
    Planted {
        resource: Some(format!("arn:aws:ec2:{REGION}:{}:instance/{v1}", a.id)),
        data: json!({"target": v1, "neighbour": v2}),
    }
}

async fn metadata(ec2: &aws_sdk_ec2::Client, id: &str) -> Value {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("describe instance");
    let m = out.reservations()[0].instances()[0].metadata_options();
    json!(format!("{m:?}"))
}

async fn instances_state(a: &Accounts, p: &Planted) -> State {
    let ec2 = ec2(&a.cfg);
    State {
        target: metadata(&ec2, &text(p, "target")).await,
        neighbour: metadata(&ec2, &text(p, "neighbour")).await,
    }
}

/// EBS default encryption off in both accounts: only the target's is turned on.
async fn plant_ebs(a: &Accounts) -> Planted {
    for cfg in [&a.cfg, &a.other_cfg] {
        ec2(cfg)
            .disable_ebs_encryption_by_default()
            .send()
            .await
            .expect("disable ebs default");
    }
    Planted {
        resource: None,
        data: Value::Null,
    }
}

async fn ebs(cfg: &aws_config::SdkConfig) -> Value {
    json!(ec2(cfg)
        .get_ebs_encryption_by_default()
        .send()
        .await
        .expect("ebs default")
        .ebs_encryption_by_default())
}

async fn ebs_state(a: &Accounts) -> State {
    State {
        target: ebs(&a.cfg).await,
        neighbour: ebs(&a.other_cfg).await,
    }
}

//! EC2 regional checks: admin ports open to the world, the default security group, EBS
//! encryption by default.

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::{NaclEntry, RegionSnapshot, SecurityGroup};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

/// Remote administration ports (SSH, RDP).
pub const ADMIN_PORTS: &[i32] = &[22, 3389];
/// CIFS/SMB (CIS v4.0.1+ 5.1.2: restricted to trusted networks).
pub const CIFS_PORTS: &[i32] = &[445];

pub const CHECKS: &[Check] = &[
    Check {
        meta: CheckMeta {
            id: "ec2.sg-admin-ports-ipv4",
            title: "No security group allows ingress from 0.0.0.0/0 to remote administration ports",
            description: "Security groups open to 0.0.0.0/0 on port 22 or 3389 expose instances to the internet's brute-force traffic.",
            severity: Severity::High,
            scope: Scope::Region,
            security_control_id: Some("EC2.53"),
            remediation: "Remove the ingress rule or restrict its source to known addresses; use Session Manager instead of open SSH/RDP.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-53",
        },
        eval: Eval::Region(sg_admin_ipv4),
    },
    Check {
        meta: CheckMeta {
            id: "ec2.sg-admin-ports-ipv6",
            title: "No security group allows ingress from ::/0 to remote administration ports",
            description: "Security groups open to ::/0 on port 22 or 3389 expose instances to the internet over IPv6.",
            severity: Severity::High,
            scope: Scope::Region,
            security_control_id: Some("EC2.54"),
            remediation: "Remove the IPv6 ingress rule or restrict its source.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-54",
        },
        eval: Eval::Region(sg_admin_ipv6),
    },
    Check {
        meta: CheckMeta {
            id: "ec2.sg-cifs-ports",
            title: "No security group allows CIFS (port 445) from 0.0.0.0/0 or ::/0",
            description: "SMB/CIFS open to the internet exposes file shares to scanning and wormable exploits; CIFS belongs to trusted networks only.",
            severity: Severity::High,
            scope: Scope::Region,
            security_control_id: None,
            remediation: "Remove the ingress rule on port 445 or restrict its source to trusted networks.",
            remediation_url: "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
        },
        eval: Eval::Region(sg_cifs),
    },
    Check {
        meta: CheckMeta {
            id: "ec2.default-sg-closed",
            title: "The default security group of every VPC restricts all traffic",
            description: "Resources launched without a group land in the default group; its rules should allow nothing.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("EC2.2"),
            remediation: "Remove every inbound and outbound rule from the VPC's default security group.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-2",
        },
        eval: Eval::Region(default_sg_closed),
    },
    Check {
        meta: CheckMeta {
            id: "ec2.nacl-admin-ports",
            title: "No network ACL allows ingress from the world to remote administration ports",
            description: "A network ACL that lets 0.0.0.0/0 or ::/0 reach port 22 or 3389 removes a layer of defence in front of every subnet it guards.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("EC2.21"),
            remediation: "Add a lower-numbered DENY entry for ports 22 and 3389 from 0.0.0.0/0 and ::/0, or narrow the ALLOW entry.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-21",
        },
        eval: Eval::Region(nacl_admin_ports),
    },
    Check {
        meta: CheckMeta {
            id: "ec2.vpc-flow-logs",
            title: "VPC flow logging is enabled in every VPC",
            description: "Flow logs are the record of who talked to what inside the network.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("EC2.6"),
            remediation: "Create a flow log for the VPC (at least REJECT traffic) to CloudWatch Logs or S3.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-6",
        },
        eval: Eval::Region(vpc_flow_logs),
    },
    Check {
        meta: CheckMeta {
            id: "ec2.imdsv2-required",
            title: "EC2 instances require IMDSv2",
            description: "IMDSv1 answers unauthenticated GETs, which SSRF bugs turn into credential theft.",
            severity: Severity::High,
            scope: Scope::Region,
            security_control_id: Some("EC2.8"),
            remediation: "Set HttpTokens=required (ec2:ModifyInstanceMetadataOptions) and in launch templates.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-8",
        },
        eval: Eval::Region(imdsv2_required),
    },
    Check {
        meta: CheckMeta {
            id: "ec2.instance-roles",
            title: "EC2 instances use an IAM instance profile for AWS access",
            description: "An instance with a role gets short-lived credentials from the instance metadata service; without one, software on it needs stored long-term keys.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: None,
            remediation: "Attach an instance profile with the role the workload needs (ec2:AssociateIamInstanceProfile) and remove stored access keys.",
            remediation_url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html",
        },
        eval: Eval::Region(instance_roles),
    },
    Check {
        meta: CheckMeta {
            id: "ec2.ebs-default-encryption",
            title: "EBS encryption by default is enabled",
            description: "With encryption by default off, new EBS volumes and snapshots may be created unencrypted.",
            severity: Severity::Medium,
            scope: Scope::Region,
            security_control_id: Some("EC2.7"),
            remediation: "Enable EBS encryption by default in this region (ec2:EnableEbsEncryptionByDefault).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-7",
        },
        eval: Eval::Region(ebs_default_encryption),
    },
];

fn sg_resource(s: &RegionSnapshot, g: &SecurityGroup) -> ResourceRef {
    let owner = if g.owner_id.is_empty() {
        &s.account_id
    } else {
        &g.owner_id
    };
    ResourceRef {
        kind: "AwsEc2SecurityGroup".into(),
        id: format!(
            "arn:{}:ec2:{}:{}:security-group/{}",
            s.partition, s.region, owner, g.group_id
        ),
        region: Some(s.region.clone()),
    }
}

/// Admin ports reachable from `world` through the group's ingress rules.
fn open_admin_ports(g: &SecurityGroup, world: &str, ipv6: bool) -> Vec<i32> {
    open_ports(g, ADMIN_PORTS, world, ipv6)
}

fn open_ports(g: &SecurityGroup, ports: &[i32], world: &str, ipv6: bool) -> Vec<i32> {
    let mut ports: Vec<i32> = ports
        .iter()
        .copied()
        .filter(|&p| {
            g.ingress.iter().any(|perm| {
                let ranges = if ipv6 {
                    &perm.ipv6_ranges
                } else {
                    &perm.ipv4_ranges
                };
                ranges.iter().any(|c| c == world) && perm.covers_port(p)
            })
        })
        .collect();
    ports.dedup();
    ports
}

fn sg_admin(s: &RegionSnapshot, world: &str, ipv6: bool) -> CheckStatus {
    with(&s.ec2, |ec2| {
        let verdicts = ec2
            .security_groups
            .iter()
            .map(|g| {
                let open = open_admin_ports(g, world, ipv6);
                let (passed, reason) = if open.is_empty() {
                    (
                        true,
                        format!("{} has no admin port open to {world}.", g.group_id),
                    )
                } else {
                    let list: Vec<String> = open.iter().map(i32::to_string).collect();
                    (
                        false,
                        format!(
                            "{} ({}) allows {world} to port(s) {}.",
                            g.group_id,
                            g.group_name,
                            list.join(", ")
                        ),
                    )
                };
                Verdict {
                    resource: sg_resource(s, g),
                    passed,
                    reason,
                }
            })
            .collect();
        CheckStatus::Evaluated { verdicts }
    })
}

fn sg_cifs(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.ec2, |ec2| {
        let verdicts = ec2
            .security_groups
            .iter()
            .map(|g| {
                let open: Vec<&str> = [("0.0.0.0/0", false), ("::/0", true)]
                    .into_iter()
                    .filter(|(world, v6)| !open_ports(g, CIFS_PORTS, world, *v6).is_empty())
                    .map(|(world, _)| world)
                    .collect();
                let (passed, reason) = if open.is_empty() {
                    (
                        true,
                        format!("{} has no CIFS port open to the internet.", g.group_id),
                    )
                } else {
                    (
                        false,
                        format!(
                            "{} ({}) allows {} to port 445.",
                            g.group_id,
                            g.group_name,
                            open.join(" and ")
                        ),
                    )
                };
                Verdict {
                    resource: sg_resource(s, g),
                    passed,
                    reason,
                }
            })
            .collect();
        CheckStatus::Evaluated { verdicts }
    })
}

fn sg_admin_ipv4(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    sg_admin(s, "0.0.0.0/0", false)
}

fn sg_admin_ipv6(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    sg_admin(s, "::/0", true)
}

fn default_sg_closed(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.ec2, |ec2| {
        let verdicts = ec2
            .security_groups
            .iter()
            .filter(|g| g.group_name == "default")
            .map(|g| {
                let rules = g.ingress.len() + g.egress.len();
                let passed = rules == 0;
                let reason = if passed {
                    format!("Default group {} has no rules.", g.group_id)
                } else {
                    format!(
                        "Default group {} of {} has {} rule(s).",
                        g.group_id,
                        g.vpc_id.as_deref().unwrap_or("EC2-Classic"),
                        rules
                    )
                };
                Verdict {
                    resource: sg_resource(s, g),
                    passed,
                    reason,
                }
            })
            .collect();
        CheckStatus::Evaluated { verdicts }
    })
}

/// The first ingress entry (by rule number) that decides traffic from `world` to `port`.
fn nacl_allows(entries: &[NaclEntry], world: &str, ipv6: bool, port: i32) -> bool {
    let mut ingress: Vec<&NaclEntry> = entries.iter().filter(|e| !e.egress).collect();
    ingress.sort_by_key(|e| e.rule_number);
    for e in ingress {
        let source = if ipv6 {
            e.ipv6_cidr.as_deref()
        } else {
            e.cidr.as_deref()
        };
        let proto_ok = matches!(
            e.protocol.as_str(),
            "-1" | "6" | "17" | "tcp" | "udp" | "all"
        );
        let port_ok = e.protocol == "-1"
            || match (e.port_from, e.port_to) {
                (Some(from), Some(to)) => from <= port && port <= to,
                _ => true,
            };
        if source == Some(world) && proto_ok && port_ok {
            return e.allow;
        }
    }
    false
}

fn nacl_admin_ports(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.ec2, |ec2| CheckStatus::Evaluated {
        verdicts: ec2
            .network_acls
            .iter()
            .map(|n| {
                let open: Vec<String> = [("0.0.0.0/0", false), ("::/0", true)]
                    .iter()
                    .flat_map(|(world, v6)| {
                        ADMIN_PORTS
                            .iter()
                            .filter(|&&p| nacl_allows(&n.entries, world, *v6, p))
                            .map(move |p| format!("{p} from {world}"))
                    })
                    .collect();
                let owner = if n.owner_id.is_empty() {
                    &s.account_id
                } else {
                    &n.owner_id
                };
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsEc2NetworkAcl".into(),
                        id: format!(
                            "arn:{}:ec2:{}:{owner}:network-acl/{}",
                            s.partition, s.region, n.id
                        ),
                        region: Some(s.region.clone()),
                    },
                    passed: open.is_empty(),
                    reason: if open.is_empty() {
                        format!("{} lets no admin port in from the world.", n.id)
                    } else {
                        format!(
                            "{}{} allows {}.",
                            n.id,
                            if n.is_default { " (default)" } else { "" },
                            open.join(", ")
                        )
                    },
                }
            })
            .collect(),
    })
}

fn vpc_flow_logs(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.ec2, |ec2| CheckStatus::Evaluated {
        verdicts: ec2
            .vpcs
            .iter()
            .map(|v| {
                let on = ec2.flow_log_resources.binary_search(&v.id).is_ok();
                let owner = if v.owner_id.is_empty() {
                    &s.account_id
                } else {
                    &v.owner_id
                };
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsEc2Vpc".into(),
                        id: format!("arn:{}:ec2:{}:{owner}:vpc/{}", s.partition, s.region, v.id),
                        region: Some(s.region.clone()),
                    },
                    passed: on,
                    reason: if on {
                        format!("{} has a flow log.", v.id)
                    } else {
                        format!("{} has no active flow log.", v.id)
                    },
                }
            })
            .collect(),
    })
}

/// CIS v4.0.1+ (1.18 and its successors, automated since v4.0.1): running and stopped
/// instances have an instance profile.
fn instance_roles(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.ec2, |ec2| CheckStatus::Evaluated {
        verdicts: ec2
            .instances
            .iter()
            .filter(|i| i.state != "terminated" && i.state != "shutting-down")
            .map(|i| {
                let owner = if i.owner_id.is_empty() {
                    &s.account_id
                } else {
                    &i.owner_id
                };
                let passed = i.instance_profile_arn.is_some();
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsEc2Instance".into(),
                        id: format!(
                            "arn:{}:ec2:{}:{owner}:instance/{}",
                            s.partition, s.region, i.id
                        ),
                        region: Some(s.region.clone()),
                    },
                    passed,
                    reason: match &i.instance_profile_arn {
                        Some(p) => format!("{} uses instance profile {p}.", i.id),
                        None => format!("{} has no instance profile.", i.id),
                    },
                }
            })
            .collect(),
    })
}

fn imdsv2_required(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.ec2, |ec2| CheckStatus::Evaluated {
        verdicts: ec2
            .instances
            .iter()
            .filter(|i| i.state != "terminated" && i.state != "shutting-down")
            .map(|i| {
                let disabled = i.http_endpoint.as_deref() == Some("disabled");
                let passed = disabled || i.http_tokens.as_deref() == Some("required");
                let owner = if i.owner_id.is_empty() {
                    &s.account_id
                } else {
                    &i.owner_id
                };
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsEc2Instance".into(),
                        id: format!(
                            "arn:{}:ec2:{}:{owner}:instance/{}",
                            s.partition, s.region, i.id
                        ),
                        region: Some(s.region.clone()),
                    },
                    passed,
                    reason: if passed {
                        format!("{} requires IMDSv2.", i.id)
                    } else {
                        format!(
                            "{} allows IMDSv1 (HttpTokens={}).",
                            i.id,
                            i.http_tokens.as_deref().unwrap_or("unset")
                        )
                    },
                }
            })
            .collect(),
    })
}

fn ebs_default_encryption(s: &RegionSnapshot, _: &Settings) -> CheckStatus {
    with(&s.ec2, |ec2| {
        let on = ec2.ebs_encryption_by_default;
        let reason = if on {
            "EBS encryption by default is on."
        } else {
            "EBS encryption by default is off."
        };
        CheckStatus::Evaluated {
            verdicts: vec![Verdict {
                resource: ResourceRef::account(&s.account_id),
                passed: on,
                reason: format!("{reason} (region {})", s.region),
            }],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Collected, Ec2Snapshot, IpPermission};

    fn perm(
        proto: &str,
        from: Option<i32>,
        to: Option<i32>,
        v4: &[&str],
        v6: &[&str],
    ) -> IpPermission {
        IpPermission {
            protocol: proto.into(),
            from_port: from,
            to_port: to,
            ipv4_ranges: v4.iter().map(|s| s.to_string()).collect(),
            ipv6_ranges: v6.iter().map(|s| s.to_string()).collect(),
            group_pairs: vec![],
        }
    }

    fn group(name: &str, ingress: Vec<IpPermission>) -> SecurityGroup {
        SecurityGroup {
            group_id: format!("sg-{name}"),
            group_name: name.into(),
            vpc_id: Some("vpc-1".into()),
            owner_id: "111122223333".into(),
            ingress,
            egress: vec![],
        }
    }

    fn snap(groups: Vec<SecurityGroup>, ebs: bool) -> RegionSnapshot {
        RegionSnapshot {
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            partition: "aws".into(),
            ec2: Collected::Ok(Ec2Snapshot {
                ebs_encryption_by_default: ebs,
                security_groups: groups,
                network_acls: vec![],
                vpcs: vec![],
                flow_log_resources: vec![],
                instances: vec![],
            }),
            securityhub_enabled: Collected::Ok(true),
            config_recorders: Collected::Ok(vec![]),
            ..RegionSnapshot::empty("111122223333", "eu-west-1")
        }
    }

    fn failed_ids(st: &CheckStatus) -> Vec<String> {
        match st {
            CheckStatus::Evaluated { verdicts } => verdicts
                .iter()
                .filter(|v| !v.passed)
                .map(|v| v.resource.id.rsplit('/').next().unwrap_or("").to_string())
                .collect(),
            other => panic!("not evaluated: {other:?}"),
        }
    }

    #[test]
    fn admin_ports_ipv4_semantics() {
        let s = snap(
            vec![
                group(
                    "ssh",
                    vec![perm("tcp", Some(22), Some(22), &["0.0.0.0/0"], &[])],
                ),
                group(
                    "range",
                    vec![perm("tcp", Some(0), Some(1024), &["0.0.0.0/0"], &[])],
                ),
                group(
                    "rdp-range",
                    vec![perm("6", Some(3000), Some(4000), &["0.0.0.0/0"], &[])],
                ),
                group("all", vec![perm("-1", None, None, &["0.0.0.0/0"], &[])]),
                group(
                    "https",
                    vec![perm("tcp", Some(443), Some(443), &["0.0.0.0/0"], &[])],
                ),
                group(
                    "private",
                    vec![perm("tcp", Some(22), Some(22), &["10.0.0.0/8"], &[])],
                ),
                group(
                    "icmp",
                    vec![perm("icmp", Some(-1), Some(-1), &["0.0.0.0/0"], &[])],
                ),
                group(
                    "v6only",
                    vec![perm("tcp", Some(22), Some(22), &[], &["::/0"])],
                ),
            ],
            true,
        );
        assert_eq!(
            failed_ids(&sg_admin_ipv4(&s, &Settings::default())),
            vec!["sg-ssh", "sg-range", "sg-rdp-range", "sg-all"]
        );
        assert_eq!(
            failed_ids(&sg_admin_ipv6(&s, &Settings::default())),
            vec!["sg-v6only"]
        );
    }

    #[test]
    fn empty_region_passes_and_errors_stay_errors() {
        assert!(failed_ids(&sg_admin_ipv4(&snap(vec![], true), &Settings::default())).is_empty());
        let mut s = snap(vec![], true);
        s.ec2 = Collected::Err("UnauthorizedOperation".into());
        assert!(matches!(
            sg_admin_ipv4(&s, &Settings::default()),
            CheckStatus::Error { .. }
        ));
        assert!(matches!(
            ebs_default_encryption(&s, &Settings::default()),
            CheckStatus::Error { .. }
        ));
    }

    #[test]
    fn default_group_must_be_empty() {
        let mut open = group("default", vec![perm("-1", None, None, &[], &[])]);
        open.group_id = "sg-d1".into();
        let mut closed = group("default", vec![]);
        closed.group_id = "sg-d2".into();
        let s = snap(
            vec![
                open,
                closed,
                group(
                    "web",
                    vec![perm("tcp", Some(80), Some(80), &["0.0.0.0/0"], &[])],
                ),
            ],
            true,
        );
        assert_eq!(
            failed_ids(&default_sg_closed(&s, &Settings::default())),
            vec!["sg-d1"]
        );
    }

    fn nacl(id: &str, entries: Vec<NaclEntry>) -> crate::snapshot::NetworkAcl {
        crate::snapshot::NetworkAcl {
            id: id.into(),
            vpc_id: Some("vpc-1".into()),
            owner_id: "111122223333".into(),
            is_default: false,
            entries,
        }
    }

    fn entry(n: i32, proto: &str, allow: bool, cidr: &str, ports: Option<(i32, i32)>) -> NaclEntry {
        NaclEntry {
            rule_number: n,
            egress: false,
            protocol: proto.into(),
            allow,
            cidr: (!cidr.contains(':')).then(|| cidr.to_string()),
            ipv6_cidr: cidr.contains(':').then(|| cidr.to_string()),
            port_from: ports.map(|p| p.0),
            port_to: ports.map(|p| p.1),
        }
    }

    #[test]
    fn nacl_rules_are_evaluated_in_order() {
        let mut s = snap(vec![], true);
        if let Collected::Ok(ec2) = &mut s.ec2 {
            ec2.network_acls = vec![
                // Default NACL: allow all from anywhere, then the implicit deny.
                nacl(
                    "acl-default",
                    vec![
                        entry(100, "-1", true, "0.0.0.0/0", None),
                        entry(32767, "-1", false, "0.0.0.0/0", None),
                    ],
                ),
                // A deny for 22 before a broad allow: 22 closed, 3389 open.
                nacl(
                    "acl-deny22",
                    vec![
                        entry(90, "6", false, "0.0.0.0/0", Some((22, 22))),
                        entry(100, "6", true, "0.0.0.0/0", Some((0, 65535))),
                    ],
                ),
                // Only 443 open, plus IPv6 range covering 3389.
                nacl(
                    "acl-v6",
                    vec![
                        entry(100, "6", true, "0.0.0.0/0", Some((443, 443))),
                        entry(101, "6", true, "::/0", Some((3000, 4000))),
                    ],
                ),
                // Private source only.
                nacl(
                    "acl-private",
                    vec![entry(100, "-1", true, "10.0.0.0/8", None)],
                ),
            ];
        }
        let st = nacl_admin_ports(&s, &Settings::default());
        assert_eq!(failed_ids(&st), vec!["acl-default", "acl-deny22", "acl-v6"]);
        let CheckStatus::Evaluated { verdicts } = st else {
            panic!("evaluated")
        };
        assert!(verdicts[1].reason.contains("3389") && !verdicts[1].reason.contains("22 from"));
    }

    #[test]
    fn flow_logs_and_imdsv2() {
        use crate::snapshot::{Instance, Vpc};
        let mut s = snap(vec![], true);
        if let Collected::Ok(ec2) = &mut s.ec2 {
            ec2.vpcs = vec![
                Vpc {
                    id: "vpc-a".into(),
                    owner_id: "111122223333".into(),
                    is_default: true,
                },
                Vpc {
                    id: "vpc-b".into(),
                    owner_id: "111122223333".into(),
                    is_default: false,
                },
            ];
            ec2.flow_log_resources = vec!["vpc-b".into()];
            let inst =
                |id: &str, state: &str, tokens: Option<&str>, endpoint: Option<&str>| Instance {
                    id: id.into(),
                    owner_id: "111122223333".into(),
                    state: state.into(),
                    http_tokens: tokens.map(str::to_string),
                    http_endpoint: endpoint.map(str::to_string),
                    instance_profile_arn: None,
                };
            ec2.instances = vec![
                inst("i-v1", "running", Some("optional"), Some("enabled")),
                inst("i-v2", "running", Some("required"), Some("enabled")),
                inst("i-off", "stopped", Some("optional"), Some("disabled")),
                inst("i-gone", "terminated", Some("optional"), Some("enabled")),
                inst("i-unset", "running", None, None),
            ];
        }
        assert_eq!(
            failed_ids(&vpc_flow_logs(&s, &Settings::default())),
            vec!["vpc-a"]
        );
        assert_eq!(
            failed_ids(&imdsv2_required(&s, &Settings::default())),
            vec!["i-v1", "i-unset"]
        );
    }

    #[test]
    fn ebs_default() {
        assert!(failed_ids(&ebs_default_encryption(
            &snap(vec![], true),
            &Settings::default()
        ))
        .is_empty());
        assert_eq!(
            failed_ids(&ebs_default_encryption(
                &snap(vec![], false),
                &Settings::default()
            ))
            .len(),
            1
        );
    }
}

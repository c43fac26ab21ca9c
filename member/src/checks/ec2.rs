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
    ResourceRef {
        kind: "AwsEc2SecurityGroup".into(),
        id: g.arn(&s.partition, &s.region, &s.account_id),
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
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsEc2NetworkAcl".into(),
                        id: n.arn(&s.partition, &s.region, &s.account_id),
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
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsEc2Vpc".into(),
                        id: v.arn(&s.partition, &s.region, &s.account_id),
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
            .filter(|i| i.is_live())
            .map(|i| {
                let passed = i.instance_profile_arn.is_some();
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsEc2Instance".into(),
                        id: i.arn(&s.partition, &s.region, &s.account_id),
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
            .filter(|i| i.is_live())
            .map(|i| {
                let passed = i.requires_imdsv2();
                Verdict {
                    resource: ResourceRef {
                        kind: "AwsEc2Instance".into(),
                        id: i.arn(&s.partition, &s.region, &s.account_id),
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
mod tests;

//! EC2 regional checks: admin ports open to the world, the default security group, EBS
//! encryption by default.

use super::{with, Check, Eval, Settings};
use crate::snapshot::{RegionSnapshot, SecurityGroup};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};

/// Remote administration ports (SSH, RDP).
pub const ADMIN_PORTS: &[i32] = &[22, 3389];

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
    let mut ports: Vec<i32> = ADMIN_PORTS
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
            }),
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

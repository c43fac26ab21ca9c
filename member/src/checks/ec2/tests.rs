//! Unit tests of `ec2`.

use super::*;
use crate::snapshot::{Collected, Ec2Snapshot, IpPermission};

fn perm(proto: &str, from: Option<i32>, to: Option<i32>, v4: &[&str], v6: &[&str]) -> IpPermission {
    IpPermission {
        protocol: proto.into(),
        from_port: from,
        to_port: to,
        ipv4_ranges: v4.iter().map(|s| s.to_string()).collect(),
        ipv6_ranges: v6.iter().map(|s| s.to_string()).collect(),
        group_pairs: vec![],
        ..IpPermission::default()
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
        tags: Default::default(),
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
        tags: Default::default(),
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
        ..NaclEntry::default()
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
        let inst = |id: &str, state: &str, tokens: Option<&str>, endpoint: Option<&str>| Instance {
            id: id.into(),
            owner_id: "111122223333".into(),
            state: state.into(),
            http_tokens: tokens.map(str::to_string),
            http_endpoint: endpoint.map(str::to_string),
            instance_profile_arn: None,
            tags: Default::default(),
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

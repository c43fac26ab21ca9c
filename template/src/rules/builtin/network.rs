//! Security-group checks over every ingress/egress rule, inline or standalone
//! (`AWS::EC2::SecurityGroupIngress/Egress` attached to their group).

use crate::model::Model;
use crate::node::Node;
use crate::rules::rule::BuiltinFn;
use crate::rules::util::{entry_world, prefix_len, present, rule_ports, text, Hit, Ports, Tri};

pub fn lookup(id: &str) -> Option<BuiltinFn> {
    Some(match id {
        "NET-01" => ssh_world,
        "NET-02" => rdp_world,
        "NET-03" => db_world,
        "NET-04" => admin_world,
        "NET-05" => all_world,
        "NET-06" => other_world,
        "NET-07" => http_world,
        "NET-08" => port_range,
        "NET-09" => not_host_cidr,
        "NET-10" => egress_world,
        "NET-11" => missing_egress,
        "NET-13" => nacl_admin_world,
        _ => return None,
    })
}

/// One ingress or egress rule with the resource a finding should name.
struct SgRule<'m> {
    resource: &'m str,
    entry: &'m Node,
    /// For standalone rules, the group they attach to.
    group: Option<String>,
}

fn sg_rules<'m>(m: &'m Model, egress: bool) -> Vec<SgRule<'m>> {
    let (inline, standalone) = if egress {
        ("SecurityGroupEgress.*", "AWS::EC2::SecurityGroupEgress")
    } else {
        ("SecurityGroupIngress.*", "AWS::EC2::SecurityGroupIngress")
    };
    let mut out = Vec::new();
    for r in &m.resources {
        if r.kind == "AWS::EC2::SecurityGroup" {
            for e in present(&r.props, inline) {
                out.push(SgRule {
                    resource: &r.id,
                    entry: e,
                    group: None,
                });
            }
        } else if r.kind == standalone {
            let group = r
                .raw_props
                .get("GroupId")
                .or_else(|| r.raw_props.get("GroupName"))
                .and_then(crate::model::referenced_id)
                .map(str::to_string);
            out.push(SgRule {
                resource: &r.id,
                entry: &r.props,
                group,
            });
        }
    }
    out
}

fn describe(r: &SgRule, what: &str, p: &Ports) -> String {
    let ports = if p.all() {
        "all ports".to_string()
    } else if p.from == p.to {
        format!("port {}", p.from)
    } else {
        format!("ports {}-{}", p.from, p.to)
    };
    match &r.group {
        Some(g) => format!("{what} ({ports}) via standalone rule on group {g}"),
        None => format!("{what} ({ports})"),
    }
}

/// World-open ingress whose ports satisfy `pred`.
fn world_ingress(m: &Model, out: &mut Vec<Hit>, what: &str, pred: impl Fn(&Ports) -> bool) {
    for r in sg_rules(m, false) {
        let world = entry_world(r.entry);
        if world == Tri::False {
            continue;
        }
        let Some(p) = rule_ports(r.entry) else {
            continue;
        };
        if !pred(&p) {
            continue;
        }
        let msg = describe(&r, what, &p);
        if world == Tri::Unknown || p.unknown {
            out.push(Hit::unresolved(
                r.resource,
                r.entry.pos,
                format!("{msg}: CIDR or ports unresolved"),
            ));
        } else {
            out.push(Hit::fail(r.resource, r.entry.pos, msg));
        }
    }
}

const DB_PORTS: &[i64] = &[
    1433, 1521, 3306, 5432, 5439, 6379, 7000, 9042, 9200, 9300, 11211, 27017, 27018,
];
const ADMIN_PORTS: &[i64] = &[
    20, 21, 23, 135, 139, 445, 2375, 2376, 5900, 5985, 5986, 6443, 10250,
];

fn ssh_world(m: &Model, out: &mut Vec<Hit>) {
    world_ingress(m, out, "SSH open to the world", |p| p.covers(22));
}
fn rdp_world(m: &Model, out: &mut Vec<Hit>) {
    world_ingress(m, out, "RDP open to the world", |p| p.covers(3389));
}
fn db_world(m: &Model, out: &mut Vec<Hit>) {
    world_ingress(m, out, "database port open to the world", |p| {
        DB_PORTS.iter().any(|x| p.covers(*x))
    });
}
fn admin_world(m: &Model, out: &mut Vec<Hit>) {
    world_ingress(m, out, "administrative port open to the world", |p| {
        ADMIN_PORTS.iter().any(|x| p.covers(*x))
    });
}
fn all_world(m: &Model, out: &mut Vec<Hit>) {
    world_ingress(m, out, "all ports open to the world", Ports::all);
}
fn other_world(m: &Model, out: &mut Vec<Hit>) {
    world_ingress(m, out, "ingress open to the world", |p| {
        let web = p.from == p.to && (p.from == 80 || p.from == 443);
        let named = p.covers(22)
            || p.covers(3389)
            || DB_PORTS.iter().any(|x| p.covers(*x))
            || ADMIN_PORTS.iter().any(|x| p.covers(*x));
        !web && !named && !p.all()
    });
}
fn http_world(m: &Model, out: &mut Vec<Hit>) {
    world_ingress(m, out, "plain HTTP open to the world", |p| {
        p.from == 80 && p.to == 80
    });
}

fn port_range(m: &Model, out: &mut Vec<Hit>) {
    for r in sg_rules(m, false) {
        if let Some(p) = rule_ports(r.entry) {
            if !p.unknown && p.from != p.to && !p.all() {
                out.push(Hit::fail(
                    r.resource,
                    r.entry.pos,
                    describe(&r, "ingress allows a port range", &p),
                ));
            }
        }
    }
}

fn not_host_cidr(m: &Model, out: &mut Vec<Hit>) {
    for r in sg_rules(m, false) {
        for (key, host) in [("CidrIp", 32u8), ("CidrIpv6", 128u8)] {
            for v in present(r.entry, key) {
                if let Some(s) = text(v).filter(|_| matches!(v.value, crate::node::Value::Str(_))) {
                    match prefix_len(s) {
                        Some(0) | None => {}
                        Some(p) if p < host => out.push(Hit::fail(
                            r.resource,
                            v.pos,
                            format!("ingress CIDR {s} is wider than a single host"),
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
}

fn egress_world(m: &Model, out: &mut Vec<Hit>) {
    for r in sg_rules(m, true) {
        match entry_world(r.entry) {
            Tri::True => {
                if let Some(p) = rule_ports(r.entry) {
                    out.push(Hit::fail(
                        r.resource,
                        r.entry.pos,
                        describe(&r, "egress open to the world", &p),
                    ));
                }
            }
            Tri::Unknown => out.push(Hit::unresolved(
                r.resource,
                r.entry.pos,
                "egress CIDR unresolved",
            )),
            Tri::False => {}
        }
    }
}

fn missing_egress(m: &Model, out: &mut Vec<Hit>) {
    for r in m.of_type("AWS::EC2::SecurityGroup") {
        let inline = !crate::rules::util::lookup(&r.props, "SecurityGroupEgress")
            .iter()
            .any(Option::is_none);
        if !inline && !m.sg_egress.contains_key(&r.id) {
            out.push(Hit::fail(
                &r.id,
                r.pos,
                "security group has no egress rules, so it allows all outbound traffic",
            ));
        }
    }
}

/// NACL ingress entries allowing SSH or RDP from anywhere (protocol -1, 6 or 17 with a
/// port range covering 22 or 3389).
fn nacl_admin_world(m: &Model, out: &mut Vec<Hit>) {
    for r in m.of_type("AWS::EC2::NetworkAclEntry") {
        let p = &r.props;
        let allow = p.get("RuleAction").and_then(text) == Some("allow");
        let egress = p.get("Egress").map(crate::rules::util::truth) == Some(Tri::True);
        if !allow || egress {
            continue;
        }
        let world = present(p, "CidrBlock")
            .iter()
            .chain(present(p, "Ipv6CidrBlock").iter())
            .map(|v| crate::rules::util::world_cidr(v))
            .fold(Tri::False, |a, b| {
                if a == Tri::True || b == Tri::True {
                    Tri::True
                } else if a == Tri::Unknown || b == Tri::Unknown {
                    Tri::Unknown
                } else {
                    Tri::False
                }
            });
        if world == Tri::False {
            continue;
        }
        let proto = p.get("Protocol").and_then(text).unwrap_or("-1");
        let ports = match proto {
            "-1" => Some(Ports {
                from: 0,
                to: 65535,
                unknown: false,
            }),
            "6" | "17" => {
                let n = |k: &str| {
                    p.get("PortRange")
                        .and_then(|r| r.get(k))
                        .and_then(text)
                        .and_then(|t| t.trim().parse::<i64>().ok())
                };
                match (n("From"), n("To")) {
                    (Some(f), Some(t)) => Some(Ports {
                        from: f,
                        to: t,
                        unknown: false,
                    }),
                    _ => Some(Ports {
                        from: 0,
                        to: 65535,
                        unknown: true,
                    }),
                }
            }
            _ => None,
        };
        let Some(ports) = ports else { continue };
        if ports.covers(22) || ports.covers(3389) {
            let msg = "network ACL allows SSH/RDP from the world";
            if world == Tri::Unknown || ports.unknown {
                out.push(Hit::unresolved(
                    &r.id,
                    r.pos,
                    format!("{msg} (unresolved value)"),
                ));
            } else {
                out.push(Hit::fail(&r.id, r.pos, msg));
            }
        }
    }
}

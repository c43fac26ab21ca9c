//! Helpers shared by the rules: property lookup through undecided `Fn::If`s, tri-state
//! scalar tests, port ranges and CIDRs.

use crate::node::{Node, Pos, Value};

/// Where a rule fired, and whether it fired on a value it could not resolve.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub resource: String,
    pub pos: Pos,
    pub message: String,
    pub unresolved: bool,
}

impl Hit {
    pub fn fail(resource: &str, pos: Pos, message: impl Into<String>) -> Hit {
        Hit {
            resource: resource.to_string(),
            pos,
            message: message.into(),
            unresolved: false,
        }
    }

    pub fn unresolved(resource: &str, pos: Pos, message: impl Into<String>) -> Hit {
        Hit {
            resource: resource.to_string(),
            pos,
            message: message.into(),
            unresolved: true,
        }
    }
}

/// Every value a node may take: both branches of an undecided `Fn::If`, flattened.
pub fn alternatives(n: &Node) -> Vec<&Node> {
    match &n.value {
        Value::Alt(alts) => alts.iter().flat_map(alternatives).collect(),
        _ => vec![n],
    }
}

/// All possible values at a dotted path (`*` walks every list item or map value).
/// `None` stands for "absent" in at least one alternative.
pub fn lookup<'n>(n: &'n Node, path: &str) -> Vec<Option<&'n Node>> {
    let mut cur: Vec<Option<&Node>> = vec![Some(n)];
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let mut next = Vec::new();
        for c in cur {
            let Some(c) = c else {
                next.push(None);
                continue;
            };
            for alt in alternatives(c) {
                match &alt.value {
                    Value::Absent | Value::Null => next.push(None),
                    _ if seg == "*" => match &alt.value {
                        Value::Seq(items) => {
                            for i in items {
                                next.extend(alternatives(i).into_iter().map(Some));
                            }
                        }
                        Value::Map(entries) => {
                            next.extend(entries.iter().map(|e| Some(&e.value)));
                        }
                        _ => next.push(Some(alt)),
                    },
                    Value::Map(_) => next.push(alt.get(seg)),
                    Value::Seq(items) => match seg.parse::<usize>() {
                        Ok(i) => next.push(items.get(i)),
                        Err(_) => next.push(None),
                    },
                    // Indexing into an unresolved value yields an unresolved value.
                    Value::Unknown(_) | Value::Opaque(_) => next.push(Some(alt)),
                    _ => next.push(None),
                }
            }
        }
        cur = next;
    }
    cur.into_iter()
        .flat_map(|v| match v {
            Some(n) => alternatives(n)
                .into_iter()
                .map(|a| {
                    if a.value == Value::Absent {
                        None
                    } else {
                        Some(a)
                    }
                })
                .collect(),
            None => vec![None],
        })
        .collect()
}

/// Present values at a path (absent alternatives dropped).
pub fn present<'n>(n: &'n Node, path: &str) -> Vec<&'n Node> {
    lookup(n, path).into_iter().flatten().collect()
}

/// A boolean-ish property value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

pub fn truth(n: &Node) -> Tri {
    match &n.value {
        Value::Bool(true) => Tri::True,
        Value::Bool(false) => Tri::False,
        Value::Str(s) if s.eq_ignore_ascii_case("true") => Tri::True,
        Value::Str(s) if s.eq_ignore_ascii_case("false") => Tri::False,
        Value::Unknown(_) => Tri::Unknown,
        _ => Tri::False,
    }
}

/// Fires when a property that should be true is absent, false or unknown in any alternative.
pub fn require_true(
    r: &crate::model::Resource,
    path: &str,
    default: bool,
    message: &str,
    out: &mut Vec<Hit>,
) {
    for v in lookup(&r.props, path) {
        match v {
            None if !default => {
                out.push(Hit::fail(
                    &r.id,
                    r.pos,
                    format!("{message} ({path} not set)"),
                ));
                return;
            }
            None => {}
            Some(n) => match truth(n) {
                Tri::True => {}
                Tri::False => {
                    out.push(Hit::fail(
                        &r.id,
                        n.pos,
                        format!("{message} ({path} is false)"),
                    ));
                    return;
                }
                Tri::Unknown => {
                    out.push(Hit::unresolved(
                        &r.id,
                        n.pos,
                        format!("{message}: {path} cannot be resolved"),
                    ));
                    return;
                }
            },
        }
    }
}

/// Text of a scalar (for unresolved values, its placeholder rendering).
pub fn text(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Str(s) | Value::Num(s) | Value::Opaque(s) | Value::Unknown(s) => Some(s),
        _ => None,
    }
}

/// Could an unresolved rendering (with `${...}` placeholders) take the value `target`?
pub fn could_be(pattern: &str, target: &str) -> bool {
    // Literal pieces between `${...}` placeholders must appear in order, the first as a
    // prefix and the last as a suffix; placeholders match anything. No regex: this runs for
    // every unresolved value a rule looks at.
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = pattern;
    let mut placeholder = false;
    while let Some(start) = rest.find("${") {
        match rest[start..].find('}') {
            Some(end) => {
                pieces.push(&rest[..start]);
                rest = &rest[start + end + 1..];
                placeholder = true;
            }
            None => break,
        }
    }
    pieces.push(rest);
    if !placeholder {
        return pattern == target;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if target.len() < first.len() + last.len()
        || !target.starts_with(first)
        || !target.ends_with(last)
    {
        return false;
    }
    let mut middle = &target[first.len()..target.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match middle.find(piece) {
            Some(at) => middle = &middle[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Could an unresolved value equal exactly `target`? Like [`could_be`], but a bare parameter
/// with an `AllowedPattern` can only be what its pattern admits. Only for questions about one
/// specific value: "could it be `*`" is not a proxy for "could it be anything" here.
pub fn could_equal(rendering: &str, target: &str) -> bool {
    crate::resolve::pattern::admits(rendering, target)
        .unwrap_or_else(|| could_be(rendering, target))
}

/// Does a string value equal one of `targets`? Unknown values answer `Unknown` when they
/// could, so rules report them as unresolved rather than passing them.
pub fn equals_any(n: &Node, targets: &[&str]) -> Tri {
    match &n.value {
        Value::Str(s) | Value::Num(s) => {
            if targets.iter().any(|t| s == t) {
                Tri::True
            } else {
                Tri::False
            }
        }
        Value::Bool(b) => {
            if targets
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&b.to_string()))
            {
                Tri::True
            } else {
                Tri::False
            }
        }
        Value::Unknown(s) => {
            if targets.iter().any(|t| could_equal(s, t)) {
                Tri::Unknown
            } else {
                Tri::False
            }
        }
        _ => Tri::False,
    }
}

/// Is this CIDR open to the whole internet (IPv4 or IPv6)?
pub fn world_cidr(n: &Node) -> Tri {
    match &n.value {
        Value::Str(s) => {
            let s = s.trim();
            if s == "0.0.0.0/0"
                || s.ends_with("::/0")
                    && s.trim_end_matches("::/0")
                        .chars()
                        .all(|c| c == '0' || c == ':')
            {
                Tri::True
            } else {
                Tri::False
            }
        }
        Value::Unknown(s) => {
            if ["0.0.0.0/0", "::/0", "0::/0"]
                .iter()
                .any(|w| could_equal(s, w))
            {
                Tri::Unknown
            } else {
                Tri::False
            }
        }
        _ => Tri::False,
    }
}

/// Prefix length of an IPv4/IPv6 CIDR string.
pub fn prefix_len(s: &str) -> Option<u8> {
    s.rsplit_once('/').and_then(|(_, p)| p.trim().parse().ok())
}

/// A port range; `None` bounds mean "all ports" (protocol -1 or missing ports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub from: i64,
    pub to: i64,
    /// Whether the bounds are unknown (unresolved parameters).
    pub unknown: bool,
}

impl Ports {
    pub fn covers(&self, port: i64) -> bool {
        self.from <= port && port <= self.to
    }
    pub fn all(&self) -> bool {
        self.from <= 0 && self.to >= 65535
    }
}

fn port_num(n: Option<&Node>) -> Result<Option<i64>, ()> {
    match n.map(|n| &n.value) {
        None => Ok(None),
        Some(Value::Num(s) | Value::Str(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

/// Ports an ingress/egress rule (inline entry or standalone resource properties) opens.
/// Protocol -1 (or "all") opens every port whatever FromPort/ToPort say; ICMP opens none.
pub fn rule_ports(entry: &Node) -> Option<Ports> {
    let proto = entry.get("IpProtocol").and_then(text).unwrap_or("-1");
    let proto_unknown = matches!(
        entry.get("IpProtocol").map(|n| &n.value),
        Some(Value::Unknown(_))
    );
    if proto_unknown {
        return Some(Ports {
            from: 0,
            to: 65535,
            unknown: true,
        });
    }
    match proto.to_ascii_lowercase().as_str() {
        "-1" | "all" => {
            return Some(Ports {
                from: 0,
                to: 65535,
                unknown: false,
            })
        }
        "icmp" | "1" | "icmpv6" | "58" => return None,
        _ => {}
    }
    match (
        port_num(entry.get("FromPort")),
        port_num(entry.get("ToPort")),
    ) {
        (Ok(f), Ok(t)) => {
            let (from, to) = match (f, t) {
                (Some(f), Some(t)) => (f, t),
                (Some(f), None) => (f, f),
                (None, Some(t)) => (t, t),
                (None, None) => (0, 65535),
            };
            // -1 on tcp/udp means every port.
            if from == -1 || to == -1 {
                Some(Ports {
                    from: 0,
                    to: 65535,
                    unknown: false,
                })
            } else {
                Some(Ports {
                    from,
                    to,
                    unknown: false,
                })
            }
        }
        _ => Some(Ports {
            from: 0,
            to: 65535,
            unknown: true,
        }),
    }
}

/// Does an ingress entry allow traffic from anywhere? Checks CidrIp and CidrIpv6.
pub fn entry_world(entry: &Node) -> Tri {
    let mut res = Tri::False;
    for key in ["CidrIp", "CidrIpv6"] {
        for v in present(entry, key) {
            match world_cidr(v) {
                Tri::True => return Tri::True,
                Tri::Unknown => res = Tri::Unknown,
                Tri::False => {}
            }
        }
    }
    res
}

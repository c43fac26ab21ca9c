//! Structured checks: a property path, an operator and a value, with port-range and CIDR
//! semantics, evaluated over every alternative of undecided conditions.

use regex::Regex;

use super::util::{self, lookup, Hit, Tri};
use crate::model::Resource;
use crate::node::{Node, Value};

#[derive(Debug, Clone)]
pub enum Operator {
    /// Fires when the property is absent (in any alternative).
    Absent,
    /// Fires when the property is present.
    Present,
    Equals(Vec<String>),
    NotEquals(Vec<String>),
    Matches(Regex),
    NotMatches(Regex),
    /// Fires when the value is a CIDR open to the world (0.0.0.0/0 or ::/0).
    WorldCidr,
    /// Fires when the value is a CIDR wider than the given prefix length.
    WiderThan(u8),
    /// On ingress entries: fires when open to the world on any of these ports.
    PortOpen(Vec<i64>),
    /// Numeric comparisons.
    LessThan(f64),
    GreaterThan(f64),
}

/// One test of a structured rule; a rule fires when all its conditions fire.
#[derive(Debug, Clone)]
pub struct Condition {
    pub path: String,
    pub op: Operator,
    /// Value assumed when the property is absent.
    pub default: Option<String>,
}

enum Outcome {
    Fire(Option<crate::node::Pos>),
    Unresolved(Option<crate::node::Pos>),
    No,
}

fn scalar_eq(n: &Node, wanted: &[String]) -> Tri {
    let targets: Vec<&str> = wanted.iter().map(String::as_str).collect();
    match &n.value {
        Value::Bool(b) => {
            if wanted
                .iter()
                .any(|w| w.eq_ignore_ascii_case(&b.to_string()))
            {
                Tri::True
            } else {
                Tri::False
            }
        }
        Value::Str(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
            if wanted.iter().any(|w| w.eq_ignore_ascii_case(s)) {
                Tri::True
            } else {
                Tri::False
            }
        }
        _ => util::equals_any(n, &targets),
    }
}

fn test(cond: &Condition, v: Option<&Node>) -> Outcome {
    let default_node;
    let v = match (v, &cond.default) {
        (None, Some(d)) => {
            default_node = Node::str(d.clone(), Default::default());
            Some(&default_node)
        }
        _ => v,
    };
    let pos = v.map(|n| n.pos).filter(|p| p.line > 0);
    let tri = match (&cond.op, v) {
        (Operator::Absent, None) => Tri::True,
        (Operator::Absent, Some(_)) => Tri::False,
        (Operator::Present, v) => {
            if v.is_some() {
                Tri::True
            } else {
                Tri::False
            }
        }
        (_, None) => match &cond.op {
            Operator::NotEquals(_) | Operator::NotMatches(_) => Tri::True,
            _ => Tri::False,
        },
        (Operator::Equals(w), Some(n)) => scalar_eq(n, w),
        (Operator::NotEquals(w), Some(n)) => match scalar_eq(n, w) {
            Tri::True => Tri::False,
            Tri::False => {
                if matches!(n.value, Value::Unknown(_)) {
                    Tri::Unknown
                } else {
                    Tri::True
                }
            }
            Tri::Unknown => Tri::Unknown,
        },
        (Operator::Matches(re), Some(n)) => match (&n.value, util::text(n)) {
            (Value::Unknown(_), _) => Tri::Unknown,
            (_, Some(t)) if re.is_match(t) => Tri::True,
            _ => Tri::False,
        },
        (Operator::NotMatches(re), Some(n)) => match (&n.value, util::text(n)) {
            (Value::Unknown(_), _) => Tri::Unknown,
            (_, Some(t)) if re.is_match(t) => Tri::False,
            _ => Tri::True,
        },
        (Operator::WorldCidr, Some(n)) => util::world_cidr(n),
        (Operator::WiderThan(bits), Some(n)) => match &n.value {
            Value::Str(s) => match util::prefix_len(s) {
                Some(p) if p < *bits => Tri::True,
                _ => Tri::False,
            },
            Value::Unknown(_) => Tri::Unknown,
            _ => Tri::False,
        },
        (Operator::PortOpen(ports), Some(n)) => match util::entry_world(n) {
            Tri::False => Tri::False,
            world => match util::rule_ports(n) {
                None => Tri::False,
                Some(p) => {
                    if ports.iter().any(|x| p.covers(*x)) {
                        if p.unknown || world == Tri::Unknown {
                            Tri::Unknown
                        } else {
                            Tri::True
                        }
                    } else {
                        Tri::False
                    }
                }
            },
        },
        (Operator::LessThan(x) | Operator::GreaterThan(x), Some(n)) => {
            match (
                &n.value,
                util::text(n).and_then(|t| t.trim().parse::<f64>().ok()),
            ) {
                (Value::Unknown(_), _) => Tri::Unknown,
                (_, Some(v)) => {
                    let fire = match cond.op {
                        Operator::LessThan(_) => v < *x,
                        _ => v > *x,
                    };
                    if fire {
                        Tri::True
                    } else {
                        Tri::False
                    }
                }
                _ => Tri::False,
            }
        }
    };
    match tri {
        Tri::True => Outcome::Fire(pos),
        Tri::Unknown => Outcome::Unresolved(pos),
        Tri::False => Outcome::No,
    }
}

/// Fire when each condition fires on at least one alternative. Any unresolved condition
/// (and none that decidedly does not fire) makes the result unresolved.
pub fn evaluate(r: &Resource, conds: &[Condition], message: &str) -> Option<Hit> {
    let mut pos = None;
    let mut unresolved = false;
    for c in conds {
        let path = c.path.strip_prefix("Properties.").unwrap_or(&c.path);
        let values = if path == "Properties" || path.is_empty() {
            vec![Some(&r.props)]
        } else {
            lookup(&r.props, path)
        };
        let mut fired = false;
        let mut unknown = false;
        for v in values {
            match test(c, v) {
                Outcome::Fire(p) => {
                    fired = true;
                    pos = pos.or(p);
                    break;
                }
                Outcome::Unresolved(p) => {
                    unknown = true;
                    pos = pos.or(p);
                }
                Outcome::No => {}
            }
        }
        if !fired {
            if unknown {
                unresolved = true;
            } else {
                return None;
            }
        }
    }
    let pos = pos.unwrap_or(r.pos);
    Some(if unresolved {
        Hit::unresolved(&r.id, pos, format!("{message} (value cannot be resolved)"))
    } else {
        Hit::fail(&r.id, pos, message.to_string())
    })
}

//! Building a [`Resolver`]: what each template parameter stands for, from a supplied value,
//! its `Default`, its type or its `AllowedValues`, and the `AllowedPattern`s of those left
//! without one (see [`super::pattern`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::context::{count64, Param, Resolver};
use super::pattern;
use crate::budget::Meter;
use crate::node::{Node, Pos, Value};

/// Steps charged for compiling one `AllowedPattern` (on top of its length): compiling is
/// the most expensive thing a parameter can ask for.
const PATTERN_STEPS: u64 = 256;

/// Most AllowedValues turned into alternatives (beyond that, the value is unknown).
const MAX_ALLOWED_ALTERNATIVES: usize = 32;

/// What a parameter without a supplied value stands for.
fn unsupplied_value(
    name: &str,
    ty: &str,
    default: Option<&Node>,
    allowed: Option<&Node>,
    pos: Pos,
) -> Option<Node> {
    // The Default of an SSM parameter type is the SSM parameter's name, not its value.
    if ty.starts_with("AWS::SSM::Parameter::") {
        return Some(Node::new(Value::Unknown(format!("${{{name}}}")), pos));
    }
    if let Some(d) = default {
        return Some(d.clone());
    }
    // AWS-specific types (VPC id, key pair, security group id, ...) name existing resources:
    // concrete identifiers, never wildcards or CIDRs.
    if ty.starts_with("AWS::") || ty.starts_with("List<AWS::") {
        return Some(Node::new(Value::Opaque(format!("${{{name}}}")), pos));
    }
    // Without a default the deployer must pick one of AllowedValues: rules see them all.
    let allowed: Vec<Node> = allowed?
        .items()
        .iter()
        .filter(|v| v.scalar_text().is_some())
        .cloned()
        .collect();
    match allowed.len() {
        0 => None,
        1 => allowed.into_iter().next(),
        n if n <= MAX_ALLOWED_ALTERNATIVES => Some(Node::new(Value::Alt(allowed), pos)),
        _ => None,
    }
}

impl<'a> Resolver<'a> {
    /// A resolver without budgets (for tests and trusted input).
    pub fn new(root: &'a Node, supplied: &HashMap<String, String>) -> Self {
        Resolver::with_meter(root, supplied, Meter::unlimited())
    }

    /// A resolver whose work is charged to `meter`.
    pub fn with_meter(root: &'a Node, supplied: &HashMap<String, String>, meter: Meter) -> Self {
        let mut params = HashMap::new();
        let mut patterns = HashMap::new();
        if let Some(ps) = root.get("Parameters") {
            for e in ps.entries() {
                let def = e.value.get("Default");
                let no_echo = e
                    .value
                    .get("NoEcho")
                    .and_then(Node::scalar_text)
                    .is_some_and(|t| t.eq_ignore_ascii_case("true"));
                let ty = e
                    .value
                    .get("Type")
                    .and_then(Node::as_str)
                    .unwrap_or("String");
                let list = ty.starts_with("List<") || ty == "CommaDelimitedList";
                let value = match supplied.get(&e.key) {
                    Some(v) => Some(Node::str(v.clone(), e.key_pos)),
                    None => {
                        unsupplied_value(&e.key, ty, def, e.value.get("AllowedValues"), e.key_pos)
                    }
                };
                let value = value.map(|v| match (&v.value, list) {
                    (Value::Str(s), true) => Node::new(
                        Value::Seq(s.split(',').map(|p| Node::str(p.trim(), v.pos)).collect()),
                        v.pos,
                    ),
                    _ => v,
                });
                if value.is_none() && ty == "String" {
                    let pat = e.value.get("AllowedPattern").and_then(Node::as_str);
                    if let Some(p) = pat {
                        if meter.charge(PATTERN_STEPS + count64(p.len()), e.key_pos) {
                            if let Some(re) = pattern::compile(p) {
                                patterns.insert(e.key.clone(), re);
                            }
                        }
                    }
                }
                params.insert(
                    e.key.clone(),
                    Param {
                        value,
                        has_default: def.is_some(),
                        no_echo,
                        list,
                    },
                );
            }
        }
        let resources = root
            .get("Resources")
            .map(|r| r.entries().iter().map(|e| e.key.clone()).collect())
            .unwrap_or_default();
        Resolver {
            params,
            resources,
            mappings: root.get("Mappings"),
            conditions: root.get("Conditions"),
            memo: RefCell::new(HashMap::new()),
            cond_depth: Cell::new(0),
            locals: HashMap::new(),
            patterns,
            meter,
        }
    }
}

//! Intrinsic-function resolution: what a property will be at deploy time, as far as the
//! template (and supplied parameter values) can tell.
//!
//! Values that identify something concrete but unknown (a resource's `Ref`, `AWS::Region`)
//! become [`Value::Opaque`]; values that could be anything become [`Value::Unknown`], so a rule
//! can report them as unresolved instead of assuming them safe. An undecidable `Fn::If` becomes
//! [`Value::Alt`] holding both branches; conditions are decided one at a time and memoised, so
//! nothing is ever enumerated over combinations.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

mod conditions;
pub mod pattern;

use conditions::CondState;

use crate::budget::Meter;
use crate::node::{Entry, Node, Pos, Value};

/// Deepest intrinsic nesting followed; deeper values become unknown instead of recursing.
const MAX_DEPTH: usize = 64;

/// A template parameter as the resolver sees it.
#[derive(Debug, Clone)]
pub struct Param {
    pub value: Option<Node>,
    pub has_default: bool,
    pub no_echo: bool,
    pub list: bool,
}

/// Resolution context for one template.
pub struct Resolver<'a> {
    pub params: HashMap<String, Param>,
    pub resources: HashSet<String>,
    mappings: Option<&'a Node>,
    conditions: Option<&'a Node>,
    memo: RefCell<HashMap<String, CondState>>,
    /// Named conditions being decided right now (conditions can chain through `Condition`).
    cond_depth: std::cell::Cell<usize>,
    /// Extra names bound while resolving (e.g. an `Fn::ForEach` identifier).
    pub locals: HashMap<String, Node>,
    /// `AllowedPattern`s of String parameters that have no value (see [`pattern`]).
    pub patterns: HashMap<String, regex::Regex>,
    /// Steps and deadline. Once a budget is exceeded every further resolution is an unknown
    /// value produced in constant time, and the caller reports the budget error.
    pub meter: Meter,
}

/// Steps charged for compiling one `AllowedPattern` (on top of its length): compiling is
/// the most expensive thing a parameter can ask for.
const PATTERN_STEPS: u64 = 256;

/// Nodes and bytes of text in `n`, counted up to `cap` (so measuring never costs more than
/// the budget that remains).
fn cost(n: &Node, cap: u64) -> u64 {
    fn walk(n: &Node, acc: &mut u64, cap: u64) {
        if *acc > cap {
            return;
        }
        *acc = acc.saturating_add(1);
        match &n.value {
            Value::Str(s) | Value::Num(s) | Value::Opaque(s) | Value::Unknown(s) => {
                *acc = acc.saturating_add(u64::try_from(s.len() / 64).unwrap_or(u64::MAX));
            }
            Value::Seq(items) | Value::Alt(items) => {
                for i in items {
                    walk(i, acc, cap);
                }
            }
            Value::Map(entries) => {
                for e in entries {
                    *acc = acc.saturating_add(u64::try_from(e.key.len() / 64).unwrap_or(0));
                    walk(&e.value, acc, cap);
                }
            }
            Value::Null | Value::Bool(_) | Value::Absent => {}
        }
    }
    let mut acc = 0;
    walk(n, &mut acc, cap);
    acc
}

fn count64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

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
            cond_depth: std::cell::Cell::new(0),
            locals: HashMap::new(),
            patterns,
            meter,
        }
    }

    /// Charge for copying `n`; `false` when a budget is exceeded.
    fn charge_copy(&self, n: &Node) -> bool {
        self.meter.charge(cost(n, self.meter.remaining()), n.pos)
    }

    /// A copy of `n` at `pos`, charged; unknown when a budget is exceeded.
    fn copy_at(&self, n: &Node, pos: Pos) -> Node {
        if self.charge_copy(n) {
            Node::new(n.value.clone(), pos)
        } else {
            Self::exhausted(pos)
        }
    }

    /// What resolution yields once a budget is exceeded (the audit reports the budget).
    fn exhausted(pos: Pos) -> Node {
        Node::new(Value::Unknown("${...}".into()), pos)
    }

    /// A string node built by resolution, charged by its length.
    fn built(&self, kind: Kind, text: String, pos: Pos) -> Node {
        if self.meter.charge_text(text.len(), pos) {
            kind.node(text, pos)
        } else {
            Self::exhausted(pos)
        }
    }

    /// Resolve every intrinsic in `n`.
    pub fn resolve(&self, n: &Node) -> Node {
        self.res(n, 0)
    }

    fn res(&self, n: &Node, depth: usize) -> Node {
        if !self.meter.charge(1, n.pos) {
            return Self::exhausted(n.pos);
        }
        if depth > MAX_DEPTH {
            return Node::new(Value::Unknown("${...}".into()), n.pos);
        }
        if let Some((name, arg)) = n.intrinsic() {
            if let Some(v) = self.intrinsic(name, arg, n.pos, depth + 1) {
                return v;
            }
        }
        match &n.value {
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    let v = self.res(&e.value, depth + 1);
                    if v.value != Value::Absent {
                        out.push(Entry {
                            key: e.key.clone(),
                            key_pos: e.key_pos,
                            value: v,
                        });
                    }
                }
                Node::new(Value::Map(out), n.pos)
            }
            Value::Seq(items) => {
                let out = items
                    .iter()
                    .map(|i| self.res(i, depth + 1))
                    .filter(|v| v.value != Value::Absent)
                    .collect();
                Node::new(Value::Seq(out), n.pos)
            }
            _ => self.copy_at(n, n.pos),
        }
    }

    fn unknown(text: impl Into<String>, pos: Pos) -> Node {
        Node::new(Value::Unknown(text.into()), pos)
    }

    /// Resolve one intrinsic; `None` leaves the map as plain data (e.g. `Condition` keys).
    fn intrinsic(&self, name: &str, arg: &Node, pos: Pos, depth: usize) -> Option<Node> {
        Some(match name {
            "Ref" => match arg.as_str() {
                Some(r) => self.reference(r, pos),
                None => Self::unknown("${Ref}", pos),
            },
            "Fn::GetAtt" => {
                let target = match &arg.value {
                    Value::Str(s) => s.split('.').next().unwrap_or_default().to_string(),
                    Value::Seq(items) => items
                        .first()
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    _ => String::new(),
                };
                let text = format!("${{{}}}", getatt_text(arg));
                if self.resources.contains(&target) {
                    Node::new(Value::Opaque(text), pos)
                } else {
                    Self::unknown(text, pos)
                }
            }
            "Fn::Sub" => self.sub(arg, pos, depth),
            "Fn::Join" => {
                let items = arg.items();
                let (Some(delim), Some(list)) = (items.first(), items.get(1)) else {
                    return Some(Self::unknown("${Fn::Join}", pos));
                };
                let delim = delim.as_str().unwrap_or_default();
                let list = self.res(list, depth);
                match &list.value {
                    Value::Seq(parts) => {
                        let mut kind = Kind::Known;
                        let texts: Vec<String> = parts
                            .iter()
                            .map(|p| {
                                let (t, k) = text_of(p);
                                kind = kind.max(k);
                                t
                            })
                            .collect();
                        self.built(kind, texts.join(delim), pos)
                    }
                    Value::Opaque(t) => Node::new(Value::Opaque(t.clone()), pos),
                    _ => Self::unknown("${Fn::Join}", pos),
                }
            }
            "Fn::Select" => {
                let items = arg.items();
                let (Some(idx), Some(list)) = (items.first(), items.get(1)) else {
                    return Some(Self::unknown("${Fn::Select}", pos));
                };
                let idx = self.res(idx, depth);
                let list = self.res(list, depth);
                match (
                    idx.scalar_text().and_then(|t| t.parse::<usize>().ok()),
                    &list.value,
                ) {
                    (Some(i), Value::Seq(v)) => match v.get(i) {
                        Some(x) => self.copy_at(x, x.pos),
                        None => Self::unknown("${Fn::Select}", pos),
                    },
                    (_, Value::Opaque(t)) => Node::new(Value::Opaque(t.clone()), pos),
                    _ => Self::unknown("${Fn::Select}", pos),
                }
            }
            "Fn::Split" => {
                let items = arg.items();
                let (Some(delim), Some(src)) = (items.first(), items.get(1)) else {
                    return Some(Self::unknown("${Fn::Split}", pos));
                };
                let src = self.res(src, depth);
                match (delim.as_str(), &src.value) {
                    (Some(d), Value::Str(s)) if !d.is_empty() => {
                        let parts = count64(s.split(d).count());
                        if !self.meter.charge(parts, pos) || !self.meter.charge_text(s.len(), pos) {
                            return Some(Self::exhausted(pos));
                        }
                        Node::new(
                            Value::Seq(s.split(d).map(|p| Node::str(p, pos)).collect()),
                            pos,
                        )
                    }
                    (_, Value::Opaque(t)) => Node::new(Value::Opaque(t.clone()), pos),
                    _ => Self::unknown("${Fn::Split}", pos),
                }
            }
            "Fn::FindInMap" => self.find_in_map(arg, pos, depth),
            "Fn::If" => {
                let items = arg.items();
                let (Some(cond), Some(a), Some(b)) = (items.first(), items.get(1), items.get(2))
                else {
                    return Some(Self::unknown("${Fn::If}", pos));
                };
                match cond.as_str().and_then(|c| self.condition_at(c, depth)) {
                    Some(true) => self.res(a, depth),
                    Some(false) => self.res(b, depth),
                    None => {
                        let a = self.res(a, depth);
                        let b = self.res(b, depth);
                        if a.value == b.value {
                            a
                        } else {
                            let mut alts = Vec::new();
                            for x in [a, b] {
                                match x.value {
                                    Value::Alt(inner) => alts.extend(inner),
                                    _ => alts.push(x),
                                }
                            }
                            Node::new(Value::Alt(alts), pos)
                        }
                    }
                }
            }
            "Fn::Base64" => self.res(arg, depth),
            "Fn::GetAZs" => Node::new(Value::Opaque("${Fn::GetAZs}".into()), pos),
            "Fn::Cidr" => Node::new(Value::Opaque("${Fn::Cidr}".into()), pos),
            "Fn::ImportValue" => Self::unknown("${Fn::ImportValue}", pos),
            "Fn::Length" => match self.res(arg, depth).value {
                Value::Seq(v) => Node::new(Value::Num(v.len().to_string()), pos),
                _ => Self::unknown("${Fn::Length}", pos),
            },
            "Fn::ToJsonString" => {
                let v = self.res(arg, depth);
                if self.meter.tripped() {
                    return Some(Self::exhausted(pos));
                }
                self.built(Kind::Known, v.to_json().to_string(), pos)
            }
            // Condition functions only mean something inside Conditions; keep them as data.
            "Condition" | "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => return None,
            other => Self::unknown(format!("${{{other}}}"), pos),
        })
    }

    /// Value of `Ref: name`.
    pub fn reference(&self, name: &str, pos: Pos) -> Node {
        if let Some(v) = self.locals.get(name) {
            return self.copy_at(v, pos);
        }
        if let Some(p) = self.params.get(name) {
            return match &p.value {
                // Defaults are literals; not resolving them also rules out `Ref` cycles.
                Some(v) => self.copy_at(v, pos),
                None => Self::unknown(format!("${{{name}}}"), pos),
            };
        }
        if self.resources.contains(name) {
            return Node::new(Value::Opaque(format!("${{{name}}}")), pos);
        }
        match name {
            "AWS::NoValue" => Node::new(Value::Absent, pos),
            "AWS::Partition" => Node::str("aws", pos),
            "AWS::URLSuffix" => Node::str("amazonaws.com", pos),
            n if n.starts_with("AWS::") => Node::new(Value::Opaque(format!("${{{n}}}")), pos),
            _ => Self::unknown(format!("${{{name}}}"), pos),
        }
    }

    fn sub(&self, arg: &Node, pos: Pos, depth: usize) -> Node {
        let (template, vars) = match &arg.value {
            Value::Str(s) => (s.as_str(), None),
            Value::Seq(items) => match items.first().and_then(Node::as_str) {
                Some(s) => (s, items.get(1)),
                None => return Self::unknown("${Fn::Sub}", pos),
            },
            _ => return Self::unknown("${Fn::Sub}", pos),
        };
        if !self.meter.charge_text(template.len(), pos) {
            return Self::exhausted(pos);
        }
        let var_count = count64(vars.map_or(0, |v| v.entries().len()));
        let mut out = String::with_capacity(template.len());
        let mut kind = Kind::Known;
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let var = &after[..end];
            rest = &after[end + 1..];
            if let Some(lit) = var.strip_prefix('!') {
                // `${!Literal}` is an escaped literal `${Literal}`.
                out.push_str("${");
                out.push_str(lit);
                out.push('}');
                continue;
            }
            // Each lookup scans the variable map.
            if !self.meter.charge(var_count, pos) {
                return Self::exhausted(pos);
            }
            let value = match vars.and_then(|v| v.get(var)) {
                Some(v) => self.res(v, depth),
                None if var.contains('.') => {
                    let target = var.split('.').next().unwrap_or_default();
                    if self.resources.contains(target) {
                        Node::new(Value::Opaque(format!("${{{var}}}")), pos)
                    } else {
                        Self::unknown(format!("${{{var}}}"), pos)
                    }
                }
                None => self.reference(var, pos),
            };
            let (t, k) = text_of(&value);
            kind = kind.max(k);
            // The text grows with every substitution: charge it as it is built.
            if !self.meter.charge_text(t.len(), pos) {
                return Self::exhausted(pos);
            }
            out.push_str(&t);
        }
        out.push_str(rest);
        kind.node(out, pos)
    }

    fn find_in_map(&self, arg: &Node, pos: Pos, depth: usize) -> Node {
        let items = arg.items();
        let keys: Vec<Node> = items.iter().take(3).map(|k| self.res(k, depth)).collect();
        let (Some(map), Some(top), Some(second)) = (keys.first(), keys.get(1), keys.get(2)) else {
            return Self::unknown("${Fn::FindInMap}", pos);
        };
        if self.meter.tripped() {
            return Self::exhausted(pos);
        }
        // Lookups scan the mapping's entries: charge the scan, not just the call.
        let mappings = self.mappings.map_or(0, |m| m.entries().len());
        if !self.meter.charge(count64(mappings), pos) {
            return Self::exhausted(pos);
        }
        let Some(mapping) = map.as_str().and_then(|m| self.mappings?.get(m)) else {
            return Self::unknown("${Fn::FindInMap}", pos);
        };
        let second = second.scalar_text();
        match (top.scalar_text(), second) {
            (Some(t), Some(s)) => {
                let top = mapping.get(&t);
                let scanned = mapping.entries().len() + top.map_or(0, |m| m.entries().len());
                if !self.meter.charge(count64(scanned), pos) {
                    return Self::exhausted(pos);
                }
                match top.and_then(|m| m.get(&s)) {
                    Some(v) => self.res(v, depth),
                    None => Self::unknown("${Fn::FindInMap}", pos),
                }
            }
            // Top key unknown (typically the region): if every entry agrees, that is the value.
            (None, Some(s)) => {
                let scanned: usize = mapping
                    .entries()
                    .iter()
                    .map(|e| 1 + e.value.entries().len())
                    .sum();
                if !self.meter.charge(count64(scanned), pos) {
                    return Self::exhausted(pos);
                }
                let mut values = mapping.entries().iter().filter_map(|e| e.value.get(&s));
                match values.next() {
                    Some(first) => {
                        // Every comparison may walk the whole value.
                        let each = cost(first, self.meter.remaining());
                        let mut agree = true;
                        for v in values {
                            if !self.meter.charge(each, pos) {
                                return Self::exhausted(pos);
                            }
                            if v.value != first.value {
                                agree = false;
                                break;
                            }
                        }
                        if agree {
                            self.res(first, depth)
                        } else {
                            Self::unknown("${Fn::FindInMap}", pos)
                        }
                    }
                    None => Self::unknown("${Fn::FindInMap}", pos),
                }
            }
            _ => Self::unknown("${Fn::FindInMap}", pos),
        }
    }
}

fn getatt_text(arg: &Node) -> String {
    match &arg.value {
        Value::Str(s) => s.clone(),
        Value::Seq(items) => items
            .iter()
            .map(|i| i.scalar_text().unwrap_or_else(|| "?".into()))
            .collect::<Vec<_>>()
            .join("."),
        _ => "?".into(),
    }
}

/// How much is known about a string assembled from parts.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Known,
    Opaque,
    Unknown,
}

impl Kind {
    fn node(self, text: String, pos: Pos) -> Node {
        Node::new(
            match self {
                Kind::Known => Value::Str(text),
                Kind::Opaque => Value::Opaque(text),
                Kind::Unknown => Value::Unknown(text),
            },
            pos,
        )
    }
}

fn text_of(n: &Node) -> (String, Kind) {
    match &n.value {
        Value::Str(s) | Value::Num(s) => (s.clone(), Kind::Known),
        Value::Bool(b) => (b.to_string(), Kind::Known),
        Value::Opaque(s) => (s.clone(), Kind::Opaque),
        Value::Unknown(s) => (s.clone(), Kind::Unknown),
        Value::Absent | Value::Null => (String::new(), Kind::Known),
        _ => ("${...}".into(), Kind::Unknown),
    }
}

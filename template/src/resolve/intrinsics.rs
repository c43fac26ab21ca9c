//! Evaluating intrinsic functions (`Ref`, `Fn::Sub`, `Fn::Join`, `Fn::FindInMap`, `Fn::If`,
//! ...) over a node tree, and the strings they assemble from known, opaque and unknown parts.

use super::context::{cost, count64, Resolver, MAX_DEPTH};
use crate::node::{Entry, Node, Pos, Value};

impl Resolver<'_> {
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

    pub(super) fn res(&self, n: &Node, depth: usize) -> Node {
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

//! The audited view of one template: its resources with resolved properties, the standalone
//! security-group rules attached to their groups, and per-resource problems that did not stop
//! the audit (a non-string `Type`, an `Fn::ForEach` block, ...).

use std::collections::HashMap;

use crate::budget::{Budget, Deadline, Exceeded, Limits, Meter};
use crate::node::{Node, Pos, Value};
use crate::resolve::Resolver;

/// A problem with part of a template that is reported but does not abort the audit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Issue {
    pub resource: Option<String>,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// One resource as rules see it.
#[derive(Debug, Clone)]
pub struct Resource<'a> {
    pub id: String,
    pub kind: String,
    /// Position of the logical id key.
    pub pos: Pos,
    /// Properties after intrinsic resolution (an empty map when absent).
    pub props: Node,
    /// Properties as written (to see where a value came from, e.g. a `Ref` to a parameter).
    /// Borrowed from the document: `Fn::ForEach` copies must not multiply the template.
    pub raw_props: &'a Node,
    pub metadata: Option<&'a Node>,
}

/// Properties of a resource that has none.
static NO_PROPERTIES: Node = Node {
    value: Value::Map(Vec::new()),
    pos: Pos { line: 0, col: 0 },
};

/// A parsed, resolved template.
pub struct Model<'a> {
    pub root: &'a Node,
    pub resources: Vec<Resource<'a>>,
    pub issues: Vec<Issue>,
    pub resolver: Resolver<'a>,
    /// Security group logical id -> indices of standalone ingress resources targeting it.
    pub sg_ingress: HashMap<String, Vec<usize>>,
    pub sg_egress: HashMap<String, Vec<usize>>,
    /// Most resources, after `Fn::ForEach` expansion.
    max_resources: u64,
}

/// `${Id}` becomes the item; `&{Id}` the item with non-alphanumerics removed.
fn substitute_key(key: &str, ident: &str, item: &str) -> String {
    let alnum: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
    key.replace(&format!("${{{ident}}}"), item)
        .replace(&format!("&{{{ident}}}"), &alnum)
}

fn issue(resource: Option<&str>, pos: Pos, message: impl Into<String>) -> Issue {
    Issue {
        resource: resource.map(str::to_string),
        line: pos.line,
        col: pos.col,
        message: message.into(),
    }
}

/// The logical id a `Ref`/`GetAtt` points at, if the node is one.
pub fn referenced_id(n: &Node) -> Option<&str> {
    match n.intrinsic()? {
        ("Ref", a) => a.as_str(),
        ("Fn::GetAtt", a) => match &a.value {
            Value::Seq(items) => items.first()?.as_str(),
            Value::Str(s) => s.split('.').next(),
            _ => None,
        },
        _ => None,
    }
}

impl<'a> Model<'a> {
    /// Resolve a parsed template within `limits` (resources, steps) and `deadline`.
    pub fn build(
        root: &'a Node,
        supplied: &HashMap<String, String>,
        limits: &Limits,
        deadline: Deadline,
    ) -> Result<Model<'a>, Exceeded> {
        let meter = Meter::new(limits.steps, deadline);
        let resolver = Resolver::with_meter(root, supplied, meter);
        let mut m = Model {
            root,
            resources: Vec::new(),
            issues: Vec::new(),
            resolver,
            sg_ingress: HashMap::new(),
            sg_egress: HashMap::new(),
            max_resources: limits.resources,
        };
        m.build_inner(supplied);
        match m.resolver.meter.exceeded() {
            Some(e) => Err(e),
            None => Ok(m),
        }
    }

    /// A budget has run out: stop adding work.
    fn stopped(&self) -> bool {
        self.resolver.meter.tripped()
    }

    fn build_inner(&mut self, supplied: &HashMap<String, String>) {
        let m = self;
        let root = m.root;
        if !root.is_map() {
            m.issues
                .push(issue(None, root.pos, "template is not a mapping"));
            return;
        }
        match root.get("Resources") {
            None => m
                .issues
                .push(issue(None, root.pos, "template has no Resources section")),
            Some(res) if !res.is_map() => {
                m.issues
                    .push(issue(None, res.pos, "Resources section is not a mapping"))
            }
            Some(res) => {
                for e in res.entries() {
                    if m.stopped() {
                        return;
                    }
                    if let Some(name) = e.key.strip_prefix("Fn::ForEach::") {
                        m.for_each(name, &e.value, e.key_pos);
                    } else {
                        m.add_resource(&e.key, &e.value, e.key_pos);
                    }
                }
            }
        }
        m.check_parameters(supplied);
        m.note_transforms();
        m.attach_sg_rules();
    }

    /// Refuse the resource that would go past the resources budget.
    fn over_resources(&self, adding: u64, pos: Pos, what: impl FnOnce() -> String) -> bool {
        let total = u64::try_from(self.resources.len())
            .unwrap_or(u64::MAX)
            .saturating_add(adding);
        if total > self.max_resources {
            self.resolver.meter.trip(Exceeded::new(
                Budget::Resources,
                self.max_resources,
                pos,
                what(),
            ));
            return true;
        }
        false
    }

    /// A `Default` or supplied value that breaks the parameter's own `AllowedPattern` or
    /// `AllowedValues` makes CloudFormation reject the stack: report it.
    fn check_parameters(&mut self, supplied: &HashMap<String, String>) {
        let Some(ps) = self.root.get("Parameters") else {
            return;
        };
        for e in ps.entries() {
            // Checking compiles the parameter's AllowedPattern: charge it like resolution.
            let pattern = e.value.get("AllowedPattern").and_then(Node::as_str);
            let cost = pattern.map_or(1, |p| 256 + u64::try_from(p.len()).unwrap_or(u64::MAX));
            if !self.resolver.meter.charge(cost, e.key_pos) {
                return;
            }
            let ty = e
                .value
                .get("Type")
                .and_then(Node::as_str)
                .unwrap_or("String");
            // AWS-specific and SSM types are validated by CloudFormation against AWS, not here.
            if ty.starts_with("AWS::") || ty.starts_with("List<") {
                continue;
            }
            let list = ty == "CommaDelimitedList";
            let (value, pos, what) = match supplied.get(&e.key) {
                Some(v) => (v.clone(), e.key_pos, "supplied value"),
                None => match e.value.get("Default") {
                    Some(d) => match d.scalar_text() {
                        Some(t) => (t, d.pos, "Default"),
                        None => continue,
                    },
                    None => continue,
                },
            };
            if let Some(why) = crate::resolve::pattern::violation(&e.value, &value, list) {
                self.issues.push(issue(
                    None,
                    pos,
                    format!(
                        "parameter {}: {what} {why}; CloudFormation rejects the stack with it",
                        e.key
                    ),
                ));
            }
        }
    }

    /// Macros run at deploy time; say which ones were not expanded (what they generate is
    /// not audited). AWS::LanguageExtensions' Fn::ForEach is handled here.
    fn note_transforms(&mut self) {
        let Some(t) = self.root.get("Transform") else {
            return;
        };
        let names: Vec<String> = match &t.value {
            Value::Seq(items) => items.iter().filter_map(Node::scalar_text).collect(),
            _ => t.scalar_text().into_iter().collect(),
        };
        for n in names
            .iter()
            .filter(|n| n.as_str() != "AWS::LanguageExtensions")
        {
            self.issues.push(issue(
                None,
                t.pos,
                format!("Transform {n} is not expanded; resources it generates are not audited"),
            ));
        }
    }

    fn add_resource(&mut self, id: &str, body: &'a Node, pos: Pos) {
        if self.stopped() {
            return;
        }
        if self.over_resources(1, pos, || {
            format!("resource {id} is one more than the template may define")
        }) {
            return;
        }
        if !body.is_map() {
            self.issues.push(issue(
                Some(id),
                pos,
                "resource definition is not a mapping; not audited",
            ));
            return;
        }
        let kind = match body.get("Type").map(|t| &t.value) {
            Some(Value::Str(s)) => s.clone(),
            Some(_) => {
                let what = body
                    .get("Type")
                    .and_then(|t| t.intrinsic())
                    .map(|(n, _)| n.to_string())
                    .unwrap_or_else(|| "a non-string value".into());
                self.issues.push(issue(
                    Some(id),
                    pos,
                    format!("resource Type is {what} (a preprocessor module?); not audited"),
                ));
                return;
            }
            None => {
                self.issues
                    .push(issue(Some(id), pos, "resource has no Type; not audited"));
                return;
            }
        };
        if let Some(cond) = body.get("Condition").and_then(Node::as_str) {
            if self.resolver.condition(cond) == Some(false) {
                // Decidably not deployed: nothing to audit.
                return;
            }
        }
        let raw_props = body.get("Properties").unwrap_or(&NO_PROPERTIES);
        // Expanded `Fn::ForEach` names are resources too (for Ref/GetAtt classification).
        self.resolver.resources.insert(id.to_string());
        let mut props = self.resolver.resolve(raw_props);
        if !props.is_map() {
            props = Node::new(Value::Map(Vec::new()), raw_props.pos);
        }
        if body.get("Properties").is_none() {
            props.pos = pos;
        }
        self.resources.push(Resource {
            id: id.to_string(),
            kind,
            pos,
            props,
            raw_props,
            metadata: body.get("Metadata"),
        });
    }

    /// `Fn::ForEach::Name: [Identifier, Collection, {Key${Identifier}: Resource}]`
    /// (AWS::LanguageExtensions). A collection that resolves to a list of scalars (a literal
    /// list, or a list parameter with a value) is expanded item by item, with `${Identifier}`
    /// and `&{Identifier}` substituted in keys and the identifier bound for `Ref`/`Fn::Sub`.
    /// Otherwise each resource template is audited once with the identifier unknown.
    fn for_each(&mut self, name: &str, body: &'a Node, pos: Pos) {
        if self.stopped() {
            return;
        }
        let label = format!("Fn::ForEach::{name}");
        let items = body.items();
        let (Some(ident), Some(collection), Some(templates)) = (
            items.first().and_then(Node::as_str),
            items.get(1),
            items.get(2),
        ) else {
            self.issues.push(issue(
                Some(&label),
                pos,
                "malformed Fn::ForEach; not audited",
            ));
            return;
        };
        let ident = ident.to_string();
        let resolved = self.resolver.resolve(collection);
        let values: Option<Vec<String>> = match &resolved.value {
            Value::Seq(v) => v.iter().map(Node::scalar_text).collect(),
            _ => None,
        };
        // Refuse a loop that cannot fit before doing any of its work (nested loops inside
        // it are counted as they expand).
        let per_item = u64::try_from(templates.entries().len()).unwrap_or(u64::MAX);
        if let Some(v) = &values {
            let items = u64::try_from(v.len()).unwrap_or(u64::MAX);
            if self.over_resources(items.saturating_mul(per_item), pos, || {
                format!(
                    "{label} expands to {} resources ({items} items x {per_item} per item)",
                    items.saturating_mul(per_item)
                )
            }) {
                return;
            }
        }
        let bindings: Vec<(Option<String>, Node)> = match values {
            Some(v) if !v.is_empty() => {
                self.issues.push(issue(
                    Some(&label),
                    pos,
                    format!("Fn::ForEach loop expanded over {} item(s)", v.len()),
                ));
                v.into_iter()
                    .map(|item| (Some(item.clone()), Node::str(item, pos)))
                    .collect()
            }
            _ => {
                self.issues.push(issue(
                    Some(&label),
                    pos,
                    "Fn::ForEach collection unresolved: each resource in it is audited once with the loop variable unknown",
                ));
                vec![(
                    None,
                    Node::new(Value::Unknown(format!("${{{ident}}}")), pos),
                )]
            }
        };
        for (item, value) in bindings {
            if self.stopped() {
                return;
            }
            let previous = self.resolver.locals.insert(ident.clone(), value);
            for e in templates.entries() {
                let key = match &item {
                    Some(item) => substitute_key(&e.key, &ident, item),
                    None => e.key.clone(),
                };
                if let Some(inner) = key.strip_prefix("Fn::ForEach::") {
                    self.for_each(inner, &e.value, e.key_pos);
                } else {
                    self.add_resource(&key, &e.value, e.key_pos);
                }
            }
            match previous {
                Some(p) => self.resolver.locals.insert(ident.clone(), p),
                None => self.resolver.locals.remove(&ident),
            };
        }
    }

    fn attach_sg_rules(&mut self) {
        for (i, r) in self.resources.iter().enumerate() {
            let target = match r.kind.as_str() {
                "AWS::EC2::SecurityGroupIngress" => &mut self.sg_ingress,
                "AWS::EC2::SecurityGroupEgress" => &mut self.sg_egress,
                _ => continue,
            };
            let group = r
                .raw_props
                .get("GroupId")
                .or_else(|| r.raw_props.get("GroupName"))
                .and_then(referenced_id);
            if let Some(g) = group {
                target.entry(g.to_string()).or_default().push(i);
            }
        }
    }

    pub fn resource(&self, id: &str) -> Option<&Resource<'a>> {
        self.resources.iter().find(|r| r.id == id)
    }

    /// Resources of one type.
    pub fn of_type<'m>(&'m self, kind: &'m str) -> impl Iterator<Item = &'m Resource<'a>> + 'm {
        self.resources.iter().filter(move |r| r.kind == kind)
    }
}

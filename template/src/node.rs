//! The one document model shared by the JSON and YAML front ends (and by the resolver).

use serde_json::Value as Json;

/// A 1-based line and column in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: usize, col: usize) -> Self {
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }
}

/// A mapping entry; the key keeps its own position so findings can point at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

/// Node payload. The last four variants only appear after resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Numbers keep their source text: CloudFormation treats them loosely and we never do maths on them.
    Num(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
    /// A value that identifies something concrete but unknown before deployment
    /// (a resource's Ref/GetAtt, the region, the account id): never a wildcard or a CIDR.
    Opaque(String),
    /// A value that could be anything (a parameter without a value, an import). The text is a
    /// best-effort rendering where unknown parts are `${...}` placeholders.
    Unknown(String),
    /// Both branches of an undecidable `Fn::If`.
    Alt(Vec<Node>),
    /// `AWS::NoValue`: the property is removed.
    Absent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Self {
        Node { value, pos }
    }

    pub fn str(s: impl Into<String>, pos: Pos) -> Self {
        Node::new(Value::Str(s.into()), pos)
    }

    /// Mapping lookup (first match; CloudFormation rejects duplicate keys anyway).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) | Value::Num(s) => Some(s),
            _ => None,
        }
    }

    /// Scalar as text, including booleans (CloudFormation stringifies scalars).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) | Value::Num(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// If this is a single-key map whose key is an intrinsic function, return (name, argument).
    pub fn intrinsic(&self) -> Option<(&str, &Node)> {
        match &self.value {
            Value::Map(entries) if entries.len() == 1 => {
                let e = &entries[0];
                if e.key == "Ref" || e.key == "Condition" || e.key.starts_with("Fn::") {
                    Some((e.key.as_str(), &e.value))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Render as JSON (what regex rules match against).
    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::Null | Value::Absent => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Num(s) => s
                .parse::<i64>()
                .map(Json::from)
                .ok()
                .or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Json::Number)
                })
                .unwrap_or_else(|| Json::String(s.clone())),
            Value::Str(s) | Value::Opaque(s) | Value::Unknown(s) => Json::String(s.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for e in entries {
                    if e.value.value != Value::Absent {
                        m.insert(e.key.clone(), e.value.to_json());
                    }
                }
                Json::Object(m)
            }
            Value::Alt(alts) => {
                let mut m = serde_json::Map::new();
                m.insert(
                    "Fn::If".to_string(),
                    Json::Array(alts.iter().map(Node::to_json).collect()),
                );
                Json::Object(m)
            }
        }
    }

    /// Total number of nodes in this subtree (used to bound alias expansion).
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) | Value::Alt(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|e| e.value.count()).sum(),
            _ => 0,
        }
    }
}

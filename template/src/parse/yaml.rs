//! YAML front end on yaml-rust2's event parser, which gives a mark for every event and keeps
//! tags, so CloudFormation's short-form intrinsics (`!Ref`, `!GetAtt a.b`, ...) can be
//! rewritten into their long form here, at the node that carries them.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{ParseError, MAX_DEPTH, MAX_NODES};
use crate::node::{Entry, Node, Pos, Value};

pub fn parse(file: &str, text: &str) -> Result<Node, ParseError> {
    let mut b = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| ParseError {
            file: file.to_string(),
            line: to_u32(e.marker().line()),
            col: to_u32(e.marker().col() + 1),
            message: format!("invalid YAML: {}", e.info()),
        })?;
        match ev {
            Event::StreamEnd => break,
            // Only the first document is a template; anything after it is ignored.
            Event::DocumentEnd if b.root.is_some() => break,
            _ => b.event(ev, mark)?,
        }
    }
    match b.root {
        Some(root) => Ok(root),
        None => Err(ParseError {
            file: file.to_string(),
            line: 1,
            col: 1,
            message: "empty document".to_string(),
        }),
    }
}

fn to_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn pos(m: &Marker) -> Pos {
    // yaml-rust2 lines are 1-based and columns 0-based.
    Pos::new(m.line(), m.col() + 1)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        tag: Option<Tag>,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        key: Option<(String, Pos)>,
        pos: Pos,
        tag: Option<Tag>,
        anchor: usize,
    },
}

struct Builder<'a> {
    file: &'a str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
}

impl Builder<'_> {
    fn err(&self, p: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            file: self.file.to_string(),
            line: p.line,
            col: p.col,
            message: message.into(),
        }
    }

    fn bump(&mut self, n: usize, p: Pos) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.err(
                p,
                format!("document expands to more than {MAX_NODES} nodes (YAML alias bomb?)"),
            ));
        }
        Ok(())
    }

    fn event(&mut self, ev: Event, mark: Marker) -> Result<(), ParseError> {
        let p = pos(&mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.bump(1, p)?;
                let node = scalar(text, style, tag, p);
                self.complete(node, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(p)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos: p,
                    tag,
                    anchor,
                });
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                self.open(p)?;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    pos: p,
                    tag,
                    anchor,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    items,
                    pos,
                    tag,
                    anchor,
                }) => self.complete(apply_tag(tag, Node::new(Value::Seq(items), pos)), anchor),
                Some(Frame::Map {
                    entries,
                    pos,
                    tag,
                    anchor,
                    ..
                }) => self.complete(apply_tag(tag, Node::new(Value::Map(entries), pos)), anchor),
                None => Err(self.err(p, "unbalanced collection end")),
            },
            Event::Alias(id) => {
                let (node, count) = match self.anchors.get(&id) {
                    Some((n, c)) => (n, *c),
                    None => return Err(self.err(p, "alias to an unknown anchor")),
                };
                // Count before cloning so a bomb is refused without being built.
                self.nodes = self.nodes.saturating_add(count);
                if self.nodes > MAX_NODES {
                    return Err(self.err(
                        p,
                        format!("YAML aliases expand to more than {MAX_NODES} nodes (alias bomb?)"),
                    ));
                }
                let mut node = node.clone();
                node.pos = p;
                self.complete(node, 0)
            }
            _ => Ok(()),
        }
    }

    fn open(&mut self, p: Pos) -> Result<(), ParseError> {
        self.bump(1, p)?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(p, "nesting too deep"));
        }
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), ParseError> {
        if anchor > 0 {
            let count = node.count();
            self.anchors.insert(anchor, (node.clone(), count));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map { entries, key, .. }) => {
                match key.take() {
                    Some((k, key_pos)) => entries.push(Entry {
                        key: k,
                        key_pos,
                        value: node,
                    }),
                    None => {
                        let text = match &node.value {
                            Value::Str(s) | Value::Num(s) => s.clone(),
                            Value::Bool(b) => b.to_string(),
                            Value::Null => String::new(),
                            _ => {
                                let p = node.pos;
                                return Err(self.err(p, "complex mapping keys are not supported"));
                            }
                        };
                        *key = Some((text, node.pos));
                    }
                }
                Ok(())
            }
        }
    }
}

fn scalar(text: String, style: TScalarStyle, tag: Option<Tag>, p: Pos) -> Node {
    let value = if style != TScalarStyle::Plain || tag.is_some() {
        Value::Str(text)
    } else {
        plain_value(text)
    };
    apply_tag(tag, Node::new(value, p))
}

/// YAML 1.2 core schema resolution of untagged plain scalars.
fn plain_value(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        t if looks_numeric(t) => Value::Num(text),
        _ => Value::Str(text),
    }
}

fn looks_numeric(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if body.is_empty() || !body.as_bytes()[0].is_ascii_digit() && !body.starts_with('.') {
        return false;
    }
    t.parse::<f64>().is_ok()
        || (body.starts_with("0x") && i64::from_str_radix(&body[2..], 16).is_ok())
        || (body.starts_with("0o") && i64::from_str_radix(&body[2..], 8).is_ok())
}

/// Rewrites CloudFormation short-form tags into the long form. Unknown local tags `!X`
/// become `Fn::X` (as the CloudFormation service does), so rules still see them.
fn apply_tag(tag: Option<Tag>, node: Node) -> Node {
    let Some(tag) = tag else { return node };
    if tag.handle != "!" {
        // Standard `!!str` and friends: the scalar is already a string; other types as is.
        return node;
    }
    let name = tag.suffix.as_str();
    let p = node.pos;
    let arg = if name == "GetAtt" {
        match &node.value {
            Value::Str(s) => match s.split_once('.') {
                Some((res, attr)) => {
                    Node::new(Value::Seq(vec![Node::str(res, p), Node::str(attr, p)]), p)
                }
                None => node,
            },
            _ => node,
        }
    } else {
        node
    };
    let key = match name {
        "Ref" | "Condition" => name.to_string(),
        _ => format!("Fn::{name}"),
    };
    Node::new(
        Value::Map(vec![Entry {
            key,
            key_pos: p,
            value: arg,
        }]),
        p,
    )
}

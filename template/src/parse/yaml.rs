//! YAML front end on yaml-rust2's event parser, which gives a mark for every event and keeps
//! tags, so CloudFormation's short-form intrinsics (`!Ref`, `!GetAtt a.b`, ...) can be
//! rewritten into their long form here, at the node that carries them.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::error::ParseError;
use super::meter::{len64, DocMeter};
use crate::node::{Entry, Node, Pos, Value};

pub(super) fn parse(text: &str, meter: &mut DocMeter) -> Result<Node, ParseError> {
    let file = meter.file;
    let mut b = Builder {
        meter,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| ParseError {
            file: file.to_string(),
            line: to_u32(e.marker().line()),
            col: to_u32(e.marker().col() + 1),
            message: format!("invalid YAML: {}", e.info()),
            exceeded: None,
        })?;
        match ev {
            Event::StreamEnd => break,
            // Only the first document is a template; anything after it is ignored.
            Event::DocumentEnd if b.root.is_some() => break,
            _ => b.event(ev, mark)?,
        }
    }
    match b.root {
        Some(root) => Ok(root.node),
        None => Err(ParseError {
            file: file.to_string(),
            line: 1,
            col: 1,
            message: "empty document".to_string(),
            exceeded: None,
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

/// A CloudFormation short-form tag (`!Ref`) wraps its node in a one-key map: one more level.
fn wraps(tag: &Option<Tag>) -> usize {
    usize::from(tag.as_ref().is_some_and(|t| t.handle == "!"))
}

enum Body {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        key: Option<(String, Pos)>,
    },
}

/// An open collection and what its subtree costs so far (so an anchor's cost is known in
/// constant time when it completes, without walking it).
struct Frame {
    body: Body,
    pos: Pos,
    tag: Option<Tag>,
    anchor: usize,
    /// Nesting level of this collection (the root is 1), counting tag wrappers.
    level: usize,
    nodes: u64,
    bytes: u64,
    height: usize,
}

/// A finished node with the cost of its subtree.
#[derive(Clone)]
struct Done {
    node: Node,
    nodes: u64,
    bytes: u64,
    /// Levels from this node down to its deepest leaf (a scalar is 1).
    height: usize,
}

struct Builder<'a, 'm> {
    meter: &'m mut DocMeter<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Done>,
    root: Option<Done>,
}

impl Builder<'_, '_> {
    fn err(&self, p: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            file: self.meter.file.to_string(),
            line: p.line,
            col: p.col,
            message: message.into(),
            exceeded: None,
        }
    }

    /// Level a new child of the innermost open collection would have.
    fn child_level(&self) -> usize {
        self.stack.last().map_or(1, |f| f.level + 1)
    }

    fn event(&mut self, ev: Event, mark: Marker) -> Result<(), ParseError> {
        let p = pos(&mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let extra = wraps(&tag);
                self.meter.depth(self.child_level() + extra, p, "nesting")?;
                let bytes = len64(&text);
                self.meter.add(1, bytes, p, "the document has")?;
                let node = scalar(text, style, tag, p);
                self.complete(
                    Done {
                        node,
                        nodes: 1,
                        bytes,
                        height: 1 + extra,
                    },
                    anchor,
                )
            }
            Event::SequenceStart(anchor, tag) => self.open(Body::Seq(Vec::new()), p, tag, anchor),
            Event::MappingStart(anchor, tag) => self.open(
                Body::Map {
                    entries: Vec::new(),
                    key: None,
                },
                p,
                tag,
                anchor,
            ),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(f) => {
                    let extra = wraps(&f.tag);
                    let node = match f.body {
                        Body::Seq(items) => Node::new(Value::Seq(items), f.pos),
                        Body::Map { entries, .. } => Node::new(Value::Map(entries), f.pos),
                    };
                    self.complete(
                        Done {
                            node: apply_tag(f.tag, node),
                            nodes: f.nodes,
                            bytes: f.bytes,
                            height: f.height + extra,
                        },
                        f.anchor,
                    )
                }
                None => Err(self.err(p, "unbalanced collection end")),
            },
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(self.err(p, "alias to an unknown anchor"));
                };
                let (nodes, bytes, height) = (anchored.nodes, anchored.bytes, anchored.height);
                // Count before copying so a bomb is refused without being built.
                self.meter.depth(
                    (self.child_level() + height).saturating_sub(1),
                    p,
                    "a YAML alias expands to nesting",
                )?;
                self.meter
                    .add(nodes, bytes, p, "YAML aliases expand the document to")?;
                let mut done = match self.anchors.get(&id) {
                    Some(d) => d.clone(),
                    None => return Err(self.err(p, "alias to an unknown anchor")),
                };
                done.node.pos = p;
                self.complete(done, 0)
            }
            _ => Ok(()),
        }
    }

    fn open(
        &mut self,
        body: Body,
        p: Pos,
        tag: Option<Tag>,
        anchor: usize,
    ) -> Result<(), ParseError> {
        let level = self.child_level() + wraps(&tag);
        self.meter.depth(level, p, "nesting")?;
        self.meter.add(1, 0, p, "the document has")?;
        self.stack.push(Frame {
            body,
            pos: p,
            tag,
            anchor,
            level,
            nodes: 1,
            bytes: 0,
            height: 1,
        });
        Ok(())
    }

    fn complete(&mut self, done: Done, anchor: usize) -> Result<(), ParseError> {
        if anchor > 0 {
            // The parser keeps a copy of every anchored node: it costs like the node.
            self.meter.add(
                done.nodes,
                done.bytes,
                done.node.pos,
                "YAML anchors and aliases hold",
            )?;
            self.anchors.insert(anchor, done.clone());
        }
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(done);
            }
            return Ok(());
        };
        frame.nodes = frame.nodes.saturating_add(done.nodes);
        frame.bytes = frame.bytes.saturating_add(done.bytes);
        frame.height = frame.height.max(done.height + 1);
        match &mut frame.body {
            Body::Seq(items) => {
                items.push(done.node);
                Ok(())
            }
            Body::Map { entries, key } => {
                match key.take() {
                    Some((k, key_pos)) => entries.push(Entry {
                        key: k,
                        key_pos,
                        value: done.node,
                    }),
                    None => {
                        let node = done.node;
                        let text = match node.value {
                            Value::Str(s) | Value::Num(s) => s,
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

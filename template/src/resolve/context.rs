//! The resolver's state for one template (parameters, resources, sections it looks up, the
//! condition memo) and how copying and building values is charged to its [`Meter`].

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use crate::budget::Meter;
use crate::node::{Node, Pos, Value};

/// Deepest intrinsic nesting followed; deeper values become unknown instead of recursing.
pub(super) const MAX_DEPTH: usize = 64;

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
    pub(super) mappings: Option<&'a Node>,
    pub(super) conditions: Option<&'a Node>,
    pub(super) memo: RefCell<HashMap<String, CondState>>,
    /// Named conditions being decided right now (conditions can chain through `Condition`).
    pub(super) cond_depth: Cell<usize>,
    /// Extra names bound while resolving (e.g. an `Fn::ForEach` identifier).
    pub locals: HashMap<String, Node>,
    /// `AllowedPattern`s of String parameters that have no value (see [`super::pattern`]).
    pub patterns: HashMap<String, regex::Regex>,
    /// Steps and deadline. Once a budget is exceeded every further resolution is an unknown
    /// value produced in constant time, and the caller reports the budget error.
    pub meter: Meter,
}

/// A named condition in the memo: being decided (so a reference back to it is a cycle), or
/// decided (`None` when it depends on something unknown).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum CondState {
    InProgress,
    Done(Option<bool>),
}

/// Nodes and bytes of text in `n`, counted up to `cap` (so measuring never costs more than
/// the budget that remains).
pub(super) fn cost(n: &Node, cap: u64) -> u64 {
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

/// `n` as a step count (saturating: a count that large exceeds every budget anyway).
pub(super) fn count64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Resolver<'_> {
    /// Charge for copying `n`; `false` when a budget is exceeded.
    fn charge_copy(&self, n: &Node) -> bool {
        self.meter.charge(cost(n, self.meter.remaining()), n.pos)
    }

    /// A copy of `n` at `pos`, charged; unknown when a budget is exceeded.
    pub(super) fn copy_at(&self, n: &Node, pos: Pos) -> Node {
        if self.charge_copy(n) {
            Node::new(n.value.clone(), pos)
        } else {
            Self::exhausted(pos)
        }
    }

    /// What resolution yields once a budget is exceeded (the audit reports the budget).
    pub(super) fn exhausted(pos: Pos) -> Node {
        Node::new(Value::Unknown("${...}".into()), pos)
    }

    /// A value resolution cannot know, shown as `text`.
    pub(super) fn unknown(text: impl Into<String>, pos: Pos) -> Node {
        Node::new(Value::Unknown(text.into()), pos)
    }
}

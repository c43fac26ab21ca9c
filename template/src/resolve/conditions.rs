//! Conditions: decided one at a time, memoised, with cycles and very long chains left
//! undecided, so a template with many conditions is never enumerated.

use super::context::{CondState, Resolver, MAX_DEPTH};
use crate::node::{Node, Value};

impl Resolver<'_> {
    /// Decide a named condition; `None` when it depends on something unknown.
    pub fn condition(&self, name: &str) -> Option<bool> {
        self.condition_at(name, 0)
    }

    /// [`Self::condition`] reached at resolution depth `depth`: the depth carries through
    /// conditions, so chains of `Fn::If` and `Condition` cannot recurse past the limit.
    pub(super) fn condition_at(&self, name: &str, depth: usize) -> Option<bool> {
        if let Some(state) = self.memo.borrow().get(name) {
            return match state {
                CondState::Done(v) => *v,
                // A cycle: CloudFormation rejects it; we simply cannot decide.
                CondState::InProgress => None,
            };
        }
        // A long chain of conditions referring to each other would otherwise recurse once
        // per link; past the limit the condition is simply undecided (not memoised, so a
        // shallower path can still decide it).
        if self.cond_depth.get() >= MAX_DEPTH || depth > MAX_DEPTH {
            return None;
        }
        // Finding the condition scans the Conditions section.
        let scanned = self.conditions.map_or(0, |c| c.entries().len());
        let node = self.conditions.and_then(|c| c.get(name));
        let at = node.map_or_else(Default::default, |n| n.pos);
        if !self
            .meter
            .charge(u64::try_from(scanned).unwrap_or(u64::MAX), at)
        {
            return None;
        }
        self.memo
            .borrow_mut()
            .insert(name.to_string(), CondState::InProgress);
        self.cond_depth.set(self.cond_depth.get() + 1);
        let v = node.and_then(|n| self.eval_condition(n, depth + 1));
        self.cond_depth.set(self.cond_depth.get().saturating_sub(1));
        self.memo
            .borrow_mut()
            .insert(name.to_string(), CondState::Done(v));
        v
    }

    fn eval_condition(&self, n: &Node, depth: usize) -> Option<bool> {
        if depth > MAX_DEPTH || !self.meter.charge(1, n.pos) {
            return None;
        }
        match n.intrinsic() {
            Some(("Condition", c)) => self.condition_at(c.as_str()?, depth + 1),
            Some(("Fn::Equals", args)) => {
                let a = self.res(args.items().first()?, depth + 1);
                let b = self.res(args.items().get(1)?, depth + 1);
                match (&a.value, &b.value) {
                    (
                        Value::Str(_) | Value::Num(_) | Value::Bool(_),
                        Value::Str(_) | Value::Num(_) | Value::Bool(_),
                    ) => Some(a.scalar_text() == b.scalar_text()),
                    (Value::Seq(_), Value::Seq(_)) if a.value == b.value => Some(true),
                    _ => None,
                }
            }
            Some(("Fn::Not", args)) => {
                let inner = args.items().first().unwrap_or(args);
                self.eval_condition(inner, depth + 1).map(|v| !v)
            }
            Some(("Fn::And", args)) => {
                let mut all = Some(true);
                for c in args.items() {
                    match self.eval_condition(c, depth + 1) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            Some(("Fn::Or", args)) => {
                let mut any = Some(false);
                for c in args.items() {
                    match self.eval_condition(c, depth + 1) {
                        Some(true) => return Some(true),
                        None => any = None,
                        Some(false) => {}
                    }
                }
                any
            }
            _ => match &n.value {
                Value::Bool(b) => Some(*b),
                Value::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
                Value::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
                _ => None,
            },
        }
    }
}

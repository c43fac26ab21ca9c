//! What a document costs while it is parsed: nodes and bytes of text after alias expansion,
//! nesting depth, and the deadline, each checked against the template's limits.

use super::error::ParseError;
use crate::budget::{Budget, Deadline, Exceeded, Limits};
use crate::node::Pos;

/// Nodes between two reads of the clock.
const CLOCK_EVERY: u64 = 4096;

/// Counts the document's nodes and bytes (after alias expansion) against the limits.
pub(super) struct DocMeter<'a> {
    /// The file named in errors.
    pub(super) file: &'a str,
    limits: &'a Limits,
    deadline: Deadline,
    nodes: u64,
    bytes: u64,
    next_clock: u64,
}

impl<'a> DocMeter<'a> {
    /// A meter with nothing counted yet.
    pub(super) fn new(file: &'a str, limits: &'a Limits, deadline: Deadline) -> Self {
        DocMeter {
            file,
            limits,
            deadline,
            nodes: 0,
            bytes: 0,
            next_clock: CLOCK_EVERY,
        }
    }

    /// Add `nodes` values and `bytes` of text at `pos`; `what` says why, for the error.
    pub(super) fn add(
        &mut self,
        nodes: u64,
        bytes: u64,
        pos: Pos,
        what: &str,
    ) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > self.limits.bytes {
            return Err(self.exceeded(Exceeded::new(
                Budget::Bytes,
                self.limits.bytes,
                pos,
                format!("{what} more than {} bytes of text", self.limits.bytes),
            )));
        }
        if self.nodes > self.limits.nodes {
            return Err(self.exceeded(Exceeded::new(
                Budget::Nodes,
                self.limits.nodes,
                pos,
                format!("{what} more than {} nodes", self.limits.nodes),
            )));
        }
        if self.nodes >= self.next_clock {
            self.next_clock = self.nodes.saturating_add(CLOCK_EVERY);
            if self.deadline.passed() {
                return Err(self.exceeded(Exceeded::time(
                    &self.deadline,
                    pos,
                    "the template's time ran out while parsing",
                )));
            }
        }
        Ok(())
    }

    /// Refuse a node at nesting `level` (the root is level 1) deeper than the limit.
    pub(super) fn depth(&self, level: usize, pos: Pos, what: &str) -> Result<(), ParseError> {
        if level > self.limits.depth() {
            return Err(self.exceeded(Exceeded::new(
                Budget::Depth,
                self.limits.depth,
                pos,
                format!("{what} deeper than {} levels", self.limits.depth),
            )));
        }
        Ok(())
    }

    fn exceeded(&self, e: Exceeded) -> ParseError {
        ParseError::budget(self.file, e)
    }
}

/// Bytes of `s` as a count (saturating: that many exceeds every budget anyway).
pub(super) fn len64(s: &str) -> u64 {
    u64::try_from(s.len()).unwrap_or(u64::MAX)
}

//! Front ends: JSON and YAML text to the shared [`Node`] model.
//!
//! Both parsers count what the document costs after YAML alias expansion (nodes, bytes of
//! text, nesting depth) against the template's [`Limits`], and check the deadline as they go,
//! so an untrusted template can neither overflow the stack nor expand an alias bomb.

mod json;
mod yaml;

use crate::budget::{Budget, Deadline, Exceeded, Limits};
use crate::node::{Node, Pos};

/// A template that could not be read; always names the file and, where known, the line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
    /// Set when the document is refused because it exceeds a budget.
    pub exceeded: Option<Exceeded>,
}

impl ParseError {
    pub(crate) fn budget(file: &str, e: Exceeded) -> Self {
        ParseError {
            file: file.to_string(),
            line: e.line,
            col: e.col,
            message: e.describe(),
            exceeded: Some(e),
        }
    }
}

/// Which front end was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// Parse a template's text with the default limits and no deadline.
pub fn parse_document(file: &str, text: &str) -> Result<(Node, Format), ParseError> {
    parse_document_with(file, text, &Limits::default(), Deadline::NONE)
}

/// Parse a template's text within `limits` (bytes, nodes, depth) and `deadline`. JSON is
/// recognised by its first significant character.
pub fn parse_document_with(
    file: &str,
    text: &str,
    limits: &Limits,
    deadline: Deadline,
) -> Result<(Node, Format), ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut meter = DocMeter {
        file,
        limits,
        deadline,
        nodes: 0,
        bytes: 0,
        next_clock: CLOCK_EVERY,
    };
    if text.trim_start().starts_with('{') {
        json::parse(text, &mut meter).map(|n| (n, Format::Json))
    } else {
        yaml::parse(text, &mut meter).map(|n| (n, Format::Yaml))
    }
}

/// Nodes between two reads of the clock.
const CLOCK_EVERY: u64 = 4096;

/// Counts the document's nodes and bytes (after alias expansion) against the limits.
struct DocMeter<'a> {
    file: &'a str,
    limits: &'a Limits,
    deadline: Deadline,
    nodes: u64,
    bytes: u64,
    next_clock: u64,
}

impl DocMeter<'_> {
    /// Add `nodes` values and `bytes` of text at `pos`; `what` says why, for the error.
    fn add(&mut self, nodes: u64, bytes: u64, pos: Pos, what: &str) -> Result<(), ParseError> {
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
    fn depth(&self, level: usize, pos: Pos, what: &str) -> Result<(), ParseError> {
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

fn len64(s: &str) -> u64 {
    u64::try_from(s.len()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;

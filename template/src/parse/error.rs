//! The error of a template that cannot be read: where, why, and which budget refused it.

use crate::budget::Exceeded;

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

//! Front ends: JSON and YAML text to the shared [`Node`] model.
//!
//! Both parsers bound nesting depth and the number of nodes, so an untrusted template can
//! neither overflow the stack nor expand a YAML alias bomb.

mod json;
mod yaml;

use crate::node::Node;

/// Deepest nesting accepted; real templates stay well under 30 levels.
pub const MAX_DEPTH: usize = 200;
/// Most nodes one document may expand to (after YAML aliases).
pub const MAX_NODES: usize = 2_000_000;

/// A template that could not be read; always names the file and, where known, the line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// Which front end was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// Parse a template's text. JSON is recognised by its first significant character.
pub fn parse_document(file: &str, text: &str) -> Result<(Node, Format), ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        json::parse(file, text).map(|n| (n, Format::Json))
    } else {
        yaml::parse(file, text).map(|n| (n, Format::Yaml))
    }
}

#[cfg(test)]
mod tests;

//! Front ends: JSON and YAML text to the shared [`Node`] model.
//!
//! Both parsers count what the document costs after YAML alias expansion (nodes, bytes of
//! text, nesting depth) against the template's [`Limits`], and check the deadline as they go,
//! so an untrusted template can neither overflow the stack nor expand an alias bomb.

mod error;
mod json;
mod meter;
mod yaml;

use meter::DocMeter;

use crate::budget::{Deadline, Limits};
use crate::node::Node;
pub use error::ParseError;

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
    let mut meter = DocMeter::new(file, limits, deadline);
    if text.trim_start().starts_with('{') {
        json::parse(text, &mut meter).map(|n| (n, Format::Json))
    } else {
        yaml::parse(text, &mut meter).map(|n| (n, Format::Yaml))
    }
}

#[cfg(test)]
mod tests;

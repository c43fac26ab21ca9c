//! Writes the generated sections of stacksets/*.yaml.
//!
//! Each section sits between two marker comments:
//!
//! ```yaml
//!           PolicyDocument:
//!             # generated: assess-member (rampart deploy render)
//!             Version: "2012-10-17"
//!             ...
//!             # end generated
//! ```
//!
//! [`render`] replaces what is between the markers with the named document (a role's policy,
//! [`super::roles::ROLES`], or a rule's event pattern, [`super::patterns`]), rendered as block
//! YAML at the marker's indentation; everything else in the file is left as it is.

use super::yaml::yaml;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The templates the generator maintains.
pub const TEMPLATES: &[&str] = &[
    "hub.yaml",
    "member-global.yaml",
    "member-regional.yaml",
    "org-bootstrap.yaml",
];

const BEGIN: &str = "# generated: ";
const END: &str = "# end generated";

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("line {line}: unknown generated section {name:?}")]
    Unknown { line: usize, name: String },
    #[error("line {line}: `{BEGIN}{name}` has no `{END}`")]
    Unclosed { line: usize, name: String },
    #[error("line {line}: section {name}: {why}")]
    Document {
        line: usize,
        name: String,
        why: String,
    },
    #[error("{path}: {why}")]
    File { path: String, why: String },
}

/// The marker of a queue policy's admitted senders, derived from the template's own rules.
const SOURCES_OF: &str = "sources-of-";

/// The document a marker names: a role's policy or a rule's event pattern.
pub fn document(name: &str) -> Option<Result<Value, String>> {
    document_in(name, "")
}

/// As [`document`], for a marker of the template `text` (queue senders are read from it).
pub fn document_in(name: &str, text: &str) -> Option<Result<Value, String>> {
    if let Some(queue) = name.strip_prefix(SOURCES_OF) {
        return Some(super::sources::document(text, queue));
    }
    if let Some(r) = super::roles::by_marker(name) {
        return Some((r.document)().map_err(|e| e.to_string()));
    }
    super::patterns::by_marker(name).map(Ok)
}

/// The template text with every generated section rewritten.
pub fn render(text: &str) -> Result<String, RenderError> {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix(BEGIN) else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or("").to_string();
        let indent = line.len() - trimmed.len();
        let doc = match document_in(&name, text) {
            None => return Err(RenderError::Unknown { line: n + 1, name }),
            Some(Err(why)) => {
                return Err(RenderError::Document {
                    line: n + 1,
                    name,
                    why,
                })
            }
            Some(Ok(d)) => d,
        };
        out.push_str(&yaml(&doc, indent));
        // Skip the old body up to and including the end marker.
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            if l.trim_start() == END {
                out.push_str(&" ".repeat(indent));
                out.push_str(END);
                out.push('\n');
                closed = true;
                break;
            }
        }
        if !closed {
            return Err(RenderError::Unclosed { line: n + 1, name });
        }
    }
    Ok(out)
}

/// The sections a template holds, in order.
pub fn sections(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix(BEGIN))
        .filter_map(|r| r.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Rewrites (or, with `check`, compares) every template in `dir`; returns the files that
/// differ.
pub fn run(dir: &Path, check: bool) -> Result<Vec<PathBuf>, RenderError> {
    let mut differ = Vec::new();
    for name in TEMPLATES {
        let path = dir.join(name);
        let file = |why: String| RenderError::File {
            path: path.display().to_string(),
            why,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| file(e.to_string()))?;
        let new = render(&text).map_err(|e| file(e.to_string()))?;
        if new != text {
            if !check {
                std::fs::write(&path, &new).map_err(|e| file(e.to_string()))?;
            }
            differ.push(path);
        }
    }
    Ok(differ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_replaces_only_between_the_markers() {
        let text = "a:\n  # generated: require-mfa (x)\n  old: 1\n  # end generated\nb: 2\n";
        let out = render(text).expect("renders");
        assert!(out.starts_with("a:\n  # generated: require-mfa (x)\n  Version:"));
        assert!(out.ends_with("  # end generated\nb: 2\n"));
        assert!(!out.contains("old: 1"));
        assert!(matches!(
            render("# generated: nope\n# end generated\n"),
            Err(RenderError::Unknown { .. })
        ));
        assert!(matches!(
            render("# generated: require-mfa\n"),
            Err(RenderError::Unclosed { .. })
        ));
    }
}

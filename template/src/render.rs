//! Renders a resource as pretty JSON in source key order: the text regex rules
//! were written against (after intrinsic resolution, so `Ref`s to parameters show values).

use crate::model::Resource;
use crate::node::{Node, Value};

pub fn resource_json(r: &Resource) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\n  \"Type\": ");
    out.push_str(&serde_json::Value::String(r.kind.clone()).to_string());
    out.push_str(",\n  \"Properties\": ");
    write(&r.props, 1, &mut out);
    out.push_str("\n}");
    out
}

fn indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write(n: &Node, level: usize, out: &mut String) {
    match &n.value {
        Value::Map(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{\n");
            for (i, e) in entries.iter().enumerate() {
                indent(level + 1, out);
                out.push_str(&serde_json::Value::String(e.key.clone()).to_string());
                out.push_str(": ");
                write(&e.value, level + 1, out);
                if i + 1 < entries.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(level, out);
            out.push('}');
        }
        Value::Seq(items) | Value::Alt(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(level + 1, out);
                write(item, level + 1, out);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(level, out);
            out.push(']');
        }
        _ => out.push_str(&n.to_json().to_string()),
    }
}

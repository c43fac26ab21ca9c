//! Block YAML of a JSON document, as the generated sections of stacksets/*.yaml are written:
//! deterministic (policy keys in reading order, the rest sorted), strings double-quoted.

use serde_json::Value;

/// Block YAML of a JSON value, every line indented by `indent` spaces (mappings at the top).
pub fn yaml(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    block(v, indent, &mut out);
    out
}

fn block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, val) in ordered(m) {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                nested(val, indent, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for item in a {
                out.push_str(&pad);
                out.push('-');
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        // The first key shares the dash's line.
                        let mut inner = String::new();
                        block(item, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(&inner[indent + 2..]);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        block(item, indent + 2, out);
                    }
                    scalar => {
                        out.push(' ');
                        out.push_str(&flow(scalar));
                        out.push('\n');
                    }
                }
            }
        }
        scalar => {
            out.push_str(&pad);
            out.push_str(&flow(scalar));
            out.push('\n');
        }
    }
}

/// Policy keys in the order people read them (Sid, Effect, Action, Resource, Condition), the
/// rest alphabetically: the text must not depend on whether serde_json keeps insertion order
/// (a feature another dependency may switch on).
fn ordered(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    const FIRST: &[&str] = &[
        "Version",
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
        "Statement",
    ];
    let mut v: Vec<(&String, &Value)> = m.iter().collect();
    v.sort_by_key(|(k, _)| {
        (
            FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()),
            (*k).clone(),
        )
    });
    v
}

fn nested(val: &Value, indent: usize, out: &mut String) {
    match val {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            block(val, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            block(val, indent + 2, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&flow(scalar));
            out.push('\n');
        }
    }
}

/// A scalar (or empty collection) as YAML: strings double-quoted with JSON's escapes, which
/// YAML reads the same way.
fn flow(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// A mapping key: plain when YAML reads it back unchanged, double-quoted otherwise.
fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '/'))
        && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !k.ends_with(':');
    if plain {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_yaml_reads_back_as_the_same_json() {
        let v = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"],
             "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"},
             "Condition": {"ForAllValues:StringLike": {"aws:TagKeys": ["rampart:*"]}}},
            {"Sid": "B", "Effect": "Deny", "NotAction": [], "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}, "N": 3, "T": true}
        ]});
        let text = format!("Root:\n{}", yaml(&v, 2));
        let (node, _) = rampart_template::parse::parse_document("t.yaml", &text).expect("yaml");
        assert_eq!(node.to_json()["Root"], v, "{text}");
    }
}

//! The deployment templates' IAM policies, generated from the code (`rampart-stacksets`).
//!
//! Each policy in stacksets/*.yaml that Rampart's declarations determine sits between two
//! marker comments:
//!
//! ```yaml
//!           PolicyDocument:
//!             # generated: assess-member (cargo run -p rampart-testbed --bin rampart-stacksets)
//!             Version: "2012-10-17"
//!             ...
//!             # end generated
//! ```
//!
//! [`render`] replaces what is between the markers with the named document, rendered as block
//! YAML at the marker's indentation; everything else in the file is left as it is. The test
//! `stacksets::generated_policies_are_committed` fails when a committed template differs from
//! what the generator writes.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The generated documents, by marker name.
pub const NAMES: &[&str] = &[
    "assess-member",
    "respond-member",
    "require-mfa",
    "hub-respond",
    "assess-hub",
];

/// The templates the generator maintains.
pub const TEMPLATES: &[&str] = &[
    "hub.yaml",
    "member-global.yaml",
    "member-regional.yaml",
    "org-bootstrap.yaml",
];

/// The document a marker names.
pub fn document(name: &str) -> anyhow::Result<Value> {
    let doc = match name {
        "assess-member" => rampart_hub::deploy::assess_member_policy()?,
        "respond-member" => rampart_member::roles::respond_policy()?,
        "require-mfa" => rampart_member::respond::auto_mfa::require_mfa_policy_document(),
        "hub-respond" => rampart_hub::respond::hub_policy()?,
        "assess-hub" => rampart_hub::deploy::assess_hub_policy()?,
        other => anyhow::bail!("unknown generated section {other:?} (known: {NAMES:?})"),
    };
    Ok(doc)
}

/// stacksets/ in this checkout.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../stacksets")
}

const BEGIN: &str = "# generated: ";
const END: &str = "# end generated";

/// The template text with every generated section rewritten.
pub fn render(text: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix(BEGIN) else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or("");
        let indent = line.len() - trimmed.len();
        let doc = document(name).map_err(|e| anyhow::anyhow!("line {}: {e}", n + 1))?;
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
            anyhow::bail!("line {}: `{BEGIN}{name}` has no `{END}`", n + 1);
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

/// Rewrites (or, with `check`, compares) every template; returns the files that differ.
pub fn run(check: bool) -> anyhow::Result<Vec<PathBuf>> {
    let mut differ = Vec::new();
    for name in TEMPLATES {
        let path = dir().join(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let new = render(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if new != text {
            if !check {
                std::fs::write(&path, &new)?;
            }
            differ.push(path);
        }
    }
    Ok(differ)
}

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

/// The cfn-lint release the templates are held to.
pub const CFN_LINT_VERSION: &str = "1.51.0";

/// Installs the pinned cfn-lint into its own virtualenv (outside the clone, reused across runs;
/// `RAMPART_CFN_LINT_VENV` overrides where) and returns the `cfn-lint` executable.
pub fn cfn_lint() -> anyhow::Result<PathBuf> {
    use std::process::Command;
    let dir = match std::env::var("RAMPART_CFN_LINT_VENV") {
        Ok(p) => PathBuf::from(p),
        Err(_) => {
            let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
            PathBuf::from(home).join(format!(".cache/rampart/cfn-lint-{CFN_LINT_VERSION}"))
        }
    };
    let exe = dir.join("bin/cfn-lint");
    let marker = dir.join(".rampart-installed");
    if marker.exists() && exe.exists() {
        return Ok(exe);
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Concurrent test binaries: one installs, the others wait for its marker.
    let lock = dir.with_extension("lock");
    if std::fs::create_dir(&lock).is_err() {
        let start = std::time::Instant::now();
        while !marker.exists() {
            if start.elapsed() > std::time::Duration::from_secs(600) {
                anyhow::bail!("timed out waiting for {}", marker.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        return Ok(exe);
    }
    let result = (|| {
        let ok = |out: std::process::Output, what: &str| {
            if out.status.success() {
                Ok(())
            } else {
                Err(anyhow::anyhow!(
                    "{what}: {}\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        if !dir.join("bin/pip").exists() {
            let python = std::env::var("RAMPART_PYTHON").unwrap_or_else(|_| "python3".into());
            ok(
                Command::new(python)
                    .args(["-m", "venv"])
                    .arg(&dir)
                    .output()?,
                "python3 -m venv",
            )?;
        }
        ok(
            Command::new(dir.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .arg(format!("cfn-lint=={CFN_LINT_VERSION}"))
                .output()?,
            "pip install cfn-lint",
        )?;
        std::fs::write(&marker, CFN_LINT_VERSION)?;
        Ok(())
    })();
    let _ = std::fs::remove_dir(&lock);
    result.map(|()| exe)
}

/// A template of stacksets/ as CloudFormation's long-form JSON (through the audit engine's
/// parser, which reads YAML short forms as CloudFormation does).
pub fn template(name: &str) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(dir().join(name))?;
    let (node, _) = rampart_template::parse::parse_document(name, &text)?;
    Ok(node.to_json())
}

/// The fleet state machine's definition (hub.yaml `FleetStateMachine`), with the template's
/// substitutions replaced by `values` (name -> JSON text), parsed.
pub fn fleet_definition(values: &[(&str, &str)]) -> anyhow::Result<Value> {
    let t = template("hub.yaml")?;
    let sub = t["Resources"]["FleetStateMachine"]["Properties"]["DefinitionString"]["Fn::Sub"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("FleetStateMachine has no DefinitionString !Sub"))?
        .to_string();
    let mut text = sub;
    for (name, value) in values {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    if let Some(at) = text.find("${") {
        anyhow::bail!(
            "unsubstituted {} in the definition",
            &text[at..text.len().min(at + 40)]
        );
    }
    Ok(serde_json::from_str(&text)?)
}

/// What Step Functions makes of a state's `Parameters`/`ItemSelector`/`ResultSelector`: keys
/// ending in `.$` take the value at a path of the input (`$...`) or the context (`$$...`).
/// Only the plain dotted paths the fleet definition uses are supported.
pub fn resolve(template: &Value, input: &Value, context: &Value) -> anyhow::Result<Value> {
    match template {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                match k.strip_suffix(".$") {
                    Some(name) => {
                        let path = v
                            .as_str()
                            .ok_or_else(|| anyhow::anyhow!("{k}: path is not a string"))?;
                        out.insert(name.to_string(), path_value(path, input, context)?);
                    }
                    None => {
                        out.insert(k.clone(), resolve(v, input, context)?);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => a.iter().map(|v| resolve(v, input, context)).collect(),
        other => Ok(other.clone()),
    }
}

/// The value at a JSONPath (`$`, `$.a.b`, `$$.Map.Item.Value`).
pub fn path_value(path: &str, input: &Value, context: &Value) -> anyhow::Result<Value> {
    let (root, rest) = if let Some(r) = path.strip_prefix("$$") {
        (context, r)
    } else if let Some(r) = path.strip_prefix('$') {
        (input, r)
    } else {
        anyhow::bail!("{path} is not a path");
    };
    let mut v = root;
    for seg in rest.split('.').filter(|s| !s.is_empty()) {
        v = v
            .get(seg)
            .ok_or_else(|| anyhow::anyhow!("{path}: no field {seg}"))?;
    }
    Ok(v.clone())
}

/// A state's `ResultPath`: `result` placed into `input` at a `$.x` path (`$` replaces it).
pub fn place(input: &Value, path: &str, result: Value) -> anyhow::Result<Value> {
    if path == "$" {
        return Ok(result);
    }
    let field = path
        .strip_prefix("$.")
        .filter(|f| !f.contains('.'))
        .ok_or_else(|| anyhow::anyhow!("ResultPath {path} is not supported"))?;
    let mut out = input.clone();
    if !out.is_object() {
        out = Value::Object(Default::default());
    }
    out[field] = result;
    Ok(out)
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

    #[test]
    fn render_replaces_only_between_the_markers() {
        let text =
            "A:\n  B:\n    # generated: require-mfa (x)\n    old: 1\n    # end generated\n  C: 2\n";
        let out = render(text).expect("render");
        assert!(out.starts_with("A:\n  B:\n    # generated: require-mfa (x)\n    Version: "));
        assert!(out.ends_with("    # end generated\n  C: 2\n"));
        assert_eq!(render(&out).expect("again"), out);
        assert!(render("# generated: nope\n# end generated\n").is_err());
        assert!(render("  # generated: require-mfa\n").is_err());
    }
}

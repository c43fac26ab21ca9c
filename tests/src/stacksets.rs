//! Test helpers for the deployment templates in stacksets/: their path, the generated
//! sections (written by `rampart deploy render`, `rampart_hub::deploy`), a pinned cfn-lint,
//! and a tiny Step Functions interpreter for the fleet state machine.

use serde_json::Value;
use std::path::{Path, PathBuf};

pub use rampart_hub::deploy::render::{render, sections, TEMPLATES};
pub use rampart_hub::deploy::yaml::yaml;

/// The generated document a marker names (a role's policy or a rule's pattern).
pub fn document(name: &str) -> anyhow::Result<Value> {
    match rampart_hub::deploy::render::document(name) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => anyhow::bail!("{name}: {e}"),
        None => anyhow::bail!("unknown generated section {name:?}"),
    }
}

/// stacksets/ in this checkout.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../stacksets")
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

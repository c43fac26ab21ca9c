//! SARIF 2.1.0 for code scanning: `security-severity` from the risk value, repo-relative
//! URIs, regions from the parsed node, and `partialFingerprints` that do not depend on line
//! numbers (rule, file, resource, message), so alerts survive unrelated edits.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::audit::{AuditConfig, Status, TemplateReport};

/// risk 0-10+ -> GitHub's 0.1-10.0 scale (>= 9 critical, >= 7 high, >= 4 medium).
pub fn security_severity(risk: u32) -> String {
    format!("{:.1}", f64::from(risk.min(10)).max(0.1))
}

fn level(risk: u32) -> &'static str {
    match risk {
        7.. => "error",
        3..=6 => "warning",
        _ => "note",
    }
}

/// Find the repository root (a directory holding `.git`) above `start`.
fn repo_root(start: &Path) -> Option<std::path::PathBuf> {
    let mut cur = Some(start);
    while let Some(d) = cur {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

/// Path relative to the repository root (or the working directory), with `/` separators.
pub fn repo_relative(path: &str) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let abs = if Path::new(path).is_absolute() {
        Path::new(path).to_path_buf()
    } else {
        cwd.join(path)
    };
    let abs = abs.canonicalize().unwrap_or(abs);
    let base = repo_root(&abs).unwrap_or(cwd);
    let rel = match abs.strip_prefix(&base) {
        Ok(r) => r.to_path_buf(),
        // Outside the repository and the working directory: an absolute file URI.
        Err(_) => return format!("file://{}", encode(&abs.to_string_lossy())),
    };
    encode(&rel.to_string_lossy())
}

fn encode(path: &str) -> String {
    // Percent-encode what a URI reference cannot hold literally.
    path.replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20")
        .replace('#', "%23")
        .replace('?', "%3F")
}

pub fn render(reports: &[TemplateReport], cfg: &AuditConfig) -> String {
    let metas = cfg.rule_meta();
    let index: HashMap<&str, usize> = metas
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let rules: Vec<Value> = metas
        .iter()
        .map(|m| {
            let mut help = m.remediation.clone();
            if !m.references.is_empty() {
                help.push_str("\nReferences: ");
                help.push_str(&m.references.join(", "));
            }
            json!({
                "id": m.id,
                "name": m.id.replace('-', ""),
                "shortDescription": {"text": m.title},
                "fullDescription": {"text": format!("{} ({} rule, risk {})", m.title, m.category, m.risk)},
                "help": {"text": help},
                "defaultConfiguration": {"level": level(m.risk)},
                "properties": {
                    "tags": ["security", m.category.to_lowercase()],
                    "security-severity": security_severity(m.risk),
                    "risk": m.risk,
                }
            })
        })
        .collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    let mut suppression_list = Vec::new();
    for r in reports {
        let uri = repo_relative(&r.path);
        if let Some(e) = &r.error {
            let mut physical = json!({"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}});
            let mut note = json!({"level": "error", "message": {"text": e}});
            // A budget error says which budget and where: keep both machine-readable.
            if let Some(b) = &r.budget {
                physical["region"] =
                    json!({"startLine": b.line.max(1), "startColumn": b.col.max(1)});
                note["properties"] = json!({"budget": b.budget, "limit": b.limit});
            }
            note["locations"] = json!([{ "physicalLocation": physical }]);
            notifications.push(note);
            continue;
        }
        for s in &r.suppressions {
            suppression_list.push(json!({
                "uri": uri,
                "line": s.line,
                "column": s.col,
                "source": s.source,
                "id": s.id,
                "ruleId": s.rule_id,
                "resource": s.resource,
                "reason": s.reason,
                "findings": s.findings,
                "status": if s.refused.is_some() { "rejected" } else { "accepted" },
                "refused": s.refused,
            }));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for f in &r.findings {
            let key = format!("{}|{}|{}|{}", f.rule_id, uri, f.resource, f.message);
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            let digest = hex::encode(Sha256::digest(format!("{key}|{n}").as_bytes()));
            let mut text = format!(
                "{}: {} ({}; risk {})",
                f.resource, f.message, f.title, f.risk
            );
            if f.status == Status::Unresolved {
                text.push_str(" [unresolved value; not scored]");
            }
            let line = f.line.max(1);
            let col = f.col.max(1);
            // Without a known end, SARIF's default region runs to the end of the start line.
            let region = match f.end_col {
                Some(end) if end > col => {
                    json!({"startLine": line, "startColumn": col, "endLine": line, "endColumn": end})
                }
                _ => json!({"startLine": line, "startColumn": col}),
            };
            let mut res = json!({
                "ruleId": f.rule_id,
                "level": if f.status == Status::Unresolved { "note" } else { level(f.risk) },
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                        "region": region
                    },
                    "logicalLocations": [{"name": f.resource, "kind": "resource"}]
                }],
                "partialFingerprints": {"rampartFinding/v1": digest},
                "properties": {"risk": f.risk, "status": f.status, "decision": r.decision}
            });
            if let Some(i) = index.get(f.rule_id.as_str()) {
                res["ruleIndex"] = json!(i);
            }
            if let Some(s) = &f.suppressed {
                res["suppressions"] = json!([{"kind": "inSource", "status": "accepted", "justification": format!("{}: {}", s.source, s.reason)}]);
            } else if let Some(s) = &f.suppression_refused {
                // Written in the template but not honoured: the result stays open.
                res["suppressions"] = json!([{"kind": "inSource", "status": "rejected",
                    "justification": format!("{}: {} (refused: {})", s.source, s.reason, s.refused)}]);
            }
            results.push(res);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rampart",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications
            }],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "repository root"}}},
            "results": results,
            "properties": {
                "limits": cfg.limits,
                "suppressionPolicy": cfg.suppression,
                "suppressions": suppression_list
            }
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

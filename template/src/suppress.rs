//! Suppressions in resource (and template) Metadata: Rampart's own key, with a mandatory
//! reason, and the cfn_nag, cfn-guard and checkov conventions mapped through each rule's
//! equivalents. Suppressed findings stay in the report, marked.

use std::collections::HashMap;

use crate::audit::{AuditConfig, Finding, Suppression};
use crate::model::{Issue, Model};
use crate::node::{Node, Value};
use crate::rules::RuleMeta;

/// One suppression entry found in a resource's Metadata.
struct Entry {
    source: &'static str,
    id: String,
    reason: String,
}

fn list_at<'n>(meta: &'n Node, outer: &str, inner: &str) -> Vec<&'n Node> {
    // Both nested (`rampart: {suppress: [...]}`) and dotted (`rampart.suppress: [...]`) keys.
    let mut v: Vec<&Node> = meta
        .get(outer)
        .and_then(|o| o.get(inner))
        .map(|l| l.items().iter().collect())
        .unwrap_or_default();
    if let Some(l) = meta.get(&format!("{outer}.{inner}")) {
        v.extend(l.items());
    }
    v
}

fn suppressions(resource: &str, meta: &Node, issues: &mut Vec<Issue>) -> Vec<Entry> {
    let mut out = Vec::new();
    for (source, outer, inner, reason_key) in [
        ("rampart", "rampart", "suppress", "reason"),
        ("cfn_nag", "cfn_nag", "rules_to_suppress", "reason"),
        ("checkov", "checkov", "skip", "comment"),
    ] {
        for item in list_at(meta, outer, inner) {
            let Some(id) = item.get("id").and_then(Node::scalar_text) else {
                continue;
            };
            let reason = item
                .get(reason_key)
                .or_else(|| item.get("reason"))
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            if source == "rampart" && reason.trim().is_empty() {
                // Rampart requires a reason: an unexplained suppression is not honoured.
                issues.push(Issue {
                    resource: Some(resource.to_string()),
                    line: item.pos.line,
                    col: item.pos.col,
                    message: format!("suppression of {id} has no reason; ignored"),
                });
                continue;
            }
            out.push(Entry { source, id, reason });
        }
    }
    for item in list_at(meta, "guard", "SuppressedRules") {
        if let Value::Str(id) = &item.value {
            out.push(Entry {
                source: "guard",
                id: id.clone(),
                reason: "guard.SuppressedRules".into(),
            });
        }
    }
    out
}

pub fn apply_suppressions(
    model: &Model,
    cfg: &AuditConfig,
    findings: &mut [Finding],
    issues: &mut Vec<Issue>,
) {
    let meta_by_id: HashMap<&str, &RuleMeta> = cfg
        .rules
        .iter()
        .map(|r| (r.meta.id.as_str(), &r.meta))
        .collect();
    let mut cache: HashMap<String, Vec<Entry>> = HashMap::new();
    // Template-level `Metadata.rampart.suppress` waives a rule everywhere in the template
    // (with a reason); other tools' keys only exist on resources.
    let global: Vec<Entry> = model
        .root
        .get("Metadata")
        .map(|m| {
            suppressions("template", m, issues)
                .into_iter()
                .filter(|e| e.source == "rampart")
                .collect()
        })
        .unwrap_or_default();
    for r in &model.resources {
        if let Some(meta) = &r.metadata {
            let s = suppressions(&r.id, meta, issues);
            if !s.is_empty() {
                cache.insert(r.id.clone(), s);
            }
        }
    }
    for f in findings.iter_mut() {
        let Some(meta) = meta_by_id.get(f.rule_id.as_str()) else {
            continue;
        };
        let local = cache
            .get(&f.resource)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let hit = local.iter().chain(global.iter()).find(|e| match e.source {
            "rampart" => e.id == meta.id,
            "cfn_nag" => meta.equivalents.cfn_nag.contains(&e.id),
            "guard" => meta.equivalents.guard.contains(&e.id),
            "checkov" => meta.equivalents.checkov.contains(&e.id),
            _ => false,
        });
        if let Some(e) = hit {
            f.suppressed = Some(Suppression {
                source: e.source.to_string(),
                reason: e.reason.clone(),
            });
        }
    }
}

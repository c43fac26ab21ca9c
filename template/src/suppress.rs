//! Suppressions in resource (and template) Metadata: Rampart's own key, with a mandatory
//! reason, and the cfn_nag, cfn-guard and checkov conventions mapped through each rule's
//! equivalents. Suppressed findings stay in the report, marked.
//!
//! Suppressions are written by the template's author, so whether they count is the caller's
//! policy ([`SuppressionPolicy`]), not the template's: they can be switched off, limited to
//! those that give a reason, and never lower a risk at or above a ceiling. Every suppression
//! that applied, or that would have applied but was refused, is listed in the report.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::config::AuditConfig;
pub use crate::config::{SuppressionMode, SuppressionPolicy};
use crate::finding::{Finding, RefusedSuppression, Suppression};
use crate::model::{Issue, Model};
use crate::node::{Node, Pos, Value};
use crate::rules::RuleMeta;

/// One suppression as used in the audit of a template: applied to findings of a rule, or
/// refused by the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressionUse {
    /// `rampart`, `cfn_nag`, `guard` or `checkov`.
    pub source: String,
    /// The id as written (a Rampart rule id or the other tool's).
    pub id: String,
    /// The Rampart rule whose findings it concerns.
    pub rule_id: String,
    /// The resource whose Metadata holds it, or `template` for the template's Metadata.
    pub resource: String,
    pub line: u32,
    pub col: u32,
    pub reason: String,
    /// Findings it suppressed (or would have).
    pub findings: usize,
    /// Why the policy refused it; `None` when it applied.
    pub refused: Option<String>,
}

/// One suppression entry found in Metadata.
struct Entry {
    source: &'static str,
    id: String,
    reason: String,
    pos: Pos,
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
            out.push(Entry {
                source,
                id,
                reason,
                pos: item.pos,
            });
        }
    }
    for item in list_at(meta, "guard", "SuppressedRules") {
        if let Value::Str(id) = &item.value {
            out.push(Entry {
                source: "guard",
                id: id.clone(),
                reason: String::new(),
                pos: item.pos,
            });
        }
    }
    out
}

/// Entries of one Metadata block by (source, id), first occurrence first.
struct Index {
    owner: String,
    by: HashMap<(&'static str, String), Vec<Entry>>,
}

impl Index {
    fn new(owner: &str, entries: Vec<Entry>) -> Self {
        let mut by: HashMap<(&'static str, String), Vec<Entry>> = HashMap::new();
        for e in entries {
            by.entry((e.source, e.id.clone())).or_default().push(e);
        }
        Index {
            owner: owner.to_string(),
            by,
        }
    }

    /// Entries that name `meta`'s rule, in the order sources are tried.
    fn matching<'i>(&'i self, meta: &'i RuleMeta) -> impl Iterator<Item = &'i Entry> + 'i {
        let rampart = std::iter::once(("rampart", &meta.id));
        let others = [
            ("cfn_nag", &meta.equivalents.cfn_nag),
            ("checkov", &meta.equivalents.checkov),
            ("guard", &meta.equivalents.guard),
        ]
        .into_iter()
        .flat_map(|(source, ids)| ids.iter().map(move |id| (source, id)));
        rampart
            .chain(others)
            .filter_map(|(source, id)| self.by.get(&(source, id.clone())))
            .flat_map(|v| v.first())
    }
}

/// Why `policy` refuses `e` for a finding of risk `risk`, if it does.
fn refusal(policy: &SuppressionPolicy, e: &Entry, risk: u32) -> Option<String> {
    match policy.mode {
        SuppressionMode::None => {
            return Some("the configuration does not allow suppressions in templates".into())
        }
        SuppressionMode::Reasoned if e.reason.trim().is_empty() => {
            return Some("no reason given, and the configuration requires one".into())
        }
        _ => {}
    }
    match policy.ceiling {
        Some(c) if risk >= c => Some(format!(
            "risk {risk} is at or above the suppression ceiling {c}"
        )),
        _ => None,
    }
}

pub fn apply_suppressions(
    model: &Model,
    cfg: &AuditConfig,
    findings: &mut [Finding],
    issues: &mut Vec<Issue>,
) -> Vec<SuppressionUse> {
    let meta_by_id: HashMap<&str, &RuleMeta> = cfg
        .rules
        .iter()
        .map(|r| (r.meta.id.as_str(), &r.meta))
        .collect();
    // Template-level `Metadata.rampart.suppress` waives a rule everywhere in the template
    // (with a reason); other tools' keys only exist on resources.
    let global = Index::new(
        "template",
        model
            .root
            .get("Metadata")
            .map(|m| {
                suppressions("template", m, issues)
                    .into_iter()
                    .filter(|e| e.source == "rampart")
                    .collect()
            })
            .unwrap_or_default(),
    );
    let mut local: HashMap<&str, Index> = HashMap::new();
    for r in &model.resources {
        if let Some(meta) = r.metadata {
            let s = suppressions(&r.id, meta, issues);
            if !s.is_empty() {
                local.insert(r.id.as_str(), Index::new(&r.id, s));
            }
        }
    }
    let mut uses: BTreeMap<(u32, u32, String, String), SuppressionUse> = BTreeMap::new();
    let mut record = |owner: &str, e: &Entry, rule: &str, refused: Option<String>| {
        let key = (e.pos.line, e.pos.col, owner.to_string(), rule.to_string());
        uses.entry(key)
            .or_insert_with(|| SuppressionUse {
                source: e.source.to_string(),
                id: e.id.clone(),
                rule_id: rule.to_string(),
                resource: owner.to_string(),
                line: e.pos.line,
                col: e.pos.col,
                reason: e.reason.clone(),
                findings: 0,
                refused,
            })
            .findings += 1;
    };
    for f in findings.iter_mut() {
        let Some(meta) = meta_by_id.get(f.rule_id.as_str()) else {
            continue;
        };
        let candidates = local
            .get(f.resource.as_str())
            .into_iter()
            .chain(std::iter::once(&global))
            .flat_map(|ix| ix.matching(meta).map(move |e| (ix.owner.as_str(), e)));
        let mut refused = None;
        for (owner, e) in candidates {
            match refusal(&cfg.suppression, e, f.risk) {
                None => {
                    record(owner, e, &meta.id, None);
                    f.suppressed = Some(Suppression {
                        source: e.source.to_string(),
                        reason: if e.source == "guard" {
                            "guard.SuppressedRules".into()
                        } else {
                            e.reason.clone()
                        },
                    });
                    refused = None;
                    break;
                }
                Some(why) => {
                    record(owner, e, &meta.id, Some(why.clone()));
                    if refused.is_none() {
                        refused = Some(RefusedSuppression {
                            source: e.source.to_string(),
                            reason: e.reason.clone(),
                            refused: why,
                        });
                    }
                }
            }
        }
        f.suppression_refused = refused;
    }
    uses.into_values().collect()
}

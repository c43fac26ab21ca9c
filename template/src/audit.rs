//! Auditing one template: parse, resolve, run the rules, apply suppressions, score.

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::Serialize;

use crate::model::{Issue, Model};
use crate::node::{Node, Value};
use crate::parse::{parse_document, Format};
use crate::rules::{Check, Rule, RuleMeta};

/// Risk thresholds: total < approval is PASS, < fail is APPROVAL, otherwise FAIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    pub approval: u32,
    pub fail: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            approval: 5,
            fail: 10,
        }
    }
}

impl Thresholds {
    /// Parse `"5,10"`.
    pub fn parse(s: &str) -> Result<Thresholds, String> {
        let (a, f) = s
            .split_once(',')
            .ok_or_else(|| format!("thresholds {s:?}: expected APPROVAL,FAIL e.g. 5,10"))?;
        let approval = a
            .trim()
            .parse()
            .map_err(|_| format!("bad approval threshold {a:?}"))?;
        let fail = f
            .trim()
            .parse()
            .map_err(|_| format!("bad fail threshold {f:?}"))?;
        if approval > fail {
            return Err(format!(
                "approval threshold {approval} exceeds fail threshold {fail}"
            ));
        }
        Ok(Thresholds { approval, fail })
    }

    pub fn decide(&self, risk: u32) -> Decision {
        if risk >= self.fail {
            Decision::Fail
        } else if risk >= self.approval {
            Decision::Approval
        } else {
            Decision::Pass
        }
    }
}

/// Outcome for one template, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Decision {
    Pass,
    Approval,
    Fail,
    Error,
}

impl Decision {
    /// The CLI exit code: 0 PASS, 1 APPROVAL, 2 FAIL, 3 error.
    pub fn exit_code(self) -> i32 {
        match self {
            Decision::Pass => 0,
            Decision::Approval => 1,
            Decision::Fail => 2,
            Decision::Error => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pass => "PASS",
            Decision::Approval => "APPROVAL",
            Decision::Fail => "FAIL",
            Decision::Error => "ERROR",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule fails on a resolved value.
    Fail,
    /// The rule would fail for some value of an input it could not resolve; reported, not scored.
    Unresolved,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `rampart`, `cfn_nag`, `guard` or `checkov`.
    pub source: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub category: String,
    pub risk: u32,
    pub resource: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub status: Status,
    pub suppressed: Option<Suppression>,
}

impl Finding {
    /// Counts toward the risk total.
    pub fn scores(&self) -> bool {
        self.status == Status::Fail && self.suppressed.is_none()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TemplateReport {
    /// Path as given (or relative to the working directory), used in reports.
    pub path: String,
    pub format: Option<&'static str>,
    pub findings: Vec<Finding>,
    pub issues: Vec<Issue>,
    pub risk_total: u32,
    pub decision: Decision,
    /// Failed, unsuppressed rule ids (each counted once in the total).
    pub failed_rules: Vec<String>,
    pub error: Option<String>,
    /// Set when a file found by a directory search is not a CloudFormation template (a
    /// buildspec, a Kubernetes manifest): reported as skipped, not as an error.
    pub skipped: Option<String>,
}

/// The active rule set plus options.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    pub rules: Vec<Rule>,
    pub thresholds: Thresholds,
    pub parameters: HashMap<String, String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            rules: crate::rules::builtin_rules(),
            thresholds: Thresholds::default(),
            parameters: HashMap::new(),
        }
    }
}

impl AuditConfig {
    /// Add a pack: a rule with an existing id replaces it (so a pack can retune or switch
    /// off a built-in rule with `active: N`).
    pub fn add_rules(&mut self, rules: Vec<Rule>) {
        for r in rules {
            let slot = self.rules.iter_mut().find(|x| x.meta.id == r.meta.id);
            match (slot, &r.check) {
                (Some(slot), Check::Override { risk, title }) => {
                    slot.meta.active = r.meta.active;
                    if let Some(risk) = risk {
                        slot.meta.risk = *risk;
                    }
                    if let Some(t) = title {
                        slot.meta.title = t.clone();
                    }
                }
                // Overriding a rule that does not exist changes nothing.
                (None, Check::Override { .. }) => {}
                (Some(slot), _) => *slot = r,
                (None, _) => self.rules.push(r),
            }
        }
    }

    pub fn rule_meta(&self) -> Vec<&RuleMeta> {
        self.rules
            .iter()
            .filter(|r| r.meta.active)
            .map(|r| &r.meta)
            .collect()
    }
}

fn error_report(path: &str, message: String) -> TemplateReport {
    TemplateReport {
        path: path.to_string(),
        format: None,
        findings: Vec::new(),
        issues: Vec::new(),
        risk_total: 0,
        decision: Decision::Error,
        failed_rules: Vec::new(),
        error: Some(message),
        skipped: None,
    }
}

/// Audit a template's text. Never panics: a defect in a rule becomes an error report.
pub fn audit_text(path: &str, text: &str, cfg: &AuditConfig) -> TemplateReport {
    match catch_unwind(AssertUnwindSafe(|| audit_inner(path, text, cfg))) {
        Ok(r) => r,
        Err(_) => error_report(path, format!("{path}: internal error while auditing")),
    }
}

fn audit_inner(path: &str, text: &str, cfg: &AuditConfig) -> TemplateReport {
    let (root, format) = match parse_document(path, text) {
        Ok(v) => v,
        Err(e) => return error_report(path, e.to_string()),
    };
    if !root.is_map()
        || (root.get("Resources").is_none() && root.get("AWSTemplateFormatVersion").is_none())
    {
        let mut r = error_report(
            path,
            format!("{path}:1:1: not a CloudFormation template (no Resources section)"),
        );
        r.skipped = Some("not a CloudFormation template (no Resources section)".into());
        return r;
    }
    let model = Model::build(&root, &cfg.parameters);
    let mut issues = model.issues.clone();
    let mut findings = Vec::new();
    for rule in cfg.rules.iter().filter(|r| r.meta.active) {
        for hit in rule.evaluate(&model) {
            findings.push(Finding {
                rule_id: rule.meta.id.clone(),
                title: rule.meta.title.clone(),
                category: rule.meta.category.clone(),
                risk: rule.meta.risk,
                resource: hit.resource,
                line: hit.pos.line,
                col: hit.pos.col,
                message: hit.message,
                status: if hit.unresolved {
                    Status::Unresolved
                } else {
                    Status::Fail
                },
                suppressed: None,
            });
        }
    }
    apply_suppressions(&model, cfg, &mut findings, &mut issues);
    findings.sort_by(|a, b| (a.line, a.col, &a.rule_id).cmp(&(b.line, b.col, &b.rule_id)));
    findings.dedup();
    // Risk-0 rules are informational: reported, never listed as failed.
    let failed: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.scores() && f.risk > 0)
        .map(|f| f.rule_id.as_str())
        .collect();
    let risk_total = cfg
        .rules
        .iter()
        .filter(|r| failed.contains(r.meta.id.as_str()))
        .map(|r| r.meta.risk)
        .sum();
    let failed_rules = failed.iter().map(|s| s.to_string()).collect();
    TemplateReport {
        path: path.to_string(),
        format: Some(match format {
            Format::Json => "json",
            Format::Yaml => "yaml",
        }),
        findings,
        issues,
        risk_total,
        decision: cfg.thresholds.decide(risk_total),
        failed_rules,
        error: None,
        skipped: None,
    }
}

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

fn apply_suppressions(
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

//! Auditing one template: parse, resolve, run the rules, apply suppressions, score.

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use serde::Serialize;

use crate::budget::Deadline;
pub use crate::budget::{Budget, Exceeded, Limits};
use crate::model::{Issue, Model};
use crate::node::Pos;
use crate::parse::{parse_document_with, Format};
use crate::rules::{Check, Rule, RuleMeta};
pub use crate::score::{Decision, Thresholds};
use crate::suppress::apply_suppressions;
pub use crate::suppress::{SuppressionMode, SuppressionPolicy, SuppressionUse};

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

/// A suppression written for a finding that the policy did not honour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedSuppression {
    pub source: String,
    pub reason: String,
    /// Why it was refused.
    pub refused: String,
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
    /// Column just past the finding's text when known (the resource's logical id).
    pub end_col: Option<u32>,
    pub message: String,
    pub status: Status,
    pub suppressed: Option<Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression_refused: Option<RefusedSuppression>,
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
    /// The budget that ended the audit, when one did (the error says the same in words).
    pub budget: Option<Exceeded>,
    /// Suppressions found in the template that applied to findings, or were refused.
    pub suppressions: Vec<SuppressionUse>,
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
    /// Budgets for each template.
    pub limits: Limits,
    /// An outer deadline (a pipeline job's) that also ends every template's audit.
    pub deadline: Option<Instant>,
    /// Which suppressions written in templates count.
    pub suppression: SuppressionPolicy,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            rules: crate::rules::builtin_rules(),
            thresholds: Thresholds::default(),
            parameters: HashMap::new(),
            limits: Limits::default(),
            deadline: None,
            suppression: SuppressionPolicy::default(),
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
        budget: None,
        suppressions: Vec::new(),
        skipped: None,
    }
}

/// The report of a template whose audit a budget ended.
fn budget_report(path: &str, e: Exceeded) -> TemplateReport {
    let mut r = error_report(path, format!("{path}:{e}"));
    r.budget = Some(e);
    r
}

/// Audit a template's text. Never panics: a defect in a rule becomes an error report.
pub fn audit_text(path: &str, text: &str, cfg: &AuditConfig) -> TemplateReport {
    match catch_unwind(AssertUnwindSafe(|| audit_inner(path, text, cfg))) {
        Ok(r) => r,
        Err(_) => error_report(path, format!("{path}: internal error while auditing")),
    }
}

fn audit_inner(path: &str, text: &str, cfg: &AuditConfig) -> TemplateReport {
    let deadline = Deadline::start(cfg.limits.time(), cfg.deadline);
    if deadline.passed() {
        return budget_report(
            path,
            Exceeded::time(
                &deadline,
                Pos::new(1, 1),
                "no time was left to audit this template",
            ),
        );
    }
    let (root, format) = match parse_document_with(path, text, &cfg.limits, deadline) {
        Ok(v) => v,
        Err(e) => match e.exceeded {
            Some(x) => return budget_report(path, x),
            None => return error_report(path, e.to_string()),
        },
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
    let model = match Model::build(&root, &cfg.parameters, &cfg.limits, deadline) {
        Ok(m) => m,
        Err(e) => return budget_report(path, e),
    };
    let mut issues = model.issues.clone();
    let mut findings = Vec::new();
    let key_spans: HashMap<&str, (crate::node::Pos, u32)> = model
        .resources
        .iter()
        .map(|r| {
            let len = u32::try_from(r.id.chars().count()).unwrap_or(u32::MAX);
            (r.id.as_str(), (r.pos, len))
        })
        .collect();
    let patterns = crate::resolve::pattern::enter(model.resolver.patterns.clone());
    for rule in cfg.rules.iter().filter(|r| r.meta.active) {
        // Each rule is linear in the template; between rules is where time is checked.
        if deadline.passed() {
            return budget_report(
                path,
                Exceeded::time(
                    &deadline,
                    root.pos,
                    format!(
                        "the template's time ran out while evaluating rule {}",
                        rule.meta.id
                    ),
                ),
            );
        }
        for hit in rule.evaluate(&model) {
            // A finding on the logical id spans the id; elsewhere only the start is known.
            let end_col = key_spans
                .get(hit.resource.as_str())
                .filter(|(pos, _)| *pos == hit.pos)
                .map(|(pos, len)| pos.col.saturating_add(*len));
            findings.push(Finding {
                rule_id: rule.meta.id.clone(),
                title: rule.meta.title.clone(),
                category: rule.meta.category.clone(),
                risk: rule.meta.risk,
                resource: hit.resource,
                line: hit.pos.line,
                col: hit.pos.col,
                end_col,
                message: hit.message,
                status: if hit.unresolved {
                    Status::Unresolved
                } else {
                    Status::Fail
                },
                suppressed: None,
                suppression_refused: None,
            });
        }
    }
    drop(patterns);
    let suppressions = apply_suppressions(&model, cfg, &mut findings, &mut issues);
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
        budget: None,
        suppressions,
        skipped: None,
    }
}

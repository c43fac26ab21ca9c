//! Auditing one template: parse, resolve, run the rules, apply suppressions, score.

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::Serialize;

use crate::budget::Deadline;
pub use crate::budget::{Budget, Exceeded, Limits};
pub use crate::config::{AuditConfig, SuppressionMode, SuppressionPolicy};
pub use crate::finding::{Finding, RefusedSuppression, Status, Suppression};
use crate::model::{Issue, Model};
use crate::node::Pos;
use crate::parse::{parse_document_with, Format};
pub use crate::score::{Decision, Thresholds};
use crate::suppress::apply_suppressions;
pub use crate::suppress::SuppressionUse;

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

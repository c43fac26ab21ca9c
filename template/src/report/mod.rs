//! Report formats. Each takes the template reports of one run and returns the document text.

pub mod junit;
pub mod sarif;
pub mod text;

use serde::Serialize;

use crate::audit::{AuditConfig, Decision, TemplateReport};

/// Worst decision over templates (PASS when there are none).
pub fn overall(reports: &[TemplateReport]) -> Decision {
    reports
        .iter()
        .map(|r| r.decision)
        .max()
        .unwrap_or(Decision::Pass)
}

#[derive(Serialize)]
struct JsonReport<'a> {
    tool: &'static str,
    version: &'static str,
    thresholds: crate::audit::Thresholds,
    /// The budgets each template was audited within.
    limits: crate::budget::Limits,
    /// Which suppressions written in templates counted.
    suppression_policy: crate::suppress::SuppressionPolicy,
    decision: Decision,
    templates: &'a [TemplateReport],
}

/// Machine-readable report: every template with findings, issues, risk and decision.
pub fn json(reports: &[TemplateReport], cfg: &AuditConfig) -> String {
    let doc = JsonReport {
        tool: "rampart",
        version: env!("CARGO_PKG_VERSION"),
        thresholds: cfg.thresholds,
        limits: cfg.limits,
        suppression_policy: cfg.suppression,
        decision: overall(reports),
        templates: reports,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

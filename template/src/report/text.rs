//! Human-readable report: `file:line:col  RULE  risk N  resource  message`, then the decision.

use std::fmt::Write;

use crate::audit::{AuditConfig, Status, TemplateReport};

pub fn render(reports: &[TemplateReport], cfg: &AuditConfig) -> String {
    let mut out = String::new();
    for r in reports {
        if let Some(e) = &r.error {
            let _ = writeln!(out, "{}: ERROR: {e}", r.path);
            continue;
        }
        if let Some(s) = &r.skipped {
            let _ = writeln!(out, "{}: SKIPPED: {s}", r.path);
            continue;
        }
        for f in &r.findings {
            let mut tail = String::new();
            if f.status == Status::Unresolved {
                tail.push_str(" [UNRESOLVED, not scored]");
            }
            if let Some(s) = &f.suppressed {
                let _ = write!(tail, " [SUPPRESSED by {}: {}]", s.source, s.reason);
            }
            let _ = writeln!(
                out,
                "{}:{}:{}  {}  risk {}  {}  {}{}",
                r.path, f.line, f.col, f.rule_id, f.risk, f.resource, f.message, tail
            );
        }
        for i in &r.issues {
            let _ = writeln!(
                out,
                "{}:{}:{}  note  {}{}",
                r.path,
                i.line,
                i.col,
                i.resource
                    .as_deref()
                    .map(|s| format!("{s}: "))
                    .unwrap_or_default(),
                i.message
            );
        }
        let _ = writeln!(
            out,
            "{}: {} (risk {}; approval at {}, fail at {}){}",
            r.path,
            r.decision.as_str(),
            r.risk_total,
            cfg.thresholds.approval,
            cfg.thresholds.fail,
            if r.failed_rules.is_empty() {
                String::new()
            } else {
                format!("; failed rules: {}", r.failed_rules.join(", "))
            }
        );
    }
    let _ = writeln!(
        out,
        "{} template(s): {}",
        reports.len(),
        super::overall(reports).as_str()
    );
    out
}

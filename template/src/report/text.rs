//! Human-readable report: `file:line:col  RULE  risk N  resource  message`, the suppressions
//! written in the template (applied or refused), then the decision.

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
            if let Some(s) = &f.suppression_refused {
                let _ = write!(
                    tail,
                    " [suppression by {} refused: {}]",
                    s.source, s.refused
                );
            }
            let _ = writeln!(
                out,
                "{}:{}:{}  {}  risk {}  {}  {}{}",
                r.path, f.line, f.col, f.rule_id, f.risk, f.resource, f.message, tail
            );
        }
        for s in &r.suppressions {
            let outcome = match &s.refused {
                None => format!("applied to {} finding(s)", s.findings),
                Some(why) => format!("REFUSED for {} finding(s): {why}", s.findings),
            };
            let reason = if s.reason.is_empty() {
                "no reason given".to_string()
            } else {
                format!("reason: {}", s.reason)
            };
            let _ = writeln!(
                out,
                "{}:{}:{}  suppression  {} {} of {} on {}; {outcome}; {reason}",
                r.path, s.line, s.col, s.source, s.id, s.rule_id, s.resource
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

//! JUnit XML for CodeBuild report groups: a suite per template, a test case per finding
//! (failure when it scores, skipped when suppressed or unresolved) and one for the decision.

use std::fmt::Write;

use crate::audit::{Decision, Status, TemplateReport};

/// Escape text for XML attributes and content (also drops characters XML 1.0 forbids).
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => o.push(c),
        }
    }
    o
}

pub fn render(reports: &[TemplateReport]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rampart audit-template\">\n");
    for r in reports.iter().filter(|r| r.skipped.is_none()) {
        let path = escape(&r.path);
        let failures = r.findings.iter().filter(|f| f.scores()).count()
            + usize::from(r.decision == Decision::Fail);
        let skipped = r.findings.iter().filter(|f| !f.scores()).count();
        let errors = usize::from(r.decision == Decision::Error);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{path}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
            r.findings.len() + 1
        );
        // Suppressions written in the template, applied or refused, as suite properties.
        if !r.suppressions.is_empty() {
            out.push_str("    <properties>\n");
            for s in &r.suppressions {
                let outcome = match &s.refused {
                    None => format!("applied to {} finding(s)", s.findings),
                    Some(why) => format!("refused for {} finding(s): {why}", s.findings),
                };
                let _ = writeln!(
                    out,
                    "      <property name=\"suppression\" value=\"{}\"/>",
                    escape(&format!(
                        "{} {} of {} on {} (line {}): {outcome}; reason: {}",
                        s.source, s.id, s.rule_id, s.resource, s.line, s.reason
                    ))
                );
            }
            out.push_str("    </properties>\n");
        }
        for f in &r.findings {
            let _ = write!(
                out,
                "    <testcase classname=\"{path}\" name=\"{} {}:{}\">",
                escape(&f.rule_id),
                escape(&f.resource),
                f.line
            );
            let msg = escape(&format!("{} (risk {}): {}", f.title, f.risk, f.message));
            if let Some(s) = &f.suppressed {
                let _ = write!(
                    out,
                    "<skipped message=\"suppressed by {}: {}\"/>",
                    escape(&s.source),
                    escape(&s.reason)
                );
            } else if f.status == Status::Unresolved {
                let _ = write!(out, "<skipped message=\"unresolved: {msg}\"/>");
            } else {
                let _ = write!(
                    out,
                    "<failure message=\"{msg}\" type=\"{}\">{}:{}:{} {msg}</failure>",
                    escape(&f.category),
                    path,
                    f.line,
                    f.col
                );
            }
            out.push_str("</testcase>\n");
        }
        let _ = write!(out, "    <testcase classname=\"{path}\" name=\"decision\">");
        let summary = format!("{} (risk {})", r.decision.as_str(), r.risk_total);
        match r.decision {
            Decision::Error => {
                let kind = match &r.budget {
                    Some(b) => format!("budget/{}", b.budget.name()),
                    None => "error".to_string(),
                };
                let _ = write!(
                    out,
                    "<error type=\"{kind}\" message=\"{}\"/>",
                    escape(r.error.as_deref().unwrap_or("error"))
                );
            }
            Decision::Fail => {
                let _ = write!(out, "<failure message=\"{}\"/>", escape(&summary));
            }
            _ => {
                let _ = write!(out, "<system-out>{}</system-out>", escape(&summary));
            }
        }
        out.push_str("</testcase>\n  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

//! Auditing the extracted artifact and turning the outcome into the job result.

use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};

use std::time::Instant;

use super::artifact::glob_regex;
use super::error::PipelineError;
use super::event::UserParameters;
use crate::audit::{audit_text, AuditConfig, Decision, TemplateReport, Thresholds};

/// CodePipeline's limit on a failure message.
pub const MAX_FAILURE_MESSAGE: usize = 5000;
/// CodePipeline's limit on an execution summary.
pub const MAX_SUMMARY: usize = 2048;

/// Result of auditing an artifact.
#[derive(Debug, Clone)]
pub struct ArtifactAudit {
    pub reports: Vec<TemplateReport>,
    pub decision: Decision,
    pub thresholds: Thresholds,
}

fn is_template_name(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    [".yaml", ".yml", ".json", ".template"]
        .iter()
        .any(|e| l.ends_with(e))
}

/// Whether `name` is audited under `params` (given `globs` compiled from `params.templates`).
fn is_selected(name: &str, params: &UserParameters, globs: &[regex::Regex]) -> bool {
    if params.templates.is_empty() {
        is_template_name(name)
            && !params.rules.iter().any(|r| r == name)
            && params.parameters.as_deref() != Some(name)
    } else {
        globs.iter().any(|g| g.is_match(name))
    }
}

/// Which files of the artifact the job needs: the selected templates, rule packs and
/// parameters (the globs are compiled once, not per entry).
pub fn wanted(params: &UserParameters) -> impl Fn(&str) -> bool + '_ {
    let globs: Vec<regex::Regex> = params
        .templates
        .iter()
        .filter_map(|g| glob_regex(g))
        .collect();
    move |name: &str| {
        let own = |p: &str| p.trim_start_matches("./") == name;
        is_selected(name, params, &globs)
            || params.rules.iter().any(|r| own(r))
            || params.parameters.as_deref().is_some_and(own)
    }
}

/// Audit the selected files of an extracted artifact; every template's audit also ends at
/// `deadline` (the job's), reported as that template's time budget.
pub fn audit_artifact(
    files: &[(String, Vec<u8>)],
    params: &UserParameters,
    deadline: Option<Instant>,
) -> Result<ArtifactAudit, PipelineError> {
    let find = |path: &str| {
        files
            .iter()
            .find(|(n, _)| n == path.trim_start_matches("./"))
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .ok_or_else(|| PipelineError::Config(format!("{path} not found in the artifact")))
    };
    let mut cfg = AuditConfig {
        thresholds: params.thresholds,
        limits: params.limits,
        deadline,
        suppression: params.suppression,
        ..AuditConfig::default()
    };
    // A pack inside the artifact is written by whoever wrote the change under review: it may
    // only change the rules when the pipeline's own configuration says so.
    if !params.rules.is_empty() && !params.allow_artifact_rules {
        return Err(PipelineError::Config(format!(
            "rule pack(s) {} are inside the artifact under review; the pipeline configuration \
             must set \"allowArtifactRules\": true to use them",
            params.rules.join(", ")
        )));
    }
    for r in &params.rules {
        let rules = crate::rules::pack::parse_pack(r, &find(r)?, &crate::rules::builtin_lookup)
            .map_err(|e| PipelineError::Config(e.to_string()))?;
        cfg.add_rules(rules);
    }
    if let Some(p) = &params.parameters {
        cfg.parameters = crate::cli::parse_parameters(p, &find(p)?)
            .map_err(|e| PipelineError::Config(e.to_string()))?;
    }
    let globs: Vec<regex::Regex> = params
        .templates
        .iter()
        .filter_map(|g| glob_regex(g))
        .collect();
    let selected: Vec<&(String, Vec<u8>)> = files
        .iter()
        .filter(|(n, _)| is_selected(n, params, &globs))
        .collect();
    if selected.is_empty() {
        return Err(PipelineError::NoTemplates(params.templates.clone()));
    }
    let reports: Vec<TemplateReport> = selected
        .iter()
        .map(|(n, b)| match std::str::from_utf8(b) {
            Ok(t) => {
                let mut r = audit_text(n, t, &cfg);
                // Selection is a search (globs), so a buildspec or manifest that matched is
                // skipped, as in a directory search on the command line.
                if r.skipped.is_some() {
                    r.decision = Decision::Pass;
                    r.error = None;
                }
                r
            }
            Err(_) => {
                let mut r = audit_text(n, "", &cfg);
                r.error = Some(format!("{n}: not UTF-8 text"));
                r.decision = Decision::Error;
                r
            }
        })
        .collect();
    if reports.iter().all(|r| r.skipped.is_some()) {
        return Err(PipelineError::NoTemplates(params.templates.clone()));
    }
    let decision = crate::report::overall(&reports);
    Ok(ArtifactAudit {
        reports,
        decision,
        thresholds: cfg.thresholds,
    })
}

/// Cut `s` to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let marker = "\n... (truncated)";
    let mut end = max.saturating_sub(marker.len());
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &s[..end])
}

/// One line per template and per scoring finding.
fn findings_lines(a: &ArtifactAudit) -> String {
    let mut out = String::new();
    for r in a.reports.iter().filter(|r| r.skipped.is_none()) {
        if let Some(e) = &r.error {
            out.push_str(&format!("{}: ERROR {e}\n", r.path));
            continue;
        }
        out.push_str(&format!(
            "{}: {} risk {}\n",
            r.path,
            r.decision.as_str(),
            r.risk_total
        ));
        for f in r.findings.iter().filter(|f| f.scores() && f.risk > 0) {
            out.push_str(&format!(
                "  {} (risk {}) {} line {}: {}\n",
                f.rule_id, f.risk, f.resource, f.line, f.message
            ));
        }
        // The gate says which of the template's own suppressions it honoured or refused.
        for s in &r.suppressions {
            let outcome = match &s.refused {
                None => "applied".to_string(),
                Some(why) => format!("refused ({why})"),
            };
            out.push_str(&format!(
                "  suppression of {} on {} line {} {outcome}: {}\n",
                s.rule_id, s.resource, s.line, s.reason
            ));
        }
    }
    out
}

/// The suppressions the templates used (or tried to), one line each.
fn suppression_lines(a: &ArtifactAudit) -> String {
    let mut out = String::new();
    for r in &a.reports {
        for s in &r.suppressions {
            let outcome = match &s.refused {
                None => "applied".to_string(),
                Some(why) => format!("refused ({why})"),
            };
            out.push_str(&format!(
                "{}: suppression of {} on {} line {} {outcome}: {}\n",
                r.path, s.rule_id, s.resource, s.line, s.reason
            ));
        }
    }
    out
}

/// What the job is told.
#[derive(Debug, Clone, PartialEq)]
pub enum JobResult {
    Success { summary: String },
    Failure { message: String },
}

/// Turn an audit (or an error) into the job result text.
pub fn job_result(outcome: &Result<ArtifactAudit, PipelineError>) -> JobResult {
    match outcome {
        Err(e) => JobResult::Failure {
            message: truncate(
                &format!("Rampart template audit could not complete: {e}"),
                MAX_FAILURE_MESSAGE,
            ),
        },
        Ok(a) => {
            let total: u32 = a.reports.iter().map(|r| r.risk_total).max().unwrap_or(0);
            match a.decision {
                Decision::Pass => JobResult::Success {
                    summary: truncate(
                        format!(
                            "Rampart: minimal or no risk detected (highest template risk {total}, approval at {})\n{}",
                            a.thresholds.approval,
                            suppression_lines(a)
                        )
                        .trim_end(),
                        MAX_SUMMARY,
                    ),
                },
                Decision::Approval => JobResult::Success {
                    summary: truncate(
                        &format!(
                            "Rampart: medium risk detected (highest template risk {total}), manual approval needed.\n{}",
                            findings_lines(a)
                        ),
                        MAX_SUMMARY,
                    ),
                },
                Decision::Fail | Decision::Error => {
                    let failed: Vec<String> = a
                        .reports
                        .iter()
                        .flat_map(|r| r.failed_rules.iter().cloned())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    let head = if a.decision == Decision::Error {
                        "Rampart: a template could not be audited".to_string()
                    } else {
                        format!(
                            "Rampart: high risk detected (highest template risk {total}, fail at {}). Failed rules: {}",
                            a.thresholds.fail,
                            failed.join(", ")
                        )
                    };
                    JobResult::Failure {
                        message: truncate(&format!("{head}\n{}", findings_lines(a)), MAX_FAILURE_MESSAGE),
                    }
                }
            }
        }
    }
}

/// Call PutJobSuccessResult or PutJobFailureResult.
pub async fn report_result(
    codepipeline: &aws_sdk_codepipeline::Client,
    job_id: &str,
    result: &JobResult,
) -> Result<(), PipelineError> {
    match result {
        JobResult::Success { summary } => codepipeline
            .put_job_success_result()
            .job_id(job_id)
            .execution_details(ExecutionDetails::builder().summary(summary.clone()).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PipelineError::Report {
                call: "PutJobSuccessResult",
                message: aws_sdk_codepipeline::error::DisplayErrorContext(&e).to_string(),
            }),
        JobResult::Failure { message } => {
            let details = FailureDetails::builder()
                .r#type(FailureType::JobFailed)
                .message(message.clone())
                .build()
                .map_err(|e| PipelineError::Report {
                    call: "PutJobFailureResult",
                    message: e.to_string(),
                })?;
            codepipeline
                .put_job_failure_result()
                .job_id(job_id)
                .failure_details(details)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| PipelineError::Report {
                    call: "PutJobFailureResult",
                    message: aws_sdk_codepipeline::error::DisplayErrorContext(&e).to_string(),
                })
        }
    }
}

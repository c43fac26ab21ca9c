//! The labelled comparison set (`tests/comparison/`): tricky templates on which incumbents are
//! known to miss findings, plus clean negative controls. Each file states its expectations in
//! its header (YAML comments, or the `Description` of a JSON template):
//!
//! - `expect-fail: ID...`: the rule fails (scored, unsuppressed) at least once;
//! - `expect-unresolved: ID...`: the rule is reported as unresolved and not scored;
//! - `expect-absent: ID...`: the rule reports nothing at all (negative control);
//! - `expect-issue: LOGICAL_ID...`: the resource is reported as an issue and the rest of the
//!   file is still audited.
//!
//! The measured comparison with checkov and cfn-lint on these files is in
//! docs/template-audit.md ("Comparison with incumbents").

use std::path::{Path, PathBuf};

use rampart_template::audit::{AuditConfig, Decision, Status, TemplateReport};
use rampart_template::cli::{audit_file, audit_paths, collect_files};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/comparison")
}

#[derive(Debug, Default)]
struct Labels {
    fail: Vec<String>,
    unresolved: Vec<String>,
    absent: Vec<String>,
    issue: Vec<String>,
}

/// Tokens after `key` up to the first one that is not an identifier (rule ids like `NET-01`,
/// logical ids like `Network`), so a label can end a JSON `Description` sentence.
fn tokens_after(text: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices(key) {
        for tok in text[i + key.len()..].split_whitespace() {
            let t = tok.trim_end_matches(['.', ',', '"']);
            let ident = !t.is_empty()
                && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if !ident || t.starts_with("expect") {
                break;
            }
            out.push(t.to_string());
            if t.len() != tok.len() {
                break; // the label ended with punctuation
            }
        }
    }
    out
}

fn labels(path: &Path) -> Labels {
    let text = std::fs::read_to_string(path).expect("read labelled template");
    Labels {
        fail: tokens_after(&text, "expect-fail:"),
        unresolved: tokens_after(&text, "expect-unresolved:"),
        absent: tokens_after(&text, "expect-absent:"),
        issue: tokens_after(&text, "expect-issue:"),
    }
}

fn files() -> Vec<PathBuf> {
    let mut v = collect_files(&[dir()]);
    v.sort();
    v
}

fn check(path: &Path, r: &TemplateReport, l: &Labels) -> Vec<String> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string());
    let name = name.unwrap_or_default();
    let mut errs = Vec::new();
    if r.error.is_some() || r.decision == Decision::Error {
        errs.push(format!("{name}: error {:?}", r.error));
    }
    let summary: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{}/{:?}", f.rule_id, f.status))
        .collect();
    for id in &l.fail {
        let ok = r
            .findings
            .iter()
            .any(|f| &f.rule_id == id && f.status == Status::Fail && f.suppressed.is_none());
        if !ok || !r.failed_rules.contains(id) {
            errs.push(format!("{name}: expected {id} to fail; got {summary:?}"));
        }
    }
    for id in &l.unresolved {
        let ok = r
            .findings
            .iter()
            .any(|f| &f.rule_id == id && f.status == Status::Unresolved);
        if !ok || r.failed_rules.contains(id) {
            errs.push(format!(
                "{name}: expected {id} unresolved and unscored; got {summary:?}"
            ));
        }
    }
    for id in &l.absent {
        if r.findings.iter().any(|f| &f.rule_id == id) {
            errs.push(format!("{name}: expected no {id}; got {summary:?}"));
        }
    }
    for id in &l.issue {
        if !r.issues.iter().any(|i| i.resource.as_deref() == Some(id)) {
            errs.push(format!(
                "{name}: expected an issue on {id}; got {:?}",
                r.issues
            ));
        }
    }
    errs
}

#[test]
fn every_labelled_case_holds() {
    let cfg = AuditConfig::default();
    let files = files();
    let mut errs = Vec::new();
    for f in &files {
        let l = labels(f);
        errs.extend(check(f, &audit_file(f, &cfg), &l));
    }
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

#[test]
fn the_set_is_labelled_and_has_positives_and_negative_controls() {
    let files = files();
    let known: Vec<String> = rampart_template::rules::builtin_rules()
        .into_iter()
        .map(|r| r.meta.id)
        .collect();
    assert!(files.len() >= 12, "only {} labelled templates", files.len());
    let (mut positives, mut negatives) = (0, 0);
    for f in &files {
        let l = labels(f);
        assert!(
            !(l.fail.is_empty()
                && l.unresolved.is_empty()
                && l.absent.is_empty()
                && l.issue.is_empty()),
            "{} has no expect-* label",
            f.display()
        );
        if l.fail.is_empty() && l.unresolved.is_empty() {
            negatives += 1;
        } else {
            positives += 1;
        }
        for id in l.fail.iter().chain(&l.unresolved).chain(&l.absent) {
            assert!(known.contains(id), "{}: unknown rule id {id}", f.display());
        }
    }
    assert!(
        positives >= 8 && negatives >= 3,
        "{positives} / {negatives}"
    );
}

#[test]
fn one_run_over_the_directory_audits_every_file_despite_the_rain_module() {
    // checkov aborts the whole run on a resource whose Type is a custom tag; Rampart reports
    // that resource and audits every file, including the rest of that one.
    let cfg = AuditConfig::default();
    let files = files();
    let reports = audit_paths(&[dir()], &cfg);
    assert_eq!(reports.len(), files.len());
    for (f, r) in files.iter().zip(&reports) {
        assert!(r.skipped.is_none() && r.error.is_none(), "{}", f.display());
        let errs = check(f, r, &labels(f));
        assert!(errs.is_empty(), "{}", errs.join("\n"));
    }
    let rain = reports
        .iter()
        .find(|r| r.path.ends_with("08-rain-module-next-to-risky.yaml"))
        .expect("rain case audited");
    assert_eq!(rain.decision, Decision::Fail, "{:?}", rain.findings);
}

#[test]
fn label_parser_reads_yaml_comments_and_json_descriptions() {
    assert_eq!(
        tokens_after("# expect-fail: NET-01 NET-05\n# Why: x", "expect-fail:"),
        ["NET-01", "NET-05"]
    );
    assert_eq!(
        tokens_after("\"... expect-absent: IAM-01 IAM-07\",", "expect-absent:"),
        ["IAM-01", "IAM-07"]
    );
    assert_eq!(
        tokens_after("x expect-fail: NET-01. Next sentence", "expect-fail:"),
        ["NET-01"]
    );
}

//! Regression over the shared corpus of real templates: every file is audited or reported
//! with a clear error, nothing panics, and per-rule finding counts match
//! `tests/corpus-snapshot.txt` (rewrite it with `RAMPART_UPDATE_SNAPSHOT=1`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use rampart_template::audit::{AuditConfig, Decision, Status};
use rampart_template::cli::{audit_paths, collect_files};

/// The vendored corpus `template/corpus/cfn-templates`, or `RAMPART_CORPUS`.
fn corpus() -> PathBuf {
    std::env::var_os("RAMPART_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/cfn-templates"))
}

#[test]
fn corpus_is_audited_without_panics_and_matches_snapshot() {
    let dir = corpus();
    assert!(dir.is_dir(), "corpus not found at {}", dir.display());
    let files = collect_files(std::slice::from_ref(&dir));
    assert!(files.len() >= 100, "only {} files", files.len());
    let cfg = AuditConfig::default();
    let mut counts: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut decisions: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut issues = 0;
    let reports = audit_paths(std::slice::from_ref(&dir), &cfg);
    assert_eq!(reports.len(), files.len());
    let mut skipped = Vec::new();
    for (f, r) in files.iter().zip(&reports) {
        if r.skipped.is_some() {
            skipped.push(f.strip_prefix(&dir).unwrap_or(f).display().to_string());
            continue;
        }
        *decisions.entry(r.decision.as_str()).or_default() += 1;
        if r.decision == Decision::Error {
            let e = r.error.clone().unwrap_or_default();
            // "Clear error": names the file, and a line for parse errors.
            assert!(
                e.contains(&f.display().to_string()),
                "unclear error for {}: {e}",
                f.display()
            );
            let rel = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
            errors.push(format!(
                "{rel}: {}",
                e.rsplit(": ").next().unwrap_or_default()
            ));
        }
        issues += r.issues.len();
        for fd in &r.findings {
            let c = counts.entry(fd.rule_id.clone()).or_default();
            match (fd.status, fd.suppressed.is_some()) {
                (_, true) => c[2] += 1,
                (Status::Fail, false) => c[0] += 1,
                (Status::Unresolved, false) => c[1] += 1,
            }
        }
    }
    let mut snap = String::from("# rule: failed unresolved suppressed (regenerate: RAMPART_UPDATE_SNAPSHOT=1 cargo test -p rampart-template --test corpus)\n");
    let _ = writeln!(snap, "files: {}", files.len());
    for (d, n) in &decisions {
        let _ = writeln!(snap, "decision {d}: {n}");
    }
    let _ = writeln!(snap, "issues: {issues}");
    for s in &skipped {
        let _ = writeln!(snap, "skipped (not a template) {s}");
    }
    for e in &errors {
        let _ = writeln!(snap, "error {e}");
    }
    for (id, [f, u, s]) in &counts {
        let _ = writeln!(snap, "{id}: {f} {u} {s}");
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-snapshot.txt");
    if std::env::var_os("RAMPART_UPDATE_SNAPSHOT").is_some() {
        std::fs::write(&path, &snap).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if want != snap {
        let diff: Vec<String> = want
            .lines()
            .filter(|l| !snap.lines().any(|s| s == *l))
            .map(|l| format!("- {l}"))
            .chain(
                snap.lines()
                    .filter(|l| !want.lines().any(|w| w == *l))
                    .map(|l| format!("+ {l}")),
            )
            .collect();
        panic!(
            "corpus findings changed (review, then RAMPART_UPDATE_SNAPSHOT=1):\n{}",
            diff.join("\n")
        );
    }
}

#[test]
fn shipped_pipeline_stage_snippet_passes_its_own_audit() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../stacksets/codepipeline-template-audit.yaml");
    let r = rampart_template::cli::audit_file(&p, &AuditConfig::default());
    assert_eq!(r.decision, Decision::Pass, "{:?}", r.findings);
}

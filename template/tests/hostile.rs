//! Hostile templates through the command line (`rampart-audit-template`, the same command as
//! `rampart audit-template`): each bomb ends with the error of the budget it exceeds (exit 3,
//! in every output format), and a 3 MB one-line template is audited correctly.
//!
//! Each run is a child process limited to 256 MB of data (`RLIMIT_DATA`: heap and anonymous
//! mappings), so going past the memory requirement makes the allocation fail and the child
//! abort; its CPU time comes from `wait4`. The CPU bound is the requirement (2 s) for a
//! release build; an unoptimised test build gets ten times as much, which still fails on the
//! unbounded behaviour (minutes, gigabytes) these inputs caused. (The peak RSS `wait4` reports
//! is printed but not asserted: Linux counts the test process's own size at fork into it.)

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rampart_template::audit::{audit_text, AuditConfig, Decision, Limits, Status};
use rampart_template::Budget;

#[path = "support/hostile.rs"]
mod hostile;

/// Data (heap) any run may use.
const MAX_DATA_BYTES: u64 = 256 * 1024 * 1024;

/// CPU time any run may take.
fn max_cpu() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(2)
    }
}

struct Run {
    code: i32,
    stdout: String,
    cpu: Duration,
    rss_kib: u64,
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_micros(
        u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000 + u64::try_from(t.tv_usec).unwrap_or(0),
    )
}

/// Run the CLI on `path` and collect its output, exit code, CPU time and peak RSS.
// The child is reaped by `wait4`, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
fn cli(path: &Path, args: &[&str]) -> Run {
    let out = std::env::temp_dir().join(format!(
        "rampart-hostile-{}-{}.out",
        std::process::id(),
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("t")
            .replace('.', "-")
            + &args.join("")
    ));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart-audit-template"));
    // SAFETY: setrlimit is async-signal-safe and only changes the child's own limit.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MAX_DATA_BYTES,
                rlim_max: MAX_DATA_BYTES,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .args(args)
        .arg("-o")
        .arg(&out)
        .arg(path)
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the CLI: {e}"));
    let pid = i32::try_from(child.id()).unwrap_or_else(|e| panic!("{e}"));
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill; we wait on our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    Run {
        code,
        stdout,
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        rss_kib: u64::try_from(ru.ru_maxrss).unwrap_or(u64::MAX),
    }
}

fn write_tmp(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("rampart-hostile-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}

/// A bomb ends with `budget`'s error in every format, within the bounds.
fn assert_budget_error(name: &str, text: &str, budget: Budget) {
    let path = write_tmp(name, text);
    let b = budget.name();
    let json = cli(&path, &["--format", "json"]);
    eprintln!(
        "{name}: exit {}, CPU {:?}, peak RSS {} KiB",
        json.code, json.cpu, json.rss_kib
    );
    assert_eq!(json.code, 3, "{name}: exit code; {}", json.stdout);
    assert!(json.cpu < max_cpu(), "{name}: CPU {:?}", json.cpu);
    let doc: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{name}: JSON: {e}"));
    let t = &doc["templates"][0];
    assert_eq!(t["decision"], "ERROR", "{name}");
    assert_eq!(t["budget"]["budget"], b, "{name}: {t}");
    assert!(t["budget"]["line"].as_u64().is_some_and(|l| l >= 1), "{t}");
    let error = t["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("{b} budget exceeded")) && error.contains(budget.flag()),
        "{name}: {error}"
    );

    let text_run = cli(&path, &["--format", "text"]);
    assert_eq!(text_run.code, 3);
    assert!(
        text_run.stdout.contains(": ERROR: ")
            && text_run.stdout.contains(&format!("{b} budget exceeded")),
        "{name}: {}",
        text_run.stdout
    );

    let sarif = cli(&path, &["--format", "sarif"]);
    assert_eq!(sarif.code, 3);
    let doc: serde_json::Value =
        serde_json::from_str(&sarif.stdout).unwrap_or_else(|e| panic!("{name}: SARIF: {e}"));
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let note = &inv["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert_eq!(note["properties"]["budget"], b, "{note}");
    assert!(note["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64());

    let junit = cli(&path, &["--format", "junit"]);
    assert_eq!(junit.code, 3);
    assert!(
        junit
            .stdout
            .contains(&format!("<error type=\"budget/{b}\" message=")),
        "{name}: {}",
        junit.stdout
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn yaml_alias_bomb_ends_with_the_bytes_budget() {
    let text = hostile::alias_bomb();
    assert!(text.len() < 70_000, "{}", text.len());
    assert_budget_error("alias.yaml", &text, Budget::Bytes);
}

#[test]
fn find_in_map_bomb_ends_with_the_steps_budget() {
    let text = hostile::find_in_map_bomb();
    assert!(text.len() < 5_000, "{}", text.len());
    assert_budget_error("findinmap.yaml", &text, Budget::Steps);
}

#[test]
fn for_each_bomb_ends_with_the_resources_budget() {
    let text = hostile::for_each_bomb();
    assert!(text.len() < 100_000, "{}", text.len());
    assert_budget_error("foreach.yaml", &text, Budget::Resources);
}

#[test]
fn deep_alias_chain_ends_with_the_depth_budget() {
    // Each anchor wraps the previous one: the parser's own nesting stays at 2 levels while
    // the expanded tree is 26,000 levels deep.
    let mut text = String::from("Metadata:\n  a0: &a0 [x]\n");
    for i in 1..26_000 {
        text.push_str(&format!("  a{i}: &a{i} [*a{}]\n", i - 1));
    }
    text.push_str("Resources:\n  T: {Type: AWS::SNS::Topic}\n");
    assert_budget_error("deep.yaml", &text, Budget::Depth);
}

#[test]
fn three_megabyte_one_line_json_is_audited_correctly() {
    let (minified, pretty, open_ssh) = hostile::big_json(3 * 1024 * 1024);
    assert!(minified.len() >= 3 * 1024 * 1024 && !minified.contains('\n'));
    let path = write_tmp("big.json", &minified);
    let run = cli(&path, &["--format", "json"]);
    let _ = std::fs::remove_file(&path);
    eprintln!(
        "3 MB JSON: exit {}, CPU {:?}, peak RSS {} KiB",
        run.code, run.cpu, run.rss_kib
    );
    assert!(run.cpu < max_cpu(), "CPU {:?}", run.cpu);

    // The same findings as the pretty-printed template, on line 1 at the right columns.
    let cfg = AuditConfig::default();
    let one = audit_text("big.json", &minified, &cfg);
    let many = audit_text("big-pretty.json", &pretty, &cfg);
    assert!(
        one.error.is_none() && many.error.is_none(),
        "{:?}",
        one.error
    );
    assert_eq!(run.code, one.decision.exit_code());
    assert_eq!(one.decision, many.decision);
    let key = |r: &rampart_template::TemplateReport| {
        let mut v: Vec<(String, String, Status)> = r
            .findings
            .iter()
            .map(|f| (f.rule_id.clone(), f.resource.clone(), f.status))
            .collect();
        v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v
    };
    assert_eq!(key(&one), key(&many));
    assert!(one.failed_rules.contains(&"NET-01".to_string()));
    let net01: Vec<_> = one
        .findings
        .iter()
        .filter(|f| f.rule_id == "NET-01")
        .collect();
    assert_eq!(net01.len(), open_ssh);
    for f in one.findings.iter().filter(|f| f.end_col.is_some()) {
        // The template is ASCII: the column is the byte offset + 1 of the logical id's key.
        let at = usize::try_from(f.col).unwrap_or(usize::MAX) - 1;
        assert_eq!(f.line, 1);
        assert_eq!(
            minified.get(at..at + f.resource.len() + 2),
            Some(format!("\"{}\"", f.resource).as_str()),
            "{} at column {}",
            f.rule_id,
            f.col
        );
    }
}

#[test]
fn a_template_that_runs_out_of_time_is_an_error_naming_the_time_budget() {
    let (minified, _, _) = hostile::big_json(3 * 1024 * 1024);
    let mut limits = Limits::default();
    limits
        .set(Budget::Time, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg = AuditConfig {
        limits,
        ..AuditConfig::default()
    };
    let r = audit_text("big.json", &minified, &cfg);
    assert_eq!(r.decision, Decision::Error);
    assert_eq!(
        r.budget.as_ref().map(|b| b.budget),
        Some(Budget::Time),
        "{:?}",
        r.error
    );
}

#[test]
fn limits_are_configurable_within_hard_maxima() {
    let small = "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::T:\n    - I\n    - [a, b, c]\n    - Topic${I}: {Type: AWS::SNS::Topic, Properties: {KmsMasterKeyId: k}}\n";
    let path = write_tmp("loop.yaml", small);
    // Zero or above the hard maximum: a configuration error before any template is read.
    let run = cli(&path, &["--max-resources", "100000000"]);
    assert_eq!(run.code, 3);
    let run = cli(&path, &["--max-steps", "0"]);
    assert_eq!(run.code, 3);
    assert_eq!(cli(&path, &["--max-resources", "3"]).code, 0);
    let run = cli(&path, &["--format", "json", "--max-resources", "2"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.stdout.contains("resources budget exceeded"),
        "{}",
        run.stdout
    );
    let _ = std::fs::remove_file(&path);
}

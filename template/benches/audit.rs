//! Benchmark of `audit-template` over the shared corpus (documented in docs/template-audit.md).
//!
//! `cargo bench -p rampart-template --bench audit` measures, in release mode:
//! 1. the whole corpus in one process invocation (wall, CPU = user + system, peak RSS),
//! 2. one template per invocation, for every template of the corpus,
//! 3. in-process throughput (no process start-up).
//!
//! Child processes are this binary re-executed as the CLI (RAMPART_BENCH_CHILD=1), so the
//! numbers include process start-up and rule-pack loading, as a CI job would see them.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use rampart_template::audit::AuditConfig;
use rampart_template::cli::{audit_paths, collect_files};

#[derive(Parser)]
struct Child {
    #[command(flatten)]
    args: rampart_template::AuditTemplateArgs,
}

fn children_usage() -> (Duration, u64) {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv =
        |t: libc::timeval| Duration::from_micros(t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64);
    (tv(ru.ru_utime) + tv(ru.ru_stime), ru.ru_maxrss as u64)
}

struct Sample {
    wall: Duration,
    cpu: Duration,
}

fn run_child(args: &[String]) -> Sample {
    let exe = std::env::current_exe().unwrap_or_default();
    let (cpu0, _) = children_usage();
    let t = Instant::now();
    let status = Command::new(exe)
        .env("RAMPART_BENCH_CHILD", "1")
        .args(args)
        .status();
    let wall = t.elapsed();
    let (cpu1, _) = children_usage();
    if let Ok(s) = status {
        // 0-2 are audit decisions; 3 would mean the benchmark audited nothing useful.
        assert!(s.code().is_some_and(|c| c <= 3), "child failed: {s:?}");
    }
    Sample {
        wall,
        cpu: cpu1.saturating_sub(cpu0),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn main() {
    if std::env::var_os("RAMPART_BENCH_CHILD").is_some() {
        let c = Child::parse();
        std::process::exit(rampart_template::run_cli(&c.args));
    }
    // `cargo bench` passes --bench; under `cargo test --all-targets` run a quick smoke pass.
    let quick = !std::env::args().any(|a| a == "--bench");
    let corpus = std::env::var_os("RAMPART_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/cfn-templates")
        });
    let files = collect_files(std::slice::from_ref(&corpus));
    let corpus_s = corpus.display().to_string();
    let null = "/dev/null".to_string();

    // 1. Whole corpus, one invocation, 5 runs.
    let (corpus_runs, single_limit, passes) = if quick {
        (1, 5, 1)
    } else {
        (5, usize::MAX, 20)
    };
    let runs: Vec<Sample> = (0..corpus_runs)
        .map(|_| {
            run_child(&[
                "--format".into(),
                "json".into(),
                "-o".into(),
                null.clone(),
                corpus_s.clone(),
            ])
        })
        .collect();
    let (_, rss_corpus) = children_usage();
    println!(
        "corpus: {} files, one invocation ({corpus_runs} runs)",
        files.len()
    );
    println!(
        "  wall median {}  CPU median {}",
        ms(median(runs.iter().map(|s| s.wall).collect())),
        ms(median(runs.iter().map(|s| s.cpu).collect()))
    );
    println!("  peak RSS {:.1} MB", rss_corpus as f64 / 1024.0);

    // 2. One template per invocation.
    let singles: Vec<Sample> = files
        .iter()
        .take(single_limit)
        .map(|f| {
            run_child(&[
                "--format".into(),
                "text".into(),
                "-o".into(),
                null.clone(),
                f.display().to_string(),
            ])
        })
        .collect();
    let (_, rss_all) = children_usage();
    let walls: Vec<Duration> = singles.iter().map(|s| s.wall).collect();
    let cpus: Vec<Duration> = singles.iter().map(|s| s.cpu).collect();
    println!(
        "single template per invocation ({} invocations)",
        singles.len()
    );
    println!(
        "  wall median {}  max {}   CPU median {}  max {}",
        ms(median(walls.clone())),
        ms(walls.iter().max().copied().unwrap_or_default()),
        ms(median(cpus.clone())),
        ms(cpus.iter().max().copied().unwrap_or_default())
    );
    println!(
        "  peak RSS over all invocations {:.1} MB",
        rss_all as f64 / 1024.0
    );

    // 3. In-process throughput.
    let cfg = AuditConfig::default();
    let t = Instant::now();
    let n = passes;
    for _ in 0..n {
        let r = audit_paths(std::slice::from_ref(&corpus), &cfg);
        assert_eq!(r.len(), files.len());
    }
    let per = t.elapsed() / n;
    println!(
        "in-process: corpus audited in {} per pass ({} passes)",
        ms(per),
        n
    );
    let t = Instant::now();
    for _ in 0..50 {
        let _ = AuditConfig::default();
    }
    println!(
        "  loading the built-in rule pack: {} per load",
        ms(t.elapsed() / 50)
    );
}

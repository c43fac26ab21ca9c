//! The `rampart` command line. Flags override `RAMPART_*` environment variables, which
//! override the config file, which overrides the defaults (docs/configuration.md).

pub mod formats;
pub mod response;

pub use formats::{OutputFormat, ReportFormat};

use crate::exit::{self, CliError};
use crate::fleet;
pub use crate::options::{init_logging, GlobalArgs, LogFormat};
use crate::progress::{self, Progress};
use crate::report;
use crate::service::{self, html_report, Fleet};
use crate::snapshots;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use rampart_common::{Config, Severity};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "rampart",
    version,
    about = "Security automation hub for AWS Organizations: CIS assessment across every account, findings in each account's Security Hub."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the target accounts and whether the member role can be assumed in each.
    Accounts {
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Assess every target account and region against the CIS AWS Foundations Benchmark
    /// (v7.0.0 unless `--benchmark` says otherwise).
    Assess(AssessArgs),
    /// Assess the fleet through the Step Functions contract, in this process: the plan step,
    /// one account step per account (`--concurrency` at a time) and the merge, with exactly the
    /// payloads the state machine sends to the assessment Lambda. Needs `--report-bucket`
    /// (items, per-account results and the merged report live there); prints the merge's
    /// summary (exit 1 when it needs attention under `--fail-on`).
    FleetSteps,
    /// Re-evaluate snapshots saved by `assess --save-snapshots`, offline (no AWS calls).
    Evaluate(EvaluateArgs),
    /// Show what changed between two runs (JSON reports or snapshot directories).
    Diff {
        /// The earlier run: a report from `assess --format json --output`, or a snapshot directory.
        run_a: PathBuf,
        /// The later run.
        run_b: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Audit CloudFormation templates (exit 0 PASS, 1 APPROVAL, 2 FAIL, 3 error).
    AuditTemplate(rampart_template::cli::AuditTemplateArgs),
    /// Handle one EventBridge event exactly as the hub Lambda does; prints the outcome as JSON
    /// (exit 0 handled, 2 rejected, 3 an action failed).
    HandleEvent {
        /// Event file, or `-` for standard input.
        file: String,
        /// Show what would change; change nothing.
        #[arg(long)]
        plan: bool,
    },
    /// Isolate a tainted EC2 instance (the isolation playbook on an operator's request).
    /// `--region` is the instance's region.
    Isolate {
        #[arg(long)]
        account: String,
        #[arg(long)]
        instance: String,
        /// Show what would change; change nothing.
        #[arg(long)]
        plan: bool,
    },
    /// Fix a control in a member account: by finding (`--finding ARN_OR_ID`) or by
    /// `--account A [--region R] --control ID [--resource ARN]`. Plans unless `--apply`; each
    /// applied action's id is an undo handle (`rampart undo ID`).
    Remediate {
        /// List every control Rampart remediates (and those it leaves to people, with the
        /// command), what each remedy changes and undo restores, and the IAM actions it adds.
        #[arg(long, conflicts_with_all = ["finding", "account", "control", "resource", "apply"])]
        list: bool,
        /// The finding to fix (its Id or ARN), looked up in the hub's Security Hub or the
        /// account its id names.
        #[arg(long, conflicts_with_all = ["account", "control", "resource"])]
        finding: Option<String>,
        /// The member account (with `--control`); `--region` is the resource's region.
        #[arg(long, required_unless_present_any = ["finding", "list"])]
        account: Option<String>,
        /// The Security Hub control id (EC2.53, IAM.15, S3.8, ...).
        #[arg(long, required_unless_present_any = ["finding", "list"])]
        control: Option<String>,
        /// One resource (ARN or id); without it every offending resource is fixed.
        #[arg(long)]
        resource: Option<String>,
        /// Make the changes (without it nothing changes: the plan is printed).
        #[arg(long)]
        apply: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Restore the state remediation actions found (ids from `rampart remediate`).
    Undo {
        #[arg(required = true, num_args = 1..)]
        ids: Vec<String>,
        /// Show what would be restored; change nothing.
        #[arg(long)]
        plan: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// MFA enrolment.
    Mfa {
        #[command(subcommand)]
        command: MfaCommand,
    },
    /// Record every member trail's configuration now (what the hub's hourly schedule does):
    /// trails seen first are recorded; drift from a record is reported, not recorded over.
    RecordTrails {
        /// Adopt the live configuration of drifted trails as their new record.
        #[arg(long)]
        accept_drift: bool,
        /// Show what would be recorded; change nothing.
        #[arg(long)]
        plan: bool,
    },
    /// Print an IAM policy generated from the code's permission declarations
    /// (`rampart iam-policy assess|respond|hub|require-mfa`, or `--role NAME`; the stack
    /// templates carry the same documents).
    IamPolicy {
        /// Which role's policy (also accepted as `--role`): assess, respond, require-mfa, hub,
        /// assess-hub.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::deploy::roles::cli_names()))]
        role: Option<String>,
    },
    /// The deployment templates (stacksets/): their generated sections.
    #[command(subcommand)]
    Deploy(DeployCommand),
    /// List the response audit log (DynamoDB).
    Audit {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// How far back: `30m`, `24h`, `7d`, or an RFC 3339 time.
        #[arg(long, default_value = "24h")]
        since: String,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Write the generated sections of the stack templates (every role's IAM policy, every
    /// rule's event pattern) from the code; `--check` only reports the templates that differ
    /// (exit 1).
    Render {
        /// The templates' directory.
        #[arg(long, default_value = "stacksets")]
        dir: PathBuf,
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// Enrol every IAM user of the account that has no MFA (virtual device, seed in Secrets
    /// Manager readable only by the user).
    Enforce {
        #[arg(long)]
        account: String,
        /// Show what would change; change nothing.
        #[arg(long)]
        plan: bool,
    },
}

/// What `assess` writes; what it does is configuration (`--publish`, `--report-bucket`, ...:
/// [`Config`]).
#[derive(Debug, Args)]
pub struct AssessArgs {
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Save every account's collected snapshots here, for `evaluate` and `diff`.
    #[arg(long, value_name = "DIR")]
    pub save_snapshots: Option<PathBuf>,
    /// Also write a self-contained HTML report (heat-map and drill-down) to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Directory written by `assess --save-snapshots`.
    #[arg(long, value_name = "DIR")]
    pub snapshots: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Also write a self-contained HTML report to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    init_logging(cli.global.log_format, cli.global.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::RUNTIME);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.code())
        }
    }
}

/// Flags and environment layered over the config file, validated.
pub fn effective_config(global: &GlobalArgs) -> Result<Config, CliError> {
    global.effective_config()
}

async fn base_config(global: &GlobalArgs, cfg: &Config) -> aws_config::SdkConfig {
    global.base_config(cfg).await
}

/// Connects with the credentials and endpoint the flags and environment select.
async fn connect(global: &GlobalArgs, cfg: Config, run_id: &str) -> Result<Fleet, CliError> {
    let base = base_config(global, &cfg).await;
    Ok(service::connect(base, cfg, run_id).await?)
}

/// `rampart fleet-steps`: the Step Functions fleet run's three steps in this process.
async fn fleet_steps(global: &GlobalArgs) -> Result<u8, CliError> {
    let cfg = effective_config(global)?;
    if cfg.report_bucket.is_none() {
        return Err(CliError::Usage(
            "fleet-steps keeps the run in S3: give --report-bucket (or RAMPART_REPORT_BUCKET)"
                .into(),
        ));
    }
    let base = base_config(global, &cfg).await;
    let args = crate::options::LambdaArgs {
        global: global.clone(),
    };
    let summary = crate::fleet_sfn::run_local(&args, base, cfg.concurrency())
        .await
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("fleet run: {e}")))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&summary).context("serializing the summary")?
    );
    Ok(if summary["needs_attention"] == serde_json::json!(true) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// Runs a parsed command line and returns the exit code.
pub async fn run(cli: Cli) -> Result<u8, CliError> {
    match &cli.command {
        Command::Accounts { format } => accounts(&cli.global, *format).await,
        Command::Assess(args) => assess(&cli.global, args).await,
        Command::FleetSteps => fleet_steps(&cli.global).await,
        Command::Evaluate(args) => evaluate_offline(&cli.global, args),
        Command::Diff {
            run_a,
            run_b,
            format,
        } => diff_runs(&cli.global, run_a, run_b, *format),
        Command::AuditTemplate(args) => {
            Ok(u8::try_from(rampart_template::cli::run_cli(args)).unwrap_or(exit::RUNTIME))
        }
        Command::HandleEvent { file, plan } => {
            response::handle_event(&cli.global, file, *plan).await
        }
        Command::Isolate {
            account,
            instance,
            plan,
        } => response::isolate(&cli.global, account, instance, *plan).await,
        Command::Remediate {
            list: true, format, ..
        } => response::list_remedies(*format),
        Command::Remediate {
            finding,
            account,
            control,
            resource,
            apply,
            format,
            ..
        } => {
            let target = match (finding, account, control) {
                (Some(f), _, _) => response::RemediateTarget::Finding(f.clone()),
                (None, Some(a), Some(c)) => response::RemediateTarget::Control {
                    account: a.clone(),
                    control: c.clone(),
                    resource: resource.clone(),
                },
                _ => {
                    return Err(CliError::Usage(
                        "remediate needs --finding, or --account and --control".into(),
                    ))
                }
            };
            response::remediate(&cli.global, target, *apply, *format).await
        }
        Command::Undo { ids, plan, format } => {
            response::undo(&cli.global, ids, *plan, *format).await
        }
        Command::Mfa {
            command: MfaCommand::Enforce { account, plan },
        } => response::mfa_enforce(&cli.global, account, *plan).await,
        Command::Audit {
            account,
            since,
            format,
        } => response::audit(&cli.global, account.as_deref(), since, *format).await,
        Command::RecordTrails { accept_drift, plan } => {
            response::record_trails(&cli.global, *accept_drift, *plan).await
        }
        Command::IamPolicy { role } => {
            // `--role` is also the global member-role flag; here it names the policy.
            let names = crate::deploy::roles::cli_names().join(", ");
            let name = match (role, cli.global.options.role_name.as_deref()) {
                (Some(r), _) => r.as_str(),
                (None, Some(name)) => name,
                (None, None) => return Err(CliError::Usage(format!("which policy? {names}"))),
            };
            let Some(entry) = crate::deploy::roles::by_cli(name) else {
                return Err(CliError::Usage(format!("--role {name}: expected {names}")));
            };
            let doc = (entry.document)().map_err(|e| CliError::Runtime(anyhow::anyhow!(e)))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).map_err(|e| CliError::Runtime(e.into()))?
            );
            Ok(exit::OK)
        }
        Command::Deploy(DeployCommand::Render { dir, check }) => {
            let differ = crate::deploy::render::run(dir, *check)
                .map_err(|e| CliError::Runtime(anyhow::anyhow!(e)))?;
            for p in &differ {
                println!(
                    "{}: {}",
                    p.display(),
                    if *check { "differs" } else { "rewritten" }
                );
            }
            if differ.is_empty() {
                println!("{}: every generated section is up to date", dir.display());
            }
            Ok(if *check && !differ.is_empty() {
                exit::FINDINGS
            } else {
                exit::OK
            })
        }
    }
}

async fn accounts(global: &GlobalArgs, format: OutputFormat) -> Result<u8, CliError> {
    let cfg = effective_config(global)?;
    let run_id = service::new_run_id();
    let fleet = connect(global, cfg, &run_id).await?;
    let accounts = service::discover(&fleet, true).await?;
    let checks =
        futures::future::join_all(accounts.iter().map(|a| fleet.sessions.open(&a.id))).await;
    let rows: Vec<serde_json::Value> = accounts
        .iter()
        .zip(checks)
        .map(|(a, s)| {
            serde_json::json!({
                "account_id": a.id, "name": a.name, "ou": a.parent, "regions": fleet.regions,
                "role": fleet.sessions.role_arn(&a.id),
                "assume_role": if s.is_ok() { "ok".to_string() } else { "failed".to_string() },
                "error": s.err(),
            })
        })
        .collect();
    let all_ok = rows.iter().all(|r| r["assume_role"] == "ok");
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&rows).context("serializing accounts")?
        ),
        OutputFormat::Table => {
            println!(
                "{:<14} {:<28} {:<22} {:<8} REGIONS",
                "ACCOUNT", "NAME", "OU", "ROLE"
            );
            for r in &rows {
                let name: String = r["name"].as_str().unwrap_or("").chars().take(28).collect();
                println!(
                    "{:<14} {:<28} {:<22} {:<8} {}",
                    r["account_id"].as_str().unwrap_or(""),
                    name,
                    r["ou"].as_str().unwrap_or("-"),
                    r["assume_role"].as_str().unwrap_or(""),
                    fleet.regions.join(",")
                );
                if let Some(e) = r["error"].as_str() {
                    println!("    {e}");
                }
            }
        }
    }
    Ok(if all_ok { exit::OK } else { exit::FINDINGS })
}

async fn assess(global: &GlobalArgs, args: &AssessArgs) -> Result<u8, CliError> {
    let cfg = effective_config(global)?;
    let fail_on = parse_fail_on(cfg.fail_on.as_deref())?;
    let run_id = service::new_run_id();
    let fleet = connect(global, cfg, &run_id).await?;
    let accounts = service::discover(&fleet, false).await?;
    let plan = service::plan_for(&fleet, &run_id);
    tracing::info!(accounts = accounts.len(), regions = %plan.account.regions.join(","), run_id = %run_id, "assessment starting");
    let mut progress = Progress::new(
        progress::Mode::for_stderr(global.log_format == LogFormat::Json),
        accounts.len(),
    );
    let observer: Box<dyn rampart_member::assess::Observer> = match &args.save_snapshots {
        Some(dir) => Box::new(snapshots::SnapshotDir(dir.clone())),
        None => Box::new(rampart_member::assess::Unobserved),
    };
    let report = fleet::run_observed(&fleet.sessions, &accounts, &plan, &*observer, &mut |a| {
        progress.account_done(a)
    })
    .await;
    progress.finish();
    if let Some(dir) = &args.save_snapshots {
        snapshots::save_run(dir, &report).map_err(|e| CliError::Runtime(anyhow::anyhow!(e)))?;
        eprintln!("snapshots saved to {}", dir.display());
    }
    emit(
        &report,
        args.format,
        args.output.as_deref(),
        scope(&fleet.cfg),
    )?;
    if let Some(path) = &args.html {
        write_html(&report, path)?;
    }
    let uploaded = match &fleet.cfg.report_bucket {
        Some(bucket) => service::upload_report(&fleet.base, &fleet.cfg, bucket, &report)
            .await
            .is_some(),
        None => true,
    };
    Ok(if report::needs_attention(&report, fail_on) || !uploaded {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn write_html(report: &fleet::FleetReport, path: &std::path::Path) -> Result<(), CliError> {
    std::fs::write(path, html_report(report))
        .with_context(|| format!("writing {}", path.display()))?;
    eprintln!("HTML report written to {}", path.display());
    Ok(())
}

/// Which findings a configured run publishes.
fn scope(cfg: &Config) -> rampart_member::evaluate::FindingScope {
    if cfg.only_failed.unwrap_or(false) {
        rampart_member::evaluate::FindingScope::OnlyFailed
    } else {
        rampart_member::evaluate::FindingScope::Complete
    }
}

fn parse_fail_on(s: Option<&str>) -> Result<Option<Severity>, CliError> {
    match s.unwrap_or("low") {
        "none" => Ok(None),
        s => Ok(Some(s.parse::<Severity>().map_err(CliError::Usage)?)),
    }
}

fn emit(
    report: &fleet::FleetReport,
    format: ReportFormat,
    output: Option<&std::path::Path>,
    scope: rampart_member::evaluate::FindingScope,
) -> Result<(), CliError> {
    let text = match format {
        ReportFormat::Table => report::table(report),
        ReportFormat::Json => {
            serde_json::to_string_pretty(report).context("serializing the report")?
        }
        ReportFormat::Csv => report::csv(report)
            .map_err(|e| CliError::Runtime(anyhow::anyhow!("writing CSV: {e}")))?,
        ReportFormat::Asff => {
            let findings = report::asff_findings(report, scope);
            let mut text =
                serde_json::to_string_pretty(&findings).context("serializing ASFF findings")?;
            text.push('\n');
            text
        }
    };
    match output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("report written to {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn evaluate_offline(global: &GlobalArgs, args: &EvaluateArgs) -> Result<u8, CliError> {
    let cfg = effective_config(global)?;
    let fail_on = parse_fail_on(cfg.fail_on.as_deref())?;
    let settings = cfg.effective_thresholds();
    let benchmarks = cfg.benchmark.as_ref().map(|_| cfg.benchmarks());
    let report = snapshots::evaluate_dir(&args.snapshots, benchmarks.as_deref(), &settings)
        .map_err(CliError::Usage)?;
    emit(&report, args.format, args.output.as_deref(), scope(&cfg))?;
    if let Some(path) = &args.html {
        write_html(&report, path)?;
    }
    Ok(if report::needs_attention(&report, fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn diff_runs(
    global: &GlobalArgs,
    a: &std::path::Path,
    b: &std::path::Path,
    format: OutputFormat,
) -> Result<u8, CliError> {
    let cfg = effective_config(global)?;
    let settings = cfg.effective_thresholds();
    let benchmarks = cfg.benchmark.as_ref().map(|_| cfg.benchmarks());
    let ra = snapshots::load_run(a, benchmarks.as_deref(), &settings).map_err(CliError::Usage)?;
    let rb = snapshots::load_run(b, benchmarks.as_deref(), &settings).map_err(CliError::Usage)?;
    let d = snapshots::diff(&ra, &rb);
    match format {
        OutputFormat::Table => print!("{}", snapshots::diff_text(&d)),
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&d).context("serializing the diff")?
        ),
    }
    Ok(if d.values().any(|x| !x.new_failures.is_empty()) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

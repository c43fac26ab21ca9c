//! `rampart audit-template`: arguments, file discovery, parameter files and exit codes.
//!
//! Exit codes: 0 PASS, 1 APPROVAL, 2 FAIL (worst over all templates), 3 error (a template
//! that could not be read or parsed, a bad rule pack or parameter file, an unwritable output).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::audit::{audit_text, AuditConfig, Decision, TemplateReport, Thresholds};
use crate::budget::{Budget, LimitError, Limits};
use crate::node::{Node, Value};
use crate::suppress::{SuppressionMode, SuppressionPolicy};

/// Largest template read (CloudFormation's own limit is 1 MB; leave head-room).
pub const MAX_TEMPLATE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
    Sarif,
    Junit,
}

/// Audit CloudFormation templates for security risks.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditTemplateArgs {
    /// Template files or directories (searched recursively for .yaml, .yml, .json, .template).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Extra rule pack (YAML or JSON); repeatable. Rules with a built-in id replace it.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Parameter values: {"Parameters": {...}} or the AWS CLI [{ParameterKey, ParameterValue}] list.
    #[arg(long, value_name = "FILE")]
    pub parameters: Option<PathBuf>,
    /// Risk thresholds APPROVAL,FAIL (PASS below APPROVAL).
    #[arg(long, value_name = "APPROVAL,FAIL", default_value = "5,10")]
    pub thresholds: String,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Which suppressions written in templates count: any (each tool's convention; Rampart's
    /// own needs a reason), reasoned (only those with a reason) or none.
    #[arg(long, value_enum, default_value_t = SuppressionMode::Any)]
    pub suppressions: SuppressionMode,
    /// A finding whose risk is at or above RISK is never suppressed by a template.
    #[arg(long, value_name = "RISK")]
    pub suppression_ceiling: Option<u32>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Budgets for each template (see docs/template-audit.md); above the hard maxima is an error.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LimitArgs {
    /// Most bytes of text a template may hold after YAML alias expansion [default: 16 MiB].
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<u64>,
    /// Most nodes a template may hold after YAML alias expansion [default: 500000].
    #[arg(long, value_name = "N")]
    pub max_nodes: Option<u64>,
    /// Deepest nesting after YAML alias expansion [default: 128].
    #[arg(long, value_name = "LEVELS")]
    pub max_depth: Option<u64>,
    /// Most resources after Fn::ForEach expansion [default: 10000].
    #[arg(long, value_name = "N")]
    pub max_resources: Option<u64>,
    /// Most intrinsic resolution steps per template [default: 1000000].
    #[arg(long, value_name = "N")]
    pub max_steps: Option<u64>,
    /// Seconds each template may take [default: no time budget].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

impl LimitArgs {
    /// The limits these options give, checked against the hard maxima.
    pub fn limits(&self) -> Result<Limits, LimitError> {
        let mut l = Limits::default();
        for (b, v) in [
            (Budget::Bytes, self.max_bytes),
            (Budget::Nodes, self.max_nodes),
            (Budget::Depth, self.max_depth),
            (Budget::Resources, self.max_resources),
            (Budget::Steps, self.max_steps),
        ] {
            if let Some(v) = v {
                l.set(b, v)?;
            }
        }
        if let Some(secs) = self.timeout {
            let ms = if secs.is_finite() && secs > 0.0 {
                // Whole milliseconds, at least one; anything too large is refused by `set`.
                (secs * 1000.0).ceil().min(u64::MAX as f64) as u64
            } else {
                0
            };
            l.set(Budget::Time, ms)?;
        }
        Ok(l)
    }
}

/// A configuration problem that stops the run before any template is audited.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Thresholds(String),
    #[error(transparent)]
    Pack(#[from] crate::rules::pack::PackError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("parameters file {path}: {message}")]
    Parameters { path: String, message: String },
    #[error(transparent)]
    Limit(#[from] LimitError),
}

fn is_template(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json" | "template")
    )
}

/// Expand directories recursively (sorted, symlinked directories not followed).
pub fn collect_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    collect(paths).into_iter().map(|(p, _)| p).collect()
}

/// Files to audit, each with whether it was named explicitly (not found by a search).
fn collect(paths: &[PathBuf]) -> Vec<(PathBuf, bool)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            out.push(dir.to_path_buf());
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            let is_link = p
                .symlink_metadata()
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            if p.is_dir() && !is_link {
                walk(&p, out);
            } else if p.is_file() && is_template(&p) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found);
            out.extend(found.into_iter().map(|f| (f, false)));
        } else {
            out.push((p.clone(), true));
        }
    }
    out
}

/// Audit files and directories. Files found by a directory search that are not
/// CloudFormation templates are reported as skipped; named files must be templates.
pub fn audit_paths(paths: &[PathBuf], cfg: &AuditConfig) -> Vec<TemplateReport> {
    collect(paths)
        .into_iter()
        .map(|(f, explicit)| {
            let mut r = audit_file(&f, cfg);
            if r.skipped.is_some() {
                if explicit {
                    r.skipped = None;
                } else {
                    r.decision = Decision::Pass;
                    r.error = None;
                }
            }
            r
        })
        .collect()
}

/// Parse a parameters file in either supported shape.
pub fn parse_parameters(path: &str, text: &str) -> Result<HashMap<String, String>, CliError> {
    let err = |m: &str| CliError::Parameters {
        path: path.to_string(),
        message: m.to_string(),
    };
    let (root, _) = crate::parse::parse_document(path, text).map_err(|e| err(&e.to_string()))?;
    let mut out = HashMap::new();
    let text_of = |n: &Node| match &n.value {
        Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(Node::scalar_text)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => n.scalar_text(),
    };
    match &root.value {
        Value::Seq(items) => {
            for i in items {
                let (Some(k), Some(v)) = (
                    i.get("ParameterKey").and_then(Node::scalar_text),
                    i.get("ParameterValue").and_then(text_of),
                ) else {
                    return Err(err("list entries need ParameterKey and ParameterValue"));
                };
                out.insert(k, v);
            }
        }
        Value::Map(_) => {
            let map = root.get("Parameters").unwrap_or(&root);
            for e in map.entries() {
                let v =
                    text_of(&e.value).ok_or_else(|| err(&format!("{} is not a scalar", e.key)))?;
                out.insert(e.key.clone(), v);
            }
        }
        _ => return Err(err("expected {\"Parameters\": {...}} or a list")),
    }
    Ok(out)
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Build the configuration from arguments (rule packs, parameters, thresholds).
pub fn config_from_args(args: &AuditTemplateArgs) -> Result<AuditConfig, CliError> {
    let mut cfg = AuditConfig {
        thresholds: Thresholds::parse(&args.thresholds).map_err(CliError::Thresholds)?,
        limits: args.limits.limits()?,
        suppression: SuppressionPolicy {
            mode: args.suppressions,
            ceiling: args.suppression_ceiling,
        },
        ..AuditConfig::default()
    };
    for p in &args.rules {
        let text = read(p)?;
        let rules = crate::rules::pack::parse_pack(
            &p.display().to_string(),
            &text,
            &crate::rules::builtin_lookup,
        )?;
        cfg.add_rules(rules);
    }
    if let Some(p) = &args.parameters {
        cfg.parameters = parse_parameters(&p.display().to_string(), &read(p)?)?;
    }
    Ok(cfg)
}

/// Audit one file from disk (size-limited, UTF-8 only).
pub fn audit_file(path: &Path, cfg: &AuditConfig) -> TemplateReport {
    let name = path.display().to_string();
    let fail = |msg: String| {
        let mut r = audit_text(&name, "", cfg);
        r.error = Some(msg);
        r.decision = Decision::Error;
        r
    };
    match std::fs::metadata(path) {
        Err(e) => return fail(format!("{name}: cannot read: {e}")),
        Ok(m) if m.len() > MAX_TEMPLATE_BYTES => {
            return fail(format!(
                "{name}: larger than {MAX_TEMPLATE_BYTES} bytes; not audited"
            ))
        }
        Ok(_) => {}
    }
    match std::fs::read(path) {
        Err(e) => fail(format!("{name}: cannot read: {e}")),
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => audit_text(&name, &text, cfg),
            Err(e) => fail(format!(
                "{name}: not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            )),
        },
    }
}

/// Render reports in a format.
pub fn render(format: OutputFormat, reports: &[TemplateReport], cfg: &AuditConfig) -> String {
    match format {
        OutputFormat::Text => crate::report::text::render(reports, cfg),
        OutputFormat::Json => crate::report::json(reports, cfg),
        OutputFormat::Sarif => crate::report::sarif::render(reports, cfg),
        OutputFormat::Junit => crate::report::junit::render(reports),
    }
}

/// Run `audit-template`; returns the process exit code (0 PASS, 1 APPROVAL, 2 FAIL, 3 error).
pub fn run_cli(args: &AuditTemplateArgs) -> i32 {
    let cfg = match config_from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rampart audit-template: {e}");
            return Decision::Error.exit_code();
        }
    };
    let reports = audit_paths(&args.paths, &cfg);
    if reports.is_empty() {
        eprintln!("rampart audit-template: no templates found");
        return Decision::Error.exit_code();
    }
    let doc = render(args.format, &reports, &cfg);
    match &args.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, doc) {
                eprintln!("rampart audit-template: cannot write {}: {e}", p.display());
                return Decision::Error.exit_code();
            }
        }
        None => print!("{doc}"),
    }
    crate::report::overall(&reports).exit_code()
}

//! `rampart-audit-template`: the template audit alone, without the rest of the hub
//! (`rampart audit-template` is the same command). Exit codes: 0 PASS, 1 APPROVAL, 2 FAIL,
//! 3 error.

use clap::Parser;

/// Audit CloudFormation templates for security risks.
#[derive(Parser)]
#[command(name = "rampart-audit-template", version)]
struct Cli {
    #[command(flatten)]
    args: rampart_template::AuditTemplateArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(rampart_template::run_cli(&cli.args));
}

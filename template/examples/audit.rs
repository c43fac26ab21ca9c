//! Manual testing entry point: `cargo run -p rampart-template --example audit -- PATH...`
//! (the real command is `rampart audit-template`).

use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: rampart_template::AuditTemplateArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(rampart_template::run_cli(&cli.args));
}

//! Writes the IAM policies generated from Rampart's declarations into stacksets/*.yaml
//! (between `# generated: NAME` and `# end generated`), or with `--check` only reports which
//! templates differ (exit 1). See rampart_testbed::stacksets.
//!
//!   cargo run -p rampart-testbed --bin rampart-stacksets [-- --check]

use std::process::ExitCode;

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("usage: rampart-stacksets [--check]  (unknown argument {other})");
            return ExitCode::from(2);
        }
    };
    match rampart_testbed::stacksets::run(check) {
        Ok(differ) if differ.is_empty() => {
            println!("stacksets: every generated policy is up to date");
            ExitCode::SUCCESS
        }
        Ok(differ) => {
            for p in &differ {
                println!(
                    "{}: {}",
                    p.display(),
                    if check { "differs" } else { "rewritten" }
                );
            }
            if check {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("rampart-stacksets: {e}");
            ExitCode::from(2)
        }
    }
}

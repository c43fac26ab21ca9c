//! The hub's binaries end to end (the `rampart` CLI, the Lambdas, the deploy script) against
//! the local emulator, in one test binary. Each module is one area; see its own doc comment.

mod cli;
mod deploy_script;
mod fleet_sfn;
mod html_report;
mod lambda;
mod remedies;
mod report_bucket;
mod respond_cli;

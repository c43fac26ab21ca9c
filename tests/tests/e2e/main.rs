//! Rampart's end-to-end tests against the local emulated organization, in one test binary
//! (one link of the AWS SDKs instead of one per file). Each module is one area; see its own
//! doc comment.

mod benchmark_versions;
mod cis_exact;
mod deploy_stacks;
mod emulator_fixes;
mod emulator_install;
mod fanout;
mod faults;
mod permissions;
mod publishing;
mod remediate;
mod request_budget;
mod respond;
mod respond_errors;
mod respond_hardening;
mod respond_intake;
mod respond_trust;
mod stacksets;
mod template_pipeline;

//! The built-in pack: metadata and simple checks live in `builtin.yaml` (the same format as
//! user packs); checks that need logic (port ranges, policy documents, secrets, relations
//! between resources) are Rust functions registered here by rule id.

use super::rule::{BuiltinFn, Rule};

mod iam;
mod logic;
mod network;
mod secrets;

const PACK: &str = include_str!("builtin.yaml");

/// Rust checks by rule id.
pub fn lookup(id: &str) -> Option<BuiltinFn> {
    network::lookup(id)
        .or_else(|| iam::lookup(id))
        .or_else(|| secrets::lookup(id))
        .or_else(|| logic::lookup(id))
}

pub fn rules() -> Vec<Rule> {
    // The pack is compiled in and covered by tests, so a failure here is a build defect;
    // still, never panic: an empty list makes every test of the pack fail loudly.
    super::pack::parse_pack("builtin.yaml", PACK, &lookup).unwrap_or_default()
}

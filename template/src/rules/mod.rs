//! Rules: metadata, the three kinds of check (built-in Rust logic, regex over the rendered
//! resource JSON, structured property checks) and rule-pack loading.
//!
//! What a rule is lives in `rule`; this module only declares the parts and hands out the
//! built-in pack, so the parts never need to import it.

mod builtin;
pub mod pack;
mod rule;
mod structured;
pub mod util;

pub use rule::{BuiltinFn, Check, Equivalents, Rule, RuleMeta};
pub use structured::{Condition, Operator};
pub use util::Hit;

/// The built-in rule pack.
pub fn builtin_rules() -> Vec<Rule> {
    builtin::rules()
}

/// Resolve a `ruletype: builtin` id to its Rust check (for user packs that re-declare one).
pub fn builtin_lookup(id: &str) -> Option<BuiltinFn> {
    builtin::lookup(id)
}

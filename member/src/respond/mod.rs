//! Response actions inside one member account: the playbooks, entries of one registry.
//!
//! Each playbook acts in one account and region with that account's credentials, stage by
//! stage (priority action, forensics, countermeasure), recording every action with the state
//! it found (`crate::act`). The hub decides *whether* and *where* a playbook runs (trust,
//! leases, budgets): it routes an event to every playbook one of whose triggers matches it and
//! runs the jobs the playbook's route returns. The little state a playbook keeps across
//! events (trail records, offence counts) it reaches through `act::Memory`, which the hub
//! provides.
//!
//! Adding a playbook: its own file (a [`Playbook`] constant with its triggers, permissions and
//! route, and its [`playbook::Job`]s), its `mod` line and one entry in [`PLAYBOOKS`].

pub mod auto_mfa;
pub mod cloudtrail_tamper;
pub mod forwarding_guard;
pub mod isolate;
pub mod playbook;
pub mod remediation;
pub mod scopes;
pub mod totp;
pub mod trails;

pub use playbook::{Budget, Job, Playbook, Routed, Target, Trigger, Unanswered};

/// Every playbook.
pub const PLAYBOOKS: &[Playbook] = &[
    cloudtrail_tamper::PLAYBOOK,
    forwarding_guard::PLAYBOOK,
    auto_mfa::PLAYBOOK,
    isolate::PLAYBOOK,
    remediation::PLAYBOOK,
];

/// The playbook by name.
pub fn playbook(name: &str) -> Option<&'static Playbook> {
    PLAYBOOKS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests;

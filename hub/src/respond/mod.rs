//! Event-driven response: trusted cross-account intake, routing through the member's playbook
//! registry, alerts and the audit trail.
//!
//! One code path serves the hub Lambda (`rampart-hub-lambda`) and the CLI (`rampart
//! handle-event`, `isolate`, `mfa enforce`, `remediate`, `undo`, `record-trails`): parse,
//! route (`route.rs`), admit (who may make the hub act where: `trust.rs`), the intake gate
//! (`gate.rs`: region, own calls, mode, lease, budget, member session), run (`run.rs`), alert
//! and audit (`parts.rs`, `alert.rs`, `store.rs`).

pub mod access;
pub mod alert;
pub mod audit_log;
pub mod batch;
pub mod commands;
pub mod findings;
pub mod gate;
pub mod intake;
pub mod parts;
pub mod policy;
pub mod reassess;
pub mod record;
pub mod responder;
pub mod route;
pub mod run;
pub mod schedule;
pub mod store;
pub mod trust;

pub use access::{HubIdentity, MemberAccess};
pub use policy::{hub_permissions, hub_policy};
pub use responder::Responder;

//! What a check is: its metadata and how it is evaluated over snapshot data.

use crate::snapshot::{AccountSnapshot, Collected, RegionSnapshot};
use rampart_common::{CheckMeta, CheckStatus};

/// The thresholds the checks compare against: the configuration's `[thresholds]` table
/// (CIS defaults), one definition for the file and the checks.
pub type Settings = rampart_common::config::Thresholds;

/// How a check is evaluated.
#[derive(Clone, Copy)]
pub enum Eval {
    Account(fn(&AccountSnapshot, &Settings) -> CheckStatus),
    Region(fn(&RegionSnapshot, &Settings) -> CheckStatus),
    /// No API can decide it: reported once per account as NOT_AVAILABLE with this reason.
    NotAvailable(&'static str),
    /// Decided once per account over every assessed region (e.g. "at least one region
    /// records global resource types"); reported in the home region.
    Regions(fn(&[&RegionSnapshot], &Settings) -> CheckStatus),
    /// Decided once per organization from the management account (or a delegated
    /// administrator); reported in that account's home region.
    Organization(fn(&crate::snapshot::OrgSnapshot, &Settings) -> CheckStatus),
}

/// A check: what it is and how to evaluate it.
#[derive(Clone, Copy)]
pub struct Check {
    pub meta: CheckMeta,
    pub eval: Eval,
}

/// Runs `f` on collected data, or turns a collection error into an error status.
pub fn with<T>(data: &Collected<T>, f: impl FnOnce(&T) -> CheckStatus) -> CheckStatus {
    match data {
        Collected::Ok(t) => f(t),
        Collected::Err(e) => CheckStatus::Error {
            reason: e.to_string(),
        },
    }
}

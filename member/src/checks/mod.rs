//! Checks: pure functions from snapshot data to verdicts, in a registry keyed by check id.
//!
//! A check never calls AWS. Missing data (a collector error) gives an `Error` status, never a
//! pass, so an account that could not be read never looks compliant.

pub mod account;
pub mod cloudtrail;
pub mod ec2;
pub mod iam;
pub mod iam_policies;
pub mod iam_users;
pub mod manual;
pub mod monitoring;
pub mod organization;
pub mod s3;
pub mod services;
pub mod storage;

pub mod check;

pub use check::{Check, Eval, Settings};

/// Every check Rampart knows.
pub fn registry() -> Vec<Check> {
    let mut all = Vec::new();
    all.extend(iam::CHECKS.iter().copied());
    all.extend(iam_users::CHECKS.iter().copied());
    all.extend(iam_policies::CHECKS.iter().copied());
    all.extend(cloudtrail::CHECKS.iter().copied());
    all.extend(ec2::CHECKS.iter().copied());
    all.extend(services::CHECKS.iter().copied());
    all.extend(monitoring::CHECKS.iter().copied());
    all.extend(account::CHECKS.iter().copied());
    all.extend(s3::CHECKS.iter().copied());
    all.extend(storage::CHECKS.iter().copied());
    all.extend(manual::CHECKS.iter().copied());
    all.extend(organization::CHECKS.iter().copied());
    all
}

/// Finds a check by id.
pub fn by_id(id: &str) -> Option<Check> {
    registry().into_iter().find(|c| c.meta.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique() {
        let mut ids: Vec<_> = registry().iter().map(|c| c.meta.id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(by_id("iam.root-access-keys").is_some());
    }
}

//! Who may make the hub act where.
//!
//! The hub holds a role in every member account, so an event may make it act only in the
//! account that delivered it, and every account the event names must be that account. The
//! exceptions are the trusted administrators: the hub itself, the organization's delegated
//! administrator for the service the event comes from (GuardDuty, Security Hub), and accounts
//! the operator names in `response.trusted_accounts`. They may name any ACTIVE account.
//!
//! Rampart's own calls are recognised by the role that made them, never by a session name
//! (which any caller chooses).

use crate::org::directory::Directory;
use rampart_common::event::{Event, Kind};
use std::collections::BTreeSet;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/respond/trust",
    actions: &[
        "organizations:ListAccounts",
        "organizations:ListDelegatedAdministrators",
        "organizations:ListDelegatedServicesForAccount",
    ],
};

/// Why an event is not acted on.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The event is not acceptable: nothing is done, the outcome is `rejected`.
    Rejected(String),
    /// Acceptability could not be established (an Organizations error): the outcome is
    /// `failed`, so the delivery is retried rather than dropped.
    Unverifiable(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Rejected(s) | Refusal::Unverifiable(s) => f.write_str(s),
        }
    }
}

/// The trust policy of the hub's intake.
#[derive(Debug)]
pub struct Trust {
    pub directory: Directory,
    hub_account: String,
    configured: BTreeSet<String>,
}

impl Trust {
    pub fn new(directory: Directory, hub_account: String, configured: &[String]) -> Self {
        Trust {
            directory,
            hub_account,
            configured: configured.iter().cloned().collect(),
        }
    }

    pub fn hub_account(&self) -> &str {
        &self.hub_account
    }

    /// Ok when the account is an ACTIVE member.
    pub async fn require_active(&self, account: &str, role: &str) -> Result<(), Refusal> {
        match self.directory.status(account).await {
            Ok(Some(s)) if s == "ACTIVE" => Ok(()),
            Ok(Some(s)) => Err(Refusal::Rejected(format!(
                "{role} account {account} is not ACTIVE in the organization (status {s})"
            ))),
            Ok(None) => Err(Refusal::Rejected(format!(
                "{role} account {account} is not a member of the organization"
            ))),
            Err(e) => Err(Refusal::Unverifiable(format!(
                "cannot verify organization membership: {e}"
            ))),
        }
    }

    /// Whether `account` may deliver events of `service` about other accounts.
    pub async fn is_trusted(&self, account: &str, service: Option<&str>) -> Result<bool, Refusal> {
        if account == self.hub_account || self.configured.contains(account) {
            return Ok(true);
        }
        let Some(service) = service else {
            return Ok(false);
        };
        self.directory
            .is_delegated_admin(account, service)
            .await
            .map_err(|e| {
                Refusal::Unverifiable(format!("cannot read delegated administrators: {e}"))
            })
    }

    /// Admits an event whose playbook would act in `targets`: the sender must be an ACTIVE
    /// member; every account the event names and every target must be the sender's own unless
    /// the sender is a trusted administrator for the event's service; every target ACTIVE.
    pub async fn admit(&self, event: &Event, targets: &[String]) -> Result<(), Refusal> {
        let sender = &event.envelope.account;
        if sender != &self.hub_account {
            self.require_active(sender, "delivering").await?;
        }
        // A finding speaks for its own account only, whoever delivers it.
        if let Kind::CustomAction { findings, .. } | Kind::FindingsImported(findings) = &event.kind
        {
            for f in findings {
                if let Some((arn, account)) = f.foreign_resource() {
                    return Err(Refusal::Rejected(format!(
                        "finding {} of account {} names resource {arn} of account {account}",
                        truncate(&f.id, 200),
                        f.account
                    )));
                }
            }
        }
        if let Kind::CustomAction { action_arn, .. } = &event.kind {
            // A custom action is an operator's request only in a trusted administrator's
            // Security Hub; any member can create one with the same id in its own.
            let owner = rampart_common::event::arn_account(action_arn).unwrap_or_default();
            if &owner != sender {
                return Err(Refusal::Rejected(format!(
                    "custom action {} does not belong to the delivering account {sender}",
                    truncate(action_arn, 200)
                )));
            }
            if !self.is_trusted(sender, event.admin_service()).await? {
                return Err(Refusal::Rejected(format!(
                    "custom action {} belongs to account {sender}, which is not a trusted administrator",
                    truncate(action_arn, 200)
                )));
            }
        }
        let foreign: Vec<(String, String)> = event
            .account_fields()
            .into_iter()
            .chain(targets.iter().map(|t| ("target".to_string(), t.clone())))
            .filter(|(_, a)| a != sender)
            .collect();
        if let Some((field, account)) = foreign.first() {
            if !self.is_trusted(sender, event.admin_service()).await? {
                return Err(Refusal::Rejected(format!(
                    "{field} names account {account}, but the event was delivered by {sender}, \
                     which is not a trusted administrator: an account may only make the hub act in itself"
                )));
            }
        }
        for t in targets {
            if t != sender && t != &self.hub_account {
                self.require_active(t, "target").await?;
            }
        }
        Ok(())
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

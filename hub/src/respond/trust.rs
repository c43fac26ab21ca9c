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

use rampart_common::event::{Event, Kind};
use rampart_member::error_text::describe;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/respond/trust",
    actions: &[
        "organizations:ListAccounts",
        "organizations:ListDelegatedAdministrators",
        "organizations:ListDelegatedServicesForAccount",
    ],
};

/// Minimum time between two refreshes forced by an unknown account, so a flood of forged
/// account ids cannot turn into a flood of ListAccounts calls.
const MISS_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

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

#[derive(Debug, Default)]
struct Cached<T> {
    at: Option<Instant>,
    value: T,
}

impl<T> Cached<T> {
    fn fresh(&self, ttl: Duration) -> bool {
        matches!(self.at, Some(at) if at.elapsed() < ttl)
    }
}

/// The organization as the hub sees it: account statuses and delegated administrators, each
/// cached for `ttl`.
#[derive(Debug)]
pub struct Directory {
    client: aws_sdk_organizations::Client,
    ttl: Duration,
    accounts: Mutex<Cached<HashMap<String, String>>>,
    /// Service principal -> delegated administrator accounts.
    admins: Mutex<Cached<BTreeMap<String, BTreeSet<String>>>>,
}

impl Directory {
    pub fn new(client: aws_sdk_organizations::Client, ttl: Duration) -> Self {
        Directory {
            client,
            ttl,
            accounts: Mutex::new(Cached::default()),
            admins: Mutex::new(Cached::default()),
        }
    }

    async fn fetch_accounts(&self) -> Result<HashMap<String, String>, String> {
        let mut out = HashMap::new();
        let mut pages = self.client.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| format!("organizations:ListAccounts: {}", describe(&e)))?;
            for a in page.accounts() {
                if let Some(id) = a.id() {
                    let status = a
                        .state()
                        .map(|s| s.as_str().to_string())
                        .or_else(|| a.status().map(|s| s.as_str().to_string()))
                        .unwrap_or_default();
                    out.insert(id.to_string(), status);
                }
            }
        }
        Ok(out)
    }

    /// Every delegated administrator and its services: one unfiltered listing, then the
    /// services of each (an organization has a handful of administrator accounts).
    async fn fetch_admins(&self) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
        let mut accounts = Vec::new();
        let mut pages = self
            .client
            .list_delegated_administrators()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                format!(
                    "organizations:ListDelegatedAdministrators: {}",
                    describe(&e)
                )
            })?;
            accounts.extend(
                page.delegated_administrators()
                    .iter()
                    .filter_map(|a| a.id().map(str::to_string)),
            );
        }
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for account in accounts {
            let mut pages = self
                .client
                .list_delegated_services_for_account()
                .account_id(&account)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    format!(
                        "organizations:ListDelegatedServicesForAccount {account}: {}",
                        describe(&e)
                    )
                })?;
                for s in page.delegated_services() {
                    if let Some(p) = s.service_principal() {
                        out.entry(p.to_string())
                            .or_default()
                            .insert(account.clone());
                    }
                }
            }
        }
        Ok(out)
    }

    /// The account's status in the organization (`ACTIVE`, `SUSPENDED`, ...), or None when it is
    /// not a member.
    pub async fn status(&self, account: &str) -> Result<Option<String>, String> {
        let mut guard = self.accounts.lock().await;
        if !guard.fresh(self.ttl) {
            guard.value = self.fetch_accounts().await?;
            guard.at = Some(Instant::now());
        }
        if let Some(s) = guard.value.get(account) {
            return Ok(Some(s.clone()));
        }
        // An account that just joined: refresh once, at most every few seconds.
        let may_refresh = matches!(guard.at, Some(at) if at.elapsed() >= MISS_REFRESH_INTERVAL);
        if may_refresh {
            guard.value = self.fetch_accounts().await?;
            guard.at = Some(Instant::now());
            return Ok(guard.value.get(account).cloned());
        }
        Ok(None)
    }

    /// Every ACTIVE account (fresh read when the cache is stale).
    pub async fn active_accounts(&self) -> Result<Vec<String>, String> {
        let mut guard = self.accounts.lock().await;
        if !guard.fresh(self.ttl) {
            guard.value = self.fetch_accounts().await?;
            guard.at = Some(Instant::now());
        }
        let mut out: Vec<String> = guard
            .value
            .iter()
            .filter(|(_, s)| s.as_str() == "ACTIVE")
            .map(|(id, _)| id.clone())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Whether `account` is the organization's delegated administrator for `service`.
    pub async fn is_delegated_admin(&self, account: &str, service: &str) -> Result<bool, String> {
        let mut guard = self.admins.lock().await;
        if !guard.fresh(self.ttl) {
            guard.value = self.fetch_admins().await?;
            guard.at = Some(Instant::now());
        }
        Ok(guard
            .value
            .get(service)
            .is_some_and(|set| set.contains(account)))
    }

    /// Ok when the account is an ACTIVE member.
    pub async fn require_active(&self, account: &str, role: &str) -> Result<(), Refusal> {
        match self.status(account).await {
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
            self.directory.require_active(sender, "delivering").await?;
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
                self.directory.require_active(t, "target").await?;
            }
        }
        Ok(())
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

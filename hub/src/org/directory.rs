//! The organization as the hub sees it, read once and cached: every member account with its
//! name and status (one `ListAccounts` listing and one ACTIVE rule for discovery and trust),
//! and the delegated administrators of each service.

use rampart_member::aws_error::AwsError;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Minimum time between two refreshes forced by an unknown account, so a flood of forged
/// account ids cannot turn into a flood of ListAccounts calls.
const MISS_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

/// One account of the organization.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: String,
    pub name: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, ...
    pub status: String,
}

impl Member {
    /// The one rule: an account is acted in and assessed only when ACTIVE.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// The account's status: `State` where the API gives it, else the older `Status`.
#[allow(deprecated)] // `Status` is what the emulator and older APIs return.
fn status_of(a: &aws_sdk_organizations::types::Account) -> String {
    a.state()
        .map(|s| s.as_str().to_string())
        .or_else(|| a.status().map(|s| s.as_str().to_string()))
        .unwrap_or_default()
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
    accounts: Mutex<Cached<HashMap<String, Member>>>,
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

    async fn fetch_accounts(&self) -> Result<HashMap<String, Member>, AwsError> {
        let mut out = HashMap::new();
        let mut pages = self.client.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::sdk("organizations:ListAccounts", &e))?;
            for a in page.accounts() {
                if let Some(id) = a.id() {
                    let m = Member {
                        id: id.to_string(),
                        name: a.name().unwrap_or_default().to_string(),
                        status: status_of(a),
                    };
                    out.insert(id.to_string(), m);
                }
            }
        }
        Ok(out)
    }

    /// Every member with its name and status, one listing (cached for the TTL).
    pub async fn members(&self) -> Result<Vec<Member>, AwsError> {
        let mut guard = self.accounts.lock().await;
        if !guard.fresh(self.ttl) {
            guard.value = self.fetch_accounts().await?;
            guard.at = Some(Instant::now());
        }
        let mut out: Vec<Member> = guard.value.values().cloned().collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The client the directory reads with (the OU tree is read through it).
    pub fn client(&self) -> &aws_sdk_organizations::Client {
        &self.client
    }

    /// Every delegated administrator and its services: one unfiltered listing, then the
    /// services of each (an organization has a handful of administrator accounts).
    async fn fetch_admins(&self) -> Result<BTreeMap<String, BTreeSet<String>>, AwsError> {
        let mut accounts = Vec::new();
        let mut pages = self
            .client
            .list_delegated_administrators()
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| AwsError::sdk("organizations:ListDelegatedAdministrators", &e))?;
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
                    AwsError::sdk(
                        format!("organizations:ListDelegatedServicesForAccount {account}"),
                        &e,
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
    pub async fn status(&self, account: &str) -> Result<Option<String>, AwsError> {
        let mut guard = self.accounts.lock().await;
        if !guard.fresh(self.ttl) {
            guard.value = self.fetch_accounts().await?;
            guard.at = Some(Instant::now());
        }
        if let Some(m) = guard.value.get(account) {
            return Ok(Some(m.status.clone()));
        }
        // An account that just joined: refresh once, at most every few seconds.
        let may_refresh = matches!(guard.at, Some(at) if at.elapsed() >= MISS_REFRESH_INTERVAL);
        if may_refresh {
            guard.value = self.fetch_accounts().await?;
            guard.at = Some(Instant::now());
            return Ok(guard.value.get(account).map(|m| m.status.clone()));
        }
        Ok(None)
    }

    /// Every ACTIVE account (fresh read when the cache is stale).
    pub async fn active_accounts(&self) -> Result<Vec<String>, AwsError> {
        Ok(self
            .members()
            .await?
            .into_iter()
            .filter(Member::is_active)
            .map(|m| m.id)
            .collect())
    }

    /// Whether `account` is the organization's delegated administrator for `service`.
    pub async fn is_delegated_admin(&self, account: &str, service: &str) -> Result<bool, AwsError> {
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
}

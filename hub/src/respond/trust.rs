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

use super::event::{Event, Kind};
use super::identity::Actor;
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
            let owner = super::event::arn_account(action_arn).unwrap_or_default();
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

/// Rampart's own roles: its member roles by name (in the account where the call was made) and
/// the hub's roles by ARN.
#[derive(Debug, Clone, Default)]
pub struct OwnRoles {
    pub member_role_names: Vec<String>,
    pub hub_role_arns: Vec<String>,
}

impl OwnRoles {
    /// True when the actor is one of Rampart's roles acting in `account`. Acting on those would
    /// loop; a role *named* like Rampart's in another account, or a session named `rampart-*`,
    /// is nobody special.
    pub fn is_own(&self, actor: &Actor, account: &str) -> bool {
        let Actor::AssumedRole { arn, role_arn, .. } = actor else {
            return false;
        };
        let role = if role_arn.is_empty() {
            role_arn_of_session(arn)
        } else {
            Some(role_arn.clone())
        };
        let Some(role) = role else {
            return false;
        };
        if self.hub_role_arns.iter().any(|r| same_role(r, &role)) {
            return true;
        }
        let Some((role_account, name)) = split_role_arn(&role) else {
            return false;
        };
        role_account == account && self.member_role_names.iter().any(|n| n == name)
    }
}

/// `arn:aws:sts::<account>:assumed-role/<role>/<session>` -> the role's ARN (without a path,
/// which the session ARN does not carry).
pub fn role_arn_of_session(session_arn: &str) -> Option<String> {
    let (prefix, rest) = session_arn.split_once(":assumed-role/")?;
    let role = rest.split('/').next().filter(|r| !r.is_empty())?;
    let prefix = prefix.replacen(":sts:", ":iam:", 1);
    Some(format!("{prefix}:role/{role}"))
}

/// (account, role name) of `arn:<p>:iam::<account>:role/<path/>name`.
fn split_role_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let service = parts.nth(1)?;
    let account = parts.nth(1)?;
    let resource = parts.next()?;
    if service != "iam" {
        return None;
    }
    let path = resource.strip_prefix("role/")?;
    Some((account, path.rsplit('/').next().unwrap_or(path)))
}

/// Two role ARNs name the same role: same account and name (role names are unique in an
/// account whatever their path).
fn same_role(a: &str, b: &str) -> bool {
    matches!((split_role_arn(a), split_role_arn(b)), (Some(x), Some(y)) if x == y)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn session(role_arn: &str, arn: &str) -> Actor {
        Actor::parse(&json!({"type":"AssumedRole","arn":arn,
            "sessionContext":{"sessionIssuer":{"type":"Role","arn":role_arn}}}))
    }

    #[test]
    fn own_sessions_are_known_by_role_not_by_session_name() {
        let own = OwnRoles {
            member_role_names: vec!["RampartResponder".into()],
            hub_role_arns: vec!["arn:aws:iam::999999999999:role/RampartHub".into()],
        };
        let a = "111111111111";
        let responder = session(
            "arn:aws:iam::111111111111:role/RampartResponder",
            "arn:aws:sts::111111111111:assumed-role/RampartResponder/anything",
        );
        assert!(own.is_own(&responder, a));
        // Same role name, other account: not Rampart's role in the account acted on.
        assert!(!own.is_own(&responder, "222222222222"));
        // A session named like Rampart's on an ordinary role.
        let admin = session(
            "arn:aws:iam::111111111111:role/Admin",
            "arn:aws:sts::111111111111:assumed-role/Admin/rampart-respond-x",
        );
        assert!(!own.is_own(&admin, a));
        // The hub's role, also with a path in the configured ARN.
        let hub = session(
            "arn:aws:iam::999999999999:role/RampartHub",
            "arn:aws:sts::999999999999:assumed-role/RampartHub/h",
        );
        assert!(own.is_own(&hub, "999999999999"));
        let pathed = OwnRoles {
            hub_role_arns: vec!["arn:aws:iam::999999999999:role/ops/RampartHub".into()],
            ..Default::default()
        };
        assert!(pathed.is_own(&hub, "999999999999"));
        // No session issuer: the role comes from the session ARN's role part.
        let bare = Actor::parse(&json!({"type":"AssumedRole",
            "arn":"arn:aws:sts::111111111111:assumed-role/RampartResponder/x"}));
        assert!(own.is_own(&bare, a));
        let user = Actor::parse(
            &json!({"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/RampartResponder"}),
        );
        assert!(!own.is_own(&user, a));
    }

    #[test]
    fn role_arns_split() {
        assert_eq!(
            split_role_arn("arn:aws:iam::111111111111:role/a/b/Name"),
            Some(("111111111111", "Name"))
        );
        assert_eq!(split_role_arn("arn:aws:iam::111111111111:user/Name"), None);
        assert_eq!(split_role_arn("nonsense"), None);
        assert_eq!(
            role_arn_of_session("arn:aws-us-gov:sts::1:assumed-role/R/s").as_deref(),
            Some("arn:aws-us-gov:iam::1:role/R")
        );
    }
}

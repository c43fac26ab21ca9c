//! Authenticating an event before anything acts on it: an AWS source, an ACTIVE member
//! account of the organization (cached lookup), an allowed region, and not Rampart's own doing.

use super::identity::Actor;
use rampart_member::error_text::describe;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/respond/auth",
    actions: &["organizations:ListAccounts"],
};

/// Minimum time between two refreshes forced by an unknown account, so a flood of forged
/// account ids cannot turn into a flood of ListAccounts calls.
const MISS_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

/// Organization membership, cached for `ttl`.
#[derive(Debug)]
pub struct OrgMembers {
    client: aws_sdk_organizations::Client,
    ttl: Duration,
    cache: Mutex<Option<(Instant, HashMap<String, String>)>>,
}

impl OrgMembers {
    pub fn new(client: aws_sdk_organizations::Client, ttl: Duration) -> Self {
        OrgMembers {
            client,
            ttl,
            cache: Mutex::new(None),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, String>, String> {
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

    /// The account's status in the organization (`ACTIVE`, `SUSPENDED`, ...), or None when it is
    /// not a member.
    pub async fn status(&self, account: &str) -> Result<Option<String>, String> {
        let mut guard = self.cache.lock().await;
        let fresh = matches!(&*guard, Some((at, _)) if at.elapsed() < self.ttl);
        if !fresh {
            *guard = Some((Instant::now(), self.fetch().await?));
        }
        if let Some((_, map)) = &*guard {
            if let Some(s) = map.get(account) {
                return Ok(Some(s.clone()));
            }
        }
        // An account that just joined: refresh once, at most every few seconds.
        let may_refresh = matches!(&*guard, Some((at, _)) if at.elapsed() >= MISS_REFRESH_INTERVAL);
        if may_refresh {
            *guard = Some((Instant::now(), self.fetch().await?));
            if let Some((_, map)) = &*guard {
                return Ok(map.get(account).cloned());
            }
        }
        Ok(None)
    }

    /// Every ACTIVE account (fresh read when the cache is stale).
    pub async fn active_accounts(&self) -> Result<Vec<String>, String> {
        let mut guard = self.cache.lock().await;
        let fresh = matches!(&*guard, Some((at, _)) if at.elapsed() < self.ttl);
        if !fresh {
            *guard = Some((Instant::now(), self.fetch().await?));
        }
        let mut out: Vec<String> = guard
            .iter()
            .flat_map(|(_, m)| m.iter())
            .filter(|(_, s)| s.as_str() == "ACTIVE")
            .map(|(id, _)| id.clone())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Ok when the account is an ACTIVE member; otherwise the reason it is not acted on.
    pub async fn require_active(&self, account: &str) -> Result<(), String> {
        match self.status(account).await {
            Ok(Some(s)) if s == "ACTIVE" => Ok(()),
            Ok(Some(s)) => Err(format!(
                "account {account} is not ACTIVE in the organization (status {s})"
            )),
            Ok(None) => Err(format!(
                "account {account} is not a member of the organization"
            )),
            Err(e) => Err(format!("cannot verify organization membership: {e}")),
        }
    }
}

/// Only AWS services can put `aws.*` sources on a bus.
pub fn require_aws_source(source: &str) -> Result<(), String> {
    if source.starts_with("aws.") {
        Ok(())
    } else {
        Err(format!(
            "source '{}' is not an AWS service; only aws.* events are acted on",
            source.chars().take(64).collect::<String>()
        ))
    }
}

/// True when the actor is Rampart itself: its response or assessment role, or a session it
/// named (`rampart-...`). Acting on those would loop.
pub fn is_own(actor: &Actor, own_roles: &[String]) -> bool {
    match actor {
        Actor::AssumedRole {
            role_name,
            session_name,
            ..
        } => own_roles.iter().any(|r| r == role_name) || session_name.starts_with("rampart-"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_own_sessions() {
        assert!(require_aws_source("aws.cloudtrail").is_ok());
        assert!(require_aws_source("awsx.cloudtrail").is_err());
        assert!(require_aws_source("custom.aws.cloudtrail").is_err());
        let own = Actor::AssumedRole {
            arn: "arn:aws:sts::1:assumed-role/RampartResponder/rampart-respond-x".into(),
            role_name: "RampartResponder".into(),
            role_arn: "arn:aws:iam::1:role/RampartResponder".into(),
            session_name: "rampart-respond-x".into(),
            access_key_id: None,
        };
        assert!(is_own(&own, &["RampartResponder".into()]));
        let other = Actor::AssumedRole {
            arn: "arn:aws:sts::1:assumed-role/Ops/bob".into(),
            role_name: "Ops".into(),
            role_arn: "arn:aws:iam::1:role/Ops".into(),
            session_name: "bob".into(),
            access_key_id: None,
        };
        assert!(!is_own(&other, &["RampartResponder".into()]));
    }
}

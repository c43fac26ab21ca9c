//! Organization discovery: ACTIVE member accounts (through the cached [`directory`] the
//! responder's trust reads too), their OUs, and include/exclude filters.

pub mod directory;

use aws_sdk_organizations::Client;
use directory::Directory;
use rampart_common::Config;
use rampart_member::error_text::describe;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use thiserror::Error;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/organization",
    actions: &[
        "organizations:ListAccounts",
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListAccountsForParent",
    ],
};

#[derive(Debug, Error)]
pub enum DiscoveryError {
    #[error("cannot list the organization's accounts: {0}")]
    Api(String),
    #[error("the organization has no ACTIVE accounts to assess after filtering (include/exclude accounts and OUs)")]
    Empty,
    #[error("the hub's account is not in an organization (AWSOrganizationsNotInUseException): no ACTIVE accounts to assess")]
    NotInUse,
}

/// One account of the organization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    /// The OU (or root) the account sits in directly, when the tree was read.
    pub parent: Option<String>,
    /// Every OU above the account, nearest first, ending with the root.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<String>,
}

/// Lists the ACTIVE accounts (the directory's one listing and rule); reads the OU tree when
/// `with_ous` (or an OU filter needs it).
pub async fn discover(
    directory: &Directory,
    cfg: &Config,
    with_ous: bool,
) -> Result<Vec<Account>, DiscoveryError> {
    let members = directory.members().await.map_err(|e| {
        if e.code.as_deref() == Some("AWSOrganizationsNotInUseException") {
            DiscoveryError::NotInUse
        } else {
            DiscoveryError::Api(e.to_string())
        }
    })?;
    let mut accounts: Vec<Account> = members
        .into_iter()
        .filter(|m| m.is_active())
        .map(|m| Account {
            id: m.id,
            name: m.name,
            parent: None,
            ancestors: Vec::new(),
        })
        .collect();
    if accounts.is_empty() {
        return Err(DiscoveryError::Empty);
    }
    let needs_tree = with_ous || cfg.include_ous.is_some() || cfg.exclude_ous.is_some();
    if needs_tree {
        let tree = ou_tree(directory.client()).await?;
        for a in &mut accounts {
            if let Some(chain) = tree.get(&a.id) {
                a.parent = chain.first().cloned();
                a.ancestors = chain.clone();
            }
        }
    }
    let filtered = filter(accounts, cfg);
    if filtered.is_empty() {
        return Err(DiscoveryError::Empty);
    }
    Ok(filtered)
}

/// Applies include/exclude lists of account ids and OUs.
pub fn filter(accounts: Vec<Account>, cfg: &Config) -> Vec<Account> {
    let inc: Option<HashSet<&str>> = cfg
        .include_accounts
        .as_ref()
        .map(|v| v.iter().map(String::as_str).collect());
    let exc: HashSet<&str> = cfg
        .exclude_accounts
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let in_any = |a: &Account, ous: &Vec<String>| a.ancestors.iter().any(|o| ous.contains(o));
    accounts
        .into_iter()
        .filter(|a| inc.as_ref().is_none_or(|s| s.contains(a.id.as_str())))
        .filter(|a| !exc.contains(a.id.as_str()))
        .filter(|a| cfg.include_ous.as_ref().is_none_or(|ous| in_any(a, ous)))
        .filter(|a| cfg.exclude_ous.as_ref().is_none_or(|ous| !in_any(a, ous)))
        .collect()
}

/// Account id -> chain of parents (nearest first), walking the tree from the roots. Costs two
/// paginated calls per OU, never one per account.
async fn ou_tree(client: &Client) -> Result<HashMap<String, Vec<String>>, DiscoveryError> {
    let api = |op: &str, e: String| DiscoveryError::Api(format!("organizations:{op}: {e}"));
    let roots = client
        .list_roots()
        .send()
        .await
        .map_err(|e| api("ListRoots", describe(&e)))?;
    let mut out = HashMap::new();
    // (parent id, chain of ancestors including parent, nearest first)
    let mut stack: Vec<(String, Vec<String>)> = roots
        .roots()
        .iter()
        .filter_map(|r| r.id())
        .map(|id| (id.to_string(), vec![id.to_string()]))
        .collect();
    while let Some((parent, chain)) = stack.pop() {
        let mut token = None;
        loop {
            let page = client
                .list_accounts_for_parent()
                .parent_id(&parent)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| api("ListAccountsForParent", describe(&e)))?;
            for a in page.accounts() {
                if let Some(id) = a.id() {
                    out.insert(id.to_string(), chain.clone());
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        let mut token = None;
        loop {
            let page = client
                .list_organizational_units_for_parent()
                .parent_id(&parent)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| api("ListOrganizationalUnitsForParent", describe(&e)))?;
            for ou in page.organizational_units() {
                if let Some(id) = ou.id() {
                    let mut c = vec![id.to_string()];
                    c.extend(chain.iter().cloned());
                    stack.push((id.to_string(), c));
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(id: &str, chain: &[&str]) -> Account {
        Account {
            id: id.into(),
            name: id.into(),
            parent: chain.first().map(|s| s.to_string()),
            ancestors: chain.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn filters_by_account_and_ou() {
        let all = vec![
            acct("111111111111", &["ou-a", "r-1"]),
            acct("222222222222", &["ou-b", "ou-a", "r-1"]),
            acct("333333333333", &["r-1"]),
        ];
        let ids = |c: &Config| {
            filter(all.clone(), c)
                .into_iter()
                .map(|a| a.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&Config::default()).len(), 3);
        assert_eq!(
            ids(&Config {
                include_ous: Some(vec!["ou-a".into()]),
                ..Default::default()
            }),
            vec!["111111111111", "222222222222"]
        );
        assert_eq!(
            ids(&Config {
                exclude_ous: Some(vec!["ou-b".into()]),
                ..Default::default()
            }),
            vec!["111111111111", "333333333333"]
        );
        assert_eq!(
            ids(&Config {
                include_accounts: Some(vec!["333333333333".into()]),
                ..Default::default()
            }),
            vec!["333333333333"]
        );
        assert_eq!(
            ids(&Config {
                exclude_accounts: Some(vec!["333333333333".into()]),
                ..Default::default()
            })
            .len(),
            2
        );
    }
}

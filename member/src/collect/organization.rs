//! The organization, read once per run with the hub's own credentials (the management account
//! or a delegated administrator): what the organization-level requirements are judged on.

use crate::aws_error::AwsError;
use crate::error_text::is_code;
use crate::ratelimit::RateLimiter;
use crate::snapshot::{DelegatedAdmin, OrgInfo, OrgPolicy, OrgSnapshot};
use aws_config::SdkConfig;
use aws_sdk_organizations::types::PolicyType;
use rampart_common::Permissions;

/// Called with the hub's credentials, not the member role's.
pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/organization (hub credentials)",
    actions: &[
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListPolicies",
        "organizations:ListTargetsForPolicy",
        "organizations:DescribeResourcePolicy",
        "organizations:ListAWSServiceAccessForOrganization",
        "organizations:ListDelegatedAdministrators",
        "organizations:ListDelegatedServicesForAccount",
        "iam:ListOrganizationsFeatures",
    ],
};

/// AWS-managed policies attached everywhere by default; they restrict nothing.
const MANAGED_ALLOW_ALL: &[&str] = &["p-FullAWSAccess", "p-RCPFullAWSAccess"];

/// Reads the organization; every part is collected independently so one denied call costs
/// only the requirements that need it.
pub async fn collect(sdk: &SdkConfig, account_id: &str, rl: &RateLimiter) -> OrgSnapshot {
    let org = aws_sdk_organizations::Client::new(sdk);
    let iam = aws_sdk_iam::Client::new(sdk);
    let organization = describe_org(&org, rl).await;
    let roots = roots(&org, rl).await;
    let root_policy_types = roots.clone().map(|r| r.1);
    let top_level_ous = match &roots {
        Ok((root_id, _)) => ous(&org, root_id, rl).await,
        Err(e) => Err(e.clone()),
    };
    let (guardrails, root_access_features, delegation_policy, trusted_services, delegated_admins) = tokio::join!(
        guardrails(&org, rl),
        root_features(&iam, rl),
        delegation_policy(&org, rl),
        trusted_services(&org, rl),
        delegated_admins(&org, rl),
    );
    OrgSnapshot {
        account_id: account_id.to_string(),
        organization: organization.into(),
        root_policy_types: root_policy_types.into(),
        top_level_ous: top_level_ous.into(),
        guardrails: guardrails.into(),
        root_access_features: root_access_features.into(),
        delegation_policy: delegation_policy.into(),
        trusted_services: trusted_services.into(),
        delegated_admins: delegated_admins.into(),
    }
}

async fn describe_org(
    c: &aws_sdk_organizations::Client,
    rl: &RateLimiter,
) -> Result<OrgInfo, AwsError> {
    rl.acquire().await;
    let out = c
        .describe_organization()
        .send()
        .await
        .map_err(|e| AwsError::sdk("organizations:DescribeOrganization", &e))?;
    let o = out
        .organization()
        .ok_or("organizations:DescribeOrganization: no organization in the answer")?;
    Ok(OrgInfo {
        id: o.id().unwrap_or_default().to_string(),
        arn: o.arn().unwrap_or_default().to_string(),
        management_account_id: o.master_account_id().unwrap_or_default().to_string(),
        feature_set: o
            .feature_set()
            .map(|f| f.as_str().to_string())
            .unwrap_or_default(),
    })
}

async fn roots(
    c: &aws_sdk_organizations::Client,
    rl: &RateLimiter,
) -> Result<(String, Vec<String>), AwsError> {
    rl.acquire().await;
    let out = c
        .list_roots()
        .send()
        .await
        .map_err(|e| AwsError::sdk("organizations:ListRoots", &e))?;
    let root = out
        .roots()
        .first()
        .ok_or("organizations:ListRoots: the organization has no root")?;
    let types = root
        .policy_types()
        .iter()
        .filter(|p| p.status().map(|s| s.as_str()) == Some("ENABLED"))
        .filter_map(|p| p.r#type().map(|t| t.as_str().to_string()))
        .collect();
    Ok((root.id().unwrap_or_default().to_string(), types))
}

async fn ous(
    c: &aws_sdk_organizations::Client,
    root_id: &str,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        rl.acquire().await;
        let page = c
            .list_organizational_units_for_parent()
            .parent_id(root_id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("organizations:ListOrganizationalUnitsForParent", &e))?;
        out.extend(
            page.organizational_units()
                .iter()
                .map(|o| o.name().unwrap_or_default().to_string()),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn guardrails(
    c: &aws_sdk_organizations::Client,
    rl: &RateLimiter,
) -> Result<Vec<OrgPolicy>, AwsError> {
    let mut out = Vec::new();
    for kind in [
        PolicyType::ServiceControlPolicy,
        PolicyType::ResourceControlPolicy,
    ] {
        let mut token = None;
        loop {
            rl.acquire().await;
            let page = match c
                .list_policies()
                .filter(kind.clone())
                .set_next_token(token.take())
                .send()
                .await
            {
                Ok(p) => p,
                // RCPs are newer than some partitions (and emulators): no RCPs, not an error.
                Err(e)
                    if kind == PolicyType::ResourceControlPolicy
                        && (is_code(&e, "PolicyTypeNotEnabledException")
                            || is_code(&e, "InvalidInputException")) =>
                {
                    break
                }
                Err(e) => return Err(AwsError::sdk("organizations:ListPolicies", &e)),
            };
            for p in page.policies() {
                let id = p.id().unwrap_or_default().to_string();
                if MANAGED_ALLOW_ALL.contains(&id.as_str()) {
                    continue;
                }
                let targets = policy_targets(c, &id, rl).await?;
                out.push(OrgPolicy {
                    name: p.name().unwrap_or_default().to_string(),
                    kind: kind.as_str().to_string(),
                    targets,
                    id,
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    Ok(out)
}

async fn policy_targets(
    c: &aws_sdk_organizations::Client,
    policy_id: &str,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        rl.acquire().await;
        let page = c
            .list_targets_for_policy()
            .policy_id(policy_id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("organizations:ListTargetsForPolicy", &e))?;
        out.extend(
            page.targets()
                .iter()
                .filter_map(|t| t.target_id().map(str::to_string)),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn root_features(c: &aws_sdk_iam::Client, rl: &RateLimiter) -> Result<Vec<String>, AwsError> {
    rl.acquire().await;
    match c.list_organizations_features().send().await {
        Ok(out) => Ok(out
            .enabled_features()
            .iter()
            .map(|f| f.as_str().to_string())
            .collect()),
        // Trusted access for IAM is off: no centralized root access feature is enabled.
        Err(e) if is_code(&e, "ServiceAccessNotEnabledException") => Ok(Vec::new()),
        Err(e) => Err(AwsError::sdk("iam:ListOrganizationsFeatures", &e)),
    }
}

async fn delegation_policy(
    c: &aws_sdk_organizations::Client,
    rl: &RateLimiter,
) -> Result<Option<String>, AwsError> {
    rl.acquire().await;
    match c.describe_resource_policy().send().await {
        Ok(out) => Ok(out
            .resource_policy()
            .and_then(|p| p.content())
            .map(str::to_string)),
        Err(e) if is_code(&e, "ResourcePolicyNotFoundException") => Ok(None),
        Err(e) => Err(AwsError::sdk("organizations:DescribeResourcePolicy", &e)),
    }
}

async fn trusted_services(
    c: &aws_sdk_organizations::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        rl.acquire().await;
        let page = c
            .list_aws_service_access_for_organization()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("organizations:ListAWSServiceAccessForOrganization", &e))?;
        out.extend(
            page.enabled_service_principals()
                .iter()
                .filter_map(|s| s.service_principal().map(str::to_string)),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn delegated_admins(
    c: &aws_sdk_organizations::Client,
    rl: &RateLimiter,
) -> Result<Vec<DelegatedAdmin>, AwsError> {
    let mut accounts = Vec::new();
    let mut token = None;
    loop {
        rl.acquire().await;
        let page = c
            .list_delegated_administrators()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("organizations:ListDelegatedAdministrators", &e))?;
        accounts.extend(
            page.delegated_administrators()
                .iter()
                .filter_map(|a| a.id().map(str::to_string)),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut out = Vec::new();
    for account_id in accounts {
        let mut services = Vec::new();
        let mut token = None;
        loop {
            rl.acquire().await;
            let page = c
                .list_delegated_services_for_account()
                .account_id(&account_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::sdk("organizations:ListDelegatedServicesForAccount", &e))?;
            services.extend(
                page.delegated_services()
                    .iter()
                    .filter_map(|s| s.service_principal().map(str::to_string)),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        out.push(DelegatedAdmin {
            account_id,
            services,
        });
    }
    Ok(out)
}

//! Finding lookup for `rampart remediate --finding`: the hub (the Security Hub administrator)
//! sees every member's findings; a finding it does not have is looked up in the account its id
//! or ARN names.

use aws_sdk_securityhub::types::{AwsSecurityFinding, AwsSecurityFindingFilters, StringFilter};
use rampart_common::event::HubFinding;
use rampart_member::error_text::describe;

/// The one finding with this id: several (another product's finding can carry the same id, and
/// an insider with BatchImportFindings can import one) make the id ambiguous, and a finding
/// whose account is not the one its id names is refused.
pub async fn find(
    client: &aws_sdk_securityhub::Client,
    id: &str,
) -> Result<Option<HubFinding>, String> {
    let all = find_all(client, id).await?;
    if all.len() > 1 {
        let which: Vec<String> = all
            .iter()
            .map(|f| format!("{} in {}", f.product_arn, f.account))
            .collect();
        return Err(format!(
            "finding id {id} is ambiguous: {} findings carry it ({}); remediate by --account, --control and --resource instead",
            all.len(),
            which.join(", ")
        ));
    }
    let Some(f) = all.into_iter().next() else {
        return Ok(None);
    };
    if let Some((account, _)) = home_of(id) {
        if f.account != account {
            return Err(format!(
                "finding {id} names account {account} but belongs to {}",
                f.account
            ));
        }
    }
    if let Some(product_account) = f.product_arn.split(':').nth(4).filter(|a| !a.is_empty()) {
        // A custom product's findings (product/<account>/default) are imported by that account.
        if product_account != f.account {
            return Err(format!(
                "finding {id} of account {} comes from product {} of another account",
                f.account, f.product_arn
            ));
        }
    }
    Ok(Some(f))
}

/// `securityhub:GetFindings` for one id. The id is compared again here: a filter the service
/// did not apply must not hand back another finding.
async fn find_all(
    client: &aws_sdk_securityhub::Client,
    id: &str,
) -> Result<Vec<HubFinding>, String> {
    let filters = AwsSecurityFindingFilters::builder()
        .id(StringFilter::builder()
            .value(id)
            .comparison(aws_sdk_securityhub::types::StringFilterComparison::Equals)
            .build())
        .build();
    let mut pages = client
        .get_findings()
        .filters(filters)
        .max_results(100)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("securityhub:GetFindings: {}", describe(&e)))?;
        out.extend(
            page.findings()
                .iter()
                .filter(|f| f.id() == Some(id))
                .map(from_sdk),
        );
    }
    Ok(out)
}

/// The account and region a finding id names, where it has them: Rampart's own ids
/// (`rampart/<account>/<region>/...`) and ARN-shaped ids (`arn:aws:securityhub:<region>:<account>:...`).
pub fn home_of(id: &str) -> Option<(String, String)> {
    let is_account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = id.strip_prefix(rampart_common::asff::GENERATOR_PREFIX) {
        let mut parts = rest.split('/');
        let (a, r) = (parts.next()?, parts.next()?);
        return (is_account(a) && !r.is_empty()).then(|| (a.to_string(), r.to_string()));
    }
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" && is_account(parts[4]) && !parts[3].is_empty() {
        return Some((parts[4].to_string(), parts[3].to_string()));
    }
    None
}

/// The routing view of an SDK finding.
pub fn from_sdk(f: &AwsSecurityFinding) -> HubFinding {
    let compliance = f.compliance();
    HubFinding {
        id: f.id().unwrap_or_default().to_string(),
        product_arn: f.product_arn().unwrap_or_default().to_string(),
        account: f.aws_account_id().unwrap_or_default().to_string(),
        region: f
            .region()
            .map(str::to_string)
            .or_else(|| f.product_arn()?.split(':').nth(3).map(str::to_string))
            .unwrap_or_default(),
        updated_at: f.updated_at().unwrap_or_default().to_string(),
        title: f.title().unwrap_or_default().to_string(),
        severity: f
            .severity()
            .and_then(|s| s.label())
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        resources: f
            .resources()
            .iter()
            .filter_map(|r| Some((r.r#type()?.to_string(), r.id()?.to_string())))
            .collect(),
        control: compliance
            .and_then(|c| c.security_control_id())
            .map(str::to_string)
            .or_else(|| f.product_fields()?.get("ControlId").cloned()),
        check: f
            .product_fields()
            .and_then(|p| p.get(rampart_common::asff::CHECK_ID_FIELD).cloned()),
        compliance: compliance
            .and_then(|c| c.status())
            .map(|s| s.as_str().to_string()),
        workflow: f
            .workflow()
            .and_then(|w| w.status())
            .map(|s| s.as_str().to_string()),
        record_state: f.record_state().map(|s| s.as_str().to_string()),
        ocsf: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_ids_name_their_home() {
        assert_eq!(
            home_of("rampart/111122223333/eu-west-1/cis-7.0.0/ec2.sg-admin-ports-ipv4/ab12"),
            Some(("111122223333".into(), "eu-west-1".into()))
        );
        assert_eq!(
            home_of("arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.53/finding/x"),
            Some(("111122223333".into(), "us-east-1".into()))
        );
        assert_eq!(home_of("rampart/not-an-account/x"), None);
        assert_eq!(home_of("some-id"), None);
    }
}

//! What the account's own Security Hub says about a control on one resource, read before
//! automatic mode acts: a finding an operator suppressed (accepted risk) is honoured, whatever
//! the finding that triggered the run claims.

use crate::act::Ctx;
use crate::aws_error::AwsError;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, StringFilter, StringFilterComparison,
};

fn eq(v: &str) -> StringFilter {
    StringFilter::builder()
        .value(v)
        .comparison(StringFilterComparison::Equals)
        .build()
}

/// Whether a finding is about `control` on `resource` (compared here too: a filter the service
/// did not apply must not decide anything).
fn about(f: &AwsSecurityFinding, control: &str, resource: &str) -> bool {
    let control_of = f
        .compliance()
        .and_then(|c| c.security_control_id())
        .or_else(|| {
            f.product_fields()
                .and_then(|p| p.get("ControlId").map(String::as_str))
        });
    control_of.is_some_and(|c| c.eq_ignore_ascii_case(control))
        && f.resources().iter().any(|r| r.id() == Some(resource))
        && f.record_state().map(|s| s.as_str()) != Some("ARCHIVED")
}

/// The id of an active finding on `control` for `resource` that an operator suppressed, if any.
pub async fn suppressed(
    ctx: &Ctx<'_>,
    control: &str,
    resource: &str,
) -> Result<Option<String>, AwsError> {
    let sh = aws_sdk_securityhub::Client::new(ctx.member);
    let filters = AwsSecurityFindingFilters::builder()
        .resource_id(eq(resource))
        .compliance_security_control_id(eq(control))
        .record_state(eq("ACTIVE"))
        .build();
    let mut pages = sh
        .get_findings()
        .filters(filters)
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::sdk("securityhub:GetFindings", &e))?;
        let hit = page.findings().iter().find(|f| {
            about(f, control, resource)
                && f.workflow().and_then(|w| w.status()).map(|s| s.as_str()) == Some("SUPPRESSED")
        });
        if let Some(f) = hit {
            return Ok(Some(f.id().unwrap_or_default().to_string()));
        }
    }
    Ok(None)
}

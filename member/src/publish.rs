//! Publishing findings into one account-region's Security Hub, and closing stale ones.
//!
//! BatchImportFindings only accepts findings whose AwsAccountId is the caller's account, so the
//! hub calls this with the member's own credentials. Limits honoured: 100 findings and 6 MB per
//! call, 10 requests/s (burst 30) per account-region, partial failures (`FailedFindings`)
//! retried and whatever still fails reported, never dropped.

use crate::error_text::describe;
use crate::ratelimit::RateLimiter;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, Compliance, ComplianceStatus, Recommendation,
    RecordState, Remediation, Resource, Severity, SeverityLabel, StringFilter,
    StringFilterComparison,
};
use rampart_common::asff::{self, Finding, GENERATOR_PREFIX};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// At most this many findings per BatchImportFindings call.
pub const MAX_BATCH_FINDINGS: usize = 100;
/// At most this many bytes per call (6 MB), with headroom for the request envelope.
pub const MAX_BATCH_BYTES: usize = 6 * 1024 * 1024 - 64 * 1024;
/// Rounds of re-sending findings that came back in `FailedFindings`.
pub const FAILED_FINDING_ROUNDS: usize = 3;
/// Security Hub's BatchImportFindings quota per account-region: 10 requests/s, burst 30.
pub const SECURITYHUB_RATE: f64 = 10.0;
pub const SECURITYHUB_BURST: u32 = 30;

/// What a run publishes into each of its account-regions.
#[derive(Debug, Clone)]
pub struct RunPublish<'a> {
    pub benchmarks: &'a [&'static rampart_common::Benchmark],
    pub scope: crate::evaluate::FindingScope,
    pub run_id: &'a str,
    /// RFC 3339 time of the run.
    pub now: &'a str,
    pub refresh_after_days: Option<u32>,
    /// Enable Security Hub where it is off (`--enable-security-hub`).
    pub enable_security_hub: bool,
}

/// One account-region's publishing job: its outcomes become findings of every benchmark
/// version of the run, imported into the account's own Security Hub (enabled first if the run
/// asks), and stale findings of the checks that ran are closed. `known_enabled` is Security
/// Hub's state if the run already read it (None: ask DescribeHub). `cfg` holds the account's
/// own credentials.
pub async fn publish_region(
    cfg: &aws_config::SdkConfig,
    account_id: &str,
    region: &str,
    outcomes: &[rampart_common::CheckOutcome],
    run: &RunPublish<'_>,
    known_enabled: Option<bool>,
) -> PublishReport {
    let client = aws_sdk_securityhub::Client::new(&crate::collect::in_region(cfg, region));
    let here: Vec<rampart_common::CheckOutcome> = outcomes
        .iter()
        .filter(|o| o.region == region)
        .cloned()
        .collect();
    let fail = |e: String| PublishReport {
        error: Some(e),
        ..Default::default()
    };
    let enabled = match known_enabled {
        Some(on) => Ok(on),
        None => crate::securityhub::is_enabled(&client).await,
    };
    match enabled {
        Ok(true) => {}
        Ok(false) if run.enable_security_hub => {
            if let Err(e) = crate::securityhub::enable(&client).await {
                return fail(e.to_string());
            }
            tracing::debug!(account = %account_id, region, "enabled Security Hub");
        }
        Ok(false) => {
            return fail(format!(
                "Security Hub is not enabled in account {account_id} region {region}; enable it or rerun with --enable-security-hub"
            ))
        }
        Err(e) => return fail(e.to_string()),
    }
    let mut findings = Vec::new();
    let mut ran_checks = Vec::new();
    for b in run.benchmarks {
        findings.extend(crate::evaluate::findings(
            b, &here, run.now, run.run_id, run.scope,
        ));
        ran_checks.extend(
            here.iter()
                .filter(|o| o.ran() && b.requirements_of(&o.check_id).next().is_some())
                .map(|o| RanCheck {
                    benchmark: b.key.to_string(),
                    check_id: o.check_id.clone(),
                    resources: o.verdicts().iter().map(|v| v.resource.id.clone()).collect(),
                }),
        );
    }
    let req = PublishRequest {
        account_id: account_id.to_string(),
        region: region.to_string(),
        findings,
        ran_checks,
        benchmarks: run.benchmarks.iter().map(|b| b.key.to_string()).collect(),
        now: run.now.to_string(),
        refresh_after_days: run.refresh_after_days,
    };
    let rl = RateLimiter::new(SECURITYHUB_RATE, SECURITYHUB_BURST);
    let report = publish(&client, &req, &rl).await;
    if report.error.is_some() || !report.failed.is_empty() {
        tracing::warn!(account = %account_id, region, failed = report.failed.len(), error = ?report.error, "publishing incomplete");
    }
    report
}

/// A check that ran on complete data, with every resource it evaluated.
#[derive(Debug, Clone, Default)]
pub struct RanCheck {
    /// Benchmark key (`cis-7.0.0`) the check ran for.
    pub benchmark: String,
    pub check_id: String,
    /// Resource ids evaluated this run (passed or failed).
    pub resources: HashSet<String>,
}

/// What to publish into one account-region.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub account_id: String,
    pub region: String,
    /// Current findings: every status, or FAILED only (`--only-failed`).
    pub findings: Vec<Finding>,
    /// Checks whose older findings may be closed. Checks that errored or did not run are absent.
    pub ran_checks: Vec<RanCheck>,
    /// Benchmark keys this run assessed: findings of other versions are left alone, so two
    /// versions' findings coexist and close independently.
    pub benchmarks: Vec<String>,
    /// RFC 3339 time of this run, used as UpdatedAt on closed findings.
    pub now: String,
    /// A finding already in Security Hub with the same content (same fingerprint) is not
    /// re-imported until its last import is this many days old; `None` re-imports every run.
    pub refresh_after_days: Option<u32>,
}

/// A finding Security Hub did not take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedImport {
    pub id: String,
    pub reason: String,
}

/// Outcome of publishing into one account-region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublishReport {
    /// Current findings imported (new, changed, or refreshed before Security Hub's limit).
    pub imported: usize,
    /// Current findings not re-imported: already in Security Hub, unchanged and recent.
    #[serde(default)]
    pub unchanged: usize,
    /// Stale findings re-imported as PASSED (resource still there, check passes now).
    pub resolved: usize,
    /// Stale findings re-imported as ARCHIVED (resource gone, or written before findings
    /// named their benchmark version).
    pub archived: usize,
    pub failed: Vec<FailedImport>,
    /// Set when the account-region could not be published to at all.
    pub error: Option<String>,
}

/// Whether an existing finding last imported at `updated_at` is still fresh at `now`.
fn fresh(updated_at: &str, now: &str, days: u32) -> bool {
    let (Ok(then), Ok(now)) = (
        chrono::DateTime::parse_from_rfc3339(updated_at),
        chrono::DateTime::parse_from_rfc3339(now),
    ) else {
        return false;
    };
    now.signed_duration_since(then) < chrono::Duration::days(i64::from(days))
}

/// Publishes `req` with `client` (which must carry the member account's credentials and region).
pub async fn publish(
    client: &aws_sdk_securityhub::Client,
    req: &PublishRequest,
    rl: &RateLimiter,
) -> PublishReport {
    let mut report = PublishReport::default();
    let existing = match active_rampart_findings(client, &req.account_id, &req.region, rl).await {
        Ok(f) => f,
        Err(e) => {
            // Without the current state we cannot close safely; still import the new findings.
            report.error = Some(e);
            Vec::new()
        }
    };
    let existing_by_id: HashMap<&str, &Finding> =
        existing.iter().map(|f| (f.id.as_str(), f)).collect();

    let mut to_send: Vec<Finding> = Vec::new();
    let mut new_ids = HashSet::new();
    for f in &req.findings {
        if let Err(e) = f.validate() {
            report.failed.push(FailedImport {
                id: f.id.clone(),
                reason: e.to_string(),
            });
            continue;
        }
        new_ids.insert(f.id.clone());
        let mut f = f.clone();
        let print = f.fingerprint();
        if let Some(old) = existing_by_id.get(f.id.as_str()) {
            if let Some(days) = req.refresh_after_days {
                if old.recorded_fingerprint() == Some(print.as_str())
                    && fresh(&old.updated_at, &req.now, days)
                {
                    report.unchanged += 1;
                    continue;
                }
            }
            // Keep the first-seen time of a finding that is still there.
            f.created_at = old.created_at.clone();
        }
        f.product_fields
            .insert(asff::FINGERPRINT_FIELD.to_string(), print);
        to_send.push(f);
    }
    let imported_new = to_send.len();

    let ran: HashMap<(&str, &str), &HashSet<String>> = req
        .ran_checks
        .iter()
        .map(|c| ((c.benchmark.as_str(), c.check_id.as_str()), &c.resources))
        .collect();
    let ran_any: HashSet<&str> = req.ran_checks.iter().map(|c| c.check_id.as_str()).collect();
    for old in existing {
        if new_ids.contains(&old.id) {
            continue;
        }
        let Some(check) = old.check_id() else {
            continue;
        };
        let mut closed = old.clone();
        closed.updated_at = req.now.clone();
        match old.benchmark_key() {
            // Written before findings named their version: superseded by the versioned
            // finding of the same check once that check has run.
            None => {
                if !ran_any.contains(check) {
                    continue;
                }
                closed.record_state = "ARCHIVED".into();
            }
            Some(key) if !req.benchmarks.iter().any(|b| b == key) => continue,
            Some(key) => {
                let Some(resources) = ran.get(&(key, check)) else {
                    continue;
                };
                let still_there = closed.resources.iter().any(|r| resources.contains(&r.id));
                if !still_there {
                    closed.record_state = "ARCHIVED".into();
                } else if old.compliance.status == "PASSED" {
                    // Still passing, not re-sent this run (--only-failed): nothing to change.
                    continue;
                } else {
                    closed.compliance.status = "PASSED".into();
                }
            }
        }
        let print = closed.fingerprint();
        closed
            .product_fields
            .insert(asff::FINGERPRINT_FIELD.to_string(), print);
        to_send.push(closed);
    }

    let failed = import_all(client, &to_send, rl).await;
    let failed_ids: HashSet<&str> = failed.iter().map(|f| f.id.as_str()).collect();
    // Count only what Security Hub accepted.
    for (i, f) in to_send.iter().enumerate() {
        if failed_ids.contains(f.id.as_str()) {
            continue;
        }
        if i < imported_new {
            report.imported += 1;
        } else if f.record_state == "ARCHIVED" {
            report.archived += 1;
        } else {
            report.resolved += 1;
        }
    }
    report.failed.extend(failed);
    report
}

/// Sends findings in size-bounded batches, re-sending partial failures a few rounds.
/// Returns the findings Security Hub never accepted, with the last reason given.
pub async fn import_all(
    client: &aws_sdk_securityhub::Client,
    findings: &[Finding],
    rl: &RateLimiter,
) -> Vec<FailedImport> {
    let mut pending: Vec<&Finding> = findings.iter().collect();
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    for _round in 0..FAILED_FINDING_ROUNDS {
        if pending.is_empty() {
            break;
        }
        let mut retry = Vec::new();
        for batch in batches(&pending) {
            let sdk: Vec<AwsSecurityFinding> = batch.iter().map(|f| to_sdk(f)).collect();
            let sent = batch;
            rl.acquire().await;
            match client
                .batch_import_findings()
                .set_findings(Some(sdk))
                .send()
                .await
            {
                Ok(out) => {
                    let mut failed_now: HashMap<&str, String> = HashMap::new();
                    for ff in out.failed_findings() {
                        let reason = format!(
                            "{}: {}",
                            ff.error_code().unwrap_or("Error"),
                            ff.error_message().unwrap_or("")
                        );
                        failed_now.insert(ff.id().unwrap_or_default(), reason);
                    }
                    for f in sent {
                        match failed_now.remove(f.id.as_str()) {
                            Some(reason) => {
                                failures.insert(f.id.clone(), reason);
                                retry.push(f);
                            }
                            None => {
                                failures.remove(&f.id);
                            }
                        }
                    }
                }
                Err(e) => {
                    // The SDK has already retried throttling per its retry config; send the
                    // batch again next round, then report it.
                    let reason = format!("securityhub:BatchImportFindings: {}", describe(&e));
                    for f in sent {
                        failures.insert(f.id.clone(), reason.clone());
                        retry.push(f);
                    }
                }
            }
        }
        pending = retry;
    }
    failures
        .into_iter()
        .map(|(id, reason)| FailedImport { id, reason })
        .collect()
}

/// Splits findings into batches of at most 100 findings and about 6 MB.
pub fn batches<'a>(findings: &[&'a Finding]) -> Vec<Vec<&'a Finding>> {
    let mut out = Vec::new();
    let mut current: Vec<&Finding> = Vec::new();
    let mut bytes = 0;
    for f in findings {
        let size = serde_json::to_vec(f)
            .map(|v| v.len())
            .unwrap_or(asff::limits::FINDING_BYTES_MAX);
        if !current.is_empty()
            && (current.len() == MAX_BATCH_FINDINGS || bytes + size > MAX_BATCH_BYTES)
        {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(f);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Rampart's finding model to the SDK's.
pub fn to_sdk(f: &Finding) -> AwsSecurityFinding {
    let mut resources = Vec::new();
    for r in &f.resources {
        resources.push(
            Resource::builder()
                .r#type(&r.kind)
                .id(&r.id)
                .partition(r.partition.as_str().into())
                .region(&r.region)
                .build(),
        );
    }
    AwsSecurityFinding::builder()
        .schema_version(&f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .region(&f.region)
        .set_types(Some(f.types.clone()))
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(f.severity.label.as_str()))
                .build(),
        )
        .title(&f.title)
        .description(&f.description)
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(&f.remediation.recommendation.text)
                        .url(&f.remediation.recommendation.url)
                        .build(),
                )
                .build(),
        )
        .set_product_fields(Some(f.product_fields.clone().into_iter().collect()))
        .set_resources(Some(resources))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(f.compliance.status.as_str()))
                .set_security_control_id(f.compliance.security_control_id.clone())
                .set_related_requirements(Some(f.compliance.related_requirements.clone()))
                .build(),
        )
        .record_state(RecordState::from(f.record_state.as_str()))
        .build()
}

/// The SDK's finding back to Rampart's model (only Rampart's own findings round-trip fully).
pub fn from_sdk(s: &AwsSecurityFinding) -> Finding {
    let rec = s.remediation().and_then(|r| r.recommendation());
    Finding {
        schema_version: s.schema_version().unwrap_or_default().to_string(),
        id: s.id().unwrap_or_default().to_string(),
        product_arn: s.product_arn().unwrap_or_default().to_string(),
        generator_id: s.generator_id().unwrap_or_default().to_string(),
        aws_account_id: s.aws_account_id().unwrap_or_default().to_string(),
        region: s.region().unwrap_or_default().to_string(),
        types: s.types().to_vec(),
        created_at: s.created_at().unwrap_or_default().to_string(),
        updated_at: s.updated_at().unwrap_or_default().to_string(),
        severity: asff::FindingSeverity {
            label: s
                .severity()
                .and_then(|x| x.label())
                .map(|l| l.as_str().to_string())
                .unwrap_or_else(|| "INFORMATIONAL".into()),
            normalized: 0,
        },
        title: s.title().unwrap_or_default().to_string(),
        description: s.description().unwrap_or_default().to_string(),
        remediation: asff::Remediation {
            recommendation: asff::Recommendation {
                text: rec.and_then(|r| r.text()).unwrap_or_default().to_string(),
                url: rec.and_then(|r| r.url()).unwrap_or_default().to_string(),
            },
        },
        product_fields: s
            .product_fields()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        resources: s
            .resources()
            .iter()
            .map(|r| asff::Resource {
                kind: r.r#type().unwrap_or_default().to_string(),
                id: r.id().unwrap_or_default().to_string(),
                partition: r
                    .partition()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "aws".into()),
                region: r.region().unwrap_or_default().to_string(),
            })
            .collect(),
        compliance: asff::Compliance {
            status: s
                .compliance()
                .and_then(|c| c.status())
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
            security_control_id: s
                .compliance()
                .and_then(|c| c.security_control_id())
                .map(str::to_string),
            related_requirements: s
                .compliance()
                .map(|c| c.related_requirements().to_vec())
                .unwrap_or_default(),
        },
        record_state: s
            .record_state()
            .map(|r| r.as_str().to_string())
            .unwrap_or_else(|| "ACTIVE".into()),
    }
}

fn eq_filter(v: &str) -> StringFilter {
    StringFilter::builder()
        .value(v)
        .comparison(StringFilterComparison::Equals)
        .build()
}

/// Rampart's ACTIVE findings in the account-region (filtered server-side and checked again here).
pub async fn active_rampart_findings(
    client: &aws_sdk_securityhub::Client,
    account_id: &str,
    region: &str,
    rl: &RateLimiter,
) -> Result<Vec<Finding>, String> {
    let filters = AwsSecurityFindingFilters::builder()
        .aws_account_id(eq_filter(account_id))
        .region(eq_filter(region))
        .record_state(eq_filter("ACTIVE"))
        .generator_id(
            StringFilter::builder()
                .value(GENERATOR_PREFIX)
                .comparison(StringFilterComparison::Prefix)
                .build(),
        )
        .build();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .get_findings()
            .filters(filters.clone())
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| format!("securityhub:GetFindings: {}", describe(&e)))?;
        for s in page.findings() {
            let f = from_sdk(s);
            if f.aws_account_id == account_id
                && f.region == region
                && f.record_state == "ACTIVE"
                && f.generator_id.starts_with(GENERATOR_PREFIX)
                && f.check_id().is_some()
            {
                out.push(f);
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

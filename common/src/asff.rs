//! A typed model of the AWS Security Finding Format (ASFF), the way Rampart produces it.
//!
//! Finding ids are deterministic (same check, account, region and resource give the same id),
//! so re-importing updates a finding instead of creating a duplicate, and stale findings can
//! be found and closed. [`Finding::validate`] enforces Security Hub's documented limits so a
//! bad finding is rejected with a clear message before it is sent.

use crate::catalog::{Benchmark, CheckMeta};
use crate::outcome::{ResourceRef, Verdict};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use thiserror::Error;

pub const SCHEMA_VERSION: &str = "2018-10-08";
/// ASFF `Types` entry for benchmark checks.
pub const CIS_TYPE: &str =
    "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark";
/// Prefix of every Rampart GeneratorId; used to find Rampart's own findings.
pub const GENERATOR_PREFIX: &str = "rampart/";
/// ProductFields key holding the check id.
pub const CHECK_ID_FIELD: &str = "rampart/CheckId";
/// ProductFields key holding the benchmark key (`cis-7.0.0`); findings without it were
/// written before benchmarks were versioned.
pub const BENCHMARK_FIELD: &str = "rampart/Benchmark";
/// ProductFields key holding the benchmark name and version, for people reading the finding.
pub const BENCHMARK_NAME_FIELD: &str = "rampart/BenchmarkName";
/// ProductFields key holding [`Finding::fingerprint`] of the finding as last imported.
pub const FINGERPRINT_FIELD: &str = "rampart/Fingerprint";
/// ProductFields key holding the run that produced the finding.
pub const RUN_ID_FIELD: &str = "rampart/RunId";

/// Limits from the ASFF documentation.
pub mod limits {
    pub const ID_MAX: usize = 512;
    pub const GENERATOR_ID_MAX: usize = 512;
    pub const TITLE_MAX: usize = 256;
    pub const DESCRIPTION_MAX: usize = 1024;
    pub const RESOURCES_MAX: usize = 32;
    pub const RELATED_REQUIREMENTS_MAX: usize = 32;
    pub const TYPES_MAX: usize = 50;
    pub const REMEDIATION_TEXT_MAX: usize = 512;
    pub const URL_MAX: usize = 512;
    pub const PRODUCT_FIELDS_MAX: usize = 50;
    pub const PRODUCT_FIELD_KEY_MAX: usize = 128;
    pub const PRODUCT_FIELD_VALUE_MAX: usize = 2048;
    /// 240 KB per finding.
    pub const FINDING_BYTES_MAX: usize = 240 * 1024;
}

/// Why a finding would be rejected by Security Hub.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AsffError {
    #[error("finding {id}: {field} is empty")]
    Empty { id: String, field: &'static str },
    #[error("finding {id}: {field} is {len} long, the limit is {max}")]
    TooLong {
        id: String,
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("finding {id}: {field} has {count} entries, the limit is {max}")]
    TooMany {
        id: String,
        field: &'static str,
        count: usize,
        max: usize,
    },
    #[error("finding {id}: type '{value}' is not namespace/category/classifier")]
    BadType { id: String, value: String },
    #[error("finding {id}: serialized size {len} bytes exceeds {max}")]
    TooLarge { id: String, len: usize, max: usize },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingSeverity {
    pub label: String,
    pub normalized: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: String,
    pub id: String,
    pub partition: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance {
    /// PASSED, WARNING, FAILED or NOT_AVAILABLE.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_control_id: Option<String>,
    pub related_requirements: Vec<String>,
}

/// One ASFF finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Finding {
    pub schema_version: String,
    pub id: String,
    pub product_arn: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub region: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: FindingSeverity,
    pub title: String,
    pub description: String,
    pub remediation: Remediation,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub compliance: Compliance,
    /// ACTIVE or ARCHIVED.
    pub record_state: String,
}

/// The default product ARN of an account, the only one it may import findings for.
pub fn product_arn(partition: &str, region: &str, account_id: &str) -> String {
    format!("arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default")
}

/// Deterministic finding id: readable prefix (with the benchmark key, so findings of two
/// versions coexist and close independently), hashed resource so any resource id fits.
pub fn finding_id(
    benchmark_key: &str,
    check_id: &str,
    account_id: &str,
    region: &str,
    resource_id: &str,
) -> String {
    let digest = Sha256::digest(resource_id.as_bytes());
    let short = hex::encode(&digest[..12]);
    format!("rampart/{account_id}/{region}/{benchmark_key}/{check_id}/{short}")
}

/// The GeneratorId of a check's findings under one benchmark version.
pub fn generator_id(benchmark_key: &str, check_id: &str) -> String {
    format!("{GENERATOR_PREFIX}{benchmark_key}/{check_id}")
}

/// The partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Inputs shared by every finding of one run.
#[derive(Debug, Clone)]
pub struct FindingContext<'a> {
    pub benchmark: &'a Benchmark,
    pub account_id: &'a str,
    /// Region the finding is imported into.
    pub region: &'a str,
    /// RFC 3339 timestamp of the run.
    pub now: &'a str,
    pub run_id: &'a str,
}

impl Finding {
    /// A PASSED or FAILED finding for one verdict of a check.
    pub fn from_verdict(meta: &CheckMeta, ctx: &FindingContext<'_>, verdict: &Verdict) -> Finding {
        let status = if verdict.passed { "PASSED" } else { "FAILED" };
        Finding::build(meta, ctx, &verdict.resource, status, &verdict.reason)
    }

    /// A NOT_AVAILABLE finding: the check could not decide (manual requirement, or the data
    /// could not be read), with the reason. Never PASSED.
    pub fn not_available(
        meta: &CheckMeta,
        ctx: &FindingContext<'_>,
        resource: &ResourceRef,
        reason: &str,
    ) -> Finding {
        Finding::build(meta, ctx, resource, "NOT_AVAILABLE", reason)
    }

    fn build(
        meta: &CheckMeta,
        ctx: &FindingContext<'_>,
        res: &ResourceRef,
        status: &str,
        reason: &str,
    ) -> Finding {
        let partition = partition_of(ctx.region);
        let mut product_fields = BTreeMap::new();
        product_fields.insert(CHECK_ID_FIELD.to_string(), meta.id.to_string());
        product_fields.insert(RUN_ID_FIELD.to_string(), ctx.run_id.to_string());
        product_fields.insert(BENCHMARK_FIELD.to_string(), ctx.benchmark.key.to_string());
        product_fields.insert(
            BENCHMARK_NAME_FIELD.to_string(),
            ctx.benchmark.name.to_string(),
        );
        let description = truncate(
            &format!("{} {}", meta.description, reason),
            limits::DESCRIPTION_MAX,
        );
        Finding {
            schema_version: SCHEMA_VERSION.into(),
            id: finding_id(
                ctx.benchmark.key,
                meta.id,
                ctx.account_id,
                ctx.region,
                &res.id,
            ),
            product_arn: product_arn(partition, ctx.region, ctx.account_id),
            generator_id: generator_id(ctx.benchmark.key, meta.id),
            aws_account_id: ctx.account_id.into(),
            region: ctx.region.into(),
            types: vec![CIS_TYPE.into()],
            created_at: ctx.now.into(),
            updated_at: ctx.now.into(),
            severity: FindingSeverity {
                label: meta.severity.label().into(),
                normalized: meta.severity.normalized(),
            },
            title: truncate(meta.title, limits::TITLE_MAX),
            description,
            remediation: Remediation {
                recommendation: Recommendation {
                    text: truncate(meta.remediation, limits::REMEDIATION_TEXT_MAX),
                    url: meta.remediation_url.into(),
                },
            },
            product_fields,
            resources: vec![resource(res, partition, ctx.region)],
            compliance: Compliance {
                status: status.into(),
                security_control_id: meta.security_control_id.map(str::to_string),
                related_requirements: ctx.benchmark.related_requirements(meta.id),
            },
            record_state: "ACTIVE".into(),
        }
    }

    /// The benchmark key recorded in ProductFields (`None` for findings written before
    /// benchmarks were versioned).
    pub fn benchmark_key(&self) -> Option<&str> {
        self.product_fields.get(BENCHMARK_FIELD).map(String::as_str)
    }

    /// A digest of what a reader sees in the finding (status, record state, title,
    /// description, resources, requirements, control, severity), leaving out the run id and
    /// timestamps: two runs that found the same thing give the same fingerprint.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        let mut put = |s: &str| {
            h.update(s.as_bytes());
            h.update([0u8]);
        };
        put(&self.id);
        put(&self.generator_id);
        put(&self.compliance.status);
        put(&self.record_state);
        put(&self.title);
        put(&self.description);
        put(&self.severity.label);
        put(self.compliance.security_control_id.as_deref().unwrap_or(""));
        for r in &self.compliance.related_requirements {
            put(r);
        }
        for r in &self.resources {
            put(&r.kind);
            put(&r.id);
            put(&r.region);
        }
        put(&self.remediation.recommendation.text);
        hex::encode(&h.finalize()[..16])
    }

    /// The fingerprint recorded when the finding was last imported, if any.
    pub fn recorded_fingerprint(&self) -> Option<&str> {
        self.product_fields
            .get(FINGERPRINT_FIELD)
            .map(String::as_str)
    }

    /// The check id recorded in ProductFields, if this is a Rampart finding.
    pub fn check_id(&self) -> Option<&str> {
        self.product_fields.get(CHECK_ID_FIELD).map(String::as_str)
    }

    /// Checks Security Hub's documented limits.
    pub fn validate(&self) -> Result<(), AsffError> {
        let id = || truncate(&self.id, 80);
        let non_empty = |field: &'static str, v: &str| {
            if v.is_empty() {
                Err(AsffError::Empty { id: id(), field })
            } else {
                Ok(())
            }
        };
        let max_len = |field: &'static str, v: &str, max: usize| {
            let len = v.chars().count();
            if len > max {
                Err(AsffError::TooLong {
                    id: id(),
                    field,
                    len,
                    max,
                })
            } else {
                Ok(())
            }
        };
        let max_count = |field: &'static str, count: usize, max: usize| {
            if count > max {
                Err(AsffError::TooMany {
                    id: id(),
                    field,
                    count,
                    max,
                })
            } else {
                Ok(())
            }
        };
        for (field, v) in [
            ("Id", &self.id),
            ("ProductArn", &self.product_arn),
            ("GeneratorId", &self.generator_id),
            ("AwsAccountId", &self.aws_account_id),
            ("Title", &self.title),
            ("Description", &self.description),
            ("CreatedAt", &self.created_at),
            ("UpdatedAt", &self.updated_at),
        ] {
            non_empty(field, v)?;
        }
        max_len("Id", &self.id, limits::ID_MAX)?;
        max_len("GeneratorId", &self.generator_id, limits::GENERATOR_ID_MAX)?;
        max_len("Title", &self.title, limits::TITLE_MAX)?;
        max_len("Description", &self.description, limits::DESCRIPTION_MAX)?;
        max_len(
            "Remediation.Recommendation.Text",
            &self.remediation.recommendation.text,
            limits::REMEDIATION_TEXT_MAX,
        )?;
        max_len(
            "Remediation.Recommendation.Url",
            &self.remediation.recommendation.url,
            limits::URL_MAX,
        )?;
        if self.resources.is_empty() {
            return Err(AsffError::Empty {
                id: id(),
                field: "Resources",
            });
        }
        max_count("Resources", self.resources.len(), limits::RESOURCES_MAX)?;
        max_count("Types", self.types.len(), limits::TYPES_MAX)?;
        max_count(
            "Compliance.RelatedRequirements",
            self.compliance.related_requirements.len(),
            limits::RELATED_REQUIREMENTS_MAX,
        )?;
        max_count(
            "ProductFields",
            self.product_fields.len(),
            limits::PRODUCT_FIELDS_MAX,
        )?;
        for (k, v) in &self.product_fields {
            max_len("ProductFields key", k, limits::PRODUCT_FIELD_KEY_MAX)?;
            max_len("ProductFields value", v, limits::PRODUCT_FIELD_VALUE_MAX)?;
        }
        for t in &self.types {
            let parts = t.split('/').count();
            if t.is_empty() || parts > 3 || t.split('/').any(str::is_empty) {
                return Err(AsffError::BadType {
                    id: id(),
                    value: t.clone(),
                });
            }
        }
        for r in &self.resources {
            non_empty("Resources.Type", &r.kind)?;
            non_empty("Resources.Id", &r.id)?;
        }
        let len = serde_json::to_vec(self)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if len > limits::FINDING_BYTES_MAX {
            return Err(AsffError::TooLarge {
                id: id(),
                len,
                max: limits::FINDING_BYTES_MAX,
            });
        }
        Ok(())
    }
}

fn resource(r: &ResourceRef, partition: &str, finding_region: &str) -> Resource {
    Resource {
        kind: r.kind.clone(),
        id: r.id.clone(),
        partition: partition.into(),
        region: r
            .region
            .clone()
            .unwrap_or_else(|| finding_region.to_string()),
    }
}

/// Cuts a string to at most `max` characters, on a character boundary.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests;

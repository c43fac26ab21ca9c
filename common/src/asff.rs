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
mod tests {
    use super::*;
    use crate::catalog::{Requirement, Scope, Severity};

    const META: CheckMeta = CheckMeta {
        id: "ec2.sg-admin-ports-ipv4",
        title: "Security group allows admin ports from 0.0.0.0/0",
        description: "Checks ingress.",
        severity: Severity::High,
        scope: Scope::Region,
        security_control_id: Some("EC2.53"),
        remediation: "Remove the rule.",
        remediation_url:
            "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-53",
    };
    const BENCH: Benchmark = Benchmark {
        key: "cis-3.0.0",
        name: "CIS AWS Foundations Benchmark v3.0.0",
        requirements: &[Requirement {
            id: "5.2",
            title: "t",
            section: "Networking",
            level: 1,
            automated: true,
            checks: &["ec2.sg-admin-ports-ipv4"],
            control: Some("EC2.53"),
        }],
    };

    fn ctx() -> FindingContext<'static> {
        FindingContext {
            benchmark: &BENCH,
            account_id: "111122223333",
            region: "eu-west-1",
            now: "2026-01-01T00:00:00Z",
            run_id: "r1",
        }
    }

    fn verdict(id: &str) -> Verdict {
        Verdict {
            resource: ResourceRef {
                kind: "AwsEc2SecurityGroup".into(),
                id: id.into(),
                region: Some("eu-west-1".into()),
            },
            passed: false,
            reason: "port 22 open".into(),
        }
    }

    #[test]
    fn finding_has_the_asff_shape() {
        let f = Finding::from_verdict(
            &META,
            &ctx(),
            &verdict("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"),
        );
        assert_eq!(
            f.product_arn,
            "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
        );
        assert_eq!(
            f.compliance.related_requirements,
            vec!["CIS AWS Foundations Benchmark v3.0.0/5.2"]
        );
        assert_eq!(f.compliance.security_control_id.as_deref(), Some("EC2.53"));
        assert_eq!(f.compliance.status, "FAILED");
        assert_eq!(f.check_id(), Some("ec2.sg-admin-ports-ipv4"));
        assert_eq!(f.benchmark_key(), Some("cis-3.0.0"));
        assert_eq!(f.generator_id, "rampart/cis-3.0.0/ec2.sg-admin-ports-ipv4");
        assert!(
            f.id.contains("/cis-3.0.0/ec2.sg-admin-ports-ipv4/"),
            "{}",
            f.id
        );
        assert_eq!(
            f.product_fields
                .get(BENCHMARK_NAME_FIELD)
                .map(String::as_str),
            Some("CIS AWS Foundations Benchmark v3.0.0")
        );
        assert_eq!(f.resources[0].kind, "AwsEc2SecurityGroup");
        f.validate().unwrap();
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["SchemaVersion"], "2018-10-08");
        assert_eq!(json["Resources"][0]["Type"], "AwsEc2SecurityGroup");
    }

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let a = finding_id("b", "c", "1", "r", "res-a");
        assert_eq!(a, finding_id("b", "c", "1", "r", "res-a"));
        assert_ne!(a, finding_id("b", "c", "1", "r", "res-b"));
        assert_ne!(a, finding_id("b", "c", "2", "r", "res-a"));
        assert_ne!(a, finding_id("b", "c", "1", "r2", "res-a"));
        assert_ne!(a, finding_id("b", "d", "1", "r", "res-a"));
        // Two benchmark versions never share a finding.
        assert_ne!(a, finding_id("b2", "c", "1", "r", "res-a"));
        // Long resource ids still give a bounded id.
        assert!(finding_id("cis-7.0.0", "c", "1", "r", &"x".repeat(5000)).len() < 120);
    }

    #[test]
    fn validation_names_the_field() {
        let mut f = Finding::from_verdict(&META, &ctx(), &verdict("sg-1"));
        f.title = "t".repeat(300);
        assert_eq!(
            f.validate(),
            Err(AsffError::TooLong {
                id: truncate(&f.id, 80),
                field: "Title",
                len: 300,
                max: 256
            })
        );
        let mut f = Finding::from_verdict(&META, &ctx(), &verdict("sg-1"));
        f.resources.clear();
        assert!(matches!(
            f.validate(),
            Err(AsffError::Empty {
                field: "Resources",
                ..
            })
        ));
        let mut f = Finding::from_verdict(&META, &ctx(), &verdict("sg-1"));
        f.types = vec!["a/b/c/d".into()];
        assert!(matches!(f.validate(), Err(AsffError::BadType { .. })));
        let mut f = Finding::from_verdict(&META, &ctx(), &verdict("sg-1"));
        f.compliance.related_requirements = vec!["x".into(); 33];
        assert!(f
            .validate()
            .unwrap_err()
            .to_string()
            .contains("RelatedRequirements has 33 entries"));
    }

    #[test]
    fn fingerprints_ignore_the_run_and_see_the_content() {
        let a = Finding::from_verdict(&META, &ctx(), &verdict("sg-1"));
        let mut later = ctx();
        later.run_id = "r2";
        later.now = "2026-02-01T00:00:00Z";
        let b = Finding::from_verdict(&META, &later, &verdict("sg-1"));
        assert_eq!(a.fingerprint(), b.fingerprint());
        let mut v = verdict("sg-1");
        v.passed = true;
        let c = Finding::from_verdict(&META, &ctx(), &v);
        assert_eq!(c.compliance.status, "PASSED");
        assert_ne!(a.fingerprint(), c.fingerprint());
        let na = Finding::not_available(&META, &ctx(), &v.resource, "AccessDenied");
        assert_eq!(na.compliance.status, "NOT_AVAILABLE");
        assert_ne!(na.fingerprint(), c.fingerprint());
        na.validate().unwrap();
    }

    #[test]
    fn long_reasons_are_truncated_to_fit() {
        let mut v = verdict("sg-1");
        v.reason = "é".repeat(5000);
        let f = Finding::from_verdict(&META, &ctx(), &v);
        assert_eq!(f.description.chars().count(), limits::DESCRIPTION_MAX);
        f.validate().unwrap();
    }

    #[test]
    fn partitions() {
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("eu-west-1"), "aws");
    }
}

//! S3 checks (account-scoped: the bucket list is global, each bucket carries its region):
//! deny plain HTTP (2.1.1), MFA Delete (2.1.2), Block Public Access (2.1.4), and access
//! logging on CloudTrail buckets (3.4).

use super::check::{with, Check, Eval, Settings};
use crate::snapshot::{AccountSnapshot, Bucket, Collected, PublicAccessBlock};
use rampart_common::{CheckMeta, CheckStatus, ResourceRef, Scope, Severity, Verdict};
use serde_json::Value;

pub const CHECKS: &[Check] = &[
    Check {
        meta: CheckMeta {
            id: "s3.deny-http",
            title: "S3 bucket policies deny requests over plain HTTP",
            description: "Without a Deny on aws:SecureTransport=false, clients may read and write the bucket unencrypted in transit.",
            severity: Severity::Medium,
            scope: Scope::Account,
            security_control_id: Some("S3.5"),
            remediation: "Add a bucket policy statement: Effect Deny, Principal *, Action s3:*, Resource the bucket and bucket/*, Condition Bool aws:SecureTransport false.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-5",
        },
        eval: Eval::Account(deny_http),
    },
    Check {
        meta: CheckMeta {
            id: "s3.mfa-delete",
            title: "S3 buckets have MFA Delete enabled",
            description: "MFA Delete requires a second factor to delete object versions or change versioning, protecting against destructive mistakes and stolen keys.",
            severity: Severity::Low,
            scope: Scope::Account,
            security_control_id: Some("S3.20"),
            remediation: "As the root user, enable versioning with MFA Delete (s3api put-bucket-versioning --mfa ... MFADelete=Enabled).",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-20",
        },
        eval: Eval::Account(mfa_delete),
    },
    Check {
        meta: CheckMeta {
            id: "s3.block-public-access",
            title: "S3 buckets block public access",
            description: "All four Block Public Access settings, at account level (S3.1) or on the bucket (S3.8), keep ACLs and policies from making data public.",
            severity: Severity::High,
            scope: Scope::Account,
            security_control_id: Some("S3.8"),
            remediation: "Turn on all four Block Public Access settings for the account (s3control put-public-access-block) or the bucket.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-8",
        },
        eval: Eval::Account(block_public_access),
    },
    Check {
        meta: CheckMeta {
            id: "cloudtrail.bucket-access-logging",
            title: "The CloudTrail S3 bucket has server access logging enabled",
            description: "Access logs on the trail bucket show who read or tampered with the audit logs.",
            severity: Severity::Low,
            scope: Scope::Account,
            security_control_id: Some("CloudTrail.7"),
            remediation: "Enable server access logging on the trail's bucket, delivering to a separate bucket.",
            remediation_url: "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-7",
        },
        eval: Eval::Account(trail_bucket_logging),
    },
];

fn bucket_ref(s: &AccountSnapshot, b: &Bucket) -> ResourceRef {
    ResourceRef {
        kind: "AwsS3Bucket".into(),
        id: b.arn(&s.partition),
        region: Some(b.region.clone()),
    }
}

/// One verdict per bucket from `judge` (pass reason or fail reason); any unreadable bucket
/// setting makes the whole check an error naming it.
fn per_bucket(
    s: &AccountSnapshot,
    judge: impl Fn(&Bucket) -> Result<Result<String, String>, String>,
) -> CheckStatus {
    with(&s.s3, |s3| {
        let mut verdicts = Vec::new();
        let mut errors = Vec::new();
        for b in &s3.buckets {
            match judge(b) {
                Ok(r) => verdicts.push(Verdict {
                    resource: bucket_ref(s, b),
                    passed: r.is_ok(),
                    reason: r.unwrap_or_else(|e| e),
                }),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            CheckStatus::Evaluated { verdicts }
        } else {
            CheckStatus::Error {
                reason: errors.join("; "),
            }
        }
    })
}

fn deny_http(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    per_bucket(s, |b| match &b.policy {
        Collected::Err(e) => Err(e.to_string()),
        Collected::Ok(None) => Ok(Err(format!("Bucket {} has no bucket policy.", b.name))),
        Collected::Ok(Some(p)) if denies_insecure_transport(p, &b.name) => Ok(Ok(format!(
            "Bucket {} denies requests without TLS.",
            b.name
        ))),
        Collected::Ok(Some(_)) => Ok(Err(format!(
            "Bucket {}'s policy does not deny requests with aws:SecureTransport false.",
            b.name
        ))),
    })
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

fn any_str(v: &Value, f: impl Fn(&str) -> bool) -> bool {
    as_list(v).into_iter().any(|x| x.as_str().is_some_and(&f))
}

/// True when a statement of `policy` denies every principal every S3 action on the bucket
/// or its objects when `aws:SecureTransport` is false.
pub fn denies_insecure_transport(policy: &Value, bucket: &str) -> bool {
    as_list(&policy["Statement"]).into_iter().any(|st| {
        let deny = st["Effect"] == "Deny";
        let everyone = st["Principal"] == "*" || any_str(&st["Principal"]["AWS"], |p| p == "*");
        let all_actions = any_str(&st["Action"], |a| {
            a == "*" || a.eq_ignore_ascii_case("s3:*")
        });
        let on_bucket = any_str(&st["Resource"], |r| {
            r == "*"
                || r.rsplit_once(":::").is_some_and(|(prefix, rest)| {
                    prefix.ends_with(":s3")
                        && (rest == bucket
                            || rest == format!("{bucket}/*")
                            || rest == format!("{bucket}*"))
                })
        });
        deny && everyone
            && all_actions
            && on_bucket
            && insecure_transport_condition(&st["Condition"])
    })
}

fn insecure_transport_condition(cond: &Value) -> bool {
    let Some(ops) = cond.as_object() else {
        return false;
    };
    ops.iter()
        .filter(|(op, _)| op.as_str() == "Bool" || op.as_str() == "BoolIfExists")
        .filter_map(|(_, keys)| keys.as_object())
        .flat_map(|keys| keys.iter())
        // Condition keys are case-insensitive; values may be a string, a bool or a list.
        .filter(|(k, _)| k.eq_ignore_ascii_case("aws:SecureTransport"))
        .any(|(_, v)| {
            as_list(v).into_iter().any(|x| match x {
                Value::String(s) => s.eq_ignore_ascii_case("false"),
                Value::Bool(b) => !b,
                _ => false,
            })
        })
}

fn mfa_delete(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    per_bucket(s, |b| match &b.mfa_delete {
        Collected::Err(e) => Err(e.to_string()),
        Collected::Ok(true) => Ok(Ok(format!("Bucket {} has MFA Delete enabled.", b.name))),
        Collected::Ok(false) => Ok(Err(format!(
            "Bucket {} does not have MFA Delete enabled.",
            b.name
        ))),
    })
}

fn block_public_access(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    let account = match &s.s3 {
        Collected::Ok(s3) => s3.account_public_access_block.clone(),
        Collected::Err(e) => Collected::Err(e.clone()),
    };
    per_bucket(s, |b| {
        let bucket = match &b.public_access_block {
            Collected::Err(e) => return Err(e.to_string()),
            Collected::Ok(p) => *p,
        };
        let bucket_all = bucket.is_some_and(|p| p.all());
        match &account {
            // Fully blocked at bucket level: the account-level setting cannot change that.
            _ if bucket_all => Ok(Ok(format!("Bucket {} blocks all public access.", b.name))),
            Collected::Err(e) => Err(format!(
                "bucket {} is not fully blocked and the account-level setting is unknown ({e})",
                b.name
            )),
            Collected::Ok(acct) => {
                let none = PublicAccessBlock {
                    block_public_acls: false,
                    ignore_public_acls: false,
                    block_public_policy: false,
                    restrict_public_buckets: false,
                };
                let effective = acct.unwrap_or(none).or(&bucket.unwrap_or(none));
                if effective.all() {
                    Ok(Ok(format!(
                        "Bucket {} blocks all public access (account-level setting).",
                        b.name
                    )))
                } else {
                    Ok(Err(format!(
                        "Bucket {} does not block all public access (effective: {}).",
                        b.name,
                        describe_block(&effective)
                    )))
                }
            }
        }
    })
}

fn describe_block(p: &PublicAccessBlock) -> String {
    format!(
        "BlockPublicAcls={}, IgnorePublicAcls={}, BlockPublicPolicy={}, RestrictPublicBuckets={}",
        p.block_public_acls, p.ignore_public_acls, p.block_public_policy, p.restrict_public_buckets
    )
}

fn trail_bucket_logging(s: &AccountSnapshot, _: &Settings) -> CheckStatus {
    let trails = match &s.cloudtrail {
        Collected::Ok(ct) => &ct.trails,
        Collected::Err(e) => {
            return CheckStatus::Error {
                reason: e.to_string(),
            }
        }
    };
    with(&s.s3, |s3| {
        let mut names: Vec<&str> = trails
            .iter()
            .filter_map(|t| t.s3_bucket.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut verdicts = Vec::new();
        let mut foreign = Vec::new();
        let mut errors = Vec::new();
        for name in names {
            let Some(b) = s3.buckets.iter().find(|b| b.name == name) else {
                foreign.push(name);
                continue;
            };
            match &b.access_logging {
                Some(Collected::Ok(target)) => verdicts.push(Verdict {
                    resource: bucket_ref(s, b),
                    passed: target.is_some(),
                    reason: match target {
                        Some(t) => format!("CloudTrail bucket {name} logs access to {t}."),
                        None => format!("CloudTrail bucket {name} has server access logging off."),
                    },
                }),
                Some(Collected::Err(e)) => errors.push(e.to_string()),
                None => errors.push(format!("access logging of bucket {name} was not read")),
            }
        }
        if !errors.is_empty() {
            return CheckStatus::Error {
                reason: errors.join("; "),
            };
        }
        // A trail delivering to another account's bucket (an organization's log archive) is
        // judged in that account; here it can only be named.
        if verdicts.is_empty() && !foreign.is_empty() {
            return CheckStatus::NotAvailable {
                reason: format!(
                    "the CloudTrail bucket(s) {} are not owned by this account; access logging is checked in the account that owns them",
                    foreign.join(", ")
                ),
            };
        }
        CheckStatus::Evaluated { verdicts }
    })
}

#[cfg(test)]
mod tests;

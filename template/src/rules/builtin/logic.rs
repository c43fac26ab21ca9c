//! Checks that relate resources to each other or read key/value lists: S3 public access
//! blocks and TLS-only policies, VPC flow logs, load-balancer access logs and header handling,
//! EKS secrets encryption (a list of configurations) and RDS IAM authentication (by engine).

use std::collections::HashSet;

use crate::model::{referenced_id, Model};
use crate::node::{Node, Value};
use crate::rules::rule::BuiltinFn;
use crate::rules::util::{present, text, truth, Hit, Tri};

pub fn lookup(id: &str) -> Option<BuiltinFn> {
    Some(match id {
        "DATA-06" => public_access_block,
        "DATA-07" => tls_only,
        "LOG-06" => alb_access_logs,
        "NET-24" => alb_drop_invalid_headers,
        "LOG-09" => vpc_flow_logs,
        "DATA-33" => eks_secrets_encryption,
        "IAM-15" => rds_iam_auth,
        _ => return None,
    })
}

fn public_access_block(m: &Model, out: &mut Vec<Hit>) {
    const FLAGS: [&str; 4] = [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ];
    for r in m.of_type("AWS::S3::Bucket") {
        // One finding per bucket: the first gap found in any alternative.
        let hit = crate::rules::util::lookup(&r.props, "PublicAccessBlockConfiguration")
            .into_iter()
            .find_map(|b| {
                let Some(b) = b else {
                    return Some(Hit::fail(
                        &r.id,
                        r.pos,
                        "bucket has no PublicAccessBlockConfiguration",
                    ));
                };
                FLAGS
                    .iter()
                    .find_map(|f| match b.get(f).map(truth).unwrap_or(Tri::False) {
                        Tri::True => None,
                        Tri::False => Some(Hit::fail(
                            &r.id,
                            b.pos,
                            format!("public access block does not set {f}"),
                        )),
                        Tri::Unknown => Some(Hit::unresolved(
                            &r.id,
                            b.pos,
                            format!("public access block {f} unresolved"),
                        )),
                    })
            });
        out.extend(hit);
    }
}

/// Does a bucket policy deny requests that are not over TLS?
fn denies_insecure(policy: &Node) -> bool {
    present(policy, "PolicyDocument.Statement")
        .iter()
        .flat_map(|s| match &s.value {
            crate::node::Value::Seq(items) => items.iter().collect::<Vec<_>>(),
            _ => vec![*s],
        })
        .any(|st| {
            st.get("Effect").and_then(Node::as_str) == Some("Deny")
                && st
                    .get("Condition")
                    .map(|c| c.to_json().to_string().contains("aws:SecureTransport"))
                    .unwrap_or(false)
        })
}

fn tls_only(m: &Model, out: &mut Vec<Hit>) {
    // One pass over the policies, then one over the buckets: linear in the template.
    let covered: HashSet<&str> = m
        .of_type("AWS::S3::BucketPolicy")
        .filter(|p| denies_insecure(&p.props))
        .filter_map(|p| p.raw_props.get("Bucket").and_then(referenced_id))
        .collect();
    for r in m.of_type("AWS::S3::Bucket") {
        if !covered.contains(r.id.as_str()) {
            out.push(Hit::fail(
                &r.id,
                r.pos,
                "no bucket policy denies requests without TLS (aws:SecureTransport)",
            ));
        }
    }
}

fn alb_access_logs(m: &Model, out: &mut Vec<Hit>) {
    for r in m.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer") {
        let enabled = present(&r.props, "LoadBalancerAttributes.*")
            .iter()
            .any(|a| {
                a.get("Key").and_then(Node::as_str) == Some("access_logs.s3.enabled")
                    && a.get("Value").map(truth) == Some(Tri::True)
            });
        if !enabled {
            out.push(Hit::fail(
                &r.id,
                r.pos,
                "load balancer access logs are not enabled",
            ));
        }
    }
}

/// Application load balancers pass malformed header names to targets unless
/// `routing.http.drop_invalid_header_fields.enabled` is true (Security Hub ELB.4).
fn alb_drop_invalid_headers(m: &Model, out: &mut Vec<Hit>) {
    for r in m.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer") {
        // Type defaults to application; network and gateway load balancers have no such option.
        let application = match r.props.get("Type") {
            None => true,
            Some(t) => t.as_str() == Some("application"),
        };
        if !application {
            continue;
        }
        let dropped = present(&r.props, "LoadBalancerAttributes.*")
            .iter()
            .any(|a| {
                a.get("Key").and_then(Node::as_str)
                    == Some("routing.http.drop_invalid_header_fields.enabled")
                    && a.get("Value").map(truth) == Some(Tri::True)
            });
        if !dropped {
            out.push(Hit::fail(
                &r.id,
                r.pos,
                "application load balancer does not drop invalid HTTP header fields",
            ));
        }
    }
}

fn vpc_flow_logs(m: &Model, out: &mut Vec<Hit>) {
    let mut logged: HashSet<&str> = HashSet::new();
    for f in m.of_type("AWS::EC2::FlowLog") {
        logged.extend(f.raw_props.get("ResourceId").and_then(referenced_id));
        logged.extend(
            present(f.raw_props, "ResourceIds.*")
                .into_iter()
                .filter_map(referenced_id),
        );
    }
    for r in m.of_type("AWS::EC2::VPC") {
        if !logged.contains(r.id.as_str()) {
            out.push(Hit::fail(&r.id, r.pos, "VPC has no flow log"));
        }
    }
}

/// Does one `EncryptionConfig` list envelope-encrypt `secrets` with a KMS key?
/// Unknown when the list, a `Resources` entry or the key cannot be resolved.
fn encrypts_secrets(config: &Node) -> Tri {
    if matches!(config.value, Value::Unknown(_)) {
        return Tri::Unknown;
    }
    let mut unknown = false;
    for entry in present(config, "*") {
        if matches!(entry.value, Value::Unknown(_)) {
            unknown = true;
            continue;
        }
        let keyed = !present(entry, "Provider.KeyArn").is_empty();
        for res in present(entry, "Resources.*") {
            match &res.value {
                Value::Unknown(_) => unknown = true,
                _ if text(res) == Some("secrets") && keyed => return Tri::True,
                _ => {}
            }
        }
    }
    if unknown {
        Tri::Unknown
    } else {
        Tri::False
    }
}

/// EKS clusters should envelope-encrypt Kubernetes secrets with a customer managed KMS key
/// (`EncryptionConfig: [{Resources: [secrets], Provider: {KeyArn: ...}}]`). Every alternative
/// of an undecided `Fn::If` must encrypt.
fn eks_secrets_encryption(m: &Model, out: &mut Vec<Hit>) {
    for r in m.of_type("AWS::EKS::Cluster") {
        let mut unresolved = None;
        let mut failed = None;
        for v in crate::rules::util::lookup(&r.props, "EncryptionConfig") {
            match v.map(encrypts_secrets) {
                None => {
                    failed = Some(Hit::fail(&r.id, r.pos, "cluster has no EncryptionConfig: Kubernetes secrets are not envelope-encrypted with a customer managed KMS key"));
                    break;
                }
                Some(Tri::False) => {
                    let pos = v.map(|n| n.pos).unwrap_or(r.pos);
                    failed = Some(Hit::fail(&r.id, pos, "EncryptionConfig does not cover secrets with a KMS key (Resources [secrets] and Provider.KeyArn)"));
                    break;
                }
                Some(Tri::Unknown) => {
                    let pos = v.map(|n| n.pos).unwrap_or(r.pos);
                    unresolved.get_or_insert_with(|| {
                        Hit::unresolved(
                            &r.id,
                            pos,
                            "EncryptionConfig cannot be resolved; secrets encryption unknown",
                        )
                    });
                }
                Some(Tri::True) => {}
            }
        }
        out.extend(failed.or(unresolved));
    }
}

/// Engines with IAM database authentication (RDS for MySQL, MariaDB, PostgreSQL; Aurora
/// MySQL and PostgreSQL). Engine names are case-insensitive (`MySQL` is common).
fn iam_auth_engine(n: &Node) -> Tri {
    match &n.value {
        Value::Unknown(_) => Tri::Unknown,
        _ => match text(n).map(str::to_ascii_lowercase).as_deref() {
            Some(
                "mysql" | "mariadb" | "postgres" | "aurora" | "aurora-mysql" | "aurora-postgresql",
            ) => Tri::True,
            _ => Tri::False,
        },
    }
}

/// RDS instances and clusters whose engine supports IAM database authentication but do not
/// enable it. Instances that belong to a cluster (`DBClusterIdentifier`) are judged on the
/// cluster; an instance without `Engine` (read replica, snapshot restore) inherits it and is
/// not judged; Aurora Serverless v1 (`EngineMode: serverless`) does not support it.
fn rds_iam_auth(m: &Model, out: &mut Vec<Hit>) {
    let kinds = ["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"];
    for r in m
        .resources
        .iter()
        .filter(|r| kinds.contains(&r.kind.as_str()))
    {
        let instance = r.kind == "AWS::RDS::DBInstance";
        if instance && !present(&r.props, "DBClusterIdentifier").is_empty() {
            continue;
        }
        let modes = present(&r.props, "EngineMode");
        if !modes.is_empty()
            && modes
                .iter()
                .all(|n| text(n).is_some_and(|t| t.eq_ignore_ascii_case("serverless")))
        {
            continue;
        }
        let mut engine = Tri::False;
        for e in present(&r.props, "Engine") {
            match iam_auth_engine(e) {
                Tri::True => {
                    engine = Tri::True;
                    break;
                }
                Tri::Unknown => engine = Tri::Unknown,
                Tri::False => {}
            }
        }
        if engine == Tri::False {
            continue;
        }
        let what = if instance {
            "DB instance"
        } else {
            "DB cluster"
        };
        let mut hits = Vec::new();
        crate::rules::util::require_true(
            r,
            "EnableIAMDatabaseAuthentication",
            false,
            &format!("{what} does not enable IAM database authentication"),
            &mut hits,
        );
        for mut h in hits {
            if engine == Tri::Unknown && !h.unresolved {
                h.unresolved = true;
                h.message.push_str(" (engine cannot be resolved)");
            }
            out.push(h);
        }
    }
}

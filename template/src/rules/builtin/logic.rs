//! Checks that relate resources to each other or read key/value lists: S3 public access
//! blocks and TLS-only policies, VPC flow logs, load-balancer access logs and header handling.

use std::collections::HashSet;

use crate::model::{referenced_id, Model};
use crate::node::Node;
use crate::rules::util::{present, truth, Hit, Tri};
use crate::rules::BuiltinFn;

pub fn lookup(id: &str) -> Option<BuiltinFn> {
    Some(match id {
        "DATA-06" => public_access_block,
        "DATA-07" => tls_only,
        "LOG-06" => alb_access_logs,
        "NET-24" => alb_drop_invalid_headers,
        "LOG-09" => vpc_flow_logs,
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
            present(&f.raw_props, "ResourceIds.*")
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

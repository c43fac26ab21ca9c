//! Unit tests of `asff`.

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

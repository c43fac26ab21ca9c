//! Unit tests of `publish`.

use super::*;
use aws_sdk_securityhub::operation::batch_import_findings::BatchImportFindingsOutput;
use aws_sdk_securityhub::types::ImportFindingsError;
use aws_sdk_securityhub::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use rampart_common::asff::FindingContext;
use rampart_common::{Benchmark, ResourceRef, Verdict};

fn findings(n: usize) -> Vec<Finding> {
    let meta = crate::checks::by_id("ec2.sg-admin-ports-ipv4")
        .expect("check")
        .meta;
    let bench = Benchmark {
        key: "b",
        name: "B",
        requirements: &[],
    };
    let ctx = FindingContext {
        benchmark: &bench,
        account_id: "111122223333",
        region: "eu-west-1",
        now: "2026-01-01T00:00:00.000Z",
        run_id: "r",
    };
    (0..n)
        .map(|i| {
            let v = Verdict {
                resource: ResourceRef {
                    kind: "AwsEc2SecurityGroup".into(),
                    id: format!("sg-{i}"),
                    region: None,
                },
                passed: false,
                reason: "open".into(),
            };
            Finding::from_verdict(&meta, &ctx, &v)
        })
        .collect()
}

fn ok_output() -> BatchImportFindingsOutput {
    BatchImportFindingsOutput::builder()
        .failed_count(0)
        .success_count(1)
        .build()
}

fn failed_output(id: &str) -> BatchImportFindingsOutput {
    BatchImportFindingsOutput::builder()
        .failed_count(1)
        .success_count(0)
        .failed_findings(
            ImportFindingsError::builder()
                .id(id)
                .error_code("InternalFailure")
                .error_message("try again")
                .build(),
        )
        .build()
}

#[tokio::test]
async fn partial_failures_are_resent_until_accepted() {
    let fs = findings(2);
    let failing_id = fs[1].id.clone();
    let rule = mock!(Client::batch_import_findings)
        .sequence()
        .output(move || failed_output(&failing_id))
        .output(ok_output)
        .build();
    let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, [&rule]);
    let failed = import_all(&client, &fs, &RateLimiter::new(1000.0, 100)).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn findings_that_keep_failing_are_reported_with_the_reason() {
    let fs = findings(1);
    let id = fs[0].id.clone();
    let id2 = id.clone();
    let rule = mock!(Client::batch_import_findings)
        .sequence()
        .output(move || failed_output(&id2))
        .times(FAILED_FINDING_ROUNDS)
        .build();
    let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, [&rule]);
    let failed = import_all(&client, &fs, &RateLimiter::new(1000.0, 100)).await;
    assert_eq!(
        failed,
        vec![FailedImport {
            id,
            reason: "InternalFailure: try again".into()
        }]
    );
    assert_eq!(rule.num_calls(), FAILED_FINDING_ROUNDS);
}

#[tokio::test]
async fn a_throttled_call_is_retried_then_reported() {
    let fs = findings(1);
    let rule = mock!(Client::batch_import_findings)
        .sequence()
        .http_status(
            429,
            Some(r#"{"__type":"LimitExceededException","Message":"Rate exceeded"}"#.into()),
        )
        .repeatedly()
        .build();
    let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, [&rule]);
    let failed = import_all(&client, &fs, &RateLimiter::new(1000.0, 100)).await;
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].reason.contains("BatchImportFindings"),
        "{:?}",
        failed[0]
    );
}

#[tokio::test]
async fn batches_hold_at_most_100_findings() {
    let fs = findings(250);
    let refs: Vec<&Finding> = fs.iter().collect();
    let b = batches(&refs);
    assert_eq!(
        b.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![100, 100, 50]
    );
    let rule = mock!(Client::batch_import_findings).then_output(ok_output);
    let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&rule]);
    assert!(import_all(&client, &fs, &RateLimiter::new(1000.0, 100))
        .await
        .is_empty());
    assert_eq!(rule.num_calls(), 3);
}

#[test]
fn freshness_follows_the_refresh_window() {
    assert!(fresh(
        "2026-01-01T00:00:00Z",
        "2026-03-01T00:00:00.000Z",
        75
    ));
    assert!(!fresh("2026-01-01T00:00:00Z", "2026-03-20T00:00:00Z", 75));
    assert!(!fresh("not a time", "2026-03-01T00:00:00Z", 75));
}

#[test]
fn sdk_round_trip_keeps_rampart_fields() {
    let f = findings(1).remove(0);
    assert_eq!(from_sdk(&to_sdk(&f)).id, f.id);
    let back = from_sdk(&to_sdk(&f));
    assert_eq!(back.check_id(), f.check_id());
    assert_eq!(back.compliance, f.compliance);
    assert_eq!(back.resources, f.resources);
}

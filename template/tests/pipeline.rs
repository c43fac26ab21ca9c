//! The CodePipeline job handler, with the SDK's own mocks (aws-smithy-mocks) standing in for
//! S3 and CodePipeline. The S3 path against an emulator lives in the workspace `tests` crate.
#![cfg(feature = "pipeline")]

use std::io::Write;
use std::time::Duration;

use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultOutput;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
use aws_sdk_codepipeline::types::FailureType;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use rampart_template::pipeline::{
    extract_zip, glob_match, parse_event, parse_user_parameters, process_event, process_job,
    running_audits, truncate, JobResult, MAX_FAILURE_MESSAGE,
};

// Only the large template is used here; the bombs go through `pipeline_hostile.rs`.
#[allow(dead_code)]
#[path = "support/hostile.rs"]
mod hostile;

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in files {
        w.start_file(*name, opts).expect("start file");
        w.write_all(body.as_bytes()).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn event(user_parameters: &str) -> serde_json::Value {
    serde_json::json!({"CodePipeline.job": {
        "id": "job-1",
        "accountId": "111111111111",
        "data": {
            "actionConfiguration": {"configuration": {"FunctionName": "audit", "UserParameters": user_parameters}},
            "inputArtifacts": [{"name": "SourceOutput", "revision": null,
                "location": {"type": "S3", "s3Location": {"bucketName": "artifacts", "objectKey": "p/SourceOutput/abc.zip"}}}],
            "outputArtifacts": [],
            "artifactCredentials": {"accessKeyId": "AKIA", "secretAccessKey": "s", "sessionToken": "t"},
            "continuationToken": null
        }
    }})
}

const PASS: &str = "Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {KmsMasterKeyId: k}}\n";
const APPROVAL: &str =
    "Resources:\n  R: {Type: AWS::RDS::DBInstance, Properties: {BackupRetentionPeriod: 7}}\n";
const FAIL: &str =
    "Resources:\n  B: {Type: AWS::S3::Bucket, Properties: {AccessControl: PublicReadWrite}}\n";

fn s3_rule(zip: Vec<u8>) -> Rule {
    mock!(aws_sdk_s3::Client::get_object)
        .match_requests(|r| {
            r.bucket() == Some("artifacts") && r.key() == Some("p/SourceOutput/abc.zip")
        })
        .then_output(move || {
            GetObjectOutput::builder()
                .body(ByteStream::from(zip.clone()))
                .build()
        })
}

async fn run(files: &[(&str, &str)], params: &str) -> (JobResult, Rule, Rule) {
    let s3r = s3_rule(zip_of(files));
    let s3 = mock_client!(aws_sdk_s3, [&s3r]);
    let ok = mock!(aws_sdk_codepipeline::Client::put_job_success_result)
        .match_requests(|r| r.job_id() == Some("job-1"))
        .then_output(|| PutJobSuccessResultOutput::builder().build());
    let fail = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
        .match_requests(|r| {
            r.job_id() == Some("job-1")
                && r.failure_details().is_some_and(|d| {
                    d.r#type() == &FailureType::JobFailed
                        && d.message().len() <= MAX_FAILURE_MESSAGE
                })
        })
        .then_output(|| PutJobFailureResultOutput::builder().build());
    let cp = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, [&ok, &fail]);
    let job = parse_event(&event(params)).expect("event parses");
    let r = process_job(&job, &s3, &cp, Duration::from_secs(30))
        .await
        .expect("reported");
    (r, ok, fail)
}

#[tokio::test]
async fn pass_reports_success() {
    let (r, ok, fail) = run(
        &[("templates/a.yaml", PASS)],
        r#"{"templates": ["templates/*.yaml"]}"#,
    )
    .await;
    assert!(
        matches!(&r, JobResult::Success { summary } if summary.contains("minimal or no risk")),
        "{r:?}"
    );
    assert_eq!((ok.num_calls(), fail.num_calls()), (1, 0));
}

#[tokio::test]
async fn approval_reports_success_asking_for_manual_approval() {
    let buildspec = "version: 0.2\nphases: {build: {commands: [make]}}\n";
    let (r, ok, fail) = run(
        &[
            ("a.json", APPROVAL),
            ("b.yaml", PASS),
            ("buildspec.yml", buildspec),
        ],
        "",
    )
    .await;
    match &r {
        JobResult::Success { summary } => {
            assert!(summary.contains("manual approval needed"), "{summary}");
            assert!(summary.contains("DATA-11"), "lists findings: {summary}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((ok.num_calls(), fail.num_calls()), (1, 0));
}

#[tokio::test]
async fn fail_reports_failure_listing_failed_rules() {
    let (r, ok, fail) = run(
        &[("cfn/x.yaml", FAIL), ("cfn/y.yaml", PASS)],
        r#"{"templates": "cfn/**"}"#,
    )
    .await;
    match &r {
        JobResult::Failure { message } => {
            assert!(message.contains("Failed rules: DATA-02"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((ok.num_calls(), fail.num_calls()), (0, 1));
}

#[tokio::test]
async fn thresholds_and_rule_pack_come_from_user_parameters() {
    let pack = "- {rule: NoTopics, category: Custom, ruletype: regex, active: Y, riskvalue: 20, ruledata: 'AWS::SNS::Topic'}\n";
    let (r, _, fail) = run(
        &[("t.yaml", PASS), ("audit/rules.yaml", pack)],
        r#"{"templates": ["t.yaml"], "rules": "audit/rules.yaml", "allowArtifactRules": true, "thresholds": [30, 40]}"#,
    )
    .await;
    assert!(
        matches!(r, JobResult::Success { .. }),
        "risk 20 < 30: {r:?}"
    );
    assert_eq!(fail.num_calls(), 0);
}

#[tokio::test]
async fn a_rule_pack_inside_the_artifact_needs_the_pipeline_to_allow_it() {
    // The change under review ships a pack that switches off the rule it breaks.
    let pack = "- {id: DATA-02, active: N}\n";
    let files = [("t.yaml", FAIL), ("audit/rules.yaml", pack)];
    let (r, ok, fail) = run(
        &files,
        r#"{"templates": ["t.yaml"], "rules": "audit/rules.yaml"}"#,
    )
    .await;
    match &r {
        JobResult::Failure { message } => {
            assert!(message.contains("allowArtifactRules"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((ok.num_calls(), fail.num_calls()), (0, 1));
    // Allowed by the pipeline's configuration, the pack applies.
    let (r, _, _) = run(
        &files,
        r#"{"templates": ["t.yaml"], "rules": "audit/rules.yaml", "allowArtifactRules": true}"#,
    )
    .await;
    assert!(matches!(r, JobResult::Success { .. }), "{r:?}");
}

/// A template that fails on DATA-02 (risk 10; the rest is risk 4) and waives it in its own
/// Metadata.
const SELF_WAIVED: &str = "Metadata:
  rampart:
    suppress: [{id: DATA-02, reason: trust me}]
Resources:
  B: {Type: AWS::S3::Bucket, Properties: {AccessControl: PublicReadWrite}}
";

#[tokio::test]
async fn a_templates_own_suppression_of_a_high_risk_rule_does_not_change_the_gate() {
    let files = [("t.yaml", SELF_WAIVED)];
    let failed = |r: &JobResult| match r {
        JobResult::Failure { message } => message.contains("DATA-02"),
        JobResult::Success { .. } => false,
    };
    // Default: suppressions in templates are not allowed; the refusal is reported.
    let (r, _, _) = run(&files, r#"{"templates": ["t.yaml"]}"#).await;
    assert!(failed(&r), "{r:?}");
    assert!(
        matches!(&r, JobResult::Failure { message } if message.contains("suppression of DATA-02 on template line 3 refused")),
        "{r:?}"
    );
    // Allowed, but risk 10 is at or above the default ceiling (7).
    let (r, _, _) = run(
        &files,
        r#"{"templates": ["t.yaml"], "allowSuppressions": true}"#,
    )
    .await;
    assert!(failed(&r), "{r:?}");
    assert!(
        matches!(&r, JobResult::Failure { message } if message.contains("at or above the suppression ceiling 7")),
        "{r:?}"
    );
    // Allowed with a ceiling above the rule's risk: the suppression applies, and is listed.
    let (r, ok, fail) = run(
        &files,
        r#"{"templates": ["t.yaml"], "allowSuppressions": true, "suppressionCeiling": 11}"#,
    )
    .await;
    match &r {
        JobResult::Success { summary } => assert!(
            summary.contains("suppression of DATA-02 on template line 3 applied: trust me"),
            "{summary}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!((ok.num_calls(), fail.num_calls()), (1, 0));
}

#[tokio::test]
async fn suppressions_in_the_gate_need_a_reason() {
    // cfn_nag's reason is optional and guard's list has none: neither is honoured.
    let t = "Resources:
  V:
    Type: AWS::EC2::Volume
    Metadata:
      cfn_nag: {rules_to_suppress: [{id: F1}]}
      guard: {SuppressedRules: [ENCRYPTED_VOLUMES]}
    Properties: {Size: 1}
";
    let params = r#"{"templates": ["t.yaml"], "allowSuppressions": true, "thresholds": "2,5"}"#;
    let (r, _, _) = run(&[("t.yaml", t)], params).await;
    match &r {
        JobResult::Success { summary } => {
            assert!(
                summary.contains("medium risk"),
                "DATA-10 still scores: {summary}"
            );
            assert!(summary.contains("refused (no reason given"), "{summary}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn internal_errors_still_end_the_job_with_a_failure() {
    // No template matches, a bad UserParameters, an artifact that is not a zip.
    for (files, params) in [
        (
            vec![("x.yaml", PASS)],
            r#"{"templates": ["nothing/*.yaml"]}"#,
        ),
        (vec![("x.yaml", PASS)], "{not json"),
        (vec![("buildspec.yml", "version: 0.2\n")], ""),
        (vec![("x.yaml", "Resources: [\n")], ""),
    ] {
        let (r, ok, fail) = run(&files, params).await;
        assert!(matches!(r, JobResult::Failure { .. }), "{params}: {r:?}");
        assert_eq!((ok.num_calls(), fail.num_calls()), (0, 1));
    }
    // Download failure: S3 answers with an error.
    let s3r = mock!(aws_sdk_s3::Client::get_object).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(403).expect("status"),
            aws_smithy_types::body::SdkBody::from("<Error><Code>AccessDenied</Code></Error>"),
        )
    });
    let s3 = mock_client!(aws_sdk_s3, [&s3r]);
    let fail = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
        .then_output(|| PutJobFailureResultOutput::builder().build());
    let cp = mock_client!(aws_sdk_codepipeline, [&fail]);
    let job = parse_event(&event("")).expect("event");
    let r = process_job(&job, &s3, &cp, Duration::from_secs(30))
        .await
        .expect("reported");
    assert!(
        matches!(&r, JobResult::Failure { message } if message.contains("cannot download")),
        "{r:?}"
    );
    assert_eq!(fail.num_calls(), 1);
}

#[tokio::test]
async fn a_template_out_of_time_fails_the_job_and_its_audit_stops() {
    // Two copies of a 3 MB template, each allowed far less time than auditing it takes: the
    // job fails naming the time budget, and no audit is left running once it is reported.
    let (big, _, _) = hostile::big_json(3 * 1024 * 1024);
    let files = [("cfn/a.json", big.as_str()), ("cfn/b.json", big.as_str())];
    let params = r#"{"templates": ["cfn/*.json"], "limits": {"seconds": 0.02}}"#;
    let s3r = s3_rule(zip_of(&files));
    let s3 = mock_client!(aws_sdk_s3, [&s3r]);
    let fail = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
        .match_requests(|r| r.job_id() == Some("job-1"))
        .then_output(|| PutJobFailureResultOutput::builder().build());
    let cp = mock_client!(aws_sdk_codepipeline, [&fail]);
    let job = parse_event(&event(params)).expect("event");
    let budget = Duration::from_secs(30);
    let t = std::time::Instant::now();
    let r = process_job(&job, &s3, &cp, budget).await.expect("reported");
    let took = t.elapsed();
    assert_eq!(running_audits(), 0, "the audit thread has ended");
    match &r {
        JobResult::Failure { message } => assert!(
            message.contains("time budget exceeded") && message.contains("could not be audited"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        took < Duration::from_secs(5),
        "each audit stopped at its budget: {took:?}"
    );
    assert_eq!(fail.num_calls(), 1);
}

#[test]
fn failure_messages_fit_codepipeline_limits() {
    let long = "é".repeat(10_000);
    let t = truncate(&long, MAX_FAILURE_MESSAGE);
    assert!(t.len() <= MAX_FAILURE_MESSAGE);
    assert!(t.ends_with("(truncated)"));
}

#[test]
fn user_parameters_and_globs() {
    let p = parse_user_parameters(Some(
        r#"{"templates": ["a/*.yaml"], "thresholds": "3,6", "parameters": "p.json"}"#,
    ))
    .expect("parses");
    assert_eq!((p.thresholds.approval, p.thresholds.fail), (3, 6));
    assert_eq!(p.parameters.as_deref(), Some("p.json"));
    assert!(parse_user_parameters(Some(r#"{"thresholds": "9,1"}"#)).is_err());
    // Limits are checked against the hard maxima; unknown names are refused.
    let p = parse_user_parameters(Some(r#"{"limits": {"steps": 2000000, "seconds": 5}}"#))
        .expect("limits parse");
    assert_eq!((p.limits.steps, p.limits.time_ms), (2_000_000, 5_000));
    assert_eq!(p.limits.bytes, rampart_template::Limits::default().bytes);
    for bad in [
        r#"{"limits": {"steps": 0}}"#,
        r#"{"limits": {"nodes": 999999999999}}"#,
        r#"{"limits": {"depth": 100000}}"#,
        r#"{"limits": {"sekonds": 5}}"#,
        r#"{"limits": [1]}"#,
        r#"{"allowSuppressions": "yes"}"#,
        r#"{"suppressionCeiling": -1}"#,
    ] {
        assert!(parse_user_parameters(Some(bad)).is_err(), "{bad}");
    }
    let d = parse_user_parameters(None).expect("defaults");
    assert!(!d.allow_artifact_rules);
    assert_eq!(
        d.suppression.mode,
        rampart_template::audit::SuppressionMode::None
    );
    assert!(parse_user_parameters(None).is_ok_and(|p| p.templates.is_empty()));
    assert!(glob_match("a/*.yaml", "a/x.yaml"));
    assert!(!glob_match("a/*.yaml", "a/b/x.yaml"));
    assert!(glob_match("a/**/*.yaml", "a/x.yaml"));
    assert!(glob_match("a/**/*.yaml", "a/b/c/x.yaml"));
    assert!(glob_match("**", "x/y"));
    assert!(glob_match("./t?.json", "t1.json"));
}

#[test]
fn zip_limits_and_bad_input() {
    assert!(extract_zip(b"not a zip").is_err());
    let files = extract_zip(&zip_of(&[("../evil.yaml", PASS), ("ok/a.yaml", PASS)])).expect("zip");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec!["ok/a.yaml"],
        "entries escaping the root are dropped"
    );
}

#[test]
fn event_without_job_is_an_error() {
    assert!(parse_event(&serde_json::json!({"foo": 1})).is_err());
}

#[tokio::test]
async fn malformed_event_with_a_job_id_still_ends_the_job() {
    let s3 = mock_client!(aws_sdk_s3, Vec::<&Rule>::new());
    let fail = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
        .match_requests(|r| r.job_id() == Some("job-9"))
        .then_output(|| PutJobFailureResultOutput::builder().build());
    let cp = mock_client!(aws_sdk_codepipeline, [&fail]);
    let event = serde_json::json!({"CodePipeline.job": {"id": "job-9", "data": {"inputArtifacts": [{"name": 5}]}}});
    let r = process_event(&event, &s3, &cp, Duration::from_secs(5))
        .await
        .expect("reported");
    assert!(
        matches!(&r, JobResult::Failure { message } if message.contains("invalid CodePipeline job event")),
        "{r:?}"
    );
    assert_eq!(fail.num_calls(), 1);
    let no_id = serde_json::json!({"something": "else"});
    assert!(process_event(&no_id, &s3, &cp, Duration::from_secs(5))
        .await
        .is_err());
}

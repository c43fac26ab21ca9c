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
    truncate, JobResult, MAX_FAILURE_MESSAGE,
};

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
        r#"{"templates": ["t.yaml"], "rules": "audit/rules.yaml", "thresholds": [30, 40]}"#,
    )
    .await;
    assert!(
        matches!(r, JobResult::Success { .. }),
        "risk 20 < 30: {r:?}"
    );
    assert_eq!(fail.num_calls(), 0);
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

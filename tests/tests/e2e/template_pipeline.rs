//! The CodePipeline stage end to end on the emulator: a real zip artifact uploaded to S3 is
//! downloaded with the job's artifact credentials and audited; the job result calls, which the
//! emulator does not implement, go to the SDK's own mock client.

use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultOutput;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use rampart_template::pipeline::{artifact_s3_client, parse_event, process_job, JobResult};
use rampart_testbed::Emulator;
use std::io::Write;
use std::time::Duration;

const REGION: &str = "us-east-1";

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in files {
        w.start_file(*name, opts).expect("zip entry");
        w.write_all(body.as_bytes()).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

fn event(key: &str) -> serde_json::Value {
    serde_json::json!({"CodePipeline.job": {
        "id": "job-e2e",
        "accountId": "123456789012",
        "data": {
            "actionConfiguration": {"configuration": {"FunctionName": "rampart-audit", "UserParameters": "{\"paths\": [\"templates/*.yaml\"]}"}},
            "inputArtifacts": [{"name": "SourceOutput", "location": {"type": "S3", "s3Location": {"bucketName": "pipeline-artifacts", "objectKey": key}}}],
            "outputArtifacts": [],
            "artifactCredentials": {"accessKeyId": "testing", "secretAccessKey": "testing", "sessionToken": "token"}
        }
    }})
}

#[test]
fn artifact_from_s3_is_audited_and_a_failing_template_fails_the_job() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&base)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket()
            .bucket("pipeline-artifacts")
            .send()
            .await
            .expect("bucket");
        let risky = "Resources:\n  Open:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: open\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 0.0.0.0/0}\n  Data:\n    Type: AWS::S3::Bucket\n    Properties: {AccessControl: PublicReadWrite}\n";
        let zip = zip_of(&[
            ("templates/app.yaml", risky),
            ("README.md", "not a template"),
        ]);
        s3.put_object()
            .bucket("pipeline-artifacts")
            .key("p/SourceOutput/a1.zip")
            .body(zip.into())
            .send()
            .await
            .expect("upload");

        let job = parse_event(&event("p/SourceOutput/a1.zip")).expect("event");
        let artifact_s3 = artifact_s3_client(
            &base,
            &job.data.artifact_credentials.clone().expect("creds"),
        );
        let ok = mock!(aws_sdk_codepipeline::Client::put_job_success_result)
            .then_output(|| PutJobSuccessResultOutput::builder().build());
        let fail = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
            .match_requests(|r| {
                r.job_id() == Some("job-e2e")
                    && r.failure_details()
                        .is_some_and(|d| d.message().contains("Open"))
            })
            .then_output(|| PutJobFailureResultOutput::builder().build());
        let cp = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, [&ok, &fail]);
        let result = process_job(&job, &artifact_s3, &cp, Duration::from_secs(30))
            .await
            .expect("job reported");
        assert!(matches!(result, JobResult::Failure { .. }), "{result:?}");
        assert_eq!((fail.num_calls(), ok.num_calls()), (1, 0));

        // A missing artifact still ends the job, with a failure that says why.
        let job = parse_event(&event("p/SourceOutput/missing.zip")).expect("event");
        let fail2 = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
            .then_output(|| PutJobFailureResultOutput::builder().build());
        let cp = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, [&fail2]);
        let result = process_job(&job, &artifact_s3, &cp, Duration::from_secs(30))
            .await
            .expect("job reported");
        assert!(
            matches!(&result, JobResult::Failure { message } if message.contains("download")),
            "{result:?}"
        );
        assert_eq!(fail2.num_calls(), 1);
    });
}

//! The hostile inputs through the CodePipeline Lambda path (SDK mocks for S3 and
//! CodePipeline): each job ends with a failure result naming the budget, within the job's
//! time, within 256 MB of heap (counted by this test binary's allocator: one test, so nothing
//! else allocates meanwhile), and with no audit left running.
#![cfg(feature = "pipeline")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_codepipeline::operation::put_job_failure_result::PutJobFailureResultOutput;
use aws_sdk_codepipeline::operation::put_job_success_result::PutJobSuccessResultOutput;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use rampart_template::pipeline::{parse_event, process_job, running_audits, JobResult};

#[path = "support/hostile.rs"]
mod hostile;

/// Counts live heap bytes and their peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn zip_of(name: &str, body: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file(name, opts).expect("start file");
    w.write_all(body.as_bytes()).expect("write");
    w.finish().expect("finish").into_inner()
}

fn event() -> serde_json::Value {
    serde_json::json!({"CodePipeline.job": {
        "id": "job-h",
        "data": {
            "actionConfiguration": {"configuration": {"UserParameters": "{\"templates\": [\"cfn/*\"]}"}},
            "inputArtifacts": [{"name": "SourceOutput",
                "location": {"type": "S3", "s3Location": {"bucketName": "artifacts", "objectKey": "a.zip"}}}],
            "artifactCredentials": {"accessKeyId": "AKIA", "secretAccessKey": "s", "sessionToken": "t"}
        }
    }})
}

/// Run one job on an artifact holding `name` with `body`; the result and the peak heap
/// growth during the job.
async fn job(name: &str, body: &str, budget: Duration) -> (JobResult, usize, Duration) {
    let zip = zip_of(&format!("cfn/{name}"), body);
    let s3r = mock!(aws_sdk_s3::Client::get_object).then_output(move || {
        GetObjectOutput::builder()
            .body(ByteStream::from(zip.clone()))
            .build()
    });
    let s3 = mock_client!(aws_sdk_s3, [&s3r]);
    let ok = mock!(aws_sdk_codepipeline::Client::put_job_success_result)
        .then_output(|| PutJobSuccessResultOutput::builder().build());
    let fail = mock!(aws_sdk_codepipeline::Client::put_job_failure_result)
        .then_output(|| PutJobFailureResultOutput::builder().build());
    let cp = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, [&ok, &fail]);
    let job = parse_event(&event()).expect("event");
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    let r = process_job(&job, &s3, &cp, budget).await.expect("reported");
    let took = t.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    assert_eq!(ok.num_calls() + fail.num_calls(), 1, "one result reported");
    (r, peak, took)
}

#[tokio::test]
async fn hostile_templates_fail_the_job_within_its_budget() {
    let budget = Duration::from_secs(20);
    let (big, _, _) = hostile::big_json(3 * 1024 * 1024);
    for (name, body, budget_name) in [
        ("alias.yaml", hostile::alias_bomb(), Some("bytes")),
        ("findinmap.yaml", hostile::find_in_map_bomb(), Some("steps")),
        ("foreach.yaml", hostile::for_each_bomb(), Some("resources")),
        ("big.json", big, None),
    ] {
        let (r, peak, took) = job(name, &body, budget).await;
        eprintln!("{name}: {took:?}, peak heap {} KiB", peak / 1024);
        assert!(peak < 256 * 1024 * 1024, "{name}: peak heap {peak} bytes");
        assert!(took < budget, "{name}: {took:?}");
        assert_eq!(running_audits(), 0, "{name}: the audit has stopped");
        match (budget_name, &r) {
            (Some(b), JobResult::Failure { message }) => assert!(
                message.contains("could not be audited")
                    && message.contains(&format!("{b} budget exceeded")),
                "{name}: {message}"
            ),
            // The large honest template is audited: NET-01 makes it need approval.
            (None, JobResult::Success { summary }) => {
                assert!(summary.contains("manual approval needed"), "{summary}")
            }
            (_, other) => panic!("{name}: {other:?}"),
        }
    }
}

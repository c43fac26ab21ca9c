//! Unit tests of `s3`: on the wire, every call on a bucket (the collectors' reads the plans go
//! through, the remedies' writes and their undo) names the account as the expected owner. A
//! local stand-in for S3 records each request and answers like an empty bucket.

use super::*;
use crate::act::Memory;
use futures::future::BoxFuture;
use rampart_common::identity::OwnRoles;
use rampart_common::ResponseConfig;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ACCOUNT: &str = "111122223333";
const OWNER_HEADER: &str = "x-amz-expected-bucket-owner";

/// One request as the stand-in saw it (header names lowercased).
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

/// What the stand-in saw and holds: the requests, and the bucket policy.
#[derive(Default)]
struct Seen {
    requests: Vec<Request>,
    policy: Option<String>,
}

fn error(code: &str) -> (u16, String) {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>test</Message></Error>");
    (404, body)
}

/// S3's answer to one request, for a bucket `b` in us-east-1 without settings or tags.
fn answer(seen: &mut Seen, method: &str, target: &str, body: String) -> (u16, String) {
    const NS: &str = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
    let query = target.split_once('?').map_or("", |(_, q)| q);
    match method {
        "GET" if query.contains("location") => {
            (200, format!("<LocationConstraint {NS}></LocationConstraint>"))
        }
        "GET" if query.contains("publicAccessBlock") => {
            error("NoSuchPublicAccessBlockConfiguration")
        }
        "GET" if query.contains("tagging") => error("NoSuchTagSet"),
        "GET" if query.contains("policy") => match &seen.policy {
            Some(p) => (200, p.clone()),
            None => error("NoSuchBucketPolicy"),
        },
        "GET" if query.contains("versioning") => {
            (200, format!("<VersioningConfiguration {NS}/>"))
        }
        "GET" if target == "/" || target.starts_with("/?") => (
            200,
            format!("<ListAllMyBucketsResult {NS}><Buckets><Bucket><Name>b</Name><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets></ListAllMyBucketsResult>"),
        ),
        "PUT" if query.contains("policy") => {
            seen.policy = Some(body);
            (204, String::new())
        }
        "DELETE" if query.contains("policy") => {
            seen.policy = None;
            (204, String::new())
        }
        _ => (200, String::new()),
    }
}

/// One request: its head, then as many body bytes as it announces.
async fn serve(mut sock: tokio::net::TcpStream, seen: Arc<Mutex<Seen>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (
        first.next().unwrap_or_default().to_string(),
        first.next().unwrap_or_default().to_string(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    let (status, reply) = {
        let mut s = seen.lock().unwrap_or_else(|p| p.into_inner());
        let reply = answer(&mut s, &method, &target, body);
        s.requests.push(Request {
            method,
            target,
            headers,
        });
        reply
    };
    let out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
    sock.write_all(out.as_bytes()).await?;
    sock.shutdown().await
}

/// Starts the stand-in; returns its SDK configuration and what it sees.
async fn stand_in() -> (aws_config::SdkConfig, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(serve(sock, shared.clone()));
        }
    });
    let creds = aws_credential_types::Credentials::new("AKIDTEST", "secret", None, None, "test");
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new("us-east-1"))
        .endpoint_url(format!("http://{addr}"))
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
        .build();
    (sdk, seen)
}

/// The bucket requests seen so far (`/b...`), as "METHOD target", and those without the owner.
fn bucket_calls(seen: &Mutex<Seen>) -> (Vec<String>, Vec<String>) {
    let s = seen.lock().unwrap_or_else(|p| p.into_inner());
    let mut all = Vec::new();
    let mut unowned = Vec::new();
    for r in s.requests.iter().filter(|r| r.target.starts_with("/b")) {
        let call = format!("{} {}", r.method, r.target);
        let owner = r.headers.iter().find(|(k, _)| k == OWNER_HEADER);
        if owner.map(|(_, v)| v.as_str()) != Some(ACCOUNT) {
            unowned.push(call.clone());
        }
        all.push(call);
    }
    (all, unowned)
}

struct NoMemory;

impl Memory for NoMemory {
    fn trail_record<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, String>> {
        Box::pin(async { Ok(None) })
    }
    fn put_trail_record<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: &'a str,
        _: &'a Value,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
    fn record_offence<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
    ) -> BoxFuture<'a, Result<usize, String>> {
        Box::pin(async { Ok(0) })
    }
}

fn action(c: &Change) -> Action {
    Action {
        id: "a-1".into(),
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        control: "S3.8".into(),
        remedy: "s3".into(),
        resource: c.resource.clone(),
        status: crate::act::Status::Done,
        prior: c.prior.clone(),
        change: c.change.clone(),
        detail: String::new(),
    }
}

fn change(p: Vec<Planned>) -> Change {
    match p.into_iter().next() {
        Some(Planned::Change(c)) => c,
        other => panic!("expected one change, got {other:?}"),
    }
}

#[tokio::test]
async fn every_bucket_call_names_the_expected_owner() {
    let (sdk, seen) = stand_in().await;
    let (cfg, own, settings) = (
        ResponseConfig::default(),
        OwnRoles::default(),
        crate::checks::Settings::default(),
    );
    let ctx = Ctx {
        cfg: &cfg,
        store: &NoMemory,
        member: &sdk,
        account: ACCOUNT,
        region: "us-east-1",
        event_id: "e",
        incident_id: "i",
        own: &own,
        plan: false,
        settings: &settings,
    };
    // The assessment's reads.
    let rl = limiter();
    let snap = crate::collect::s3::collect(&sdk, ACCOUNT, &["b".to_string()], &rl)
        .await
        .expect("collect");
    assert_eq!(snap.buckets.len(), 1);
    // Block Public Access: planned on the named bucket, applied and undone.
    let bpa = change(
        plan_bucket_bpa(&ctx, Some("arn:aws:s3:::b"))
            .await
            .expect("plan"),
    );
    assert_eq!(bpa.resource, "arn:aws:s3:::b");
    apply(&ctx, &bpa).await.expect("apply");
    undo(&ctx, &action(&bpa)).await.expect("undo");
    // TLS only: planned on every bucket, the statement added, then removed with the policy
    // Rampart created.
    let tls = change(s3_tls::plan(&ctx, None).await.expect("plan"));
    apply(&ctx, &tls).await.expect("apply");
    assert!(seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .policy
        .as_deref()
        .is_some_and(|p| p.contains(s3_tls::TLS_SID)));
    undo(&ctx, &action(&tls)).await.expect("undo");
    let (calls, unowned) = bucket_calls(&seen);
    assert!(
        unowned.is_empty(),
        "without the expected owner: {unowned:?}"
    );
    for op in [
        "GET /b/?location",
        "GET /b/?policy",
        "GET /b/?versioning",
        "GET /b/?publicAccessBlock",
        "GET /b/?logging",
        "GET /b/?tagging",
        "PUT /b/?publicAccessBlock",
        "DELETE /b/?publicAccessBlock",
        "PUT /b/?policy",
        "DELETE /b/?policy",
    ] {
        assert!(
            calls.iter().any(|c| c.starts_with(op)),
            "{op} not seen in {calls:?}"
        );
    }
}

//! `assess --report-bucket`: the HTML report lands in S3 encrypted, with an HTML content type,
//! and the printed pre-signed URL serves it over plain HTTP.

use rampart_testbed::fixtures;
use rampart_testbed::Emulator;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};

const REGION: &str = "us-east-1";
const BUCKET: &str = "rampart-reports-test";

fn rampart(emu: &Emulator, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .envs(emu.env(REGION))
        .envs(extra_env.iter().copied())
        .output()
        .expect("run rampart")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The URL printed after the upload line.
fn printed_url(err: &str) -> String {
    let mut lines = err.lines().skip_while(|l| !l.contains("pre-signed URL"));
    lines.next().expect("upload line");
    lines.next().expect("URL line").trim().to_string()
}

/// GET over a bare TCP connection (no AWS client involved): status line and body.
fn http_get(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').expect("path"));
    let mut s = TcpStream::connect(authority).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("headers");
    let status = head.lines().next().unwrap_or("").to_string();
    (status, body.to_string())
}

#[test]
fn report_is_uploaded_encrypted_and_served_by_its_presigned_url() {
    rampart_testbed::block_on(async {
        let emu = Emulator::start().expect("emulator");
        let base = emu.sdk_config(REGION).await;
        fixtures::create_org(&base, &[], &[REGION])
            .await
            .expect("org");
        let s3 = aws_sdk_s3::Client::new(&base);
        s3.create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("bucket");

        // SSE-S3 by default.
        let out = rampart(
            &emu,
            &[
                "--regions",
                REGION,
                "assess",
                "--fail-on",
                "none",
                "--report-bucket",
                BUCKET,
                "--report-prefix",
                "cis/runs/",
                "--report-url-hours",
                "2",
            ],
            &[],
        );
        let err = stderr(&out);
        // Failures do not count with fail_on none, and every check was answered.
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains("(valid 2h)"), "{err}");
        assert!(!err.contains("warning:"), "{err}");
        let url = printed_url(&err);
        assert!(url.contains("X-Amz-Expires=7200"), "{url}");
        let listed = s3
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix("cis/runs/")
            .send()
            .await
            .expect("list");
        let key = listed.contents()[0].key().expect("key").to_string();
        assert!(
            key.starts_with("cis/runs/") && key.ends_with(".html"),
            "{key}"
        );
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .expect("head");
        assert_eq!(head.content_type(), Some("text/html; charset=utf-8"));
        assert_eq!(
            head.server_side_encryption(),
            Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256)
        );
        let (status, body) = http_get(&url);
        assert!(status.contains(" 200 "), "{status}");
        assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
        assert!(body.contains("class=\"heatmap\"") && body.contains("123456789012"));

        // SSE-KMS when a key is given; temporary credentials without a known expiry are
        // called out.
        let out = rampart(
            &emu,
            &[
                "--regions",
                REGION,
                "assess",
                "--fail-on",
                "none",
                "--report-bucket",
                BUCKET,
                "--report-kms-key",
                "alias/rampart-reports",
            ],
            &[("AWS_SESSION_TOKEN", "session-token")],
        );
        let err = stderr(&out);
        // Failures do not count with fail_on none, and every check was answered.
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(
            err.contains("warning: the report URL is signed with temporary credentials"),
            "{err}"
        );
        let url = printed_url(&err);
        assert!(url.contains("X-Amz-Expires=604800"), "{url}");
        let key = url
            .split('?')
            .next()
            .and_then(|u| u.split_once(&format!("/{BUCKET}/")))
            .map(|(_, k)| k.to_string())
            .expect("key in URL");
        assert!(key.starts_with("rampart-reports/"), "{key}");
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .expect("head");
        assert_eq!(
            head.server_side_encryption(),
            Some(&aws_sdk_s3::types::ServerSideEncryption::AwsKms)
        );
        assert!(
            head.ssekms_key_id()
                .is_some_and(|k| k.contains("rampart-reports")),
            "{head:?}"
        );

        // More than 7 days is refused before anything runs.
        let out = rampart(
            &emu,
            &[
                "--regions",
                REGION,
                "assess",
                "--report-bucket",
                BUCKET,
                "--report-url-hours",
                "169",
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("report_url_hours must be within 1..=168"),
            "{}",
            stderr(&out)
        );

        // A bucket that does not exist: the report is still printed, the exit code says 1.
        let out = rampart(
            &emu,
            &[
                "--regions",
                REGION,
                "assess",
                "--fail-on",
                "none",
                "--report-bucket",
                "no-such-bucket-here",
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("HTML report not uploaded"),
            "{}",
            stderr(&out)
        );
    });
}

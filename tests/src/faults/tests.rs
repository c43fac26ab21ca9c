//! The proxy's pieces on their own: telling the service, operation and protocol from a
//! request, the error bodies each protocol gets, HTTP framing, and seeded draws.

use super::http::{self, Head};
use super::protocol::{cbor_error, error_response, identify, s3_operation, signing_service};
use super::*;

fn head(start: &str, headers: &[(&str, &str)]) -> Head {
    Head {
        start: start.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn auth(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=abc"
    )
}

#[test]
fn the_signing_service_names_the_service() {
    assert_eq!(signing_service(&auth("iam")), Some("iam"));
    assert_eq!(signing_service(&auth("monitoring")), Some("monitoring"));
    assert_eq!(signing_service("Bearer x"), None);
}

#[test]
fn each_protocol_is_told_from_the_request() {
    let ec2 = identify(
        &head("POST / HTTP/1.1", &[("Authorization", &auth("ec2"))]),
        b"Action=DescribeSecurityGroups&Version=2016-11-15",
    );
    assert_eq!(
        (ec2.service.as_str(), ec2.operation.as_str(), ec2.protocol),
        ("ec2", "DescribeSecurityGroups", Protocol::Ec2Query)
    );
    let iam = identify(
        &head("POST / HTTP/1.1", &[("Authorization", &auth("iam"))]),
        b"Action=ListUsers&Version=2010-05-08",
    );
    assert_eq!(iam.key(), "iam:ListUsers");
    assert_eq!(iam.protocol, Protocol::AwsQuery);
    let kms = identify(
        &head(
            "POST / HTTP/1.1",
            &[
                ("Authorization", &auth("kms")),
                ("X-Amz-Target", "TrentService.ListKeys"),
            ],
        ),
        b"{}",
    );
    assert_eq!(kms.key(), "kms:ListKeys");
    assert_eq!(kms.protocol, Protocol::AwsJson);
    let cw = identify(
        &head(
            "POST /service/GraniteServiceVersion20100801/operation/DescribeAlarms HTTP/1.1",
            &[
                ("Authorization", &auth("monitoring")),
                ("smithy-protocol", "rpc-v2-cbor"),
            ],
        ),
        &[0xa0],
    );
    assert_eq!(cw.key(), "monitoring:DescribeAlarms");
    assert_eq!(cw.protocol, Protocol::RpcV2Cbor);
    let hub = identify(
        &head(
            "GET /accounts HTTP/1.1",
            &[("Authorization", &auth("securityhub"))],
        ),
        b"",
    );
    assert_eq!(hub.key(), "securityhub:GET /accounts");
    assert_eq!(hub.protocol, Protocol::RestJson);
    let policy = identify(
        &head(
            "GET /my-bucket?policy HTTP/1.1",
            &[("Authorization", &auth("s3"))],
        ),
        b"",
    );
    assert_eq!(policy.key(), "s3:GetBucketPolicy");
    assert_eq!(policy.protocol, Protocol::RestXml);
    let control = identify(
        &head(
            "GET /v20180820/configuration/publicAccessBlock HTTP/1.1",
            &[("Authorization", &auth("s3"))],
        ),
        b"",
    );
    assert_eq!(control.key(), "s3control:GetPublicAccessBlock");
    // Unsigned: the host names the service.
    let unsigned = identify(
        &head("POST / HTTP/1.1", &[("Host", "sts.amazonaws.com")]),
        b"Action=GetCallerIdentity",
    );
    assert_eq!(unsigned.key(), "sts:GetCallerIdentity");
}

#[test]
fn s3_reads_are_named() {
    assert_eq!(s3_operation("GET", "/", "x-id=ListBuckets"), "ListBuckets");
    assert_eq!(
        s3_operation("GET", "/b", "versioning"),
        "GetBucketVersioning"
    );
    assert_eq!(
        s3_operation("GET", "/b/", "publicAccessBlock="),
        "GetPublicAccessBlock"
    );
    assert_eq!(s3_operation("GET", "/b", "logging"), "GetBucketLogging");
    assert_eq!(s3_operation("GET", "/b", "location"), "GetBucketLocation");
    assert_eq!(s3_operation("GET", "/b/key", ""), "GetObject");
    assert_eq!(s3_operation("DELETE", "/b", ""), "DELETE /b");
}

fn body_text(m: &http::Message) -> String {
    String::from_utf8_lossy(&m.body).to_string()
}

#[test]
fn errors_are_in_each_services_own_protocol() {
    let call = |service: &str, protocol| Call {
        service: service.into(),
        operation: "Op".into(),
        protocol,
    };
    let ec2 = error_response(&call("ec2", Protocol::Ec2Query), Answer::Throttle, "r1");
    assert_eq!(ec2.head.status(), 503);
    assert!(body_text(&ec2).contains("<Response><Errors><Error><Code>RequestLimitExceeded</Code>"));
    let iam = error_response(&call("iam", Protocol::AwsQuery), Answer::Throttle, "r1");
    assert_eq!(iam.head.status(), 400);
    assert!(
        body_text(&iam).contains("<ErrorResponse")
            && body_text(&iam).contains("<Code>Throttling</Code>")
    );
    let denied = error_response(&call("iam", Protocol::AwsQuery), Answer::Deny, "r1");
    assert_eq!(denied.head.status(), 403);
    assert!(body_text(&denied).contains("<Code>AccessDenied</Code>"));
    let kms = error_response(&call("kms", Protocol::AwsJson), Answer::Throttle, "r1");
    let v: serde_json::Value = serde_json::from_slice(&kms.body).unwrap();
    assert_eq!(
        (kms.head.status(), v["__type"].as_str()),
        (400, Some("ThrottlingException"))
    );
    let orgs = error_response(
        &call("organizations", Protocol::AwsJson),
        Answer::Throttle,
        "r",
    );
    assert!(body_text(&orgs).contains("TooManyRequestsException"));
    let hub = error_response(
        &call("securityhub", Protocol::RestJson),
        Answer::Throttle,
        "r1",
    );
    assert_eq!(hub.head.status(), 429);
    assert_eq!(
        hub.head.get("x-amzn-errortype"),
        Some("TooManyRequestsException")
    );
    let s3 = error_response(&call("s3", Protocol::RestXml), Answer::Throttle, "r1");
    assert_eq!(s3.head.status(), 503);
    assert!(body_text(&s3).contains("<Error><Code>SlowDown</Code>"));
    let control = error_response(
        &call("s3control", Protocol::RestXml),
        Answer::Unavailable,
        "r",
    );
    assert!(body_text(&control).starts_with("<ErrorResponse><Error><Code>ServiceUnavailable"));
    let cw = error_response(
        &call("monitoring", Protocol::RpcV2Cbor),
        Answer::Throttle,
        "r1",
    );
    assert_eq!(cw.head.get("smithy-protocol"), Some("rpc-v2-cbor"));
    assert_eq!(cw.head.get("x-amzn-query-error"), Some("Throttling;Sender"));
    let unavailable = error_response(&call("kms", Protocol::AwsJson), Answer::Unavailable, "r");
    assert_eq!(unavailable.head.status(), 503);
}

#[test]
fn cbor_errors_are_a_map_of_two_texts() {
    let b = cbor_error("Throttling", "Rate exceeded");
    assert_eq!(b[0], 0xa2);
    assert_eq!(&b[1..8], b"\x66__type");
    assert_eq!(&b[8..19], b"\x6aThrottling");
    // A 40-byte message takes the one-byte length form.
    let long = cbor_error("X", &"m".repeat(40));
    assert_eq!(&long[long.len() - 42..long.len() - 40], &[0x78, 40]);
}

#[tokio::test]
async fn chunked_and_sized_bodies_are_read_whole() {
    let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    let mut r = tokio::io::BufReader::new(&raw[..]);
    let h = http::read_head(&mut r).await.unwrap().unwrap();
    assert_eq!(h.status(), 200);
    assert_eq!(
        http::read_response_body(&mut r, &h, "GET").await.unwrap(),
        b"hello world"
    );
    let h = http::read_head(&mut r).await.unwrap().unwrap();
    assert_eq!(h.status(), 204);
    assert!(http::read_head(&mut r).await.unwrap().is_none());

    let req = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc";
    let mut r = tokio::io::BufReader::new(&req[..]);
    let h = http::read_head(&mut r).await.unwrap().unwrap();
    let body = http::read_request_body(&mut r, &h).await.unwrap();
    let out = http::encode(&http::Message { head: h, body }, "close", false);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with("Content-Length: 3\r\nConnection: close\r\n\r\nabc"),
        "{text}"
    );
    assert_eq!(text.matches("Connection").count(), 1);
}

#[test]
fn draws_are_seeded_and_near_the_rate() {
    let h = head("POST / HTTP/1.1", &[]);
    let run = |seed: u64| {
        let mut s = State {
            plan: Some(FaultPlan::random(seed, 0.3)),
            ..State::default()
        };
        (0..2000)
            .map(|i| {
                let call = Call {
                    service: "iam".into(),
                    operation: format!("Op{}", i % 50),
                    protocol: Protocol::AwsQuery,
                };
                s.decide(&call, &h, format!("Action=Op{}", i % 50).as_bytes())
                    .0
            })
            .collect::<Vec<_>>()
    };
    let a = run(7);
    assert_eq!(a, run(7), "the same seed injects the same faults");
    assert_ne!(a, run(8));
    let faulted = a.iter().filter(|f| f.is_some()).count();
    assert!((480..720).contains(&faulted), "{faulted} of 2000");
    let kinds: std::collections::BTreeSet<_> = a.iter().flatten().map(Fault::kind).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
}

#[test]
fn rules_come_first_and_stop_after_their_count() {
    let mut s = State {
        plan: Some(FaultPlan::rules(vec![Rule::first(
            "DescribeSecurityGroups",
            2,
            Fault::Throttle,
        )])),
        ..State::default()
    };
    let h = head("POST / HTTP/1.1", &[]);
    let sg = Call {
        service: "ec2".into(),
        operation: "DescribeSecurityGroups".into(),
        protocol: Protocol::Ec2Query,
    };
    let other = Call {
        operation: "DescribeVpcs".into(),
        ..sg.clone()
    };
    let got: Vec<_> = (0..3).map(|_| s.decide(&sg, &h, b"").0).collect();
    assert_eq!(got, [Some(Fault::Throttle), Some(Fault::Throttle), None]);
    assert_eq!(s.decide(&other, &h, b"").0, None);
    // Another caller (another account's session) gets its own two.
    let other_caller = head(
        "POST / HTTP/1.1",
        &[(
            "Authorization",
            &auth("ec2").replace("AKIDEXAMPLE", "ASIAOTHER"),
        )],
    );
    assert_eq!(s.decide(&sg, &other_caller, b"").0, Some(Fault::Throttle));
    assert_eq!(s.counts.requests_of("ec2:DescribeSecurityGroups"), 4);
    assert_eq!(s.counts.by_kind().get("throttle"), Some(&3));
}

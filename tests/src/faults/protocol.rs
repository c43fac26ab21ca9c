//! Which service and operation a request is, in which wire protocol, and how that service
//! spells a throttling, unavailable or access-denied answer: what the fault proxy injects must
//! be what the service itself would send, so the SDK parses and retries it as it would AWS's.

use super::http::{self, Head, Message};

/// The AWS wire protocols the SDK speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// awsQuery (IAM, STS, RDS, SNS, CloudFormation, Auto Scaling): form body, XML answers,
    /// errors in `<ErrorResponse><Error>`.
    AwsQuery,
    /// EC2's query dialect: errors in `<Response><Errors><Error>`.
    Ec2Query,
    /// awsJson 1.0/1.1 (`X-Amz-Target`): KMS, Config, CloudTrail, Logs, Organizations, DynamoDB.
    AwsJson,
    /// restJson1: Security Hub, Account, Access Analyzer, EFS.
    RestJson,
    /// restXml: S3 (errors unwrapped, `<Error>`) and S3 Control (`<ErrorResponse><Error>`).
    RestXml,
    /// Smithy RPC v2 CBOR (`smithy-protocol: rpc-v2-cbor`): CloudWatch.
    RpcV2Cbor,
}

/// What a request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The SigV4 signing name (`iam`, `ec2`, `s3`, `securityhub`, `monitoring`, ...);
    /// `s3control` for S3 Control, which signs as `s3`.
    pub service: String,
    /// The operation (`DescribeSecurityGroups`); for restJson1 services `METHOD /path`.
    pub operation: String,
    pub protocol: Protocol,
}

impl Call {
    /// `service:Operation`, how counts and rules name it.
    pub fn key(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

/// The signing name in `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/
/// <service>/aws4_request, ...`.
pub fn signing_service(auth: &str) -> Option<&str> {
    auth.split("Credential=")
        .nth(1)?
        .split([',', ' '])
        .next()?
        .split('/')
        .nth(3)
}

/// The value of `name` in a form-encoded string (`Action=ListUsers&Version=...`).
fn form_value<'a>(form: &'a str, name: &str) -> Option<&'a str> {
    form.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Identifies a request from its head and body.
pub fn identify(head: &Head, body: &[u8]) -> Call {
    let (method, target) = head.request_line();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let service = head
        .get("authorization")
        .and_then(signing_service)
        .map(str::to_string)
        .or_else(|| service_from_host(head.get("host").unwrap_or("")))
        .unwrap_or_else(|| "unknown".into());
    let call = |operation: &str, protocol| Call {
        service: service.clone(),
        operation: operation.to_string(),
        protocol,
    };
    if head
        .get("smithy-protocol")
        .is_some_and(|p| p.eq_ignore_ascii_case("rpc-v2-cbor"))
    {
        // `/service/<ServiceShape>/operation/<Operation>`
        return call(path.rsplit('/').next().unwrap_or(""), Protocol::RpcV2Cbor);
    }
    if let Some(t) = head.get("x-amz-target") {
        return call(t.rsplit('.').next().unwrap_or(t), Protocol::AwsJson);
    }
    let form = std::str::from_utf8(body).unwrap_or("");
    if let Some(action) = form_value(form, "Action").or_else(|| form_value(query, "Action")) {
        let protocol = if service == "ec2" {
            Protocol::Ec2Query
        } else {
            Protocol::AwsQuery
        };
        return call(action, protocol);
    }
    if service == "s3" {
        let operation = s3_operation(method, path, query);
        // S3 Control signs as `s3`; its paths are versioned.
        let service = if path.starts_with("/v20180820/") {
            "s3control"
        } else {
            "s3"
        };
        return Call {
            service: service.into(),
            operation,
            protocol: Protocol::RestXml,
        };
    }
    call(&format!("{method} {path}"), Protocol::RestJson)
}

/// An unsigned request's service from its host (`iam.amazonaws.com`).
fn service_from_host(host: &str) -> Option<String> {
    let first = host.split('.').next()?;
    (!first.is_empty() && first.parse::<std::net::Ipv4Addr>().is_err() && !first.contains(':'))
        .then(|| first.to_string())
}

/// The S3 (and S3 Control) operation a path-style request names, for the reads Rampart
/// makes; anything else is `METHOD /path`.
pub fn s3_operation(method: &str, path: &str, query: &str) -> String {
    if path.starts_with("/v20180820/") {
        return match (method, path.rsplit('/').next().unwrap_or("")) {
            ("GET", "publicAccessBlock") => "GetPublicAccessBlock".into(),
            _ => format!("{method} {path}"),
        };
    }
    let keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    let has = |k: &str| keys.contains(&k);
    let bucket_level = path.trim_matches('/').split('/').count() <= 1 && path != "/";
    let op = match method {
        "GET" if path == "/" => "ListBuckets",
        "GET" if bucket_level && has("policy") => "GetBucketPolicy",
        "GET" if bucket_level && has("versioning") => "GetBucketVersioning",
        "GET" if bucket_level && has("publicAccessBlock") => "GetPublicAccessBlock",
        "GET" if bucket_level && has("logging") => "GetBucketLogging",
        "GET" if bucket_level && has("location") => "GetBucketLocation",
        "GET" if bucket_level && has("acl") => "GetBucketAcl",
        "GET" if bucket_level => "ListObjects",
        "HEAD" if bucket_level => "HeadBucket",
        "GET" => "GetObject",
        "PUT" => "PutObject",
        _ => return format!("{method} {path}"),
    };
    op.to_string()
}

/// An error answer to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The service's throttling error.
    Throttle,
    /// 503, the service is unavailable.
    Unavailable,
    /// The caller may not (a permanent error: retrying changes nothing).
    Deny,
}

/// Status and code each protocol answers with.
fn status_and_code(call: &Call, answer: Answer) -> (u16, &'static str) {
    use Protocol::*;
    match (call.protocol, answer) {
        (Ec2Query, Answer::Throttle) => (503, "RequestLimitExceeded"),
        (Ec2Query, Answer::Unavailable) => (503, "Unavailable"),
        (Ec2Query, Answer::Deny) => (403, "UnauthorizedOperation"),
        (AwsQuery | RpcV2Cbor, Answer::Throttle) => (400, "Throttling"),
        (AwsQuery | RpcV2Cbor, Answer::Unavailable) => (503, "ServiceUnavailable"),
        (AwsQuery | RpcV2Cbor, Answer::Deny) => (403, "AccessDenied"),
        (AwsJson, Answer::Throttle) if call.service == "organizations" => {
            (400, "TooManyRequestsException")
        }
        (AwsJson, Answer::Throttle) => (400, "ThrottlingException"),
        (AwsJson, Answer::Unavailable) => (503, "ServiceUnavailableException"),
        (AwsJson, Answer::Deny) => (400, "AccessDeniedException"),
        (RestJson, Answer::Throttle)
            if call.service == "access-analyzer" || call.service == "elasticfilesystem" =>
        {
            (429, "ThrottlingException")
        }
        (RestJson, Answer::Throttle) => (429, "TooManyRequestsException"),
        (RestJson, Answer::Unavailable) => (503, "ServiceUnavailableException"),
        (RestJson, Answer::Deny) => (403, "AccessDeniedException"),
        (RestXml, Answer::Throttle) => (503, "SlowDown"),
        (RestXml, Answer::Unavailable) => (503, "ServiceUnavailable"),
        (RestXml, Answer::Deny) => (403, "AccessDenied"),
    }
}

fn message_of(answer: Answer) -> &'static str {
    match answer {
        Answer::Throttle => "Rate exceeded",
        Answer::Unavailable => "Service is unavailable, please try again later",
        Answer::Deny => "User is not authorized to perform this operation",
    }
}

/// The error `call`'s service answers for `answer`, with request id `request_id`.
pub fn error_response(call: &Call, answer: Answer, request_id: &str) -> Message {
    let (status, code) = status_and_code(call, answer);
    let message = message_of(answer);
    let xml = [("Content-Type", "text/xml")];
    let fault_side = if status >= 500 { "Receiver" } else { "Sender" };
    match call.protocol {
        Protocol::AwsQuery => http::response(
            status,
            &xml,
            format!(
                "<ErrorResponse xmlns=\"https://{svc}.amazonaws.com/doc/\"><Error><Type>{fault_side}</Type>\
                 <Code>{code}</Code><Message>{message}</Message></Error>\
                 <RequestId>{request_id}</RequestId></ErrorResponse>",
                svc = call.service
            )
            .into_bytes(),
        ),
        Protocol::Ec2Query => http::response(
            status,
            &xml,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
                 <Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            )
            .into_bytes(),
        ),
        Protocol::AwsJson => http::response(
            status,
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-RequestId", request_id),
            ],
            json_body(Some(code), message),
        ),
        Protocol::RestJson => http::response(
            status,
            &[
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", code),
                ("x-amzn-RequestId", request_id),
            ],
            json_body(None, message),
        ),
        Protocol::RestXml if call.service == "s3control" => {
            // S3 Control wraps its errors as the query protocols do.
            http::response(
                status,
                &xml,
                format!(
                    "<ErrorResponse><Error><Code>{code}</Code><Message>{message}</Message></Error>\
                     <RequestId>{request_id}</RequestId></ErrorResponse>"
                )
                .into_bytes(),
            )
        }
        Protocol::RestXml => http::response(
            status,
            &[("Content-Type", "application/xml"), ("x-amz-request-id", request_id)],
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
                 <RequestId>{request_id}</RequestId><HostId>fault-proxy</HostId></Error>"
            )
            .into_bytes(),
        ),
        Protocol::RpcV2Cbor => {
            // Query-compatible CBOR services (CloudWatch) name the query code in a header; the
            // body carries the shape name.
            let query_error = format!("{code};{fault_side}");
            http::response(
                status,
                &[
                    ("smithy-protocol", "rpc-v2-cbor"),
                    ("Content-Type", "application/cbor"),
                    ("x-amzn-query-error", &query_error),
                    ("x-amzn-RequestId", request_id),
                ],
                cbor_error(code, message),
            )
        }
    }
}

fn json_body(code: Option<&str>, message: &str) -> Vec<u8> {
    let mut v = serde_json::json!({ "message": message });
    if let Some(c) = code {
        v["__type"] = serde_json::Value::String(c.to_string());
    }
    v.to_string().into_bytes()
}

/// `{"__type": code, "message": message}` in CBOR (a definite map of two text pairs).
pub fn cbor_error(code: &str, message: &str) -> Vec<u8> {
    let mut out = vec![0xa2];
    for text in ["__type", code, "message", message] {
        cbor_text(&mut out, text);
    }
    out
}

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    let len = text.len();
    // Major type 3 (text string) with the length in the additional information.
    match len {
        0..=23 => out.push(0x60 | len as u8),
        24..=0xff => out.extend([0x78, len as u8]),
        _ => {
            let n = u16::try_from(len).unwrap_or(u16::MAX);
            out.push(0x79);
            out.extend(n.to_be_bytes());
        }
    }
    out.extend_from_slice(&text.as_bytes()[..len.min(usize::from(u16::MAX))]);
}

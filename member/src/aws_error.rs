//! A failed AWS call, typed: the operation, the service's error code and message, and what kind
//! of failure it is, so callers tell a throttled or interrupted call (try again, paced) from a
//! refusal (access denied: trying again changes nothing).

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::{Deserialize, Serialize};

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The service throttled the call (rate exceeded).
    Throttled,
    /// The call did not complete: a 5xx, a timeout, a dropped connection, a garbled answer.
    Transient,
    /// The caller may not do this.
    Denied,
    /// What the call names is not there.
    NotFound,
    /// The request could not be built, or a recorded state is not usable.
    Invalid,
    #[default]
    Other,
}

/// A failed call (or a failure of the work around one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(from = "Repr")]
pub struct AwsError {
    /// `service:Operation` and what it was about (`kms:DescribeKey k-1`); empty when the
    /// failure was not a call.
    pub operation: String,
    /// The service's error code (`AccessDenied`), when it sent one.
    pub code: Option<String>,
    /// `Code: message`, or what went wrong.
    pub message: String,
    pub kind: ErrorKind,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.operation.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.operation, self.message)
        }
    }
}

/// Saved snapshots of older versions carry errors as plain text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Repr {
    Full {
        operation: String,
        code: Option<String>,
        message: String,
        #[serde(default)]
        kind: ErrorKind,
    },
    Text(String),
}

impl From<Repr> for AwsError {
    fn from(r: Repr) -> Self {
        match r {
            Repr::Full {
                operation,
                code,
                message,
                kind,
            } => AwsError {
                operation,
                code,
                message,
                kind,
            },
            Repr::Text(t) => AwsError::from(t),
        }
    }
}

impl From<String> for AwsError {
    fn from(message: String) -> Self {
        AwsError {
            operation: String::new(),
            code: None,
            message,
            kind: ErrorKind::Other,
        }
    }
}

impl From<&str> for AwsError {
    fn from(message: &str) -> Self {
        AwsError::from(message.to_string())
    }
}

const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "SlowDown",
    "EC2ThrottledException",
    "PriorRequestNotComplete",
];

const TRANSIENT: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
];

const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
    "AuthFailure",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "OptInRequired",
    "UnrecognizedClientException",
];

fn kind_of_code(code: &str) -> Option<ErrorKind> {
    if THROTTLED.contains(&code) {
        Some(ErrorKind::Throttled)
    } else if TRANSIENT.contains(&code) {
        Some(ErrorKind::Transient)
    } else if DENIED.contains(&code) {
        Some(ErrorKind::Denied)
    } else if code.starts_with("NoSuch")
        || code.ends_with("NotFound")
        || code.ends_with("NotFoundException")
    {
        Some(ErrorKind::NotFound)
    } else {
        None
    }
}

fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Transient,
        401 | 403 => ErrorKind::Denied,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::Other,
    }
}

impl AwsError {
    /// A failed SDK call of `operation`.
    pub fn sdk<E>(operation: impl Into<String>, err: &SdkError<E, Response>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().map(str::to_string);
        let kind = match err {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => ErrorKind::Transient,
            SdkError::ConstructionFailure(_) => ErrorKind::Invalid,
            SdkError::ServiceError(ctx) => code
                .as_deref()
                .and_then(kind_of_code)
                .unwrap_or_else(|| kind_of_status(ctx.raw().status().as_u16())),
            _ => code.as_deref().and_then(kind_of_code).unwrap_or_default(),
        };
        AwsError {
            operation: operation.into(),
            code,
            message: crate::error_text::describe(err),
            kind,
        }
    }

    /// A failure around the calls (a recorded state that is not usable, an answer missing a
    /// field).
    pub fn invalid(operation: impl Into<String>, message: impl Into<String>) -> AwsError {
        AwsError {
            operation: operation.into(),
            code: None,
            message: message.into(),
            kind: ErrorKind::Invalid,
        }
    }

    /// Whether another attempt, later and paced, may succeed (throttled or interrupted).
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }

    /// Whether the text names a refusal code anywhere (an error wrapped in another, such as a
    /// credentials provider's failed sts:AssumeRole inside a dispatch failure).
    pub fn names_refusal(&self) -> bool {
        DENIED.iter().any(|c| self.message.contains(c))
    }

    /// Whether the caller was refused.
    pub fn is_denied(&self) -> bool {
        self.kind == ErrorKind::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decide_the_kind_before_the_status() {
        assert_eq!(
            kind_of_code("ThrottlingException"),
            Some(ErrorKind::Throttled)
        );
        assert_eq!(kind_of_code("AccessDenied"), Some(ErrorKind::Denied));
        assert_eq!(kind_of_code("NoSuchEntity"), Some(ErrorKind::NotFound));
        assert_eq!(
            kind_of_code("TrailNotFoundException"),
            Some(ErrorKind::NotFound)
        );
        assert_eq!(kind_of_code("ValidationError"), None);
        assert_eq!(kind_of_status(503), ErrorKind::Transient);
        assert_eq!(kind_of_status(429), ErrorKind::Throttled);
        assert_eq!(kind_of_status(400), ErrorKind::Other);
    }

    #[test]
    fn a_refusal_wrapped_in_a_dispatch_failure_is_named() {
        let e = AwsError {
            operation: "sts:GetCallerIdentity".into(),
            code: None,
            message: "dispatch failure: failed to load credentials: AccessDenied: not authorized"
                .into(),
            kind: ErrorKind::Transient,
        };
        assert!(e.is_transient() && e.names_refusal());
        let reset = AwsError {
            message: "dispatch failure: connection closed before message completed".into(),
            ..e
        };
        assert!(!reset.names_refusal());
    }

    #[test]
    fn older_snapshots_read_plain_text_errors() {
        let e: AwsError = serde_json::from_str("\"kms:ListKeys: AccessDenied: no\"").expect("text");
        assert_eq!(e.to_string(), "kms:ListKeys: AccessDenied: no");
        let full = AwsError {
            operation: "kms:ListKeys".into(),
            code: Some("Throttling".into()),
            message: "Throttling: Rate exceeded".into(),
            kind: ErrorKind::Throttled,
        };
        let back: AwsError =
            serde_json::from_str(&serde_json::to_string(&full).expect("json")).expect("full");
        assert_eq!(back, full);
        assert!(back.is_transient());
        assert_eq!(back.to_string(), "kms:ListKeys: Throttling: Rate exceeded");
    }
}

//! Uploading the HTML report to S3 (encrypted at rest) and handing out a pre-signed GET URL.
//!
//! A SigV4 pre-signed URL is valid for at most 7 days, and only while the credentials that
//! signed it are: a URL signed with temporary credentials (an assumed role, SSO, a Lambda's
//! role) dies when they expire, whatever lifetime it was given. The upload says so instead of
//! printing a URL that stops working early.

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use rampart_member::error_text::describe;
use std::time::{Duration, SystemTime};
use thiserror::Error;

/// What the upload calls with the hub's credentials (`kms:GenerateDataKey` only with SSE-KMS;
/// the pre-signed URL is a GetObject made with the signer's permissions).
pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub/report-upload",
    actions: &["s3:PutObject", "s3:GetObject", "kms:GenerateDataKey"],
};

pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

#[derive(Debug, Error)]
pub enum UploadError {
    #[error("s3:PutObject s3://{bucket}/{key}: {message}")]
    Put {
        bucket: String,
        key: String,
        message: String,
    },
    #[error("cannot pre-sign the report URL: {0}")]
    Presign(String),
}

/// Where and how to upload.
#[derive(Debug, Clone)]
pub struct UploadSpec {
    pub bucket: String,
    pub key: String,
    /// SSE-KMS with this key; SSE-S3 (AES256) when `None`.
    pub kms_key: Option<String>,
    /// Requested URL lifetime (at most 7 days; the config validates it).
    pub url_lifetime: Duration,
}

/// How long a pre-signed URL will actually work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    /// The requested lifetime.
    Full,
    /// The signing credentials expire first: the URL works for this long only.
    Shortened(Duration),
    /// The credentials are temporary but their expiry is unknown.
    UnknownTemporary,
}

/// The lifetime a URL signed now will have, given the signing credentials' expiry.
pub fn validity(
    requested: Duration,
    now: SystemTime,
    expiry: Option<SystemTime>,
    temporary: bool,
) -> Validity {
    match expiry {
        Some(t) => {
            let left = t.duration_since(now).unwrap_or_default();
            if left < requested {
                Validity::Shortened(left)
            } else {
                Validity::Full
            }
        }
        None if temporary => Validity::UnknownTemporary,
        None => Validity::Full,
    }
}

/// `3h 20m`, for messages.
pub fn human(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    match (mins / 60, mins % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// The object key of a run's report: `<prefix>/<run id>.html`.
pub fn object_key(prefix: &str, run_id: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        format!("{run_id}.html")
    } else {
        format!("{prefix}/{run_id}.html")
    }
}

/// A finished upload.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub s3_uri: String,
    pub url: String,
    pub validity: Validity,
    /// A warning for the user when the URL will not live as long as asked.
    pub warning: Option<String>,
}

/// Uploads `html` with `cfg` (the hub's credentials and region) and pre-signs a GET URL.
pub async fn upload(
    cfg: &SdkConfig,
    spec: &UploadSpec,
    html: String,
) -> Result<Uploaded, UploadError> {
    let client = aws_sdk_s3::Client::new(cfg);
    let mut put = client
        .put_object()
        .bucket(&spec.bucket)
        .key(&spec.key)
        .content_type(CONTENT_TYPE)
        .body(ByteStream::from(html.into_bytes()));
    put = match &spec.kms_key {
        Some(k) => put
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(k),
        None => put.server_side_encryption(ServerSideEncryption::Aes256),
    };
    put.send().await.map_err(|e| UploadError::Put {
        bucket: spec.bucket.clone(),
        key: spec.key.clone(),
        message: describe(&e),
    })?;

    // The credentials that will sign: their expiry bounds the URL's life.
    let (expiry, temporary) = match cfg.credentials_provider() {
        Some(p) => match p.provide_credentials().await {
            Ok(c) => (c.expiry(), c.session_token().is_some()),
            Err(e) => return Err(UploadError::Presign(e.to_string())),
        },
        None => (None, false),
    };
    let validity = validity(spec.url_lifetime, SystemTime::now(), expiry, temporary);
    let requested = human(spec.url_lifetime);
    let warning = match &validity {
        Validity::Full => None,
        Validity::Shortened(left) => Some(format!(
            "the report URL is valid for {} only, not the requested {requested}: it is signed with temporary credentials that expire at {}; sign with longer-lived credentials for a longer-lived URL",
            human(*left),
            expiry
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default()
        )),
        Validity::UnknownTemporary => Some(format!(
            "the report URL is signed with temporary credentials (session token, expiry unknown): it stops working when they expire, which may be before the requested {requested}"
        )),
    };
    // Sign for no longer than the credentials live: a longer signature would not help.
    let sign_for = match &validity {
        Validity::Shortened(left) => (*left).max(Duration::from_secs(1)),
        _ => spec.url_lifetime,
    };
    let presigning =
        PresigningConfig::expires_in(sign_for).map_err(|e| UploadError::Presign(e.to_string()))?;
    let req = client
        .get_object()
        .bucket(&spec.bucket)
        .key(&spec.key)
        .presigned(presigning)
        .await
        .map_err(|e| UploadError::Presign(describe(&e)))?;
    Ok(Uploaded {
        s3_uri: format!("s3://{}/{}", spec.bucket, spec.key),
        url: req.uri().to_string(),
        validity,
        warning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3600;

    #[test]
    fn credentials_expiring_first_shorten_the_url() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let week = Duration::from_secs(168 * H);
        assert_eq!(validity(week, now, None, false), Validity::Full);
        assert_eq!(validity(week, now, None, true), Validity::UnknownTemporary);
        let in_1h = now + Duration::from_secs(H);
        assert_eq!(
            validity(week, now, Some(in_1h), true),
            Validity::Shortened(Duration::from_secs(H))
        );
        let in_8d = now + Duration::from_secs(192 * H);
        assert_eq!(validity(week, now, Some(in_8d), true), Validity::Full);
        // Already expired: zero, never a wrap-around.
        let past = now - Duration::from_secs(5);
        assert_eq!(
            validity(week, now, Some(past), true),
            Validity::Shortened(Duration::ZERO)
        );
    }

    #[test]
    fn keys_and_durations_read_well() {
        assert_eq!(
            object_key("rampart-reports/", "r1"),
            "rampart-reports/r1.html"
        );
        assert_eq!(object_key("/a/b/", "r1"), "a/b/r1.html");
        assert_eq!(object_key("", "r1"), "r1.html");
        assert_eq!(human(Duration::from_secs(168 * H)), "168h");
        assert_eq!(human(Duration::from_secs(H + 20 * 60)), "1h 20m");
        assert_eq!(human(Duration::from_secs(59)), "0m");
    }
}

//! The IAM credential report: generated once per account per run, polled with backoff.

use crate::aws_error::AwsError;
use crate::credential_report::{self, CredentialReport};
use crate::error_text::is_code;
use crate::ratelimit::RateLimiter;
use rampart_common::Permissions;
use std::time::Duration;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/credential-report",
    actions: &["iam:GenerateCredentialReport", "iam:GetCredentialReport"],
};

/// Polls at most this long for the report before giving up with an error (never a pass).
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// Generates (or reuses a fresh) credential report and returns it parsed.
pub async fn collect(
    client: &aws_sdk_iam::Client,
    rl: &RateLimiter,
) -> Result<CredentialReport, AwsError> {
    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(200);
    let mut generate = true;
    loop {
        if generate {
            rl.acquire().await;
            match client.generate_credential_report().send().await {
                Ok(_) => generate = false,
                // Another caller is generating one right now: poll for it.
                Err(e) if is_code(&e, "LimitExceeded") || is_code(&e, "LimitExceededException") => {
                    generate = false
                }
                Err(e) => return Err(AwsError::sdk("iam:GenerateCredentialReport", &e)),
            }
        }
        rl.acquire().await;
        match client.get_credential_report().send().await {
            Ok(out) => {
                let bytes = out
                    .content()
                    .map(|b| b.as_ref().to_vec())
                    .unwrap_or_default();
                let text = String::from_utf8(bytes)
                    .map_err(|_| "credential report is not UTF-8".to_string())?;
                let generated_at = out
                    .generated_time()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
                    .unwrap_or_else(chrono::Utc::now);
                return credential_report::parse(&text, generated_at).map_err(AwsError::from);
            }
            Err(e) if is_code(&e, "ReportInProgress") => {}
            Err(e) if is_code(&e, "ReportNotPresent") || is_code(&e, "ReportExpired") => {
                generate = true
            }
            Err(e) => return Err(AwsError::sdk("iam:GetCredentialReport", &e)),
        }
        if start.elapsed() + delay > MAX_WAIT {
            return Err(
                format!("credential report not ready after {}s", MAX_WAIT.as_secs()).into(),
            );
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

//! Building the hub's base SDK configuration: the standard credential chain, profile, region,
//! endpoint override and the SDK's own retry configuration.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_types::region::Region;

/// How to reach AWS (or an emulator).
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// `standard` or `adaptive`.
    pub retry_mode: String,
    pub max_attempts: u32,
}

/// Loads the base config; `AWS_ENDPOINT_URL`, `AWS_REGION` and `AWS_PROFILE` are honoured by
/// the loader itself when the options leave them unset.
pub async fn load(opts: &AwsOptions) -> SdkConfig {
    let retry = if opts.retry_mode == "standard" {
        RetryConfig::standard()
    } else {
        RetryConfig::adaptive()
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry.with_max_attempts(opts.max_attempts.max(1)));
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    loader.load().await
}

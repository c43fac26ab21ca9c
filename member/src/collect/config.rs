//! AWS Config (regional): configuration recorders and whether they record.
//!
//! `collect` is also what the Config.1 remedy plans on.

use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::ConfigRecorder;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/config",
    actions: &[
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
    ],
};

pub async fn collect(
    client: &aws_sdk_config::Client,
    rl: &RateLimiter,
) -> Result<Vec<ConfigRecorder>, AwsError> {
    rl.acquire().await;
    let recorders = client
        .describe_configuration_recorders()
        .send()
        .await
        .map_err(|e| AwsError::sdk("config:DescribeConfigurationRecorders", &e))?;
    if recorders.configuration_recorders().is_empty() {
        return Ok(Vec::new());
    }
    rl.acquire().await;
    let status = client
        .describe_configuration_recorder_status()
        .send()
        .await
        .map_err(|e| AwsError::sdk("config:DescribeConfigurationRecorderStatus", &e))?;
    Ok(recorders
        .configuration_recorders()
        .iter()
        .map(|r| {
            let name = r.name().unwrap_or_default().to_string();
            let st = status
                .configuration_recorders_status()
                .iter()
                .find(|s| s.name() == Some(name.as_str()));
            ConfigRecorder {
                all_supported: r.recording_group().is_some_and(|g| g.all_supported()),
                include_global_resource_types: r
                    .recording_group()
                    .is_some_and(|g| g.include_global_resource_types()),
                strategy: r
                    .recording_group()
                    .and_then(|g| g.recording_strategy())
                    .and_then(|s| s.use_only())
                    .map(|u| u.as_str().to_string()),
                resource_types: r
                    .recording_group()
                    .map(|g| {
                        g.resource_types()
                            .iter()
                            .map(|t| t.as_str().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                recording: st.is_some_and(|s| s.recording()),
                role_arn: r.role_arn().map(str::to_string),
                last_status: st
                    .and_then(|s| s.last_status())
                    .map(|x| x.as_str().to_string()),
                name,
            }
        })
        .collect())
}

/// The names of the region's delivery channels. Not part of the assessment: the remedy that
/// reads them declares the call.
pub async fn delivery_channels(
    client: &aws_sdk_config::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    rl.acquire().await;
    let out = client
        .describe_delivery_channels()
        .send()
        .await
        .map_err(|e| AwsError::sdk("config:DescribeDeliveryChannels", &e))?;
    Ok(out
        .delivery_channels()
        .iter()
        .map(|c| c.name().unwrap_or_default().to_string())
        .collect())
}

//! CloudTrail (collected once per account from the home region, shadow trails included).

use super::in_region;
use crate::error_text::describe;
use crate::ratelimit::RateLimiter;
use crate::snapshot::{CloudTrailSnapshot, Collected, ManagementEvents, Trail};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::ReadWriteType;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/cloudtrail",
    actions: &[
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ],
};

pub async fn collect(home: &SdkConfig, rl: &RateLimiter) -> Result<CloudTrailSnapshot, String> {
    let client = aws_sdk_cloudtrail::Client::new(home);
    rl.acquire().await;
    let out = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| format!("cloudtrail:DescribeTrails: {}", describe(&e)))?;
    let home_region = home.region().map(|r| r.to_string()).unwrap_or_default();
    let mut trails = Vec::new();
    for t in out.trail_list() {
        let arn = t.trail_arn().unwrap_or_default().to_string();
        let trail_home = t.home_region().unwrap_or(&home_region).to_string();
        // Status and selectors are read from the trail's home region, where it is not a shadow.
        let regional = if trail_home == home_region {
            client.clone()
        } else {
            aws_sdk_cloudtrail::Client::new(&in_region(home, &trail_home))
        };
        let (is_logging, management_events) =
            tokio::join!(status(&regional, &arn, rl), selectors(&regional, &arn, rl));
        trails.push(Trail {
            name: t.name().unwrap_or_default().to_string(),
            arn,
            home_region: trail_home,
            is_multi_region: t.is_multi_region_trail().unwrap_or(false),
            is_organization_trail: t.is_organization_trail().unwrap_or(false),
            log_file_validation: t.log_file_validation_enabled().unwrap_or(false),
            s3_bucket: t.s3_bucket_name().map(str::to_string),
            kms_key_id: t.kms_key_id().map(str::to_string),
            cloudwatch_logs_group_arn: t.cloud_watch_logs_log_group_arn().map(str::to_string),
            is_logging,
            management_events,
        });
    }
    Ok(CloudTrailSnapshot { trails })
}

async fn status(
    client: &aws_sdk_cloudtrail::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Collected<bool> {
    rl.acquire().await;
    match client.get_trail_status().name(arn).send().await {
        Ok(s) => Collected::Ok(s.is_logging().unwrap_or(false)),
        Err(e) => Collected::Err(format!("cloudtrail:GetTrailStatus {arn}: {}", describe(&e))),
    }
}

async fn selectors(
    client: &aws_sdk_cloudtrail::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Collected<ManagementEvents> {
    rl.acquire().await;
    let out = match client.get_event_selectors().trail_name(arn).send().await {
        Ok(o) => o,
        Err(e) => {
            return Collected::Err(format!(
                "cloudtrail:GetEventSelectors {arn}: {}",
                describe(&e)
            ))
        }
    };
    let mut m = ManagementEvents {
        read: false,
        write: false,
    };
    for s in out.event_selectors() {
        if s.include_management_events().unwrap_or(true) {
            match s.read_write_type() {
                Some(ReadWriteType::ReadOnly) => m.read = true,
                Some(ReadWriteType::WriteOnly) => m.write = true,
                // All, or absent (the API's default is All).
                _ => {
                    m.read = true;
                    m.write = true;
                }
            }
        }
    }
    for s in out.advanced_event_selectors() {
        let mut is_management = false;
        let mut read_only: Option<bool> = None;
        for f in s.field_selectors() {
            match f.field() {
                "eventCategory" => is_management = f.equals().iter().any(|v| v == "Management"),
                "readOnly" => read_only = f.equals().first().map(|v| v == "true"),
                _ => {}
            }
        }
        if is_management {
            match read_only {
                Some(true) => m.read = true,
                Some(false) => m.write = true,
                None => {
                    m.read = true;
                    m.write = true;
                }
            }
        }
    }
    Collected::Ok(m)
}

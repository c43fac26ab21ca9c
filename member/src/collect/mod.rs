//! Collectors: read one service's configuration into snapshot data, paginating every list.
//!
//! Each collector declares the IAM actions it calls ([`PERMISSIONS`]); the member role in
//! stacksets/ is tested against these declarations.

pub mod cloudtrail;
pub mod config;
pub mod credential_report;
pub mod ec2;
pub mod iam;
pub mod monitoring;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{AccountSnapshot, RegionSnapshot};
use aws_config::SdkConfig;
use aws_types::region::Region;
use rampart_common::asff::partition_of;
use rampart_common::Permissions;

/// Every collector's permission declaration.
pub const PERMISSIONS: &[Permissions] = &[
    iam::PERMISSIONS,
    iam::AUTHORIZATION_PERMISSIONS,
    credential_report::PERMISSIONS,
    cloudtrail::PERMISSIONS,
    ec2::PERMISSIONS,
    config::PERMISSIONS,
    monitoring::PERMISSIONS,
    crate::securityhub::COLLECT_PERMISSIONS,
];

/// An SDK config for the same credentials in another region.
pub fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}

/// Collects the account-wide (global) part of a snapshot, services in parallel.
pub async fn collect_account(
    sdk: &SdkConfig,
    account_id: &str,
    home_region: &str,
    rl: &RateLimiter,
) -> AccountSnapshot {
    let home = in_region(sdk, home_region);
    let iam_client = aws_sdk_iam::Client::new(&home);
    let partition = partition_of(home_region);
    let (iam, authorization, credentials, (cloudtrail, monitoring)) = tokio::join!(
        iam::collect(&iam_client, rl),
        iam::collect_authorization(&iam_client, partition, rl),
        credential_report::collect(&iam_client, rl),
        async {
            let ct = cloudtrail::collect(&home, rl).await;
            // The chain starts at the trails; without them it cannot be read either.
            let mon = match &ct {
                Ok(c) => monitoring::collect(&home, &c.trails, rl).await,
                Err(e) => Err(format!("monitoring chain not read: {e}")),
            };
            (ct, mon)
        }
    );
    AccountSnapshot {
        account_id: account_id.to_string(),
        partition: partition_of(home_region).to_string(),
        iam: iam.into(),
        cloudtrail: cloudtrail.into(),
        credentials: credentials.into(),
        authorization: authorization.into(),
        monitoring: monitoring.into(),
    }
}

/// Collects the regional part of a snapshot.
pub async fn collect_region(
    sdk: &SdkConfig,
    account_id: &str,
    region: &str,
    rl: &RateLimiter,
) -> RegionSnapshot {
    let cfg = in_region(sdk, region);
    let ec2_client = aws_sdk_ec2::Client::new(&cfg);
    let securityhub_client = aws_sdk_securityhub::Client::new(&cfg);
    let config_client = aws_sdk_config::Client::new(&cfg);
    let (ec2, securityhub_enabled, config_recorders) = tokio::join!(
        ec2::collect(&ec2_client, rl),
        async {
            rl.acquire().await;
            crate::securityhub::is_enabled(&securityhub_client).await
        },
        config::collect(&config_client, rl)
    );
    RegionSnapshot {
        account_id: account_id.to_string(),
        region: region.to_string(),
        partition: partition_of(region).to_string(),
        ec2: ec2.into(),
        securityhub_enabled: securityhub_enabled.into(),
        config_recorders: config_recorders.into(),
    }
}

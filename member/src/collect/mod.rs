//! Collectors: read one service's configuration into snapshot data, paginating every list.
//!
//! Each collector declares the IAM actions it calls ([`PERMISSIONS`]); the member role in
//! stacksets/ is tested against these declarations.

pub mod accessanalyzer;
pub mod account;
pub mod cloudtrail;
pub mod config;
pub mod credential_report;
pub mod ec2;
pub mod iam;
pub mod iam_inventory;
pub mod iam_keys;
pub mod kms;
pub mod monitoring;
pub mod organization;
pub mod rds;
pub mod region;
pub mod s3;
pub mod s3control;

use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use crate::snapshot::{AccountSnapshot, RegionSnapshot};
use aws_config::SdkConfig;
use rampart_common::asff::partition_of;
use rampart_common::Permissions;
pub use region::in_region;

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
    iam_inventory::PERMISSIONS,
    account::PERMISSIONS,
    s3::PERMISSIONS,
    s3control::PERMISSIONS,
    accessanalyzer::PERMISSIONS,
    rds::PERMISSIONS,
    kms::PERMISSIONS,
];

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
    let account_client = aws_sdk_account::Client::new(&home);
    let (
        iam,
        authorization,
        credentials,
        (cloudtrail, monitoring, s3),
        (root_virtual_mfa, server_certificates, security_contact),
    ) = tokio::join!(
        iam::collect(&iam_client, rl),
        iam::collect_authorization(&iam_client, partition, rl),
        credential_report::collect(&iam_client, rl),
        async {
            let ct = cloudtrail::collect(&home, rl).await;
            // The chain starts at the trails; without them it cannot be read either.
            let (mon, s3) = match &ct {
                Ok(c) => {
                    let trail_buckets: Vec<String> = c
                        .trails
                        .iter()
                        .filter_map(|t| t.s3_bucket.clone())
                        .collect();
                    tokio::join!(
                        monitoring::collect(&home, &c.trails, rl),
                        s3::collect(&home, account_id, &trail_buckets, rl)
                    )
                }
                Err(e) => (
                    // Keeps the trails' error kind: a throttled DescribeTrails is worth
                    // reading again for the chain too.
                    Err(AwsError {
                        operation: String::new(),
                        code: e.code.clone(),
                        message: format!("monitoring chain not read: {e}"),
                        kind: e.kind,
                    }),
                    // Buckets are still read; only 3.4 needs the trails, and it errors on them.
                    s3::collect(&home, account_id, &[], rl).await,
                ),
            };
            (ct, mon, s3)
        },
        async {
            tokio::join!(
                iam_inventory::root_virtual_mfa(&iam_client, rl),
                iam_inventory::server_certificates(&iam_client, rl),
                account::security_contact(&account_client, rl)
            )
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
        root_virtual_mfa: root_virtual_mfa.into(),
        server_certificates: server_certificates.into(),
        security_contact: security_contact.into(),
        s3: s3.into(),
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
    let analyzer_client = aws_sdk_accessanalyzer::Client::new(&cfg);
    let rds_client = aws_sdk_rds::Client::new(&cfg);
    let efs_client = aws_sdk_efs::Client::new(&cfg);
    let kms_client = aws_sdk_kms::Client::new(&cfg);
    let (
        ec2,
        securityhub_enabled,
        config_recorders,
        (access_analyzers, rds_instances, efs_file_systems, kms_keys),
    ) = tokio::join!(
        ec2::collect(&ec2_client, rl),
        async {
            rl.acquire().await;
            crate::securityhub::is_enabled(&securityhub_client).await
        },
        config::collect(&config_client, rl),
        async {
            tokio::join!(
                accessanalyzer::collect(&analyzer_client, rl),
                rds::db_instances(&rds_client, rl),
                rds::file_systems(&efs_client, rl),
                kms::collect(&kms_client, rl)
            )
        }
    );
    RegionSnapshot {
        account_id: account_id.to_string(),
        region: region.to_string(),
        partition: partition_of(region).to_string(),
        ec2: ec2.into(),
        securityhub_enabled: securityhub_enabled.into(),
        config_recorders: config_recorders.into(),
        access_analyzers: access_analyzers.into(),
        rds_instances: rds_instances.into(),
        efs_file_systems: efs_file_systems.into(),
        kms_keys: kms_keys.into(),
    }
}

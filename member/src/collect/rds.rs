//! RDS and EFS (regional): DB instances (2.3.x) and EFS file systems (2.4.1).

use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{DbInstance, FileSystem};
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/rds-efs",
    actions: &[
        "rds:DescribeDBInstances",
        "elasticfilesystem:DescribeFileSystems",
    ],
};

pub async fn db_instances(
    client: &aws_sdk_rds::Client,
    rl: &RateLimiter,
) -> Result<Vec<DbInstance>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .describe_db_instances()
            .max_records(100)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("rds:DescribeDBInstances", &e))?;
        out.extend(page.db_instances().iter().map(|d| DbInstance {
            id: d.db_instance_identifier().unwrap_or_default().to_string(),
            arn: d.db_instance_arn().unwrap_or_default().to_string(),
            engine: d.engine().unwrap_or_default().to_string(),
            storage_encrypted: d.storage_encrypted().unwrap_or(false),
            auto_minor_version_upgrade: d.auto_minor_version_upgrade().unwrap_or(false),
            // Absent means private (the API's default for instances in a VPC).
            publicly_accessible: d.publicly_accessible().unwrap_or(false),
            multi_az: d.multi_az().unwrap_or(false),
        }));
        match page.marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn file_systems(
    client: &aws_sdk_efs::Client,
    rl: &RateLimiter,
) -> Result<Vec<FileSystem>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .describe_file_systems()
            .max_items(100)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("elasticfilesystem:DescribeFileSystems", &e))?;
        out.extend(page.file_systems().iter().map(|f| FileSystem {
            id: f.file_system_id().to_string(),
            arn: f.file_system_arn().unwrap_or_default().to_string(),
            encrypted: f.encrypted().unwrap_or(false),
        }));
        match page.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

//! RDS and EFS (regional): DB instances (2.3.x) and EFS file systems (2.4.1); DB clusters,
//! manual snapshots and who may restore them, which the RDS remedies read.

use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{DbCluster, DbInstance, DbSnapshot, FileSystem, Tags};
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/rds-efs",
    actions: &[
        "rds:DescribeDBInstances",
        "elasticfilesystem:DescribeFileSystems",
    ],
};

fn tags(tags: &[aws_sdk_rds::types::Tag]) -> Tags {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub async fn db_instances(
    client: &aws_sdk_rds::Client,
    rl: &RateLimiter,
) -> Result<Vec<DbInstance>, AwsError> {
    db_instances_named(client, None, rl).await
}

/// The DB instances of the region, or only the one named `id` (none when it does not exist).
pub async fn db_instances_named(
    client: &aws_sdk_rds::Client,
    id: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<DbInstance>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = match client
            .describe_db_instances()
            .set_db_instance_identifier(id.map(str::to_string))
            .max_records(100)
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_db_instance_not_found_fault()) =>
            {
                return Ok(out)
            }
            Err(e) => return Err(AwsError::sdk("rds:DescribeDBInstances", &e)),
        };
        out.extend(page.db_instances().iter().map(|d| {
            DbInstance {
                id: d.db_instance_identifier().unwrap_or_default().to_string(),
                arn: d.db_instance_arn().unwrap_or_default().to_string(),
                engine: d.engine().unwrap_or_default().to_string(),
                storage_encrypted: d.storage_encrypted().unwrap_or(false),
                auto_minor_version_upgrade: d.auto_minor_version_upgrade().unwrap_or(false),
                // Absent means private (the API's default for instances in a VPC).
                publicly_accessible: d.publicly_accessible().unwrap_or(false),
                multi_az: d.multi_az().unwrap_or(false),
                deletion_protection: d.deletion_protection().unwrap_or(false),
                cluster: d
                    .db_cluster_identifier()
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
                tags: tags(d.tag_list()),
            }
        }));
        match page.marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The DB clusters of the region, or only the one named `id` (none when it does not exist).
pub async fn db_clusters(
    client: &aws_sdk_rds::Client,
    id: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<DbCluster>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = match client
            .describe_db_clusters()
            .set_db_cluster_identifier(id.map(str::to_string))
            .max_records(100)
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_db_cluster_not_found_fault()) =>
            {
                return Ok(out)
            }
            Err(e) => return Err(AwsError::sdk("rds:DescribeDBClusters", &e)),
        };
        out.extend(page.db_clusters().iter().map(|c| DbCluster {
            id: c.db_cluster_identifier().unwrap_or_default().to_string(),
            arn: c.db_cluster_arn().unwrap_or_default().to_string(),
            engine: c.engine().unwrap_or_default().to_string(),
            deletion_protection: c.deletion_protection().unwrap_or(false),
            copy_tags_to_snapshot: c.copy_tags_to_snapshot().unwrap_or(false),
            tags: tags(c.tag_list()),
        }));
        match page.marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The manual DB snapshots of the region (automated ones cannot be shared), or only the one
/// named `id` (none when it does not exist).
pub async fn db_snapshots(
    client: &aws_sdk_rds::Client,
    id: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<DbSnapshot>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = match client
            .describe_db_snapshots()
            .snapshot_type("manual")
            .set_db_snapshot_identifier(id.map(str::to_string))
            .max_records(100)
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_db_snapshot_not_found_fault()) =>
            {
                return Ok(out)
            }
            Err(e) => return Err(AwsError::sdk("rds:DescribeDBSnapshots", &e)),
        };
        out.extend(page.db_snapshots().iter().map(|s| DbSnapshot {
            id: s.db_snapshot_identifier().unwrap_or_default().to_string(),
            arn: s.db_snapshot_arn().unwrap_or_default().to_string(),
            cluster: false,
            tags: tags(s.tag_list()),
        }));
        match page.marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The manual DB cluster snapshots of the region, or only the one named `id`.
pub async fn db_cluster_snapshots(
    client: &aws_sdk_rds::Client,
    id: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<DbSnapshot>, AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = match client
            .describe_db_cluster_snapshots()
            .snapshot_type("manual")
            .set_db_cluster_snapshot_identifier(id.map(str::to_string))
            .max_records(100)
            .set_marker(marker.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_db_cluster_snapshot_not_found_fault()) =>
            {
                return Ok(out)
            }
            Err(e) => return Err(AwsError::sdk("rds:DescribeDBClusterSnapshots", &e)),
        };
        out.extend(page.db_cluster_snapshots().iter().map(|s| {
            DbSnapshot {
                id: s
                    .db_cluster_snapshot_identifier()
                    .unwrap_or_default()
                    .to_string(),
                arn: s.db_cluster_snapshot_arn().unwrap_or_default().to_string(),
                cluster: true,
                tags: tags(s.tag_list()),
            }
        }));
        match page.marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Who may restore the snapshot: account ids, or `all` when it is public.
pub async fn snapshot_restore(
    client: &aws_sdk_rds::Client,
    snapshot: &DbSnapshot,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    rl.acquire().await;
    let attrs: Vec<(String, Vec<String>)> = if snapshot.cluster {
        let out = client
            .describe_db_cluster_snapshot_attributes()
            .db_cluster_snapshot_identifier(&snapshot.id)
            .send()
            .await
            .map_err(|e| AwsError::sdk("rds:DescribeDBClusterSnapshotAttributes", &e))?;
        out.db_cluster_snapshot_attributes_result()
            .map(|r| {
                r.db_cluster_snapshot_attributes()
                    .iter()
                    .map(|a| {
                        let name = a.attribute_name().unwrap_or_default().to_string();
                        (name, a.attribute_values().to_vec())
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        let out = client
            .describe_db_snapshot_attributes()
            .db_snapshot_identifier(&snapshot.id)
            .send()
            .await
            .map_err(|e| AwsError::sdk("rds:DescribeDBSnapshotAttributes", &e))?;
        out.db_snapshot_attributes_result()
            .map(|r| {
                r.db_snapshot_attributes()
                    .iter()
                    .map(|a| {
                        let name = a.attribute_name().unwrap_or_default().to_string();
                        (name, a.attribute_values().to_vec())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(attrs
        .into_iter()
        .filter(|(name, _)| name == "restore")
        .flat_map(|(_, values)| values)
        .collect())
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

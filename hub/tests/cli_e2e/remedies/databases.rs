//! Cases of the databases remedies: Redshift cluster settings (Redshift.1 public access,
//! Redshift.3 automated snapshots, Redshift.6 major version upgrades) and ElastiCache settings
//! (ElastiCache.1 automatic backups of a replication group, ElastiCache.2 minor version
//! upgrades of a cache cluster).

use super::{Accounts, Case, Planted, State, REGION};
use serde_json::{json, Value};

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            control: "Redshift.1",
            plant: |a| Box::pin(plant_clusters(a, Redshift::Public)),
            state: |a, p| Box::pin(clusters_state(a, p)),
        },
        Case {
            control: "Redshift.3",
            plant: |a| Box::pin(plant_clusters(a, Redshift::NoSnapshots)),
            state: |a, p| Box::pin(clusters_state(a, p)),
        },
        Case {
            control: "Redshift.6",
            plant: |a| Box::pin(plant_clusters(a, Redshift::NoMajorUpgrades)),
            state: |a, p| Box::pin(clusters_state(a, p)),
        },
        Case {
            control: "ElastiCache.1",
            plant: |a| Box::pin(plant_groups(a)),
            state: |a, p| Box::pin(groups_state(a, p)),
        },
        Case {
            control: "ElastiCache.2",
            plant: |a| Box::pin(plant_cache_clusters(a)),
            state: |a, p| Box::pin(cache_clusters_state(a, p)),
        },
    ]
}

fn text(p: &Planted, k: &str) -> String {
    p.data[k].as_str().unwrap_or_default().to_string()
}

/// What is wrong with the planted Redshift cluster (its neighbour has it right).
#[derive(Clone, Copy)]
enum Redshift {
    Public,
    NoSnapshots,
    NoMajorUpgrades,
}

fn redshift(a: &Accounts) -> aws_sdk_redshift::Client {
    aws_sdk_redshift::Client::new(&a.cfg)
}

/// A single-node cluster with the three settings as given, tagged like a real one.
async fn cluster(rs: &aws_sdk_redshift::Client, id: &str, public: bool, days: i32, upgrades: bool) {
    rs.create_cluster()
        .cluster_identifier(id)
        .node_type("dc2.large")
        .cluster_type("single-node")
        .master_username("rampart")
        .master_user_password("NotARealPassword1")
        .publicly_accessible(public)
        .automated_snapshot_retention_period(days)
        .allow_version_upgrade(upgrades)
        .tags(
            aws_sdk_redshift::types::Tag::builder()
                .key("team")
                .value("data")
                .build(),
        )
        .send()
        .await
        .expect("create redshift cluster");
}

async fn plant_clusters(a: &Accounts, wrong: Redshift) -> Planted {
    let rs = redshift(a);
    let bad = match wrong {
        Redshift::Public => (true, 7, true),
        Redshift::NoSnapshots => (false, 0, true),
        Redshift::NoMajorUpgrades => (false, 7, false),
    };
    cluster(&rs, "target", bad.0, bad.1, bad.2).await;
    cluster(&rs, "neighbour", false, 7, true).await;
    Planted {
        resource: Some(format!("arn:aws:redshift:{REGION}:{}:cluster:target", a.id)),
        data: json!({"target": "target", "neighbour": "neighbour"}),
    }
}

/// All DescribeClusters shows of the cluster (nothing of it moves by itself).
async fn describe_cluster(rs: &aws_sdk_redshift::Client, id: &str) -> Value {
    let out = rs
        .describe_clusters()
        .cluster_identifier(id)
        .send()
        .await
        .expect("describe redshift cluster");
    json!(format!("{:?}", out.clusters()[0]))
}

async fn clusters_state(a: &Accounts, p: &Planted) -> State {
    let rs = redshift(a);
    State {
        target: describe_cluster(&rs, &text(p, "target")).await,
        neighbour: describe_cluster(&rs, &text(p, "neighbour")).await,
    }
}

fn elasticache(a: &Accounts) -> aws_sdk_elasticache::Client {
    aws_sdk_elasticache::Client::new(&a.cfg)
}

fn team_tag() -> aws_sdk_elasticache::types::Tag {
    aws_sdk_elasticache::types::Tag::builder()
        .key("team")
        .value("data")
        .build()
}

/// A one-node Redis OSS replication group keeping automatic backups for `days`.
async fn group(ec: &aws_sdk_elasticache::Client, id: &str, days: i32) -> String {
    let out = ec
        .create_replication_group()
        .replication_group_id(id)
        .replication_group_description("sessions")
        .engine("redis")
        .cache_node_type("cache.t4g.micro")
        .num_cache_clusters(1)
        .snapshot_retention_limit(days)
        .tags(team_tag())
        .send()
        .await
        .expect("create replication group");
    out.replication_group()
        .and_then(|g| g.arn())
        .expect("replication group ARN")
        .to_string()
}

async fn plant_groups(a: &Accounts) -> Planted {
    let ec = elasticache(a);
    let arn = group(&ec, "target", 0).await;
    group(&ec, "neighbour", 1).await;
    Planted {
        resource: Some(arn),
        data: json!({"target": "target", "neighbour": "neighbour"}),
    }
}

/// All DescribeReplicationGroups shows of the group (nothing of it moves by itself).
async fn describe_group(ec: &aws_sdk_elasticache::Client, id: &str) -> Value {
    let out = ec
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
        .expect("describe replication group");
    json!(format!("{:?}", out.replication_groups()[0]))
}

async fn groups_state(a: &Accounts, p: &Planted) -> State {
    let ec = elasticache(a);
    State {
        target: describe_group(&ec, &text(p, "target")).await,
        neighbour: describe_group(&ec, &text(p, "neighbour")).await,
    }
}

/// A one-node Redis OSS cache cluster outside any replication group.
async fn cache_cluster(ec: &aws_sdk_elasticache::Client, id: &str, minor: bool) -> String {
    let out = ec
        .create_cache_cluster()
        .cache_cluster_id(id)
        .engine("redis")
        .cache_node_type("cache.t4g.micro")
        .num_cache_nodes(1)
        .auto_minor_version_upgrade(minor)
        .snapshot_retention_limit(1)
        .tags(team_tag())
        .send()
        .await
        .expect("create cache cluster");
    out.cache_cluster()
        .and_then(|c| c.arn())
        .expect("cache cluster ARN")
        .to_string()
}

async fn plant_cache_clusters(a: &Accounts) -> Planted {
    let ec = elasticache(a);
    let arn = cache_cluster(&ec, "target", false).await;
    cache_cluster(&ec, "neighbour", true).await;
    Planted {
        resource: Some(arn),
        data: json!({"target": "target", "neighbour": "neighbour"}),
    }
}

/// All DescribeCacheClusters shows of the cluster (nothing of it moves by itself).
async fn describe_cache_cluster(ec: &aws_sdk_elasticache::Client, id: &str) -> Value {
    let out = ec
        .describe_cache_clusters()
        .cache_cluster_id(id)
        .send()
        .await
        .expect("describe cache cluster");
    json!(format!("{:?}", out.cache_clusters()[0]))
}

async fn cache_clusters_state(a: &Accounts, p: &Planted) -> State {
    let ec = elasticache(a);
    State {
        target: describe_cache_cluster(&ec, &text(p, "target")).await,
        neighbour: describe_cache_cluster(&ec, &text(p, "neighbour")).await,
    }
}

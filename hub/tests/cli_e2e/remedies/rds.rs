//! Cases of the RDS remedies: DB instance settings (RDS.2 public access, RDS.13 minor version
//! upgrades, RDS.8 deletion protection), DB cluster settings (RDS.7 deletion protection,
//! RDS.16 copy tags to snapshots) and public manual DB and DB cluster snapshots (RDS.1).

use super::{Accounts, Case, Planted, State, REGION};
use aws_sdk_rds::types::Tag;
use serde_json::{json, Value};

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            control: "RDS.2",
            plant: |a| Box::pin(plant_instances(a, Instance::Public)),
            state: |a, p| Box::pin(instances_state(a, p)),
        },
        Case {
            control: "RDS.13",
            plant: |a| Box::pin(plant_instances(a, Instance::NoMinorUpgrades)),
            state: |a, p| Box::pin(instances_state(a, p)),
        },
        Case {
            control: "RDS.8",
            plant: |a| Box::pin(plant_instances(a, Instance::Unprotected)),
            state: |a, p| Box::pin(instances_state(a, p)),
        },
        Case {
            control: "RDS.7",
            plant: |a| Box::pin(plant_clusters(a, Cluster::Unprotected)),
            state: |a, p| Box::pin(clusters_state(a, p)),
        },
        Case {
            control: "RDS.16",
            plant: |a| Box::pin(plant_clusters(a, Cluster::NoTagCopy)),
            state: |a, p| Box::pin(clusters_state(a, p)),
        },
        Case {
            control: "RDS.1",
            plant: |a| Box::pin(plant_snapshots(a)),
            state: |a, p| Box::pin(snapshots_state(a, p)),
        },
        // RDS.1 judges DB cluster snapshots too, through their own API calls.
        Case {
            control: "RDS.1",
            plant: |a| Box::pin(plant_cluster_snapshots(a)),
            state: |a, p| Box::pin(cluster_snapshots_state(a, p)),
        },
    ]
}

fn rds(cfg: &aws_config::SdkConfig) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(cfg)
}

fn text(p: &Planted, k: &str) -> String {
    p.data[k].as_str().unwrap_or_default().to_string()
}

fn arn(a: &Accounts, kind: &str, id: &str) -> String {
    format!("arn:aws:rds:{REGION}:{}:{kind}:{id}", a.id)
}

/// What is wrong with the planted DB instance (its neighbour has it right).
#[derive(Clone, Copy)]
enum Instance {
    Public,
    NoMinorUpgrades,
    Unprotected,
}

/// A small PostgreSQL instance with the three settings as given, tagged like a real one.
async fn instance(rds: &aws_sdk_rds::Client, id: &str, public: bool, minor: bool, protected: bool) {
    rds.create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("rampart")
        .master_user_password("not-a-real-password-1")
        .publicly_accessible(public)
        .auto_minor_version_upgrade(minor)
        .deletion_protection(protected)
        .tags(Tag::builder().key("team").value("data").build())
        .send()
        .await
        .expect("create db instance");
}

/// A violating instance and a compliant neighbour that differs only in the one setting.
async fn plant_instances(a: &Accounts, wrong: Instance) -> Planted {
    let rds = rds(&a.cfg);
    let ok = (false, true, true);
    let bad = match wrong {
        Instance::Public => (true, true, true),
        Instance::NoMinorUpgrades => (false, false, true),
        Instance::Unprotected => (false, true, false),
    };
    instance(&rds, "target", bad.0, bad.1, bad.2).await;
    instance(&rds, "neighbour", ok.0, ok.1, ok.2).await;
    Planted {
        resource: Some(arn(a, "db", "target")),
        data: json!({"target": "target", "neighbour": "neighbour"}),
    }
}

/// All DescribeDBInstances shows of the instance but what moves by itself.
async fn describe_instance(rds: &aws_sdk_rds::Client, id: &str) -> Value {
    let out = rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .expect("describe db instance");
    let mut d = out.db_instances()[0].clone();
    d.latest_restorable_time = None;
    json!(format!("{d:?}"))
}

async fn instances_state(a: &Accounts, p: &Planted) -> State {
    let rds = rds(&a.cfg);
    State {
        target: describe_instance(&rds, &text(p, "target")).await,
        neighbour: describe_instance(&rds, &text(p, "neighbour")).await,
    }
}

/// What is wrong with the planted DB cluster.
#[derive(Clone, Copy)]
enum Cluster {
    Unprotected,
    NoTagCopy,
}

async fn cluster(rds: &aws_sdk_rds::Client, id: &str, protected: bool, copy_tags: bool) {
    rds.create_db_cluster()
        .db_cluster_identifier(id)
        .engine("aurora-postgresql")
        .master_username("rampart")
        .master_user_password("not-a-real-password-1")
        .deletion_protection(protected)
        .copy_tags_to_snapshot(copy_tags)
        .tags(Tag::builder().key("team").value("data").build())
        .send()
        .await
        .expect("create db cluster");
}

async fn plant_clusters(a: &Accounts, wrong: Cluster) -> Planted {
    let rds = rds(&a.cfg);
    let bad = match wrong {
        Cluster::Unprotected => (false, true),
        Cluster::NoTagCopy => (true, false),
    };
    cluster(&rds, "target", bad.0, bad.1).await;
    cluster(&rds, "neighbour", true, true).await;
    Planted {
        resource: Some(arn(a, "cluster", "target")),
        data: json!({"target": "target", "neighbour": "neighbour"}),
    }
}

async fn describe_cluster(rds: &aws_sdk_rds::Client, id: &str) -> Value {
    let out = rds
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .expect("describe db cluster");
    let mut c = out.db_clusters()[0].clone();
    c.latest_restorable_time = None;
    json!(format!("{c:?}"))
}

async fn clusters_state(a: &Accounts, p: &Planted) -> State {
    let rds = rds(&a.cfg);
    State {
        target: describe_cluster(&rds, &text(p, "target")).await,
        neighbour: describe_cluster(&rds, &text(p, "neighbour")).await,
    }
}

/// Two manual snapshots of one instance, both shared with the second account: the target is
/// public as well, the neighbour is not.
async fn plant_snapshots(a: &Accounts) -> Planted {
    let rds = rds(&a.cfg);
    instance(&rds, "source", false, true, false).await;
    for (id, public) in [("target", true), ("neighbour", false)] {
        rds.create_db_snapshot()
            .db_snapshot_identifier(id)
            .db_instance_identifier("source")
            .tags(Tag::builder().key("team").value("data").build())
            .send()
            .await
            .expect("create db snapshot");
        let mut add = vec![a.other.clone()];
        if public {
            add.push("all".into());
        }
        rds.modify_db_snapshot_attribute()
            .db_snapshot_identifier(id)
            .attribute_name("restore")
            .set_values_to_add(Some(add))
            .send()
            .await
            .expect("share db snapshot");
    }
    Planted {
        resource: Some(arn(a, "snapshot", "target")),
        data: json!({"target": "target", "neighbour": "neighbour"}),
    }
}

/// The snapshot as DescribeDBSnapshots shows it and who may restore it (as a set).
async fn describe_snapshot(rds: &aws_sdk_rds::Client, id: &str) -> Value {
    let out = rds
        .describe_db_snapshots()
        .db_snapshot_identifier(id)
        .send()
        .await
        .expect("describe db snapshot");
    let s = out.db_snapshots()[0].clone();
    let attrs = rds
        .describe_db_snapshot_attributes()
        .db_snapshot_identifier(id)
        .send()
        .await
        .expect("describe db snapshot attributes");
    let mut restore: Vec<(String, Vec<String>)> = attrs
        .db_snapshot_attributes_result()
        .map(|r| {
            r.db_snapshot_attributes()
                .iter()
                .map(|a| {
                    let mut v = a.attribute_values().to_vec();
                    v.sort();
                    (a.attribute_name().unwrap_or_default().to_string(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    restore.sort();
    json!({"snapshot": format!("{s:?}"), "attributes": restore})
}

async fn snapshots_state(a: &Accounts, p: &Planted) -> State {
    let rds = rds(&a.cfg);
    State {
        target: describe_snapshot(&rds, &text(p, "target")).await,
        neighbour: describe_snapshot(&rds, &text(p, "neighbour")).await,
    }
}

/// The cluster snapshot counterpart of [`plant_snapshots`].
async fn plant_cluster_snapshots(a: &Accounts) -> Planted {
    let rds = rds(&a.cfg);
    cluster(&rds, "source", false, true).await;
    for (id, public) in [("target", true), ("neighbour", false)] {
        rds.create_db_cluster_snapshot()
            .db_cluster_snapshot_identifier(id)
            .db_cluster_identifier("source")
            .tags(Tag::builder().key("team").value("data").build())
            .send()
            .await
            .expect("create db cluster snapshot");
        let mut add = vec![a.other.clone()];
        if public {
            add.push("all".into());
        }
        rds.modify_db_cluster_snapshot_attribute()
            .db_cluster_snapshot_identifier(id)
            .attribute_name("restore")
            .set_values_to_add(Some(add))
            .send()
            .await
            .expect("share db cluster snapshot");
    }
    Planted {
        resource: Some(arn(a, "cluster-snapshot", "target")),
        data: json!({"target": "target", "neighbour": "neighbour"}),
    }
}

async fn describe_cluster_snapshot(rds: &aws_sdk_rds::Client, id: &str) -> Value {
    let out = rds
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(id)
        .send()
        .await
        .expect("describe db cluster snapshot");
    let s = out.db_cluster_snapshots()[0].clone();
    let attrs = rds
        .describe_db_cluster_snapshot_attributes()
        .db_cluster_snapshot_identifier(id)
        .send()
        .await
        .expect("describe db cluster snapshot attributes");
    let mut restore: Vec<(String, Vec<String>)> = attrs
        .db_cluster_snapshot_attributes_result()
        .map(|r| {
            r.db_cluster_snapshot_attributes()
                .iter()
                .map(|a| {
                    let mut v = a.attribute_values().to_vec();
                    v.sort();
                    (a.attribute_name().unwrap_or_default().to_string(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    restore.sort();
    json!({"snapshot": format!("{s:?}"), "attributes": restore})
}

async fn cluster_snapshots_state(a: &Accounts, p: &Planted) -> State {
    let rds = rds(&a.cfg);
    State {
        target: describe_cluster_snapshot(&rds, &text(p, "target")).await,
        neighbour: describe_cluster_snapshot(&rds, &text(p, "neighbour")).await,
    }
}

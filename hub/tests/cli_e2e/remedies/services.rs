//! Cases of the services remedies: queue encryption (SQS.1), topic encryption (SNS.1), table
//! deletion protection (DynamoDB.6), subnets assigning public addresses (EC2.15), public EBS
//! snapshots (EC2.1) and bucket default encryption (S3.4).
//!
//! Each state is everything the service shows of the resource's configuration: all queue,
//! topic and table attributes with their tags, every subnet attribute, a snapshot's
//! create-volume permissions, a bucket's encryption configuration.

use super::{Accounts, Case, Planted, State, REGION};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            control: "SQS.1",
            plant: |a| Box::pin(plant_queues(a)),
            state: |a, p| Box::pin(queues(a, p)),
        },
        Case {
            control: "SNS.1",
            plant: |a| Box::pin(plant_topics(a)),
            state: |a, p| Box::pin(topics(a, p)),
        },
        Case {
            control: "DynamoDB.6",
            plant: |a| Box::pin(plant_tables(a)),
            state: |a, p| Box::pin(tables(a, p)),
        },
        Case {
            control: "EC2.15",
            plant: |a| Box::pin(plant_subnets(a)),
            state: |a, p| Box::pin(subnets(a, p)),
        },
        Case {
            control: "EC2.1",
            plant: |a| Box::pin(plant_snapshots(a)),
            state: |a, p| Box::pin(snapshots(a, p)),
        },
        Case {
            control: "S3.4",
            plant: |a| Box::pin(plant_buckets(a)),
            state: |a, p| Box::pin(buckets(a, p)),
        },
    ]
}

fn ec2(cfg: &SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(cfg)
}

/// Path-style addressing: bucket host names do not resolve behind the emulator.
fn s3(cfg: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(cfg)
            .force_path_style(true)
            .build(),
    )
}

fn text(p: &Planted, k: &str) -> String {
    p.data[k].as_str().unwrap_or_default().to_string()
}

// --- SQS.1 ---------------------------------------------------------------------------------

fn sqs(cfg: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(cfg)
}

async fn queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attrs: &[(QueueAttributeName, &str)],
) -> String {
    let mut req = sqs.create_queue().queue_name(name).tags("team", "payments");
    for (k, v) in attrs {
        req = req.attributes(k.clone(), *v);
    }
    req.send()
        .await
        .expect("create queue")
        .queue_url()
        .expect("queue url")
        .to_string()
}

/// A queue without encryption at rest (SSE-SQS turned off, no KMS key) and a neighbour
/// encrypted with a KMS key only, both with a policy, a visibility timeout and tags.
async fn plant_queues(a: &Accounts) -> Planted {
    let sqs = sqs(&a.cfg);
    let policy = |name: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "owner", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{}:root", a.id)}, "Action": "sqs:SendMessage",
            "Resource": format!("arn:aws:sqs:{REGION}:{}:{name}", a.id)}]})
        .to_string()
    };
    let plain = queue(
        &sqs,
        "orders",
        &[
            (QueueAttributeName::SqsManagedSseEnabled, "false"),
            (QueueAttributeName::VisibilityTimeout, "45"),
            (QueueAttributeName::Policy, &policy("orders")),
        ],
    )
    .await;
    let kms = queue(
        &sqs,
        "invoices",
        &[
            (QueueAttributeName::SqsManagedSseEnabled, "false"),
            (QueueAttributeName::KmsMasterKeyId, "alias/aws/sqs"),
            (QueueAttributeName::VisibilityTimeout, "45"),
            (QueueAttributeName::Policy, &policy("invoices")),
        ],
    )
    .await;
    Planted {
        resource: Some(format!("arn:aws:sqs:{REGION}:{}:orders", a.id)),
        data: json!({"target": plain, "neighbour": kms}),
    }
}

/// Every attribute of the queue (but the time it was last modified) and its tags.
async fn queue_state(sqs: &aws_sdk_sqs::Client, url: &str) -> Value {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("queue attributes");
    let attrs: BTreeMap<String, String> = out
        .attributes()
        .into_iter()
        .flatten()
        .filter(|(k, _)| **k != QueueAttributeName::LastModifiedTimestamp)
        .map(|(k, v)| (k.as_str().to_string(), v.clone()))
        .collect();
    let tags: BTreeMap<String, String> = sqs
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .expect("queue tags")
        .tags()
        .map(|t| t.clone().into_iter().collect())
        .unwrap_or_default();
    json!({"attributes": attrs, "tags": tags})
}

async fn queues(a: &Accounts, p: &Planted) -> State {
    let sqs = sqs(&a.cfg);
    State {
        target: queue_state(&sqs, &text(p, "target")).await,
        neighbour: queue_state(&sqs, &text(p, "neighbour")).await,
    }
}

// --- SNS.1 ---------------------------------------------------------------------------------

fn sns(cfg: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(cfg)
}

async fn topic(sns: &aws_sdk_sns::Client, name: &str, kms: Option<&str>) -> String {
    let mut attrs =
        std::collections::HashMap::from([("DisplayName".to_string(), name.to_string())]);
    if let Some(k) = kms {
        attrs.insert("KmsMasterKeyId".into(), k.into());
    }
    sns.create_topic()
        .name(name)
        .set_attributes(Some(attrs))
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("team")
                .value("alerts")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("create topic")
        .topic_arn()
        .expect("topic arn")
        .to_string()
}

/// A topic without a KMS key and a neighbour encrypted with a customer key alias.
async fn plant_topics(a: &Accounts) -> Planted {
    let sns = sns(&a.cfg);
    let plain = topic(&sns, "deploys", None).await;
    let kms = topic(&sns, "billing", Some("alias/billing")).await;
    Planted {
        resource: Some(plain.clone()),
        data: json!({"target": plain, "neighbour": kms}),
    }
}

async fn topic_state(sns: &aws_sdk_sns::Client, arn: &str) -> Value {
    let attrs: BTreeMap<String, String> = sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .expect("topic attributes")
        .attributes()
        .map(|a| a.clone().into_iter().collect())
        .unwrap_or_default();
    let tags: BTreeMap<String, String> = sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("topic tags")
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    json!({"attributes": attrs, "tags": tags})
}

async fn topics(a: &Accounts, p: &Planted) -> State {
    let sns = sns(&a.cfg);
    State {
        target: topic_state(&sns, &text(p, "target")).await,
        neighbour: topic_state(&sns, &text(p, "neighbour")).await,
    }
}

// --- DynamoDB.6 ----------------------------------------------------------------------------

fn dynamodb(cfg: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(cfg)
}

async fn table(ddb: &aws_sdk_dynamodb::Client, name: &str, protected: bool) {
    ddb.create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .deletion_protection_enabled(protected)
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("team")
                .value("orders")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("create table");
}

/// A table without deletion protection and a protected neighbour.
async fn plant_tables(a: &Accounts) -> Planted {
    let ddb = dynamodb(&a.cfg);
    table(&ddb, "carts", false).await;
    table(&ddb, "ledger", true).await;
    Planted {
        resource: Some(format!("arn:aws:dynamodb:{REGION}:{}:table/carts", a.id)),
        data: json!({"target": "carts", "neighbour": "ledger"}),
    }
}

/// The whole table description and its tags.
async fn table_state(ddb: &aws_sdk_dynamodb::Client, name: &str) -> Value {
    let d = ddb
        .describe_table()
        .table_name(name)
        .send()
        .await
        .expect("describe table");
    let t = d.table().expect("table");
    let tags: BTreeMap<String, String> = ddb
        .list_tags_of_resource()
        .resource_arn(t.table_arn().expect("table arn"))
        .send()
        .await
        .expect("table tags")
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    json!({"protected": t.deletion_protection_enabled(), "table": format!("{t:?}"), "tags": tags})
}

async fn tables(a: &Accounts, p: &Planted) -> State {
    let ddb = dynamodb(&a.cfg);
    State {
        target: table_state(&ddb, &text(p, "target")).await,
        neighbour: table_state(&ddb, &text(p, "neighbour")).await,
    }
}

// --- EC2.15 --------------------------------------------------------------------------------

/// Two subnets of a new VPC, one assigning public IPv4 addresses on launch and one not. The
/// default VPC's default subnets assign them too (as on AWS): the finding names one subnet, so
/// they stay as they are, and are read back with the neighbour.
async fn plant_subnets(a: &Accounts) -> Planted {
    use aws_sdk_ec2::types::AttributeBooleanValue;
    let ec2 = ec2(&a.cfg);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .expect("vpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let mut ids = Vec::new();
    for (cidr, public) in [("10.20.1.0/24", true), ("10.20.2.0/24", false)] {
        let id = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .send()
            .await
            .expect("subnet")
            .subnet()
            .and_then(|s| s.subnet_id())
            .expect("subnet id")
            .to_string();
        ec2.modify_subnet_attribute()
            .subnet_id(&id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(public).build())
            .send()
            .await
            .expect("map public ip");
        ids.push(id);
    }
    Planted {
        resource: Some(format!("arn:aws:ec2:{REGION}:{}:subnet/{}", a.id, ids[0])),
        data: json!({"target": ids[0], "neighbour": ids[1], "vpc": vpc}),
    }
}

/// Every attribute of the given subnets, by id.
async fn subnet_attributes(ec2: &aws_sdk_ec2::Client, filter: aws_sdk_ec2::types::Filter) -> Value {
    let out = ec2
        .describe_subnets()
        .filters(filter)
        .send()
        .await
        .expect("describe subnets");
    let all: BTreeMap<String, String> = out
        .subnets()
        .iter()
        .map(|s| {
            (
                s.subnet_id().unwrap_or_default().to_string(),
                format!("{s:?}"),
            )
        })
        .collect();
    json!(all)
}

async fn subnets(a: &Accounts, p: &Planted) -> State {
    use aws_sdk_ec2::types::Filter;
    let ec2 = ec2(&a.cfg);
    let by_id = |id: String| Filter::builder().name("subnet-id").values(id).build();
    State {
        target: subnet_attributes(&ec2, by_id(text(p, "target"))).await,
        neighbour: json!({
            "compliant": subnet_attributes(&ec2, by_id(text(p, "neighbour"))).await,
            "default_subnets": subnet_attributes(
                &ec2,
                Filter::builder().name("default-for-az").values("true").build(),
            )
            .await,
        }),
    }
}

// --- EC2.1 ---------------------------------------------------------------------------------

async fn snapshot(ec2: &aws_sdk_ec2::Client, public: bool, share_with: &str) -> String {
    use aws_sdk_ec2::types::{OperationType, SnapshotAttributeName};
    let vol = ec2
        .create_volume()
        .availability_zone(format!("{REGION}a"))
        .size(8)
        .send()
        .await
        .expect("volume")
        .volume_id()
        .expect("volume id")
        .to_string();
    let id = ec2
        .create_snapshot()
        .volume_id(vol)
        .send()
        .await
        .expect("snapshot")
        .snapshot_id()
        .expect("snapshot id")
        .to_string();
    let mut req = ec2
        .modify_snapshot_attribute()
        .snapshot_id(&id)
        .attribute(SnapshotAttributeName::CreateVolumePermission)
        .operation_type(OperationType::Add)
        .user_ids(share_with);
    if public {
        req = req.group_names("all");
    }
    req.send().await.expect("share snapshot");
    id
}

/// A snapshot restorable by everyone and by one account, and a neighbour shared with that
/// account only.
async fn plant_snapshots(a: &Accounts) -> Planted {
    let ec2 = ec2(&a.cfg);
    let public = snapshot(&ec2, true, &a.other).await;
    let shared = snapshot(&ec2, false, &a.other).await;
    Planted {
        resource: Some(format!("arn:aws:ec2:{REGION}:{}:snapshot/{public}", a.id)),
        data: json!({"target": public, "neighbour": shared}),
    }
}

/// Every create-volume permission of the snapshot.
async fn volume_permissions(ec2: &aws_sdk_ec2::Client, id: &str) -> Value {
    let out = ec2
        .describe_snapshot_attribute()
        .snapshot_id(id)
        .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .expect("snapshot attribute");
    let mut v: Vec<String> = out
        .create_volume_permissions()
        .iter()
        .map(|p| format!("{p:?}"))
        .collect();
    v.sort();
    json!(v)
}

async fn snapshots(a: &Accounts, p: &Planted) -> State {
    let ec2 = ec2(&a.cfg);
    State {
        target: volume_permissions(&ec2, &text(p, "target")).await,
        neighbour: volume_permissions(&ec2, &text(p, "neighbour")).await,
    }
}

// --- S3.4 ----------------------------------------------------------------------------------

/// The bucket's encryption configuration, field by field (the SDK's Debug hides the key id),
/// or the error that says it has none.
async fn encryption(s3: &aws_sdk_s3::Client, bucket: &str) -> Value {
    match s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(o) => {
            let rules: Vec<Value> = o
                .server_side_encryption_configuration()
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    let d = r.apply_server_side_encryption_by_default();
                    json!({
                        "sse_algorithm": d.map(|d| d.sse_algorithm().as_str()),
                        "kms_master_key_id": d.and_then(|d| d.kms_master_key_id()),
                        "bucket_key_enabled": r.bucket_key_enabled(),
                        "blocked_encryption_types": format!("{:?}", r.blocked_encryption_types()),
                    })
                })
                .collect();
            json!({ "rules": rules })
        }
        Err(e) => json!(format!(
            "none: {}",
            aws_sdk_s3::error::ProvideErrorMetadata::code(&e).unwrap_or_default()
        )),
    }
}

/// A bucket without a default encryption configuration (moto creates buckets so; AWS has given
/// every bucket SSE-S3 since 2023) and a neighbour encrypted by default with a KMS key.
async fn plant_buckets(a: &Accounts) -> Planted {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let s3 = s3(&a.cfg);
    let (plain, kms) = (format!("plain-{}", a.id), format!("kms-{}", a.id));
    for b in [&plain, &kms] {
        s3.create_bucket().bucket(b).send().await.expect("bucket");
    }
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id("alias/data")
                .build()
                .expect("default"),
        )
        .bucket_key_enabled(true)
        .build();
    s3.put_bucket_encryption()
        .bucket(&kms)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("bucket encryption");
    let found = encryption(&s3, &plain).await;
    assert!(
        found.as_str().is_some_and(|s| s.starts_with("none")),
        "a new bucket has a default encryption here ({found}): S3.4's violation cannot be planted"
    );
    Planted {
        resource: Some(format!("arn:aws:s3:::{plain}")),
        data: json!({"target": plain, "neighbour": kms}),
    }
}

async fn buckets(a: &Accounts, p: &Planted) -> State {
    let s3 = s3(&a.cfg);
    State {
        target: encryption(&s3, &text(p, "target")).await,
        neighbour: encryption(&s3, &text(p, "neighbour")).await,
    }
}

//! Cases of the storage remedies: Block Public Access on buckets (S3.8, S3.2, S3.3, and
//! CloudTrail.6 on a trail's bucket) and on the account (S3.1), TLS-only bucket policies
//! (S3.5) and KMS key rotation (KMS.4).

use super::{Accounts, Case, Planted, State};
use aws_config::SdkConfig;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use serde_json::{json, Value};

pub fn cases() -> Vec<Case> {
    let bpa = |control| Case {
        control,
        plant: |a| Box::pin(plant_buckets(a)),
        state: |a, p| Box::pin(buckets_bpa(a, p)),
    };
    vec![
        bpa("S3.8"),
        bpa("S3.2"),
        bpa("S3.3"),
        Case {
            control: "CloudTrail.6",
            plant: |a| Box::pin(plant_trail_bucket(a)),
            state: |a, p| Box::pin(buckets_bpa(a, p)),
        },
        Case {
            control: "S3.1",
            plant: |a| Box::pin(plant_account_bpa(a)),
            state: |a, _| Box::pin(account_bpa(a)),
        },
        Case {
            control: "S3.5",
            plant: |a| Box::pin(plant_policies(a)),
            state: |a, p| Box::pin(policies(a, p)),
        },
        Case {
            control: "KMS.4",
            plant: |a| Box::pin(plant_keys(a)),
            state: |a, p| Box::pin(rotation(a, p)),
        },
    ]
}

pub fn s3(cfg: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(cfg)
            .force_path_style(true)
            .build(),
    )
}

fn text(p: &Planted, k: &str) -> String {
    p.data[k].as_str().unwrap_or_default().to_string()
}

async fn bucket(s3: &aws_sdk_s3::Client, name: &str, blocked: bool) {
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("bucket");
    if blocked {
        s3.put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .expect("bucket bpa");
    }
}

/// A bucket blocking nothing and a neighbour blocking everything.
async fn plant_buckets(a: &Accounts) -> Planted {
    let s3 = s3(&a.cfg);
    let (open, closed) = (format!("open-{}", a.id), format!("closed-{}", a.id));
    bucket(&s3, &open, false).await;
    bucket(&s3, &closed, true).await;
    Planted {
        resource: Some(format!("arn:aws:s3:::{open}")),
        data: json!({"target": open, "neighbour": closed}),
    }
}

/// A trail delivering to a bucket that blocks nothing, and an unrelated open bucket that
/// CloudTrail.6 must not reach.
async fn plant_trail_bucket(a: &Accounts) -> Planted {
    let s3 = s3(&a.cfg);
    let (logs, other) = (format!("trail-logs-{}", a.id), format!("web-{}", a.id));
    bucket(&s3, &logs, false).await;
    bucket(&s3, &other, false).await;
    aws_sdk_cloudtrail::Client::new(&a.cfg)
        .create_trail()
        .name("audit")
        .s3_bucket_name(&logs)
        .send()
        .await
        .expect("trail");
    Planted {
        resource: Some(format!("arn:aws:s3:::{logs}")),
        data: json!({"target": logs, "neighbour": other}),
    }
}

async fn bucket_bpa(s3: &aws_sdk_s3::Client, name: &str) -> Value {
    match s3.get_public_access_block().bucket(name).send().await {
        Ok(o) => json!(format!("{:?}", o.public_access_block_configuration())),
        Err(e) => json!(format!(
            "none: {}",
            aws_sdk_s3::error::ProvideErrorMetadata::code(&e).unwrap_or_default()
        )),
    }
}

async fn buckets_bpa(a: &Accounts, p: &Planted) -> State {
    let s3 = s3(&a.cfg);
    State {
        target: bucket_bpa(&s3, &text(p, "target")).await,
        neighbour: bucket_bpa(&s3, &text(p, "neighbour")).await,
    }
}

/// No account-level Block Public Access in either account.
async fn plant_account_bpa(a: &Accounts) -> Planted {
    for (id, cfg) in [(&a.id, &a.cfg), (&a.other, &a.other_cfg)] {
        let _ = rampart_member::collect::s3control::client(cfg)
            .delete_public_access_block()
            .account_id(id.as_str())
            .send()
            .await;
    }
    Planted {
        resource: None,
        data: Value::Null,
    }
}

async fn one_account_bpa(id: &str, cfg: &SdkConfig) -> Value {
    match rampart_member::collect::s3control::client(cfg)
        .get_public_access_block()
        .account_id(id)
        .send()
        .await
    {
        Ok(o) => json!(format!("{:?}", o.public_access_block_configuration())),
        Err(_) => Value::Null,
    }
}

async fn account_bpa(a: &Accounts) -> State {
    State {
        target: one_account_bpa(&a.id, &a.cfg).await,
        neighbour: one_account_bpa(&a.other, &a.other_cfg).await,
    }
}

/// A bucket whose policy grants a partner read but allows plain HTTP, and a neighbour whose
/// policy already denies it.
async fn plant_policies(a: &Accounts) -> Planted {
    let s3 = s3(&a.cfg);
    let (shared, strict) = (format!("shared-{}", a.id), format!("strict-{}", a.id));
    for b in [&shared, &strict] {
        bucket(&s3, b, false).await;
    }
    let grant = |b: &str| {
        json!({"Sid": "PartnerRead", "Effect": "Allow",
               "Principal": {"AWS": format!("arn:aws:iam::{}:root", a.id)},
               "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{b}/*")})
    };
    let deny = json!({"Sid": "DenyHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [format!("arn:aws:s3:::{strict}"), format!("arn:aws:s3:::{strict}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    for (b, stmts) in [
        (&shared, vec![grant(&shared)]),
        (&strict, vec![grant(&strict), deny]),
    ] {
        s3.put_bucket_policy()
            .bucket(b.as_str())
            .policy(json!({"Version": "2012-10-17", "Statement": stmts}).to_string())
            .send()
            .await
            .expect("policy");
    }
    Planted {
        resource: Some(format!("arn:aws:s3:::{shared}")),
        data: json!({"target": shared, "neighbour": strict}),
    }
}

async fn policy(s3: &aws_sdk_s3::Client, b: &str) -> Value {
    match s3.get_bucket_policy().bucket(b).send().await {
        Ok(o) => serde_json::from_str(o.policy().unwrap_or("null")).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

async fn policies(a: &Accounts, p: &Planted) -> State {
    let s3 = s3(&a.cfg);
    State {
        target: policy(&s3, &text(p, "target")).await,
        neighbour: policy(&s3, &text(p, "neighbour")).await,
    }
}

/// A customer managed key without rotation and a neighbour with it.
async fn plant_keys(a: &Accounts) -> Planted {
    let kms = aws_sdk_kms::Client::new(&a.cfg);
    let mut arns = Vec::new();
    for _ in 0..2 {
        let k = kms.create_key().send().await.expect("key");
        arns.push(
            k.key_metadata()
                .and_then(|m| m.arn())
                .expect("key arn")
                .to_string(),
        );
    }
    kms.enable_key_rotation()
        .key_id(&arns[1])
        .send()
        .await
        .expect("rotation");
    Planted {
        resource: Some(arns[0].clone()),
        data: json!({"target": arns[0], "neighbour": arns[1]}),
    }
}

async fn key_rotation(kms: &aws_sdk_kms::Client, key: &str) -> Value {
    let r = kms
        .get_key_rotation_status()
        .key_id(key)
        .send()
        .await
        .expect("rotation status");
    json!([r.key_rotation_enabled(), r.rotation_period_in_days()])
}

async fn rotation(a: &Accounts, p: &Planted) -> State {
    let kms = aws_sdk_kms::Client::new(&a.cfg);
    State {
        target: key_rotation(&kms, &text(p, "target")).await,
        neighbour: key_rotation(&kms, &text(p, "neighbour")).await,
    }
}

//! Cases of the logging remedies: trails (CloudTrail.1 multi-region, CloudTrail.3 logging,
//! CloudTrail.4 log file validation) and the Config recorder (Config.1).

use super::{Accounts, Case, Planted, State};
use aws_config::SdkConfig;
use serde_json::{json, Value};

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            control: "CloudTrail.1",
            plant: |a| Box::pin(plant_quiet_trails(a)),
            state: |a, _| Box::pin(account_trails(a)),
        },
        Case {
            control: "CloudTrail.3",
            plant: |a| Box::pin(plant_quiet_trails(a)),
            state: |a, _| Box::pin(account_trails(a)),
        },
        Case {
            control: "CloudTrail.4",
            plant: |a| Box::pin(plant_validation(a)),
            state: |a, p| Box::pin(validation(a, p)),
        },
        Case {
            control: "Config.1",
            plant: |a| Box::pin(plant_recorders(a)),
            state: |a, _| Box::pin(recorders(a)),
        },
    ]
}

fn ct(cfg: &SdkConfig) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(cfg)
}

async fn trail(cfg: &SdkConfig, account: &str, name: &str) -> String {
    let bucket = format!("{name}-{account}");
    super::storage::s3(cfg)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    ct(cfg)
        .create_trail()
        .name(name)
        .s3_bucket_name(&bucket)
        .send()
        .await
        .expect("trail")
        .trail_arn()
        .expect("trail arn")
        .to_string()
}

/// A single-region trail that does not log, in both accounts.
async fn plant_quiet_trails(a: &Accounts) -> Planted {
    trail(&a.cfg, &a.id, "app").await;
    trail(&a.other_cfg, &a.other, "app").await;
    Planted {
        resource: None,
        data: Value::Null,
    }
}

/// Every trail of the account as AWS shows it, with whether it logs.
async fn trails_of(cfg: &SdkConfig) -> Value {
    let ct = ct(cfg);
    let out = ct.describe_trails().send().await.expect("trails");
    let mut v = Vec::new();
    for t in out.trail_list() {
        let arn = t.trail_arn().unwrap_or_default();
        let logging = ct
            .get_trail_status()
            .name(arn)
            .send()
            .await
            .expect("status")
            .is_logging();
        v.push(json!({"trail": format!("{t:?}"), "logging": logging}));
    }
    json!(v)
}

async fn account_trails(a: &Accounts) -> State {
    State {
        target: trails_of(&a.cfg).await,
        neighbour: trails_of(&a.other_cfg).await,
    }
}

/// A trail without log file validation and a neighbour with it.
async fn plant_validation(a: &Accounts) -> Planted {
    let bare = trail(&a.cfg, &a.id, "app").await;
    let signed = trail(&a.cfg, &a.id, "signed").await;
    ct(&a.cfg)
        .update_trail()
        .name(&signed)
        .enable_log_file_validation(true)
        .send()
        .await
        .expect("validation");
    Planted {
        resource: Some(bare.clone()),
        data: json!({"target": bare, "neighbour": signed}),
    }
}

async fn one_trail(cfg: &SdkConfig, arn: &str) -> Value {
    let out = ct(cfg)
        .describe_trails()
        .trail_name_list(arn)
        .send()
        .await
        .expect("trail");
    json!(format!("{:?}", out.trail_list()))
}

async fn validation(a: &Accounts, p: &Planted) -> State {
    State {
        target: one_trail(&a.cfg, p.data["target"].as_str().unwrap_or_default()).await,
        neighbour: one_trail(&a.cfg, p.data["neighbour"].as_str().unwrap_or_default()).await,
    }
}

/// A recorder recording instances only, with a delivery channel, in both accounts.
async fn plant_recorders(a: &Accounts) -> Planted {
    use aws_sdk_config::types::{
        ConfigurationRecorder, DeliveryChannel, RecordingGroup, ResourceType,
    };
    for (id, cfg) in [(&a.id, &a.cfg), (&a.other, &a.other_cfg)] {
        let bucket = format!("config-{id}");
        super::storage::s3(cfg)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("bucket");
        let config = aws_sdk_config::Client::new(cfg);
        config
            .put_configuration_recorder()
            .configuration_recorder(
                ConfigurationRecorder::builder()
                    .name("default")
                    .role_arn(format!("arn:aws:iam::{id}:role/config-recorder"))
                    .recording_group(
                        RecordingGroup::builder()
                            .all_supported(false)
                            .include_global_resource_types(false)
                            .resource_types(ResourceType::Instance)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("recorder");
        config
            .put_delivery_channel()
            .delivery_channel(
                DeliveryChannel::builder()
                    .name("default")
                    .s3_bucket_name(&bucket)
                    .build(),
            )
            .send()
            .await
            .expect("channel");
    }
    Planted {
        resource: None,
        data: Value::Null,
    }
}

async fn recorder(cfg: &SdkConfig) -> Value {
    let c = aws_sdk_config::Client::new(cfg);
    let r = c
        .describe_configuration_recorders()
        .send()
        .await
        .expect("recorders");
    let s = c
        .describe_configuration_recorder_status()
        .send()
        .await
        .expect("status");
    json!({"recorders": format!("{:?}", r.configuration_recorders()),
           "recording": s.configuration_recorders_status().iter().map(|x| x.recording()).collect::<Vec<_>>()})
}

async fn recorders(a: &Accounts) -> State {
    State {
        target: recorder(&a.cfg).await,
        neighbour: recorder(&a.other_cfg).await,
    }
}

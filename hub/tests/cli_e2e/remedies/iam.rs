//! Cases of the IAM remedies: the password policy family (IAM.7, IAM.11-17), a setting of
//! the account whose neighbour is the same weak policy in a second account; and access keys
//! past rotation age or unused (IAM.3, IAM.22, IAM.8), whose neighbour is a fresh key.

use super::{Accounts, Case, Planted, State};
use rampart_testbed::shared;
use serde_json::{json, Value};

pub fn cases() -> Vec<Case> {
    let policy = |control| Case {
        control,
        plant: |a| Box::pin(plant_weak_policy(a)),
        state: |a, _| Box::pin(policies(a)),
    };
    let keys = |control| Case {
        control,
        plant: |a| Box::pin(plant_keys(a)),
        state: |a, p| Box::pin(keys_state(a, p)),
    };
    vec![
        policy("IAM.7"),
        policy("IAM.11"),
        policy("IAM.12"),
        policy("IAM.13"),
        policy("IAM.14"),
        policy("IAM.15"),
        policy("IAM.16"),
        policy("IAM.17"),
        keys("IAM.3"),
        keys("IAM.22"),
        keys("IAM.8"),
    ]
}

fn iam(cfg: &aws_config::SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(cfg)
}

/// Short, no character classes, no reuse prevention, 120-day expiry: every control of the
/// family fails; the same in the second account.
async fn plant_weak_policy(a: &Accounts) -> Planted {
    for cfg in [&a.cfg, &a.other_cfg] {
        iam(cfg)
            .update_account_password_policy()
            .minimum_password_length(8)
            .allow_users_to_change_password(true)
            .max_password_age(120)
            .send()
            .await
            .expect("weak policy");
    }
    Planted {
        resource: None,
        data: Value::Null,
    }
}

async fn policy(cfg: &aws_config::SdkConfig) -> Value {
    match iam(cfg).get_account_password_policy().send().await {
        Ok(o) => json!(format!("{:?}", o.password_policy())),
        Err(_) => Value::Null,
    }
}

async fn policies(a: &Accounts) -> State {
    State {
        target: policy(&a.cfg).await,
        neighbour: policy(&a.other_cfg).await,
    }
}

/// A user whose only key is 120 days old and never used, and a neighbour with a fresh key.
async fn plant_keys(a: &Accounts) -> Planted {
    let iam = iam(&a.cfg);
    let mut keys = Vec::new();
    for user in ["stale-keys", "fresh-keys"] {
        iam.create_user()
            .user_name(user)
            .send()
            .await
            .expect("user");
        let k = iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .expect("key");
        keys.push(
            k.access_key()
                .map(|k| k.access_key_id().to_string())
                .expect("key id"),
        );
    }
    shared::emulator()
        .age_access_key(&a.id, &keys[0], 120)
        .expect("age the key");
    Planted {
        resource: Some(format!("arn:aws:iam::{}:user/stale-keys", a.id)),
        data: json!({"target": "stale-keys", "neighbour": "fresh-keys"}),
    }
}

async fn key_states(a: &Accounts, user: &str) -> Value {
    let keys = iam(&a.cfg)
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .expect("keys");
    json!(keys
        .access_key_metadata()
        .iter()
        .map(|k| format!(
            "{} {:?} {:?}",
            k.access_key_id().unwrap_or_default(),
            k.status(),
            k.create_date()
        ))
        .collect::<Vec<_>>())
}

async fn keys_state(a: &Accounts, p: &Planted) -> State {
    State {
        target: key_states(a, p.data["target"].as_str().unwrap_or_default()).await,
        neighbour: key_states(a, p.data["neighbour"].as_str().unwrap_or_default()).await,
    }
}

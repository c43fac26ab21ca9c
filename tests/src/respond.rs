//! Fixtures for event-driven response: the hub's table and alert topic (with an SQS queue
//! subscribed so tests and the demo can read alerts back), and real event JSON as AWS delivers
//! it, from `tests/events/`.

use aws_config::SdkConfig;
use rampart_common::ResponseConfig;
use rampart_hub::respond::store::Store;
use rampart_hub::respond::{HubIdentity, MemberAccess, Responder};
use std::path::PathBuf;

/// The hub-side resources of the response flow.
#[derive(Debug, Clone)]
pub struct HubResources {
    pub table: String,
    pub topic_arn: String,
    pub queue_url: String,
}

/// Creates the audit and state tables, the alert topic and an SQS queue subscribed to it.
pub async fn hub_resources(base: &SdkConfig) -> anyhow::Result<HubResources> {
    let table = rampart_common::response::DEFAULT_AUDIT_TABLE.to_string();
    Store::new(
        aws_sdk_dynamodb::Client::new(base),
        &table,
        rampart_common::response::DEFAULT_STATE_TABLE,
    )
    .ensure_tables()
    .await
    .map_err(|e| anyhow::anyhow!(e))?;
    let sns = aws_sdk_sns::Client::new(base);
    let topic_arn = sns
        .create_topic()
        .name("rampart-alerts")
        .send()
        .await?
        .topic_arn()
        .unwrap_or_default()
        .to_string();
    let sqs = aws_sdk_sqs::Client::new(base);
    let queue_url = sqs
        .create_queue()
        .queue_name("rampart-alerts-inbox")
        .send()
        .await?
        .queue_url()
        .unwrap_or_default()
        .to_string();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_default();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await?;
    Ok(HubResources {
        table,
        topic_arn,
        queue_url,
    })
}

/// Alerts received on the queue so far (SNS envelopes unwrapped: `Subject` + parsed `Message`).
pub async fn alerts(base: &SdkConfig, queue_url: &str) -> anyhow::Result<Vec<serde_json::Value>> {
    let sqs = aws_sdk_sqs::Client::new(base);
    let mut out = Vec::new();
    loop {
        let r = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await?;
        if r.messages().is_empty() {
            break;
        }
        for m in r.messages() {
            let env: serde_json::Value = serde_json::from_str(m.body().unwrap_or("{}"))?;
            let msg: serde_json::Value =
                serde_json::from_str(env["Message"].as_str().unwrap_or("null"))?;
            out.push(serde_json::json!({"Subject": env["Subject"], "Message": msg}));
            if let Some(h) = m.receipt_handle() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(h)
                    .send()
                    .await?;
            }
        }
    }
    Ok(out)
}

/// A response configuration wired to the hub resources.
pub fn config(hub: &HubResources) -> ResponseConfig {
    ResponseConfig {
        audit_table: Some(hub.table.clone()),
        alert_topic_arn: Some(hub.topic_arn.clone()),
        ..ResponseConfig::default()
    }
}

/// A responder for the emulator's management (hub) account, reaching members through roles.
pub fn responder(base: &SdkConfig, cfg: ResponseConfig, plan: bool) -> Responder {
    let access = MemberAccess::Roles {
        base: base.clone(),
        hub_account: crate::emulator::MANAGEMENT_ACCOUNT.into(),
        role_name: cfg.role_name().to_string(),
        external_id: None,
        sts_region: base
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into()),
    };
    Responder::new(
        base,
        hub_identity(),
        access,
        cfg,
        crate::fixtures::MEMBER_ROLE,
        plan,
    )
}

/// The emulator's management account as the hub (its caller is not an assumed role).
pub fn hub_identity() -> HubIdentity {
    HubIdentity {
        account: crate::emulator::MANAGEMENT_ACCOUNT.into(),
        role_arns: Vec::new(),
    }
}

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// An event from `tests/events/<name>.json` with `${KEY}` placeholders filled in.
pub fn event(name: &str, vars: &[(&str, &str)]) -> anyhow::Result<String> {
    let path = events_dir().join(format!("{name}.json"));
    let mut text =
        std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    for (k, v) in vars {
        text = text.replace(&format!("${{{k}}}"), v);
    }
    if let Some(at) = text.find("${") {
        let end = text[at..]
            .find('}')
            .map(|e| at + e + 1)
            .unwrap_or(text.len());
        anyhow::bail!("{name}: placeholder {} not filled", &text[at..end]);
    }
    Ok(text)
}

/// The StopLogging event of `tests/events/` by IAM user mallory on trail `org-audit`.
pub fn stop_logging(event_id: &str, account: &str, region: &str) -> anyhow::Result<String> {
    event(
        "cloudtrail-stoplogging",
        &[
            ("EVENT_ID", event_id),
            ("ACCOUNT", account),
            ("REGION", region),
            ("USER", "mallory"),
            ("TRAIL", "org-audit"),
        ],
    )
}

//! Drives the hub's intake queue the way Lambda's SQS event source does: receive a batch,
//! hand it to `Responder::handle_batch`, delete what it handled, leave the rest (with the
//! visibility the responder set). The intake test and the fairness benchmark use it.

use aws_sdk_sqs::Client;
use rampart_hub::respond::intake::Fate;
use rampart_hub::respond::Responder;
use serde_json::{json, Value};

/// The intake queue of a test hub.
pub struct Intake {
    pub sqs: Client,
    pub url: String,
    pub arn: String,
}

impl Intake {
    /// Creates queue `name` in the hub account.
    pub async fn create(base: &aws_config::SdkConfig, name: &str) -> anyhow::Result<Intake> {
        let sqs = Client::new(base);
        let url = sqs
            .create_queue()
            .queue_name(name)
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                "360",
            )
            .send()
            .await?
            .queue_url()
            .unwrap_or_default()
            .to_string();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await?
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default();
        Ok(Intake { sqs, url, arn })
    }

    /// Sends events as EventBridge's SQS target does (the event JSON as the body), up to ten
    /// per call.
    pub async fn send(&self, events: &[String]) -> anyhow::Result<()> {
        use aws_sdk_sqs::types::SendMessageBatchRequestEntry as E;
        for (n, chunk) in events.chunks(10).enumerate() {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, b)| E::builder().id(format!("e{n}-{i}")).message_body(b).build())
                .collect::<Result<Vec<_>, _>>()?;
            self.sqs
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await?;
        }
        Ok(())
    }

    /// One poll: a batch of up to ten, handled, the handled ones deleted. Returns each
    /// message's event id (from the body) with its fate; empty when the queue had nothing
    /// visible.
    pub async fn poll(&self, r: &Responder) -> anyhow::Result<Vec<(String, Fate)>> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .send()
            .await?;
        let msgs = out.messages();
        if msgs.is_empty() {
            return Ok(Vec::new());
        }
        let records: Vec<Value> = msgs
            .iter()
            .map(|m| {
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.arn,
                })
            })
            .collect();
        let report = r.handle_batch(&json!({ "Records": records })).await;
        let mut out = Vec::new();
        for (id, fate) in report.fates {
            let Some(m) = msgs.iter().find(|m| m.message_id() == Some(id.as_str())) else {
                continue;
            };
            if fate == Fate::Done {
                self.sqs
                    .delete_message()
                    .queue_url(&self.url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await?;
            }
            let event_id = serde_json::from_str::<Value>(m.body().unwrap_or_default())
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_string))
                .unwrap_or_default();
            out.push((event_id, fate));
        }
        Ok(out)
    }

    /// Messages in the queue, visible or not (nothing was lost).
    pub async fn held(&self) -> anyhow::Result<u64> {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await?;
        let a = out.attributes();
        let n = |k: A| {
            a.and_then(|a| a.get(&k))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(n(A::ApproximateNumberOfMessages) + n(A::ApproximateNumberOfMessagesNotVisible))
    }
}

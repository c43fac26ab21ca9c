//! `Responder::handle_batch`: an SQS batch of the intake queue, handled fairly across
//! accounts, with every event that cannot be acted on now sent back to the queue with the
//! delay after which it can.

use super::intake::{self, Fate};
use super::record::{Disposition, Outcome};
use super::responder::Responder;
use serde_json::Value;
use std::time::Duration;

/// What a batch came to: each message's fate and the outcomes of those handled.
#[derive(Debug, Default)]
pub struct BatchReport {
    /// (message id, fate), in the order the messages were taken.
    pub fates: Vec<(String, Fate)>,
    pub outcomes: Vec<Outcome>,
    /// The SQS event source's answer: the messages not done.
    pub response: Value,
}

impl Responder {
    /// Handles one SQS batch of the intake queue (the Lambda's payload). Events are taken one
    /// account at a time in turn; an account past its intake budget, and an event the gate
    /// defers, go back to the queue visible again when they can be acted on; a failed event
    /// goes back too (its visibility timeout, then the dead-letter queue after the queue's
    /// receive limit). Nothing is dropped.
    pub async fn handle_batch(&self, payload: &Value) -> BatchReport {
        let p = &self.parts;
        let batch = intake::parse_batch(payload);
        let mut report = BatchReport::default();
        let mut later: Vec<(usize, Duration)> = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        for (n, i) in intake::fair_order(&batch.messages).into_iter().enumerate() {
            let m = &batch.messages[i];
            if let Err(wait) = p.intake.take(&m.account, &m.id) {
                report.fates.push((m.id.clone(), Fate::Later(wait)));
                later.push((i, wait));
                failures.push(m.id.clone());
                continue;
            }
            let v: Value = match serde_json::from_str(&m.body) {
                Ok(v) => v,
                // Not JSON: the responder rejects and audits it like any malformed event.
                Err(_) => Value::String(m.body.clone()),
            };
            let o = self.handle_value(&v).await;
            let fate = match o.disposition {
                Disposition::Deferred => {
                    let wait = Duration::from_secs(o.retry_after_secs.unwrap_or(60));
                    later.push((i, wait));
                    Fate::Later(wait)
                }
                Disposition::Failed => Fate::Retry,
                _ => Fate::Done,
            };
            if fate != Fate::Done {
                failures.push(m.id.clone());
            }
            tracing::debug!(n, message = %m.id, account = %m.account, ?fate, "intake");
            report.fates.push((m.id.clone(), fate));
            report.outcomes.push(o);
        }
        if !later.is_empty() {
            if let Some(url) = batch.queue_arn.as_deref().and_then(intake::queue_url) {
                self.delay(&url, &batch.messages, &later).await;
            }
        }
        report.response = intake::batch_response(&failures);
        report
    }

    /// Makes deferred messages visible again only after their delay. Should this fail, the
    /// messages come back after the queue's visibility timeout instead: later than asked,
    /// never lost.
    async fn delay(&self, url: &str, messages: &[intake::Message], later: &[(usize, Duration)]) {
        use aws_sdk_sqs::types::ChangeMessageVisibilityBatchRequestEntry as Entry;
        for chunk in later.chunks(10) {
            let entries: Vec<Entry> = chunk
                .iter()
                .filter_map(|(i, wait)| {
                    let m = &messages[*i];
                    Entry::builder()
                        .id(format!("m{i}"))
                        .receipt_handle(&m.receipt)
                        .visibility_timeout(intake::delay_secs(*wait, *i))
                        .build()
                        .ok()
                })
                .collect();
            if let Err(e) = self
                .parts
                .sqs
                .change_message_visibility_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                tracing::warn!(error = %rampart_member::error_text::describe(&e), "deferred events keep the queue's visibility timeout");
            }
        }
    }
}

//! The intake queue's consumer. The hub bus's rules deliver the events the playbooks start on
//! to an SQS queue, and the queue to the function in batches. A batch is handled fairly across
//! the accounts that sent it (round robin), each account within an intake budget kept in this
//! process (no AWS call to decide it), so one member's flood cannot hold another member's
//! GuardDuty finding back; an event over its account's budget, or one the gate defers (lease
//! held, action budget spent), goes back to the queue with a delay until it can be acted on,
//! never dropped and never dependent on Lambda's own retries.

use crate::time::Clock;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// The longest SQS lets a message stay invisible (12 hours).
pub const MAX_DELAY_SECS: u64 = 12 * 3600;

/// One queued event.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub receipt: String,
    pub body: String,
    /// The account that delivered the event (the envelope's `account`), `unknown` when the
    /// body does not say.
    pub account: String,
}

/// A batch as the SQS event source hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// `arn:aws:sqs:<region>:<account>:<name>` of the queue.
    pub queue_arn: Option<String>,
    pub messages: Vec<Message>,
}

/// Whether a Lambda payload is an SQS batch.
pub fn is_batch(payload: &Value) -> bool {
    payload
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs")
}

/// Reads an SQS batch; records without an id or body are skipped (they cannot be reported).
pub fn parse_batch(payload: &Value) -> Batch {
    let records = payload
        .get("Records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let queue_arn = records.first().and_then(|r| text(r, "eventSourceARN"));
    let messages = records
        .iter()
        .filter_map(|r| {
            let body = text(r, "body")?;
            let account = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|b| text(&b, "account"))
                .filter(|a| a.len() == 12 && a.bytes().all(|c| c.is_ascii_digit()))
                .unwrap_or_else(|| "unknown".into());
            Some(Message {
                id: text(r, "messageId")?,
                receipt: text(r, "receiptHandle").unwrap_or_default(),
                body,
                account,
            })
        })
        .collect();
    Batch {
        queue_arn,
        messages,
    }
}

/// The queue URL of a queue ARN (`arn:aws:sqs:us-east-1:111122223333:q` ->
/// `https://sqs.us-east-1.amazonaws.com/111122223333/q`).
pub fn queue_url(arn: &str) -> Option<String> {
    let p: Vec<&str> = arn.split(':').collect();
    if p.len() != 6 || p[0] != "arn" || p[2] != "sqs" {
        return None;
    }
    let domain = match p[1] {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    };
    Some(format!("https://sqs.{}.{domain}/{}/{}", p[3], p[4], p[5]))
}

/// The order a batch is handled in: one event of each account in turn, each account's own
/// events in the order they arrived.
pub fn fair_order(messages: &[Message]) -> Vec<usize> {
    let mut queues: BTreeMap<&str, VecDeque<usize>> = BTreeMap::new();
    let mut first_seen: Vec<&str> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let q = queues.entry(m.account.as_str()).or_default();
        if q.is_empty() && !first_seen.contains(&m.account.as_str()) {
            first_seen.push(m.account.as_str());
        }
        q.push_back(i);
    }
    let mut out = Vec::with_capacity(messages.len());
    while out.len() < messages.len() {
        for a in &first_seen {
            if let Some(i) = queues.get_mut(a).and_then(VecDeque::pop_front) {
                out.push(i);
            }
        }
    }
    out
}

/// Per-account intake budgets: a token bucket per delivering account, refilled at `per_minute`
/// up to `burst`. Kept in the process that consumes the queue, so deciding costs no call.
///
/// An event over budget reserves the next free slot of its account (the bucket goes into
/// debt) and is told to come back then; when it does, its slot is honoured without charging
/// again. So a flood is spread out over its own future, one slot after another, instead of all
/// of it coming back together and crowding other accounts' events out of every receive.
#[derive(Debug)]
pub struct Budgets {
    per_minute: f64,
    burst: f64,
    clock: Clock,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Tokens (negative: reserved ahead) and when they were last counted, per account.
    buckets: HashMap<String, (f64, chrono::DateTime<chrono::Utc>)>,
    /// Message id -> the time its reserved slot comes.
    reserved: HashMap<String, chrono::DateTime<chrono::Utc>>,
}

/// Reservations kept at most (a message handled by another consumer never comes back here).
const MAX_RESERVED: usize = 100_000;

impl Budgets {
    pub fn new(per_minute: u32, burst: u32, clock: Clock) -> Budgets {
        Budgets {
            per_minute: f64::from(per_minute.max(1)),
            burst: f64::from(burst.max(1)),
            clock,
            state: Mutex::new(State::default()),
        }
    }

    /// Takes one event (`message`, the queue's message id) of `account`'s budget, or reserves
    /// its account's next free slot and says how long until it comes.
    pub fn take(&self, account: &str, message: &str) -> Result<(), Duration> {
        let now = self.clock.now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(due) = st.reserved.get(message).copied() {
            // Its token was charged when the slot was reserved.
            if due <= now + chrono::Duration::milliseconds(500) {
                st.reserved.remove(message);
                return Ok(());
            }
            let wait = (due - now).num_milliseconds().max(0) as f64 / 1000.0;
            return Err(Duration::from_secs_f64(wait.max(1.0)));
        }
        let (tokens, at) = st
            .buckets
            .entry(account.to_string())
            .or_insert((self.burst, now));
        let elapsed = (now - *at).num_milliseconds().max(0) as f64 / 60_000.0;
        *tokens = (*tokens + elapsed * self.per_minute).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Ok(());
        }
        // Reserve: this event's token is the one earned once the debt ahead of it is repaid.
        *tokens -= 1.0;
        let wait = (-*tokens / self.per_minute * 60.0).max(1.0);
        let due = now + chrono::Duration::milliseconds((wait * 1000.0) as i64);
        if st.reserved.len() >= MAX_RESERVED {
            st.reserved
                .retain(|_, d| *d > now - chrono::Duration::hours(1));
        }
        if st.reserved.len() < MAX_RESERVED {
            st.reserved.insert(message.to_string(), due);
        }
        Err(Duration::from_secs_f64(wait))
    }
}

/// What becomes of one queued event.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Handled: deleted from the queue.
    Done,
    /// Back to the queue, visible again after this long.
    Later(Duration),
    /// Failed: back to the queue when its visibility timeout ends (then the dead-letter queue
    /// after the queue's receive limit).
    Retry,
}

/// The SQS event source's answer: the messages that are not done.
pub fn batch_response(failures: &[String]) -> Value {
    json!({
        "batchItemFailures": failures
            .iter()
            .map(|id| json!({"itemIdentifier": id}))
            .collect::<Vec<_>>()
    })
}

/// A delay in whole seconds SQS accepts, with a little spread so deferred events of one
/// account do not all come back at once.
pub fn delay_secs(d: Duration, spread_seed: usize) -> i32 {
    let base = d.as_secs().clamp(1, MAX_DELAY_SECS);
    let jitter = (spread_seed as u64 % 7).min(MAX_DELAY_SECS - base);
    i32::try_from(base + jitter).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests;

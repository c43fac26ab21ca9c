//! Unit tests of the intake queue's consumer.

use super::*;

fn msg(id: &str, account: &str) -> Message {
    Message {
        id: id.into(),
        receipt: format!("r-{id}"),
        body: String::new(),
        account: account.into(),
    }
}

#[test]
fn a_flood_does_not_push_another_account_back() {
    let mut batch: Vec<Message> = (0..9)
        .map(|i| msg(&format!("f{i}"), "111111111111"))
        .collect();
    batch.push(msg("victim", "222222222222"));
    let order = fair_order(&batch);
    let ids: Vec<&str> = order.iter().map(|&i| batch[i].id.as_str()).collect();
    assert_eq!(ids[0], "f0");
    assert_eq!(ids[1], "victim", "{ids:?}");
    assert_eq!(ids.len(), 10);
}

#[test]
fn budgets_refill_and_say_when() {
    let clock = Clock::manual(chrono::Utc::now());
    let b = Budgets::new(60, 2, clock.clone());
    assert!(b.take("a", "m1").is_ok());
    assert!(b.take("a", "m2").is_ok());
    let wait = b.take("a", "m3").unwrap_err();
    assert!(wait <= Duration::from_secs(1), "{wait:?}");
    assert!(
        b.take("b", "n1").is_ok(),
        "accounts have budgets of their own"
    );
    clock.advance(Duration::from_secs(1));
    // m3's slot has come: it is honoured; a newcomer of the same second waits its turn.
    assert!(b.take("a", "m3").is_ok());
    assert!(b.take("a", "m4").is_err());
}

/// A flood is spread over its own future: each deferred event gets a slot of its own, one
/// interval after another, and comes back at its slot instead of all at once.
#[test]
fn a_flood_is_spread_one_slot_after_another() {
    let clock = Clock::manual(chrono::Utc::now());
    let b = Budgets::new(60, 1, clock.clone());
    assert!(b.take("a", "f0").is_ok());
    let waits: Vec<u64> = (1..=5)
        .map(|i| b.take("a", &format!("f{i}")).unwrap_err().as_secs())
        .collect();
    assert_eq!(waits, [1, 2, 3, 4, 5]);
    // Back early: still waiting for its slot, not charged again.
    clock.advance(Duration::from_secs(2));
    assert_eq!(b.take("a", "f4").unwrap_err().as_secs(), 2);
    assert!(b.take("a", "f2").is_ok());
    clock.advance(Duration::from_secs(3));
    for i in [1, 3, 4, 5] {
        assert!(b.take("a", &format!("f{i}")).is_ok(), "f{i}");
    }
    // The debt is repaid: the next event waits one interval, not the flood's.
    assert_eq!(b.take("a", "g").unwrap_err().as_secs(), 1);
}

#[test]
fn batches_and_queue_urls_parse() {
    let payload = json!({"Records": [
        {"messageId": "m1", "receiptHandle": "h1", "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:eu-west-1:999988887777:rampart-intake",
         "body": "{\"account\": \"111122223333\", \"id\": \"e\"}"},
        {"messageId": "m2", "receiptHandle": "h2", "eventSource": "aws:sqs", "body": "not json"}
    ]});
    assert!(is_batch(&payload));
    assert!(!is_batch(&json!({"source": "aws.events"})));
    let b = parse_batch(&payload);
    assert_eq!(b.messages.len(), 2);
    assert_eq!(b.messages[0].account, "111122223333");
    assert_eq!(b.messages[1].account, "unknown");
    assert_eq!(
        queue_url(b.queue_arn.as_deref().unwrap()).as_deref(),
        Some("https://sqs.eu-west-1.amazonaws.com/999988887777/rampart-intake")
    );
    assert_eq!(
        batch_response(&["m2".into()]),
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
    );
    assert_eq!(delay_secs(Duration::from_secs(0), 0), 1);
    assert_eq!(delay_secs(Duration::from_secs(10 * 3600 * 24), 3), 43200);
}

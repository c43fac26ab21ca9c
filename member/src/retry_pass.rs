//! Another pass for the reads a transient error cost. The SDK retries each call a few times
//! within seconds; when a throttling burst or an unavailable service outlasts that, the read
//! is still worth one more try later, paced, before its checks are reported as errors. A
//! refusal (access denied, not found) is final and never read again.
//!
//! Works on any snapshot through its serialized form: every `Collected::Err` node whose kind
//! is throttled or transient (`{"err": {"kind": "throttled", ..}}`) is replaced by what the
//! new pass read at the same place, so exactly the failed parts change, however deep (a
//! bucket's policy, a trail's status) and whatever snapshot fields are added later.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::time::Duration;

/// How parts whose reads failed transiently are read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPass {
    /// Extra passes at most; 0 reports transient failures as errors at once.
    pub passes: u32,
    /// Pause before the first extra pass; the n-th waits n times as long, plus jitter of up to
    /// half of it, so parts and accounts that failed together do not come back together.
    pub pause: Duration,
}

impl Default for RetryPass {
    fn default() -> Self {
        RetryPass {
            passes: 2,
            pause: Duration::from_secs(2),
        }
    }
}

impl RetryPass {
    /// No extra pass.
    pub fn off() -> Self {
        RetryPass {
            passes: 0,
            pause: Duration::ZERO,
        }
    }
}

/// A transient error node: `{"err": {"kind": "throttled" | "transient", ..}}`.
fn is_transient_err(v: &Value) -> bool {
    match v {
        Value::Object(m) if m.len() == 1 => m.get("err").is_some_and(|e| {
            matches!(
                e.get("kind").and_then(Value::as_str),
                Some("throttled" | "transient")
            )
        }),
        _ => false,
    }
}

/// Transient error nodes in a serialized snapshot.
pub fn transient_errors(v: &Value) -> usize {
    if is_transient_err(v) {
        return 1;
    }
    match v {
        Value::Object(m) => m.values().map(transient_errors).sum(),
        Value::Array(a) => a.iter().map(transient_errors).sum(),
        _ => 0,
    }
}

/// Whether two list items are the same thing (same id, ARN or name where both have one), so
/// a list read twice is merged item by item only where the items line up.
fn same_item(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => ["id", "arn", "name", "group_id", "account_id"]
            .iter()
            .all(|k| match (x.get(*k), y.get(*k)) {
                (Some(p), Some(q)) => p == q,
                _ => true,
            }),
        _ => true,
    }
}

/// Replaces each transient error in `first` with what `again` has at the same place.
pub fn merge(first: &mut Value, again: &Value) {
    if is_transient_err(first) {
        *first = again.clone();
        return;
    }
    match (first, again) {
        (Value::Object(m), Value::Object(n)) => {
            for (k, v) in m.iter_mut() {
                if let Some(w) = n.get(k) {
                    merge(v, w);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (v, w) in a.iter_mut().zip(b) {
                if same_item(v, w) {
                    merge(v, w);
                }
            }
        }
        _ => {}
    }
}

/// The pause before extra pass `n` (1-based).
fn pause_before(base: Duration, n: u32) -> Duration {
    use std::hash::BuildHasher;
    let draw = std::collections::hash_map::RandomState::new().hash_one(n);
    let jitter = base.mul_f64((draw % 1000) as f64 / 2000.0);
    base * n + jitter
}

/// `first`, with the parts a transient error cost read again by `again` (a fresh, paced
/// collection of the same part) up to `pass.passes` times. Returns at once, without a request,
/// when nothing failed transiently.
pub async fn settle<T, F, Fut>(first: T, pass: &RetryPass, part: &str, mut again: F) -> T
where
    T: Serialize + DeserializeOwned,
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    if pass.passes == 0 {
        return first;
    }
    let Ok(mut merged) = serde_json::to_value(&first) else {
        return first;
    };
    let before = transient_errors(&merged);
    if before == 0 {
        return first;
    }
    let mut passes = 0;
    while passes < pass.passes && transient_errors(&merged) > 0 {
        passes += 1;
        tokio::time::sleep(pause_before(pass.pause, passes)).await;
        match serde_json::to_value(again().await) {
            Ok(v) => merge(&mut merged, &v),
            Err(_) => break,
        }
    }
    let left = transient_errors(&merged);
    tracing::info!(
        part,
        before,
        left,
        passes,
        "reads that failed transiently read again"
    );
    match serde_json::from_value(merged) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(part, error = %e, "merged snapshot unreadable; keeping the first pass");
            first
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws_error::{AwsError, ErrorKind};
    use crate::snapshot::Collected;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Item {
        name: String,
        policy: Collected<u32>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Part {
        a: Collected<u32>,
        b: Collected<u32>,
        items: Collected<Vec<Item>>,
    }

    fn err(kind: ErrorKind) -> AwsError {
        AwsError {
            operation: "svc:Op".into(),
            code: None,
            message: "m".into(),
            kind,
        }
    }

    fn item(name: &str, policy: Collected<u32>) -> Item {
        Item {
            name: name.into(),
            policy,
        }
    }

    fn quick() -> RetryPass {
        RetryPass {
            passes: 2,
            pause: Duration::from_millis(1),
        }
    }

    #[tokio::test]
    async fn only_transient_failures_are_read_again_and_replaced() {
        let first = Part {
            a: Collected::Err(err(ErrorKind::Throttled)),
            b: Collected::Err(err(ErrorKind::Denied)),
            items: Collected::Ok(vec![
                item("x", Collected::Ok(1)),
                item("y", Collected::Err(err(ErrorKind::Transient))),
            ]),
        };
        let again = Part {
            a: Collected::Ok(7),
            b: Collected::Ok(8),
            items: Collected::Ok(vec![
                item("x", Collected::Ok(100)),
                item("y", Collected::Ok(2)),
            ]),
        };
        let mut calls = 0;
        let got = settle(first, &quick(), "t", || {
            calls += 1;
            let again = again.clone();
            async move { again }
        })
        .await;
        assert_eq!(calls, 1);
        assert_eq!(got.a, Collected::Ok(7));
        // A refusal stays; a read that succeeded stays what it was.
        assert_eq!(got.b, Collected::Err(err(ErrorKind::Denied)));
        assert_eq!(
            got.items,
            Collected::Ok(vec![
                item("x", Collected::Ok(1)),
                item("y", Collected::Ok(2))
            ])
        );
    }

    #[tokio::test]
    async fn nothing_transient_costs_no_pass() {
        let first = Part {
            a: Collected::Ok(1),
            b: Collected::Err(err(ErrorKind::NotFound)),
            items: Collected::Ok(vec![]),
        };
        let got = settle(first.clone(), &quick(), "t", || async {
            panic!("no pass when nothing failed transiently")
        })
        .await;
        assert_eq!(got, first);
    }

    #[tokio::test]
    async fn a_second_pass_picks_up_what_the_first_could_not() {
        let first = Part {
            a: Collected::Err(err(ErrorKind::Throttled)),
            b: Collected::Err(err(ErrorKind::Transient)),
            items: Collected::Err(err(ErrorKind::Throttled)),
        };
        let passes = [
            Part {
                a: Collected::Ok(1),
                b: Collected::Err(err(ErrorKind::Throttled)),
                items: Collected::Ok(vec![item("y", Collected::Err(err(ErrorKind::Throttled)))]),
            },
            Part {
                a: Collected::Err(err(ErrorKind::Throttled)),
                b: Collected::Ok(2),
                items: Collected::Ok(vec![item("y", Collected::Ok(3))]),
            },
        ];
        let mut n = 0;
        let got = settle(first, &quick(), "t", || {
            n += 1;
            let p = passes[n - 1].clone();
            async move { p }
        })
        .await;
        assert_eq!(n, 2);
        assert_eq!(got.a, Collected::Ok(1));
        assert_eq!(got.b, Collected::Ok(2));
        assert_eq!(got.items, Collected::Ok(vec![item("y", Collected::Ok(3))]));
    }

    #[test]
    fn lists_that_no_longer_line_up_are_left_alone() {
        let mut first = serde_json::json!([{"name": "a", "p": {"err": {"kind": "throttled"}}}]);
        let again = serde_json::json!([{"name": "b", "p": {"ok": 1}}]);
        merge(&mut first, &again);
        assert_eq!(transient_errors(&first), 1);
        let longer = serde_json::json!([{"name": "a", "p": {"ok": 1}}, {"name": "c"}]);
        merge(&mut first, &longer);
        assert_eq!(transient_errors(&first), 1);
    }

    #[tokio::test]
    async fn off_means_no_pass() {
        let first = Part {
            a: Collected::Err(err(ErrorKind::Throttled)),
            b: Collected::Ok(1),
            items: Collected::Ok(vec![]),
        };
        let got = settle(first.clone(), &RetryPass::off(), "t", || async {
            panic!("no pass when off")
        })
        .await;
        assert_eq!(got, first);
    }
}

//! A seeded fault-injecting HTTP/1.1 proxy on loopback, in front of the emulator: what a real
//! fleet sees from AWS on a bad day (throttling, 503s, dropped connections, latency), made
//! repeatable.
//!
//! Every request is identified (service, operation, wire protocol; see [`protocol`]). Rules for
//! named operations are applied first (fail `DescribeSecurityGroups` three times, deny
//! `GetBucketPolicy` always); then a seeded fraction of requests is faulted at random. The
//! draw for a request depends on the seed, the request's content and how often that same
//! request was seen before, not on the order concurrent requests arrive in, so the same seed
//! injects the same faults into the same requests run after run (up to which of several
//! identical requests from different accounts comes first). Injected errors are in the
//! service's own protocol, so the SDK parses and retries them as it would AWS's. What was
//! injected is counted per kind and operation.

pub mod http;
pub mod protocol;
#[cfg(test)]
mod sdk_tests;
#[cfg(test)]
mod tests;

use http::{Head, Message};
pub use protocol::{Answer, Call, Protocol};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What is done to a request instead of (or before) forwarding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service's throttling error.
    Throttle,
    /// 503 Service Unavailable in the service's protocol.
    Unavailable,
    /// The connection is closed (reset) without an answer.
    Reset,
    /// Forwarded after this delay.
    Latency(Duration),
    /// Access denied in the service's protocol: a permanent error.
    Deny,
}

impl Fault {
    /// The name counts use.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::Unavailable => "unavailable",
            Fault::Reset => "reset",
            Fault::Latency(_) => "latency",
            Fault::Deny => "deny",
        }
    }
}

/// Relative weights of the kinds of random fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub throttle: u32,
    pub unavailable: u32,
    pub reset: u32,
    pub latency: u32,
}

impl Default for Mix {
    /// Mostly throttling, as a busy account sees; one in five faults is only slow.
    fn default() -> Self {
        Mix {
            throttle: 4,
            unavailable: 2,
            reset: 2,
            latency: 2,
        }
    }
}

/// A fault for requests of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The signing service (`ec2`, `s3control`); `None` for any.
    pub service: Option<String>,
    /// The operation as [`Call::operation`] names it.
    pub operation: String,
    pub fault: Fault,
    /// Fire on each caller's first `n` matching requests only (callers told by their access
    /// key: one per account session, so every account of a fleet gets its `n`); `None`: on
    /// every one.
    pub times: Option<u32>,
}

impl Rule {
    /// `fault` on every request of `operation`.
    pub fn always(operation: &str, fault: Fault) -> Rule {
        Rule {
            service: None,
            operation: operation.into(),
            fault,
            times: None,
        }
    }

    /// `fault` on each caller's first `n` requests of `operation`.
    pub fn first(operation: &str, n: u32, fault: Fault) -> Rule {
        Rule {
            times: Some(n),
            ..Rule::always(operation, fault)
        }
    }

    fn matches(&self, call: &Call) -> bool {
        call.operation == self.operation && self.service.as_ref().is_none_or(|s| *s == call.service)
    }
}

/// What the proxy injects.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    pub seed: u64,
    /// Fraction of requests faulted at random (0 to 1).
    pub rate: f64,
    pub mix: Mix,
    /// Random latency is drawn up to this.
    pub max_latency: Duration,
    pub rules: Vec<Rule>,
}

impl FaultPlan {
    /// Forward everything untouched.
    pub fn clean() -> FaultPlan {
        FaultPlan::random(0, 0.0)
    }

    /// `rate` of requests faulted with the default mix, drawn from `seed`.
    pub fn random(seed: u64, rate: f64) -> FaultPlan {
        FaultPlan {
            seed,
            rate,
            mix: Mix::default(),
            max_latency: Duration::from_millis(300),
            rules: Vec::new(),
        }
    }

    /// Only `rules`, nothing random.
    pub fn rules(rules: Vec<Rule>) -> FaultPlan {
        FaultPlan {
            rules,
            ..FaultPlan::clean()
        }
    }
}

/// What the proxy saw and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every request received, by `service:Operation`.
    pub requests: BTreeMap<String, u64>,
    /// Faults injected, by (kind, `service:Operation`).
    pub injected: BTreeMap<(String, String), u64>,
    /// Requests the emulator did not answer (answered 502).
    pub upstream_errors: u64,
}

impl Counts {
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    /// Faults injected, every kind.
    pub fn total_injected(&self) -> u64 {
        self.injected.values().sum()
    }

    /// Faults injected by kind.
    pub fn by_kind(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for ((kind, _), n) in &self.injected {
            *out.entry(kind.clone()).or_default() += n;
        }
        out
    }

    /// Requests of one `service:Operation`.
    pub fn requests_of(&self, key: &str) -> u64 {
        self.requests.get(key).copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
struct State {
    plan: Option<FaultPlan>,
    /// Times each rule fired, by (rule, caller).
    rule_hits: HashMap<(usize, String), u32>,
    /// How often each request identity was seen (a retry is the next occurrence).
    seen: HashMap<u64, u64>,
    counts: Counts,
    sequence: u64,
}

/// FNV-1a over `parts`: stable across runs and Rust versions.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// SplitMix64's finalizer: turns correlated inputs into independent-looking draws.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A draw in [0, 1).
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

impl State {
    /// The fault for this request, if any, and its sequence number.
    fn decide(&mut self, call: &Call, head: &Head, body: &[u8]) -> (Option<Fault>, u64) {
        self.sequence += 1;
        let seq = self.sequence;
        *self.counts.requests.entry(call.key()).or_default() += 1;
        let fault = self.draw(call, head, body);
        if let Some(f) = fault {
            *self
                .counts
                .injected
                .entry((f.kind().to_string(), call.key()))
                .or_default() += 1;
        }
        (fault, seq)
    }

    fn draw(&mut self, call: &Call, head: &Head, body: &[u8]) -> Option<Fault> {
        let plan = self.plan.as_ref()?;
        let caller = head
            .get("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or("");
        for (i, rule) in plan.rules.iter().enumerate() {
            if !rule.matches(call) {
                continue;
            }
            let hits = self.rule_hits.entry((i, caller.to_string())).or_default();
            if rule.times.is_none_or(|n| *hits < n) {
                *hits += 1;
                return Some(rule.fault);
            }
        }
        if plan.rate <= 0.0 {
            return None;
        }
        let (method, target) = head.request_line();
        let id = fnv(&[
            call.service.as_bytes(),
            method.as_bytes(),
            target.as_bytes(),
            body,
        ]);
        let n = self.seen.entry(id).or_default();
        *n += 1;
        let h = mix(plan.seed ^ mix(id ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        if unit(h) >= plan.rate {
            return None;
        }
        let m = plan.mix;
        let total = u64::from(m.throttle + m.unavailable + m.reset + m.latency).max(1);
        let pick = mix(h) % total;
        let cut1 = u64::from(m.throttle);
        let cut2 = cut1 + u64::from(m.unavailable);
        let cut3 = cut2 + u64::from(m.reset);
        Some(if pick < cut1 {
            Fault::Throttle
        } else if pick < cut2 {
            Fault::Unavailable
        } else if pick < cut3 {
            Fault::Reset
        } else {
            let max = u64::try_from(plan.max_latency.as_millis()).unwrap_or(u64::MAX);
            Fault::Latency(Duration::from_millis(mix(h ^ 1) % max.max(1)))
        })
    }
}

/// The running proxy; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

/// An answer from the emulator can take this long (a slow credential report, a busy emulator).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);

impl FaultProxy {
    /// Starts the proxy on a free loopback port, forwarding to `upstream`
    /// (`http://127.0.0.1:<port>`, the emulator's endpoint). Call inside a Tokio runtime.
    pub async fn start(upstream: &str, plan: FaultPlan) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let state = Arc::new(Mutex::new(State {
            plan: Some(plan),
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            // Connections live in the set: aborting the proxy drops them all.
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of descriptors, most likely: let connections finish first.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                while conns.try_join_next().is_some() {}
                conns.spawn(serve(stream, upstream.clone(), shared.clone()));
            }
        });
        Ok(FaultProxy { addr, state, task })
    }

    /// The proxy's endpoint (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `base` with its endpoint pointed at the proxy.
    pub fn sdk_config(&self, base: &aws_config::SdkConfig) -> aws_config::SdkConfig {
        base.to_builder().endpoint_url(self.url()).build()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What was seen and injected so far.
    pub fn counts(&self) -> Counts {
        self.state().counts.clone()
    }

    /// Follow `plan` from now on, with counts, rule hits and draws started afresh.
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut s = self.state();
        *s = State {
            plan: Some(plan),
            ..State::default()
        };
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves one client connection: requests in order, keep-alive.
async fn serve(stream: TcpStream, upstream: String, state: Arc<Mutex<State>>) {
    let mut conn = BufReader::new(stream);
    loop {
        let Ok(Some(head)) = http::read_head(&mut conn).await else {
            return;
        };
        if head
            .get("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
            && conn
                .get_mut()
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .is_err()
        {
            return;
        }
        let Ok(body) = http::read_request_body(&mut conn, &head).await else {
            return;
        };
        let call = protocol::identify(&head, &body);
        let (fault, seq) = state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .decide(&call, &head, &body);
        let method = head.request_line().0.to_string();
        let request_id = format!("fault-proxy-{seq}");
        let answer = match fault {
            Some(Fault::Reset) => {
                // A reset, not a polite close: the client sees its request die mid-flight.
                let _ = conn.get_ref().set_zero_linger();
                return;
            }
            Some(Fault::Throttle) => protocol::error_response(&call, Answer::Throttle, &request_id),
            Some(Fault::Unavailable) => {
                protocol::error_response(&call, Answer::Unavailable, &request_id)
            }
            Some(Fault::Deny) => protocol::error_response(&call, Answer::Deny, &request_id),
            Some(Fault::Latency(d)) => {
                tokio::time::sleep(d).await;
                relay(&upstream, head.clone(), body, &state).await
            }
            None => relay(&upstream, head.clone(), body, &state).await,
        };
        // A HEAD answer has no body, injected or not.
        let bodiless = method.eq_ignore_ascii_case("HEAD");
        let close = head
            .get("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let conn_header = if close { "close" } else { "keep-alive" };
        if http::write(conn.get_mut(), &answer, conn_header, bodiless)
            .await
            .is_err()
            || close
        {
            return;
        }
    }
}

/// The emulator's answer, or a 502 when it gives none.
async fn relay(upstream: &str, head: Head, body: Vec<u8>, state: &Arc<Mutex<State>>) -> Message {
    let request = Message { head, body };
    match tokio::time::timeout(UPSTREAM_TIMEOUT, forward(upstream, &request)).await {
        Ok(Ok(m)) => m,
        failed => {
            state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .counts
                .upstream_errors += 1;
            let why = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".into(),
            };
            http::response(
                502,
                &[("Content-Type", "text/plain")],
                format!("fault proxy: the emulator did not answer: {why}").into_bytes(),
            )
        }
    }
}

/// One request to the emulator on a connection of its own.
async fn forward(upstream: &str, request: &Message) -> std::io::Result<Message> {
    let mut up = BufReader::new(TcpStream::connect(upstream).await?);
    http::write(up.get_mut(), request, "close", false).await?;
    let method = request.head.request_line().0;
    loop {
        let head = http::read_head(&mut up)
            .await?
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        // Interim answers (100 Continue) precede the real one.
        if (100..200).contains(&head.status()) {
            continue;
        }
        let body = http::read_response_body(&mut up, &head, method).await?;
        return Ok(Message { head, body });
    }
}

//! The hub's event responder: one code path for the hub Lambda and `rampart handle-event`.
//! Parse (every field checked), route through the registry, admit (trust), then each target
//! through the gate and its playbook; finally alert and audit.

use super::access::{HubIdentity, MemberAccess};
use super::parts::Parts;
use super::reassess::Reassess;
use super::record::{elapsed, rejected, Outcome};
use super::route::{route, Route};
use super::run::guarded;
use super::schedule;
use super::store::Store;
use super::trust::Refusal;
use aws_config::SdkConfig;
use rampart_common::event::{self, Event, Kind};
use rampart_common::ResponseConfig;
use serde_json::Value;
use std::time::Instant;

/// The hub's event responder.
pub struct Responder {
    pub(super) parts: Parts,
}

impl Responder {
    /// `hub` holds the hub's credentials (DynamoDB, SNS, Organizations); `assess_role` is the
    /// assessment role name, also treated as Rampart's own.
    pub fn new(
        hub: &SdkConfig,
        identity: HubIdentity,
        members: MemberAccess,
        cfg: ResponseConfig,
        assess_role: &str,
        plan: bool,
    ) -> Self {
        Responder {
            parts: Parts::new(hub, identity, members, cfg, assess_role, plan),
        }
    }

    /// The thresholds remediations fix to (`[thresholds]`).
    pub fn with_settings(mut self, settings: rampart_member::checks::Settings) -> Self {
        self.parts.settings = settings;
        self
    }

    /// Re-evaluate controls after remediating them.
    pub fn with_reassess(mut self, r: Reassess) -> Self {
        self.parts.reassess = Some(r);
        self
    }

    pub fn store(&self) -> &Store {
        &self.parts.store
    }

    /// Handles raw event bytes (the CLI's file or stdin).
    pub async fn handle_bytes(&self, raw: &[u8]) -> Outcome {
        let started = Instant::now();
        match event::parse(raw) {
            Ok(e) => self.handle_event(e, started).await,
            Err(err) => {
                let o = rejected(None, None, err.to_string(), started);
                self.parts.finish(o).await
            }
        }
    }

    /// Handles an already-decoded event (the Lambda's payload).
    pub async fn handle_value(&self, v: &Value) -> Outcome {
        let started = Instant::now();
        match event::parse_value(v) {
            Ok(e) => self.handle_event(e, started).await,
            Err(err) => {
                let id = v.get("id").and_then(Value::as_str).map(str::to_string);
                let account = v
                    .get("account")
                    .and_then(Value::as_str)
                    .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
                    .map(str::to_string);
                let o = rejected(id, account, err.to_string(), started);
                self.parts.finish(o).await
            }
        }
    }

    /// `rampart record-trails`: the schedule's work on an operator's request.
    pub async fn record_trails_now(&self, accept_drift: bool) -> Outcome {
        schedule::record_trails_now(&self.parts, accept_drift).await
    }

    async fn handle_event(&self, e: Event, started: Instant) -> Outcome {
        let p = &self.parts;
        let env = &e.envelope;
        let mut base = Outcome::new(&env.id);
        base.account = Some(env.account.clone());
        base.region = Some(env.region.clone());
        if e.kind == Kind::Scheduled {
            base.playbook = Some("record-trails".into());
            if let Err(why) = schedule::schedule_is_ours(p, &e) {
                return p.refuse(base, Refusal::Rejected(why), started).await;
            }
            return schedule::record_trails(p, base, started, false).await;
        }
        let route = route(&e, &p.cfg);
        if let Route::Act { playbook, .. } = &route {
            base.playbook = Some(playbook.to_string());
        }
        // Who may make the hub act where, before anything else happens.
        let accounts: Vec<String> = match &route {
            Route::Act { targets, .. } => targets.iter().map(|t| t.account.clone()).collect(),
            _ => Vec::new(),
        };
        if let Err(refusal) = p.trust.admit(&e, &accounts).await {
            return p.refuse(base, refusal, started).await;
        }
        match route {
            Route::Reject(why) => p.refuse(base, Refusal::Rejected(why), started).await,
            Route::Ignore(why) => {
                base.reason = Some(why);
                base.millis = elapsed(started);
                p.finish(base).await
            }
            Route::Act {
                targets,
                call,
                playbook: _,
                link,
                unanswered,
            } => {
                base.link = link;
                // One outcome per target; the event's outcome is the worst of them (the common
                // case is one), the rest are audited and alerted on their own.
                let mut outcomes = Vec::new();
                for t in targets {
                    let mut o = base.clone();
                    if !outcomes.is_empty() {
                        o.incident_id = uuid::Uuid::new_v4().to_string();
                    }
                    outcomes.push(guarded(p, o, t, call.as_deref(), started).await);
                }
                for u in unanswered {
                    let mut o = base.clone();
                    o.incident_id = uuid::Uuid::new_v4().to_string();
                    o.account = Some(u.account);
                    o.region = Some(u.region);
                    o.resource = Some(u.resource);
                    o.reason = Some(u.why);
                    o.millis = elapsed(started);
                    outcomes.push(p.finish(o).await);
                }
                if outcomes.len() > 1 {
                    let all = outcomes.clone();
                    let mut o = super::record::worst(outcomes).unwrap_or(base);
                    o.targets = all;
                    o
                } else {
                    super::record::worst(outcomes).unwrap_or(base)
                }
            }
        }
    }
}

//! Event-driven response: authenticated cross-account intake, routing to the seed's playbooks,
//! alerts and the audit trail.
//!
//! One code path serves the hub Lambda (`rampart-hub-lambda`) and the CLI (`rampart
//! handle-event`, `isolate`, `mfa enforce`): parse, authenticate, route, claim (act once),
//! act in the member through its response role, alert, audit.

pub mod alert;
pub mod auth;
pub mod event;
pub mod identity;
pub mod playbooks;
pub mod record;
pub mod store;
pub mod totp;
pub mod trails;

use crate::session::{session_name, SessionSpec, Sessions};
use aws_config::SdkConfig;
use event::{ApiCall, Event, Kind};
use playbooks::{Ctx, Run};
use rampart_common::response::Mode;
use rampart_common::ResponseConfig;
use record::{ActionRecord, Disposition, Outcome, Stage, Status};
use serde_json::Value;
use std::time::{Duration, Instant};
use store::Store;

/// IAM actions the hub's own role needs for response (hub account).
pub fn hub_permissions() -> Vec<rampart_common::Permissions> {
    vec![
        store::PERMISSIONS,
        alert::PERMISSIONS,
        auth::PERMISSIONS,
        crate::session::PERMISSIONS,
    ]
}

/// The deployment-specific values the hub stack passes to the Lambda as environment variables
/// (`RAMPART_AUDIT_TABLE`, `RAMPART_ALERT_TOPIC_ARN`, `RAMPART_RESPONSE_ROLE`) win over the file.
pub fn config_with_env(mut cfg: ResponseConfig) -> ResponseConfig {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(v) = var("RAMPART_AUDIT_TABLE") {
        cfg.audit_table = Some(v);
    }
    if let Some(v) = var("RAMPART_ALERT_TOPIC_ARN") {
        cfg.alert_topic_arn = Some(v);
    }
    if let Some(v) = var("RAMPART_RESPONSE_ROLE") {
        cfg.role_name = Some(v);
    }
    cfg
}

/// How the responder reaches member accounts.
#[derive(Debug, Clone)]
pub enum MemberAccess {
    /// Assume the response role (the normal case).
    Roles {
        base: SdkConfig,
        hub_account: String,
        role_name: String,
        external_id: Option<String>,
        sts_region: String,
    },
    /// One fixed configuration for every account (tests that script member responses with
    /// the SDK's test HTTP client).
    Fixed(SdkConfig),
}

impl MemberAccess {
    async fn open(&self, account: &str, event_id: &str) -> Result<SdkConfig, String> {
        match self {
            MemberAccess::Fixed(c) => Ok(c.clone()),
            MemberAccess::Roles {
                base,
                hub_account,
                role_name,
                external_id,
                sts_region,
            } => {
                let spec = SessionSpec {
                    role_name: role_name.clone(),
                    external_id: external_id.clone(),
                    // Named after the event so member CloudTrail ties every call to it, and so
                    // the responder recognises (and ignores) events about its own calls.
                    session_name: session_name("rampart-respond", event_id),
                    duration: Duration::from_secs(900),
                    sts_region: sts_region.clone(),
                };
                Sessions::new(base.clone(), hub_account.clone(), spec)
                    .open(account)
                    .await
            }
        }
    }
}

/// Where an event goes.
#[derive(Debug, Clone, PartialEq)]
enum Route {
    Tamper(Box<ApiCall>),
    Mfa {
        call: Box<ApiCall>,
        user: String,
    },
    Isolate {
        targets: Vec<IsolateTarget>,
        trigger: String,
        link: Option<String>,
    },
    RecordTrails,
    Ignore(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct IsolateTarget {
    pub account: String,
    pub region: String,
    pub instance_id: String,
    /// Claim key: one action per finding (or per request) and instance.
    pub claim: String,
}

/// The playbook a guarded run executes.
#[derive(Debug, Clone)]
enum Job {
    Tamper(Box<ApiCall>),
    Mfa(String),
    Isolate { instance: String, trigger: String },
}

/// The hub's event responder.
pub struct Responder {
    cfg: ResponseConfig,
    members: MemberAccess,
    store: Store,
    sns: aws_sdk_sns::Client,
    org: auth::OrgMembers,
    own_roles: Vec<String>,
    /// Forced plan mode (`--plan`): nothing changes, whatever the configured modes say.
    plan: bool,
    hub_region: String,
}

impl Responder {
    /// `hub` holds the hub's credentials (DynamoDB, SNS, Organizations); `assess_role` is the
    /// assessment role name, also treated as Rampart's own.
    pub fn new(
        hub: &SdkConfig,
        members: MemberAccess,
        cfg: ResponseConfig,
        assess_role: &str,
        plan: bool,
    ) -> Self {
        let own_roles = vec![cfg.role_name().to_string(), assess_role.to_string()];
        Responder {
            store: Store::new(aws_sdk_dynamodb::Client::new(hub), cfg.audit_table()),
            sns: aws_sdk_sns::Client::new(hub),
            org: auth::OrgMembers::new(
                aws_sdk_organizations::Client::new(hub),
                Duration::from_secs(cfg.org_cache_secs()),
            ),
            hub_region: hub
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            cfg,
            members,
            own_roles,
            plan,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Handles raw event bytes (the CLI's file or stdin).
    pub async fn handle_bytes(&self, raw: &[u8]) -> Outcome {
        let started = Instant::now();
        match event::parse(raw) {
            Ok(e) => self.handle_event(e, started).await,
            Err(err) => {
                let o = rejected(None, None, err.to_string(), started);
                self.finish(o).await
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
                let o = rejected(id, None, err.to_string(), started);
                self.finish(o).await
            }
        }
    }

    async fn handle_event(&self, e: Event, started: Instant) -> Outcome {
        let env = &e.envelope;
        if let Err(why) = auth::require_aws_source(&env.source) {
            let o = rejected(
                Some(env.id.clone()),
                Some(env.account.clone()),
                why,
                started,
            );
            return self.finish(o).await;
        }
        // The delivering account must belong to the organization as well as the target.
        if let Err(why) = self.org.require_active(&env.account).await {
            let o = rejected(
                Some(env.id.clone()),
                Some(env.account.clone()),
                why,
                started,
            );
            return self.finish(o).await;
        }
        let route = self.route(&e);
        let mut base = Outcome {
            event_id: env.id.clone(),
            incident_id: uuid::Uuid::new_v4().to_string(),
            disposition: Disposition::Ignored,
            playbook: None,
            account: Some(env.account.clone()),
            region: Some(env.region.clone()),
            resource: None,
            reason: None,
            forensics: None,
            link: None,
            actions: Vec::new(),
            millis: 0,
        };
        match route {
            Route::Ignore(why) => {
                base.reason = Some(why);
                base.millis = elapsed(started);
                self.finish(base).await
            }
            Route::RecordTrails => {
                base.playbook = Some("record-trails".into());
                self.record_trails(base, started).await
            }
            Route::Tamper(call) => {
                let mode = self.cfg.cloudtrail_tamper.unwrap_or_default();
                let job = Job::Tamper(call.clone());
                self.on_api_call(base, &call, "cloudtrail-tamper", mode, job, started)
                    .await
            }
            Route::Mfa { call, user } => {
                let mode = self.cfg.auto_mfa.unwrap_or_default();
                self.on_api_call(base, &call, "auto-mfa", mode, Job::Mfa(user), started)
                    .await
            }
            Route::Isolate {
                targets,
                trigger,
                link,
            } => {
                base.playbook = Some("isolate".into());
                base.link = link;
                let mode = self.cfg.isolation.unwrap_or_default();
                // One outcome per instance; the event's outcome is the first (the common case
                // is one), the rest are audited and alerted on their own.
                let mut outcomes = Vec::new();
                for t in targets {
                    let mut o = base.clone();
                    o.incident_id = uuid::Uuid::new_v4().to_string();
                    let job = Job::Isolate {
                        instance: t.instance_id.clone(),
                        trigger: trigger.clone(),
                    };
                    outcomes.push(
                        self.guarded(o, &t.account, &t.region, &t.claim, mode, None, started, job)
                            .await,
                    );
                }
                let mut first = outcomes.into_iter();
                first.next().unwrap_or(base)
            }
        }
    }

    /// A playbook triggered by a CloudTrail API call: claimed per call (`ct#<eventID>`), acting
    /// in the call's account and region, never on Rampart's own calls.
    async fn on_api_call(
        &self,
        mut base: Outcome,
        call: &ApiCall,
        playbook: &str,
        mode: Mode,
        job: Job,
        started: Instant,
    ) -> Outcome {
        base.playbook = Some(playbook.into());
        base.link = Some(format!(
            "https://console.aws.amazon.com/cloudtrail/home?region={}#/events/{}",
            call.region, call.event_id
        ));
        let claim = format!("ct#{}", call.event_id);
        self.guarded(
            base,
            &call.account,
            &call.region,
            &claim,
            mode,
            Some(call),
            started,
            job,
        )
        .await
    }

    fn route(&self, e: &Event) -> Route {
        match &e.kind {
            Kind::ApiCall(c) => {
                if let Some(code) = &c.error_code {
                    return Route::Ignore(format!(
                        "{} failed ({code}); nothing changed",
                        c.event_name
                    ));
                }
                if c.event_source == "cloudtrail.amazonaws.com"
                    && playbooks::cloudtrail_tamper::TRIGGERS.contains(&c.event_name.as_str())
                {
                    return Route::Tamper(Box::new((**c).clone()));
                }
                if c.event_source == "iam.amazonaws.com" && c.event_name == "CreateUser" {
                    return match c.request_parameters.get("userName").and_then(Value::as_str) {
                        Some(u) if !u.is_empty() => Route::Mfa {
                            call: Box::new((**c).clone()),
                            user: u.to_string(),
                        },
                        _ => Route::Ignore(
                            "CreateUser event without requestParameters.userName".into(),
                        ),
                    };
                }
                Route::Ignore(format!(
                    "no playbook for {} {}",
                    c.event_source, c.event_name
                ))
            }
            Kind::GuardDuty(g) => match &g.instance_id {
                Some(id) if g.severity >= self.cfg.guardduty_min_severity() => Route::Isolate {
                    targets: vec![IsolateTarget {
                        account: g.account.clone(),
                        region: g.region.clone(),
                        instance_id: id.clone(),
                        claim: format!("gd#{}#{}", g.account, g.finding_id),
                    }],
                    trigger: format!("GuardDuty {} ({})", g.finding_type, g.finding_id),
                    link: Some(format!(
                        "https://console.aws.amazon.com/guardduty/home?region={}#/findings?search=id%3D{}",
                        g.region, g.finding_id
                    )),
                },
                Some(_) => Route::Ignore(format!(
                    "GuardDuty severity {} is below guardduty_min_severity {}",
                    g.severity,
                    self.cfg.guardduty_min_severity()
                )),
                None => Route::Ignore("the GuardDuty finding is not about an EC2 instance".into()),
            },
            Kind::CustomAction {
                action_arn,
                action_name,
                findings,
            } => {
                let id = action_arn.rsplit('/').next().unwrap_or_default();
                if id != self.cfg.isolate_action_id() {
                    return Route::Ignore(format!(
                        "no playbook for custom action {id} ({action_name})"
                    ));
                }
                let targets: Vec<IsolateTarget> = findings
                    .iter()
                    .flat_map(|f| f.instances())
                    .map(|(account, region, instance_id)| IsolateTarget {
                        claim: format!("ca#{}#{account}#{instance_id}", e.envelope.id),
                        account,
                        region,
                        instance_id,
                    })
                    .collect();
                if targets.is_empty() {
                    return Route::Ignore("the selected findings name no EC2 instance".into());
                }
                Route::Isolate {
                    targets,
                    trigger: format!("Security Hub custom action {id}"),
                    link: findings.first().map(|f| finding_link(&f.region, &f.id)),
                }
            }
            Kind::FindingsImported(findings) => {
                // GuardDuty findings reach the hub through Security Hub too (often from both
                // the member and the administrator): same claim key as the direct event.
                let targets: Vec<IsolateTarget> = findings
                    .iter()
                    .filter(|f| f.product_arn.ends_with("/guardduty"))
                    .filter(|f| matches!(f.severity.as_str(), "HIGH" | "CRITICAL"))
                    .flat_map(|f| {
                        let gd_id = f.id.rsplit('/').next().unwrap_or(&f.id).to_string();
                        f.instances()
                            .into_iter()
                            .map(move |(account, region, instance_id)| IsolateTarget {
                                claim: format!("gd#{account}#{gd_id}"),
                                account,
                                region,
                                instance_id,
                            })
                    })
                    .collect();
                if targets.is_empty() {
                    return Route::Ignore(
                        "imported findings are acted on only for high-severity GuardDuty EC2 findings".into(),
                    );
                }
                Route::Isolate {
                    targets,
                    trigger: "GuardDuty finding via Security Hub".into(),
                    link: findings.first().map(|f| finding_link(&f.region, &f.id)),
                }
            }
            Kind::InstanceStateChange { instance_id, state } => Route::Ignore(format!(
                "instance {instance_id} is {state}: state changes are recorded, not acted on"
            )),
            Kind::ConfigRule {
                rule_name,
                compliance,
                ..
            } => Route::Ignore(format!(
                "Config rule {rule_name} is {}: recorded; control remediation is operator-driven",
                compliance.as_deref().unwrap_or("?")
            )),
            Kind::Scheduled => Route::RecordTrails,
        }
    }

    /// Authenticates the target, claims the event, applies mode and budget, opens the member
    /// session and runs the playbook.
    #[allow(clippy::too_many_arguments)]
    async fn guarded(
        &self,
        mut o: Outcome,
        account: &str,
        region: &str,
        claim: &str,
        mode: Mode,
        call: Option<&ApiCall>,
        started: Instant,
        job: Job,
    ) -> Outcome {
        o.account = Some(account.to_string());
        o.region = Some(region.to_string());
        if let Err(why) = self.org.require_active(account).await {
            o.disposition = Disposition::Rejected;
            o.reason = Some(why);
            o.millis = elapsed(started);
            return self.finish(o).await;
        }
        if !self.cfg.region_allowed(region) {
            o.disposition = Disposition::Rejected;
            o.reason = Some(format!(
                "region {region} is not in response.allowed_regions"
            ));
            o.millis = elapsed(started);
            return self.finish(o).await;
        }
        if let Some(c) = call {
            let actor = identity::Actor::parse(&c.user_identity);
            if auth::is_own(&actor, &self.own_roles) {
                o.reason = Some(format!("{} is Rampart's own session", actor.describe()));
                o.millis = elapsed(started);
                return self.finish(o).await;
            }
        }
        if mode == Mode::Off {
            o.reason = Some(format!(
                "playbook {} is off",
                o.playbook.as_deref().unwrap_or("?")
            ));
            o.millis = elapsed(started);
            return self.finish(o).await;
        }
        let plan = self.plan || mode == Mode::Plan;
        // Plans are not claimed: a later enforce run of the same event must still act.
        if !plan {
            match self.store.claim(claim, &o.event_id).await {
                Ok(true) => {}
                Ok(false) => {
                    o.disposition = Disposition::Duplicate;
                    o.reason = Some(format!("already handled ({claim})"));
                    o.millis = elapsed(started);
                    return self.finish(o).await;
                }
                Err(e) => {
                    // Without a claim the event could be acted on twice; better to fail loudly.
                    o.disposition = Disposition::Failed;
                    o.reason = Some(format!("cannot claim the event: {e}"));
                    o.millis = elapsed(started);
                    return self.finish(o).await;
                }
            }
            match self
                .store
                .take_budget(account, self.cfg.action_rate_cap())
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    o.resource = Some(account.to_string());
                    o.reason = Some(format!(
                        "action rate cap reached for {account} ({} per hour)",
                        self.cfg.action_rate_cap()
                    ));
                    o.millis = elapsed(started);
                    return self.finish(o).await;
                }
                Err(e) => {
                    o.disposition = Disposition::Failed;
                    o.reason = Some(format!("cannot check the action budget: {e}"));
                    o.millis = elapsed(started);
                    return self.finish(o).await;
                }
            }
        }
        let member = match self.members.open(account, &o.event_id).await {
            Ok(c) => c
                .to_builder()
                .region(aws_types::region::Region::new(region.to_string()))
                .build(),
            Err(e) => {
                o.disposition = Disposition::Failed;
                o.reason = Some(format!("cannot reach account {account}: {e}"));
                o.actions.push(ActionRecord {
                    stage: Stage::PriorityAction,
                    action: "sts:AssumeRole".into(),
                    target: account.to_string(),
                    status: Status::Failed,
                    detail: e,
                    prior_state: None,
                    started_at: record::now(),
                    millis: 0,
                });
                o.millis = elapsed(started);
                return self.finish(o).await;
            }
        };
        let incident = o.incident_id.clone();
        let event_id = o.event_id.clone();
        let ctx = Ctx {
            cfg: &self.cfg,
            store: &self.store,
            member: &member,
            account,
            region,
            event_id: &event_id,
            incident_id: &incident,
            own_roles: &self.own_roles,
            plan,
        };
        let run: Run = match &job {
            Job::Tamper(c) => playbooks::cloudtrail_tamper::run(&ctx, c).await,
            Job::Mfa(user) => playbooks::auto_mfa::run(&ctx, user).await,
            Job::Isolate { instance, trigger } => {
                playbooks::isolate::run(&ctx, instance, trigger).await
            }
        };
        o.resource = Some(run.resource);
        o.forensics = run.forensics;
        o.disposition = if run.rec.failed() {
            Disposition::Failed
        } else if run.ignored.is_some() {
            Disposition::Ignored
        } else if plan {
            Disposition::Planned
        } else {
            Disposition::Acted
        };
        o.reason = run.ignored;
        o.actions = run.rec.actions;
        o.millis = elapsed(started);
        self.finish(o).await
    }

    /// Scheduled event: record every member trail's configuration, the baseline that the
    /// tamper playbook restores.
    async fn record_trails(&self, mut o: Outcome, started: Instant) -> Outcome {
        use futures::StreamExt;
        let accounts = match self.org.active_accounts().await {
            Ok(a) => a,
            Err(e) => {
                o.disposition = Disposition::Failed;
                o.reason = Some(e);
                return self.finish(o).await;
            }
        };
        let regions: Vec<String> = match &self.cfg.allowed_regions {
            Some(r) if !r.iter().any(|x| x == "all") => r.clone(),
            _ => vec![self.hub_region.clone()],
        };
        let jobs: Vec<(String, String)> = accounts
            .iter()
            .flat_map(|a| regions.iter().map(move |r| (a.clone(), r.clone())))
            .collect();
        let event_id = o.event_id.clone();
        let results: Vec<ActionRecord> = futures::stream::iter(jobs)
            .map(|(account, region)| {
                let event_id = event_id.clone();
                async move { self.record_one(&account, &region, &event_id).await }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        o.actions = results;
        o.disposition = if o.actions.iter().any(|a| a.status == Status::Failed) {
            Disposition::Failed
        } else {
            Disposition::Acted
        };
        o.millis = elapsed(started);
        self.finish(o).await
    }

    async fn record_one(&self, account: &str, region: &str, event_id: &str) -> ActionRecord {
        let t = Instant::now();
        let started_at = record::now();
        let result: Result<String, String> = async {
            let member = self
                .members
                .open(account, event_id)
                .await?
                .to_builder()
                .region(aws_types::region::Region::new(region.to_string()))
                .build();
            let ct = aws_sdk_cloudtrail::Client::new(&member);
            let configs = trails::read_all(&ct, account).await?;
            let mut names = Vec::new();
            for c in &configs {
                let v = serde_json::to_value(c).map_err(|e| e.to_string())?;
                self.store
                    .put_trail_record(account, region, &c.name, &v)
                    .await?;
                names.push(c.name.clone());
            }
            Ok(format!(
                "recorded {} trail(s): {}",
                names.len(),
                names.join(", ")
            ))
        }
        .await;
        let (status, detail) = match result {
            Ok(d) => (Status::Done, d),
            Err(e) => (Status::Failed, e),
        };
        ActionRecord {
            stage: Stage::Forensics,
            action: "record trail configuration".into(),
            target: format!("{account}/{region}"),
            status,
            detail,
            prior_state: None,
            started_at,
            millis: u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// `rampart isolate`: the isolation playbook on an operator's request.
    pub async fn isolate(&self, account: &str, region: &str, instance: &str) -> Outcome {
        let started = Instant::now();
        let event_id = format!("cli-{}", uuid::Uuid::new_v4());
        let o = self.operator_outcome(&event_id, "isolate");
        let claim = format!("cli#{event_id}");
        let mode = self.cfg.isolation.unwrap_or_default();
        let job = Job::Isolate {
            instance: instance.to_string(),
            trigger: "operator request (rampart isolate)".into(),
        };
        self.guarded(o, account, region, &claim, mode, None, started, job)
            .await
    }

    /// `rampart mfa enforce`: enrols every user of the account who has no MFA.
    pub async fn enforce_mfa(&self, account: &str) -> Result<Vec<Outcome>, String> {
        let member = self
            .members
            .open(account, &format!("mfa-{}", uuid::Uuid::new_v4()))
            .await?;
        let users = playbooks::auto_mfa::users_without_mfa(&member).await?;
        let mut out = Vec::new();
        for user in users {
            let started = Instant::now();
            let event_id = format!("cli-{}", uuid::Uuid::new_v4());
            let o = self.operator_outcome(&event_id, "auto-mfa");
            let claim = format!("cli#{event_id}");
            let mode = self.cfg.auto_mfa.unwrap_or_default();
            let region = self.hub_region.clone();
            out.push(
                self.guarded(
                    o,
                    account,
                    &region,
                    &claim,
                    mode,
                    None,
                    started,
                    Job::Mfa(user),
                )
                .await,
            );
        }
        Ok(out)
    }

    fn operator_outcome(&self, event_id: &str, playbook: &str) -> Outcome {
        Outcome {
            event_id: event_id.to_string(),
            incident_id: uuid::Uuid::new_v4().to_string(),
            disposition: Disposition::Ignored,
            playbook: Some(playbook.to_string()),
            account: None,
            region: None,
            resource: None,
            reason: None,
            forensics: None,
            link: None,
            actions: Vec::new(),
            millis: 0,
        }
    }

    /// Alert, then audit. Neither failure is swallowed: both land in the outcome.
    async fn finish(&self, mut o: Outcome) -> Outcome {
        if alert::wants_alert(&o) {
            match &self.cfg.alert_topic_arn {
                Some(topic) => {
                    let t = Instant::now();
                    let r = alert::send(&self.sns, topic, &o).await;
                    let (status, detail) = match r {
                        Ok(id) => (Status::Done, format!("alert {id} sent")),
                        Err(e) => {
                            tracing::error!(error = %e, event_id = %o.event_id, "alert failed");
                            (Status::Failed, e)
                        }
                    };
                    if status == Status::Failed {
                        o.disposition = Disposition::Failed;
                    }
                    o.actions.push(ActionRecord {
                        stage: Stage::Alert,
                        action: "sns:Publish".into(),
                        target: topic.to_string(),
                        status,
                        detail,
                        prior_state: None,
                        started_at: record::now(),
                        millis: u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
                    });
                }
                None => o.actions.push(ActionRecord {
                    stage: Stage::Alert,
                    action: "sns:Publish".into(),
                    target: String::new(),
                    status: Status::Skipped,
                    detail: "no alert topic configured (response.alert_topic_arn)".into(),
                    prior_state: None,
                    started_at: record::now(),
                    millis: 0,
                }),
            }
        }
        if let Err(e) = self.store.audit(&o).await {
            tracing::error!(error = %e, event_id = %o.event_id, "audit log write failed");
            o.actions.push(ActionRecord {
                stage: Stage::Log,
                action: "dynamodb:BatchWriteItem".into(),
                target: self.store.table().to_string(),
                status: Status::Failed,
                detail: e,
                prior_state: None,
                started_at: record::now(),
                millis: 0,
            });
            o.disposition = Disposition::Failed;
        }
        tracing::info!(event_id = %o.event_id, disposition = ?o.disposition,
            playbook = o.playbook.as_deref().unwrap_or("-"), account = o.account.as_deref().unwrap_or("-"),
            reason = o.reason.as_deref().unwrap_or(""), "event handled");
        o
    }
}

fn finding_link(region: &str, id: &str) -> String {
    let enc: String = id
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("https://console.aws.amazon.com/securityhub/home?region={region}#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A{enc}")
}

fn elapsed(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn rejected(id: Option<String>, account: Option<String>, why: String, started: Instant) -> Outcome {
    Outcome {
        event_id: id.unwrap_or_else(|| "unparsed".into()),
        incident_id: uuid::Uuid::new_v4().to_string(),
        disposition: Disposition::Rejected,
        playbook: None,
        account,
        region: None,
        resource: None,
        reason: Some(why),
        forensics: None,
        link: None,
        actions: Vec::new(),
        millis: elapsed(started),
    }
}

//! Event-driven response: trusted cross-account intake, routing to the playbooks, alerts and
//! the audit trail.
//!
//! One code path serves the hub Lambda (`rampart-hub-lambda`) and the CLI (`rampart
//! handle-event`, `isolate`, `mfa enforce`, `record-trails`): parse, route, admit (who may make
//! the hub act where: `trust.rs`), lease the event (act once, never drop), take the playbook's
//! budget, act in the member through its response role, alert, audit.

pub mod alert;
pub mod findings;
pub mod reassess;
pub mod store;
pub mod trust;

/// The outcome of one event and its action records (kept by the member's recorder).
pub use rampart_member::respond::record;

use crate::session::{session_name, SessionSpec, Sessions};
use aws_config::SdkConfig;
use rampart_common::event::{self, ApiCall, Event, HubFinding, Kind};
use rampart_common::identity::{self, OwnRoles};
use rampart_common::response::Mode;
use rampart_common::ResponseConfig;
use rampart_member::respond::registry::{self, Job};
use rampart_member::respond::{auto_mfa, trails, Ctx, Run};
use record::{ActionRecord, Disposition, Outcome, Stage, Status};
use serde_json::Value;
use std::time::{Duration, Instant};
use store::{Claim, Store};
use trust::{Directory, Refusal, Trust};

/// IAM actions the hub's own role needs for response (hub account).
pub fn hub_permissions() -> Vec<rampart_common::Permissions> {
    vec![
        store::PERMISSIONS,
        alert::PERMISSIONS,
        trust::PERMISSIONS,
        crate::session::PERMISSIONS,
        LAMBDA_PERMISSIONS,
    ]
}

/// The Lambda service sends an event that failed every retry to the function's dead-letter
/// queue with the function's role.
pub const LAMBDA_PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "hub lambda (dead-letter queue)",
    actions: &["sqs:SendMessage"],
};

/// Where the hub role's actions apply: the audit log may only be appended to, working state
/// lives in its own table, members are reached only through the response role inside the
/// organization.
pub const HUB_SCOPES: &[rampart_common::permissions::Scope] = &[
    rampart_common::permissions::Scope {
        sid: "AuditLogAppendOnly",
        actions: &["dynamodb:PutItem"],
        resources: &["!GetAtt AuditTable.Arn"],
        condition: "",
    },
    rampart_common::permissions::Scope {
        sid: "WorkingState",
        actions: &[
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
        ],
        resources: &["!GetAtt StateTable.Arn"],
        condition: "",
    },
    rampart_common::permissions::Scope {
        sid: "Alerts",
        actions: &["sns:Publish"],
        resources: &["!Ref AlertTopic"],
        condition: "",
    },
    rampart_common::permissions::Scope {
        sid: "MemberRolesInTheOrganizationOnly",
        actions: &["sts:AssumeRole"],
        // The responder role acts; the assessment role re-evaluates what was remediated.
        resources: &[
            "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}",
            "arn:${AWS::Partition}:iam::*:role/${AssessRoleName}",
        ],
        condition: r#"{"StringEquals": {"aws:ResourceOrgID": "${OrganizationId}"}}"#,
    },
    rampart_common::permissions::Scope {
        sid: "DeadLetters",
        actions: &["sqs:SendMessage"],
        resources: &["!GetAtt DeadLetterQueue.Arn"],
        condition: "",
    },
];

/// The hub response role's policy, generated from the declarations.
pub fn hub_policy() -> Result<serde_json::Value, rampart_common::permissions::PolicyError> {
    rampart_common::permissions::policy_document(
        "Organization",
        &hub_permissions(),
        HUB_SCOPES,
        &[],
    )
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
    async fn open(
        &self,
        account: &str,
        purpose: &str,
        event_id: &str,
    ) -> Result<SdkConfig, String> {
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
                    // Named after the event so member CloudTrail ties every call to it (the
                    // responder recognises its own calls by the role, not by this name).
                    session_name: session_name(purpose, event_id),
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
    /// A playbook acts in each target.
    Act {
        playbook: &'static str,
        targets: Vec<Target>,
        /// The API call that triggered it (own-session check, forensics).
        call: Option<Box<ApiCall>>,
        link: Option<String>,
        /// Findings the event asked about that no playbook answers (reported, not dropped).
        unanswered: Vec<Unanswered>,
    },
    Ignore(String),
    Reject(String),
}

/// A finding of the event that nothing acts on, and why.
#[derive(Debug, Clone, PartialEq)]
struct Unanswered {
    account: String,
    region: String,
    resource: String,
    why: String,
}

/// One place a playbook acts.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub account: String,
    pub region: String,
    /// Claim key: what "the same event" means for this action.
    pub claim: String,
    job: Job,
}

/// A target that passed the intake gate: leased (unless planned), budgeted, member reached.
struct Ready {
    o: Outcome,
    t: Target,
    plan: bool,
    token: Option<String>,
    member: SdkConfig,
}

/// An action record of the hub's own intake steps (budget, session, lease bookkeeping).
fn intake_record(
    stage: Stage,
    action: &str,
    target: &str,
    status: Status,
    detail: &str,
) -> ActionRecord {
    ActionRecord {
        stage,
        action: action.into(),
        target: target.into(),
        status,
        detail: detail.into(),
        prior_state: None,
        started_at: record::now(),
        millis: 0,
    }
}

/// The hub's own identity: its account and the roles its calls are made with.
#[derive(Debug, Clone)]
pub struct HubIdentity {
    pub account: String,
    pub role_arns: Vec<String>,
}

impl HubIdentity {
    /// From `sts:GetCallerIdentity`: an assumed-role caller's role is one of the hub's roles.
    pub async fn of(base: &SdkConfig) -> Result<HubIdentity, String> {
        let out = aws_sdk_sts::Client::new(base)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                format!(
                    "sts:GetCallerIdentity: {}",
                    rampart_member::error_text::describe(&e)
                )
            })?;
        let account = out
            .account()
            .map(str::to_string)
            .ok_or_else(|| "sts:GetCallerIdentity returned no account".to_string())?;
        let role_arns = out
            .arn()
            .and_then(identity::role_arn_of_session)
            .into_iter()
            .collect();
        Ok(HubIdentity { account, role_arns })
    }
}

/// The hub's event responder.
pub struct Responder {
    cfg: ResponseConfig,
    members: MemberAccess,
    store: Store,
    sns: aws_sdk_sns::Client,
    trust: Trust,
    own: OwnRoles,
    /// Forced plan mode (`--plan`): nothing changes, whatever the configured modes say.
    plan: bool,
    hub_region: String,
    /// The assessment thresholds (remediations fix to them).
    settings: rampart_member::checks::Settings,
    /// Re-evaluates a control after a remediation (none: findings wait for the next run).
    reassess: Option<reassess::Reassess>,
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
        let mut hub_role_arns = identity.role_arns.clone();
        hub_role_arns.extend(cfg.hub_role_arns.iter().flatten().cloned());
        hub_role_arns.extend(cfg.hub_role_arn.iter().cloned());
        let own = OwnRoles {
            member_role_names: vec![cfg.role_name().to_string(), assess_role.to_string()],
            hub_role_arns,
        };
        let trusted = cfg.trusted_accounts.clone().unwrap_or_default();
        Responder {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(hub),
                cfg.audit_table(),
                cfg.state_table(),
            ),
            sns: aws_sdk_sns::Client::new(hub),
            trust: Trust::new(
                Directory::new(
                    aws_sdk_organizations::Client::new(hub),
                    Duration::from_secs(cfg.org_cache_secs()),
                ),
                identity.account,
                &trusted,
            ),
            hub_region: hub
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".into()),
            cfg,
            members,
            own,
            plan,
            settings: Default::default(),
            reassess: None,
        }
    }

    /// The thresholds remediations fix to (`[thresholds]`).
    pub fn with_settings(mut self, settings: rampart_member::checks::Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Re-evaluate controls after remediating them.
    pub fn with_reassess(mut self, r: reassess::Reassess) -> Self {
        self.reassess = Some(r);
        self
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
                let account = v
                    .get("account")
                    .and_then(Value::as_str)
                    .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
                    .map(str::to_string);
                let o = rejected(id, account, err.to_string(), started);
                self.finish(o).await
            }
        }
    }

    async fn handle_event(&self, e: Event, started: Instant) -> Outcome {
        let env = &e.envelope;
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
            remediations: Vec::new(),
            targets: Vec::new(),
            millis: 0,
        };
        if e.kind == Kind::Scheduled {
            base.playbook = Some("record-trails".into());
            if let Err(why) = self.schedule_is_ours(&e) {
                return self.refuse(base, Refusal::Rejected(why), started).await;
            }
            return self.record_trails(base, started, false).await;
        }
        let route = self.route(&e);
        if let Route::Act { playbook, .. } = &route {
            base.playbook = Some((*playbook).to_string());
        }
        // Who may make the hub act where, before anything else happens.
        let targets: Vec<String> = match &route {
            Route::Act { targets, .. } => targets.iter().map(|t| t.account.clone()).collect(),
            _ => Vec::new(),
        };
        if let Err(refusal) = self.trust.admit(&e, &targets).await {
            return self.refuse(base, refusal, started).await;
        }
        match route {
            Route::Reject(why) => self.refuse(base, Refusal::Rejected(why), started).await,
            Route::Ignore(why) => {
                base.reason = Some(why);
                base.millis = elapsed(started);
                self.finish(base).await
            }
            Route::Act {
                targets,
                call,
                link,
                unanswered,
                ..
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
                    outcomes.push(self.guarded(o, t, call.as_deref(), started).await);
                }
                for u in unanswered {
                    let mut o = base.clone();
                    o.incident_id = uuid::Uuid::new_v4().to_string();
                    o.account = Some(u.account);
                    o.region = Some(u.region);
                    o.resource = Some(u.resource);
                    o.reason = Some(u.why);
                    o.millis = elapsed(started);
                    outcomes.push(self.finish(o).await);
                }
                if outcomes.len() > 1 {
                    let all = outcomes.clone();
                    let mut o = worst(outcomes).unwrap_or(base);
                    o.targets = all;
                    o
                } else {
                    worst(outcomes).unwrap_or(base)
                }
            }
        }
    }

    /// A rejected (or unverifiable, hence failed) event: nothing is done.
    async fn refuse(&self, mut o: Outcome, refusal: Refusal, started: Instant) -> Outcome {
        o.disposition = match refusal {
            Refusal::Rejected(_) => Disposition::Rejected,
            Refusal::Unverifiable(_) => Disposition::Failed,
        };
        o.reason = Some(refusal.to_string());
        o.millis = elapsed(started);
        self.finish(o).await
    }

    /// The trail-recording schedule is the hub's own rule in the hub's own account; a member
    /// forwarding a "Scheduled Event" of its own must not make the hub rewrite the baselines.
    fn schedule_is_ours(&self, e: &Event) -> Result<(), String> {
        let hub = self.trust.hub_account();
        let rule = self.cfg.schedule_rule_arn(
            rampart_common::asff::partition_of(&self.hub_region),
            &self.hub_region,
            hub,
        );
        if e.envelope.account != hub {
            return Err(format!(
                "scheduled events are accepted only from the hub account {hub}, not {}",
                e.envelope.account
            ));
        }
        if !e.envelope.resources.iter().any(|r| r == &rule) {
            return Err(format!(
                "scheduled event from {} is not the hub's schedule rule {rule}",
                e.envelope
                    .resources
                    .first()
                    .map(String::as_str)
                    .unwrap_or("no rule")
            ));
        }
        Ok(())
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
                let claim = format!("ct#{}", c.event_id);
                let link = Some(format!(
                    "https://console.aws.amazon.com/cloudtrail/home?region={}#/events/{}",
                    c.region, c.event_id
                ));
                match registry::api_call_job(c) {
                    None => Route::Ignore(format!(
                        "no playbook for {} {}",
                        c.event_source, c.event_name
                    )),
                    Some(Err(why)) => Route::Reject(why),
                    Some(Ok(job)) => Route::Act {
                        playbook: job.playbook().name,
                        targets: vec![Target {
                            account: c.account.clone(),
                            region: c.region.clone(),
                            claim,
                            job,
                        }],
                        call: Some(c.clone()),
                        link,
                        unanswered: Vec::new(),
                    },
                }
            }
            Kind::GuardDuty(g) => {
                if g.sample {
                    return Route::Ignore(format!(
                        "GuardDuty finding {} is a sample finding",
                        g.finding_id
                    ));
                }
                let Some(id) = &g.instance_id else {
                    return Route::Ignore(
                        "the GuardDuty finding is not about an EC2 instance".into(),
                    );
                };
                if g.severity < self.cfg.guardduty_min_severity() {
                    return Route::Ignore(format!(
                        "GuardDuty severity {} is below guardduty_min_severity {}",
                        g.severity,
                        self.cfg.guardduty_min_severity()
                    ));
                }
                if g.resource_role.as_deref() == Some("TARGET") && !self.cfg.isolate_targets() {
                    return Route::Ignore(format!(
                        "instance {id} is the target of the activity, not its actor (response.isolate_targets is off)"
                    ));
                }
                Route::Act {
                    playbook: registry::ISOLATE.name,
                    targets: vec![Target {
                        account: g.account.clone(),
                        region: g.region.clone(),
                        claim: format!("gd#{}#{}", g.account, g.finding_id),
                        job: Job::Isolate {
                            instance: id.clone(),
                            trigger: format!("GuardDuty {} ({})", g.finding_type, g.finding_id),
                        },
                    }],
                    call: None,
                    link: Some(format!(
                        "https://console.aws.amazon.com/guardduty/home?region={}#/findings?search=id%3D{}",
                        g.region, g.finding_id
                    )),
                    unanswered: Vec::new(),
                }
            }
            Kind::CustomAction {
                action_arn,
                action_name,
                findings,
            } => {
                let id = action_arn.rsplit('/').next().unwrap_or_default();
                if id == self.cfg.remediate_action_id() {
                    return remediation_route(
                        findings,
                        |f| format!("ca#{}#{}#{}", e.envelope.id, f.account, f.id),
                        false,
                    );
                }
                if id != self.cfg.isolate_action_id() {
                    return Route::Ignore(format!(
                        "no playbook for custom action {id} ({action_name})"
                    ));
                }
                let trigger = format!("Security Hub custom action {id}");
                let targets: Vec<Target> = findings
                    .iter()
                    .flat_map(|f| f.instances())
                    .map(|(account, region, instance_id)| Target {
                        claim: format!("ca#{}#{account}#{instance_id}", e.envelope.id),
                        account,
                        region,
                        job: Job::Isolate {
                            instance: instance_id,
                            trigger: trigger.clone(),
                        },
                    })
                    .collect();
                if targets.is_empty() {
                    return Route::Ignore("the selected findings name no EC2 instance".into());
                }
                Route::Act {
                    playbook: registry::ISOLATE.name,
                    targets,
                    call: None,
                    link: findings.first().map(|f| finding_link(&f.region, &f.id)),
                    unanswered: Vec::new(),
                }
            }
            Kind::FindingsImported(findings) => {
                // GuardDuty findings reach the hub through Security Hub too (often from both
                // the member and the administrator): same claim key as the direct event.
                let targets: Vec<Target> = findings
                    .iter()
                    .filter(|f| f.product_arn.ends_with("/guardduty"))
                    .filter(|f| matches!(f.severity.as_str(), "HIGH" | "CRITICAL"))
                    .flat_map(|f| {
                        let gd_id = f.id.rsplit('/').next().unwrap_or(&f.id).to_string();
                        f.instances()
                            .into_iter()
                            .map(move |(account, region, instance_id)| Target {
                                claim: format!("gd#{account}#{gd_id}"),
                                account,
                                region,
                                job: Job::Isolate {
                                    instance: instance_id,
                                    trigger: "GuardDuty finding via Security Hub".into(),
                                },
                            })
                    })
                    .collect();
                // Automatic remediation: FAILED, active, open findings of the controls listed
                // in response.auto_remediate. The member's and the administrator's copy of a
                // finding share its id and UpdatedAt, hence one claim; Rampart's own update
                // sets the workflow to RESOLVED, which is not acted on.
                let auto: Vec<&HubFinding> = findings
                    .iter()
                    .filter(|f| auto_eligible(f, &self.cfg))
                    .collect();
                let mut targets = targets;
                if !auto.is_empty() {
                    if let Route::Act { targets: more, .. } = remediation_route(
                        auto.into_iter().cloned().collect::<Vec<_>>().as_slice(),
                        |f| format!("auto#{}#{}#{}", f.account, f.id, f.updated_at),
                        true,
                    ) {
                        targets.extend(more);
                    }
                }
                if targets.is_empty() {
                    return Route::Ignore(
                        "imported findings are acted on only for high-severity GuardDuty EC2 findings and the FAILED, active, open findings of controls in response.auto_remediate".into(),
                    );
                }
                Route::Act {
                    playbook: targets[0].job.playbook().name,
                    targets,
                    call: None,
                    link: findings.first().map(|f| finding_link(&f.region, &f.id)),
                    unanswered: Vec::new(),
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
            // Handled before routing (only the hub's own schedule records trails).
            Kind::Scheduled => Route::Ignore("scheduled event".into()),
        }
    }

    /// Runs one admitted target: the intake gate, then the playbook.
    async fn guarded(
        &self,
        o: Outcome,
        t: Target,
        call: Option<&ApiCall>,
        started: Instant,
    ) -> Outcome {
        match self.gate(o, t, call, started).await {
            Ok(ready) => self.run(ready, started).await,
            Err(mut done) => {
                done.millis = elapsed(started);
                self.finish(done).await
            }
        }
    }

    /// The intake gate for one target: region, own role and mode checks, then the lease, the
    /// playbook's budget and the member session. Returns the target ready to run, or the
    /// finished outcome (with any lease it took released, so a retry acts).
    async fn gate(
        &self,
        mut o: Outcome,
        t: Target,
        call: Option<&ApiCall>,
        started: Instant,
    ) -> Result<Ready, Outcome> {
        let account = t.account.clone();
        let region = t.region.clone();
        let playbook = t.job.playbook();
        o.account = Some(account.clone());
        o.region = Some(region.clone());
        o.playbook = Some(playbook.name.to_string());
        let end = |mut o: Outcome, d: Disposition, why: String| {
            o.disposition = d;
            o.reason = Some(why);
            o.millis = elapsed(started);
            o
        };
        if !self.cfg.region_allowed(&region) {
            let why = format!("region {region} is not in response.allowed_regions");
            return Err(end(o, Disposition::Rejected, why));
        }
        if let Some(c) = call {
            let actor = identity::Actor::parse(&c.user_identity);
            if self.own.is_own(&actor, &account) {
                let why = format!("{} is Rampart's own role", actor.describe());
                return Err(end(o, Disposition::Ignored, why));
            }
        }
        let mode = playbook.mode(&self.cfg);
        if mode == Mode::Off {
            let why = format!("playbook {} is off", playbook.name);
            return Err(end(o, Disposition::Ignored, why));
        }
        let plan = self.plan || mode == Mode::Plan;
        // Plans are not claimed: a later enforce run of the same event must still act.
        let token = if plan {
            None
        } else {
            match self
                .store
                .claim(&t.claim, &o.event_id, self.cfg.lease_secs())
                .await
            {
                Ok(Claim::Acquired { token }) => Some(token),
                Ok(Claim::Done { by }) => {
                    let why = format!("already handled ({}, by event {by})", t.claim);
                    return Err(end(o, Disposition::Duplicate, why));
                }
                Ok(Claim::Held { by, until }) => {
                    let why = format!(
                        "event {by} holds the lease on {} until {until}; retry later",
                        t.claim
                    );
                    return Err(end(o, Disposition::Deferred, why));
                }
                // Without a claim the event could be acted on twice; fail so it is retried.
                Err(e) => {
                    return Err(end(
                        o,
                        Disposition::Failed,
                        format!("cannot claim the event: {e}"),
                    ))
                }
            }
        };
        // From here on a refusal gives the lease back.
        let (claim, held) = (t.claim.clone(), token.clone());
        let refuse = |mut o: Outcome, d: Disposition, why: String, record: Option<ActionRecord>| async move {
            self.release(&claim, held.as_deref(), &mut o).await;
            o.actions.extend(record);
            Err(end(o, d, why))
        };
        if !plan {
            let cap = self.cfg.rate_cap_for(playbook.name);
            match self.store.take_budget(&account, playbook.name, cap).await {
                Ok(true) => {}
                Ok(false) => {
                    o.resource = Some(account.clone());
                    let why = format!(
                        "action budget of {} in {account} is spent ({cap} per hour); deferred for a retry",
                        playbook.name
                    );
                    let rec = intake_record(
                        Stage::Intake,
                        "action budget",
                        &account,
                        Status::Skipped,
                        &why,
                    );
                    return refuse(o, Disposition::Deferred, why, Some(rec)).await;
                }
                Err(e) => {
                    let why = format!("cannot check the action budget: {e}");
                    return refuse(o, Disposition::Failed, why, None).await;
                }
            }
        }
        let member = match self
            .members
            .open(&account, "rampart-respond", &o.event_id)
            .await
        {
            Ok(c) => c
                .to_builder()
                .region(aws_types::region::Region::new(region.clone()))
                .build(),
            Err(e) => {
                let rec = intake_record(
                    Stage::PriorityAction,
                    "sts:AssumeRole",
                    &account,
                    Status::Failed,
                    &e,
                );
                let why = format!("cannot reach account {account}: {e}");
                return refuse(o, Disposition::Failed, why, Some(rec)).await;
            }
        };
        Ok(Ready {
            o,
            t,
            plan,
            token,
            member,
        })
    }

    /// Runs the playbook of a target that passed the gate, then completes or releases its lease.
    async fn run(&self, ready: Ready, started: Instant) -> Outcome {
        let Ready {
            mut o,
            t,
            plan,
            token,
            member,
        } = ready;
        let incident = o.incident_id.clone();
        let event_id = o.event_id.clone();
        let ctx = Ctx {
            cfg: &self.cfg,
            store: &self.store,
            member: &member,
            account: &t.account,
            region: &t.region,
            event_id: &event_id,
            incident_id: &incident,
            own: &self.own,
            plan,
            settings: &self.settings,
        };
        let mut run: Run = t.job.run(&ctx).await;
        if !plan {
            self.after_remediation(&t, &mut run, &event_id).await;
        }
        o.resource = Some(run.resource);
        o.forensics = run.forensics;
        o.remediations = run.remediations;
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
        if let Some(tk) = &token {
            if o.disposition == Disposition::Failed {
                self.release(&t.claim, Some(tk), &mut o).await;
            } else if let Err(e) = self.store.complete(&t.claim, tk).await {
                // The work is done; a retry after the lease expires finds it done (idempotent).
                tracing::warn!(error = %e, claim = %t.claim, "could not mark the claim done");
                o.actions.push(intake_record(
                    Stage::Log,
                    "complete claim",
                    &t.claim,
                    Status::Skipped,
                    &format!("{e}; the lease expires after response.lease_secs"),
                ));
            }
        }
        o.millis = elapsed(started);
        self.finish(o).await
    }

    /// Keeps each applied remediation under its undo handle, then re-evaluates the control in
    /// the account so its finding shows the new state. A handle that cannot be kept fails the
    /// run (alerted): a change nobody can undo must not pass silently.
    async fn after_remediation(&self, t: &Target, run: &mut Run, event_id: &str) {
        let changed = match &t.job {
            Job::Remediate { .. } => {
                for a in run.remediations.iter().filter(|a| a.status == Status::Done) {
                    if let Err(e) = self.store.put_remediation(a, event_id).await {
                        run.rec.note(
                            Stage::Log,
                            "keep undo record",
                            &a.id,
                            Status::Failed,
                            e,
                            Some(a.prior.clone()),
                        );
                    }
                }
                run.remediations.iter().any(|a| a.status == Status::Done)
            }
            Job::Undo(_) => run.rec.changes() > 0,
            _ => false,
        };
        let remedy = match &t.job {
            Job::Remediate { control, .. } => rampart_member::remediate::for_control(control),
            Job::Undo(a) => rampart_member::remediate::by_id(&a.remedy),
            _ => None,
        };
        if let (true, Some(remedy), Some(r)) = (changed, remedy, &self.reassess) {
            if !remedy.checks.is_empty() {
                run.rec
                    .actions
                    .push(r.run(&t.account, &t.region, remedy.checks).await);
            }
        }
    }

    /// Gives a lease up; a failure to do so is recorded (the lease then expires on its own).
    async fn release(&self, claim: &str, token: Option<&str>, o: &mut Outcome) {
        let Some(token) = token else {
            return;
        };
        if let Err(e) = self.store.release(claim, token).await {
            tracing::warn!(error = %e, claim, "could not release the claim");
            o.actions.push(intake_record(
                Stage::Log,
                "release claim",
                claim,
                Status::Skipped,
                &format!("{e}; the lease expires after response.lease_secs"),
            ));
        }
    }

    /// Records every member trail's configuration: the baseline the tamper playbook restores.
    /// A trail seen for the first time is recorded; a trail that differs from its record is
    /// reported as drift and alerted, never silently recorded over (a tamperer's change must
    /// not become the baseline). `accept_drift` (an operator's explicit choice) re-records it.
    pub async fn record_trails(
        &self,
        mut o: Outcome,
        started: Instant,
        accept_drift: bool,
    ) -> Outcome {
        use futures::StreamExt;
        let plan = self.plan;
        let accounts = match self.trust.directory.active_accounts().await {
            Ok(a) => a,
            Err(e) => {
                o.disposition = Disposition::Failed;
                o.reason = Some(format!("cannot list the organization's accounts: {e}"));
                o.millis = elapsed(started);
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
        let results: Vec<Vec<ActionRecord>> = futures::stream::iter(jobs)
            .map(|(account, region)| {
                let event_id = event_id.clone();
                async move {
                    self.record_one(&account, &region, &event_id, plan, accept_drift)
                        .await
                }
            })
            .buffer_unordered(self.cfg.record_concurrency())
            .collect()
            .await;
        o.actions = results.into_iter().flatten().collect();
        let count = |f: &dyn Fn(&ActionRecord) -> bool| o.actions.iter().filter(|a| f(a)).count();
        let failed = count(&|a| a.status == Status::Failed);
        let drift = count(&|a| a.action == "trail drift");
        let recorded = count(&|a| {
            a.action == "record trail configuration"
                && matches!(a.status, Status::Done | Status::Planned)
        });
        o.disposition = if failed > 0 {
            Disposition::Failed
        } else if drift > 0 || recorded > 0 {
            if plan {
                Disposition::Planned
            } else {
                Disposition::Acted
            }
        } else {
            Disposition::Ignored
        };
        o.reason = Some(format!(
            "{recorded} trail(s) {}, {drift} drifted from their record, {failed} failure(s)",
            if plan { "to record" } else { "recorded" }
        ));
        if drift > 0 {
            o.resource = Some(format!("{drift} drifted trail(s)"));
        }
        o.millis = elapsed(started);
        self.finish(o).await
    }

    async fn record_one(
        &self,
        account: &str,
        region: &str,
        event_id: &str,
        plan: bool,
        accept_drift: bool,
    ) -> Vec<ActionRecord> {
        let t = Instant::now();
        let fail = |detail: String| ActionRecord {
            stage: Stage::Forensics,
            action: "record trail configuration".into(),
            target: format!("{account}/{region}"),
            status: Status::Failed,
            detail,
            prior_state: None,
            started_at: record::now(),
            millis: u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        let member = match self.members.open(account, "rampart-record", event_id).await {
            Ok(c) => c
                .to_builder()
                .region(aws_types::region::Region::new(region.to_string()))
                .build(),
            Err(e) => return vec![fail(e)],
        };
        let mut out = Vec::new();
        if self.cfg.mfa_mode() == rampart_common::response::MfaMode::Enrol {
            out.extend(auto_mfa::sweep_seeds(&member, &self.cfg, plan).await);
        }
        out.extend(trails::record(&member, &self.store, account, region, plan, accept_drift).await);
        out
    }

    /// `rampart record-trails`: the schedule's work on an operator's request.
    pub async fn record_trails_now(&self, accept_drift: bool) -> Outcome {
        let started = Instant::now();
        let event_id = format!("cli-{}", uuid::Uuid::new_v4());
        let o = self.operator_outcome(&event_id, "record-trails");
        self.record_trails(o, started, accept_drift).await
    }

    /// `rampart isolate`: the isolation playbook on an operator's request (the operator speaks
    /// with the hub's authority; the account must still be an ACTIVE member).
    pub async fn isolate(&self, account: &str, region: &str, instance: &str) -> Outcome {
        let started = Instant::now();
        let event_id = format!("cli-{}", uuid::Uuid::new_v4());
        let o = self.operator_outcome(&event_id, registry::ISOLATE.name);
        if let Err(r) = self.trust.directory.require_active(account, "target").await {
            return self.refuse(o, r, started).await;
        }
        let t = Target {
            account: account.to_string(),
            region: region.to_string(),
            claim: format!("cli#{event_id}"),
            job: Job::Isolate {
                instance: instance.to_string(),
                trigger: "operator request (rampart isolate)".into(),
            },
        };
        self.guarded(o, t, None, started).await
    }

    /// `rampart mfa enforce`: applies auto MFA to every user of the account who has no MFA.
    pub async fn enforce_mfa(&self, account: &str) -> Result<Vec<Outcome>, String> {
        if let Err(r) = self.trust.directory.require_active(account, "target").await {
            return Err(r.to_string());
        }
        let member = self
            .members
            .open(account, "rampart-mfa", &uuid::Uuid::new_v4().to_string())
            .await?;
        let users = auto_mfa::users_without_mfa(&member).await?;
        let mut out = Vec::new();
        for user in users {
            let started = Instant::now();
            let event_id = format!("cli-{}", uuid::Uuid::new_v4());
            let o = self.operator_outcome(&event_id, registry::AUTO_MFA.name);
            let t = Target {
                account: account.to_string(),
                region: self.hub_region.clone(),
                claim: format!("cli#{event_id}"),
                job: Job::Mfa(user),
            };
            out.push(self.guarded(o, t, None, started).await);
        }
        Ok(out)
    }

    /// `rampart remediate`: the remedy of `control` in one account and region (one resource, or
    /// every offending one), with the finding that asked for it resolved afterwards. Plans
    /// unless the responder was built to apply.
    pub async fn remediate(
        &self,
        account: &str,
        region: &str,
        control: &str,
        resource: Option<&str>,
        finding: Option<rampart_member::remediate::finding_update::FindingRef>,
    ) -> Outcome {
        let started = Instant::now();
        let event_id = format!("cli-{}", uuid::Uuid::new_v4());
        let mut o = self.operator_outcome(&event_id, registry::REMEDIATE.name);
        o.account = Some(account.to_string());
        o.region = Some(region.to_string());
        if let Err(r) = self.trust.directory.require_active(account, "target").await {
            return self.refuse(o, r, started).await;
        }
        if rampart_member::remediate::for_control(control).is_none() {
            o.resource = resource.map(str::to_string);
            o.reason = Some(format!("Rampart has no remediation for control {control}"));
            o.millis = elapsed(started);
            return self.finish(o).await;
        }
        let t = Target {
            account: account.to_string(),
            region: region.to_string(),
            claim: format!("cli#{event_id}"),
            job: Job::Remediate {
                control: control.to_string(),
                resource: resource.map(str::to_string),
                finding,
            },
        };
        self.guarded(o, t, None, started).await
    }

    /// `rampart remediate --finding`: looks the finding up in the hub's Security Hub (the
    /// administrator sees every member's findings), else in the account its id names.
    pub async fn lookup_finding(&self, id: &str, hub: &SdkConfig) -> Result<HubFinding, String> {
        if let Some(f) = findings::find(&aws_sdk_securityhub::Client::new(hub), id).await? {
            return Ok(f);
        }
        let Some((account, region)) = findings::home_of(id) else {
            return Err(format!(
                "finding {id} is not in the hub's Security Hub and its id names no account"
            ));
        };
        if let Err(r) = self
            .trust
            .directory
            .require_active(&account, "finding")
            .await
        {
            return Err(r.to_string());
        }
        let member = self
            .members
            .open(
                &account,
                "rampart-remediate",
                &uuid::Uuid::new_v4().to_string(),
            )
            .await?;
        let client = aws_sdk_securityhub::Client::new(
            &member
                .to_builder()
                .region(aws_types::region::Region::new(region.clone()))
                .build(),
        );
        findings::find(&client, id)
            .await?
            .ok_or_else(|| format!("no finding {id} in the hub or in {account} {region}"))
    }

    /// `rampart undo`: restores the state an applied remediation action found. Each action is
    /// undone once (a second undo is a duplicate), planned with `--plan`, audited and alerted.
    pub async fn undo(&self, id: &str) -> Outcome {
        let started = Instant::now();
        let event_id = format!("cli-{}", uuid::Uuid::new_v4());
        let mut o = self.operator_outcome(&event_id, registry::REMEDIATE.name);
        let action = match self.store.remediation(id).await {
            Ok(Some(a)) => a,
            Ok(None) => {
                o.resource = Some(id.to_string());
                return self
                    .refuse(
                        o,
                        Refusal::Rejected(format!(
                            "no applied remediation action {id} (planned actions change nothing and have nothing to undo)"
                        )),
                        started,
                    )
                    .await;
            }
            Err(e) => {
                o.disposition = Disposition::Failed;
                o.reason = Some(e);
                o.millis = elapsed(started);
                return self.finish(o).await;
            }
        };
        o.account = Some(action.account.clone());
        o.region = Some(action.region.clone());
        if let Err(r) = self
            .trust
            .directory
            .require_active(&action.account, "target")
            .await
        {
            return self.refuse(o, r, started).await;
        }
        let t = Target {
            account: action.account.clone(),
            region: action.region.clone(),
            claim: format!("undo#{id}"),
            job: Job::Undo(Box::new(action)),
        };
        self.guarded(o, t, None, started).await
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
            remediations: Vec::new(),
            targets: Vec::new(),
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
                action: "dynamodb:TransactWriteItems".into(),
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

/// The outcome that decides what happens to the delivery: failed before deferred before
/// anything else, so one failed target makes the whole event retried.
fn worst(outcomes: Vec<Outcome>) -> Option<Outcome> {
    let rank = |d: Disposition| match d {
        Disposition::Failed => 0,
        Disposition::Deferred => 1,
        Disposition::Rejected => 2,
        _ => 3,
    };
    let mut it = outcomes.into_iter();
    let first = it.next()?;
    Some(it.fold(first, |best, o| {
        if rank(o.disposition) < rank(best.disposition) {
            o
        } else {
            best
        }
    }))
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
        remediations: Vec::new(),
        targets: Vec::new(),
        millis: elapsed(started),
    }
}

/// Whether automatic mode acts on an imported finding: FAILED, active, not resolved or
/// suppressed, of a control the configuration lists.
fn auto_eligible(f: &HubFinding, cfg: &ResponseConfig) -> bool {
    let control = match registry::finding_job(f) {
        Ok(Job::Remediate { control, .. }) => control,
        _ => return false,
    };
    f.compliance.as_deref() == Some("FAILED")
        && f.record_state.as_deref().unwrap_or("ACTIVE") == "ACTIVE"
        && matches!(f.workflow.as_deref(), None | Some("NEW") | Some("NOTIFIED"))
        && cfg.auto_remediates(&control)
}

/// Remediation targets for findings, each in its own account and region; findings without a
/// remediation are reported (`quiet`: automatic mode leaves them alone).
fn remediation_route(
    findings: &[HubFinding],
    claim: impl Fn(&HubFinding) -> String,
    quiet: bool,
) -> Route {
    let mut targets = Vec::new();
    let mut unanswered = Vec::new();
    for f in findings {
        match registry::finding_job(f) {
            Ok(job) => targets.push(Target {
                account: f.account.clone(),
                region: f.region.clone(),
                claim: claim(f),
                job,
            }),
            Err(why) if !quiet => unanswered.push(Unanswered {
                account: f.account.clone(),
                region: f.region.clone(),
                resource: f
                    .resources
                    .first()
                    .map(|(_, id)| id.clone())
                    .unwrap_or_else(|| f.id.clone()),
                why,
            }),
            Err(_) => {}
        }
    }
    if targets.is_empty() && unanswered.is_empty() {
        return Route::Ignore("the selected findings ask for no remediation".into());
    }
    Route::Act {
        playbook: registry::REMEDIATE.name,
        link: findings.first().map(|f| finding_link(&f.region, &f.id)),
        targets,
        call: None,
        unanswered,
    }
}

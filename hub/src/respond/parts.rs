//! The responder's parts every intake step shares (configuration, member access, the state
//! and audit tables, alerts, trust, Rampart's own roles), and the last step of every event:
//! alert, then audit.

use super::access::{HubIdentity, MemberAccess};
use super::alert;
use super::reassess::Reassess;
use super::record::{self, elapsed, ActionRecord, Disposition, Outcome, Stage, Status};
use super::store::Store;
use super::trust::{Refusal, Trust};
use crate::org::directory::Directory;
use aws_config::SdkConfig;
use rampart_common::identity::OwnRoles;
use rampart_common::ResponseConfig;
use std::time::{Duration, Instant};

/// What the intake works with.
pub struct Parts {
    pub cfg: ResponseConfig,
    pub members: MemberAccess,
    pub store: Store,
    pub sns: aws_sdk_sns::Client,
    /// The intake queue (deferred events go back to it with a delay).
    pub sqs: aws_sdk_sqs::Client,
    /// Per-account intake budgets of this process.
    pub intake: super::intake::Budgets,
    pub trust: Trust,
    pub own: OwnRoles,
    /// Forced plan mode (`--plan`): nothing changes, whatever the configured modes say.
    pub plan: bool,
    pub hub_region: String,
    /// The hub's own credentials (the regions it responds in are read with them).
    pub hub_config: SdkConfig,
    /// The assessment thresholds (remediations fix to them).
    pub settings: rampart_member::checks::Settings,
    /// Re-evaluates a control after a remediation (none: findings wait for the next run).
    pub reassess: Option<Reassess>,
}

impl Parts {
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
        Parts {
            store: Store::new(
                aws_sdk_dynamodb::Client::new(hub),
                cfg.audit_table(),
                cfg.state_table(),
            ),
            sns: aws_sdk_sns::Client::new(hub),
            sqs: aws_sdk_sqs::Client::new(hub),
            intake: super::intake::Budgets::new(
                cfg.intake_per_minute(),
                cfg.intake_burst(),
                crate::time::Clock::system(),
            ),
            trust: Trust::new(
                Directory::new(
                    aws_sdk_organizations::Client::new(hub),
                    Duration::from_secs(cfg.org_cache_secs()),
                ),
                identity.account,
                &trusted,
            ),
            hub_config: hub.clone(),
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

    /// A rejected (or unverifiable, hence failed) event: nothing is done.
    pub async fn refuse(&self, mut o: Outcome, refusal: Refusal, started: Instant) -> Outcome {
        o.disposition = match refusal {
            Refusal::Rejected(_) => Disposition::Rejected,
            Refusal::Unverifiable(_) => Disposition::Failed,
        };
        o.reason = Some(refusal.to_string());
        o.millis = elapsed(started);
        self.finish(o).await
    }

    /// Alert, then audit. Neither failure is swallowed: both land in the outcome.
    pub async fn finish(&self, mut o: Outcome) -> Outcome {
        // Refused events are counted per account and hour: the first is alerted, the rest are
        // summarised by the hourly schedule (a member replaying a forged event a thousand
        // times must not page a thousand times).
        let mut alert = alert::wants_alert(&o);
        if alert && o.disposition == Disposition::Rejected {
            let account = o.account.clone().unwrap_or_else(|| "unknown".into());
            match self.store.count_refusal(&account).await {
                Ok(1) => {}
                Ok(n) => {
                    alert = false;
                    o.actions.push(record::intake_record(
                        Stage::Alert,
                        "sns:Publish",
                        &account,
                        Status::Skipped,
                        &format!("refused event {n} of this hour from {account}: counted, not alerted again (the hourly record summarises)"),
                    ));
                }
                Err(e) => tracing::warn!(error = %e, "refusal not counted; alerting"),
            }
        }
        if alert {
            match &self.cfg.alert_topic_arn {
                Some(topic) => {
                    let t = Instant::now();
                    let r = alert::send(&self.sns, topic, &o, self.store.table()).await;
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
                        error_kind: None,
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
                    error_kind: None,
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
                error_kind: None,
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

//! Operator commands on the responder (`rampart isolate`, `mfa enforce`, `remediate`,
//! `remediate --finding`, `undo`): the operator speaks with the hub's authority, but the
//! account must still be an ACTIVE member, and every command goes through the same gate,
//! lease, audit and alert as an event.

use super::findings;
use super::record::{elapsed, Disposition, Outcome};
use super::responder::Responder;
use super::run::guarded;
use super::trust::Refusal;
use aws_config::SdkConfig;
use rampart_common::event::HubFinding;
use rampart_member::remediate::finding_update::FindingRef;
use rampart_member::respond::{auto_mfa, isolate, remediation};
use std::time::Instant;

fn operator_event() -> String {
    format!("cli-{}", uuid::Uuid::new_v4())
}

impl Responder {
    /// `rampart isolate`: the isolation playbook on one instance.
    pub async fn isolate(&self, account: &str, region: &str, instance: &str) -> Outcome {
        let p = &self.parts;
        let started = Instant::now();
        let event_id = operator_event();
        let o = Outcome::operator(&event_id, isolate::PLAYBOOK.name);
        if let Err(r) = p.trust.require_active(account, "target").await {
            return p.refuse(o, r, started).await;
        }
        let job = isolate::Isolate {
            instance: instance.to_string(),
            trigger: "operator request (rampart isolate)".into(),
        };
        let t = isolate::PLAYBOOK
            .target(account, region, format!("cli#{event_id}"), job)
            .on(instance);
        guarded(p, o, t, None, started).await
    }

    /// `rampart mfa enforce`: applies auto MFA to every user of the account who has no MFA.
    pub async fn enforce_mfa(&self, account: &str) -> Result<Vec<Outcome>, String> {
        let p = &self.parts;
        if let Err(r) = p.trust.require_active(account, "target").await {
            return Err(r.to_string());
        }
        let (member, _) = p
            .members
            .open(account, "rampart-mfa", &uuid::Uuid::new_v4().to_string())
            .await?;
        let users = auto_mfa::users_without_mfa(&member).await?;
        let mut out = Vec::new();
        for user in users {
            let started = Instant::now();
            let event_id = operator_event();
            let o = Outcome::operator(&event_id, auto_mfa::PLAYBOOK.name);
            let t = auto_mfa::PLAYBOOK
                .target(
                    account,
                    &p.hub_region,
                    format!("cli#{event_id}"),
                    auto_mfa::Enforce(user.clone()),
                )
                .on(user);
            out.push(guarded(p, o, t, None, started).await);
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
        finding: Option<FindingRef>,
    ) -> Outcome {
        let p = &self.parts;
        let started = Instant::now();
        let event_id = operator_event();
        let mut o = Outcome::operator(&event_id, remediation::PLAYBOOK.name);
        o.account = Some(account.to_string());
        o.region = Some(region.to_string());
        if let Err(r) = p.trust.require_active(account, "target").await {
            return p.refuse(o, r, started).await;
        }
        if rampart_member::remediate::for_control(control).is_none() {
            o.resource = resource.map(str::to_string);
            o.reason = Some(remediation::no_remedy(control));
            o.millis = elapsed(started);
            return p.finish(o).await;
        }
        let job = remediation::Remediate {
            control: control.to_string(),
            resource: resource.map(str::to_string),
            finding,
            automatic: false,
        };
        let key = format!("{control}#{}", resource.unwrap_or(account));
        let t = remediation::PLAYBOOK
            .target(account, region, format!("cli#{event_id}"), job)
            .on(key);
        guarded(p, o, t, None, started).await
    }

    /// `rampart remediate --finding`: looks the finding up in the hub's Security Hub (the
    /// administrator sees every member's findings), else in the account its id names.
    pub async fn lookup_finding(&self, id: &str, hub: &SdkConfig) -> Result<HubFinding, String> {
        let p = &self.parts;
        if let Some(f) = findings::find(&aws_sdk_securityhub::Client::new(hub), id).await? {
            return Ok(f);
        }
        let Some((account, region)) = findings::home_of(id) else {
            return Err(format!(
                "finding {id} is not in the hub's Security Hub and its id names no account"
            ));
        };
        if let Err(r) = p.trust.require_active(&account, "finding").await {
            return Err(r.to_string());
        }
        let (member, _) = p
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
        let p = &self.parts;
        let started = Instant::now();
        let event_id = operator_event();
        let mut o = Outcome::operator(&event_id, remediation::PLAYBOOK.name);
        let action = match p.store.remediation(id).await {
            Ok(Some(a)) => a,
            Ok(None) => {
                o.resource = Some(id.to_string());
                let why = format!(
                    "no applied remediation action {id} (planned actions change nothing and have nothing to undo)"
                );
                return p.refuse(o, Refusal::Rejected(why), started).await;
            }
            Err(e) => {
                o.disposition = Disposition::Failed;
                o.reason = Some(e);
                o.millis = elapsed(started);
                return p.finish(o).await;
            }
        };
        o.account = Some(action.account.clone());
        o.region = Some(action.region.clone());
        if let Err(r) = p.trust.require_active(&action.account, "target").await {
            return p.refuse(o, r, started).await;
        }
        let (account, region) = (action.account.clone(), action.region.clone());
        let key = format!("{}#{}", action.control, action.resource);
        let t = remediation::PLAYBOOK
            .target(
                account,
                region,
                format!("undo#{id}"),
                remediation::Undo(action),
            )
            .on(key);
        guarded(p, o, t, None, started).await
    }
}

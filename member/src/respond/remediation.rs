//! The control remediation playbook: a remedy of the remediation registry for the control of
//! a finding an operator selected (custom action), of a FAILED finding of a control listed in
//! `response.auto_remediate` (automatic mode), or of an operator command; and undo.

use super::playbook::{finding_link, Job, Playbook, Routed, Target, Trigger, Unanswered};
use crate::act::{Action, Ctx, Run, Stage, Status};
use crate::remediate::finding_update::{self, FindingRef};
use futures::future::BoxFuture;
use rampart_common::event::{Event, HubFinding, Kind};
use rampart_common::ResponseConfig;

pub const PLAYBOOK: Playbook = Playbook {
    name: "remediate",
    mode_key: "remediation",
    triggers: &[
        Trigger::CustomAction {
            id_key: "remediate_action_id",
        },
        Trigger::ControlFindingImported,
        Trigger::Command("rampart remediate"),
        Trigger::Command("rampart undo"),
    ],
    permissions: finding_update::PERMISSIONS,
    stages: &[Stage::PriorityAction, Stage::Countermeasure],
    budget: super::playbook::Budget::Resource,
    route,
};

/// Fix a control in the account and region, for one resource or every offending one, and
/// mark the finding that asked for it (if any) resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Remediate {
    pub control: String,
    pub resource: Option<String>,
    pub finding: Option<FindingRef>,
    /// Started by an imported finding alone (automatic mode): the account's own Security Hub
    /// is asked first whether an operator suppressed the control on that resource.
    pub automatic: bool,
}

impl Job for Remediate {
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Run> {
        Box::pin(async move {
            let Some(remedy) = crate::remediate::for_control(&self.control) else {
                let mut run = Run::new(ctx.plan, self.resource.as_deref().unwrap_or(ctx.account));
                run.ignored = Some(no_remedy(&self.control));
                return run;
            };
            if let (true, Some(resource)) = (self.automatic, self.resource.as_deref()) {
                match crate::remediate::authority::suppressed(ctx, &self.control, resource).await {
                    Ok(None) => {}
                    Ok(Some(id)) => {
                        let mut run = Run::new(ctx.plan, resource);
                        let why = format!(
                            "the {} finding {id} of {resource} is SUPPRESSED (accepted risk): automatic mode leaves it",
                            self.control
                        );
                        run.rec.note(
                            Stage::Forensics,
                            "securityhub:GetFindings",
                            resource,
                            Status::Done,
                            &why,
                            None,
                        );
                        run.ignored = Some(why);
                        return run;
                    }
                    // Unknown: do not act on a claim that could not be checked.
                    Err(e) => {
                        let mut run = Run::new(ctx.plan, resource);
                        run.rec.note(
                            Stage::Forensics,
                            "securityhub:GetFindings",
                            resource,
                            Status::Failed,
                            format!("cannot check the control finding's workflow: {e}"),
                            None,
                        );
                        return run;
                    }
                }
            }
            let mut new_id = || uuid::Uuid::new_v4().to_string();
            let (mut run, actions) = crate::remediate::engine::remediate(
                remedy,
                ctx,
                &self.control,
                self.resource.as_deref(),
                &mut new_id,
            )
            .await;
            if let Some(f) = &self.finding {
                finding_update::after(ctx, &mut run, f, &actions).await;
            }
            run.remediations = actions;
            run
        })
    }
}

/// Restore the state a remediation action found.
#[derive(Debug, Clone, PartialEq)]
pub struct Undo(pub Action);

impl Job for Undo {
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Run> {
        Box::pin(async move {
            match crate::remediate::by_id(&self.0.remedy) {
                Some(remedy) => crate::remediate::engine::undo(remedy, ctx, &self.0).await,
                None => {
                    let mut run = Run::new(ctx.plan, self.0.resource.clone());
                    run.rec.note(
                        Stage::PriorityAction,
                        "undo",
                        &self.0.resource,
                        Status::Failed,
                        format!("unknown remedy {} in action {}", self.0.remedy, self.0.id),
                        None,
                    );
                    run
                }
            }
        })
    }
}

/// The remediation a control finding asks for: its control (the finding's own, or that of
/// the Rampart check that produced it), its resource (none for account-level findings, where
/// the remedy works on the account) and the finding itself, resolved after the fix. `Err`
/// says why there is none.
pub fn for_finding(f: &HubFinding) -> Result<Remediate, String> {
    let control = f.control.clone().or_else(|| {
        f.check
            .as_deref()
            .and_then(crate::checks::by_id)
            .and_then(|c| c.meta.security_control_id.map(str::to_string))
    });
    let Some(control) = control else {
        return Err(format!(
            "finding {} names no Security Hub control, so no remediation applies",
            f.id
        ));
    };
    if crate::remediate::for_control(&control).is_none() {
        return Err(no_remedy(&control));
    }
    let resource = f
        .resources
        .iter()
        .find(|(t, id)| t != "AwsAccount" && !id.starts_with("AWS::::Account:"))
        .map(|(_, id)| id.clone());
    Ok(Remediate {
        control,
        resource,
        finding: Some(FindingRef {
            id: f.id.clone(),
            product_arn: f.product_arn.clone(),
            ocsf: f.ocsf,
        }),
        automatic: false,
    })
}

/// The remediation automatic mode may start for an imported finding: only one naming a
/// resource of the finding's own account (or, for a remedy of an account setting, the account
/// itself); a finding that names only the account never widens to every offending resource.
/// `Err` says why not (the finding is reported, not acted on).
pub fn automatic_for(f: &HubFinding) -> Result<Remediate, String> {
    let mut job = for_finding(f)?;
    job.automatic = true;
    let scope = crate::remediate::for_control(&job.control)
        .map(|r| r.scope)
        .unwrap_or(crate::remediate::Scope::Resource);
    let names_account = |id: &str| {
        id == f.account
            || id == format!("AWS::::Account:{}", f.account)
            || rampart_common::event::arn_account(id).as_deref() == Some(f.account.as_str())
                && id.ends_with(&format!(":{}", f.account))
    };
    match (&job.resource, scope) {
        (Some(r), _) => {
            if let Some(other) = rampart_common::event::arn_account(r) {
                if other != f.account {
                    return Err(format!(
                        "finding {} of account {} names resource {r} of account {other}",
                        f.id, f.account
                    ));
                }
            }
            Ok(job)
        }
        (None, crate::remediate::Scope::Account) => {
            let own = f.resources.iter().any(|(_, id)| names_account(id));
            if own {
                Ok(job)
            } else {
                Err(format!(
                    "finding {} names no resource of account {}",
                    f.id, f.account
                ))
            }
        }
        (None, crate::remediate::Scope::Resource) => Err(format!(
            "finding {} names only the account: automatic mode fixes the one resource a finding names, never every offending resource of {}",
            f.id, f.account
        )),
    }
}

/// Why a control is not fixed: left to people (with the command they run), or unknown.
pub fn no_remedy(control: &str) -> String {
    match crate::remediate::manual::for_control(control) {
        Some(m) => format!(
            "{control} is not fixed by Rampart ({}); run: {}",
            m.reason, m.command
        ),
        None => format!("Rampart has no remediation for control {control}"),
    }
}

/// Whether automatic mode acts on an imported finding: FAILED, active, not resolved or
/// suppressed, of a control the configuration lists.
fn auto_eligible(f: &HubFinding, cfg: &ResponseConfig) -> bool {
    let Ok(job) = for_finding(f) else {
        return false;
    };
    f.compliance.as_deref() == Some("FAILED")
        && f.record_state.as_deref().unwrap_or("ACTIVE") == "ACTIVE"
        && matches!(f.workflow.as_deref(), None | Some("NEW") | Some("NOTIFIED"))
        && cfg.auto_remediates(&job.control)
}

fn route(e: &Event, cfg: &ResponseConfig) -> Routed {
    match &e.kind {
        Kind::CustomAction { findings, .. } => findings_route(
            findings.iter(),
            |f| format!("ca#{}#{}#{}", e.envelope.id, f.account, f.id),
            false,
        ),
        // The member's and the administrator's copy of a finding share its id and UpdatedAt,
        // hence one claim; Rampart's own update sets the workflow to RESOLVED, which is not
        // acted on.
        Kind::FindingsImported(findings) => findings_route(
            findings.iter().filter(|f| auto_eligible(f, cfg)),
            |f| format!("auto#{}#{}#{}", f.account, f.id, f.updated_at),
            true,
        ),
        _ => Routed::Ignore("not a Security Hub finding event".into()),
    }
}

/// Remediation targets for findings, each in its own account and region; findings without a
/// remediation, or (`automatic`) whose claims do not hold, are reported.
fn findings_route<'f>(
    findings: impl Iterator<Item = &'f HubFinding>,
    claim: impl Fn(&HubFinding) -> String,
    automatic: bool,
) -> Routed {
    let mut targets: Vec<Target> = Vec::new();
    let mut unanswered = Vec::new();
    let mut link = None;
    for f in findings {
        link.get_or_insert_with(|| finding_link(&f.region, &f.id));
        let job = if automatic {
            automatic_for(f)
        } else {
            for_finding(f)
        };
        match job {
            Ok(job) => {
                let key = format!(
                    "{}#{}",
                    job.control,
                    job.resource.as_deref().unwrap_or(&f.account)
                );
                targets.push(
                    PLAYBOOK
                        .target(&f.account, &f.region, claim(f), job)
                        .on(key),
                )
            }
            // Reported (audited and alerted): an eligible finding whose claims do not hold is
            // worth a look.
            Err(why) => unanswered.push(Unanswered {
                account: f.account.clone(),
                region: f.region.clone(),
                resource: f
                    .resources
                    .first()
                    .map(|(_, id)| id.clone())
                    .unwrap_or_else(|| f.id.clone()),
                why,
            }),
        }
    }
    if targets.is_empty() && unanswered.is_empty() {
        return Routed::Ignore(if automatic {
            "imported findings are remediated only when FAILED, active and open, of a control in response.auto_remediate".into()
        } else {
            "the selected findings ask for no remediation".into()
        });
    }
    Routed::Act {
        targets,
        link,
        unanswered,
    }
}

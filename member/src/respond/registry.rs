//! The registry of response playbooks: what starts each one, the IAM actions it needs, the
//! config key of its mode and its stages. The hub looks playbooks up here and runs them
//! through [`Job::run`]; adding a playbook means adding its module and one entry.

use super::record::Stage;
use super::{auto_mfa, cloudtrail_tamper, isolate, Ctx, Run};
use rampart_common::event::{arn_account, ApiCall, HubFinding};
use rampart_common::response::Mode;
use rampart_common::{Permissions, ResponseConfig};
use serde_json::Value;

/// What starts a playbook.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// A successful API call recorded by CloudTrail: its event source and names.
    ApiCall {
        source: &'static str,
        names: &'static [&'static str],
    },
    /// A GuardDuty finding about an EC2 instance, direct or imported into Security Hub.
    GuardDutyInstanceFinding,
    /// A FAILED, active control finding imported into Security Hub, for a control listed in
    /// `response.auto_remediate`.
    ControlFindingImported,
    /// The Security Hub custom action whose id is the config key's value.
    CustomAction { id_key: &'static str },
    /// An operator command.
    Command(&'static str),
}

/// One playbook.
#[derive(Debug, Clone, Copy)]
pub struct Playbook {
    /// Name in outcomes, audit items, alerts and budgets (`action_rate_caps` keys).
    pub name: &'static str,
    /// The `[response]` key holding its mode (`off`, `plan`, `enforce`).
    pub mode_key: &'static str,
    pub triggers: &'static [Trigger],
    /// Every IAM action it calls in the member account.
    pub permissions: Permissions,
    /// The stages it runs, in order.
    pub stages: &'static [Stage],
}

impl Playbook {
    /// Its mode in this configuration (default `enforce`).
    pub fn mode(&self, cfg: &ResponseConfig) -> Mode {
        cfg.mode_of(self.mode_key)
    }
}

pub const CLOUDTRAIL_TAMPER: Playbook = Playbook {
    name: "cloudtrail-tamper",
    mode_key: "cloudtrail_tamper",
    triggers: &[Trigger::ApiCall {
        source: "cloudtrail.amazonaws.com",
        names: cloudtrail_tamper::TRIGGERS,
    }],
    permissions: cloudtrail_tamper::PERMISSIONS,
    stages: &[
        Stage::PriorityAction,
        Stage::Forensics,
        Stage::Countermeasure,
    ],
};

pub const AUTO_MFA: Playbook = Playbook {
    name: "auto-mfa",
    mode_key: "auto_mfa",
    triggers: &[
        Trigger::ApiCall {
            source: "iam.amazonaws.com",
            names: &["CreateUser"],
        },
        Trigger::Command("rampart mfa enforce"),
    ],
    permissions: auto_mfa::PERMISSIONS,
    stages: &[Stage::PriorityAction],
};

pub const ISOLATE: Playbook = Playbook {
    name: "isolate",
    mode_key: "isolation",
    triggers: &[
        Trigger::GuardDutyInstanceFinding,
        Trigger::CustomAction {
            id_key: "isolate_action_id",
        },
        Trigger::Command("rampart isolate"),
    ],
    permissions: isolate::PERMISSIONS,
    stages: &[
        Stage::PriorityAction,
        Stage::Forensics,
        Stage::Countermeasure,
    ],
};

/// Control remediation: the remedy of a finding's control, each remedy an entry of
/// [`crate::remediate::REMEDIES`] with its own permissions.
pub const REMEDIATE: Playbook = Playbook {
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
    permissions: crate::remediate::finding_update::PERMISSIONS,
    stages: &[Stage::PriorityAction, Stage::Countermeasure],
};

/// Every playbook.
pub const PLAYBOOKS: &[Playbook] = &[CLOUDTRAIL_TAMPER, AUTO_MFA, ISOLATE, REMEDIATE];

/// The playbook by name.
pub fn playbook(name: &str) -> Option<&'static Playbook> {
    PLAYBOOKS.iter().find(|p| p.name == name)
}

/// The work one playbook does for one target.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Tamper(Box<ApiCall>),
    Mfa(String),
    Isolate {
        instance: String,
        trigger: String,
    },
    /// Fix a control in the account and region, for one resource or every offending one, and
    /// mark the finding that asked for it (if any) resolved.
    Remediate {
        control: String,
        resource: Option<String>,
        finding: Option<crate::remediate::finding_update::FindingRef>,
    },
    /// Restore the state a remediation action found.
    Undo(Box<crate::remediate::Action>),
}

impl Job {
    pub fn playbook(&self) -> &'static Playbook {
        match self {
            Job::Tamper(_) => &CLOUDTRAIL_TAMPER,
            Job::Mfa(_) => &AUTO_MFA,
            Job::Isolate { .. } => &ISOLATE,
            Job::Remediate { .. } | Job::Undo(_) => &REMEDIATE,
        }
    }

    /// Runs the playbook in the context's account and region.
    pub async fn run(&self, ctx: &Ctx<'_>) -> Run {
        match self {
            Job::Tamper(c) => cloudtrail_tamper::run(ctx, c).await,
            Job::Mfa(user) => auto_mfa::run(ctx, user).await,
            Job::Isolate { instance, trigger } => isolate::run(ctx, instance, trigger).await,
            Job::Remediate {
                control,
                resource,
                finding,
            } => {
                let mut new_id = || uuid::Uuid::new_v4().to_string();
                let (mut run, actions) =
                    crate::remediate::remediate(ctx, control, resource.as_deref(), &mut new_id)
                        .await;
                if let Some(f) = finding {
                    crate::remediate::finding_update::after(ctx, &mut run, f, &actions).await;
                }
                run.remediations = actions;
                run
            }
            Job::Undo(action) => crate::remediate::undo(ctx, action).await,
        }
    }
}

/// The job an API call starts: `None` when no playbook answers it, `Some(Err)` when one would
/// but the event is not acceptable (the reason names the field).
pub fn api_call_job(call: &ApiCall) -> Option<Result<Job, String>> {
    let answers = |p: &Playbook| {
        p.triggers.iter().any(|t| {
            matches!(t, Trigger::ApiCall { source, names }
                if *source == call.event_source && names.contains(&call.event_name.as_str()))
        })
    };
    let p = PLAYBOOKS.iter().find(|p| answers(p))?;
    Some(match p.name {
        "cloudtrail-tamper" => tamper_job(call),
        "auto-mfa" => mfa_job(call),
        other => Err(format!("playbook {other} takes no API calls")),
    })
}

/// The remediation job a control finding asks for: its control (the finding's own, or that of
/// the Rampart check that produced it), its resource (none for account-level findings, where
/// the remedy works on the account) and the finding itself, resolved after the fix. `Err`
/// says why there is none.
pub fn finding_job(f: &HubFinding) -> Result<Job, String> {
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
        return Err(format!("Rampart has no remediation for control {control}"));
    }
    let resource = f
        .resources
        .iter()
        .find(|(t, id)| t != "AwsAccount" && !id.starts_with("AWS::::Account:"))
        .map(|(_, id)| id.clone());
    Ok(Job::Remediate {
        control,
        resource,
        finding: Some(crate::remediate::finding_update::FindingRef {
            id: f.id.clone(),
            product_arn: f.product_arn.clone(),
            ocsf: f.ocsf,
        }),
    })
}

fn tamper_job(call: &ApiCall) -> Result<Job, String> {
    // A trail named by ARN must be the calling account's own.
    if let Some(name) = cloudtrail_tamper::trail_of(call) {
        if let Some(acct) = arn_account(&name) {
            if acct != call.account {
                return Err(format!(
                    "requestParameters.name names trail {name} of account {acct}, not of {}",
                    call.account
                ));
            }
        }
    }
    Ok(Job::Tamper(Box::new(call.clone())))
}

fn mfa_job(call: &ApiCall) -> Result<Job, String> {
    match call
        .request_parameters
        .get("userName")
        .and_then(Value::as_str)
    {
        Some(u) if !u.is_empty() => Ok(Job::Mfa(u.to_string())),
        _ => Err("CreateUser event without requestParameters.userName".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_playbook_has_a_mode_key_the_config_knows() {
        let cfg = ResponseConfig {
            cloudtrail_tamper: Some(Mode::Off),
            auto_mfa: Some(Mode::Plan),
            isolation: Some(Mode::Off),
            remediation: Some(Mode::Plan),
            ..Default::default()
        };
        assert_eq!(CLOUDTRAIL_TAMPER.mode(&cfg), Mode::Off);
        assert_eq!(AUTO_MFA.mode(&cfg), Mode::Plan);
        assert_eq!(ISOLATE.mode(&cfg), Mode::Off);
        assert_eq!(REMEDIATE.mode(&cfg), Mode::Plan);
        for p in PLAYBOOKS {
            assert!(!p.permissions.actions.is_empty(), "{}", p.name);
            assert!(playbook(p.name).is_some());
        }
    }
}

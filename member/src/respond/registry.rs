//! The registry of response playbooks: what starts each one, the IAM actions it needs, the
//! config key of its mode and its stages. The hub looks playbooks up here and runs them
//! through [`Job::run`]; adding a playbook means adding its module and one entry.

use super::record::Stage;
use super::{auto_mfa, cloudtrail_tamper, isolate, Ctx, Run};
use rampart_common::event::{arn_account, ApiCall};
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

/// Every playbook.
pub const PLAYBOOKS: &[Playbook] = &[CLOUDTRAIL_TAMPER, AUTO_MFA, ISOLATE];

/// The playbook by name.
pub fn playbook(name: &str) -> Option<&'static Playbook> {
    PLAYBOOKS.iter().find(|p| p.name == name)
}

/// The work one playbook does for one target.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Tamper(Box<ApiCall>),
    Mfa(String),
    Isolate { instance: String, trigger: String },
}

impl Job {
    pub fn playbook(&self) -> &'static Playbook {
        match self {
            Job::Tamper(_) => &CLOUDTRAIL_TAMPER,
            Job::Mfa(_) => &AUTO_MFA,
            Job::Isolate { .. } => &ISOLATE,
        }
    }

    /// Runs the playbook in the context's account and region.
    pub async fn run(&self, ctx: &Ctx<'_>) -> Run {
        match self {
            Job::Tamper(c) => cloudtrail_tamper::run(ctx, c).await,
            Job::Mfa(user) => auto_mfa::run(ctx, user).await,
            Job::Isolate { instance, trigger } => isolate::run(ctx, instance, trigger).await,
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
            ..Default::default()
        };
        assert_eq!(CLOUDTRAIL_TAMPER.mode(&cfg), Mode::Off);
        assert_eq!(AUTO_MFA.mode(&cfg), Mode::Plan);
        assert_eq!(ISOLATE.mode(&cfg), Mode::Off);
        for p in PLAYBOOKS {
            assert!(!p.permissions.actions.is_empty(), "{}", p.name);
            assert!(playbook(p.name).is_some());
        }
    }
}

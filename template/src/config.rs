//! What the caller decides for an audit: the rule set, risk thresholds, parameter values,
//! budgets, an outer deadline, and which suppressions written in templates count.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use crate::budget::Limits;
use crate::rules::{Check, Rule, RuleMeta};
use crate::score::Thresholds;

/// Which suppressions written in templates are honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionMode {
    /// Each convention as its tool defines it (Rampart's own always needs a reason).
    #[default]
    Any,
    /// Only suppressions that give a reason (cfn_nag `reason`, checkov `comment`); guard's
    /// `SuppressedRules`, which cannot carry one, is never honoured.
    Reasoned,
    /// None: suppressions in templates are listed as refused and change nothing.
    None,
}

/// The caller's policy for suppressions found in templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SuppressionPolicy {
    pub mode: SuppressionMode,
    /// A finding whose risk is at or above this is never suppressed.
    pub ceiling: Option<u32>,
}

/// The active rule set plus options.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    pub rules: Vec<Rule>,
    pub thresholds: Thresholds,
    pub parameters: HashMap<String, String>,
    /// Budgets for each template.
    pub limits: Limits,
    /// An outer deadline (a pipeline job's) that also ends every template's audit.
    pub deadline: Option<Instant>,
    /// Which suppressions written in templates count.
    pub suppression: SuppressionPolicy,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            rules: crate::rules::builtin_rules(),
            thresholds: Thresholds::default(),
            parameters: HashMap::new(),
            limits: Limits::default(),
            deadline: None,
            suppression: SuppressionPolicy::default(),
        }
    }
}

impl AuditConfig {
    /// Add a pack: a rule with an existing id replaces it (so a pack can retune or switch
    /// off a built-in rule with `active: N`).
    pub fn add_rules(&mut self, rules: Vec<Rule>) {
        for r in rules {
            let slot = self.rules.iter_mut().find(|x| x.meta.id == r.meta.id);
            match (slot, &r.check) {
                (Some(slot), Check::Override { risk, title }) => {
                    slot.meta.active = r.meta.active;
                    if let Some(risk) = risk {
                        slot.meta.risk = *risk;
                    }
                    if let Some(t) = title {
                        slot.meta.title = t.clone();
                    }
                }
                // Overriding a rule that does not exist changes nothing.
                (None, Check::Override { .. }) => {}
                (Some(slot), _) => *slot = r,
                (None, _) => self.rules.push(r),
            }
        }
    }

    pub fn rule_meta(&self) -> Vec<&RuleMeta> {
        self.rules
            .iter()
            .filter(|r| r.meta.active)
            .map(|r| &r.meta)
            .collect()
    }
}

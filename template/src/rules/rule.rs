//! What a rule is: the metadata a report shows, the kind of check it runs, and running it
//! over one template's model.

use regex::Regex;
use serde::Serialize;

use super::structured::{self, Condition};
use super::util::Hit;
use crate::model::Model;

/// Names of the same check in other tools, used to honour their suppression metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Equivalents {
    pub cfn_nag: Vec<String>,
    pub guard: Vec<String>,
    pub checkov: Vec<String>,
}

impl Equivalents {
    pub fn is_empty(&self) -> bool {
        self.cfn_nag.is_empty() && self.guard.is_empty() && self.checkov.is_empty()
    }
}

/// Everything a report says about a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub category: String,
    pub risk: u32,
    pub remediation: String,
    pub references: Vec<String>,
    pub equivalents: Equivalents,
    pub active: bool,
}

/// A built-in check written in Rust.
pub type BuiltinFn = fn(&Model, &mut Vec<Hit>);

/// How a rule decides.
#[derive(Debug, Clone)]
pub enum Check {
    Builtin(BuiltinFn),
    /// The original rule type: a regex over each resource rendered as JSON (after resolution).
    Regex {
        types: Vec<String>,
        re: Regex,
    },
    /// Fires on resources of `types` when every condition holds.
    Structured {
        types: Vec<String>,
        conditions: Vec<Condition>,
        message: Option<String>,
    },
    /// From a pack entry that only changes an existing rule (see [`super::pack`]); never fires.
    Override {
        risk: Option<u32>,
        title: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

impl Rule {
    /// Run the rule over a template.
    pub fn evaluate(&self, model: &Model) -> Vec<Hit> {
        let mut hits = Vec::new();
        match &self.check {
            Check::Builtin(f) => f(model, &mut hits),
            Check::Regex { types, re } => {
                for r in &model.resources {
                    if type_matches(types, &r.kind) {
                        let rendered = crate::render::resource_json(r);
                        if re.is_match(&rendered) {
                            hits.push(Hit::fail(&r.id, r.pos, self.meta.title.clone()));
                        }
                    }
                }
            }
            Check::Override { .. } => {}
            Check::Structured {
                types,
                conditions,
                message,
            } => {
                for r in &model.resources {
                    if type_matches(types, &r.kind) {
                        let msg = message.as_deref().unwrap_or(&self.meta.title);
                        if let Some(h) = structured::evaluate(r, conditions, msg) {
                            hits.push(h);
                        }
                    }
                }
            }
        }
        hits
    }
}

/// Empty type list means every type; `AWS::S3::*` style prefixes are allowed.
fn type_matches(types: &[String], kind: &str) -> bool {
    types.is_empty()
        || types.iter().any(|t| match t.strip_suffix('*') {
            Some(prefix) => kind.starts_with(prefix),
            None => t == kind,
        })
}

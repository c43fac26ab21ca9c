//! Rule packs as data files (YAML or JSON).
//!
//! The original regex rule-pack format works unchanged:
//! `{rule, category, ruletype: regex, active: Y|N, riskvalue, ruledata}`.
//! Rampart adds `ruletype: structured` (`resource`, `path`, `operator`, `value`, `default`,
//! `when`), `ruletype: builtin` (metadata for a rule implemented in Rust), and the metadata
//! fields `id`, `title`, `remediation`, `references`, `equivalents`, `message`.
//! A pack is a list of rules, or a mapping with a `rules` list.

use regex::{Regex, RegexBuilder};

use super::rule::{BuiltinFn, Check, Equivalents, Rule, RuleMeta};
use super::structured::{Condition, Operator};
use crate::node::{Node, Value};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rule pack {file}: {message}")]
pub struct PackError {
    pub file: String,
    pub message: String,
}

/// Largest compiled regex accepted from a pack (guards against pathological patterns).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Parse a pack's text. `builtin` resolves `ruletype: builtin` ids to Rust checks.
pub fn parse_pack(
    file: &str,
    text: &str,
    builtin: &dyn Fn(&str) -> Option<BuiltinFn>,
) -> Result<Vec<Rule>, PackError> {
    let err = |message: String| PackError {
        file: file.to_string(),
        message,
    };
    let (root, _) = crate::parse::parse_document(file, text).map_err(|e| err(e.to_string()))?;
    let list = match &root.value {
        Value::Seq(_) => &root,
        Value::Map(_) => root
            .get("rules")
            .or_else(|| root.get("Rules"))
            .ok_or_else(|| err("expected a list of rules or a `rules:` list".into()))?,
        _ => return Err(err("expected a list of rules".into())),
    };
    list.items()
        .iter()
        .map(|n| {
            parse_rule(n, builtin).map_err(|m| err(format!("rule at line {}: {m}", n.pos.line)))
        })
        .collect()
}

fn s(n: &Node, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| n.get(k).and_then(Node::scalar_text))
}

fn list(n: Option<&Node>) -> Vec<String> {
    match n {
        None => Vec::new(),
        Some(n) => match &n.value {
            Value::Seq(items) => items.iter().filter_map(Node::scalar_text).collect(),
            _ => n.scalar_text().into_iter().collect(),
        },
    }
}

fn regex(p: &str) -> Result<Regex, String> {
    RegexBuilder::new(p)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("bad regex {p:?}: {e}"))
}

fn parse_rule(n: &Node, builtin: &dyn Fn(&str) -> Option<BuiltinFn>) -> Result<Rule, String> {
    let id = s(n, &["id", "rule"]).ok_or("missing `rule` (or `id`)")?;
    let title = s(n, &["title"]).unwrap_or_else(|| id.clone());
    let category = s(n, &["category"]).unwrap_or_else(|| "General".into());
    // A rule with no check of its own (no ruletype, path or ruledata) overrides the metadata
    // of an existing rule with the same id: e.g. `{id: DATA-10, active: N}` or a new risk.
    let is_override =
        n.get("ruletype").is_none() && n.get("path").is_none() && n.get("ruledata").is_none();
    let risk = match s(n, &["riskvalue", "risk"]) {
        Some(r) => Some(
            r.trim()
                .parse::<u32>()
                .map_err(|_| format!("riskvalue {r:?} is not a non-negative integer"))?,
        ),
        None if is_override => None,
        None => return Err("missing `riskvalue`".into()),
    };
    let active = s(n, &["active"]).is_none_or(|a| {
        matches!(
            a.trim().to_ascii_lowercase().as_str(),
            "y" | "yes" | "true" | "1"
        )
    });
    let eq = n.get("equivalents");
    let equivalents = Equivalents {
        cfn_nag: list(eq.and_then(|e| e.get("cfn_nag"))),
        guard: list(eq.and_then(|e| e.get("guard"))),
        checkov: list(eq.and_then(|e| e.get("checkov"))),
    };
    let meta = RuleMeta {
        id: id.clone(),
        title,
        category,
        risk: risk.unwrap_or(0),
        remediation: s(n, &["remediation"]).unwrap_or_default(),
        references: list(n.get("references")),
        equivalents,
        active,
    };
    if is_override {
        return Ok(Rule {
            meta,
            check: Check::Override {
                risk,
                title: s(n, &["title"]),
            },
        });
    }
    let types = list(n.get("resource").or_else(|| n.get("resources")));
    let ruletype = s(n, &["ruletype"]).unwrap_or_else(|| "structured".into());
    let check = match ruletype.to_ascii_lowercase().as_str() {
        "regex" => {
            let data = s(n, &["ruledata", "pattern"]).ok_or("regex rule without `ruledata`")?;
            Check::Regex {
                types,
                re: regex(&data)?,
            }
        }
        "structured" | "property" => {
            let mut conditions = vec![condition(n)?];
            for w in n.get("when").map(Node::items).unwrap_or_default() {
                conditions.push(condition(w)?);
            }
            Check::Structured {
                types,
                conditions,
                message: s(n, &["message"]),
            }
        }
        "builtin" => Check::Builtin(builtin(&id).ok_or_else(|| format!("no built-in check {id}"))?),
        other => return Err(format!("unknown ruletype {other:?}")),
    };
    Ok(Rule { meta, check })
}

fn condition(n: &Node) -> Result<Condition, String> {
    let path = s(n, &["path"]).ok_or("structured condition without `path`")?;
    let op = s(n, &["operator"]).ok_or("structured condition without `operator`")?;
    let values = list(n.get("value"));
    let first = || {
        values
            .first()
            .cloned()
            .ok_or(format!("operator {op} needs a `value`"))
    };
    let num = || -> Result<f64, String> {
        first()?
            .parse::<f64>()
            .map_err(|_| format!("operator {op} needs a numeric value"))
    };
    let op = match op.as_str() {
        "absent" | "missing" => Operator::Absent,
        "present" | "exists" => Operator::Present,
        "equals" | "in" => {
            first()?;
            Operator::Equals(values.clone())
        }
        "not_equals" | "not_in" => {
            first()?;
            Operator::NotEquals(values.clone())
        }
        "matches" => Operator::Matches(regex(&first()?)?),
        "not_matches" => Operator::NotMatches(regex(&first()?)?),
        "world_cidr" => Operator::WorldCidr,
        "wider_than" => Operator::WiderThan(
            first()?
                .parse()
                .map_err(|_| "wider_than needs a prefix length".to_string())?,
        ),
        "port_open" => Operator::PortOpen(
            values
                .iter()
                .map(|v| v.parse::<i64>().map_err(|_| format!("bad port {v:?}")))
                .collect::<Result<_, _>>()?,
        ),
        "lt" | "less_than" => Operator::LessThan(num()?),
        "gt" | "greater_than" => Operator::GreaterThan(num()?),
        other => return Err(format!("unknown operator {other:?}")),
    };
    Ok(Condition {
        path,
        op,
        default: s(n, &["default"]),
    })
}

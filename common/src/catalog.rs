//! The check catalog: what each check is, and which benchmark requirements it serves.
//!
//! A benchmark version is data (a table from requirement ids to check ids), so adding a
//! new version of CIS is a new table plus any new checks, not a rewrite.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// ASFF severity labels, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The ASFF `Severity.Label` value.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The ASFF `Severity.Normalized` value for the label.
    pub fn normalized(self) -> i32 {
        match self {
            Severity::Informational => 0,
            Severity::Low => 1,
            Severity::Medium => 40,
            Severity::High => 70,
            Severity::Critical => 90,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Ok(Severity::Informational),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity '{other}' (expected informational, low, medium, high or critical)"
            )),
        }
    }
}

/// Where a check is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Once per account (IAM and other global services); findings go to the home region.
    Account,
    /// Once per selected region of each account.
    Region,
}

/// Static description of one check.
#[derive(Debug, Clone, Copy)]
pub struct CheckMeta {
    /// Stable check id, e.g. `iam.root-access-keys`. Part of the finding id: never rename.
    pub id: &'static str,
    pub title: &'static str,
    /// What the check verifies, used as the finding description.
    pub description: &'static str,
    pub severity: Severity,
    pub scope: Scope,
    /// Security Hub control id, when Security Hub has one (e.g. `IAM.4`).
    pub security_control_id: Option<&'static str>,
    pub remediation: &'static str,
    pub remediation_url: &'static str,
}

/// One requirement of a benchmark version.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    /// Requirement id within the benchmark, e.g. `5.2`.
    pub id: &'static str,
    pub title: &'static str,
    /// Top-level section of the benchmark, e.g. `Networking`.
    pub section: &'static str,
    /// Whether CIS assesses it automatically (false: manual). Manual requirements are still
    /// decided by checks where an API answers them; otherwise a `manual.*` check reports
    /// NOT_AVAILABLE with the reason.
    pub automated: bool,
    /// CIS profile level (1 or 2).
    pub level: u8,
    /// Checks that together decide this requirement (never empty).
    pub checks: &'static [&'static str],
    /// Security Hub control id, where Security Hub has one (e.g. `EC2.53`).
    pub control: Option<&'static str>,
}

/// A benchmark version: a short key, a name and its requirements.
#[derive(Debug, Clone, Copy)]
pub struct Benchmark {
    /// Short, stable key used on the command line, in finding ids and generator ids,
    /// e.g. `cis-3.0.0`. Never rename.
    pub key: &'static str,
    /// Name as used in `Compliance.RelatedRequirements`, e.g. `CIS AWS Foundations Benchmark v3.0.0`.
    pub name: &'static str,
    pub requirements: &'static [Requirement],
}

impl Benchmark {
    /// `Compliance.RelatedRequirements` entries for a check: `<benchmark name>/<requirement id>`.
    pub fn related_requirements(&self, check_id: &str) -> Vec<String> {
        self.requirements_of(check_id)
            .map(|r| format!("{}/{}", self.name, r.id))
            .collect()
    }

    /// The requirements a check serves.
    pub fn requirements_of<'a>(
        &'a self,
        check_id: &'a str,
    ) -> impl Iterator<Item = &'static Requirement> + 'a {
        self.requirements
            .iter()
            .filter(move |r| r.checks.contains(&check_id))
    }

    /// The requirement with this id.
    pub fn requirement(&self, id: &str) -> Option<&'static Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The version part of the name, e.g. `v3.0.0`.
    pub fn version(&self) -> &'static str {
        self.name.rsplit(' ').next().unwrap_or(self.name)
    }

    /// Every check id the benchmark uses, in table order, without duplicates.
    pub fn check_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = Vec::new();
        for id in self
            .requirements
            .iter()
            .flat_map(|r| r.checks.iter().copied())
        {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Benchmark = Benchmark {
        key: "test-1",
        name: "Test v1",
        requirements: &[
            Requirement {
                id: "1.1",
                title: "a",
                section: "S",
                level: 1,
                automated: true,
                checks: &["x", "y"],
                control: None,
            },
            Requirement {
                id: "1.2",
                title: "b",
                section: "S",
                level: 1,
                automated: true,
                checks: &["y"],
                control: None,
            },
        ],
    };

    #[test]
    fn related_requirements_lists_every_requirement_of_a_check() {
        assert_eq!(
            B.related_requirements("y"),
            vec!["Test v1/1.1", "Test v1/1.2"]
        );
        assert_eq!(B.related_requirements("x"), vec!["Test v1/1.1"]);
        assert!(B.related_requirements("z").is_empty());
        assert_eq!(B.check_ids(), vec!["x", "y"]);
    }

    #[test]
    fn severity_parses_and_orders() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("bad".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::Low);
    }
}

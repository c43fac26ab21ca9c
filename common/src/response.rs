//! Configuration of event-driven response (the `[response]` table of the config file).
//!
//! Safe defaults: the priority actions of the seed's playbooks act (restart logging, enrol MFA,
//! isolate), countermeasures against people are off until configured.

use serde::{Deserialize, Serialize};

/// Role the hub assumes in members to respond; deployed by stacksets/member-response-role.json.
pub const DEFAULT_RESPONSE_ROLE: &str = "RampartResponder";
/// DynamoDB table holding event claims, the audit log, offence history and trail records.
pub const DEFAULT_AUDIT_TABLE: &str = "rampart-audit";
/// Resources tagged `<tag>=true` are never acted on.
pub const DEFAULT_EXEMPT_TAG: &str = "rampart:exempt";
/// Name of the per-VPC security group with no rules used to isolate instances.
pub const DEFAULT_ISOLATION_GROUP: &str = "rampart-isolation";

/// What a playbook may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Events are audited, nothing is planned or changed.
    Off,
    /// The plan is computed, audited and alerted; nothing is changed.
    Plan,
    /// The plan is carried out.
    #[default]
    Enforce,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(Mode::Off),
            "plan" => Ok(Mode::Plan),
            "enforce" => Ok(Mode::Enforce),
            other => Err(format!("mode '{other}' is not one of: off, plan, enforce")),
        }
    }
}

/// When the CloudTrail-tamper playbook acts against the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Countermeasure {
    #[default]
    Off,
    /// On the actor's first offence.
    First,
    /// Only when the actor has offended before.
    Repeat,
}

/// The trail settings restored when no configuration was recorded for a trail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailBaseline {
    /// S3 bucket receiving the logs (required to recreate a trail without a record).
    pub s3_bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub kms_key_id: Option<String>,
    pub multi_region: Option<bool>,
    pub log_file_validation: Option<bool>,
    pub include_global_events: Option<bool>,
    pub cloudwatch_logs_group_arn: Option<String>,
    pub cloudwatch_logs_role_arn: Option<String>,
}

/// `[response]` in the config file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseConfig {
    /// Role assumed in members to respond [default: RampartResponder].
    pub role_name: Option<String>,
    /// DynamoDB table in the hub account [default: rampart-audit].
    pub audit_table: Option<String>,
    /// SNS topic in the hub account receiving one message per incident.
    pub alert_topic_arn: Option<String>,
    /// Regions whose events are acted on [default: every region].
    pub allowed_regions: Option<Vec<String>>,
    /// Tag key marking exempt resources and principals [default: rampart:exempt].
    pub exempt_tag: Option<String>,
    /// Principals never acted against (break-glass), as ARNs; `*` matches any run of characters.
    pub protected_principals: Option<Vec<String>>,
    /// Principals allowed to change trails: their changes are recorded and alerted, not reverted.
    pub allow_list: Option<Vec<String>>,
    /// Actions per member account per hour, across playbooks [default: 30].
    pub action_rate_cap: Option<u32>,
    /// Seconds an organization membership lookup is trusted [default: 300].
    pub org_cache_secs: Option<u64>,
    pub cloudtrail_tamper: Option<Mode>,
    pub auto_mfa: Option<Mode>,
    pub isolation: Option<Mode>,
    /// Countermeasure against the actor who tampered with a trail [default: off].
    pub countermeasure: Option<Countermeasure>,
    /// Trail names protected by the playbook [default: every trail].
    pub protected_trails: Option<Vec<String>>,
    pub trail_baseline: Option<TrailBaseline>,
    /// KMS key (id, ARN or alias in the member account) encrypting MFA seeds
    /// [default: the account's aws/secretsmanager key].
    pub mfa_kms_key: Option<String>,
    /// Also remove an isolated instance's instance profile [default: false].
    pub detach_instance_profile: Option<bool>,
    /// Name of the per-VPC isolation security group [default: rampart-isolation].
    pub isolation_group_name: Option<String>,
    /// Lowest GuardDuty severity (0-10) that isolates an instance [default: 7, High].
    pub guardduty_min_severity: Option<f64>,
    /// Security Hub custom action id that isolates the instances of the selected findings
    /// [default: RampartIsolate].
    pub isolate_action_id: Option<String>,
}

impl ResponseConfig {
    pub fn role_name(&self) -> &str {
        self.role_name.as_deref().unwrap_or(DEFAULT_RESPONSE_ROLE)
    }
    pub fn audit_table(&self) -> &str {
        self.audit_table.as_deref().unwrap_or(DEFAULT_AUDIT_TABLE)
    }
    pub fn exempt_tag(&self) -> &str {
        self.exempt_tag.as_deref().unwrap_or(DEFAULT_EXEMPT_TAG)
    }
    pub fn action_rate_cap(&self) -> u32 {
        self.action_rate_cap.unwrap_or(30)
    }
    pub fn org_cache_secs(&self) -> u64 {
        self.org_cache_secs.unwrap_or(300)
    }
    pub fn isolation_group_name(&self) -> &str {
        self.isolation_group_name
            .as_deref()
            .unwrap_or(DEFAULT_ISOLATION_GROUP)
    }
    pub fn guardduty_min_severity(&self) -> f64 {
        self.guardduty_min_severity.unwrap_or(7.0)
    }
    pub fn isolate_action_id(&self) -> &str {
        self.isolate_action_id
            .as_deref()
            .unwrap_or("RampartIsolate")
    }
    pub fn region_allowed(&self, region: &str) -> bool {
        match &self.allowed_regions {
            None => true,
            Some(list) => list.iter().any(|r| r == region || r == "all"),
        }
    }
    pub fn is_protected(&self, arn: &str) -> bool {
        self.protected_principals
            .iter()
            .flatten()
            .any(|p| glob_match(p, arn))
    }
    pub fn is_allow_listed(&self, arn: &str) -> bool {
        self.allow_list.iter().flatten().any(|p| glob_match(p, arn))
    }
    pub fn trail_protected(&self, name: &str) -> bool {
        match &self.protected_trails {
            None => true,
            Some(list) => list.iter().any(|t| t == name || glob_match(t, name)),
        }
    }

    /// Checks values that TOML types cannot express.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(t) = &self.alert_topic_arn {
            if !t.starts_with("arn:") || t.split(':').count() != 6 {
                return Err(format!(
                    "response.alert_topic_arn '{t}' is not an SNS topic ARN"
                ));
            }
        }
        if self.action_rate_cap == Some(0) {
            return Err("response.action_rate_cap must be at least 1".into());
        }
        if let Some(name) = &self.role_name {
            let ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
            if !ok {
                return Err(format!(
                    "response.role_name '{name}' is not a valid IAM role name"
                ));
            }
        }
        Ok(())
    }
}

/// `*` matches any run of characters (ARN patterns in allow and protect lists).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_arns() {
        assert!(glob_match(
            "arn:aws:iam::*:role/BreakGlass",
            "arn:aws:iam::111122223333:role/BreakGlass"
        ));
        assert!(!glob_match(
            "arn:aws:iam::*:role/BreakGlass",
            "arn:aws:iam::111122223333:role/BreakGlassX"
        ));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("a*b*c", "a-x-b-y-c"));
        assert!(!glob_match("a*b*c", "a-x-c"));
        assert!(glob_match("exact", "exact"));
    }

    #[test]
    fn defaults_are_safe() {
        let c = ResponseConfig::default();
        assert_eq!(c.role_name(), DEFAULT_RESPONSE_ROLE);
        assert_eq!(c.countermeasure.unwrap_or_default(), Countermeasure::Off);
        assert_eq!(c.cloudtrail_tamper.unwrap_or_default(), Mode::Enforce);
        assert!(c.region_allowed("eu-west-1"));
        assert!(c.trail_protected("any"));
        assert!(!c.is_protected("arn:aws:iam::1:user/x"));
    }

    #[test]
    fn bad_values_are_named() {
        let c = ResponseConfig {
            alert_topic_arn: Some("topic".into()),
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().contains("alert_topic_arn"));
        assert!("sometimes"
            .parse::<Mode>()
            .unwrap_err()
            .contains("sometimes"));
    }
}

//! Configuration of event-driven response (the `[response]` table of the config file).
//!
//! Safe defaults: the priority actions of the built-in playbooks act (restart logging, enrol MFA,
//! isolate), countermeasures against people are off until configured.

use serde::{Deserialize, Serialize};

/// Role the hub assumes in members to respond; deployed by stacksets/member-global.yaml.
pub const DEFAULT_RESPONSE_ROLE: &str = "RampartResponder";
/// DynamoDB table holding the audit log only (append-only: items are never overwritten).
pub const DEFAULT_AUDIT_TABLE: &str = "rampart-audit";
/// DynamoDB table holding working state: event leases, action budgets, offence history and the
/// recorded trail configurations (the restore baseline), kept apart from the audit log.
pub const DEFAULT_STATE_TABLE: &str = "rampart-state";
/// Name of the hub's hourly rule that records member trails (hub stack).
pub const DEFAULT_SCHEDULE_RULE: &str = "rampart-record-trails";
/// Customer managed policy (member stack) attached to new users until they enrol MFA.
pub const DEFAULT_REQUIRE_MFA_POLICY: &str = "RampartRequireMFA";
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

/// What auto MFA does for a user without MFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MfaMode {
    /// Attach the require-MFA policy (everything denied until the user enrols their own device)
    /// and alert: the second factor stays with the user.
    #[default]
    Require,
    /// Enrol a virtual device for the user and keep its seed for them in Secrets Manager.
    Enrol,
}

impl std::str::FromStr for MfaMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "require" => Ok(MfaMode::Require),
            "enrol" => Ok(MfaMode::Enrol),
            other => Err(format!("MFA mode '{other}' is not one of: require, enrol")),
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
/// The `[response]` table. The values a deployment sets (tables, topic, roles, the hub's own
/// identity, the automatic-remediation list) are also flags and `RAMPART_*` variables, which
/// the hub stack passes to the Lambda; the rest are file keys only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct ResponseConfig {
    /// Role assumed in members to respond [default: RampartResponder].
    #[arg(id = "response_role", long = "response-role", global = true, env = "RAMPART_RESPONSE_ROLE", help_heading = RESPONSE)]
    pub role_name: Option<String>,
    /// DynamoDB table in the hub account holding the audit log [default: rampart-audit].
    #[arg(long, global = true, env = "RAMPART_AUDIT_TABLE", help_heading = RESPONSE)]
    pub audit_table: Option<String>,
    /// DynamoDB table in the hub account holding leases, budgets, offences and trail records
    /// [default: rampart-state].
    #[arg(long, global = true, env = "RAMPART_STATE_TABLE", help_heading = RESPONSE)]
    pub state_table: Option<String>,
    /// Accounts trusted like the hub to deliver events about other member accounts, besides
    /// the hub and the organization's GuardDuty and Security Hub delegated administrators.
    #[arg(skip)]
    pub trusted_accounts: Option<Vec<String>>,
    /// ARNs of the hub's own roles (the hub Lambda's role): their calls are Rampart's own.
    #[arg(skip)]
    pub hub_role_arns: Option<Vec<String>>,
    /// The deployment's hub role ARN (the stack's), one more of `hub_role_arns`.
    #[arg(long, global = true, env = "RAMPART_HUB_ROLE_ARN", help_heading = RESPONSE)]
    pub hub_role_arn: Option<String>,
    /// The hub's account id; when given with `hub_role_arn` the hub skips
    /// sts:GetCallerIdentity at start [default: the credentials' account].
    #[arg(long, global = true, env = "RAMPART_HUB_ACCOUNT", help_heading = RESPONSE)]
    pub hub_account: Option<String>,
    /// The hub's trail-recording schedule rule ARN
    /// [default: arn:<partition>:events:<hub region>:<hub account>:rule/rampart-record-trails].
    #[arg(long, global = true, env = "RAMPART_SCHEDULE_RULE_ARN", help_heading = RESPONSE)]
    pub schedule_rule_arn: Option<String>,
    /// Seconds a claimed event is leased to the delivery running its playbook [default: 900].
    #[arg(skip)]
    pub lease_secs: Option<u64>,
    /// Member accounts x regions the schedule records concurrently [default: 8].
    #[arg(skip)]
    pub record_concurrency: Option<usize>,
    /// SNS topic in the hub account receiving one message per incident.
    #[arg(long, global = true, env = "RAMPART_ALERT_TOPIC_ARN", help_heading = RESPONSE)]
    pub alert_topic_arn: Option<String>,
    /// Regions whose events are acted on [default: every region].
    #[arg(skip)]
    pub allowed_regions: Option<Vec<String>>,
    /// Tag key marking exempt resources and principals [default: rampart:exempt].
    #[arg(skip)]
    pub exempt_tag: Option<String>,
    /// Principals never acted against (break-glass), as ARNs; `*` matches any run of characters.
    #[arg(skip)]
    pub protected_principals: Option<Vec<String>>,
    /// Principals allowed to change trails: their changes are recorded and alerted, not reverted.
    #[arg(skip)]
    pub allow_list: Option<Vec<String>>,
    /// Playbook runs that may change something, per playbook, member account and hour
    /// [default: 30].
    #[arg(skip)]
    pub action_rate_cap: Option<u32>,
    /// Per-playbook overrides of `action_rate_cap` (keys: playbook names).
    #[arg(skip)]
    pub action_rate_caps: Option<std::collections::BTreeMap<String, u32>>,
    /// Seconds an organization membership lookup is trusted [default: 300].
    #[arg(skip)]
    pub org_cache_secs: Option<u64>,
    /// Events per minute each member account may have handled from the intake queue before
    /// its further events wait there [default: 30].
    #[arg(skip)]
    pub intake_per_minute: Option<u32>,
    /// Events a quiet member account may have handled at once [default: 10].
    #[arg(skip)]
    pub intake_burst: Option<u32>,
    #[arg(skip)]
    pub cloudtrail_tamper: Option<Mode>,
    /// Mode of the forwarding guard (Rampart's member EventBridge rules disabled or changed).
    #[arg(skip)]
    pub forwarding_guard: Option<Mode>,
    #[arg(skip)]
    pub auto_mfa: Option<Mode>,
    #[arg(skip)]
    pub isolation: Option<Mode>,
    /// Countermeasure against the actor who tampered with a trail [default: off].
    #[arg(skip)]
    pub countermeasure: Option<Countermeasure>,
    /// Trail names protected by the playbook [default: every trail].
    #[arg(skip)]
    pub protected_trails: Option<Vec<String>>,
    #[arg(skip)]
    pub trail_baseline: Option<TrailBaseline>,
    /// What auto MFA does: `require` (default) or `enrol`.
    #[arg(skip)]
    pub mfa_mode: Option<MfaMode>,
    /// Customer managed policy (in each member) attached in `require` mode
    /// [default: RampartRequireMFA].
    #[arg(skip)]
    pub require_mfa_policy: Option<String>,
    /// Hours after which an enrolled seed is deleted even if the user never signed in
    /// [default: 72].
    #[arg(skip)]
    pub mfa_seed_max_age_hours: Option<u64>,
    /// KMS key (id, ARN or alias in the member account) encrypting MFA seeds
    /// [default: the account's aws/secretsmanager key].
    #[arg(skip)]
    pub mfa_kms_key: Option<String>,
    /// Also remove an isolated instance's instance profile [default: false].
    #[arg(skip)]
    pub detach_instance_profile: Option<bool>,
    /// Name of the per-VPC isolation security group [default: rampart-isolation].
    #[arg(skip)]
    pub isolation_group_name: Option<String>,
    /// Lowest GuardDuty severity (0-10) that isolates an instance [default: 7, High].
    #[arg(skip)]
    pub guardduty_min_severity: Option<f64>,
    /// Also isolate an instance that is only the target of the activity a GuardDuty finding
    /// reports (`service.resourceRole` TARGET), not its actor [default: false].
    #[arg(skip)]
    pub isolate_targets: Option<bool>,
    /// Security Hub custom action id that isolates the instances of the selected findings
    /// [default: RampartIsolate].
    #[arg(skip)]
    pub isolate_action_id: Option<String>,
    /// Mode of control remediation (`off`, `plan`, `enforce`) for the custom action and
    /// automatic mode; `rampart remediate` plans unless given `--apply` [default: enforce].
    #[arg(skip)]
    pub remediation: Option<Mode>,
    /// Security Hub custom action id that remediates the selected findings
    /// [default: RampartRemediate].
    #[arg(skip)]
    pub remediate_action_id: Option<String>,
    /// Controls remediated automatically when their FAILED finding is imported (`EC2.53`, ...)
    /// [default: none].
    #[arg(long, global = true, value_delimiter = ',', env = "RAMPART_AUTO_REMEDIATE", help_heading = RESPONSE)]
    pub auto_remediate: Option<Vec<String>>,
    /// Resources never remediated, as ARNs (or `AWS::::Account:<id>`); `*` matches any run of
    /// characters.
    #[arg(skip)]
    pub remediation_exempt: Option<Vec<String>>,
}

/// Help heading of the response flags.
const RESPONSE: &str = "Response options";

impl ResponseConfig {
    /// The mode of the playbook whose mode lives at `key` (`cloudtrail_tamper`, `auto_mfa`,
    /// `isolation`) [default: enforce].
    pub fn mode_of(&self, key: &str) -> Mode {
        match key {
            "cloudtrail_tamper" => self.cloudtrail_tamper,
            "forwarding_guard" => self.forwarding_guard,
            "auto_mfa" => self.auto_mfa,
            "isolation" => self.isolation,
            "remediation" => self.remediation,
            _ => None,
        }
        .unwrap_or_default()
    }

    pub fn role_name(&self) -> &str {
        self.role_name.as_deref().unwrap_or(DEFAULT_RESPONSE_ROLE)
    }
    pub fn audit_table(&self) -> &str {
        self.audit_table.as_deref().unwrap_or(DEFAULT_AUDIT_TABLE)
    }
    pub fn state_table(&self) -> &str {
        self.state_table.as_deref().unwrap_or(DEFAULT_STATE_TABLE)
    }
    pub fn lease_secs(&self) -> u64 {
        self.lease_secs.unwrap_or(900)
    }
    pub fn record_concurrency(&self) -> usize {
        self.record_concurrency.unwrap_or(8).max(1)
    }
    /// The hourly cap of one playbook in one account.
    pub fn rate_cap_for(&self, playbook: &str) -> u32 {
        self.action_rate_caps
            .as_ref()
            .and_then(|m| m.get(playbook).copied())
            .unwrap_or_else(|| self.action_rate_cap())
    }
    pub fn mfa_mode(&self) -> MfaMode {
        self.mfa_mode.unwrap_or_default()
    }
    pub fn require_mfa_policy(&self) -> &str {
        self.require_mfa_policy
            .as_deref()
            .unwrap_or(DEFAULT_REQUIRE_MFA_POLICY)
    }
    pub fn mfa_seed_max_age_hours(&self) -> u64 {
        self.mfa_seed_max_age_hours.unwrap_or(72)
    }
    pub fn isolate_targets(&self) -> bool {
        self.isolate_targets.unwrap_or(false)
    }
    /// The schedule rule allowed to trigger trail recording.
    pub fn schedule_rule_arn(
        &self,
        partition: &str,
        hub_region: &str,
        hub_account: &str,
    ) -> String {
        self.schedule_rule_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:{partition}:events:{hub_region}:{hub_account}:rule/{DEFAULT_SCHEDULE_RULE}"
            )
        })
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
    pub fn intake_per_minute(&self) -> u32 {
        self.intake_per_minute.unwrap_or(30)
    }
    pub fn intake_burst(&self) -> u32 {
        self.intake_burst.unwrap_or(10)
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
    pub fn remediate_action_id(&self) -> &str {
        self.remediate_action_id
            .as_deref()
            .unwrap_or("RampartRemediate")
    }
    /// The custom action id a playbook trigger names by its key (`isolate_action_id`,
    /// `remediate_action_id`).
    pub fn action_id(&self, key: &str) -> Option<&str> {
        match key {
            "isolate_action_id" => Some(self.isolate_action_id()),
            "remediate_action_id" => Some(self.remediate_action_id()),
            _ => None,
        }
    }
    /// Whether the control is remediated automatically when its failed finding arrives.
    pub fn auto_remediates(&self, control: &str) -> bool {
        self.auto_remediate
            .iter()
            .flatten()
            .any(|c| c.eq_ignore_ascii_case(control))
    }
    pub fn is_remediation_exempt(&self, resource: &str) -> bool {
        self.remediation_exempt
            .iter()
            .flatten()
            .any(|p| glob_match(p, resource))
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
        if self.intake_per_minute == Some(0) || self.intake_burst == Some(0) {
            return Err("response.intake_per_minute and intake_burst must be at least 1".into());
        }
        if self.action_rate_cap == Some(0) {
            return Err("response.action_rate_cap must be at least 1".into());
        }
        if let Some((k, _)) = self
            .action_rate_caps
            .iter()
            .flatten()
            .find(|(_, v)| **v == 0)
        {
            return Err(format!("response.action_rate_caps.{k} must be at least 1"));
        }
        if let Some(a) = &self.hub_account {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "response.hub_account '{a}' is not a 12-digit account id"
                ));
            }
        }
        for a in self.trusted_accounts.iter().flatten() {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "response.trusted_accounts: '{a}' is not a 12-digit account id"
                ));
            }
        }
        // A pattern with `*` in the account field matches a role of that name in every
        // account, and any member can create one: exemptions name the account.
        for (key, list) in [
            ("protected_principals", &self.protected_principals),
            ("allow_list", &self.allow_list),
        ] {
            for p in list.iter().flatten() {
                let account = p.split(':').nth(4).unwrap_or("");
                let literal = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
                if !p.starts_with("arn:") || !literal {
                    return Err(format!(
                        "response.{key}: '{p}' must be an ARN naming its 12-digit account (a wildcard account matches a principal of that name that any member can create)"
                    ));
                }
            }
        }
        for r in self.hub_role_arns.iter().flatten() {
            if !r.starts_with("arn:") || !r.contains(":role/") {
                return Err(format!("response.hub_role_arns: '{r}' is not a role ARN"));
            }
        }
        if self.lease_secs == Some(0) {
            return Err("response.lease_secs must be at least 1".into());
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
    fn exemptions_must_name_their_account() {
        for (key, set) in [("protected_principals", true), ("allow_list", false)] {
            let with = |p: &str| {
                let mut c = ResponseConfig::default();
                if set {
                    c.protected_principals = Some(vec![p.into()]);
                } else {
                    c.allow_list = Some(vec![p.into()]);
                }
                c.validate()
            };
            let err = with("arn:aws:iam::*:role/BreakGlass").unwrap_err();
            assert!(
                err.contains(key) && err.contains("12-digit account"),
                "{err}"
            );
            assert!(with("arn:aws:iam::1111222233*:role/BreakGlass").is_err());
            assert!(with("BreakGlass").is_err());
            assert!(with("arn:aws:iam::111122223333:role/Break*").is_ok());
        }
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

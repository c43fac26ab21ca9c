//! Rampart's configuration file (TOML).
//!
//! Every key here can also be given as a command-line flag or a `RAMPART_*` environment
//! variable (the CLI layers flag > environment > file > default). docs/configuration.md
//! documents each key; keep the two in step.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Default member role name: the role Organizations creates in every account it creates.
pub const DEFAULT_ROLE_NAME: &str = "OrganizationAccountAccessRole";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Which regions to assess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum RegionSelection {
    /// Every region enabled in the hub account (EC2 DescribeRegions).
    #[default]
    #[serde(skip)]
    AllEnabled,
    List(Vec<String>),
}

/// The configuration file. Unset keys take the documented defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name of the role assumed in each member account.
    pub role_name: Option<String>,
    /// ExternalId passed to sts:AssumeRole.
    pub external_id: Option<String>,
    /// Regions to assess: a list, or absent / `["all"]` for every enabled region.
    pub regions: Option<Vec<String>>,
    /// Region that receives findings of global (account-level) checks. Default: the first region.
    pub home_region: Option<String>,
    /// Only these account ids (default: every ACTIVE account).
    pub include_accounts: Option<Vec<String>>,
    /// Never these account ids.
    pub exclude_accounts: Option<Vec<String>>,
    /// Only accounts under these OUs (ids `ou-...` or the root `r-...`), recursively.
    pub include_ous: Option<Vec<String>>,
    /// Never accounts under these OUs, recursively.
    pub exclude_ous: Option<Vec<String>>,
    /// Accounts assessed at once.
    pub concurrency: Option<usize>,
    /// API requests per second per account-region (token bucket).
    pub rate_limit: Option<f64>,
    /// Burst size of that bucket.
    pub rate_burst: Option<u32>,
    /// SDK retry mode: `standard` or `adaptive`.
    pub retry_mode: Option<String>,
    /// SDK max attempts per request (first try included).
    pub max_attempts: Option<u32>,
    /// Lifetime of assumed-role sessions, seconds (900-43200); refreshed before expiry.
    pub session_duration_secs: Option<u32>,
    /// Publish findings to each member's Security Hub.
    pub publish: Option<bool>,
    /// Enable Security Hub in accounts where it is off (only when asked).
    pub enable_security_hub: Option<bool>,
    /// Lowest severity of a failure that makes `assess` exit 1 (`none` to never).
    pub fail_on: Option<String>,
    /// Event-driven response (`[response]` table).
    pub response: Option<crate::response::ResponseConfig>,
    /// CIS thresholds (`[thresholds]` table); unset keys keep the CIS defaults.
    pub thresholds: Option<Thresholds>,
    /// S3 bucket (in the hub region) receiving the HTML report of each `assess` run.
    pub report_bucket: Option<String>,
    /// Key prefix of uploaded reports.
    pub report_prefix: Option<String>,
    /// Lifetime of the report's pre-signed URL, hours (1-168: SigV4's 7-day maximum).
    pub report_url_hours: Option<u32>,
    /// KMS key (id, ARN or alias) for SSE-KMS on the report; SSE-S3 (AES256) when unset.
    pub report_kms_key: Option<String>,
    /// Benchmark versions to assess (`cis-3.0.0` ... `cis-7.0.0`), several at once allowed.
    /// Default: the newest.
    pub benchmark: Option<Vec<String>>,
    /// Publish only FAILED findings (and close stale ones), as before PASSED and
    /// NOT_AVAILABLE findings were published.
    pub only_failed: Option<bool>,
    /// An unchanged finding is re-imported once its last import is this many days old, so
    /// Security Hub (which deletes findings not updated for 90 days) keeps it (1-89).
    pub finding_refresh_days: Option<u32>,
}

/// Security Hub deletes a finding that has not been updated for this many days.
pub const SECURITY_HUB_FINDING_RETENTION_DAYS: u32 = 90;
/// Default age at which an unchanged finding is re-imported anyway.
pub const DEFAULT_FINDING_REFRESH_DAYS: u32 = 75;

/// The CIS thresholds a check compares against. Unset keys keep the CIS v3.0.0 values:
/// 14 characters (1.8), 24 passwords (1.9), 45 days unused (1.12), 90 days key age (1.14),
/// 30 days root use (1.7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub password_min_length: Option<i32>,
    pub password_reuse_prevention: Option<i32>,
    pub unused_credential_days: Option<i64>,
    pub key_rotation_days: Option<i64>,
    pub root_use_days: Option<i64>,
}

impl Thresholds {
    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, v: i64, lo: i64, hi: i64| {
            Err(ConfigError::Invalid(format!(
                "thresholds.{key} must be within {lo}..={hi}, got {v}"
            )))
        };
        if let Some(v) = self.password_min_length {
            if !(6..=128).contains(&v) {
                return bad("password_min_length", i64::from(v), 6, 128);
            }
        }
        if let Some(v) = self.password_reuse_prevention {
            if !(1..=24).contains(&v) {
                return bad("password_reuse_prevention", i64::from(v), 1, 24);
            }
        }
        for (key, v) in [
            ("unused_credential_days", self.unused_credential_days),
            ("key_rotation_days", self.key_rotation_days),
            ("root_use_days", self.root_use_days),
        ] {
            if let Some(v) = v {
                if !(1..=3650).contains(&v) {
                    return bad(key, v, 1, 3650);
                }
            }
        }
        Ok(())
    }
}

/// Default key prefix of uploaded HTML reports.
pub const DEFAULT_REPORT_PREFIX: &str = "rampart-reports";
/// Default and maximum lifetime of a report URL: a SigV4 pre-signed URL lives at most 7 days.
pub const MAX_REPORT_URL_HOURS: u32 = 168;

impl Config {
    /// Loads and parses a config file; errors name the file and what was wrong.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses TOML text.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim().to_string())
    }

    /// Values set here win over `base` (used to layer flags/env over the file).
    pub fn overlay(self, base: Config) -> Config {
        Config {
            role_name: self.role_name.or(base.role_name),
            external_id: self.external_id.or(base.external_id),
            regions: self.regions.or(base.regions),
            home_region: self.home_region.or(base.home_region),
            include_accounts: self.include_accounts.or(base.include_accounts),
            exclude_accounts: self.exclude_accounts.or(base.exclude_accounts),
            include_ous: self.include_ous.or(base.include_ous),
            exclude_ous: self.exclude_ous.or(base.exclude_ous),
            concurrency: self.concurrency.or(base.concurrency),
            rate_limit: self.rate_limit.or(base.rate_limit),
            rate_burst: self.rate_burst.or(base.rate_burst),
            retry_mode: self.retry_mode.or(base.retry_mode),
            max_attempts: self.max_attempts.or(base.max_attempts),
            session_duration_secs: self.session_duration_secs.or(base.session_duration_secs),
            publish: self.publish.or(base.publish),
            enable_security_hub: self.enable_security_hub.or(base.enable_security_hub),
            fail_on: self.fail_on.or(base.fail_on),
            response: self.response.or(base.response),
            thresholds: self.thresholds.or(base.thresholds),
            report_bucket: self.report_bucket.or(base.report_bucket),
            report_prefix: self.report_prefix.or(base.report_prefix),
            report_url_hours: self.report_url_hours.or(base.report_url_hours),
            report_kms_key: self.report_kms_key.or(base.report_kms_key),
            benchmark: self.benchmark.or(base.benchmark),
            only_failed: self.only_failed.or(base.only_failed),
            finding_refresh_days: self.finding_refresh_days.or(base.finding_refresh_days),
        }
    }

    pub fn report_prefix(&self) -> &str {
        self.report_prefix
            .as_deref()
            .unwrap_or(DEFAULT_REPORT_PREFIX)
    }

    pub fn report_url_hours(&self) -> u32 {
        self.report_url_hours.unwrap_or(MAX_REPORT_URL_HOURS)
    }

    pub fn role_name(&self) -> &str {
        self.role_name.as_deref().unwrap_or(DEFAULT_ROLE_NAME)
    }

    /// The benchmark versions to assess (validated by [`Config::validate`]; the default on
    /// an unknown name).
    pub fn benchmarks(&self) -> Vec<&'static crate::Benchmark> {
        crate::benchmarks::select(self.benchmark.as_deref())
            .unwrap_or_else(|_| vec![crate::benchmarks::DEFAULT])
    }

    pub fn finding_refresh_days(&self) -> u32 {
        self.finding_refresh_days
            .unwrap_or(DEFAULT_FINDING_REFRESH_DAYS)
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or(16).max(1)
    }

    pub fn rate_limit(&self) -> f64 {
        self.rate_limit.unwrap_or(10.0)
    }

    pub fn rate_burst(&self) -> u32 {
        self.rate_burst.unwrap_or(20).max(1)
    }

    pub fn max_attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(5).max(1)
    }

    pub fn session_duration_secs(&self) -> u32 {
        self.session_duration_secs.unwrap_or(3600)
    }

    /// The region selection, `["all"]` meaning every enabled region.
    pub fn region_selection(&self) -> RegionSelection {
        match &self.regions {
            None => RegionSelection::AllEnabled,
            Some(list) if list.iter().any(|r| r == "all") => RegionSelection::AllEnabled,
            Some(list) => RegionSelection::List(list.clone()),
        }
    }

    /// Checks values that TOML types cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(mode) = &self.retry_mode {
            if mode != "standard" && mode != "adaptive" {
                return Err(ConfigError::Invalid(format!(
                    "retry_mode '{mode}' is not one of: standard, adaptive"
                )));
            }
        }
        if let Some(r) = self.rate_limit {
            if !(r.is_finite() && r > 0.0) {
                return Err(ConfigError::Invalid(format!(
                    "rate_limit must be a positive number, got {r}"
                )));
            }
        }
        let d = self.session_duration_secs();
        if !(900..=43_200).contains(&d) {
            return Err(ConfigError::Invalid(format!(
                "session_duration_secs must be within 900..=43200, got {d}"
            )));
        }
        if let Some(name) = &self.role_name {
            let ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "role_name '{name}' is not a valid IAM role name"
                )));
            }
        }
        if let Some(id) = &self.external_id {
            if !(2..=1224).contains(&id.len()) {
                return Err(ConfigError::Invalid(
                    "external_id must be 2 to 1224 characters".into(),
                ));
            }
        }
        for (key, list) in [
            ("include_accounts", &self.include_accounts),
            ("exclude_accounts", &self.exclude_accounts),
        ] {
            for id in list.iter().flatten() {
                if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
                    return Err(ConfigError::Invalid(format!(
                        "{key}: '{id}' is not a 12-digit account id"
                    )));
                }
            }
        }
        crate::benchmarks::select(self.benchmark.as_deref())
            .map_err(|e| ConfigError::Invalid(format!("benchmark: {e}")))?;
        let r = self.finding_refresh_days();
        if !(1..SECURITY_HUB_FINDING_RETENTION_DAYS).contains(&r) {
            return Err(ConfigError::Invalid(format!(
                "finding_refresh_days must be within 1..={} (Security Hub deletes findings not updated for {SECURITY_HUB_FINDING_RETENTION_DAYS} days), got {r}",
                SECURITY_HUB_FINDING_RETENTION_DAYS - 1
            )));
        }
        let h = self.report_url_hours();
        if !(1..=MAX_REPORT_URL_HOURS).contains(&h) {
            return Err(ConfigError::Invalid(format!(
                "report_url_hours must be within 1..={MAX_REPORT_URL_HOURS} (a pre-signed URL lives at most 7 days), got {h}"
            )));
        }
        if let Some(b) = &self.report_bucket {
            let ok = (3..=63).contains(&b.len())
                && b.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "report_bucket '{b}' is not a valid S3 bucket name"
                )));
            }
        }
        if let Some(f) = &self.fail_on {
            if f != "none" && f.parse::<crate::catalog::Severity>().is_err() {
                return Err(ConfigError::Invalid(format!(
                    "fail_on '{f}' is not one of: none, informational, low, medium, high, critical"
                )));
            }
        }
        if let Some(r) = &self.response {
            r.validate().map_err(ConfigError::Invalid)?;
        }
        if let Some(t) = &self.thresholds {
            t.validate()?;
        }
        Ok(())
    }

    /// The `[response]` table, defaults if absent.
    pub fn response(&self) -> crate::response::ResponseConfig {
        self.response.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let c = Config::parse(
            r#"
role_name = "RampartMember"
external_id = "abc123"
regions = ["eu-west-1", "us-east-1"]
home_region = "us-east-1"
include_accounts = ["111122223333"]
exclude_accounts = ["444455556666"]
include_ous = ["ou-ab12-cdef3456"]
exclude_ous = ["ou-ab12-zzzz9999"]
concurrency = 8
rate_limit = 5.0
rate_burst = 10
retry_mode = "adaptive"
max_attempts = 4
session_duration_secs = 1800
publish = true
enable_security_hub = false
fail_on = "high"
report_bucket = "rampart-reports-111122223333"
report_prefix = "cis/"
report_url_hours = 24
report_kms_key = "alias/rampart"
benchmark = ["cis-3.0.0", "cis-7.0.0"]
only_failed = false
finding_refresh_days = 60

[thresholds]
password_min_length = 16
password_reuse_prevention = 12
unused_credential_days = 30
key_rotation_days = 60
root_use_days = 7

[response]
role_name = "RampartResponder"
audit_table = "rampart-audit"
alert_topic_arn = "arn:aws:sns:us-east-1:111122223333:rampart-alerts"
allowed_regions = ["us-east-1"]
exempt_tag = "rampart:exempt"
protected_principals = ["arn:aws:iam::*:role/BreakGlass"]
allow_list = ["arn:aws:iam::*:role/TrailAdmin"]
action_rate_cap = 10
org_cache_secs = 60
cloudtrail_tamper = "enforce"
auto_mfa = "plan"
isolation = "off"
countermeasure = "repeat"
protected_trails = ["org-trail"]
mfa_kms_key = "alias/rampart-mfa"
detach_instance_profile = true
isolation_group_name = "quarantine"

[response.trail_baseline]
s3_bucket = "trail-logs"
multi_region = true
log_file_validation = true
"#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.role_name(), "RampartMember");
        assert_eq!(c.concurrency(), 8);
        let keys: Vec<&str> = c.benchmarks().iter().map(|b| b.key).collect();
        assert_eq!(keys, vec!["cis-3.0.0", "cis-7.0.0"]);
        assert_eq!(c.finding_refresh_days(), 60);
        assert_eq!(
            Config::default().benchmarks()[0].key,
            "cis-7.0.0",
            "the newest version by default"
        );
        assert_eq!(
            c.region_selection(),
            RegionSelection::List(vec!["eu-west-1".into(), "us-east-1".into()])
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected_with_names() {
        let err = Config::parse("rolename = 'x'").unwrap_err();
        assert!(err.contains("rolename"), "{err}");
        let err = Config::parse("concurrency = 'many'").unwrap_err();
        assert!(err.contains("concurrency"), "{err}");
        let c = Config::parse("retry_mode = 'fast'").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("retry_mode"));
        let c = Config::parse("include_accounts = ['12']").unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("12-digit"));
        let c = Config::parse("session_duration_secs = 60").unwrap();
        assert!(c.validate().is_err());
        let c = Config::parse("[thresholds]\nkey_rotation_days = 0").unwrap();
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("thresholds.key_rotation_days"));
        let err = Config::parse("[thresholds]\nkey_age = 3").unwrap_err();
        assert!(err.contains("key_age"), "{err}");
        let c = Config::parse("report_url_hours = 169").unwrap();
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("report_url_hours") && err.contains("7 days"),
            "{err}"
        );
        let c = Config::parse("report_url_hours = 0").unwrap();
        assert!(c.validate().is_err());
        let c = Config::parse("benchmark = ['cis-2.0.0']").unwrap();
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("benchmark") && err.contains("cis-2.0.0"),
            "{err}"
        );
        let c = Config::parse("finding_refresh_days = 90").unwrap();
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("finding_refresh_days"), "{err}");
        let c = Config::parse("report_bucket = 'Not_A_Bucket'").unwrap();
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("report_bucket"));
    }

    #[test]
    fn overlay_prefers_the_upper_layer() {
        let file = Config {
            role_name: Some("File".into()),
            concurrency: Some(4),
            ..Default::default()
        };
        let flags = Config {
            role_name: Some("Flag".into()),
            ..Default::default()
        };
        let c = flags.overlay(file);
        assert_eq!(c.role_name(), "Flag");
        assert_eq!(c.concurrency(), 4);
        assert_eq!(Config::default().role_name(), DEFAULT_ROLE_NAME);
        assert_eq!(
            Config {
                regions: Some(vec!["all".into()]),
                ..Default::default()
            }
            .region_selection(),
            RegionSelection::AllEnabled
        );
    }
}

//! Rampart's configuration file (TOML).
//!
//! Every key here can also be given as a command-line flag or a `RAMPART_*` environment
//! variable (the CLI layers flag > environment > file > default). docs/configuration.md
//! documents each key; keep the two in step.

use clap::builder::BoolishValueParser;
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

/// Every configuration option, defined once: the TOML schema (serde), the command-line flags
/// and the `RAMPART_*` environment variables (clap; the doc comments are the flags' help).
/// Unset keys take the documented defaults (docs/configuration.md, held to this by a test).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Role assumed in each member account [default: OrganizationAccountAccessRole].
    #[arg(long = "role", global = true, env = "RAMPART_ROLE_NAME", help_heading = FLEET)]
    pub role_name: Option<String>,
    /// ExternalId passed to sts:AssumeRole.
    #[arg(long, global = true, env = "RAMPART_EXTERNAL_ID", help_heading = FLEET)]
    pub external_id: Option<String>,
    /// Regions to assess, comma-separated, or `all` for every enabled region.
    #[arg(long, global = true, value_delimiter = ',', env = "RAMPART_REGIONS", help_heading = FLEET)]
    pub regions: Option<Vec<String>>,
    /// Region receiving account-level findings [default: first assessed region].
    #[arg(long, global = true, env = "RAMPART_HOME_REGION", help_heading = FLEET)]
    pub home_region: Option<String>,
    /// Only these account ids, comma-separated [default: every ACTIVE account].
    #[arg(long, global = true, value_delimiter = ',', env = "RAMPART_INCLUDE_ACCOUNTS", help_heading = FLEET)]
    pub include_accounts: Option<Vec<String>>,
    /// Never these account ids, comma-separated.
    #[arg(long, global = true, value_delimiter = ',', env = "RAMPART_EXCLUDE_ACCOUNTS", help_heading = FLEET)]
    pub exclude_accounts: Option<Vec<String>>,
    /// Only accounts under these OUs (ids `ou-...` or the root `r-...`), recursively.
    #[arg(long, global = true, value_delimiter = ',', env = "RAMPART_INCLUDE_OUS", help_heading = FLEET)]
    pub include_ous: Option<Vec<String>>,
    /// Never accounts under these OUs, recursively.
    #[arg(long, global = true, value_delimiter = ',', env = "RAMPART_EXCLUDE_OUS", help_heading = FLEET)]
    pub exclude_ous: Option<Vec<String>>,
    /// Accounts assessed at once [default: 16].
    #[arg(long, global = true, env = "RAMPART_CONCURRENCY", help_heading = FLEET)]
    pub concurrency: Option<usize>,
    /// API requests per second per account-region (token bucket) [default: 10].
    #[arg(long, global = true, env = "RAMPART_RATE_LIMIT", help_heading = FLEET)]
    pub rate_limit: Option<f64>,
    /// Burst size of that bucket [default: 20].
    #[arg(long, global = true, env = "RAMPART_RATE_BURST", help_heading = FLEET)]
    pub rate_burst: Option<u32>,
    /// SDK retry mode: standard or adaptive [default: adaptive].
    #[arg(long, global = true, env = "RAMPART_RETRY_MODE", help_heading = FLEET)]
    pub retry_mode: Option<String>,
    /// SDK attempts per request, first try included [default: 5].
    #[arg(long, global = true, env = "RAMPART_MAX_ATTEMPTS", help_heading = FLEET)]
    pub max_attempts: Option<u32>,
    /// Assumed-role session lifetime in seconds, 900-43200 [default: 3600]; refreshed before
    /// expiry.
    #[arg(long, global = true, env = "RAMPART_SESSION_DURATION_SECS", help_heading = FLEET)]
    pub session_duration_secs: Option<u32>,
    /// Publish findings to each member's Security Hub and close stale ones (`--publish`, or
    /// `--publish=false` over the file).
    #[arg(long, global = true, env = "RAMPART_PUBLISH", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = BoolishValueParser::new(), help_heading = ASSESS)]
    pub publish: Option<bool>,
    /// Enable Security Hub where it is off (otherwise such regions are reported, not changed).
    #[arg(long, global = true, env = "RAMPART_ENABLE_SECURITY_HUB", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = BoolishValueParser::new(), help_heading = ASSESS)]
    pub enable_security_hub: Option<bool>,
    /// Lowest severity of a failure that makes `assess`/`evaluate` exit 1: none, informational,
    /// low, medium, high, critical [default: low].
    #[arg(long, global = true, env = "RAMPART_FAIL_ON", help_heading = ASSESS)]
    pub fail_on: Option<String>,
    /// Event-driven response (`[response]` table; its deployment values are flags too).
    #[command(flatten)]
    pub response: Option<crate::response::ResponseConfig>,
    /// CIS thresholds (`[thresholds]` table; file only); unset keys keep the CIS defaults.
    #[arg(skip)]
    pub thresholds: Option<Thresholds>,
    /// Upload the HTML report of each run to this S3 bucket (hub account, hub region) and print
    /// a pre-signed URL to it.
    #[arg(long, global = true, value_name = "BUCKET", env = "RAMPART_REPORT_BUCKET", help_heading = REPORT)]
    pub report_bucket: Option<String>,
    /// Key prefix of uploaded reports [default: rampart-reports].
    #[arg(long, global = true, value_name = "PREFIX", env = "RAMPART_REPORT_PREFIX", help_heading = REPORT)]
    pub report_prefix: Option<String>,
    /// Hours the report's pre-signed URL is valid, 1-168 (SigV4's 7-day maximum) [default: 168].
    #[arg(long, global = true, value_name = "HOURS", env = "RAMPART_REPORT_URL_HOURS", help_heading = REPORT)]
    pub report_url_hours: Option<u32>,
    /// KMS key (id, ARN or alias) for SSE-KMS on the report [default: SSE-S3].
    #[arg(long, global = true, value_name = "KEY", env = "RAMPART_REPORT_KMS_KEY", help_heading = REPORT)]
    pub report_kms_key: Option<String>,
    /// CIS AWS Foundations Benchmark versions, comma-separated: cis-3.0.0, cis-4.0.1,
    /// cis-5.0.0, cis-6.0.0, cis-7.0.0 [default: cis-7.0.0; `evaluate`/`diff`: the run's].
    #[arg(long, global = true, value_delimiter = ',', env = "RAMPART_BENCHMARK", help_heading = ASSESS)]
    pub benchmark: Option<Vec<String>>,
    /// Publish FAILED findings only (no PASSED or NOT_AVAILABLE findings), closing stale ones.
    #[arg(long, global = true, env = "RAMPART_ONLY_FAILED", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = BoolishValueParser::new(), help_heading = ASSESS)]
    pub only_failed: Option<bool>,
    /// Re-import an unchanged finding once its last import is this many days old, so Security
    /// Hub (which deletes findings not updated for 90 days) keeps it; 1-89 [default: 75].
    #[arg(long, global = true, value_name = "DAYS", env = "RAMPART_FINDING_REFRESH_DAYS", help_heading = ASSESS)]
    pub finding_refresh_days: Option<u32>,
}

/// Help headings of the configuration flags.
const FLEET: &str = "Fleet options";
const ASSESS: &str = "Assessment options";
const REPORT: &str = "Report options";

/// Security Hub deletes a finding that has not been updated for this many days.
pub const SECURITY_HUB_FINDING_RETENTION_DAYS: u32 = 90;
/// Default age at which an unchanged finding is re-imported anyway.
pub const DEFAULT_FINDING_REFRESH_DAYS: u32 = 75;

/// The CIS thresholds the checks (and remediations) compare against: the `[thresholds]` table
/// of the file, where unset keys keep the CIS values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Minimum password length (CIS 1.8: 14).
    pub password_min_length: i32,
    /// Passwords remembered (CIS 1.9: 24).
    pub password_reuse_prevention: i32,
    /// Credentials idle this many days or more fail (CIS 1.12: 45).
    pub unused_credential_days: i64,
    /// Active keys older than this fail (CIS 1.14: 90).
    pub key_rotation_days: i64,
    /// Root use within this many days fails (CIS 1.7: 30).
    pub root_use_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            password_min_length: 14,
            password_reuse_prevention: 24,
            unused_credential_days: 45,
            key_rotation_days: 90,
            root_use_days: 30,
        }
    }
}

impl Thresholds {
    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, v: i64, lo: i64, hi: i64| {
            Err(ConfigError::Invalid(format!(
                "thresholds.{key} must be within {lo}..={hi}, got {v}"
            )))
        };
        if !(6..=128).contains(&self.password_min_length) {
            return bad(
                "password_min_length",
                i64::from(self.password_min_length),
                6,
                128,
            );
        }
        if !(1..=24).contains(&self.password_reuse_prevention) {
            return bad(
                "password_reuse_prevention",
                i64::from(self.password_reuse_prevention),
                1,
                24,
            );
        }
        for (key, v) in [
            ("unused_credential_days", self.unused_credential_days),
            ("key_rotation_days", self.key_rotation_days),
            ("root_use_days", self.root_use_days),
        ] {
            if !(1..=3650).contains(&v) {
                return bad(key, v, 1, 3650);
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

    /// Values set here win over `base` (used to layer flags/env over the file), key by key
    /// (tables too), so an option added to [`Config`] takes part without being named here.
    pub fn overlay(self, base: Config) -> Result<Config, ConfigError> {
        fn merge(into: &mut serde_json::Value, top: serde_json::Value) {
            match (into, top) {
                (serde_json::Value::Object(into), serde_json::Value::Object(top)) => {
                    for (key, value) in top {
                        match into.get_mut(&key) {
                            Some(slot) => merge(slot, value),
                            None => {
                                into.insert(key, value);
                            }
                        }
                    }
                }
                (_, serde_json::Value::Null) => {}
                (slot, value) => *slot = value,
            }
        }
        let invalid = |e: serde_json::Error| ConfigError::Invalid(format!("layering: {e}"));
        let top = serde_json::to_value(self).map_err(invalid)?;
        let mut merged = serde_json::to_value(base).map_err(invalid)?;
        merge(&mut merged, top);
        serde_json::from_value(merged).map_err(invalid)
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

    /// The `[thresholds]` table, the CIS values if absent.
    pub fn effective_thresholds(&self) -> Thresholds {
        self.thresholds.clone().unwrap_or_default()
    }

    /// Flags and environment (`self`) over the file, both validated. An empty value (a
    /// variable a stack sets to "") leaves its option unset, as if it were absent.
    pub fn layered(self, file: Config) -> Result<Config, ConfigError> {
        // JSON (the layering's medium) cannot carry a NaN: name it before it could be dropped.
        if let Some(r) = self.rate_limit.filter(|r| !r.is_finite()) {
            return Err(ConfigError::Invalid(format!(
                "rate_limit must be a positive number, got {r}"
            )));
        }
        let flags = self.without_empty_values()?;
        flags.validate()?;
        let cfg = flags.overlay(file)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// This config with every empty string (and list of only empty strings) unset.
    fn without_empty_values(self) -> Result<Config, ConfigError> {
        fn clear(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::String(s) if s.is_empty() => *v = serde_json::Value::Null,
                serde_json::Value::Array(items)
                    if items.iter().all(|i| i.as_str().is_some_and(str::is_empty)) =>
                {
                    *v = serde_json::Value::Null
                }
                serde_json::Value::Object(m) => m.values_mut().for_each(clear),
                _ => {}
            }
        }
        let invalid = |e: serde_json::Error| ConfigError::Invalid(format!("layering: {e}"));
        let mut v = serde_json::to_value(self).map_err(invalid)?;
        clear(&mut v);
        serde_json::from_value(v).map_err(invalid)
    }

    /// The `[response]` table, defaults if absent.
    pub fn response(&self) -> crate::response::ResponseConfig {
        self.response.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;

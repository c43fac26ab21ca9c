//! Trail configuration as Rampart records and restores it.
//!
//! The scheduled event records every trail's configuration in the state table; the tamper
//! playbook restores from that record, or from the configured baseline when there is none.

use crate::act::{ActionRecord, Stage, Status};
use crate::error_text::describe;
use aws_sdk_cloudtrail::types::Trail;
use serde::{Deserialize, Serialize};

pub mod selectors;

pub use selectors::{Selector, Selectors};

pub const RECORD_PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "member/respond/trail-records",
    actions: &[
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetTrailStatus",
    ],
};

/// The settings of a trail that the playbook protects. `None` means "not specified".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrailConfig {
    pub name: String,
    pub s3_bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub kms_key_id: Option<String>,
    pub multi_region: Option<bool>,
    pub log_file_validation: Option<bool>,
    pub include_global_events: Option<bool>,
    pub cloudwatch_logs_group_arn: Option<String>,
    pub cloudwatch_logs_role_arn: Option<String>,
    pub selectors: Option<Selectors>,
    /// Whether the trail was logging when read (absent in records of older versions and in
    /// baselines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<bool>,
    /// True when read from the trail (absent fields mean "off"), false for a baseline.
    #[serde(default)]
    pub recorded: bool,
}

impl TrailConfig {
    pub fn from_trail(t: &Trail, selectors: Option<Selectors>) -> TrailConfig {
        TrailConfig {
            name: t.name().unwrap_or_default().to_string(),
            s3_bucket: t.s3_bucket_name().map(str::to_string),
            s3_key_prefix: t.s3_key_prefix().map(str::to_string),
            kms_key_id: t.kms_key_id().map(str::to_string),
            multi_region: t.is_multi_region_trail(),
            log_file_validation: t.log_file_validation_enabled(),
            include_global_events: t.include_global_service_events(),
            cloudwatch_logs_group_arn: t.cloud_watch_logs_log_group_arn().map(str::to_string),
            cloudwatch_logs_role_arn: t.cloud_watch_logs_role_arn().map(str::to_string),
            selectors,
            logging: None,
            recorded: true,
        }
    }

    pub fn from_baseline(name: &str, b: &rampart_common::response::TrailBaseline) -> TrailConfig {
        TrailConfig {
            name: name.to_string(),
            s3_bucket: b.s3_bucket.clone(),
            s3_key_prefix: b.s3_key_prefix.clone(),
            kms_key_id: b.kms_key_id.clone(),
            multi_region: b.multi_region,
            log_file_validation: b.log_file_validation,
            include_global_events: b.include_global_events,
            cloudwatch_logs_group_arn: b.cloudwatch_logs_group_arn.clone(),
            cloudwatch_logs_role_arn: b.cloudwatch_logs_role_arn.clone(),
            selectors: None,
            logging: None,
            recorded: false,
        }
    }

    /// Settings of `current` that differ from this (desired) configuration, by name.
    pub fn drift(&self, current: &TrailConfig) -> Vec<&'static str> {
        let mut out = Vec::new();
        // A recorded configuration is complete: an absent value there means "off" and a value
        // the tamperer added (a KMS key they control, a log group) is drift too.
        let opt = |want: &Option<String>, have: &Option<String>| {
            if self.recorded {
                want.as_deref().unwrap_or("") != have.as_deref().unwrap_or("")
            } else {
                want.is_some() && want != have
            }
        };
        let flag = |want: Option<bool>, have: Option<bool>| {
            want.is_some() && want.unwrap_or(false) != have.unwrap_or(false)
        };
        if opt(&self.s3_bucket, &current.s3_bucket) {
            out.push("s3_bucket");
        }
        if opt(&self.s3_key_prefix, &current.s3_key_prefix) {
            out.push("s3_key_prefix");
        }
        if opt(&self.kms_key_id, &current.kms_key_id) {
            out.push("kms_key_id");
        }
        if flag(self.multi_region, current.multi_region) {
            out.push("multi_region");
        }
        if flag(self.log_file_validation, current.log_file_validation) {
            out.push("log_file_validation");
        }
        if flag(self.include_global_events, current.include_global_events) {
            out.push("include_global_events");
        }
        if opt(
            &self.cloudwatch_logs_group_arn,
            &current.cloudwatch_logs_group_arn,
        ) || opt(
            &self.cloudwatch_logs_role_arn,
            &current.cloudwatch_logs_role_arn,
        ) {
            out.push("cloudwatch_logs");
        }
        out
    }

    /// Every setting, event selectors included, in which `current` differs from this record.
    pub fn drift_all(&self, current: &TrailConfig) -> Vec<&'static str> {
        let mut out = self.drift(current);
        if self.selectors.is_some() && self.selectors != current.selectors {
            out.push("event_selectors");
        }
        // A trail recorded logging that is found stopped is drift, whoever stopped it.
        if self.logging == Some(true) && current.logging == Some(false) {
            out.push("logging");
        }
        out
    }

    /// The selectors to restore: the recorded ones (classic or advanced), or, without a
    /// record, management events read/write All added to what is there.
    pub fn wanted_selectors(&self, current: &Selectors) -> Option<Selectors> {
        match &self.selectors {
            Some(want) if want != current => Some(want.clone()),
            Some(_) => None,
            None if current.management_events_on() => None,
            None => Some(current.with_management_events()),
        }
    }
}

/// (name, home region) from a trail name or ARN `arn:aws:cloudtrail:<region>:<acct>:trail/<name>`.
pub fn name_and_region(name_or_arn: &str, event_region: &str) -> (String, String) {
    let parts: Vec<&str> = name_or_arn.split(':').collect();
    if parts.len() == 6 && parts[0] == "arn" {
        if let Some(name) = parts[5].strip_prefix("trail/") {
            return (name.to_string(), parts[3].to_string());
        }
    }
    (name_or_arn.to_string(), event_region.to_string())
}

/// Reads one trail (None when it does not exist) with its selectors.
pub async fn read(
    ct: &aws_sdk_cloudtrail::Client,
    name: &str,
) -> Result<Option<(Trail, Selectors)>, String> {
    let out = ct
        .describe_trails()
        .trail_name_list(name)
        .include_shadow_trails(false)
        .send()
        .await
        .map_err(|e| format!("cloudtrail:DescribeTrails: {}", describe(&e)))?;
    let Some(trail) = out
        .trail_list()
        .iter()
        .find(|t| t.name() == Some(name))
        .cloned()
    else {
        return Ok(None);
    };
    let sel = ct
        .get_event_selectors()
        .trail_name(name)
        .send()
        .await
        .map_err(|e| format!("cloudtrail:GetEventSelectors: {}", describe(&e)))?;
    Ok(Some((
        trail,
        Selectors::from_sdk(sel.event_selectors(), sel.advanced_event_selectors()),
    )))
}

/// Every trail this account owns in the region, with selectors (for the scheduled record).
pub async fn read_all(
    ct: &aws_sdk_cloudtrail::Client,
    account: &str,
) -> Result<Vec<TrailConfig>, String> {
    let out = ct
        .describe_trails()
        .include_shadow_trails(false)
        .send()
        .await
        .map_err(|e| format!("cloudtrail:DescribeTrails: {}", describe(&e)))?;
    let mut configs = Vec::new();
    for t in out.trail_list() {
        // Organization trails owned by the management account are not this account's to record.
        let owned = t
            .trail_arn()
            .map(|a| a.split(':').nth(4) == Some(account))
            .unwrap_or(true);
        if !owned {
            continue;
        }
        let Some(name) = t.name() else { continue };
        let sel = ct
            .get_event_selectors()
            .trail_name(name)
            .send()
            .await
            .map_err(|e| format!("cloudtrail:GetEventSelectors {name}: {}", describe(&e)))?;
        let status = ct
            .get_trail_status()
            .name(name)
            .send()
            .await
            .map_err(|e| format!("cloudtrail:GetTrailStatus {name}: {}", describe(&e)))?;
        let mut cfg = TrailConfig::from_trail(
            t,
            Some(Selectors::from_sdk(
                sel.event_selectors(),
                sel.advanced_event_selectors(),
            )),
        );
        cfg.logging = status.is_logging();
        configs.push(cfg);
    }
    Ok(configs)
}

/// Records every trail the account owns in this region: the baseline the tamper playbook
/// restores. A trail seen for the first time is recorded; one that differs from its record is
/// reported as drift and never silently recorded over (a tamperer's change must not become the
/// baseline) unless `accept_drift` (an operator's explicit choice).
pub async fn record(
    member: &aws_config::SdkConfig,
    memory: &dyn crate::act::Memory,
    account: &str,
    region: &str,
    plan: bool,
    accept_drift: bool,
) -> Vec<ActionRecord> {
    let t = std::time::Instant::now();
    let rec = |target: String,
               action: &str,
               status: Status,
               detail: String,
               prior: Option<serde_json::Value>| {
        ActionRecord {
            stage: Stage::Forensics,
            action: action.into(),
            target,
            status,
            detail,
            prior_state: prior,
            error_kind: None,
            started_at: crate::act::record::now(),
            millis: u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    };
    const RECORD: &str = "record trail configuration";
    let ct = aws_sdk_cloudtrail::Client::new(member);
    let configs = match read_all(&ct, account).await {
        Ok(c) => c,
        Err(e) => {
            return vec![rec(
                format!("{account}/{region}"),
                RECORD,
                Status::Failed,
                e,
                None,
            )]
        }
    };
    let mut out = Vec::new();
    for live in configs {
        let target = format!("{account}/{region}/{}", live.name);
        let recorded = match memory.trail_record(account, region, &live.name).await {
            Ok(r) => r.and_then(|v| serde_json::from_value::<TrailConfig>(v).ok()),
            Err(e) => {
                out.push(rec(target, RECORD, Status::Failed, e, None));
                continue;
            }
        };
        let prior = recorded.as_ref().and_then(|r| serde_json::to_value(r).ok());
        match recorded.as_ref().map(|r| r.drift_all(&live)) {
            Some(d) if d.is_empty() => continue,
            Some(d) if !accept_drift => {
                out.push(rec(
                    target,
                    "trail drift",
                    Status::Skipped,
                    format!(
                        "{} differ from the recorded configuration; the record is kept \
                         (the tamper playbook restores it; `rampart record-trails --accept-drift` adopts the live one)",
                        d.join(", ")
                    ),
                    prior,
                ));
                continue;
            }
            _ => {}
        }
        if plan {
            out.push(rec(
                target,
                RECORD,
                Status::Planned,
                "plan only: not recorded".into(),
                None,
            ));
            continue;
        }
        let value = match serde_json::to_value(&live) {
            Ok(v) => v,
            Err(e) => {
                out.push(rec(target, RECORD, Status::Failed, e.to_string(), None));
                continue;
            }
        };
        match memory
            .put_trail_record(account, region, &live.name, &value)
            .await
        {
            Ok(()) => {
                let detail = if prior.is_some() {
                    "drift accepted: the live configuration is the new record"
                } else {
                    "recorded"
                };
                out.push(rec(target, RECORD, Status::Done, detail.into(), prior))
            }
            Err(e) => out.push(rec(target, RECORD, Status::Failed, e, None)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded() -> TrailConfig {
        TrailConfig {
            name: "main".into(),
            s3_bucket: Some("logs".into()),
            multi_region: Some(true),
            log_file_validation: Some(true),
            include_global_events: Some(true),
            recorded: true,
            ..Default::default()
        }
    }

    #[test]
    fn drift_names_every_changed_setting() {
        let want = recorded();
        let mut have = want.clone();
        assert!(want.drift(&have).is_empty());
        have.s3_bucket = Some("attacker".into());
        have.multi_region = Some(false);
        have.kms_key_id = Some("arn:aws:kms:us-east-1:999:key/x".into());
        assert_eq!(
            want.drift(&have),
            vec!["s3_bucket", "kms_key_id", "multi_region"]
        );
    }

    #[test]
    fn baselines_only_enforce_what_they_say() {
        let b = TrailConfig {
            name: "main".into(),
            log_file_validation: Some(true),
            ..Default::default()
        };
        let have = TrailConfig {
            s3_bucket: Some("any".into()),
            log_file_validation: Some(false),
            ..recorded()
        };
        assert_eq!(b.drift(&have), vec!["log_file_validation"]);
    }

    #[test]
    fn selectors_restore_management_events() {
        let b = TrailConfig::default();
        let write_only = vec![Selector {
            read_write_type: "WriteOnly".into(),
            include_management_events: true,
            data_resources: vec![],
        }];
        let fixed = b.wanted_selectors(&Selectors::Classic(write_only)).unwrap();
        let Selectors::Classic(list) = &fixed else {
            panic!("classic stays classic")
        };
        assert_eq!(list[0].read_write_type, "All");
        assert!(b.wanted_selectors(&fixed).is_none());
    }

    #[test]
    fn a_stopped_trail_is_drift_of_its_record() {
        let mut want = recorded();
        want.logging = Some(true);
        let mut have = want.clone();
        have.logging = Some(false);
        assert_eq!(want.drift_all(&have), vec!["logging"]);
    }

    #[test]
    fn names_from_arns() {
        assert_eq!(
            name_and_region(
                "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main",
                "us-east-1"
            ),
            ("main".to_string(), "eu-west-1".to_string())
        );
        assert_eq!(
            name_and_region("main", "us-east-1"),
            ("main".to_string(), "us-east-1".to_string())
        );
    }
}

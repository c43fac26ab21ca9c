//! The hub's service layer: connect to the organization, discover the target accounts, plan
//! and run a fleet assessment, upload its report, build the event responder. The CLI commands
//! and every Lambda call these; the CLI module only parses arguments and prints.

use crate::fleet::{self, FleetPlan};
use crate::org;
use crate::report_html;
use crate::report_upload;
use crate::respond::{self, HubIdentity, MemberAccess, Responder};
use crate::session::{self, SessionSpec, Sessions};
use rampart_common::Config;
use rampart_member::assess::AccountPlan;
use rampart_member::regions;
use std::time::Duration;

/// Why a service call could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The configuration or the request is not usable (the caller's to fix).
    #[error("{0}")]
    Usage(String),
    /// AWS could not be asked or answered with an error.
    #[error("{0}")]
    Aws(String),
}

/// Everything a command needs to reach the fleet.
pub struct Fleet {
    pub cfg: Config,
    pub base: aws_config::SdkConfig,
    pub sessions: Sessions,
    pub regions: Vec<String>,
    pub home_region: String,
}

/// Reaches the fleet from the hub's base config: the regions to assess (asked in the hub
/// account), the home region, the hub's identity and the member session factory.
pub async fn connect(
    mut base: aws_config::SdkConfig,
    cfg: Config,
    run_id: &str,
) -> Result<Fleet, ServiceError> {
    let hub_region = match base.region() {
        Some(r) => r.to_string(),
        None => match cfg
            .regions
            .as_ref()
            .and_then(|r| r.iter().find(|r| *r != "all"))
        {
            Some(r) => {
                base = base
                    .to_builder()
                    .region(aws_types::region::Region::new(r.clone()))
                    .build();
                r.clone()
            }
            None => {
                return Err(ServiceError::Usage(
                    "no region: pass --region or set AWS_REGION".into(),
                ))
            }
        },
    };
    let regions = regions::resolve(&base, &cfg.region_selection())
        .await
        .map_err(|e| match e {
            regions::RegionError::Api(m) => ServiceError::Aws(m),
            other => ServiceError::Usage(other.to_string()),
        })?;
    let home_region = cfg
        .home_region
        .clone()
        .unwrap_or_else(|| regions.first().cloned().unwrap_or(hub_region.clone()));
    if !regions.contains(&home_region) {
        return Err(ServiceError::Usage(format!(
            "home_region {home_region} is not among the assessed regions ({})",
            regions.join(", ")
        )));
    }
    let hub_account = session::caller_account(&base)
        .await
        .map_err(|e| ServiceError::Aws(format!("cannot identify the hub's credentials: {e}")))?;
    let spec = SessionSpec {
        role_name: cfg.role_name().to_string(),
        external_id: cfg.external_id.clone(),
        session_name: session::session_name("rampart-assess", run_id),
        duration: Duration::from_secs(u64::from(cfg.session_duration_secs())),
        sts_region: hub_region,
    };
    Ok(Fleet {
        sessions: Sessions::new(base.clone(), hub_account, spec),
        base,
        cfg,
        regions,
        home_region,
    })
}

/// A run id that sorts by time and is unique enough to name sessions.
pub fn new_run_id() -> String {
    let now = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("{now}-{}", &uuid[..8])
}

/// The target accounts of the organization (the config's filters applied).
pub async fn discover(fleet: &Fleet, with_ous: bool) -> Result<Vec<org::Account>, ServiceError> {
    let directory = org::directory::Directory::new(
        aws_sdk_organizations::Client::new(&fleet.base),
        Duration::ZERO,
    );
    org::discover(&directory, &fleet.cfg, with_ous)
        .await
        .map_err(|e| match e {
            org::DiscoveryError::Empty | org::DiscoveryError::NotInUse => {
                ServiceError::Usage(e.to_string())
            }
            org::DiscoveryError::Api(_) => ServiceError::Aws(e.to_string()),
        })
}

/// The fleet plan a configured run follows (benchmarks and publishing as configured).
pub fn plan_for(fleet: &Fleet, run_id: &str) -> FleetPlan {
    FleetPlan {
        account: account_plan(&fleet.cfg, &fleet.regions, &fleet.home_region, run_id),
        organization: true,
        concurrency: fleet.cfg.concurrency(),
    }
}

/// The plan one account's assessment follows under this configuration.
pub fn account_plan(
    cfg: &Config,
    regions: &[String],
    home_region: &str,
    run_id: &str,
) -> AccountPlan {
    AccountPlan {
        benchmarks: cfg.benchmarks(),
        only_failed: cfg.only_failed.unwrap_or(false),
        refresh_after_days: Some(cfg.finding_refresh_days()),
        regions: regions.to_vec(),
        home_region: home_region.to_string(),
        rate_limit: cfg.rate_limit(),
        rate_burst: cfg.rate_burst(),
        publish: cfg.publish.unwrap_or(false),
        enable_security_hub: cfg.enable_security_hub.unwrap_or(false),
        settings: cfg.effective_thresholds(),
        run_id: run_id.to_string(),
        now: crate::time::now(),
        only_checks: None,
        retry: Default::default(),
    }
}

/// Uploads the run's HTML report and prints where it is (standard error); the URL, or None
/// when the upload failed (reported).
pub async fn upload_report(
    base: &aws_config::SdkConfig,
    cfg: &Config,
    bucket: &str,
    report: &fleet::FleetReport,
) -> Option<String> {
    let spec = report_upload::UploadSpec {
        bucket: bucket.to_string(),
        key: report_upload::object_key(cfg.report_prefix(), &report.run_id),
        kms_key: cfg.report_kms_key.clone(),
        url_lifetime: Duration::from_secs(u64::from(cfg.report_url_hours()) * 3600),
    };
    match report_upload::upload(base, &spec, html_report(report)).await {
        Ok(up) => {
            if let Some(w) = &up.warning {
                eprintln!("warning: {w}");
            }
            let valid = match &up.validity {
                report_upload::Validity::Shortened(d) => report_upload::human(*d),
                _ => report_upload::human(spec.url_lifetime),
            };
            eprintln!(
                "HTML report uploaded to {}; pre-signed URL (valid {valid}):",
                up.s3_uri
            );
            eprintln!("{}", up.url);
            Some(up.url)
        }
        Err(e) => {
            eprintln!("error: HTML report not uploaded: {e}");
            None
        }
    }
}

/// The HTML report of a run, stamped with this build's version.
pub fn html_report(report: &fleet::FleetReport) -> String {
    report_html::render(
        report,
        &report.benchmark_tables(),
        env!("CARGO_PKG_VERSION"),
    )
}

/// The event responder for this hub: its identity (from `sts:GetCallerIdentity` unless the
/// deployment names the hub account), member access through the response role.
pub async fn responder(
    base: &aws_config::SdkConfig,
    cfg: &Config,
    plan: bool,
) -> Result<Responder, ServiceError> {
    let rcfg = cfg.response();
    rcfg.validate().map_err(ServiceError::Usage)?;
    let Some(region) = base.region().map(|r| r.to_string()) else {
        return Err(ServiceError::Usage(
            "no region: pass --region or set AWS_REGION".into(),
        ));
    };
    let identity = match rcfg.hub_account.clone() {
        // The stack passes the hub role's ARN too (`hub_role_arn`, RAMPART_HUB_ROLE_ARN).
        Some(account) => HubIdentity {
            account,
            role_arns: Vec::new(),
        },
        None => HubIdentity::of(base).await.map_err(|e| {
            ServiceError::Aws(format!("cannot identify the hub's credentials: {e}"))
        })?,
    };
    let access = MemberAccess::Roles {
        base: base.clone(),
        hub_account: identity.account.clone(),
        role_name: rcfg.role_name().to_string(),
        external_id: cfg.external_id.clone(),
        sts_region: region.clone(),
    };
    // Remediations are re-evaluated through the assessment role, as a fleet run would.
    let home_region = cfg.home_region.clone().unwrap_or_else(|| region.clone());
    let reassess = respond::reassess::Reassess {
        sessions: Sessions::new(
            base.clone(),
            identity.account.clone(),
            SessionSpec {
                role_name: cfg.role_name().to_string(),
                external_id: cfg.external_id.clone(),
                session_name: session::session_name("rampart-reassess", &new_run_id()),
                duration: Duration::from_secs(u64::from(cfg.session_duration_secs())),
                sts_region: region.clone(),
            },
        ),
        benchmarks: cfg.benchmarks(),
        home_region,
        settings: cfg.effective_thresholds(),
        publish: true,
    };
    Ok(
        Responder::new(base, identity, access, rcfg, cfg.role_name(), plan)
            .with_settings(cfg.effective_thresholds())
            .with_reassess(reassess),
    )
}

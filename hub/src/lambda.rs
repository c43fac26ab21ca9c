//! The assessment Lambda (`rampart-assess-lambda`): one function, two triggers.
//!
//! - An EventBridge schedule (`source` `aws.events`, `detail-type` `Scheduled Event`) runs the
//!   organization assessment the CLI runs, publishing by default.
//! - An AWS Config custom rule invocation (periodic) assesses the rule's account in the rule's
//!   region with the same fleet code and answers with config:PutEvaluations for
//!   `AWS::::Account` (see `rampart_member::config_rule` for how compliance is decided).
//!
//! Settings come from the same `RAMPART_*` environment variables (and `RAMPART_CONFIG` file)
//! as the CLI; docs/lambda.md shows how to wire both triggers.

use crate::exit::CliError;
use crate::fleet;
pub use crate::options::LambdaArgs;
use crate::org::Account;
use crate::progress::{Mode, Progress};
use crate::report;
use crate::service;
use rampart_common::Severity;
use rampart_member::assess::Unobserved;
use rampart_member::collect::in_region;
use rampart_member::config_rule::{self, Invocation, RuleError};
use serde_json::{json, Value};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LambdaError {
    #[error("unrecognized event: expected an EventBridge Scheduled Event or an AWS Config rule invocation ({0})")]
    Unrecognized(String),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Setup(#[from] CliError),
    #[error(transparent)]
    Service(#[from] service::ServiceError),
    #[error("account {account} could not be assessed: {reason}")]
    Unreachable { account: String, reason: String },
    #[error("the Lambda has no region (AWS_REGION is unset)")]
    NoRegion,
    #[error(transparent)]
    Fleet(#[from] crate::fleet_sfn::StepError),
}

/// What triggered the function.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Schedule,
    ConfigRule(Invocation),
}

/// Tells the two payloads apart.
pub fn classify(payload: &Value) -> Result<Trigger, LambdaError> {
    if config_rule::is_invocation(payload) {
        return Ok(Trigger::ConfigRule(config_rule::parse_invocation(payload)?));
    }
    let source = payload.get("source").and_then(Value::as_str);
    let detail_type = payload.get("detail-type").and_then(Value::as_str);
    match (source, detail_type) {
        (Some("aws.events"), Some("Scheduled Event")) => Ok(Trigger::Schedule),
        _ => Err(LambdaError::Unrecognized(format!(
            "source {source:?}, detail-type {detail_type:?}"
        ))),
    }
}

/// Handles one event with the function's base config; the JSON it returns is the Lambda's
/// result (and its log of what happened).
pub async fn handle(
    payload: &Value,
    args: &LambdaArgs,
    base: aws_config::SdkConfig,
) -> Result<Value, LambdaError> {
    // The Step Functions fleet run's steps (crate::fleet_sfn).
    if crate::fleet_sfn::is_step(payload) {
        return Ok(Box::pin(crate::fleet_sfn::handle(payload, args, base)).await?);
    }
    match classify(payload)? {
        Trigger::Schedule => Box::pin(scheduled(args, base)).await,
        Trigger::ConfigRule(inv) => Box::pin(config_rule_run(args, base, &inv)).await,
    }
}

async fn scheduled(args: &LambdaArgs, base: aws_config::SdkConfig) -> Result<Value, LambdaError> {
    let mut cfg = args.config()?;
    // A scheduled assessment exists to keep Security Hub current: publish unless told not to.
    cfg.publish = Some(cfg.publish.unwrap_or(true));
    let fail_on = match cfg.fail_on.as_deref().unwrap_or("low") {
        "none" => None,
        s => s.parse::<Severity>().ok(),
    };
    let run_id = service::new_run_id();
    let fleet = service::connect(base, cfg, &run_id).await?;
    let accounts = service::discover(&fleet, false).await?;
    let plan = service::plan_for(&fleet, &run_id);
    tracing::info!(accounts = accounts.len(), regions = %plan.account.regions.join(","), run_id = %run_id, publish = plan.account.publish, "scheduled assessment starting");
    let mut progress = Progress::new(Mode::Log, accounts.len());
    let report = fleet::run_observed(&fleet.sessions, &accounts, &plan, &Unobserved, &mut |a| {
        progress.account_done(a)
    })
    .await;
    let report_url = match &fleet.cfg.report_bucket {
        Some(bucket) => service::upload_report(&fleet.base, &fleet.cfg, bucket, &report).await,
        None => None,
    };
    let counts = report::counts(&report);
    let failing: Vec<&String> = counts
        .iter()
        .filter(|(_, _, c, _)| c.failed > 0 || c.errors > 0)
        .map(|(id, ..)| id)
        .collect();
    let published: usize = report
        .accounts
        .iter()
        .flat_map(|a| &a.publish)
        .map(|p| p.report.imported)
        .sum();
    Ok(json!({
        "trigger": "schedule",
        "run_id": report.run_id,
        "accounts": report.accounts.len(),
        "accounts_failing": failing,
        "failed_checks": counts.iter().map(|(_, _, c, _)| c.failed).sum::<usize>(),
        "errors": counts.iter().map(|(_, _, c, _)| c.errors).sum::<usize>(),
        "published": plan.account.publish,
        "findings_imported": published,
        "needs_attention": report::needs_attention(&report, fail_on),
        "report_url": report_url,
    }))
}

async fn config_rule_run(
    args: &LambdaArgs,
    base: aws_config::SdkConfig,
    inv: &Invocation,
) -> Result<Value, LambdaError> {
    let region = base
        .region()
        .map(|r| r.to_string())
        .ok_or(LambdaError::NoRegion)?;
    let mut cfg = args.config()?;
    // A Config rule is regional: assess its region only, and publish only when the rule asks.
    cfg.regions = Some(vec![region.clone()]);
    cfg.home_region = Some(region.clone());
    cfg.publish = Some(inv.flag("publish").unwrap_or(false));
    let run_id = service::new_run_id();
    let fleet = service::connect(base, cfg, &run_id).await?;
    let plan = service::account_plan(&fleet.cfg, &fleet.regions, &fleet.home_region, &run_id);
    let account = Account {
        id: inv.account_id.clone(),
        name: inv.account_id.clone(),
        parent: None,
        ancestors: Vec::new(),
    };
    tracing::info!(account = %account.id, rule = %inv.config_rule_name, region = %region, "config rule evaluation starting");
    let result = fleet::assess_one(&fleet.sessions, &account, &plan, Vec::new(), &Unobserved).await;
    let unreachable = |reason: String| LambdaError::Unreachable {
        account: inv.account_id.clone(),
        reason,
    };
    if let Some(e) = &result.error {
        // Without a session in the account there is no way to answer the rule in it either.
        return Err(unreachable(e.clone()));
    }
    // The rule answers for every configured version.
    let verdict = config_rule::verdict(&plan.benchmarks, &result.outcomes);
    // The hub's own account uses its own credentials; any other is the member role.
    let member = fleet
        .sessions
        .open(&inv.account_id)
        .await
        .map_err(unreachable)?;
    config_rule::put(&in_region(&member, &region), inv, &verdict).await?;
    tracing::info!(account = %inv.account_id, compliance = verdict.compliance.as_str(), annotation = %verdict.annotation, test_mode = inv.test_mode(), "evaluation sent");
    Ok(json!({
        "trigger": "config-rule",
        "run_id": run_id,
        "config_rule_name": inv.config_rule_name,
        "account_id": inv.account_id,
        "region": region,
        "compliance": verdict.compliance.as_str(),
        "annotation": verdict.annotation,
        "failed_requirements": verdict.failed_requirements,
        "errored_checks": verdict.errored_checks,
        "test_mode": inv.test_mode(),
        "published": plan.publish,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn tells_schedules_from_rule_invocations_and_rejects_the_rest() {
        let schedule = json!({
            "version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/rampart"], "detail": {}
        });
        assert_eq!(classify(&schedule).ok(), Some(Trigger::Schedule));
        let other = json!({"source": "aws.s3", "detail-type": "Object Created"});
        assert!(matches!(
            classify(&other),
            Err(LambdaError::Unrecognized(_))
        ));
        let rule = json!({
            "invokingEvent": "{\"messageType\":\"ScheduledNotification\",\"notificationCreationTime\":\"2026-01-01T00:00:00.000Z\",\"awsAccountId\":\"123456789012\"}",
            "resultToken": "TESTMODE", "configRuleName": "rampart-cis", "accountId": "123456789012"
        });
        assert!(matches!(classify(&rule), Ok(Trigger::ConfigRule(_))));
    }

    #[test]
    fn settings_come_from_flags_and_environment_like_the_cli() {
        let args = LambdaArgs::try_parse_from([
            "rampart-assess-lambda",
            "--regions",
            "us-east-1,eu-west-1",
            "--publish=false",
            "--report-url-hours",
            "200",
        ])
        .expect("parse");
        assert_eq!(args.global.options.publish, Some(false));
        let err = args
            .config()
            .expect_err("200 hours is too long")
            .to_string();
        assert!(err.contains("report_url_hours"), "{err}");
    }
}

//! The fleet assessment on Step Functions: the three steps of the state machine in
//! stacksets/hub.yaml (`FleetStateMachine`), each one invocation of the assessment Lambda.
//!
//! 1. `{"rampart": "fleet-plan", "execution": NAME}`: resolves the regions, lists the
//!    organization's accounts (with the configured filters), writes them as a JSON array of
//!    [`Item`]s to `s3://<report bucket>/fleet/runs/<run id>/items.json` (the Distributed Map's
//!    `ItemReader`) and returns the [`Plan`].
//! 2. `{"rampart": "fleet-account", "plan": PLAN, "account": ITEM}` (the Map's `ItemSelector`,
//!    one child execution per account): assesses that one account with the same fleet code as
//!    `rampart assess`, publishing as configured, writes its [`AccountResult`] to
//!    `fleet/runs/<run id>/accounts/<account id>.json` and returns a small [`AccountDone`]. An
//!    account that cannot be entered is a result (its `error`), not a failed child.
//! 3. `{"rampart": "fleet-merge", "plan": PLAN}`: reads every account's result (an account
//!    whose child failed gets an error row), writes the fleet report
//!    (`fleet/runs/<run id>/report.json`), uploads the HTML report as `rampart assess
//!    --report-bucket` does, writes `summary.json` and returns the summary.
//!
//! Requests are parsed strictly (unknown fields are refused), so the state machine and the
//! handlers cannot drift apart silently; tests/tests/fleet_sfn.rs parses the definition from
//! the template and drives these handlers with exactly what it sends. [`run_local`] drives the
//! same contract in one process.

use crate::fleet::{self, AccountResult, FleetReport};
use crate::options::LambdaArgs;
use crate::org::Account;
use crate::report;
use crate::service;
use aws_sdk_s3::primitives::ByteStream;
use futures::{StreamExt, TryStreamExt};
use rampart_common::Severity;
use rampart_member::assess::Unobserved;
use rampart_member::error_text::describe;
use rampart_member::evaluate::has_organization_checks;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Key prefix of everything the fleet run keeps in the report bucket (the state machine's role
/// may read and write only below it).
pub const PREFIX: &str = "fleet";

/// One account as the Distributed Map reads it from `items.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// What the plan step returns; the state machine passes it to every child and to the merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub run_id: String,
    /// The run's time (every finding of the run carries it).
    pub started_at: String,
    pub regions: Vec<String>,
    pub home_region: String,
    pub bucket: String,
    pub items_key: String,
    pub accounts: usize,
}

/// What one account's child returns (the full result is in S3 at `result_key`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDone {
    pub account_id: String,
    pub result_key: String,
    pub failed: usize,
    pub errors: usize,
    pub findings_imported: usize,
    /// Set when the account could not be entered.
    pub error: Option<String>,
}

/// The three requests, told apart by `rampart`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "rampart", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    FleetPlan {
        /// The Step Functions execution name (logged with the run id).
        #[serde(default)]
        execution: Option<String>,
    },
    FleetAccount {
        plan: Plan,
        account: Item,
    },
    FleetMerge {
        plan: Plan,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("invalid fleet step request: {0}")]
    Request(String),
    #[error("the fleet run needs a report bucket (RAMPART_REPORT_BUCKET)")]
    NoBucket,
    #[error("{0}")]
    Setup(#[from] crate::exit::CliError),
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error("s3://{bucket}/{key}: {message}")]
    S3 {
        bucket: String,
        key: String,
        message: String,
    },
    #[error("fleet step: {0}")]
    Other(String),
}

/// Whether a payload is one of the fleet steps (`rampart` = `fleet-...`).
pub fn is_step(payload: &Value) -> bool {
    payload
        .get("rampart")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with("fleet-"))
}

pub fn parse(payload: &Value) -> Result<Step, StepError> {
    Step::deserialize(payload).map_err(|e| StepError::Request(e.to_string()))
}

pub fn run_prefix(run_id: &str) -> String {
    format!("{PREFIX}/runs/{run_id}")
}

pub fn items_key(run_id: &str) -> String {
    format!("{}/items.json", run_prefix(run_id))
}

pub fn result_key(run_id: &str, account_id: &str) -> String {
    format!("{}/accounts/{account_id}.json", run_prefix(run_id))
}

/// The request a child receives for `item`: what the state machine's ItemSelector builds.
pub fn account_request(plan: &Plan, item: &Item) -> Value {
    json!({"rampart": "fleet-account", "plan": plan, "account": item})
}

/// Handles one step.
pub async fn handle(
    payload: &Value,
    args: &LambdaArgs,
    base: aws_config::SdkConfig,
) -> Result<Value, StepError> {
    match parse(payload)? {
        Step::FleetPlan { execution } => {
            to_value(&Box::pin(plan(args, base, execution.as_deref())).await?)
        }
        Step::FleetAccount { plan, account } => {
            to_value(&Box::pin(assess_one(args, base, &plan, &account)).await?)
        }
        Step::FleetMerge { plan } => Box::pin(merge(args, base, &plan)).await,
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<Value, StepError> {
    serde_json::to_value(v).map_err(|e| StepError::Other(e.to_string()))
}

fn s3(base: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::new(base)
}

async fn put_json(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<(), StepError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
        .body(ByteStream::from(body))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| StepError::S3 {
            bucket: bucket.into(),
            key: key.into(),
            message: describe(&e),
        })
}

async fn get_bytes(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, StepError> {
    let err = |message: String| StepError::S3 {
        bucket: bucket.into(),
        key: key.into(),
        message,
    };
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| err(describe(&e)))?;
    let data = out.body.collect().await.map_err(|e| err(e.to_string()))?;
    Ok(data.into_bytes().to_vec())
}

/// Step 1: the accounts to assess, written where the Distributed Map reads them.
pub async fn plan(
    args: &LambdaArgs,
    base: aws_config::SdkConfig,
    execution: Option<&str>,
) -> Result<Plan, StepError> {
    let cfg = args.config()?;
    let bucket = cfg.report_bucket.clone().ok_or(StepError::NoBucket)?;
    let run_id = service::new_run_id();
    let fleet = service::connect(base, cfg, &run_id).await?;
    let accounts = service::discover(&fleet, false).await?;
    let items: Vec<Item> = accounts
        .iter()
        .map(|a| Item {
            id: a.id.clone(),
            name: a.name.clone(),
            parent: a.parent.clone(),
        })
        .collect();
    let key = items_key(&run_id);
    let body = serde_json::to_vec(&items).map_err(|e| StepError::Other(e.to_string()))?;
    put_json(&s3(&fleet.base), &bucket, &key, body).await?;
    tracing::info!(run_id = %run_id, execution = execution.unwrap_or(""), accounts = items.len(), regions = %fleet.regions.join(","), "fleet run planned");
    Ok(Plan {
        run_id,
        started_at: crate::time::now(),
        regions: fleet.regions.clone(),
        home_region: fleet.home_region.clone(),
        bucket,
        items_key: key,
        accounts: items.len(),
    })
}

/// Step 2: one account, exactly as `rampart assess` assesses it.
pub async fn assess_one(
    args: &LambdaArgs,
    base: aws_config::SdkConfig,
    plan: &Plan,
    item: &Item,
) -> Result<AccountDone, StepError> {
    let mut cfg = args.config()?;
    // Every child of a run assesses the plan's regions, whatever the environment says.
    cfg.regions = Some(plan.regions.clone());
    cfg.home_region = Some(plan.home_region.clone());
    // A fleet run exists to keep Security Hub current: publish unless told not to.
    cfg.publish = Some(cfg.publish.unwrap_or(true));
    let fleet = service::connect(base, cfg, &plan.run_id).await?;
    let mut aplan =
        service::account_plan(&fleet.cfg, &fleet.regions, &fleet.home_region, &plan.run_id);
    aplan.now = plan.started_at.clone();
    let account = Account {
        id: item.id.clone(),
        name: item.name.clone(),
        parent: item.parent.clone(),
        ancestors: Vec::new(),
    };
    // The organization is judged once per run, in the hub account's own child.
    let extra =
        if item.id == fleet.sessions.hub_account() && has_organization_checks(&aplan.checks()) {
            fleet::organization_outcomes(&fleet.sessions, &aplan, &Unobserved).await
        } else {
            Vec::new()
        };
    let result = fleet::assess_one(&fleet.sessions, &account, &aplan, extra, &Unobserved).await;
    let key = result_key(&plan.run_id, &item.id);
    let body = serde_json::to_vec(&result).map_err(|e| StepError::Other(e.to_string()))?;
    put_json(&s3(&fleet.base), &plan.bucket, &key, body).await?;
    let counts = report::account_counts(&result);
    let done = AccountDone {
        account_id: result.account_id.clone(),
        result_key: key,
        failed: counts.failed,
        errors: counts.errors,
        findings_imported: result.publish.iter().map(|p| p.report.imported).sum(),
        error: result.error.clone(),
    };
    tracing::info!(run_id = %plan.run_id, account = %done.account_id, failed = done.failed, errors = done.errors, "account assessed");
    Ok(done)
}

/// Step 3: the fleet report from every account's result.
pub async fn merge(
    args: &LambdaArgs,
    base: aws_config::SdkConfig,
    plan: &Plan,
) -> Result<Value, StepError> {
    let cfg = args.config()?;
    let client = s3(&base);
    let items: Vec<Item> =
        serde_json::from_slice(&get_bytes(&client, &plan.bucket, &plan.items_key).await?)
            .map_err(|e| StepError::Other(format!("{}: {e}", plan.items_key)))?;
    let prefix = format!("{}/accounts/", run_prefix(&plan.run_id));
    let mut keys: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(&plan.bucket)
            .prefix(&prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| StepError::S3 {
                bucket: plan.bucket.clone(),
                key: prefix.clone(),
                message: describe(&e),
            })?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut results: Vec<AccountResult> = futures::stream::iter(keys)
        .map(|key| {
            let client = &client;
            async move {
                let bytes = get_bytes(client, &plan.bucket, &key).await?;
                serde_json::from_slice::<AccountResult>(&bytes)
                    .map_err(|e| StepError::Other(format!("{key}: {e}")))
            }
        })
        .buffer_unordered(32)
        .try_collect()
        .await?;
    // An account whose child failed every retry is an error row, never a silent gap.
    for item in &items {
        if !results.iter().any(|r| r.account_id == item.id) {
            results.push(AccountResult {
                account_id: item.id.clone(),
                name: item.name.clone(),
                error: Some("no result: the account's assessment did not complete (see the state machine's map run)".into()),
                snapshot_error: None,
                outcomes: Vec::new(),
                publish: Vec::new(),
            });
        }
    }
    results.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    let report = FleetReport {
        run_id: plan.run_id.clone(),
        started_at: plan.started_at.clone(),
        finished_at: Some(crate::time::now()),
        benchmark: crate::fleet::names(&cfg.benchmarks()),
        benchmarks: cfg.benchmarks().iter().map(|b| b.key.to_string()).collect(),
        regions: plan.regions.clone(),
        home_region: plan.home_region.clone(),
        accounts: results,
    };
    let report_key = format!("{}/report.json", run_prefix(&plan.run_id));
    let body = serde_json::to_vec(&report).map_err(|e| StepError::Other(e.to_string()))?;
    put_json(&client, &plan.bucket, &report_key, body).await?;
    let report_url = service::upload_report(&base, &cfg, &plan.bucket, &report).await;
    let fail_on = match cfg.fail_on.as_deref().unwrap_or("low") {
        "none" => None,
        s => s.parse::<Severity>().ok(),
    };
    let mut out = summary(&report, cfg.publish.unwrap_or(true), report_url, fail_on);
    out["trigger"] = json!("step-functions");
    out["report_key"] = json!(report_key);
    let summary_key = format!("{}/summary.json", run_prefix(&plan.run_id));
    let body = serde_json::to_vec(&out).map_err(|e| StepError::Other(e.to_string()))?;
    put_json(&client, &plan.bucket, &summary_key, body).await?;
    tracing::info!(run_id = %plan.run_id, accounts = report.accounts.len(), "fleet run merged");
    Ok(out)
}

/// The run's summary (the scheduled Lambda's answer, and the fleet run's).
pub fn summary(
    report: &FleetReport,
    published: bool,
    report_url: Option<String>,
    fail_on: Option<Severity>,
) -> Value {
    let counts = report::counts(report);
    let failing: Vec<&String> = counts
        .iter()
        .filter(|(_, _, c, _)| c.failed > 0 || c.errors > 0)
        .map(|(id, ..)| id)
        .collect();
    let imported: usize = report
        .accounts
        .iter()
        .flat_map(|a| &a.publish)
        .map(|p| p.report.imported)
        .sum();
    json!({
        "run_id": report.run_id,
        "accounts": report.accounts.len(),
        "accounts_failing": failing,
        "failed_checks": counts.iter().map(|(_, _, c, _)| c.failed).sum::<usize>(),
        "errors": counts.iter().map(|(_, _, c, _)| c.errors).sum::<usize>(),
        "published": published,
        "findings_imported": imported,
        "needs_attention": report::needs_attention(report, fail_on),
        "report_url": report_url,
    })
}

/// Runs the three steps in this process, passing exactly the payloads the state machine
/// passes (children `concurrency` at a time): the same contract without Step Functions.
pub async fn run_local(
    args: &LambdaArgs,
    base: aws_config::SdkConfig,
    concurrency: usize,
) -> Result<Value, StepError> {
    let plan_value = handle(
        &json!({"rampart": "fleet-plan", "execution": "local"}),
        args,
        base.clone(),
    )
    .await?;
    let plan: Plan =
        serde_json::from_value(plan_value).map_err(|e| StepError::Other(e.to_string()))?;
    let items: Vec<Item> =
        serde_json::from_slice(&get_bytes(&s3(&base), &plan.bucket, &plan.items_key).await?)
            .map_err(|e| StepError::Other(e.to_string()))?;
    let children: Vec<Result<Value, StepError>> = futures::stream::iter(items)
        .map(|item| {
            let payload = account_request(&plan, &item);
            let base = base.clone();
            async move { handle(&payload, args, base).await }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    for c in &children {
        if let Err(e) = c {
            // As with a tolerated child failure: the merge reports the account as an error.
            tracing::warn!(error = %e, "account step failed");
        }
    }
    handle(&json!({"rampart": "fleet-merge", "plan": plan}), args, base).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            run_id: "20260101T000000Z-abcdef12".into(),
            started_at: "2026-01-01T00:00:00.000Z".into(),
            regions: vec!["us-east-1".into()],
            home_region: "us-east-1".into(),
            bucket: "b".into(),
            items_key: items_key("20260101T000000Z-abcdef12"),
            accounts: 1,
        }
    }

    #[test]
    fn requests_are_parsed_strictly() {
        let item = Item {
            id: "111122223333".into(),
            name: "a".into(),
            parent: Some("ou-x".into()),
        };
        let req = account_request(&plan(), &item);
        assert!(is_step(&req));
        assert_eq!(
            parse(&req).expect("parse"),
            Step::FleetAccount {
                plan: plan(),
                account: item
            }
        );
        let mut extra = req.clone();
        extra["account"]["email"] = json!("x@example.com");
        assert!(parse(&extra).is_err());
        let mut extra = req;
        extra["surprise"] = json!(1);
        assert!(parse(&extra).is_err());
        assert!(matches!(
            parse(&json!({"rampart": "fleet-plan"})),
            Ok(Step::FleetPlan { execution: None })
        ));
        assert!(parse(&json!({"rampart": "fleet-other"})).is_err());
        assert!(!is_step(&json!({"source": "aws.events"})));
    }

    #[test]
    fn keys_stay_below_the_fleet_prefix() {
        assert_eq!(
            result_key("r1", "111122223333"),
            "fleet/runs/r1/accounts/111122223333.json"
        );
        assert!(items_key("r1").starts_with("fleet/"));
    }
}

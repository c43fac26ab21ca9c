//! The hub's event Lambda: every EventBridge event routed to the hub runs through the same
//! `Responder` as `rampart handle-event`. Configuration: `RAMPART_CONFIG` (a TOML file in the
//! package, optional), `RAMPART_AUDIT_TABLE`, `RAMPART_ALERT_TOPIC_ARN`,
//! `RAMPART_RESPONSE_ROLE`, `RAMPART_EXTERNAL_ID`, `RAMPART_HUB_ACCOUNT` (saves an STS call at cold start), and the
//! standard AWS variables. Logs are JSON.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use rampart_hub::cli::{init_logging, LogFormat};
use rampart_hub::respond::record::{Disposition, Stage, Status};
use rampart_hub::respond::{config_with_env, MemberAccess, Responder};
use serde_json::Value;
use std::sync::Arc;

async fn init() -> Result<Responder, Error> {
    let cfg = match std::env::var("RAMPART_CONFIG") {
        Ok(path) if !path.is_empty() => rampart_common::Config::load(std::path::Path::new(&path))?,
        _ => rampart_common::Config::default(),
    };
    cfg.validate()?;
    let rcfg = config_with_env(cfg.response());
    rcfg.validate()?;
    let base = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let region = base
        .region()
        .map(|r| r.to_string())
        .ok_or("AWS_REGION is not set")?;
    let hub_account = match std::env::var("RAMPART_HUB_ACCOUNT") {
        Ok(a) if !a.is_empty() => a,
        _ => rampart_hub::session::caller_account(&base).await?,
    };
    let access = MemberAccess::Roles {
        base: base.clone(),
        hub_account,
        role_name: rcfg.role_name().to_string(),
        external_id: std::env::var("RAMPART_EXTERNAL_ID")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| cfg.external_id.clone()),
        sts_region: region,
    };
    Ok(Responder::new(&base, access, rcfg, cfg.role_name(), false))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging(LogFormat::Json, 0);
    let started = std::time::Instant::now();
    let responder = Arc::new(init().await?);
    tracing::info!(
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        "rampart hub lambda initialised"
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let responder = responder.clone();
        async move {
            let outcome = responder.handle_value(&event.payload).await;
            // An outcome that could not be written to the audit log is an invocation error, so
            // the event goes to the function's failure destination instead of being lost.
            let unlogged = outcome
                .actions
                .iter()
                .any(|a| a.stage == Stage::Log && a.status == Status::Failed);
            if unlogged && outcome.disposition == Disposition::Failed {
                return Err::<Value, Error>(
                    format!("event {} could not be audited", outcome.event_id).into(),
                );
            }
            Ok(serde_json::to_value(&outcome)?)
        }
    }))
    .await
}

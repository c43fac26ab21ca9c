//! The hub's event Lambda: every EventBridge event routed to the hub runs through the same
//! `Responder` as `rampart handle-event`. Configuration: the `RAMPART_*` variables of
//! `rampart_common::Config` (the stack sets `RAMPART_AUDIT_TABLE`, `RAMPART_STATE_TABLE`,
//! `RAMPART_ALERT_TOPIC_ARN`, `RAMPART_RESPONSE_ROLE`, `RAMPART_ROLE_NAME` (the assessment role,
//! which re-evaluates a remediated control), `RAMPART_EXTERNAL_ID`, `RAMPART_SCHEDULE_RULE_ARN`,
//! `RAMPART_HUB_ROLE_ARN`, `RAMPART_HUB_ACCOUNT` (with the role ARN it saves an STS call at cold
//! start), `RAMPART_AUTO_REMEDIATE`), `RAMPART_CONFIG` (a TOML file in the package, optional),
//! and the standard AWS variables. Logs are JSON.
//!
//! An outcome that is `failed` or `deferred` makes the invocation fail: the event is retried by
//! Lambda's asynchronous invocation and then lands in the function's dead-letter queue, so no
//! event is dropped.

use clap::Parser;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use rampart_hub::cli::{init_logging, LogFormat};
use rampart_hub::lambda::LambdaArgs;
use rampart_hub::respond::record::Disposition;
use rampart_hub::respond::Responder;
use rampart_hub::service;
use serde_json::Value;
use std::sync::Arc;

async fn init() -> Result<Responder, Error> {
    // Every option from the environment (and RAMPART_CONFIG's file), exactly as the CLI and
    // the assessment Lambda read them.
    let args = LambdaArgs::try_parse_from(["rampart-hub-lambda"])?;
    let cfg = args.config()?;
    let base = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    if base.region().is_none() {
        return Err("AWS_REGION is not set".into());
    }
    Ok(service::responder(&base, &cfg, false).await?)
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
            // The intake queue's batches: every event not done is reported back to the queue
            // (deferred ones with their delay), so the invocation itself succeeds.
            if rampart_hub::respond::intake::is_batch(&event.payload) {
                let report = responder.handle_batch(&event.payload).await;
                return Ok(report.response);
            }
            let outcome = responder.handle_value(&event.payload).await;
            // Failed and deferred outcomes are invocation errors: Lambda retries the event and
            // then sends it to the dead-letter queue instead of losing it.
            match outcome.disposition {
                Disposition::Failed | Disposition::Deferred => Err::<Value, Error>(
                    format!(
                        "event {} {}: {}",
                        outcome.event_id,
                        if outcome.disposition == Disposition::Failed {
                            "failed"
                        } else {
                            "deferred"
                        },
                        outcome.reason.as_deref().unwrap_or("see the audit log")
                    )
                    .into(),
                ),
                _ => Ok(serde_json::to_value(&outcome)?),
            }
        }
    }))
    .await
}

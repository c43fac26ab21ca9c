//! The hub's event Lambda: every EventBridge event routed to the hub runs through the same
//! `Responder` as `rampart handle-event`. Configuration: `RAMPART_CONFIG` (a TOML file in the
//! package, optional), `RAMPART_AUDIT_TABLE`, `RAMPART_STATE_TABLE`, `RAMPART_ALERT_TOPIC_ARN`,
//! `RAMPART_RESPONSE_ROLE`, `RAMPART_EXTERNAL_ID`, `RAMPART_SCHEDULE_RULE_ARN`,
//! `RAMPART_HUB_ROLE_ARN`, `RAMPART_HUB_ACCOUNT` (with the role ARN it saves an STS call at cold
//! start), and the standard AWS variables. Logs are JSON.
//!
//! An outcome that is `failed` or `deferred` makes the invocation fail: the event is retried by
//! Lambda's asynchronous invocation and then lands in the function's dead-letter queue, so no
//! event is dropped.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use rampart_hub::cli::{init_logging, LogFormat};
use rampart_hub::respond::record::Disposition;
use rampart_hub::respond::{config_with_env, HubIdentity, MemberAccess, Responder};
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
    let identity = match std::env::var("RAMPART_HUB_ACCOUNT") {
        // The stack passes the hub role's ARN through RAMPART_HUB_ROLE_ARN (config_with_env).
        Ok(a) if !a.is_empty() => HubIdentity {
            account: a,
            role_arns: Vec::new(),
        },
        _ => HubIdentity::of(&base).await?,
    };
    let access = MemberAccess::Roles {
        base: base.clone(),
        hub_account: identity.account.clone(),
        role_name: rcfg.role_name().to_string(),
        external_id: std::env::var("RAMPART_EXTERNAL_ID")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| cfg.external_id.clone()),
        sts_region: region,
    };
    Ok(Responder::new(
        &base,
        identity,
        access,
        rcfg,
        cfg.role_name(),
        false,
    ))
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

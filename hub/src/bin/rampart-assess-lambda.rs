//! AWS Lambda running Rampart's assessment: on an EventBridge schedule (the whole
//! organization, publishing to Security Hub) or as an AWS Config custom rule (the rule's
//! account, answered with PutEvaluations). See `rampart_hub::lambda` and docs/lambda.md.

use clap::Parser;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use rampart_hub::aws::{self, AwsOptions};
use rampart_hub::cli::{init_logging, LogFormat};
use rampart_hub::lambda::{handle, LambdaArgs};
use serde_json::Value;

fn main() -> Result<(), Error> {
    // JSON logs: CloudWatch Logs Insights can query them.
    init_logging(LogFormat::Json, 0);
    // Settings come from RAMPART_* environment variables only (no arguments in Lambda).
    let args = LambdaArgs::try_parse_from(["rampart-assess-lambda"])?;
    let cfg = args.config()?;
    // The SDK's futures are large; give worker threads room, as the CLI does.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let opts = AwsOptions {
            profile: None,
            region: args.global.region.clone(),
            endpoint_url: args.global.endpoint_url.clone(),
            retry_mode: cfg.retry_mode.clone().unwrap_or_else(|| "adaptive".into()),
            max_attempts: cfg.max_attempts(),
        };
        let base = aws::load(&opts).await;
        let args = &args;
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
            let base = base.clone();
            async move {
                handle(&event.payload, args, base).await.map_err(|e| {
                    tracing::error!(error = %e, "event not handled");
                    Error::from(e.to_string())
                })
            }
        }))
        .await
    })
}

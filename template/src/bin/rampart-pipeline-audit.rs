//! AWS Lambda for a CodePipeline invoke action: audits CloudFormation templates in the
//! input artifact and reports PutJobSuccessResult / PutJobFailureResult
//! (see `rampart_template::pipeline`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

/// Time kept in reserve to report the result before the Lambda deadline.
const REPORT_MARGIN: Duration = Duration::from_secs(5);

fn budget(deadline_ms: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let left = u128::from(deadline_ms).saturating_sub(now);
    Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX))
        .saturating_sub(REPORT_MARGIN)
        .max(Duration::from_secs(1))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let base = aws_config::load_from_env().await;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let base = base.clone();
        async move {
            let budget = budget(event.context.deadline);
            match rampart_template::pipeline::handle_event(&event.payload, &base, budget).await {
                Ok(r) => Ok::<Value, Error>(json!({"result": format!("{r:?}")})),
                // The job was reported if it could be; surface the error in the Lambda logs.
                Err(e) => Err(e.to_string().into()),
            }
        }
    }))
    .await
}

//! IAM Access Analyzer (regional): analyzers and their status (1.20).

use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::Analyzer;
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/accessanalyzer",
    actions: &["access-analyzer:ListAnalyzers"],
};

pub async fn collect(
    client: &aws_sdk_accessanalyzer::Client,
    rl: &RateLimiter,
) -> Result<Vec<Analyzer>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .list_analyzers()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("access-analyzer:ListAnalyzers", &e))?;
        out.extend(page.analyzers().iter().map(|a| Analyzer {
            name: a.name().to_string(),
            arn: a.arn().to_string(),
            kind: a.r#type().as_str().to_string(),
            status: a.status().as_str().to_string(),
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

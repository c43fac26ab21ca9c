//! ECR.1: private repositories have image scanning configured. A repository without scan on
//! push gets it (PutImageScanningConfiguration scanOnPush=true); undo turns it off again.
//! Images already pushed are not scanned by the change.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use aws_sdk_ecr::types::ImageScanningConfiguration;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "ecr-scan-on-push",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "ECR.1",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/ecr-scan-on-push",
        actions: &[
            "ecr:DescribeRepositories",
            "ecr:ListTagsForResource",
            "ecr:PutImageScanningConfiguration",
        ],
    },
    changes: "Turns on scan on push (imageScanningConfiguration scanOnPush=true) for a private repository that has it off; images already pushed are not rescanned.",
    undoes: "Sets scanOnPush back to false.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_ecr::Client {
    aws_sdk_ecr::Client::new(ctx.member)
}

/// The repository name of an ECR repository ARN (names may hold slashes: `team/app`).
fn repo_name(arn: &str) -> &str {
    arn.split_once(":repository/").map_or(arn, |(_, name)| name)
}

/// One repository: (ARN, name, registry id, scanOnPush).
type Repo = (String, String, Option<String>, bool);

async fn repositories(
    ecr: &aws_sdk_ecr::Client,
    name: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<Repo>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = ecr
            .describe_repositories()
            .set_repository_names(name.map(|n| vec![n.to_string()]))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ecr:DescribeRepositories", &e))?;
        for r in page.repositories() {
            let (Some(arn), Some(name)) = (r.repository_arn(), r.repository_name()) else {
                continue;
            };
            let scan = r
                .image_scanning_configuration()
                .is_some_and(|c| c.scan_on_push());
            out.push((
                arn.to_string(),
                name.to_string(),
                r.registry_id().map(str::to_string),
                scan,
            ));
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn tags(
    ecr: &aws_sdk_ecr::Client,
    arn: &str,
    rl: &RateLimiter,
) -> Result<Vec<(String, String)>, AwsError> {
    rl.acquire().await;
    let out = ecr
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("ecr:ListTagsForResource {arn}"), &e))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (ecr, rl) = (client(ctx), limiter());
    let found = repositories(&ecr, resource.map(repo_name), &rl).await?;
    let mut out = Vec::new();
    for (arn, name, registry, scan) in found {
        if scan {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: format!("repository {name} already scans images on push"),
                });
            }
            continue;
        }
        let t = tags(&ecr, &arn, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, t.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "ecr:PutImageScanningConfiguration".into(),
            summary: format!("turn on scan on push for repository {name}"),
            prior: json!({"kind": "ecr-scan", "repository": name, "registry_id": registry, "scan_on_push": false}),
            change: json!({"kind": "ecr-scan", "repository": name, "registry_id": registry, "scan_on_push": true}),
        }));
    }
    Ok(out)
}

/// Sets scanOnPush as recorded; nothing else of the repository.
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    if text(state, "kind")? != "ecr-scan" {
        return Err("unknown recorded state kind".into());
    }
    let name = text(state, "repository")?;
    let on = state
        .get("scan_on_push")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no scan_on_push")?;
    let registry = state.get("registry_id").and_then(Value::as_str);
    client(ctx)
        .put_image_scanning_configuration()
        .repository_name(name)
        .set_registry_id(registry.map(str::to_string))
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(on)
                .build(),
        )
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("ecr:PutImageScanningConfiguration {name}"), &e))?;
    Ok(format!("repository {name}: scanOnPush={on}"))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    put(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    put(ctx, &a.prior).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_keep_their_namespace() {
        assert_eq!(
            repo_name("arn:aws:ecr:us-east-1:111122223333:repository/team/app"),
            "team/app"
        );
        assert_eq!(
            repo_name("arn:aws:ecr:us-east-1:111122223333:repository/app"),
            "app"
        );
        assert_eq!(repo_name("app"), "app");
    }
}

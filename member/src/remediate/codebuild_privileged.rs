//! CodeBuild.5: project environments do not have privileged mode. A project whose environment
//! runs privileged gets privilegedMode=false; undo sets it back to true. UpdateProject replaces
//! the whole environment, so every field is sent back as read, with only privilegedMode changed.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use aws_sdk_codebuild::types::Project;
use rampart_common::Permissions;
use serde_json::{json, Value};

pub const REMEDY: Remedy = Remedy {
    id: "codebuild-no-privileged-mode",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "CodeBuild.5",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/codebuild-no-privileged-mode",
        actions: &[
            "codebuild:ListProjects",
            "codebuild:BatchGetProjects",
            "codebuild:UpdateProject",
        ],
    },
    changes: "Turns off privileged mode of the project's build environment (privilegedMode=false); the rest of the environment and the project are sent back as they were.",
    undoes: "Sets privilegedMode back to true, keeping the environment as it is then.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

const KIND: &str = "codebuild-privileged-mode";

fn client(ctx: &Ctx<'_>) -> aws_sdk_codebuild::Client {
    aws_sdk_codebuild::Client::new(ctx.member)
}

async fn project_names(
    cb: &aws_sdk_codebuild::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = cb
            .list_projects()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("codebuild:ListProjects", &e))?;
        out.extend(page.projects().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The projects named (names or ARNs), 100 per BatchGetProjects call.
async fn projects(
    cb: &aws_sdk_codebuild::Client,
    names: &[String],
    rl: &RateLimiter,
) -> Result<Vec<Project>, AwsError> {
    let mut out = Vec::new();
    for chunk in names.chunks(100) {
        rl.acquire().await;
        let got = cb
            .batch_get_projects()
            .set_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::sdk("codebuild:BatchGetProjects", &e))?;
        out.extend(got.projects().iter().cloned());
    }
    Ok(out)
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (cb, rl) = (client(ctx), limiter());
    let names = match resource {
        Some(r) => vec![r.to_string()],
        None => project_names(&cb, &rl).await?,
    };
    let found = projects(&cb, &names, &rl).await?;
    if let (Some(r), true) = (resource, found.is_empty()) {
        return Ok(vec![Planned::Skip {
            resource: r.to_string(),
            why: format!("no CodeBuild project {r}"),
        }]);
    }
    let mut out = Vec::new();
    for p in found {
        let (Some(name), Some(arn)) = (p.name(), p.arn()) else {
            continue;
        };
        let privileged = p
            .environment()
            .and_then(|e| e.privileged_mode())
            .unwrap_or(false);
        if !privileged {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn.to_string(),
                    why: format!("project {name} does not run privileged"),
                });
            }
            continue;
        }
        let tags = p
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        if let Some(why) = exempt_by_tag(ctx, arn, tags) {
            out.push(Planned::Skip {
                resource: arn.to_string(),
                why,
            });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn.to_string(),
            api: "codebuild:UpdateProject".into(),
            summary: format!("turn off privileged mode of project {name}"),
            prior: json!({"kind": KIND, "project": name, "privileged_mode": true}),
            change: json!({"kind": KIND, "project": name, "privileged_mode": false}),
        }));
    }
    Ok(out)
}

/// The project and the setting a recorded state holds.
fn setting(state: &Value) -> Result<(&str, bool), AwsError> {
    if text(state, "kind")? != KIND {
        return Err("unknown recorded state kind".into());
    }
    let on = state
        .get("privileged_mode")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no privileged_mode")?;
    Ok((text(state, "project")?, on))
}

/// Reads the environment as it is now and sends it back whole with privilegedMode as
/// recorded (UpdateProject replaces the environment object; a field left out would be lost).
async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let (name, on) = setting(state)?;
    let (cb, rl) = (client(ctx), limiter());
    let found = projects(&cb, &[name.to_string()], &rl).await?;
    let mut env = found
        .first()
        .and_then(|p| p.environment())
        .cloned()
        .ok_or_else(|| AwsError::invalid("project", format!("{name} has no environment")))?;
    env.privileged_mode = Some(on);
    cb.update_project()
        .name(name)
        .environment(env)
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("codebuild:UpdateProject {name}"), &e))?;
    Ok(format!("project {name}: privilegedMode={on}"))
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
    fn the_recorded_state_is_read_back() {
        let prior = json!({"kind": KIND, "project": "build", "privileged_mode": true});
        assert_eq!(setting(&prior).ok(), Some(("build", true)));
        assert!(setting(&json!({"kind": KIND, "project": "build"})).is_err());
        assert!(setting(&json!({"kind": "x", "project": "b", "privileged_mode": true})).is_err());
    }
}

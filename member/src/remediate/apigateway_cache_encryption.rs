//! APIGateway.5: REST API cache data is encrypted at rest. In a stage, each method setting that
//! caches responses without encrypting them gets caching/dataEncrypted=true; undo sets those
//! settings back to false. Settings that do not cache are not touched.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::ratelimit::RateLimiter;
use aws_sdk_apigateway::types::{MethodSetting, Op, PatchOperation};
use rampart_common::Permissions;
use serde_json::{json, Value};
use std::collections::HashMap;

pub const REMEDY: Remedy = Remedy {
    id: "apigateway-cache-encryption",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Control {
        control: "APIGateway.5",
        judged_by: &[],
    }],
    permissions: Permissions {
        component: "remediate/apigateway-cache-encryption",
        actions: &["apigateway:GET", "apigateway:PATCH"],
    },
    changes: "Encrypts the cache data of the stage's methods that cache responses (caching/dataEncrypted=true on exactly those method settings); other settings of the stage are not touched.",
    undoes: "Sets caching/dataEncrypted back to false on the same method settings.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

const KIND: &str = "apigateway-cache-encryption";

fn client(ctx: &Ctx<'_>) -> aws_sdk_apigateway::Client {
    aws_sdk_apigateway::Client::new(ctx.member)
}

/// The stage's ARN, as Security Hub names it (API Gateway ARNs carry no account).
fn stage_arn(partition: &str, region: &str, api: &str, stage: &str) -> String {
    format!("arn:{partition}:apigateway:{region}::/restapis/{api}/stages/{stage}")
}

/// The REST API id and stage name of a stage ARN.
fn stage_of(arn: &str) -> Option<(&str, &str)> {
    let (_, rest) = arn.split_once("/restapis/")?;
    let (api, stage) = rest.split_once("/stages/")?;
    (!api.is_empty() && !stage.is_empty()).then_some((api, stage))
}

/// The method setting keys (`*/*`, `~1pets/GET`) that cache without encrypting, sorted.
fn unencrypted(settings: &HashMap<String, MethodSetting>) -> Vec<String> {
    let mut keys: Vec<String> = settings
        .iter()
        .filter(|(_, s)| s.caching_enabled() && !s.cache_data_encrypted())
        .map(|(k, _)| k.clone())
        .collect();
    keys.sort();
    keys
}

async fn rest_apis(
    apigw: &aws_sdk_apigateway::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut position: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = apigw
            .get_rest_apis()
            .limit(500)
            .set_position(position.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("apigateway:GetRestApis", &e))?;
        out.extend(
            page.items()
                .iter()
                .filter_map(|a| a.id())
                .map(str::to_string),
        );
        match page.position() {
            Some(p) if !p.is_empty() => position = Some(p.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (apigw, rl) = (client(ctx), limiter());
    let only = match resource {
        Some(r) => Some(stage_of(r).ok_or_else(|| {
            AwsError::invalid("resource", format!("{r} is not an API Gateway stage ARN"))
        })?),
        None => None,
    };
    let apis = match only {
        Some((api, _)) => vec![api.to_string()],
        None => rest_apis(&apigw, &rl).await?,
    };
    let mut out = Vec::new();
    for api in apis {
        rl.acquire().await;
        let stages = apigw
            .get_stages()
            .rest_api_id(&api)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("apigateway:GetStages {api}"), &e))?;
        for s in stages.item() {
            let Some(name) = s.stage_name() else { continue };
            if only.is_some_and(|(_, st)| st != name) {
                continue;
            }
            let arn = stage_arn(ctx.partition(), ctx.region, &api, name);
            let keys = s.method_settings().map(unencrypted).unwrap_or_default();
            if keys.is_empty() {
                if resource.is_some() {
                    out.push(Planned::Skip {
                        resource: arn,
                        why: format!("stage {name} of {api} caches nothing unencrypted"),
                    });
                }
                continue;
            }
            let tags = s
                .tags()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str()));
            if let Some(why) = exempt_by_tag(ctx, &arn, tags) {
                out.push(Planned::Skip { resource: arn, why });
                continue;
            }
            out.push(Planned::Change(Change {
                resource: arn,
                api: "apigateway:UpdateStage".into(),
                summary: format!(
                    "encrypt the cache data of stage {name} of {api} ({})",
                    keys.join(", ")
                ),
                prior: json!({"kind": KIND, "rest_api_id": api, "stage": name, "methods": keys, "data_encrypted": false}),
                change: json!({"kind": KIND, "rest_api_id": api, "stage": name, "methods": keys, "data_encrypted": true}),
            }));
        }
    }
    Ok(out)
}

/// The stage, method setting keys and value a recorded state holds.
fn setting(state: &Value) -> Result<(&str, &str, Vec<&str>, bool), AwsError> {
    if text(state, "kind")? != KIND {
        return Err("unknown recorded state kind".into());
    }
    let on = state
        .get("data_encrypted")
        .and_then(Value::as_bool)
        .ok_or("the recorded state has no data_encrypted")?;
    let methods: Vec<&str> = state
        .get("methods")
        .and_then(Value::as_array)
        .ok_or("the recorded state has no methods")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if methods.is_empty() {
        return Err("the recorded state names no method settings".into());
    }
    Ok((
        text(state, "rest_api_id")?,
        text(state, "stage")?,
        methods,
        on,
    ))
}

/// One replace per recorded method setting key; nothing else of the stage.
fn operations(methods: &[&str], on: bool) -> Vec<PatchOperation> {
    methods
        .iter()
        .map(|k| {
            PatchOperation::builder()
                .op(Op::Replace)
                .path(format!("/{k}/caching/dataEncrypted"))
                .value(on.to_string())
                .build()
        })
        .collect()
}

async fn put(ctx: &Ctx<'_>, state: &Value) -> Result<String, AwsError> {
    let (api, stage, methods, on) = setting(state)?;
    client(ctx)
        .update_stage()
        .rest_api_id(api)
        .stage_name(stage)
        .set_patch_operations(Some(operations(&methods, on)))
        .send()
        .await
        .map_err(|e| AwsError::sdk(format!("apigateway:UpdateStage {api}/{stage}"), &e))?;
    Ok(format!(
        "stage {stage} of {api}: caching/dataEncrypted={on} on {}",
        methods.join(", ")
    ))
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
    fn stage_arns_read_back() {
        let arn = stage_arn("aws", "eu-west-1", "a1b2c3", "prod");
        assert_eq!(
            arn,
            "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod"
        );
        assert_eq!(stage_of(&arn), Some(("a1b2c3", "prod")));
        assert_eq!(
            stage_of("arn:aws:apigateway:eu-west-1::/restapis/a1b2c3"),
            None
        );
    }

    #[test]
    fn only_caching_unencrypted_settings_are_named() {
        let s = |caching, encrypted| {
            MethodSetting::builder()
                .caching_enabled(caching)
                .cache_data_encrypted(encrypted)
                .build()
        };
        let settings = HashMap::from([
            ("*/*".to_string(), s(true, false)),
            ("~1pets/GET".to_string(), s(false, false)),
            ("~1pets/POST".to_string(), s(true, true)),
            ("~1a/GET".to_string(), s(true, false)),
        ]);
        assert_eq!(unencrypted(&settings), vec!["*/*", "~1a/GET"]);
        let ops = operations(&["*/*"], true);
        assert_eq!(ops[0].path(), Some("/*/*/caching/dataEncrypted"));
        assert_eq!(ops[0].value(), Some("true"));
    }

    #[test]
    fn the_recorded_state_is_read_back() {
        let prior = json!({"kind": KIND, "rest_api_id": "a", "stage": "s", "methods": ["*/*"], "data_encrypted": false});
        assert_eq!(setting(&prior).ok(), Some(("a", "s", vec!["*/*"], false)));
        assert!(setting(&json!({"kind": KIND, "rest_api_id": "a", "stage": "s", "methods": [], "data_encrypted": false})).is_err());
    }
}

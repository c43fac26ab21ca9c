//! KMS.4: automatic rotation of customer managed symmetric keys.

use super::remedy::{limiter, text, Fixes, Remedy};
use crate::act::exempt::exempt_by_tag;
use crate::act::{Action, Change, Ctx, Planned};
use crate::aws_error::AwsError;
use crate::collect::kms::{key, list_keys, tags};
use crate::snapshot::tags::pairs;

use rampart_common::arn::resource_name;
use rampart_common::Permissions;
use serde_json::json;

pub const ROTATION: Remedy = Remedy {
    id: "kms-rotation",
    scope: super::remedy::Scope::Resource,
    fixes: &[Fixes::Check("kms.cmk-rotation")],
    permissions: Permissions {
        component: "remediate/kms-rotation",
        actions: &[
            "kms:ListKeys",
            "kms:DescribeKey",
            "kms:ListResourceTags",
            "kms:GetKeyRotationStatus",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
        ],
    },
    changes: "Turns on automatic yearly rotation of the customer managed symmetric key (old key material stays usable for decryption).",
    undoes: "Turns automatic rotation off again.",
    plan: |ctx, req| Box::pin(plan(ctx, req.resource)),
    apply: |ctx, c| Box::pin(apply(ctx, c)),
    undo: |ctx, a| Box::pin(undo(ctx, a)),
};

fn client(ctx: &Ctx<'_>) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(ctx.member)
}

pub async fn plan(ctx: &Ctx<'_>, resource: Option<&str>) -> Result<Vec<Planned>, AwsError> {
    let (kms, rl) = (client(ctx), limiter());
    let ids: Vec<String> = match resource {
        Some(r) => vec![resource_name(r).to_string()],
        None => list_keys(&kms, &rl).await?,
    };
    let mut out = Vec::new();
    for id in ids {
        let k = key(&kms, id, &rl).await?;
        let arn = k.arn_in(ctx.partition(), ctx.region, ctx.account);
        // The keys the check judges: the same rule decides what the remedy may rotate.
        let on = match k.rotation_enabled {
            Some(on) if k.rotation_applies() => on.into_result()?,
            _ => {
                if resource.is_some() {
                    out.push(Planned::Skip {
                        resource: arn,
                        why: "only enabled customer managed symmetric keys with AWS key material rotate automatically".into(),
                    });
                }
                continue;
            }
        };
        if on {
            if resource.is_some() {
                out.push(Planned::Skip {
                    resource: arn,
                    why: "rotation is already on".into(),
                });
            }
            continue;
        }
        let tags = tags(&kms, &k.id, &rl).await?;
        if let Some(why) = exempt_by_tag(ctx, &arn, pairs(&tags)) {
            out.push(Planned::Skip { resource: arn, why });
            continue;
        }
        out.push(Planned::Change(Change {
            resource: arn,
            api: "kms:EnableKeyRotation".into(),
            summary: format!("turn on rotation of key {}", k.id),
            prior: json!({"key_id": k.id, "rotation": false}),
            change: json!({"key_id": k.id, "rotation": true}),
        }));
    }
    Ok(out)
}

async fn set(ctx: &Ctx<'_>, state: &serde_json::Value) -> Result<String, AwsError> {
    let id = text(state, "key_id")?;
    let on = state
        .get("rotation")
        .and_then(serde_json::Value::as_bool)
        .ok_or("the recorded state has no rotation")?;
    let kms = client(ctx);
    if on {
        kms.enable_key_rotation()
            .key_id(id)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("kms:EnableKeyRotation {id}"), &e))?;
    } else {
        kms.disable_key_rotation()
            .key_id(id)
            .send()
            .await
            .map_err(|e| AwsError::sdk(format!("kms:DisableKeyRotation {id}"), &e))?;
    }
    Ok(format!(
        "key {id}: rotation {}",
        if on { "on" } else { "off" }
    ))
}

pub async fn apply(ctx: &Ctx<'_>, c: &Change) -> Result<String, AwsError> {
    set(ctx, &c.change).await
}

pub async fn undo(ctx: &Ctx<'_>, a: &Action) -> Result<String, AwsError> {
    set(ctx, &a.prior).await
}
